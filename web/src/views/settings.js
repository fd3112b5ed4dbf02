// A project's settings after creation: every field PATCH /projects/{id} takes, with the server's
// ranges, sending only what changed; labels only grow once the project has tasks. Below, the
// members with their roles, changed in place, and a form to add one, with usernames offered as
// you type from the routes that list people for this caller (all users for an admin, the
// project's ranked workers for its managers).
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber, toMinor, currencyDigits } from '../i18n/index.js';
import { managesOrg, trainsOrg, fullMe } from '../core.js';
import { field, fieldError, checkNumbers, serverFieldError, table } from '../widgets.js';
import { kindName } from './home.js';
import { kindSettings, LABEL_FREE_KINDS } from './kindsettings.js';
import { setting } from '../editors/llm.js';

const MAX_PRICE_MINOR = 1e12; // the server's limit on price and reviewer_fee
const STATUSES = ['draft', 'open', 'paused', 'closed'];
const MEMBER_ROLES = ['worker', 'reviewer'];

export async function settingsView(root, [pid], ctx) {
  const [project, me] = await Promise.all([api.get('/projects/' + pid, { signal: ctx.signal }), fullMe()]);
  if (!ctx.alive) return;
  if (!managesOrg(me, project.org_id)) {
    const e = new Error('forbidden');
    e.status = 403;
    throw e;
  }
  const stats = await api.get('/projects/' + pid + '/stats', { signal: ctx.signal });
  if (!ctx.alive) return;
  root.appendChild(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('settings.title')), h('p', { class: 'muted', 'data-testid': 'settings-project' }, project.name, ' · ', kindName(project.kind))),
    h('a', { class: 'btn', href: '/p/' + pid }, t('upload.toDashboard'))));
  root.appendChild(projectForm(project, me, stats.total_tasks > 0, ctx));
  const members = h('section', { class: 'card', 'data-testid': 'settings-members' });
  root.appendChild(members);
  await drawMembers(members, pid, me, ctx);
}

