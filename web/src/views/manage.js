// The manager's list of projects and the create-project form.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtTime, fmtMoney, toMinor, currencyDigits } from '../i18n/index.js';
import { session, navigate, canManage, managesOrg, fullMe } from '../core.js';
import { field, fieldError, checkNumbers, serverFieldError } from '../widgets.js';
import { labelKeys } from '../editors/common.js';
import { kindName } from './home.js';
import { kindSettings, LABEL_FREE_KINDS } from './kindsettings.js';

export const KINDS = ['text_class', 'image_class', 'image_bbox', 'text_spans', 'llm_preference', 'llm_response', 'image_transcription'];
const MAX_PRICE_MINOR = 1e12; // the server's limit on price and reviewer_fee

export async function manageView(root, _params, ctx) {
  const me = await fullMe();
  root.appendChild(h('div', { class: 'page-head' },
    h('h1', null, t('manage.title')),
    canManage(me) ? h('a', { class: 'btn btn-primary', href: '/manage/new', 'data-testid': 'new-project' }, t('manage.new')) : null));
  const [projects, orgs] = await Promise.all([
    api.list('/projects?sort=-id', 500),
    api.list('/orgs', 500).catch(() => []),
  ]);
  if (!ctx.alive) return;
  const orgIds = new Set(me.is_admin ? orgs.map((o) => o.id) : (me.orgs || []).map((o) => o.id));
  const orgName = Object.fromEntries(orgs.map((o) => [o.id, o.name]));
  const mine = projects.filter((p) => me.is_admin || orgIds.has(p.org_id));
  if (!mine.length) {
    root.appendChild(h('div', { class: 'empty card' }, h('p', null, t('manage.none'))));
    return;
  }
  root.appendChild(h('div', { class: 'card table-card' }, h('table', { class: 'table', 'data-testid': 'project-table' },
    h('thead', null, h('tr', null,
      h('th', null, t('project.name')), h('th', null, t('project.kind')), h('th', null, t('project.org')),
      h('th', null, t('project.status')), h('th', { class: 'num' }, t('project.price')), h('th', null, t('common.created')))),
    h('tbody', null, mine.map((p) => h('tr', { 'data-project-id': p.id },
      h('td', null, h('a', { href: '/p/' + p.id }, p.name)),
      h('td', null, kindName(p.kind)),
      h('td', null, orgName[p.org_id] || '#' + p.org_id),
      h('td', null, h('span', { class: 'badge badge-status-' + p.status }, t('status.' + p.status))),
      h('td', { class: 'num' }, fmtMoney(p.price, p.currency)),
      h('td', { class: 'muted' }, fmtTime(p.created_at))))))));
}

