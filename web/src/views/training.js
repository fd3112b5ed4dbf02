// Training: the org's job queue (filters by state, a "new training job" form, cancel, runs
// picked for comparison) and the comparison of runs (params and final metrics side by side,
// one metric's charts overlaid). Only the org's owners and engineers, and admins, come here.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber, fmtTime } from '../i18n/index.js';
import { fullMe, trainsOrg, trainsAnyOrg, noAccess, navigate } from '../core.js';
import { field, fieldError, serverFieldError, table } from '../widgets.js';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'lost'];
export const jobEnded = (j) => !['queued', 'running'].includes(j.state);
// Overlaid charts fetch one series per run: the first runs picked, not all of a hundred.
export const OVERLAY_MAX = 20;

export function stateBadge(state) {
  return h('span', { class: 'badge badge-job-' + state, 'data-testid': 'job-state' }, t('jobs.state.' + state));
}

export function jobWhat(j) {
  return j.kind === 'custom' ? h('code', { class: 'small' }, (j.command || []).join(' ').slice(0, 120)) : j.trainer;
}

// "3 m 20 s" from milliseconds.
export function fmtDuration(ms) {
  if (ms == null) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return t('jobs.seconds', { s });
  if (s < 3600) return t('jobs.minutes', { m: Math.floor(s / 60), s: s % 60 });
  return t('jobs.hours', { h: Math.floor(s / 3600), m: Math.floor((s % 3600) / 60) });
}

export function resourcesText(j) {
  const r = j.resources || {};
  const parts = [t('jobs.cpus', { n: r.cpus }), fmtNumber(Math.round((r.mem_bytes || 0) / 1048576)) + ' MiB'];
  if (r.gpus) parts.push(t('jobs.gpus', { n: r.gpus }));
  return parts.join(' · ');
}

// What the node gave: its GPUs (when any were asked) once the job started.
export function givenText(j) {
  if (j.state === 'queued') return '—';
  const gpus = (j.gpu_list || '').toString();
  return (j.node || '') + (gpus ? ' · GPU ' + gpus : '');
}

// The orgs whose training the user may see: from /me, or every org for an admin.
export async function trainingOrgs(me) {
  if (me.is_admin) return api.list('/orgs', 500).catch(() => []);
  return (me.orgs || []).filter((o) => trainsOrg(me, o.id));
}

// /training: the one org's queue, or a pick of orgs.
export async function trainingHomeView(root, _args, ctx) {
  const me = await fullMe();
  if (!trainsAnyOrg(me)) throw noAccess();
  const orgs = await trainingOrgs(me);
  if (!ctx.alive) return;
  if (orgs.length === 1) { navigate('/o/' + orgs[0].id + '/jobs', { replace: true }); return; }
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('jobs.title'))),
    h('section', { class: 'card' }, orgs.length ? h('ul', { class: 'plain-list' }, orgs.map((o) => h('li', null,
      h('a', { href: '/o/' + o.id + '/jobs', 'data-testid': 'training-org' }, o.name || '#' + o.id), ' · ',
      h('a', { href: '/o/' + o.id + '/models' }, t('models.title'))))) : h('p', { class: 'muted' }, t('jobs.noOrgs'))));
}

export async function orgGate(orgId) {
  const me = await fullMe();
  if (!trainsOrg(me, Number(orgId))) throw noAccess();
  return me;
}

export function trainingTabs(orgId, active) {
  const tab = (href, key, testid) => h('a', { href, class: 'btn btn-sm' + (active === key ? ' btn-primary' : ''), 'data-testid': testid }, t(key));
  return h('div', { class: 'card-actions' },
    tab('/o/' + orgId + '/jobs', 'jobs.title', 'tab-jobs'), tab('/o/' + orgId + '/models', 'models.title', 'tab-models'),
    tab('/o/' + orgId + '/endpoints', 'serving.title', 'tab-serving'));
}

