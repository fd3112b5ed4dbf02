// Money: my balance, ledger lines and payouts with a request form, and my quality (gold accuracy
// per kind, reviewer accuracy); and the admin's payout queue, approved or rejected with a note.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtMoney, fmtTime, toMinor, currencyDigits, fmtInterval } from '../i18n/index.js';
import { session } from '../core.js';
import { figure, table, badge, pagedTable, fieldError, checkNumbers } from '../widgets.js';

const LEDGER_PAGE = 20;
const STATUSES = ['requested', 'approved', 'rejected'];
const STATUS_BADGE = { requested: 'status-paused', approved: 'approved', rejected: 'reject' };

const statusBadge = (s) => h('span', { class: 'badge badge-' + (STATUS_BADGE[s] || ''), 'data-testid': 'payout-status', 'data-status': s }, t('payout.status.' + s));
const kindText = (k) => (t('ledger.kind.' + k) === 'ledger.kind.' + k ? k : t('ledger.kind.' + k));

export async function earningsView(root, _params, ctx) {
  root.appendChild(h('div', { class: 'page-head' }, h('h1', null, t('earnings.title'))));
  const figs = h('section', { class: 'figures', 'data-testid': 'balances' });
  const requestBox = h('section', { class: 'card' });
  const payoutsBox = h('section', { class: 'card table-card' });
  const ledgerBox = h('section', { class: 'card table-card' });
  const qualityBox = h('section', { class: 'card table-card', 'data-testid': 'my-quality' });
  root.append(figs, h('div', { class: 'grid-2 align-start' }, requestBox, payoutsBox), ledgerBox, qualityBox);

  async function load() {
    const [me, payouts, ledger, quality] = await Promise.all([
      api.get('/me/balance', { signal: ctx.signal }),
      api.list('/me/payouts', 500),
      api.get('/me/ledger?limit=' + LEDGER_PAGE, { signal: ctx.signal }),
      api.get('/me/quality', { signal: ctx.signal }),
    ]);
    if (!ctx.alive) return;
    const balances = me.balances.length ? me.balances : [{ currency: 'KRW', balance: 0, on_hold: 0, paid_out: 0 }];
    replace(figs, balances.flatMap((b) => [
      figure('balance', t('earnings.balance') + (balances.length > 1 ? ' · ' + b.currency : ''), fmtMoney(b.balance, b.currency), 'fig-accent'),
      figure('on_hold', t('earnings.onHold'), fmtMoney(b.on_hold, b.currency)),
      figure('paid_out', t('earnings.paidOut'), fmtMoney(b.paid_out, b.currency)),
    ]));
    drawRequest(balances);
    replace(payoutsBox, h('h2', null, t('earnings.payouts')), table([
      { label: t('earnings.requested'), cell: (p) => fmtTime(p.requested_at) },
      { label: t('earnings.amount'), num: true, cell: (p) => fmtMoney(p.amount, p.currency) },
      { label: t('project.status'), cell: (p) => statusBadge(p.status) },
      { label: t('payout.note'), class: 'reason-cell', cell: (p) => h('span', { 'data-testid': 'payout-note' }, p.note || '') },
    ], payouts, { testid: 'my-payouts', attrs: (p) => ({ 'data-payout-id': p.id }), empty: t('earnings.noPayouts') }));
    drawLedger(ledger);
    drawQuality(quality);
  }

  // My gold accuracy per kind of task and my accuracy as a reviewer, as Wilson intervals.
  function drawQuality(q) {
    const kinds = Object.entries(q.gold_accuracy || {}).map(([kind, iv]) => ({ kind, iv }));
    replace(qualityBox, h('h2', null, t('myQuality.title')), h('p', { class: 'hint' }, t('myQuality.hint')),
      h('div', { class: 'figures' },
        figure('reviewer_accuracy', t('myQuality.reviewer'), h('span', { 'data-testid': 'my-reviewer-accuracy' }, fmtInterval(q.reviewer_accuracy)))),
      table([
        { label: t('myQuality.kind'), cell: (r) => t('kind.' + r.kind) },
        { label: t('quality.goldAccuracy'), num: true, cell: (r) => h('span', { 'data-testid': 'my-gold-accuracy' }, fmtInterval(r.iv)) },
      ], kinds, { testid: 'my-gold', attrs: (r) => ({ 'data-kind': r.kind }), empty: t('myQuality.noGold') }));
  }

  function drawRequest(balances) {
    const currency = h('select', { 'data-testid': 'payout-currency', hidden: balances.length < 2 },
      balances.map((b) => h('option', { value: b.currency }, b.currency)));
    const amount = h('input', { type: 'number', min: 0, step: 'any', required: true, 'data-testid': 'payout-amount', class: 'inline-input', oninput: () => fieldError(amount, '') });
    const sync = () => { amount.step = amount.min = String(10 ** -currencyDigits(currency.value)); };
    currency.addEventListener('change', sync);
    sync();
    replace(requestBox, h('h2', null, t('earnings.request')),
      h('p', { class: 'muted' }, t('earnings.requestHint')),
      h('form', {
        class: 'inline-form', 'data-testid': 'payout-form', novalidate: true,
        onsubmit: async (e) => {
          e.preventDefault();
          if (checkNumbers([amount])) return;
          const minor = toMinor(amount.value, currency.value);
          try {
            await api.post('/me/payouts', { amount: minor, currency: currency.value });
            toast(t('earnings.requestedOk'), 'ok');
            await load();
          } catch (err) { toast(err.code === 'insufficient_funds' ? t('earnings.insufficient') : err.message); }
        },
      }, amount, currency, h('button', { type: 'submit', class: 'btn btn-primary' }, t('earnings.requestSubmit'))));
  }

  function drawLedger(first) {
    const cols = [
      { label: t('dash.when'), cell: (e) => fmtTime(e.at) },
      { label: t('earnings.kind'), cell: (e) => kindText(e.kind) },
      { label: t('dash.task'), cell: (e) => (e.task_id ? '#' + e.task_id : '') },
      { label: t('earnings.amount'), num: true, cell: (e) => h('span', { class: e.amount < 0 ? 'neg' : 'pos' }, fmtMoney(e.amount, e.currency)) },
    ];
    const { table: tbl, more } = pagedTable(cols, first,
      (cursor) => api.get('/me/ledger?limit=' + LEDGER_PAGE + '&cursor=' + encodeURIComponent(cursor), { signal: ctx.signal }),
      { testid: 'ledger', attrs: (e) => ({ 'data-entry-id': e.id, 'data-kind': e.kind }), empty: t('earnings.noLedger') });
    replace(ledgerBox, h('h2', null, t('earnings.ledger')), tbl, h('div', { class: 'card-actions' }, more));
  }

  await load();
}

