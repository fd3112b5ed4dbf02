// A project's retraining pipeline: its settings (when to run, the production recipe, the model,
// the metric and margin, auto or approve), and its history: each run with its steps and their
// figures, the decision, and approve/reject for a run that waits for a person; "Run now" starts
// a run at once, whatever the approvals since the last one.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtTime } from '../i18n/index.js';
import { fullMe, managesOrg, orgRole, noAccess } from '../core.js';
import { field, table, badge } from '../widgets.js';

const pct = (x) => (typeof x === 'number' ? (x * 100).toFixed(1) + '%' : '—');

// The pipeline's routes, reading and writing alike, are for the org's owners, managers and
// engineers, and admins: whoever may open the page may also start a run.
const runsPipeline = (me, orgId) => managesOrg(me, orgId) || orgRole(me, orgId) === 'engineer';

// /p/{id}/pipeline
export async function pipelineView(root, [pid], ctx) {
  const [project, me] = await Promise.all([api.get('/projects/' + pid, { signal: ctx.signal }), fullMe()]);
  if (!ctx.alive) return;
  if (!runsPipeline(me, project.org_id)) throw noAccess();
  document.title = t('pipeline.title') + ' · crowdloop';
  const settingsBox = h('section', { class: 'card', 'data-testid': 'pipeline-settings' });
  const runsBox = h('div', { 'data-testid': 'pipeline-runs' });
  const runNow = runNowControl();
  const historyBox = h('section', { class: 'card', 'data-testid': 'pipeline-history' },
    h('h2', null, t('pipeline.history')), runNow.el, runsBox);
  root.append(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('pipeline.title')), h('p', { class: 'muted' }, project.name)),
    h('a', { class: 'btn', href: '/p/' + pid }, t('upload.toDashboard'))),
  h('p', { class: 'muted' }, t('pipeline.about')), settingsBox, historyBox);

  const trainers = ((await api.get('/trainers', { signal: ctx.signal })).items || [])
    .filter((tr) => tr.kinds.includes(project.kind));
  let shown = '';

  async function load() {
    const p = await api.get('/projects/' + pid + '/pipeline', { signal: ctx.signal });
    if (!ctx.alive) return;
    if (!settingsBox.firstChild) drawSettings(p.settings);
    runNow.follow(p.settings, p.runs || []);
    const text = JSON.stringify(p.runs);
    if (text !== shown) { shown = text; drawHistory(p.runs || []); }
  }

  // "Run now": off until the pipeline is set, while a run is running and while its own request
  // is out. The server's refusal (another person's run started first, say) shows beside it
  // until that run has ended.
  function runNowControl() {
    let set = false;
    let running = false;
    let sending = false;
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'pipeline-run-error' });
    const button = h('button', {
      type: 'button', class: 'btn btn-primary', 'data-testid': 'pipeline-run-now', title: t('pipeline.runNowHint'), disabled: true,
      onclick: async () => {
        sending = true;
        update();
        replace(error);
        try {
          const run = await api.post('/projects/' + pid + '/pipeline/runs');
          running = true;
          toast(t('pipeline.started', { n: run.id }), 'ok');
        } catch (err) {
          if (err.code === 'pipeline_running') running = true;
          replace(error, err.message);
        }
        sending = false;
        update();
        await load().catch(() => {});
      },
    }, t('pipeline.runNow'));
    const update = () => { button.disabled = !set || running || sending; };
    return {
      el: h('div', { class: 'inline-form' }, button, error),
      follow(settings, runs) {
        const wasRunning = running;
        set = !!settings;
        running = runs.some((r) => r.state === 'running');
        if (wasRunning && !running && !sending) replace(error);
        update();
      },
    };
  }

  function drawSettings(s) {
    // Spans are scored by entity F1; classes by accuracy or macro-F1.
    const metrics = project.kind === 'text_spans' ? ['entity_f1'] : ['accuracy', 'macro_f1'];
    s = s || { enabled: true, threshold: 50, trainer: (trainers[0] || {}).name, params: {}, model: '', metric: metrics[0], margin: 0, mode: 'auto' };
    const enabled = h('input', { type: 'checkbox', 'data-testid': 'pipeline-enabled', checked: s.enabled });
    const threshold = h('input', { type: 'number', min: 1, max: 1000000, required: true, value: s.threshold, 'data-testid': 'pipeline-threshold' });
    const trainer = h('select', { 'data-testid': 'pipeline-trainer' }, trainers.map((tr) => h('option', { value: tr.name, selected: tr.name === s.trainer }, tr.name)));
    const params = h('textarea', { rows: 2, 'data-testid': 'pipeline-params' }, JSON.stringify(s.params || {}));
    const model = h('input', { required: true, maxlength: 64, pattern: '[A-Za-z0-9_.\\-]+', value: s.model, placeholder: 'sentiment', 'data-testid': 'pipeline-model' });
    const metric = h('select', { 'data-testid': 'pipeline-metric' }, metrics.map((m) => h('option', { value: m, selected: m === s.metric }, t('pipeline.metric.' + m))));
    const margin = h('input', { type: 'number', min: 0, max: 1, step: 'any', value: s.margin, 'data-testid': 'pipeline-margin' });
    const mode = h('select', { 'data-testid': 'pipeline-mode' }, ['auto', 'approve'].map((m) => h('option', { value: m, selected: m === s.mode }, t('pipeline.mode.' + m))));
    const form = h('form', {
      class: 'stack', 'data-testid': 'pipeline-form',
      onsubmit: async (e) => {
        e.preventDefault();
        let p;
        try { p = JSON.parse(params.value || '{}'); } catch { toast(t('pipeline.badParams')); return; }
        try {
          await api.request('PUT', '/projects/' + pid + '/pipeline', {
            enabled: enabled.checked, threshold: Number(threshold.value), trainer: trainer.value, params: p,
            model: model.value.trim(), metric: metric.value, margin: Number(margin.value || 0), mode: mode.value,
          });
          toast(t('pipeline.saved'), 'ok');
          await load();
        } catch (err) { toast(err.message); }
      },
    },
    h('label', { class: 'check' }, enabled, ' ', t('pipeline.enabled')),
    field(t('pipeline.threshold'), threshold, t('pipeline.thresholdHint')),
    field(t('pipeline.trainer'), trainer), field(t('pipeline.params'), params),
    field(t('pipeline.model'), model), field(t('pipeline.metric'), metric),
    field(t('pipeline.margin'), margin, t('pipeline.marginHint')), field(t('pipeline.mode'), mode),
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'pipeline-save' }, t('pipeline.save')));
    replace(settingsBox, h('h2', null, t('pipeline.settings')), form);
  }

  async function decide(run, verdict) {
    try {
      await api.post('/projects/' + pid + '/pipeline/runs/' + run.id + '/' + verdict);
      toast(t(verdict === 'approve' ? 'pipeline.approved' : 'pipeline.rejected'), 'ok');
      await load();
    } catch (err) { toast(err.message); }
  }

  function runCard(run) {
    const actions = run.state === 'waiting' ? h('div', { class: 'btn-group' },
      h('button', { type: 'button', class: 'btn btn-primary btn-sm', 'data-testid': 'run-approve', onclick: () => decide(run, 'approve') }, t('pipeline.approve')),
      h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'run-reject', onclick: () => decide(run, 'reject') }, t('pipeline.reject'))) : null;
    return h('article', { class: 'pipeline-run', 'data-testid': 'pipeline-run', 'data-run': run.id, 'data-state': run.state },
      h('h3', null, t('pipeline.run', { n: run.id }), ' ', badge(t('pipeline.state.' + run.state), 'pipeline-' + run.state),
        h('span', { class: 'muted small' }, ' ', fmtTime(run.started_at))),
      h('p', { 'data-testid': 'run-figures' }, t('pipeline.figures', {
        metric: t('pipeline.metric.' + run.metric), candidate: pct(run.figure),
        production: pct(run.production_figure), v: run.production_version == null ? '—' : 'v' + run.production_version,
      }), run.model_version ? ' · ' + t('pipeline.made', { v: run.model_version }) : ''),
      run.reason ? h('p', { class: 'muted', 'data-testid': 'run-reason' }, run.reason) : null,
      actions,
      table([
        { label: t('pipeline.step'), cell: (s) => t('pipeline.step.' + s.step) },
        { label: t('pipeline.stepState'), cell: (s) => badge(t('pipeline.stepState.' + s.state), 'pipeline-' + s.state) },
        { label: t('pipeline.stepFigures'), cell: (s) => h('code', { class: 'small' }, figuresText(s.figures)) },
        { label: t('pipeline.stepReason'), cell: (s) => s.reason || '' },
        { label: t('models.who'), cell: (s) => s.by },
        { label: t('models.when'), cell: (s) => h('span', { class: 'muted small' }, fmtTime(s.at)) },
      ], run.steps || [], { testid: 'run-steps', attrs: (s) => ({ 'data-step': s.step, 'data-step-state': s.state }) }));
  }

  function drawHistory(runs) {
    replace(runsBox, runs.length ? runs.map(runCard) : h('p', { class: 'muted', 'data-testid': 'pipeline-empty' }, t('pipeline.none')));
  }

  await load();
  const timer = setInterval(() => load().catch(() => {}), 2000);
  ctx.onCleanup(() => clearInterval(timer));
}

function figuresText(f) {
  return Object.entries(f || {}).map(([k, v]) => k + ' ' + (typeof v === 'number' && !Number.isInteger(v) ? v.toFixed(3) : String(v))).join(' · ');
}