// /o/{org}/jobs: the queue.
export async function jobsView(root, [orgId], ctx) {
  await orgGate(orgId);
  const filter = h('select', { 'data-testid': 'jobs-filter', 'aria-label': t('jobs.filter') },
    h('option', { value: '' }, t('jobs.allStates')), JOB_STATES.map((s) => h('option', { value: s }, t('jobs.state.' + s))));
  const listBox = h('section', { class: 'card table-card', 'data-testid': 'jobs-queue' });
  const picked = new Set();
  const compareBtn = h('button', {
    type: 'button', class: 'btn', 'data-testid': 'compare-runs', disabled: true,
    onclick: () => navigate('/o/' + orgId + '/compare?runs=' + [...picked].join(',')),
  }, t('jobs.compare'));
  const countPicked = () => {
    compareBtn.disabled = picked.size < 2;
    compareBtn.textContent = t('jobs.compareN', { n: picked.size });
  };
  countPicked();
  filter.addEventListener('change', () => load().catch((e) => toast(e.message)));
  root.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('jobs.title')), h('p', { class: 'muted' }, t('jobs.hint')))),
    trainingTabs(orgId, 'jobs.title'),
    await newJobForm(orgId, ctx, () => load()),
    h('div', { class: 'inline-form' }, field(t('jobs.filter'), filter), compareBtn),
    listBox);

  async function load() {
    const q = filter.value ? '?state=' + filter.value : '';
    const jobs = (await api.list('/orgs/' + orgId + '/jobs' + q, 1000)).sort((a, b) => b.id - a.id);
    if (!ctx.alive) return;
    replace(listBox, table([
      { label: '', cell: (j) => h('input', {
        type: 'checkbox', 'aria-label': t('jobs.pick', { id: j.id }), 'data-testid': 'job-pick', checked: picked.has(j.id),
        onchange: (e) => { if (e.target.checked) picked.add(j.id); else picked.delete(j.id); countPicked(); },
      }) },
      { label: '#', cell: (j) => h('a', { href: '/jobs/' + j.id, 'data-testid': 'job-link' }, '#' + j.id) },
      { label: t('jobs.stateCol'), cell: (j) => stateBadge(j.state) },
      { label: t('jobs.what'), cell: jobWhat },
      { label: t('jobs.node'), cell: givenText },
      { label: t('jobs.asked'), cell: resourcesText },
      { label: t('jobs.priority'), num: true, cell: (j) => String(j.priority) },
      { label: t('jobs.running'), num: true, cell: (j) => fmtDuration(j.running_ms) },
      { label: t('jobs.queuedAt'), cell: (j) => h('span', { class: 'muted small' }, fmtTime(j.queued_at)) },
      { label: '', cell: (j) => (jobEnded(j) ? null : cancelButton(j, () => load())) },
    ], jobs, { testid: 'jobs-table', attrs: (j) => ({ 'data-job-id': j.id, 'data-state': j.state }), empty: t('jobs.none') }));
  }
  await load();
  // The queue moves by itself: read it again every few seconds while the page is open.
  const timer = setInterval(() => { if (!document.hidden) load().catch(() => {}); }, 3000);
  ctx.onCleanup(() => clearInterval(timer));
}

export function cancelButton(job, done) {
  return h('button', {
    type: 'button', class: 'btn btn-sm', 'data-testid': 'job-cancel',
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        await api.post('/jobs/' + job.id + '/cancel', {});
        toast(t('jobs.cancelled', { id: job.id }), 'ok');
        await done();
      } catch (err) { toast(err.message); e.target.disabled = false; }
    },
  }, t('jobs.cancel'));
}

