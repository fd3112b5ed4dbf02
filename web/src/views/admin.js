// Admin: users, organizations (with their members) and funds added to an org's budget.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtTime, fmtMoney, toMinor, currencyDigits } from '../i18n/index.js';
import { session } from '../core.js';

const ORG_ROLES = ['owner', 'manager', 'engineer'];

export async function adminView(root, _params, ctx) {
  if (!session.me.is_admin) {
    root.appendChild(h('div', { class: 'error-box' }, t('admin.only')));
    return;
  }
  root.appendChild(h('div', { class: 'page-head' }, h('h1', null, t('admin.title')),
    h('a', { class: 'btn', href: '/admin/payouts', 'data-testid': 'to-payouts' }, t('payout.title'))));
  const usersBox = h('section', { class: 'card' });
  const orgsBox = h('section', { class: 'card' });
  const fundsBox = h('section', { class: 'card', 'data-testid': 'funds' });
  root.append(h('div', { class: 'grid-2 align-start' }, usersBox, h('div', null, orgsBox, fundsBox)));

  async function drawUsers() {
    const users = await api.list('/users?sort=id', 5000);
    if (!ctx.alive) return;
    const name = h('input', { placeholder: t('admin.username'), autocomplete: 'off', required: true, 'data-testid': 'new-username', pattern: '[A-Za-z0-9_.\\-]{3,64}' });
    const pass = h('input', { type: 'password', placeholder: t('admin.password'), autocomplete: 'new-password', required: true, minlength: 8, 'data-testid': 'new-password' });
    const isAdmin = h('input', { type: 'checkbox', 'data-testid': 'new-is-admin' });
    const form = h('form', {
      class: 'inline-form', 'data-testid': 'user-form',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api.post('/users', { username: name.value.trim(), password: pass.value, is_admin: isAdmin.checked });
          toast(t('admin.userCreated', { name: name.value.trim() }), 'ok');
          await drawUsers();
        } catch (err) { toast(err.message); }
      },
    }, name, pass, h('label', { class: 'check' }, isAdmin, ' ', t('admin.isAdmin')), h('button', { type: 'submit', class: 'btn btn-primary' }, t('admin.createUser')));
    replace(usersBox, h('h2', null, t('admin.users'), ' ', h('span', { class: 'count' }, '(' + users.length + ')')), form,
      h('table', { class: 'table', 'data-testid': 'users-table' },
        h('thead', null, h('tr', null, h('th', null, 'ID'), h('th', null, t('admin.username')), h('th', null, t('admin.role')), h('th', null, t('common.created')))),
        h('tbody', null, users.map((u) => h('tr', { 'data-user-id': u.id },
          h('td', { class: 'num' }, String(u.id)), h('td', null, u.username),
          h('td', null, u.is_admin ? h('span', { class: 'badge' }, t('admin.admin')) : ''),
          h('td', { class: 'muted' }, fmtTime(u.created_at)))))));
  }

  async function drawOrgs() {
    const orgs = await api.list('/orgs', 1000);
    if (!ctx.alive) return;
    const name = h('input', { placeholder: t('admin.orgName'), required: true, 'data-testid': 'new-org-name' });
    const currency = h('input', { placeholder: 'KRW', value: 'KRW', size: 4, maxlength: 3, 'data-testid': 'new-org-currency' });
    const form = h('form', {
      class: 'inline-form', 'data-testid': 'org-form',
      onsubmit: async (e) => {
        e.preventDefault();
        try {
          await api.post('/orgs', { name: name.value.trim(), currency: currency.value.trim().toUpperCase() || 'KRW' });
          toast(t('admin.orgCreated', { name: name.value.trim() }), 'ok');
          await drawOrgs();
        } catch (err) { toast(err.message); }
      },
    }, name, currency, h('button', { type: 'submit', class: 'btn btn-primary' }, t('admin.createOrg')));
    replace(orgsBox, h('h2', null, t('admin.orgs'), ' ', h('span', { class: 'count' }, '(' + orgs.length + ')')), form,
      h('div', { class: 'org-list', 'data-testid': 'orgs' }, orgs.map(orgCard)));
    drawFunds(orgs);
  }

  // Money from outside the platform into an org's budget, which its managers then deposit
  // into projects. The picked org's balance is shown and redrawn after each addition.
  function drawFunds(orgs) {
    const byId = Object.fromEntries(orgs.map((o) => [o.id, o]));
    const org = h('select', { required: true, 'data-testid': 'funds-org', 'aria-label': t('admin.orgs') },
      orgs.map((o) => h('option', { value: String(o.id) }, o.name + ' (' + o.currency + ')')));
    const amount = h('input', { type: 'number', min: 0, step: 'any', required: true, class: 'inline-input', 'data-testid': 'funds-amount', 'aria-label': t('earnings.amount') });
    const memo = h('input', { maxlength: 500, placeholder: t('budget.memo'), 'data-testid': 'funds-memo' });
    const balance = h('strong', { 'data-testid': 'funds-balance' }, '—');
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'funds-error' });
    const currency = () => (byId[org.value] || {}).currency || 'KRW';
    async function showBalance() {
      amount.step = String(10 ** -currencyDigits(currency()));
      replace(balance, '…');
      if (!org.value) { replace(balance, '—'); return; }
      try {
        const b = await api.get('/orgs/' + org.value + '/budget', { signal: ctx.signal });
        if (String(b.org_id) === org.value) replace(balance, fmtMoney(b.balance, b.currency));
      } catch { replace(balance, '—'); }
    }
    org.addEventListener('change', showBalance);
    replace(fundsBox, h('h2', null, t('funds.title')), h('p', { class: 'hint' }, t('funds.hint')),
      orgs.length ? [
        h('form', {
          class: 'inline-form', 'data-testid': 'funds-form',
          onsubmit: async (e) => {
            e.preventDefault();
            const minor = toMinor(amount.value, currency());
            if (!minor) { amount.focus(); return; }
            replace(error);
            try {
              await api.post('/orgs/' + org.value + '/funds', memo.value.trim() ? { amount: minor, memo: memo.value.trim() } : { amount: minor });
              toast(t('funds.added', { amount: fmtMoney(minor, currency()), name: byId[org.value].name }), 'ok');
              amount.value = '';
              memo.value = '';
              await showBalance();
            } catch (err) { replace(error, err.message); }
          },
        }, org, amount, memo, h('button', { type: 'submit', class: 'btn btn-primary' }, t('funds.submit'))),
        error,
        h('p', null, t('funds.balance'), ' ', balance)]
        : h('p', { class: 'muted' }, t('funds.noOrgs')));
    showBalance();
  }

  function orgCard(o) {
    const members = h('div', { class: 'muted small' }, t('common.loading'));
    const details = h('details', { class: 'org', 'data-org-id': o.id },
      h('summary', null, h('strong', null, o.name), ' ', h('span', { class: 'muted small' }, o.currency, ' · ', fmtTime(o.created_at))),
      members);
    details.addEventListener('toggle', () => { if (details.open) drawMembers(); });
    async function drawMembers() {
      const list = await api.list('/orgs/' + o.id + '/members', 1000);
      const user = h('input', { placeholder: t('admin.username'), required: true, 'data-testid': 'org-member-username' });
      const role = h('select', { 'data-testid': 'org-member-role' }, ORG_ROLES.map((r) => h('option', { value: r }, t('role.' + r))));
      replace(members,
        h('table', { class: 'table' }, h('tbody', null, list.map((m) => h('tr', null, h('td', null, m.username), h('td', null, t('role.' + m.role)))))),
        h('form', {
          class: 'inline-form',
          onsubmit: async (e) => {
            e.preventDefault();
            try {
              await api.post('/orgs/' + o.id + '/members', { username: user.value.trim(), role: role.value });
              await drawMembers();
            } catch (err) { toast(err.message); }
          },
        }, user, role, h('button', { type: 'submit', class: 'btn' }, t('admin.addMember'))));
    }
    return details;
  }

  await Promise.all([drawUsers(), drawOrgs()]);
}