export async function createProjectView(root, _params, ctx) {
  const me = await fullMe();
  root.appendChild(h('div', { class: 'page-head' }, h('h1', null, t('create.title'))));
  const orgs = (await api.list('/orgs', 500)).filter((o) => managesOrg(me, o.id));
  if (!ctx.alive) return;
  if (!orgs.length) {
    root.appendChild(h('div', { class: 'empty card' }, t('create.noOrg')));
    return;
  }
  const currencyOf = (id) => orgs.find((o) => o.id === +id)?.currency || 'KRW';

  const org = h('select', { id: 'f-org', 'data-testid': 'f-org' }, orgs.map((o) => h('option', { value: o.id }, o.name + ' (' + o.currency + ')')));
  const name = h('input', { id: 'f-name', required: true, maxlength: 200, 'data-testid': 'f-name' });
  let kind = 'text_class';
  const kindCards = KINDS.map((k) => h('label', { class: 'kind-card', 'data-kind': k },
    h('input', { type: 'radio', name: 'kind', value: k, checked: k === kind, 'data-testid': 'f-kind-' + k, onchange: () => { kind = k; sync(); } }),
    h('strong', null, kindName(k)), h('span', { class: 'muted small' }, t('kind.' + k + '.desc'))));
  const labels = h('textarea', { id: 'f-labels', rows: 5, required: true, placeholder: t('create.labelsPlaceholder'), 'data-testid': 'f-labels', oninput: () => sync() });
  const labelPreview = h('div', { class: 'chips', 'data-testid': 'labels-preview' });
  const multi = h('input', { id: 'f-multi', type: 'checkbox', 'data-testid': 'f-multi' });
  const instructions = h('textarea', { id: 'f-instructions', rows: 10, placeholder: t('create.instructionsPlaceholder'), 'data-testid': 'f-instructions', oninput: () => preview() });
  const previewBox = h('div', { class: 'markdown preview', 'data-testid': 'instructions-preview' });
  // Number fields carry the server's ranges (price and fee: 0 to 10^12 minor units, the rest
  // as below), checked before sending.
  const price = h('input', { id: 'f-price', type: 'number', min: 0, step: 'any', value: '0', required: true, 'data-testid': 'f-price' });
  const fee = h('input', { id: 'f-fee', type: 'number', min: 0, step: 'any', value: '0', required: true, 'data-testid': 'f-fee' });
  const policy = h('select', { id: 'f-policy', 'data-testid': 'f-policy', onchange: () => sync() },
    h('option', { value: 'full' }, t('create.policyFull')), h('option', { value: 'sample' }, t('create.policySample')));
  const rate = h('input', { id: 'f-rate', type: 'number', required: true, min: 1, max: 100, step: 1, value: '20', 'data-testid': 'f-rate' });
  const overlap = h('input', { id: 'f-overlap', type: 'number', required: true, min: 1, max: 10, step: 1, value: '1', 'data-testid': 'f-overlap' });
  const lease = h('input', { id: 'f-lease', type: 'number', required: true, min: 1, max: 1440, step: 1, value: '30', 'data-testid': 'f-lease' });
  const rounds = h('input', { id: 'f-rounds', type: 'number', required: true, min: 1, max: 20, step: 1, value: '3', 'data-testid': 'f-rounds' });
  const visibility = h('select', { id: 'f-visibility', 'data-testid': 'f-visibility' },
    h('option', { value: 'private' }, t('create.private')), h('option', { value: 'public' }, t('create.public')));
  const openNow = h('input', { id: 'f-open', type: 'checkbox', checked: true, 'data-testid': 'f-open' });
  const err = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'form-error' });
  const submitBtn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'create-submit' }, t('create.submit'));
  const multiRow = h('label', { class: 'check' }, multi, ' ', t('create.multi'));
  const rateField = field(t('create.rate'), rate, t('create.rateHint'));
  const currencyHint = h('span');
  const kindFields = kindSettings('f');
  kindFields.fill();
  const labelsBox = h('div', null, field(t('create.labels'), labels, t('create.labelsHint')), labelPreview, multiRow);
  // Without labels, the instructions take the whole width.
  const labelsGrid = h('div', { class: 'grid-2' }, labelsBox, h('div', null, field(t('create.instructions'), instructions, t('create.instructionsHint'))));

  const form = h('form', { class: 'card form-card', onsubmit: submit, novalidate: true },
    h('div', { class: 'grid-2' }, field(t('project.org'), org), field(t('project.name'), name)),
    h('fieldset', null, h('legend', null, t('project.kind')), h('div', { class: 'kind-grid' }, kindCards)),
    labelsGrid,
    h('div', { class: 'field' }, h('label', null, t('create.preview')), previewBox),
    kindFields.el,
    h('fieldset', null, h('legend', null, t('create.payAndReview')),
      h('div', { class: 'grid-4' },
        field(t('project.price'), price, currencyHint),
        field(t('project.reviewerFee'), fee),
        field(t('create.policy'), policy),
        rateField),
      h('div', { class: 'grid-4' },
        field(t('create.overlap'), overlap, t('create.overlapHint')),
        field(t('create.lease'), lease, t('create.leaseHint')),
        field(t('create.rounds'), rounds, t('create.roundsHint')),
        field(t('create.visibility'), visibility))),
    h('label', { class: 'check' }, openNow, ' ', t('create.openNow')),
    err,
    h('div', { class: 'card-actions' }, h('a', { class: 'btn', href: '/manage' }, t('common.cancel')), submitBtn));
  root.appendChild(form);
  org.addEventListener('change', () => sync());

  function labelList() {
    const seen = new Set();
    return labels.value.split('\n').map((s) => s.trim()).filter((s) => s && !seen.has(s) && seen.add(s));
  }
  function sync() {
    const ls = labelList();
    const keys = labelKeys(ls.length, kind.startsWith('image_') ? '0' : '');
    replace(labelPreview, ls.map((l, i) => h('span', { class: 'chip-label' }, keys[i] ? h('kbd', null, keys[i].toUpperCase()) : null, ' ', l)));
    multiRow.hidden = !(kind === 'text_class' || kind === 'image_class');
    labelsBox.hidden = LABEL_FREE_KINDS.includes(kind);
    labelsGrid.classList.toggle('grid-1', labelsBox.hidden);
    kindFields.sync(kind);
    rateField.hidden = policy.value !== 'sample';
    currencyHint.textContent = t('create.priceHint', { currency: currencyOf(org.value) });
    for (const x of [price, fee]) x.max = String(MAX_PRICE_MINOR / 10 ** currencyDigits(currencyOf(org.value)));
  }
  const numbers = [price, fee, rate, overlap, lease, rounds, ...kindFields.numbers];
  for (const x of numbers) x.addEventListener('input', () => fieldError(x, ''));
  let previewTimer = 0;
  function preview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(async () => {
      const { renderMarkdown } = await import('../markdown.js');
      replace(previewBox, renderMarkdown(instructions.value));
    }, 150);
  }
  ctx.onCleanup(() => clearTimeout(previewTimer));
  sync();
  name.focus();

  async function submit(e) {
    e.preventDefault();
    err.textContent = '';
    const ls = labelList();
    if (!name.value.trim()) { err.textContent = t('create.needName'); name.focus(); return; }
    const withLabels = !LABEL_FREE_KINDS.includes(kind);
    if (withLabels && !ls.length) { err.textContent = t('create.needLabels'); labels.focus(); return; }
    if (checkNumbers(numbers)) return;
    const kindProblem = kindFields.check();
    if (kindProblem) { err.textContent = t(kindProblem); return; }
    const currency = currencyOf(org.value);
    const minor = (v) => toMinor(v, currency);
    const body = {
      org_id: +org.value,
      name: name.value.trim(),
      kind,
      ...(withLabels ? { labels: ls } : {}),
      ...kindFields.values(),
      instructions: instructions.value,
      price: minor(price.value),
      reviewer_fee: minor(fee.value),
      review_policy: policy.value,
      overlap: +overlap.value || 1,
      lease_minutes: +lease.value || 30,
      max_rounds: +rounds.value || 3,
      status: openNow.checked ? 'open' : 'draft',
      visibility: visibility.value,
    };
    if (kind === 'text_class' || kind === 'image_class') body.multi_label = multi.checked;
    if (policy.value === 'sample') body.review_rate = Math.min(1, Math.max(0.01, (+rate.value || 0) / 100));
    submitBtn.disabled = true;
    try {
      const p = await api.post('/projects', body);
      toast(t('create.done'), 'ok');
      navigate('/p/' + p.id + '/upload');
    } catch (e2) {
      const fields = { name, labels, instructions, price, reviewer_fee: fee, review_rate: rate, overlap, lease_minutes: lease, max_rounds: rounds, ...kindFields.fields };
      if (!serverFieldError(e2, fields)) err.textContent = e2.message;
      submitBtn.disabled = false;
    }
  }
}
