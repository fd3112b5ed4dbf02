// A job's page: what it is and where it runs, its live log (streamed from ?follow=1 as text,
// the last LOG_LINES lines kept), its metric charts, its evaluation, its artifacts, and
// "register as model version" once it succeeded.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber, fmtTime } from '../i18n/index.js';
import { fullMe, trainsAnyOrg, noAccess, navigate } from '../core.js';
import { figure, field, table } from '../widgets.js';
import { stateBadge, jobWhat, fmtDuration, resourcesText, givenText, jobEnded, cancelButton, trainingTabs } from './training.js';

// The log kept in memory and shown: a job may print millions of lines.
export const LOG_LINES = 2000;
const POLL_MS = 2000;

export async function jobView(root, [jobId], ctx) {
  if (!trainsAnyOrg(await fullMe())) throw noAccess();
  let job = await api.get('/jobs/' + jobId, { signal: ctx.signal });
  if (!ctx.alive) return;
  document.title = '#' + job.id + ' · crowdloop';
  const head = h('section', { class: 'card', 'data-testid': 'job-head' });
  const logBox = h('pre', { class: 'job-log', 'data-testid': 'job-log', tabindex: 0 });
  const chartsBox = h('div', { class: 'charts', 'data-testid': 'job-charts' });
  const evalBox = h('section', { class: 'card', 'data-testid': 'job-evaluation', hidden: true });
  const artifactsBox = h('section', { class: 'card table-card', 'data-testid': 'job-artifacts', hidden: true });
  const registerBox = h('section', { class: 'card', 'data-testid': 'job-register', hidden: true });
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('job.title', { id: job.id })),
    h('a', { class: 'btn', href: '/o/' + job.org_id + '/jobs', 'data-testid': 'to-queue' }, t('jobs.backToQueue'))),
  trainingTabs(job.org_id, ''), head,
  h('section', { class: 'card' }, h('h2', null, t('job.log')), logBox),
  h('section', { class: 'card' }, h('h2', null, t('job.metrics')), chartsBox),
  evalBox, artifactsBox, registerBox);

  const charts = new Map(); // key -> { chart, n }
  ctx.onCleanup(() => { for (const c of charts.values()) c.chart.destroy(); });

  function drawHead() {
    replace(head, h('div', { class: 'figures' },
      figure('state', t('jobs.stateCol'), stateBadge(job.state)),
      figure('what', t('jobs.what'), jobWhat(job)),
      figure('node', t('jobs.node'), givenText(job) || '—'),
      figure('asked', t('jobs.asked'), resourcesText(job)),
      figure('running', t('jobs.running'), fmtDuration(job.running_ms)),
      figure('priority', t('jobs.priority'), String(job.priority))),
    h('p', { class: 'muted small' }, t('job.times', {
      queued: fmtTime(job.queued_at), started: job.started_at ? fmtTime(job.started_at) : '—', ended: job.ended_at ? fmtTime(job.ended_at) : '—',
    }), job.dataset_id != null ? ' · ' + t('jobs.dataset') + ' #' + job.dataset_id : '',
    job.exit_status != null ? ' · ' + t('job.exit', { n: job.exit_status }) : '', job.end_reason ? ' (' + job.end_reason + ')' : ''),
    Object.keys(job.params || {}).length ? h('p', { class: 'small', 'data-testid': 'job-params' },
      Object.entries(job.params).map(([k, v]) => k + '=' + v).join(' · ')) : null,
    jobEnded(job) ? null : h('div', { class: 'card-actions' }, cancelButton(job, () => refresh())));
  }

  async function drawMetrics() {
    const m = await api.get('/jobs/' + jobId + '/metrics', { signal: ctx.signal });
    if (!ctx.alive) return;
    const keys = Object.keys(m.series || {}).sort();
    if (!keys.length) {
      if (!charts.size) replace(chartsBox, h('p', { class: 'muted', 'data-testid': 'job-charts-empty' }, t('job.noMetrics')));
      return;
    }
    if (!charts.size) replace(chartsBox);
    const { metricChart, setPoints } = await import('../mlcharts.js');
    for (const key of keys) {
      const points = m.series[key];
      const had = charts.get(key);
      if (had) {
        // A running job's series grows: the same chart takes the new points.
        if (had.n !== points.length) { setPoints(had.chart, points); had.n = points.length; }
        continue;
      }
      const box = h('div', { class: 'chart-box', 'data-metric': key });
      chartsBox.appendChild(box);
      charts.set(key, { chart: metricChart(box, key, [{ label: key, points }]), n: points.length, box });
    }
  }

  async function refresh() {
    job = await api.get('/jobs/' + jobId, { signal: ctx.signal });
    if (!ctx.alive) return;
    drawHead();
    await drawMetrics();
    if (jobEnded(job)) await drawEnded();
  }

  let endedDrawn = false;
  async function drawEnded() {
    if (endedDrawn) return;
    endedDrawn = true;
    if (job.evaluation) { evalBox.hidden = false; replace(evalBox, h('h2', null, t('job.evaluation')), evaluationView(job.evaluation)); }
    if (job.state !== 'succeeded') return;
    const arts = await api.get('/jobs/' + jobId + '/artifacts', { signal: ctx.signal });
    if (!ctx.alive) return;
    artifactsBox.hidden = false;
    replace(artifactsBox, h('h2', null, t('job.artifacts')), table([
      { label: t('job.path'), cell: (a) => h('a', {
        href: '/api/v1/jobs/' + jobId + '/artifacts/' + a.id, download: a.path.split('/').pop(), 'data-testid': 'artifact-link',
      }, a.path) },
      { label: t('job.size'), num: true, cell: (a) => fmtNumber(a.size) + ' B' },
      { label: 'SHA-256', cell: (a) => h('code', { class: 'small', title: a.sha256 }, a.sha256.slice(0, 12)) },
    ], arts.items || [], { testid: 'artifact-table', empty: t('job.noArtifacts') }));
    registerBox.hidden = false;
    replace(registerBox, h('h2', null, t('job.register')), await registerForm(job, ctx));
  }

  drawHead();
  followLog(jobId, logBox, ctx);
  await refresh();
  const timer = setInterval(() => {
    if (document.hidden || (jobEnded(job) && endedDrawn)) return;
    refresh().catch(() => {});
  }, POLL_MS);
  ctx.onCleanup(() => clearInterval(timer));
}