// The "new training job" form: a dataset version of one of the org's projects, a trainer that
// trains on its kind with its params (from GET /trainers), resources and priority.
async function newJobForm(orgId, ctx, done) {
  const [projects, trainersAnswer] = await Promise.all([
    api.list('/projects?sort=-id', 500).then((ps) => ps.filter((p) => p.org_id === Number(orgId))),
    api.get('/trainers', { signal: ctx.signal }),
  ]);
  const trainers = trainersAnswer.items || [];
  const project = h('select', { 'data-testid': 'job-project' },
    h('option', { value: '' }, t('jobs.pickProject')), projects.map((p) => h('option', { value: p.id }, p.name)));
  const dataset = h('select', { 'data-testid': 'job-dataset', required: true });
  const trainer = h('select', { 'data-testid': 'job-trainer' });
  const paramsBox = h('div', { class: 'grid-4', 'data-testid': 'job-params' });
  const num = (testid, value, min, max) => h('input', { type: 'number', min, max, step: 1, value, required: true, 'data-testid': testid });
  const cpus = num('job-cpus', 1, 1, 1024);
  const mem = num('job-mem', 1024, 16, 1048576);
  const gpus = num('job-gpus', 0, 0, 64);
  const priority = num('job-priority', 0, 0, 9);
  const paramInputs = {};

  const kindOf = () => (projects.find((p) => String(p.id) === project.value) || {}).kind;
  function drawTrainers() {
    const fits = trainers.filter((tr) => !kindOf() || tr.kinds.includes(kindOf()));
    replace(trainer, fits.map((tr) => h('option', { value: tr.name, title: tr.about }, tr.name)));
    drawParams();
  }
  function drawParams() {
    const tr = trainers.find((x) => x.name === trainer.value);
    for (const k of Object.keys(paramInputs)) delete paramInputs[k];
    replace(paramsBox, ((tr && tr.params) || []).map((p) => {
      const input = h('input', {
        type: 'number', min: p.min, max: p.max, step: p.integer ? 1 : 'any', value: p.default, 'data-testid': 'param-' + p.name,
      });
      paramInputs[p.name] = input;
      return field(p.name, input, p.about);
    }));
  }
  project.addEventListener('change', async () => {
    drawTrainers();
    replace(dataset);
    if (!project.value) return;
    try {
      const versions = await api.list('/projects/' + project.value + '/datasets?sort=-id', 200);
      replace(dataset, versions.map((d) => h('option', { value: d.id }, 'v' + d.version + ' · ' + t('jobs.rows', { n: fmtNumber(d.rows) }))));
      if (!versions.length) fieldError(dataset, t('jobs.noDatasets'));
      else fieldError(dataset, '');
    } catch (err) { toast(err.message); }
  });
  trainer.addEventListener('change', drawParams);
  drawTrainers();

  const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'job-submit' }, t('jobs.submit'));
  return h('details', { class: 'card', 'data-testid': 'job-form-box' },
    h('summary', null, h('strong', null, t('jobs.new'))),
    h('form', {
      novalidate: true, 'data-testid': 'job-form',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!dataset.value) { fieldError(dataset, t('jobs.noDatasets')); return; }
        const params = {};
        for (const [k, input] of Object.entries(paramInputs)) if (input.value !== '') params[k] = Number(input.value);
        const body = {
          dataset_id: Number(dataset.value), trainer: trainer.value, params,
          cpus: Number(cpus.value), mem_mb: Number(mem.value), gpus: Number(gpus.value), priority: Number(priority.value),
        };
        btn.disabled = true;
        try {
          const j = await api.post('/orgs/' + orgId + '/jobs', body);
          toast(t('jobs.queued', { id: j.id }), 'ok');
          await done();
        } catch (err) {
          if (!paramError(err, paramInputs) && !serverFieldError(err, { cpus, mem_mb: mem, gpus, priority })) toast(err.message);
        }
        btn.disabled = false;
      },
    },
    h('div', { class: 'grid-4' }, field(t('jobs.project'), project), field(t('jobs.dataset'), dataset), field(t('jobs.trainer'), trainer)),
    paramsBox,
    h('div', { class: 'grid-4' }, field(t('jobs.cpusLabel'), cpus), field(t('jobs.memLabel'), mem), field(t('jobs.gpusLabel'), gpus), field(t('jobs.priority'), priority)),
    h('div', { class: 'card-actions' }, btn)));
}

