// The quality page's budget: the project's balance, reserved and paid money, and for org
// owners and managers a deposit from the org's budget.
import * as api from '../../api.js';
import { h, replace, toast } from '../../dom.js';
import { t, fmtMoney, toMinor, currencyDigits } from '../../i18n/index.js';
import { figure, fieldError, checkNumbers } from '../../widgets.js';

export function budgetSection(page) {
  const { pid, project, manager, ctx } = page;
  const el = h('section', { class: 'card' });

  async function load() {
    const budget = await api.get('/projects/' + pid + '/budget', { signal: ctx.signal });
    if (!ctx.alive) return;
    replace(el, h('h2', null, t('quality.budget')), budget.funded
      ? h('div', { class: 'figures', 'data-testid': 'budget' },
        figure('balance', t('quality.balance'), fmtMoney(budget.balance, budget.currency)),
        figure('reserved', t('quality.reserved'), fmtMoney(budget.reserved, budget.currency)),
        figure('available', t('quality.available'), fmtMoney(budget.available, budget.currency)),
        figure('deposited', t('quality.deposited'), fmtMoney(budget.deposited, budget.currency)),
        figure('paid_to_workers', t('quality.paidWorkers'), fmtMoney(budget.paid_to_workers, budget.currency)),
        figure('paid_to_reviewers', t('quality.paidReviewers'), fmtMoney(budget.paid_to_reviewers, budget.currency)))
      : h('p', { class: 'muted', 'data-testid': 'budget' }, t('quality.unfunded')),
    manager ? depositForm(budget.currency) : null);
  }

  // The org's balance is shown beside the form, and the page's figures are redrawn after.
  function depositForm(currency) {
    const unit = String(10 ** -currencyDigits(currency));
    const amount = h('input', { type: 'number', min: unit, step: unit, required: true, class: 'inline-input', 'data-testid': 'deposit-amount', 'aria-label': t('earnings.amount'), oninput: () => fieldError(amount, '') });
    const memo = h('input', { maxlength: 500, placeholder: t('budget.memo'), class: 'inline-input', 'data-testid': 'deposit-memo' });
    const orgBalance = h('span', { 'data-testid': 'org-balance' }, '…');
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'deposit-error' });
    api.get('/orgs/' + project.org_id + '/budget', { signal: ctx.signal })
      .then((o) => replace(orgBalance, fmtMoney(o.balance, o.currency)), () => replace(orgBalance, '—'));
    return h('div', { class: 'subform' },
      h('h3', null, t('budget.deposit')),
      h('p', { class: 'hint' }, t('budget.depositHint'), ' ', t('budget.orgBalance'), ' ', orgBalance),
      h('form', {
        class: 'inline-form', 'data-testid': 'deposit-form', novalidate: true,
        onsubmit: async (e) => {
          e.preventDefault();
          if (checkNumbers([amount])) return;
          const minor = toMinor(amount.value, currency);
          replace(error);
          try {
            await api.post('/projects/' + pid + '/deposits', memo.value.trim() ? { amount: minor, memo: memo.value.trim() } : { amount: minor });
            toast(t('budget.deposited', { amount: fmtMoney(minor, currency) }), 'ok');
            await page.reloadFigures();
          } catch (err) { replace(error, err.code === 'insufficient_funds' ? t('budget.insufficient') : err.message); }
        },
      }, amount, memo, h('button', { type: 'submit', class: 'btn btn-primary' }, t('budget.depositSubmit'))),
      error);
  }
  return { el, load };
}