// Streams the log with fetch (?follow=1) until the job ends or the page goes. Only text goes
// into the page (textContent), and only the last LOG_LINES lines are kept; drawing waits for
// the next frame so that a burst of lines is one redraw.
export async function followLog(jobId, pre, ctx) {
  const lines = [];
  let partial = '';
  let queued = false;
  const draw = () => {
    queued = false;
    const atBottom = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent = lines.join('\n') + (partial ? '\n' + partial : '');
    if (atBottom) pre.scrollTop = pre.scrollHeight;
  };
  const add = (text) => {
    const parts = (partial + text).split('\n');
    partial = parts.pop();
    lines.push(...parts);
    if (lines.length > LOG_LINES) lines.splice(0, lines.length - LOG_LINES);
    if (!queued) { queued = true; requestAnimationFrame(draw); }
  };
  try {
    const r = await fetch('/api/v1/jobs/' + jobId + '/logs?follow=1', { credentials: 'same-origin', cache: 'no-store', signal: ctx.signal });
    if (!r.ok) { add(t('job.logUnavailable', { status: r.status }) + '\n'); return; }
    const reader = r.body.getReader();
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      add(decoder.decode(value, { stream: true }));
    }
    add(decoder.decode());
    pre.dataset.ended = 'true';
  } catch (e) {
    if (e.name !== 'AbortError') add('\n' + e.message);
  }
}

const pct = (x) => (typeof x === 'number' ? (x * 100).toFixed(1) + '%' : '—');

// An evaluation: accuracy and macro-F1 (or the entity-level figures of spans), the per-class
// table and the confusion matrix, truth in rows and prediction in columns.
export function evaluationView(ev) {
  const perClass = Object.entries(ev.per_class || {});
  const conf = ev.confusion;
  return h('div', { 'data-testid': 'evaluation' },
    h('div', { class: 'figures' },
      ev.accuracy != null ? figure('accuracy', t('job.accuracy'), h('span', { 'data-testid': 'eval-accuracy' }, pct(ev.accuracy))) : null,
      ev.macro_f1 != null ? figure('macro_f1', t('job.macroF1'), pct(ev.macro_f1)) : null,
      ev.entity ? figure('entity_f1', t('job.entityF1'), pct(ev.entity.f1)) : null),
    perClass.length ? table([
      { label: t('job.class'), cell: ([k]) => k },
      { label: t('job.precision'), num: true, cell: ([, v]) => pct(v.precision) },
      { label: t('job.recall'), num: true, cell: ([, v]) => pct(v.recall) },
      { label: 'F1', num: true, cell: ([, v]) => pct(v.f1) },
      { label: t('job.support'), num: true, cell: ([, v]) => (v.support == null ? '—' : fmtNumber(v.support)) },
    ], perClass, { testid: 'per-class' }) : null,
    conf && conf.labels ? h('div', { class: 'table-card' }, h('h3', null, t('job.confusion')),
      h('table', { class: 'table confusion', 'data-testid': 'confusion' },
        h('thead', null, h('tr', null, h('th', null, t('job.truthPred')), conf.labels.map((l) => h('th', { class: 'num' }, l)))),
        h('tbody', null, conf.matrix.map((row, i) => h('tr', null, h('th', null, conf.labels[i]),
          row.map((n, j) => h('td', { class: 'num' + (i === j ? ' diag' : '') }, fmtNumber(n)))))))) : null);
}

// Registers the job's artifacts as a new version of a model of the org (an existing one, or
// a new name), then opens the model.
async function registerForm(job, ctx) {
  const models = await api.list('/orgs/' + job.org_id + '/models', 500);
  if (!ctx.alive) return null;
  const pick = h('select', { 'data-testid': 'register-model' },
    models.map((m) => h('option', { value: m.id }, m.name)), h('option', { value: '' }, t('job.newModel')));
  const name = h('input', { maxlength: 64, pattern: '[A-Za-z0-9_.\\-]+', 'data-testid': 'register-name', placeholder: 'sentiment' });
  const nameField = field(t('job.modelName'), name);
  const showName = () => { nameField.hidden = pick.value !== ''; };
  pick.addEventListener('change', showName);
  showName();
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'register-submit' }, t('job.registerBtn'));
  return h('form', {
    class: 'inline-form', 'data-testid': 'register-form',
    onsubmit: async (e) => {
      e.preventDefault();
      btn.disabled = true;
      try {
        const modelId = pick.value || (await api.post('/orgs/' + job.org_id + '/models', { name: name.value.trim() })).id;
        const v = await api.post('/models/' + modelId + '/versions', { job_id: job.id });
        toast(t('job.registered', { v: v.version }), 'ok');
        navigate('/models/' + modelId);
      } catch (err) { toast(err.message); btn.disabled = false; }
    },
  }, field(t('job.model'), pick), nameField, btn);
}
