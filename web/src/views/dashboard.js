// The project dashboard: progress by state, throughput, first-pass approval, workers,
// rejections, escalated tasks, members, and the export.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber, fmtPercent, fmtTime, fmtHour, fmtMoney } from '../i18n/index.js';
import { session, managesOrg, orgRole, fullMe } from '../core.js';
import { figure, MIN_SAMPLE } from '../widgets.js';
import { kindName } from './home.js';
import { templateText } from './taskview.js';

export const STATES = ['open', 'assigned', 'submitted', 'in_review', 'rework', 'approved', 'escalated', 'discarded'];
const STATUSES = ['open', 'paused', 'closed'];
const decided = (tasks) => ['approved', 'rework', 'escalated', 'discarded'].reduce((n, k) => n + (tasks[k] || 0), 0);

export async function dashboardView(root, [pid], ctx) {
  let chart = null;
  ctx.onCleanup(() => chart && chart.destroy());
  const project = await api.get('/projects/' + pid, { signal: ctx.signal });
  if (!ctx.alive) return;
  const me = await fullMe();
  const manager = managesOrg(me, project.org_id);
  const trains = manager || orgRole(me, project.org_id) === 'engineer';

  const statusBadge = h('span', { class: 'badge badge-status-' + project.status, 'data-testid': 'project-status' }, t('status.' + project.status));
  const statusBtns = manager ? STATUSES.map((s) => h('button', {
    type: 'button', class: 'btn btn-sm', disabled: project.status === s, 'data-status': s,
    onclick: async () => {
      try {
        const p = await api.patch('/projects/' + pid, { status: s });
        project.status = p.status;
        statusBadge.className = 'badge badge-status-' + p.status;
        statusBadge.textContent = t('status.' + p.status);
        for (const b of statusBtns) b.disabled = b.dataset.status === p.status;
      } catch (e) { toast(e.message); }
    },
  }, t('status.action.' + s))) : [];

  root.appendChild(h('div', { class: 'page-head' },
    h('div', null,
      h('h1', { 'data-testid': 'project-name' }, project.name),
      h('div', { class: 'project-meta' }, h('span', { class: 'badge badge-kind' }, kindName(project.kind)), statusBadge,
        h('span', { class: 'muted' }, t('home.pricePerTask'), ' ', fmtMoney(project.price, project.currency)),
        h('span', { class: 'muted' }, t('project.reviewerFee'), ' ', fmtMoney(project.reviewer_fee, project.currency)),
        h('span', { class: 'muted' }, project.review_policy === 'sample' ? t('create.policySample') + ' ' + fmtPercent(project.review_rate) : t('create.policyFull')))),
    h('div', { class: 'head-actions' },
      statusBtns.length ? h('div', { class: 'btn-group' }, statusBtns) : null,
      manager ? h('a', { class: 'btn', href: '/p/' + pid + '/upload', 'data-testid': 'to-upload' }, t('dash.upload')) : null,
      manager ? h('a', { class: 'btn', href: '/p/' + pid + '/settings', 'data-testid': 'to-settings' }, t('settings.link')) : null,
      h('a', { class: 'btn', href: '/p/' + pid + '/tasks', 'data-testid': 'to-tasks' }, t('tasks.link')),
      h('a', { class: 'btn', href: '/p/' + pid + '/datasets', 'data-testid': 'to-datasets' }, t('datasets.link')),
      trains ? h('a', { class: 'btn', href: '/p/' + pid + '/pipeline', 'data-testid': 'to-pipeline' }, t('pipeline.link')) : null,
      h('a', { class: 'btn', href: '/p/' + pid + '/quality', 'data-testid': 'to-quality' }, t('quality.title')),
      exportControl(pid, project.kind, ctx),
      manager ? h('a', { class: 'btn', href: '/p/' + pid + '/review' }, t('home.review')) : null,
      manager ? h('a', { class: 'btn btn-primary', href: '/p/' + pid + '/label' }, t('home.start')) : null)));

  const figs = h('section', { class: 'figures', 'data-testid': 'dash-figures' });
  const stateBox = h('section', { class: 'card' });
  const chartBox = h('section', { class: 'card' });
  const workersBox = h('section', { class: 'card table-card' });
  const rejectBox = h('section', { class: 'card' });
  const escBox = h('section', { class: 'card' });
  const membersBox = h('section', { class: 'card' });
  const preBox = h('section', { class: 'card', 'data-testid': 'preannotation-stats' });
  root.append(figs, stateBox, h('div', { class: 'grid-2' }, chartBox, escBox), preBox, workersBox, rejectBox, membersBox);

  let names = {};
  async function load(withMembers) {
    const [stats, rework, escalated, members] = await Promise.all([
      api.get('/projects/' + pid + '/stats', { signal: ctx.signal }),
      // Rejected tasks: waiting for rework, or back with the worker, or reworked and waiting
      // for the next review; each still carries its last rejection.
      Promise.all(['rework', 'assigned', 'submitted', 'in_review'].map((st) =>
        api.get('/projects/' + pid + '/tasks?state=' + st + '&sort=-id&limit=50', { signal: ctx.signal })))
        .then((pages) => ({
          items: pages.flatMap((pg) => pg.items || []).filter((x) => x.last_rejection)
            .sort((a, b) => String(b.last_rejection.at).localeCompare(String(a.last_rejection.at))).slice(0, 20),
        })),
      api.get('/projects/' + pid + '/tasks?state=escalated&sort=-id&limit=50', { signal: ctx.signal }),
      withMembers ? api.list('/projects/' + pid + '/members', 1000).catch(() => []) : null,
    ]);
    if (!ctx.alive) return;
    if (members) names = Object.fromEntries(members.map((m) => [m.user_id, m.username]));
    for (const w of stats.workers || []) names[w.user_id] = names[w.user_id] || w.username;
    drawFigures(stats);
    drawStates(stats);
    await drawChart(stats);
    drawPreannotation(stats.preannotation);
    drawWorkers(stats);
    drawRework(rework.items || [], names);
    drawEscalated(escalated.items || [], names);
    if (members) drawMembers(members);
  }

  function drawFigures(s) {
    const tasks = s.tasks || {};
    replace(figs,
      figure('items', t('dash.items'), fmtNumber(s.items)),
      figure('total_tasks', t('dash.tasks'), fmtNumber(s.total_tasks)),
      figure('approved', t('state.approved'), fmtNumber(tasks.approved || 0)),
      figure('done', t('dash.done'), s.total_tasks ? fmtPercent(((tasks.approved || 0) + (tasks.discarded || 0)) / s.total_tasks) : '—'),
      // The rate's own denominator (tasks with a decision) is not in the answer; the tasks
      // decided now bound it, enough to tell a rate of a handful from one of many.
      figure('first_pass', t('dash.firstPass'), decided(tasks) < MIN_SAMPLE && s.first_pass_approval_rate != null
        ? h('span', { class: 'too-few', 'data-sample': 'small', title: t('figure.tooFewHint', { min: MIN_SAMPLE }) }, fmtPercent(s.first_pass_approval_rate), ' · ', t('figure.tooLittle'))
        : fmtPercent(s.first_pass_approval_rate)),
      figure('last_hour', t('dash.lastHour'), fmtNumber(s.approved_last_hour)),
      figure('reviews', t('dash.reviews'), fmtNumber(s.reviews)));
  }
  // What the model's suggestions save: time per task with and without one, and how often the
  // worker changed it. Hidden until a task with a suggestion was submitted.
  function drawPreannotation(p) {
    if (!p || !(p.with && p.with.tasks) && !(p.accepted + p.changed)) {
      preBox.hidden = true;
      return;
    }
    preBox.hidden = false;
    const secs = (x) => x == null ? '—' : t('dash.seconds', { n: fmtNumber(Math.round(x * 10) / 10) });
    const row = (key, d) => h('tr', { 'data-row': key },
      h('th', null, t('dash.pre.' + key)), h('td', { class: 'num' }, fmtNumber(d.tasks)),
      h('td', { class: 'num' }, secs(d.mean_seconds)), h('td', { class: 'num' }, secs(d.median_seconds)));
    replace(preBox, h('h2', null, t('dash.pre.title')),
      h('table', { class: 'table' },
        h('thead', null, h('tr', null, h('th', null, ''), h('th', null, t('dash.tasks')),
          h('th', null, t('dash.pre.mean')), h('th', null, t('dash.pre.median')))),
        h('tbody', null, row('with', p.with), row('without', p.without))),
      h('p', { 'data-testid': 'preannotation-changed' }, t('dash.pre.changed', {
        accepted: fmtNumber(p.accepted), changed: fmtNumber(p.changed),
        rate: p.changed_rate == null ? '—' : fmtPercent(p.changed_rate) })));
  }
  function drawStates(s) {
    const tasks = s.tasks || {};
    const total = STATES.reduce((n, k) => n + (tasks[k] || 0), 0) || 1;
    // Done: approved or discarded, of all tasks.
    const done = (tasks.approved || 0) + (tasks.discarded || 0);
    const all = s.total_tasks || 0;
    replace(stateBox,
      h('div', { class: 'project-progress', 'data-testid': 'project-progress', 'data-done': String(done), 'data-total': String(all) },
        h('progress', { max: all || 1, value: done, 'aria-label': t('dash.done') }),
        h('span', { class: 'progress-text' }, all ? t('dash.doneOf', { done: fmtNumber(done), total: fmtNumber(all), pct: fmtPercent(done / all) }) : t('dash.noTasks'))),
      h('h2', null, t('dash.progress')),
      h('div', { class: 'statebar', role: 'img', 'aria-label': t('dash.progress') },
        STATES.filter((k) => tasks[k]).map((k) => h('div', { class: 'seg seg-' + k, style: { flexGrow: String(tasks[k] / total) }, title: t('state.' + k) + ': ' + tasks[k] }))),
      h('ul', { class: 'legend', 'data-testid': 'state-counts' }, STATES.map((k) => h('li', { 'data-state': k },
        h('span', { class: 'dot seg-' + k }), t('state.' + k), ' ', h('strong', { class: 'count' }, fmtNumber(tasks[k] || 0))))));
  }
  async function drawChart(s) {
    const series = s.approved_per_hour || [];
    const labels = series.map((x) => fmtHour(x.hour));
    const values = series.map((x) => x.approved);
    chartBox.dataset.total = String(values.reduce((a, b) => a + b, 0));
    if (chart) {
      chart.data.labels = labels;
      chart.data.datasets[0].data = values;
      chart.update('none');
      return;
    }
    const canvas = h('canvas', { 'aria-label': t('dash.throughput'), role: 'img' });
    replace(chartBox, h('h2', null, t('dash.throughput')), h('div', { class: 'chart-wrap', 'data-testid': 'throughput' }, canvas));
    const { barChart } = await import('../charts.js');
    if (!ctx.alive || !canvas.isConnected) return;
    chart = barChart(canvas, labels, values, t('dash.approvedPerHour'));
  }
  function drawWorkers(s) {
    const rows = s.workers || [];
    replace(workersBox, h('h2', null, t('dash.workers')), rows.length ? h('table', { class: 'table', 'data-testid': 'workers-table' },
      h('thead', null, h('tr', null, h('th', null, t('dash.worker')), h('th', { class: 'num' }, t('dash.submitted')),
        h('th', { class: 'num' }, t('state.approved')), h('th', { class: 'num' }, t('dash.rejected')),
        h('th', { class: 'num' }, t('dash.firstPassCol')), h('th', { class: 'num' }, t('dash.reviewsDone')))),
      h('tbody', null, rows.map((w) => h('tr', { 'data-user-id': w.user_id },
        h('td', null, w.username || '#' + w.user_id),
        h('td', { class: 'num' }, fmtNumber(w.submitted)),
        h('td', { class: 'num' }, fmtNumber(w.approved)),
        h('td', { class: 'num' }, fmtNumber(w.rejected)),
        h('td', { class: 'num' }, fmtNumber(w.first_pass_approved)),
        h('td', { class: 'num' }, fmtNumber(w.reviews_done)))))) : h('p', { class: 'muted' }, t('dash.noWorkers')));
  }
  function reasonOf(task) {
    const r = task.last_rejection;
    if (!r) return null;
    return h('span', null, r.reason_template ? h('span', { class: 'badge badge-reject' }, templateText(r.reason_template)) : null, ' ', r.reason);
  }
  function drawRework(items, names) {
    replace(rejectBox, h('h2', null, t('dash.rejections')), items.length ? h('table', { class: 'table', 'data-testid': 'rejections' },
      h('thead', null, h('tr', null, h('th', null, t('dash.task')), h('th', null, t('dash.worker')), h('th', null, t('dash.round')),
        h('th', null, t('project.status')), h('th', null, t('label.reason')), h('th', null, t('dash.when')))),
      h('tbody', null, items.map((x) => h('tr', { 'data-task-id': x.id, 'data-state': x.state },
        h('td', null, '#' + x.id), h('td', null, names[x.worker_id] || '#' + x.worker_id), h('td', null, String(x.round ?? '')),
        h('td', null, h('span', { class: 'badge badge-' + x.state }, t('state.' + x.state))),
        h('td', { class: 'reason-cell' }, reasonOf(x)), h('td', { class: 'muted' }, fmtTime(x.last_rejection && x.last_rejection.at))))))
      : h('p', { class: 'muted' }, t('dash.noRejections')));
  }
  function drawEscalated(items, names) {
    replace(escBox, h('h2', null, t('dash.escalated'), ' ', h('span', { class: 'count' }, '(' + items.length + ')')),
      items.length ? h('ul', { class: 'esc-list', 'data-testid': 'escalated' }, items.map((x) => h('li', { 'data-task-id': x.id },
        h('div', null, h('strong', null, '#' + x.id), ' ', h('span', { class: 'muted small' }, names[x.worker_id] || '#' + x.worker_id, ' · ', t('dash.round'), ' ', String(x.round ?? ''))),
        h('div', { class: 'small' }, reasonOf(x)),
        manager ? h('a', { class: 'btn btn-sm', href: '/tasks/' + x.id + '/resolve', 'data-testid': 'resolve-link' }, t('dash.resolve')) : null)))
        : h('p', { class: 'muted' }, t('dash.noEscalated')));
  }
  // Removing a member ends their leases here (the tasks go back to the queues); asked twice.
  function removeButton(m) {
    const btn = h('button', {
      type: 'button', class: 'btn btn-sm btn-ghost', 'data-testid': 'member-remove',
      onclick: async () => {
        if (btn.dataset.confirm !== 'yes') {
          btn.dataset.confirm = 'yes';
          btn.textContent = t('dash.removeSure', { name: m.username });
          return;
        }
        btn.disabled = true;
        try {
          await api.request('DELETE', '/projects/' + pid + '/members/' + m.user_id);
          toast(t('dash.removed', { name: m.username }), 'ok');
          drawMembers(await api.list('/projects/' + pid + '/members', 1000));
        } catch (err) { toast(err.message); btn.disabled = false; }
      },
    }, t('dash.remove'));
    return btn;
  }
  function drawMembers(members) {
    const user = h('input', { placeholder: t('admin.username'), 'data-testid': 'invite-username', required: true });
    const role = h('select', { 'data-testid': 'invite-role' }, h('option', { value: 'worker' }, t('role.worker')), h('option', { value: 'reviewer' }, t('role.reviewer')));
    const form = manager ? h('form', {
      class: 'inline-form', 'data-testid': 'invite-form',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!user.value.trim()) return;
        try {
          await api.post('/projects/' + pid + '/members', { username: user.value.trim(), role: role.value });
          toast(t('dash.invited', { name: user.value.trim() }), 'ok');
          drawMembers(await api.list('/projects/' + pid + '/members', 1000));
        } catch (err) { toast(err.message); }
      },
    }, user, role, h('button', { type: 'submit', class: 'btn btn-primary' }, t('dash.invite'))) : null;
    replace(membersBox, h('h2', null, t('dash.members'), ' ', h('span', { class: 'count' }, '(' + members.length + ')')),
      form,
      members.length ? h('table', { class: 'table', 'data-testid': 'members' },
        h('tbody', null, members.map((m) => h('tr', { 'data-user-id': m.user_id }, h('td', null, m.username), h('td', null, t('role.' + m.role)),
          manager ? h('td', { class: 'num' }, removeButton(m)) : null))))
        : h('p', { class: 'muted' }, t('dash.noMembers')));
  }

  await load(true);
  const timer = setInterval(() => { if (!document.hidden) load(false).catch(() => {}); }, 15000);
  ctx.onCleanup(() => clearInterval(timer));
}

