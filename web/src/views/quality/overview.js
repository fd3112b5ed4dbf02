// The quality page's overview: the estimated quality and gold figures, the workers and
// reviewers with their accuracy and flags, and the agreement between workers.
import * as api from '../../api.js';
import { h, replace } from '../../dom.js';
import { t, fmtNumber, fmtPercent, fmtInterval } from '../../i18n/index.js';
import { figure, table, rate } from '../../widgets.js';
import { flagList, roleText } from './common.js';

export function overviewSection(page) {
  const { pid, ctx } = page;
  const figs = h('section', { class: 'figures', 'data-testid': 'quality-figures' });
  const workersBox = h('section', { class: 'card table-card' });
  const reviewersBox = h('section', { class: 'card table-card' });
  const agreementBox = h('section', { class: 'card table-card' });

  async function load() {
    const [q, agreement] = await Promise.all(['quality', 'agreement']
      .map((x) => api.get('/projects/' + pid + '/' + x, { signal: ctx.signal })));
    if (!ctx.alive) return;
    for (const w of [...q.workers, ...q.reviewers]) page.names[w.user_id] = w.username;
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
      { label: t('quality.firstPassRate'), num: true, cell: (w) => h('span', { 'data-testid': 'first-pass-rate' }, rate(w.first_pass_approved, w.approved)) },
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

    const name = MEASURES.find((m) => agreement[m] !== undefined) || 'span_f1';
    const measure = [name, agreement[name]];
    replace(agreementBox, h('h2', null, t('quality.agreement')),
      h('div', { class: 'figures', 'data-testid': 'agreement' },
        figure('pairwise', t('quality.pairwise'), fmtPercent(agreement.pairwise)),
        figure(measure[0], t('quality.measure.' + measure[0]), measure[1] == null ? '—' : measure[1].toFixed(3)),
        figure('overlap', t('quality.overlapItems'), fmtNumber(agreement.items_with_overlap) + ' / ' + fmtNumber(agreement.items)),
        kindFigures(agreement)));
  }
  return { figs, workersBox, reviewersBox, agreementBox, load };
}

// The agreement measure of each kind: classification, boxes, spans, rankings, transcriptions.
const MEASURES = ['alpha', 'mean_iou', 'span_f1', 'kendall_tau', 'cer'];

// What only some kinds measure: how often the response shown first was chosen (position bias,
// near 1 in the number of responses when position does not matter), and how far the workers
// moved a transcription's pre-fill (its character error rate against the approved text).
function kindFigures(a) {
  const out = [];
  const first = a.first_shown_chosen;
  if (first) out.push(figure('first_shown_chosen', t('quality.firstShownChosen'), h('span', { 'data-testid': 'position-bias' }, rate(first.k, first.n))));
  if (a.prefill_cer !== undefined) {
    out.push(figure('prefill_cer', t('quality.prefillCer'), h('span', { 'data-testid': 'prefill-cer' },
      a.prefill_cer == null ? '—' : fmtPercent(a.prefill_cer) + ' · ' + t('quality.prefilledOf', { n: fmtNumber(a.prefilled || 0) }))));
  }
  return out;
}