// A 400 naming a param ("params.C must be between ...") shown under that param's field.
function paramError(err, inputs) {
  const name = err.status === 400 && /^params\.(\w+)/.exec(err.serverMessage || '')?.[1];
  if (!name || !inputs[name]) return false;
  fieldError(inputs[name], err.serverMessage);
  inputs[name].focus();
  return true;
}

// /o/{org}/compare?runs=1,2,3: params and final metrics side by side, one row per run (a plain
// table: a thousand rows draw at once), and one metric's series overlaid.
export async function compareView(root, [orgId], ctx) {
  await orgGate(orgId);
  const ids = (new URLSearchParams(location.search).get('runs') || '').split(',').filter((x) => /^\d+$/.test(x)).slice(0, 1000);
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('compare.title')),
    h('a', { class: 'btn', href: '/o/' + orgId + '/jobs' }, t('jobs.backToQueue'))));
  if (!ids.length) { root.append(h('p', { class: 'muted' }, t('compare.none'))); return; }
  const { runs } = await api.get('/orgs/' + orgId + '/runs?compare=' + ids.join(','), { signal: ctx.signal });
  if (!ctx.alive) return;
  const keysOf = (field_) => [...new Set(runs.flatMap((r) => Object.keys(r[field_] || {})))].sort();
  const paramKeys = keysOf('params');
  const metricKeys = keysOf('final_metrics');
  const fmt = (v) => (typeof v === 'number' ? fmtNumber(v) : v == null ? '—' : String(v));
  root.append(h('section', { class: 'card table-card' }, table([
    { label: '#', cell: (r) => h('a', { href: '/jobs/' + r.id }, '#' + r.id) },
    { label: t('jobs.stateCol'), cell: (r) => stateBadge(r.state) },
    { label: t('jobs.trainer'), cell: (r) => r.trainer || t('jobs.custom') },
    { label: t('jobs.dataset'), cell: (r) => (r.dataset_id == null ? '—' : '#' + r.dataset_id) },
    ...paramKeys.map((k) => ({ label: k, num: true, cell: (r) => fmt((r.params || {})[k]) })),
    ...metricKeys.map((k) => ({ label: k, num: true, class: 'metric', cell: (r) => h('strong', null, fmt((r.final_metrics || {})[k])) })),
  ], runs, { testid: 'compare-table', attrs: (r) => ({ 'data-run-id': r.id }) })));

  if (!metricKeys.length) return;
  const metric = h('select', { 'data-testid': 'compare-metric' }, metricKeys.map((k) => h('option', { value: k }, k)));
  const chartBox = h('div', { class: 'chart-box', 'data-testid': 'compare-chart' });
  let chart = null;
  ctx.onCleanup(() => chart && chart.destroy());
  async function draw() {
    const shown = runs.slice(0, OVERLAY_MAX);
    const key = metric.value;
    const answers = await Promise.all(shown.map((r) => api.get('/jobs/' + r.id + '/metrics?key=' + encodeURIComponent(key), { signal: ctx.signal })
      .then((m) => ({ label: '#' + r.id, points: (m.series && m.series[key]) || [] }), () => ({ label: '#' + r.id, points: [] }))));
    if (!ctx.alive) return;
    const { metricChart } = await import('../mlcharts.js');
    if (chart) chart.destroy();
    replace(chartBox);
    chart = metricChart(chartBox, key, answers.filter((s) => s.points.length));
  }
  metric.addEventListener('change', () => draw().catch((e) => toast(e.message)));
  root.append(h('section', { class: 'card' }, h('h2', null, t('compare.chart')),
    runs.length > OVERLAY_MAX ? h('p', { class: 'muted small' }, t('compare.overlayMax', { n: OVERLAY_MAX })) : null,
    field(t('compare.metric'), metric), chartBox));
  await draw();
}