// The export link, in JSONL until the server's list of formats (GET /formats) arrives; then a
// choice of the formats that can hold this kind of project.
export function exportControl(pid, kind, ctx, base = '/api/v1/projects/' + pid + '/export') {
  const link = h('a', { class: 'btn', 'data-testid': 'export' });
  const choose = (f) => {
    link.href = base + '?format=' + encodeURIComponent(f.name);
    link.download = 'project-' + pid + '.' + f.extension;
    link.title = f.description || '';
    link.textContent = t('dash.export', { format: f.name.toUpperCase() });
  };
  choose({ name: 'jsonl', extension: 'jsonl' });
  const box = h('span', { class: 'btn-group export-control' }, link);
  api.formats().then((all) => {
    const list = api.exportFormatsFor(all.exports, kind);
    if (!ctx.alive || !list.length) return;
    const pick = h('select', {
      class: 'inline-input', 'aria-label': t('dash.exportFormat'), 'data-testid': 'export-format',
      onchange: () => choose(list.find((f) => f.name === pick.value)),
    }, list.map((f) => h('option', { value: f.name, title: f.description || '', selected: f.name === 'jsonl' }, f.name.toUpperCase())));
    choose(list.find((f) => f.name === pick.value));
    box.prepend(pick);
  }, () => {});
  return box;
}