export async function payoutsAdminView(root, _params, ctx) {
  if (!session.me.is_admin) {
    root.appendChild(h('div', { class: 'error-box' }, t('admin.only')));
    return;
  }
  const filter = h('select', { 'data-testid': 'payout-filter', onchange: () => draw() },
    h('option', { value: '' }, t('payout.all')), STATUSES.map((s) => h('option', { value: s, selected: s === 'requested' }, t('payout.status.' + s))));
  root.appendChild(h('div', { class: 'page-head' }, h('h1', null, t('payout.title')),
    h('div', { class: 'head-actions' }, filter, h('a', { class: 'btn', href: '/admin' }, t('admin.title')))));
  const box = h('section', { class: 'card table-card' });
  root.appendChild(box);
  const users = await api.list('/users?sort=id', 5000);
  const names = Object.fromEntries(users.map((u) => [u.id, u.username]));

  function actions(p, row) {
    if (p.status !== 'requested') return null;
    const note = h('input', { placeholder: t('payout.reason'), maxlength: 500, 'data-testid': 'payout-reason', class: 'inline-input' });
    const decide = (verb) => async () => {
      if (verb === 'reject' && !note.value.trim()) { note.focus(); toast(t('payout.reasonRequired')); return; }
      try {
        const out = await api.post('/payouts/' + p.id + '/' + verb, note.value.trim() ? { note: note.value.trim() } : undefined);
        row.replaceWith(rowOf(out));
        toast(t('payout.done.' + verb), 'ok');
      } catch (err) { toast(err.message); }
    };
    return h('div', { class: 'inline-form' }, note,
      h('button', { type: 'button', class: 'btn btn-sm btn-reject', 'data-testid': 'payout-reject', onclick: decide('reject') }, t('review.reject')),
      h('button', { type: 'button', class: 'btn btn-sm btn-approve', 'data-testid': 'payout-approve', onclick: decide('approve') }, t('payout.approve')));
  }
  const cols = [
    { label: 'ID', num: true, cell: (p) => String(p.id) },
    { label: t('dash.worker'), cell: (p) => names[p.user_id] || '#' + p.user_id },
    { label: t('earnings.amount'), num: true, cell: (p) => fmtMoney(p.amount, p.currency) },
    { label: t('earnings.requested'), cell: (p) => fmtTime(p.requested_at) },
    { label: t('project.status'), cell: (p) => statusBadge(p.status) },
    { label: t('payout.note'), class: 'reason-cell', cell: (p) => h('span', { 'data-testid': 'payout-note' }, p.note || '') },
  ];
  function rowOf(p) {
    const tr = table(cols, [p], { attrs: (x) => ({ 'data-payout-id': x.id, 'data-status': x.status }) }).querySelector('tbody tr');
    tr.appendChild(h('td', null, actions(p, tr)));
    return tr;
  }
  async function draw() {
    const list = await api.list('/payouts' + (filter.value ? '?status=' + filter.value : ''), 1000);
    if (!ctx.alive) return;
    if (!list.length) { replace(box, h('p', { class: 'muted', 'data-testid': 'payouts-empty' }, t('earnings.noPayouts'))); return; }
    const tbl = table([...cols, { label: '', cell: () => '' }], [], { testid: 'payouts' });
    tbl.querySelector('tbody').append(...list.map(rowOf));
    replace(box, tbl);
  }
  await draw();
}