function projectForm(project, me, hasTasks, ctx) {
  const p = { ...project };
  const digits = currencyDigits(p.currency);
  const major = (minor) => String((minor || 0) / 10 ** digits);
  const classification = p.kind === 'text_class' || p.kind === 'image_class';
  const withLabels = !LABEL_FREE_KINDS.includes(p.kind);
  const kindFields = kindSettings('s');
  kindFields.sync(p.kind);

  const name = h('input', { required: true, maxlength: 200, 'data-testid': 's-name' });
  const instructions = h('textarea', { rows: 8, 'data-testid': 's-instructions' });
  // With tasks, the labels there are stay as they are; new ones are added below them.
  const labels = h('textarea', { rows: 5, 'data-testid': 's-labels' });
  const fixedLabels = h('div', { class: 'chips', 'data-testid': 's-labels-fixed' });
  const multi = h('input', { type: 'checkbox', 'data-testid': 's-multi' });
  const price = h('input', { type: 'number', min: 0, step: 'any', required: true, max: String(MAX_PRICE_MINOR / 10 ** digits), 'data-testid': 's-price' });
  const fee = h('input', { type: 'number', min: 0, step: 'any', required: true, max: String(MAX_PRICE_MINOR / 10 ** digits), 'data-testid': 's-fee' });
  const policy = h('select', { 'data-testid': 's-policy', onchange: () => sync() },
    h('option', { value: 'full' }, t('create.policyFull')), h('option', { value: 'sample' }, t('create.policySample')));
  const rate = h('input', { type: 'number', required: true, min: 1, max: 100, step: 1, 'data-testid': 's-rate' });
  const overlap = h('input', { type: 'number', required: true, min: 1, max: 10, step: 1, 'data-testid': 's-overlap' });
  const lease = h('input', { type: 'number', required: true, min: 1, max: 1440, step: 1, 'data-testid': 's-lease' });
  const rounds = h('input', { type: 'number', required: true, min: 1, max: 20, step: 1, 'data-testid': 's-rounds' });
  const status = h('select', { 'data-testid': 's-status' }, STATUSES.map((s) => h('option', { value: s }, t('status.' + s))));
  const visibility = h('select', { 'data-testid': 's-visibility' },
    h('option', { value: 'private' }, t('create.private')), h('option', { value: 'public' }, t('create.public')));
  const err = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'settings-error' });
  const saveBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'settings-save' }, t('settings.save'));
  const rateField = field(t('create.rate'), rate, t('create.rateHint'));
  const numbers = [price, fee, rate, overlap, lease, rounds, ...kindFields.numbers];
  for (const x of numbers) x.addEventListener('input', () => fieldError(x, ''));

  function fill() {
    name.value = p.name;
    instructions.value = p.instructions || '';
    replace(fixedLabels, hasTasks ? (p.labels || []).map((l) => h('span', { class: 'chip-label', 'data-label': l }, l)) : null);
    labels.value = hasTasks ? '' : (p.labels || []).join('\n');
    multi.checked = !!p.multi_label;
    price.value = major(p.price);
    fee.value = major(p.reviewer_fee);
    policy.value = p.review_policy || 'full';
    rate.value = String(Math.round((p.review_rate || 0.2) * 100));
    overlap.value = String(p.overlap || 1);
    lease.value = String(Math.max(1, Math.round((p.lease_seconds || 1800) / 60)));
    rounds.value = String(p.max_rounds || 3);
    status.value = p.status;
    visibility.value = p.visibility || 'private';
    kindFields.fill(p);
    sync();
    loadEndpoints();
  }
  // An OCR pre-fill is chosen among the org's endpoints by those who may list them (owners and
  // engineers); a manager types the name.
  function loadEndpoints() {
    if (p.kind !== 'image_transcription') return;
    if (!trainsOrg(me, p.org_id)) { kindFields.endpoints(null); return; }
    api.list('/orgs/' + p.org_id + '/endpoints', 500)
      .then((list) => { if (ctx.alive) kindFields.endpoints(list.map((e) => e.name)); })
      .catch(() => kindFields.endpoints(null));
  }
  function sync() { rateField.hidden = policy.value !== 'sample'; }

  function typedLabels() {
    const seen = new Set(hasTasks ? p.labels || [] : []);
    return labels.value.split('\n').map((s) => s.trim()).filter((s) => s && !seen.has(s) && seen.add(s));
  }

  // The fields that differ from the project as saved.
  function changes() {
    const body = {};
    const set = (k, v) => { if (JSON.stringify(v) !== JSON.stringify(p[k])) body[k] = v; };
    set('name', name.value.trim());
    set('instructions', instructions.value);
    if (withLabels) set('labels', hasTasks ? [...(p.labels || []), ...typedLabels()] : typedLabels());
    for (const [k, v] of Object.entries(kindFields.values())) if (JSON.stringify(v) !== JSON.stringify(setting(p, k, null))) body[k] = v;
    if (classification) set('multi_label', multi.checked);
    set('price', toMinor(price.value, p.currency));
    set('reviewer_fee', toMinor(fee.value, p.currency));
    set('review_policy', policy.value);
    if (policy.value === 'sample') set('review_rate', Math.min(1, Math.max(0.01, (+rate.value || 0) / 100)));
    set('overlap', +overlap.value);
    if (+lease.value !== Math.round((p.lease_seconds || 0) / 60)) body.lease_minutes = +lease.value;
    set('max_rounds', +rounds.value);
    set('status', status.value);
    set('visibility', visibility.value);
    return body;
  }

  async function save(e) {
    e.preventDefault();
    err.textContent = '';
    if (!name.value.trim()) { err.textContent = t('create.needName'); name.focus(); return; }
    if (withLabels && !hasTasks && !typedLabels().length) { err.textContent = t('create.needLabels'); labels.focus(); return; }
    if (checkNumbers(numbers)) return;
    const kindProblem = kindFields.check();
    if (kindProblem) { err.textContent = t(kindProblem); return; }
    const body = changes();
    if (!Object.keys(body).length) { toast(t('settings.unchanged'), 'ok'); return; }
    saveBtn.disabled = true;
    try {
      Object.assign(p, await api.patch('/projects/' + p.id, body));
      fill();
      toast(t('settings.saved'), 'ok');
    } catch (e2) {
      const fields = { name, labels, instructions, price, reviewer_fee: fee, review_rate: rate, overlap, lease_minutes: lease, max_rounds: rounds, ...kindFields.fields };
      if (!serverFieldError(e2, fields)) err.textContent = e2.message;
    }
    if (ctx.alive) saveBtn.disabled = false;
  }

  const form = h('form', { class: 'card form-card', novalidate: true, onsubmit: save, 'data-testid': 'settings-form' },
    h('div', { class: 'grid-2' }, field(t('project.name'), name), field(t('project.status'), status)),
    h('div', { class: 'grid-2' },
      h('div', { hidden: !withLabels },
        hasTasks ? h('div', { class: 'field' }, h('label', null, t('create.labels')), fixedLabels, h('div', { class: 'hint' }, t('settings.labelsGrowOnly'))) : null,
        field(hasTasks ? t('settings.addLabels') : t('create.labels'), labels, t('create.labelsHint')),
        classification ? h('label', { class: 'check' }, multi, ' ', t('create.multi')) : null),
      field(t('create.instructions'), instructions, t('create.instructionsHint'))),
    kindFields.el,
    h('fieldset', null, h('legend', null, t('create.payAndReview')),
      h('div', { class: 'grid-4' },
        field(t('project.price'), price, t('create.priceHint', { currency: p.currency })),
        field(t('project.reviewerFee'), fee),
        field(t('create.policy'), policy),
        rateField),
      h('div', { class: 'grid-4' },
        field(t('create.overlap'), overlap, t('create.overlapHint')),
        field(t('create.lease'), lease, t('create.leaseHint')),
        field(t('create.rounds'), rounds, t('create.roundsHint')),
        field(t('create.visibility'), visibility))),
    err,
    h('div', { class: 'card-actions' }, h('button', { type: 'button', class: 'btn', onclick: () => { fill(); err.textContent = ''; } }, t('settings.reset')), saveBtn));
  fill();
  return form;
}

