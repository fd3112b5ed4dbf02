// A project's quality page: estimated quality from audits (Wilson interval), gold accuracy per
// worker, reviewer accuracy from honeypots and audits, agreement, fair pay, the budget with a
// deposit form, consolidated answers when items overlap, gold items with a form to add one, role
// changes, audits with their verdicts, the quality settings, and workers ranked for the project
// with an invite.
import * as api from '../api.js';
import { h, replace, append, toast } from '../dom.js';
import { t, fmtNumber, fmtPercent, fmtTime, fmtMoney, fmtInterval, toMinor, currencyDigits } from '../i18n/index.js';
import { managesOrg, fullMe } from '../core.js';
import { summarize, createEditor } from '../editors/index.js';
import { labelPalette } from '../editors/common.js';
import { figure, table, badge, field, pagedTable } from '../widgets.js';
import { matchFigures } from './home.js';

const flagList = (flags) => (flags || []).map((f) => badge(t('quality.flag.' + f), 'reject'));
const roleText = (r) => (r ? t('role.' + r) : '—');
const CONSENSUS_PAGE = 20;

// An answer on one line: its labels, or how many boxes or spans with their labels counted.
export function answerText(ann) {
  if (!ann) return '—';
  if (Array.isArray(ann.labels)) return ann.labels.join(', ') || '∅';
  const parts = Array.isArray(ann.boxes) ? ['quality.nBoxes', ann.boxes] : Array.isArray(ann.spans) ? ['quality.nSpans', ann.spans] : null;
  if (!parts) return JSON.stringify(ann);
  const counts = new Map();
  for (const x of parts[1]) counts.set(x.label, (counts.get(x.label) || 0) + 1);
  const list = [...counts].map(([l, n]) => (n > 1 ? l + ' ×' + n : l)).join(', ');
  return t(parts[0], { n: fmtNumber(parts[1].length) }) + (list ? ': ' + list : '');
}

