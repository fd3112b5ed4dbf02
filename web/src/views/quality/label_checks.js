// The quality page's label checks (manager; text or image class projects, one-label or
// multi-label, and text spans): a check of a dataset version cross-validates a built-in model
// over its approved labels and audits the ones the model contradicts at the threshold's
// confidence; the list of checks with their figures, each with a button that opens the audit it
// made (whose items say what the model says: a label, a changed label set, or spans).
import * as api from '../../api.js';
import { h, replace, toast } from '../../dom.js';
import { t, fmtNumber } from '../../i18n/index.js';
import { table, badge } from '../../widgets.js';

const CHECKED_KINDS = ['text_class', 'image_class', 'text_spans'];
// The trainers a kind may be checked with, its own first (the server's default).
const CHECK_TRAINERS = { text_class: ['text-linear', 'text-fasttext'] };

export function labelChecksSection(page, openAudit) {
  const { pid, project, manager, ctx } = page;
  if (!manager || !CHECKED_KINDS.includes(project.kind)) return null;
  const el = h('section', { class: 'card table-card', 'data-testid': 'label-checks' });
  const version = h('select', { 'data-testid': 'label-check-dataset' });
  const threshold = h('input', { type: 'number', min: 0.5, max: 1, step: 0.05, value: '0.9', class: 'inline-input', 'data-testid': 'label-check-threshold' });
  const trainers = CHECK_TRAINERS[project.kind] || [];
  const trainer = h('select', { 'data-testid': 'label-check-trainer' }, ...trainers.map((name) => h('option', { value: name }, name)));
  const pct = (x) => (x == null ? '—' : fmtNumber(Math.round(x * 100)) + '%');

  async function start(e) {
    e.preventDefault();
    try {
      const body = { dataset_id: +version.value, threshold: +threshold.value };
      if (trainers.length) body.trainer = trainer.value;
      await api.post('/projects/' + pid + '/label-checks', body);
      await load();
    } catch (err) { toast(err.message); }
  }

  async function load() {
    const [versions, checks] = await Promise.all([
      api.list('/projects/' + pid + '/datasets?sort=-id', 200),
      api.get('/projects/' + pid + '/label-checks', { signal: ctx.signal }),
    ]);
    if (!ctx.alive) return;
    replace(version, versions.map((d) => h('option', { value: d.id }, 'v' + d.version)));
    replace(el, h('h2', null, t('quality.labelChecks')), h('p', { class: 'hint' }, t('quality.labelCheckHint')),
      versions.length ? h('form', { class: 'inline-form', 'data-testid': 'label-check-form', onsubmit: start },
        h('label', null, t('datasets.version'), ' ', version),
        h('label', null, t('quality.threshold'), ' ', threshold),
        trainers.length ? h('label', null, t('jobs.trainer'), ' ', trainer) : null,
        h('button', { type: 'submit', class: 'btn btn-primary' }, t('quality.startLabelCheck')))
        : h('p', { class: 'hint' }, t('datasets.none')),
      table([
        { label: t('quality.labelCheck'), cell: (c) => '#' + c.job_id },
        { label: t('jobs.trainer'), cell: (c) => c.trainer },
        { label: t('jobs.stateCol'), cell: (c) => badge(t('jobs.state.' + c.state), c.state === 'succeeded' ? 'approved' : c.state === 'failed' ? 'reject' : '') },
        { label: t('quality.threshold'), num: true, cell: (c) => pct(c.threshold) },
        { label: t('quality.checkAgreement'), num: true, cell: (c) => pct(c.agreement) },
        { label: t('quality.flagged'), num: true, cell: (c) => (c.flagged == null ? '—' : fmtNumber(c.flagged) + ' / ' + fmtNumber(c.rows)) },
        { label: '', cell: (c) => (c.audit_id ? h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'label-check-audit', onclick: () => openAudit(c.audit_id) }, t('quality.openAudit')) : '—') },
      ], checks.items, { testid: 'label-check-table', attrs: (c) => ({ 'data-job-id': c.job_id, 'data-state': c.state }), empty: t('quality.noLabelChecks') }));
  }

  return { el, load };
}