// The people the username field offers: every user for an admin (GET /users), the project's
// ranked workers for its managers (GET /projects/{id}/matches); none when neither answers.
async function knownUsernames(pid, me, ctx) {
  try {
    // The matches route takes no paging: one answer, the best 500.
    const list = me.is_admin ? await api.list('/users?sort=id', 2000)
      : ((await api.get('/projects/' + pid + '/matches', { signal: ctx.signal })).items || []);
    return ctx.alive ? list.map((u) => u.username).filter(Boolean) : [];
  } catch { return []; }
}

async function drawMembers(box, pid, me, ctx) {
  const members = await api.list('/projects/' + pid + '/members', 1000);
  if (!ctx.alive) return;
  const setRole = async (m, role, select) => {
    select.disabled = true;
    try {
      await api.post('/projects/' + pid + '/members', { user_id: m.user_id, role });
      m.role = role;
      toast(t('settings.roleChanged', { name: m.username, role: t('role.' + role) }), 'ok');
    } catch (e) {
      select.value = m.role;
      toast(e.message);
    }
    select.disabled = false;
  };
  const roleSelect = (m) => {
    const s = h('select', { 'aria-label': t('admin.role') + ' · ' + m.username, 'data-testid': 'member-role', onchange: () => setRole(m, s.value, s) },
      MEMBER_ROLES.map((r) => h('option', { value: r, selected: r === m.role }, t('role.' + r))));
    return s;
  };

  const listId = 'usernames-' + pid;
  const user = h('input', { placeholder: t('admin.username'), autocomplete: 'off', list: listId, required: true, 'data-testid': 'add-member-username' });
  const suggestions = h('datalist', { id: listId, 'data-testid': 'username-suggestions' });
  let asked = false;
  user.addEventListener('focus', async () => {
    if (asked) return;
    asked = true;
    const names = await knownUsernames(pid, me, ctx);
    const have = new Set(members.map((m) => m.username));
    replace(suggestions, names.filter((n) => !have.has(n)).map((n) => h('option', { value: n })));
  });
  const role = h('select', { 'data-testid': 'add-member-role' }, MEMBER_ROLES.map((r) => h('option', { value: r }, t('role.' + r))));
  const form = h('form', {
    class: 'inline-form', 'data-testid': 'add-member-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const username = user.value.trim();
      if (!username) return;
      try {
        await api.post('/projects/' + pid + '/members', { username, role: role.value });
        toast(t('dash.invited', { name: username }), 'ok');
        await drawMembers(box, pid, me, ctx);
      } catch (err) { toast(err.message); }
    },
  }, user, suggestions, role, h('button', { type: 'submit', class: 'btn btn-primary' }, t('dash.invite')));

  replace(box, h('h2', null, t('dash.members'), ' ', h('span', { class: 'count' }, '(' + fmtNumber(members.length) + ')')),
    form,
    table([
      { label: t('admin.username'), cell: (m) => m.username },
      { label: t('admin.role'), cell: (m) => (MEMBER_ROLES.includes(m.role) ? roleSelect(m) : t('role.' + m.role)) },
    ], members, { testid: 'member-table', attrs: (m) => ({ 'data-user-id': m.user_id }), empty: t('dash.noMembers') }));
}