export async function qualityView(root, [pid], ctx) {
  const project = await api.get('/projects/' + pid, { signal: ctx.signal });
  if (!ctx.alive) return;
  const manager = managesOrg(await fullMe(), project.org_id);
  const cur = project.currency;
  root.appendChild(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('quality.title')), h('div', { class: 'project-meta' }, h('span', { 'data-testid': 'project-name' }, project.name))),
    h('div', { class: 'head-actions' }, h('a', { class: 'btn', href: '/p/' + pid, 'data-testid': 'to-dashboard' }, t('upload.toDashboard')))));

  const figs = h('section', { class: 'figures', 'data-testid': 'quality-figures' });
  const workersBox = h('section', { class: 'card table-card' });
  const reviewersBox = h('section', { class: 'card table-card' });
  const agreementBox = h('section', { class: 'card table-card' });
  const payBox = h('section', { class: 'card table-card' });
  const budgetBox = h('section', { class: 'card' });
  const auditsBox = h('section', { class: 'card table-card' });
  const auditBox = h('section', { class: 'card table-card', hidden: true, 'data-testid': 'audit' });
  const rolesBox = h('section', { class: 'card table-card' });
  const settingsBox = h('section', { class: 'card' });
  const matchesBox = h('section', { class: 'card table-card' });
  const consensusBox = h('section', { class: 'card table-card', 'data-testid': 'consensus-box' });
  const goldBox = h('section', { class: 'card table-card', 'data-testid': 'gold-box' });
  const overlapped = project.overlap > 1;
  append(root, [figs, workersBox, reviewersBox, h('div', { class: 'grid-2 align-start' }, agreementBox, budgetBox), payBox,
    overlapped ? consensusBox : null, manager ? goldBox : null, auditsBox, auditBox, rolesBox, settingsBox, manager ? matchesBox : null]);

  const names = {};
  const nameOf = (id) => (id == null ? '—' : names[id] || '#' + id);

  async function loadFigures() {
    // Role changes newest first, a page at a time.
    const rolePage = (cursor) => api.get('/projects/' + pid + '/role-changes?sort=-id' + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''), { signal: ctx.signal });
    const [q, agreement, pay, budget, roles] = await Promise.all([...['quality', 'agreement', 'fair-pay', 'budget']
      .map((x) => api.get('/projects/' + pid + '/' + x, { signal: ctx.signal })), rolePage(null)]);
    if (!ctx.alive) return;
    for (const w of [...q.workers, ...q.reviewers]) names[w.user_id] = w.username;
    replace(figs,
      figure('estimated_quality', t('quality.estimated'), h('span', { 'data-testid': 'estimated-quality' }, fmtInterval(q.estimated_quality)), 'fig-accent'),
      figure('gold', t('quality.goldAccuracy'), fmtInterval(q.gold.accuracy)),
      figure('gold_items', t('quality.goldItems'), fmtNumber(q.gold.items)),
      figure('honeypots', t('quality.honeypots'), t('quality.caughtOf', { k: fmtNumber(q.honeypots.caught), n: fmtNumber(q.honeypots.decided) })));

    const agreeOf = Object.fromEntries((agreement.workers || []).map((w) => [w.user_id, w.agreement]));
    replace(workersBox, h('h2', null, t('dash.workers')), table([
      { label: t('dash.worker'), cell: (w) => w.username },
      { label: t('admin.role'), cell: (w) => roleText(w.role) },
      { label: t('dash.submitted'), num: true, cell: (w) => fmtNumber(w.submitted) },
      { label: t('state.approved'), num: true, cell: (w) => fmtNumber(w.approved) },
      { label: t('quality.firstPassRate'), num: true, cell: (w) => fmtPercent(w.first_pass_rate) },
      { label: t('quality.rejections'), num: true, cell: (w) => fmtNumber(w.rejections) },
      { label: t('quality.goldAccuracy'), num: true, cell: (w) => h('span', { 'data-testid': 'gold-accuracy' }, fmtInterval(w.gold_accuracy)) },
      { label: t('quality.agreement'), num: true, cell: (w) => fmtPercent(agreeOf[w.user_id]) },
      { label: t('quality.flags'), cell: (w) => flagList(w.flags) },
    ], q.workers, { testid: 'quality-workers', attrs: (w) => ({ 'data-user-id': w.user_id }), empty: t('dash.noWorkers') }));

    replace(reviewersBox, h('h2', null, t('quality.reviewers')), h('p', { class: 'hint' }, t('quality.reviewerHint')), table([
      { label: t('review.worker'), cell: (r) => r.username },
      { label: t('admin.role'), cell: (r) => roleText(r.role) },
      { label: t('dash.reviewsDone'), num: true, cell: (r) => fmtNumber(r.reviews) },
      { label: t('quality.honeypots'), num: true, cell: (r) => t('quality.caughtOf', { k: fmtNumber(r.honeypots_caught), n: fmtNumber(r.honeypots) }) },
      { label: t('quality.audits'), num: true, cell: (r) => t('quality.passedOf', { k: fmtNumber(r.audits_passed), n: fmtNumber(r.audits) }) },
      { label: t('quality.accuracy'), num: true, cell: (r) => h('span', { 'data-testid': 'reviewer-accuracy' }, fmtInterval(r.accuracy)) },
      { label: t('quality.flags'), cell: (r) => flagList(r.flags) },
    ], q.reviewers, { testid: 'quality-reviewers', attrs: (r) => ({ 'data-user-id': r.user_id }), empty: t('quality.noReviewers') }));

    const measure = agreement.alpha !== undefined ? ['alpha', agreement.alpha] : agreement.mean_iou !== undefined
      ? ['mean_iou', agreement.mean_iou] : ['span_f1', agreement.span_f1];
    replace(agreementBox, h('h2', null, t('quality.agreement')),
      h('div', { class: 'figures', 'data-testid': 'agreement' },
        figure('pairwise', t('quality.pairwise'), fmtPercent(agreement.pairwise)),
        figure(measure[0], t('quality.measure.' + measure[0]), measure[1] == null ? '—' : measure[1].toFixed(3)),
        figure('overlap', t('quality.overlapItems'), fmtNumber(agreement.items_with_overlap) + ' / ' + fmtNumber(agreement.items))));

    replace(budgetBox, h('h2', null, t('quality.budget')), budget.funded
      ? h('div', { class: 'figures', 'data-testid': 'budget' },
        figure('balance', t('quality.balance'), fmtMoney(budget.balance, budget.currency)),
        figure('reserved', t('quality.reserved'), fmtMoney(budget.reserved, budget.currency)),
        figure('available', t('quality.available'), fmtMoney(budget.available, budget.currency)),
        figure('deposited', t('quality.deposited'), fmtMoney(budget.deposited, budget.currency)),
        figure('paid_to_workers', t('quality.paidWorkers'), fmtMoney(budget.paid_to_workers, budget.currency)),
        figure('paid_to_reviewers', t('quality.paidReviewers'), fmtMoney(budget.paid_to_reviewers, budget.currency)))
      : h('p', { class: 'muted', 'data-testid': 'budget' }, t('quality.unfunded')),
    manager ? depositForm(budget.currency) : null);

    replace(payBox, h('h2', null, t('quality.fairPay')),
      h('p', { class: pay.below_min_wage ? 'banner banner-reject' : 'muted', 'data-testid': 'fair-pay-summary', 'data-below': String(!!pay.below_min_wage) },
        t('quality.medianHourly', { pay: pay.median_hourly == null ? '—' : fmtMoney(pay.median_hourly, pay.currency), min: fmtMoney(pay.min_wage, pay.currency) }),
        pay.below_min_wage ? [' ', h('strong', null, t('quality.belowMinWage')), ' ',
          pay.suggested_price != null ? t('quality.suggestedPrice', { price: fmtMoney(pay.suggested_price, pay.currency), now: fmtMoney(pay.price, pay.currency) }) : ''] : null),
      table([
        { label: t('dash.worker'), cell: (w) => w.username },
        { label: t('quality.activeTime'), num: true, cell: (w) => t('quality.minutes', { n: fmtNumber(Math.round(w.active_seconds / 60)) }) },
        { label: t('dash.submitted'), num: true, cell: (w) => fmtNumber(w.submissions) },
        { label: t('state.approved'), num: true, cell: (w) => fmtNumber(w.approved) },
        { label: t('quality.earned'), num: true, cell: (w) => fmtMoney(w.earned, pay.currency) },
        { label: t('quality.hourly'), num: true, cell: (w) => h('span', { class: w.hourly < pay.min_wage ? 'neg' : null }, fmtMoney(w.hourly, pay.currency)) },
      ], pay.workers, { testid: 'fair-pay', attrs: (w) => ({ 'data-user-id': w.user_id }), empty: t('dash.noWorkers') }));

    const figText = (f) => Object.entries(f || {}).filter(([k]) => k !== 'user_id')
      .map(([k, v]) => k + ' ' + (typeof v === 'number' && !Number.isInteger(v) ? fmtPercent(v) : String(v))).join(' · ');
    const roleTable = pagedTable([
      { label: t('dash.when'), cell: (r) => fmtTime(r.at) },
      { label: t('dash.worker'), cell: (r) => r.username },
      { label: t('quality.change'), cell: (r) => badge(t('quality.change.' + r.change), r.change === 'demote' ? 'reject' : 'approved') },
      { label: t('quality.figures'), class: 'small muted', cell: (r) => figText(r.figures) },
    ], roles, rolePage, { testid: 'role-changes', empty: t('quality.noRoleChanges') });
    replace(rolesBox, h('h2', null, t('quality.roleChanges')), roleTable.table, h('div', { class: 'card-actions' }, roleTable.more));
  }

  // A deposit from the org's budget into the project's (org owners and managers); the org's
  // balance is shown beside it, and the figures above are redrawn after.
  function depositForm(currency) {
    const amount = h('input', { type: 'number', min: 0, step: String(10 ** -currencyDigits(currency)), required: true, class: 'inline-input', 'data-testid': 'deposit-amount', 'aria-label': t('earnings.amount') });
    const memo = h('input', { maxlength: 500, placeholder: t('budget.memo'), class: 'inline-input', 'data-testid': 'deposit-memo' });
    const orgBalance = h('span', { 'data-testid': 'org-balance' }, '…');
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'deposit-error' });
    api.get('/orgs/' + project.org_id + '/budget', { signal: ctx.signal })
      .then((o) => replace(orgBalance, fmtMoney(o.balance, o.currency)), () => replace(orgBalance, '—'));
    return h('div', { class: 'subform' },
      h('h3', null, t('budget.deposit')),
      h('p', { class: 'hint' }, t('budget.depositHint'), ' ', t('budget.orgBalance'), ' ', orgBalance),
      h('form', {
        class: 'inline-form', 'data-testid': 'deposit-form',
        onsubmit: async (e) => {
          e.preventDefault();
          const minor = toMinor(amount.value, currency);
          if (!minor) { amount.focus(); return; }
          replace(error);
          try {
            await api.post('/projects/' + pid + '/deposits', memo.value.trim() ? { amount: minor, memo: memo.value.trim() } : { amount: minor });
            toast(t('budget.deposited', { amount: fmtMoney(minor, currency) }), 'ok');
            await loadFigures();
          } catch (err) { replace(error, err.code === 'insufficient_funds' ? t('budget.insufficient') : err.message); }
        },
      }, amount, memo, h('button', { type: 'submit', class: 'btn btn-primary' }, t('budget.depositSubmit'))),
      error);
  }

  // Consolidated answers per item when items are labeled more than once, a page at a time.
  async function loadConsensus() {
    const cols = [
      { label: t('quality.item'), class: 'reason-cell', cell: (c) => h('span', { 'data-testid': 'consensus-item' }, c.text ?? '#' + c.item_id) },
      { label: t('consensus.annotations'), num: true, cell: (c) => fmtNumber(c.annotations) + ' / ' + fmtNumber(project.overlap) },
      { label: t('consensus.complete'), cell: (c) => (c.complete ? badge(t('common.yes'), 'approved') : badge(t('common.no'))) },
      { label: t('quality.agreement'), num: true, cell: (c) => h('span', { 'data-testid': 'consensus-agreement' }, fmtPercent(c.agreement)) },
      { label: t('consensus.answer'), cell: (c) => h('span', { 'data-testid': 'consensus-answer' }, answerText(c.consolidated)) },
    ];
    const attrs = (c) => ({ 'data-item-id': c.item_id, 'data-complete': String(!!c.complete) });
    const page = (cursor) => api.get('/projects/' + pid + '/consensus?limit=' + CONSENSUS_PAGE + (cursor ? '&cursor=' + encodeURIComponent(cursor) : ''), { signal: ctx.signal });
    const first = await page(null);
    if (!ctx.alive) return;
    const { table: tbl, more } = pagedTable(cols, first, page, { testid: 'consensus', attrs, empty: t('consensus.none') });
    replace(consensusBox, h('h2', null, t('consensus.title')), h('p', { class: 'hint' }, t('consensus.hint', { n: fmtNumber(project.overlap) })),
      tbl, h('div', { class: 'card-actions' }, more));
  }

  // Gold items (managers only: the answers never reach workers) and a form to add one. A text
  // project's gold is a new text; an image project's marks an item it already has (typed, or
  // picked from its latest images). The answer is picked on the label buttons for
  // classification, else drawn with the project's own editor as workers label: spans marked on
  // the typed text, boxes drawn on the item's image.
  const goldList = h('div');
  const isText = !project.kind.startsWith('image_');
  const classify = project.kind.endsWith('_class');
  let goldEditor = null; // the open span or box editor of the gold form, if any
  ctx.onCleanup(() => { if (goldEditor) goldEditor.destroy(); goldEditor = null; });
  // Keys go to the editor only from the editor itself or the page, never from another control.
  ctx.onKey((e, inField) => !!goldEditor && (e.target === document.body || goldEditor.host.contains(e.target))
    && goldEditor.key(e, inField) === true);

  function goldForm() {
    const item = isText
      ? h('textarea', { rows: 3, required: true, maxlength: 65536, 'data-testid': 'gold-text' })
      : h('input', { type: 'number', min: 1, step: 1, required: true, 'data-testid': 'gold-item-id', class: 'inline-input' });
    let picked = new Set();
    const palette = classify ? labelPalette(project.labels, {
      multi: project.multi_label, title: t('academy.answer'),
      onPick: (label) => {
        if (project.multi_label) { if (picked.has(label)) picked.delete(label); else picked.add(label); }
        else picked = new Set([label]);
        palette.mark(picked);
      },
    }) : null;
    if (palette) palette.el.classList.add('palette-inline');
    const explanation = h('textarea', { rows: 2, maxlength: 4000, 'data-testid': 'gold-explanation' });
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'gold-error' });

    // The editor: shown for the text as typed (text_spans) or the item given (image_bbox).
    const spans = project.kind === 'text_spans';
    const host = h('div', { class: 'gold-editor', 'data-testid': 'gold-editor', hidden: true });
    let opening = 0; // the latest open; an older one that finishes late is dropped
    function closeEditor() {
      opening++;
      if (goldEditor) goldEditor.destroy();
      goldEditor = null;
      replace(host);
      host.hidden = true;
      if (spans) { item.readOnly = false; step.textContent = t('gold.markSpans'); }
    }
    async function openEditor() {
      closeEditor();
      replace(error);
      const n = ++opening;
      let it;
      if (spans) {
        if (!item.value.trim()) { item.reportValidity(); return false; }
        it = { type: 'text', text: item.value };
      } else {
        const id = Math.round(+item.value);
        if (!(id > 0)) { item.reportValidity(); return false; }
        try { it = await api.get('/items/' + id, { signal: ctx.signal }); } catch (err) {
          if (n === opening && ctx.alive) replace(error, err.message);
          return false;
        }
        if (n !== opening || !ctx.alive) return false;
        if (it.project_id !== project.id || it.type !== 'image') { replace(error, t('gold.notImage')); return false; }
      }
      const data = h('div', { class: 'gold-editor-data' });
      const side = h('div', { class: 'gold-editor-side' });
      replace(host, data, side);
      host.hidden = false;
      host.dataset.for = spans ? '' : String(it.id);
      try {
        const ed = await createEditor(data, side, { id: 'gold', item: it, project, annotation: null }, { editable: true, onChange: () => {} });
        if (n !== opening || !ctx.alive) { ed.destroy(); return false; }
        goldEditor = { ...ed, host, itemId: it.id };
      } catch (err) {
        if (n === opening) { replace(host); host.hidden = true; replace(error, err.message); }
        return false;
      }
      if (spans) { item.readOnly = true; step.textContent = t('gold.editText'); }
      return true;
    }
    // text_spans: one button marks spans on the text, then gives the text back to edit (which
    // drops the spans: their offsets belong to the old text).
    const step = spans ? h('button', {
      type: 'button', class: 'btn', 'data-testid': 'gold-mark',
      onclick: () => { if (goldEditor) { closeEditor(); item.focus(); } else openEditor(); },
    }, t('gold.markSpans')) : null;
    // image_bbox: the image of the item given, or of one picked from the project's latest.
    const boxes = project.kind === 'image_bbox';
    const pick = boxes ? h('select', {
      class: 'inline-input', hidden: true, 'data-testid': 'gold-pick', 'aria-label': t('gold.pick'),
      onchange: () => { if (pick.value) { item.value = pick.value; openEditor(); } },
    }) : null;
    if (boxes) {
      api.get('/projects/' + pid + '/items?type=image&limit=20&sort=-id', { signal: ctx.signal }).then((r) => {
        const list = r.items || [];
        replace(pick, h('option', { value: '' }, t('gold.pick')),
          list.map((x) => h('option', { value: String(x.id) }, '#' + x.id + (x.width ? ' · ' + x.width + '×' + x.height : ''))));
        pick.hidden = !list.length;
      }, () => {});
      item.addEventListener('input', () => { if (goldEditor && String(goldEditor.itemId) !== item.value) closeEditor(); });
    }
    const show = boxes ? h('button', { type: 'button', class: 'btn', 'data-testid': 'gold-load', onclick: () => openEditor() }, t('gold.showImage')) : null;

    return h('form', {
      class: 'subform', 'data-testid': 'gold-form',
      onsubmit: async (e) => {
        e.preventDefault();
        replace(error);
        let answer;
        if (classify) answer = { labels: project.labels.filter((l) => picked.has(l)) };
        else {
          // Not drawn yet (Enter in the field, say): open the editor rather than add an empty answer.
          if (!goldEditor || (boxes && String(goldEditor.itemId) !== String(Math.round(+item.value)))) { await openEditor(); return; }
          answer = goldEditor.get();
        }
        const entry = isText ? { text: item.value, answer } : { item_id: Math.round(+item.value), answer };
        if (explanation.value.trim()) entry.explanation = explanation.value;
        try {
          await api.post('/projects/' + pid + '/gold', { items: [entry] });
          toast(t('gold.added'), 'ok');
          closeEditor();
          item.value = '';
          if (pick) pick.value = '';
          explanation.value = '';
          picked = new Set();
          if (palette) palette.mark(picked);
          await Promise.all([loadGold(), loadFigures()]);
        } catch (err) { replace(error, err.message); }
      },
    },
    h('h3', null, t('gold.add')),
    field(isText ? t('academy.questionText') : t('gold.itemId'), item),
    spans ? h('div', { class: 'inline-form' }, step, h('span', { class: 'hint' }, t('gold.spansHint'))) : null,
    boxes ? h('div', { class: 'inline-form' }, pick, show, h('span', { class: 'hint' }, t('gold.boxesHint'))) : null,
    classify ? h('div', { class: 'field', 'data-testid': 'gold-answer' }, palette.el) : host,
    field(t('gold.explanation'), explanation),
    error,
    h('div', { class: 'card-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'gold-submit' }, t('gold.addSubmit'))));
  }

  async function loadGold() {
    const list = await api.list('/projects/' + pid + '/gold', 5000);
    if (!ctx.alive) return;
    replace(goldList, table([
      { label: t('quality.item'), class: 'reason-cell', cell: (g) => h('span', { 'data-testid': 'gold-item' }, g.type === 'text' && g.text != null ? g.text : '#' + g.item_id) },
      { label: t('academy.answer'), cell: (g) => h('span', { 'data-testid': 'gold-answer-text' }, answerText(g.answer)) },
      { label: t('gold.explanationCol'), class: 'reason-cell', cell: (g) => h('span', { 'data-testid': 'gold-explanation-text' }, g.explanation || '') },
      { label: t('gold.answers'), num: true, cell: (g) => fmtNumber(g.answers) },
      { label: t('quality.correct'), num: true, cell: (g) => h('span', { 'data-testid': 'gold-correct' }, fmtNumber(g.correct)) },
    ], list, { testid: 'gold', attrs: (g) => ({ 'data-item-id': g.item_id }), empty: t('gold.none') }));
  }
  if (manager) replace(goldBox, h('h2', null, t('quality.goldItems')), h('p', { class: 'hint' }, t('gold.hint')), goldList, goldForm());

  // Audits: a manager samples approved tasks and gives each a verdict.
  async function loadAudits(openId) {
    const auditPage = (cursor) => api.get('/projects/' + pid + '/audits' + (cursor ? '?cursor=' + encodeURIComponent(cursor) : ''), { signal: ctx.signal });
    const audits = await auditPage(null);
    if (!ctx.alive) return;
    const auditTable = pagedTable([
      { label: 'ID', num: true, cell: (a) => String(a.id) },
      { label: t('common.created'), cell: (a) => fmtTime(a.created_at) },
      { label: t('quality.decided'), num: true, cell: (a) => fmtNumber(a.decided) + ' / ' + fmtNumber(a.size) },
      { label: t('quality.correct'), num: true, cell: (a) => fmtNumber(a.correct) },
      { label: '', cell: (a) => h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'audit-open', onclick: () => openAudit(a.id) }, t('quality.openAudit')) },
    ], audits, auditPage, { testid: 'audits', attrs: (a) => ({ 'data-audit-id': a.id }), empty: t('quality.noAudits') });
    const size = h('input', { type: 'number', min: 1, max: 10000, value: '20', 'data-testid': 'audit-size', class: 'inline-input' });
    replace(auditsBox, h('h2', null, t('quality.audits')), h('p', { class: 'hint' }, t('quality.auditHint')),
      manager ? h('form', {
        class: 'inline-form', 'data-testid': 'audit-form',
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            const a = await api.post('/projects/' + pid + '/audits', { size: +size.value || 20 });
            await loadAudits(a.id);
          } catch (err) { toast(err.code === 'nothing_to_audit' ? t('quality.nothingToAudit') : err.message); }
        },
      }, h('label', null, t('quality.auditSize'), ' ', size), h('button', { type: 'submit', class: 'btn btn-primary' }, t('quality.newAudit'))) : null,
      auditTable.table, h('div', { class: 'card-actions' }, auditTable.more));
    if (openId) await openAudit(openId);
  }

  async function openAudit(id) {
    const a = await api.get('/audits/' + id, { signal: ctx.signal });
    if (!ctx.alive) return;
    auditBox.hidden = false;
    auditBox.dataset.auditId = a.id;
    const verdictCell = (x) => {
      if (!manager) return x.verdict ? t('quality.verdict.' + x.verdict) : '—';
      const note = h('input', { placeholder: t('quality.note'), value: x.note || '', maxlength: 2000, 'data-testid': 'audit-note' });
      const give = (verdict) => async () => {
        try {
          await api.post('/audits/' + a.id + '/tasks/' + x.task_id, note.value.trim() ? { verdict, note: note.value.trim() } : { verdict });
          await Promise.all([openAudit(a.id), loadAudits(), loadFigures()]);
        } catch (err) { toast(err.message); }
      };
      return h('div', { class: 'inline-form' },
        x.verdict ? badge(t('quality.verdict.' + x.verdict), x.verdict === 'correct' ? 'approved' : 'reject') : null,
        note,
        h('button', { type: 'button', class: 'btn btn-sm btn-approve', 'data-testid': 'verdict-correct', onclick: give('correct') }, t('quality.verdict.correct')),
        h('button', { type: 'button', class: 'btn btn-sm btn-reject', 'data-testid': 'verdict-incorrect', onclick: give('incorrect') }, t('quality.verdict.incorrect')));
    };
    replace(auditBox, h('h2', null, t('quality.auditNo', { id: a.id }), ' ',
      h('span', { class: 'count' }, t('quality.passedOf', { k: fmtNumber(a.correct), n: fmtNumber(a.decided) }))),
    table([
      { label: t('dash.task'), cell: (x) => '#' + x.task_id },
      { label: t('quality.item'), class: 'reason-cell', cell: (x) => (x.item.type === 'text' ? x.item.text : t('quality.image', { w: x.item.width, h: x.item.height })) },
      { label: t('quality.answer'), cell: (x) => summarize(project.kind, x.annotation) },
      { label: t('dash.worker'), cell: (x) => nameOf(x.worker_id) },
      { label: t('quality.reviewer'), cell: (x) => nameOf(x.reviewer_id) },
      { label: t('quality.verdict'), cell: verdictCell },
    ], a.items, { testid: 'audit-items', attrs: (x) => ({ 'data-task-id': x.task_id, 'data-verdict': x.verdict || '' }) }));
  }

  // Gold and honeypot rates, required courses, promotion and demotion thresholds.
  async function loadSettings() {
    const [s, courses] = await Promise.all([
      api.get('/projects/' + pid + '/quality-settings', { signal: ctx.signal }),
      api.list('/courses').catch(() => []),
    ]);
    if (!ctx.alive) return;
    const pct = (key) => h('input', { type: 'number', min: 0, max: 100, step: 'any', value: String(+(s[key] * 100).toFixed(2)), 'data-testid': 's-' + key, disabled: !manager });
    const int = (key) => h('input', { type: 'number', min: 0, step: 1, value: String(s[key]), 'data-testid': 's-' + key, disabled: !manager });
    const bool = (key) => h('input', { type: 'checkbox', checked: !!s[key], 'data-testid': 's-' + key, disabled: !manager });
    const inputs = {
      gold_rate: pct('gold_rate'), honeypot_rate: pct('honeypot_rate'),
      auto_promote: bool('auto_promote'), promote_min_approved: int('promote_min_approved'),
      promote_min_first_pass: pct('promote_min_first_pass'), promote_min_gold: pct('promote_min_gold'),
      promote_min_gold_answers: int('promote_min_gold_answers'),
      auto_demote: bool('auto_demote'), demote_min_checks: int('demote_min_checks'), demote_below: pct('demote_below'),
    };
    const required = new Set(s.required_courses || []);
    const courseBoxes = courses.map((c) => h('input', { type: 'checkbox', value: String(c.id), checked: required.has(c.id), disabled: !manager, 'data-course-id': c.id }));
    const check = (key) => h('label', { class: 'check' }, inputs[key], ' ', t('quality.s.' + key));
    replace(settingsBox, h('h2', null, t('quality.settings')), h('form', {
      'data-testid': 'quality-settings',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { required_courses: courseBoxes.filter((b) => b.checked).map((b) => +b.value) };
        for (const [k, el] of Object.entries(inputs)) {
          if (el.type === 'checkbox') body[k] = el.checked;
          else if (el.step === '1') body[k] = Math.max(0, Math.round(+el.value || 0));
          else body[k] = Math.min(1, Math.max(0, (+el.value || 0) / 100));
        }
        try {
          await api.patch('/projects/' + pid + '/quality-settings', body);
          toast(t('quality.saved'), 'ok');
          await loadSettings();
        } catch (err) { toast(err.message); }
      },
    },
    h('div', { class: 'grid-4' },
      field(t('quality.s.gold_rate'), inputs.gold_rate, t('quality.s.goldHint')),
      field(t('quality.s.honeypot_rate'), inputs.honeypot_rate, t('quality.s.honeypotHint'))),
    h('fieldset', null, h('legend', null, t('quality.s.promotion')), check('auto_promote'),
      h('div', { class: 'grid-4' },
        field(t('quality.s.promote_min_approved'), inputs.promote_min_approved),
        field(t('quality.s.promote_min_first_pass'), inputs.promote_min_first_pass),
        field(t('quality.s.promote_min_gold'), inputs.promote_min_gold),
        field(t('quality.s.promote_min_gold_answers'), inputs.promote_min_gold_answers))),
    h('fieldset', null, h('legend', null, t('quality.s.demotion')), check('auto_demote'),
      h('div', { class: 'grid-4' },
        field(t('quality.s.demote_min_checks'), inputs.demote_min_checks),
        field(t('quality.s.demote_below'), inputs.demote_below))),
    h('fieldset', { 'data-testid': 's-courses' }, h('legend', null, t('quality.s.required_courses')),
      courses.length ? courses.map((c, i) => h('label', { class: 'check course-check' }, courseBoxes[i], ' ', c.name, ' ', h('span', { class: 'muted small' }, '(' + t('kind.' + c.kind) + ')')))
        : h('p', { class: 'muted' }, t('academy.noCourses'))),
    manager ? h('div', { class: 'card-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 's-save' }, t('quality.save'))) : null));
  }

  // Workers ranked for this project, with the figures of each rank and an invite.
  async function loadMatches() {
    const list = (await api.get('/projects/' + pid + '/matches', { signal: ctx.signal })).items || [];
    if (!ctx.alive) return;
    replace(matchesBox, h('h2', null, t('match.workersTitle')), h('p', { class: 'hint' }, t('match.workersHint')), table([
      { label: '#', num: true, cell: (m) => String(list.indexOf(m) + 1) },
      { label: t('dash.worker'), cell: (m) => m.username },
      { label: t('match.scoreCol'), num: true, cell: (m) => fmtPercent(m.score) },
      { label: t('match.why'), cell: (m) => matchFigures(m.figures || {}, false) },
      { label: '', cell: (m) => (m.member_role ? badge(roleText(m.member_role))
        : h('button', {
          type: 'button', class: 'btn btn-sm btn-primary', 'data-testid': 'invite',
          onclick: async () => {
            try {
              await api.post('/projects/' + pid + '/invites', { user_id: m.user_id });
              toast(t('dash.invited', { name: m.username }), 'ok');
              await loadMatches();
            } catch (err) { toast(err.message); }
          },
        }, t('match.invite'))) },
    ], list, { testid: 'matches', attrs: (m) => ({ 'data-user-id': m.user_id, 'data-member': m.member_role || '' }), empty: t('match.noWorkers') }));
  }

  await Promise.all([loadFigures(), loadAudits(), loadSettings(), manager ? loadMatches() : null,
    overlapped ? loadConsensus() : null, manager ? loadGold() : null]);
}
