// The task browser: every task of a project, filtered by state, worker, reviewer, label, round,
// gold or not, the item's text and the date of the last change, paged by cursor, newest or
// oldest first; open a task to see its item and every round's answer with the reviews between
// them; and, for managers, bulk actions on a selection (end the leases, take out of the work,
// change the priority, send approved work back for rework or to another reviewer with its pay
// reversed), each refused
// where the task's state does not allow it.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber } from '../i18n/index.js';
import { managesOrg, fullMe } from '../core.js';
import { field, badge } from '../widgets.js';
import { answerText } from './quality/common.js';
import { STATES } from './dashboard.js';
import { loadRounds, roundsView } from './rounds.js';

const FILTERS = ['state', 'worker_id', 'reviewer_id', 'label', 'round', 'gold', 'q', 'from', 'to', 'sort'];
const ACTIONS = ['release', 'discard', 'priority', 'reassign', 'rework', 'review_again'];

export async function tasksView(root, [pid], ctx) {
  const [project, me] = await Promise.all([api.get('/projects/' + pid, { signal: ctx.signal }), fullMe()]);
  if (!ctx.alive) return;
  const manager = managesOrg(me, project.org_id);
  const members = await api.list('/projects/' + pid + '/members', 1000).catch(() => []);
  if (!ctx.alive) return;
  const names = Object.fromEntries(members.map((m) => [m.user_id, m.username]));
  const person = (id) => (id ? names[id] || '#' + id : '—');

  const inputs = filterInputs(project, members);
  const params = new URLSearchParams(location.search);
  for (const k of FILTERS) if (params.has(k)) inputs[k].value = params.get(k);

  const listBox = h('section', { class: 'card table-card', 'data-testid': 'task-browser' });
  const detail = h('section', { class: 'card', 'data-testid': 'task-detail', hidden: true });
  const bulk = manager ? bulkBar(members) : null;
  root.append(
    h('div', { class: 'page-head' },
      h('div', null, h('h1', null, t('tasks.title')), h('p', { class: 'muted' }, project.name)),
      h('a', { class: 'btn', href: '/p/' + pid }, t('upload.toDashboard'))),
    h('form', {
      class: 'card filters', 'data-testid': 'task-filters',
      onsubmit: (e) => { e.preventDefault(); applyFilters(); },
    },
    h('div', { class: 'grid-4' },
      field(t('tasks.f.state'), inputs.state), field(t('tasks.f.worker'), inputs.worker_id),
      field(t('tasks.f.reviewer'), inputs.reviewer_id), field(t('tasks.f.label'), inputs.label),
      field(t('tasks.f.round'), inputs.round), field(t('tasks.f.gold'), inputs.gold),
      field(t('tasks.f.q'), inputs.q), field(t('tasks.f.sort'), inputs.sort),
      field(t('tasks.f.from'), inputs.from), field(t('tasks.f.to'), inputs.to)),
    h('div', { class: 'card-actions' },
      h('button', { type: 'button', class: 'btn', 'data-testid': 'filters-clear', onclick: () => { for (const k of FILTERS) inputs[k].value = ''; applyFilters(); } }, t('tasks.clear')),
      h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'filters-apply' }, t('tasks.apply')))),
    bulk ? bulk.el : null, listBox, detail);

  let cursor = null;
  let rows = [];
  const selected = new Set();

  function query() {
    const q = new URLSearchParams();
    for (const k of FILTERS) if (inputs[k].value !== '') q.set(k, inputs[k].value);
    return q;
  }

  function applyFilters() {
    const q = query().toString();
    history.replaceState(null, '', '/p/' + pid + '/tasks' + (q ? '?' + q : ''));
    load().catch(showError);
  }

  function showError(e) {
    if (e.name !== 'AbortError') replace(listBox, h('div', { class: 'error-box', role: 'alert', 'data-testid': 'task-browser-error' }, e.message));
  }

  async function page(from) {
    const q = query();
    q.set('limit', '50');
    if (from) q.set('cursor', from);
    return api.get('/projects/' + pid + '/tasks?' + q, { signal: ctx.signal });
  }

  async function load() {
    const first = await page(null);
    if (!ctx.alive) return;
    rows = first.items || [];
    cursor = first.next_cursor;
    selected.clear();
    draw();
  }

  async function more() {
    const next = await page(cursor);
    if (!ctx.alive) return;
    rows = rows.concat(next.items || []);
    cursor = next.next_cursor;
    draw();
  }

  function draw() {
    const all = manager ? h('input', {
      type: 'checkbox', 'aria-label': t('tasks.selectAll'), 'data-testid': 'select-all',
      checked: rows.length > 0 && rows.every((r) => selected.has(r.id)),
      onchange: (e) => { for (const r of rows) { if (e.target.checked) selected.add(r.id); else selected.delete(r.id); } draw(); },
    }) : null;
    replace(listBox,
      h('h2', null, t('tasks.list'), ' ', h('span', { class: 'count', 'data-testid': 'task-count' }, '(' + fmtNumber(rows.length) + (cursor ? '+' : '') + ')')),
      rows.length ? h('table', { class: 'table', 'data-testid': 'task-table' },
        h('thead', null, h('tr', null, manager ? h('th', null, all) : null, h('th', null, t('dash.task')), h('th', null, t('project.status')),
          h('th', null, t('tasks.f.worker')), h('th', null, t('tasks.f.reviewer')), h('th', { class: 'num' }, t('dash.round')),
          h('th', null, t('tasks.answer')), h('th', null, ''))),
        h('tbody', null, rows.map((r) => h('tr', { 'data-task-id': r.id, 'data-state': r.state },
          manager ? h('td', null, h('input', {
            type: 'checkbox', checked: selected.has(r.id), 'aria-label': t('tasks.select', { id: r.id }), 'data-testid': 'select-task',
            onchange: (e) => { if (e.target.checked) selected.add(r.id); else selected.delete(r.id); bulk.count(selected.size); },
          })) : null,
          h('td', null, '#' + r.id),
          h('td', null, badge(t('state.' + r.state), r.state)),
          h('td', null, person(r.worker_id)), h('td', null, person(r.reviewer_id)),
          h('td', { class: 'num' }, String(r.round ?? 0)),
          h('td', { class: 'small' }, answerText(r.annotation)),
          h('td', null, h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'open-task', onclick: () => open(r.id).catch((e) => toast(e.message)) }, t('tasks.open')))))))
        : h('p', { class: 'muted', 'data-testid': 'task-table-empty' }, t('tasks.none')),
      cursor ? h('div', { class: 'card-actions' }, h('button', { type: 'button', class: 'btn', 'data-testid': 'task-more', onclick: () => more().catch((e) => toast(e.message)) }, t('earnings.more'))) : null);
    if (bulk) bulk.count(selected.size);
  }

  // A task's item and every round, below the list.
  async function open(id) {
    const [task, rounds] = await Promise.all([api.get('/tasks/' + id, { signal: ctx.signal }), loadRounds(id, ctx.signal)]);
    if (!ctx.alive) return;
    detail.hidden = false;
    detail.dataset.taskId = String(id);
    const item = task.item || {};
    replace(detail,
      h('h2', null, t('tasks.detail', { id }), ' ', badge(t('state.' + task.state), task.state)),
      item.type === 'text' || item.text != null ? h('blockquote', { class: 'item-text', 'data-testid': 'detail-text' }, item.text || '')
        : h('img', { class: 'detail-image', src: api.taskAssetUrl(task.id), alt: t('tasks.image', { id: task.item_id }) }),
      roundsView(rounds, names),
      task.state === 'escalated' && manager ? h('div', { class: 'card-actions' }, h('a', { class: 'btn', href: '/tasks/' + id + '/resolve' }, t('dash.resolve'))) : null);
    detail.scrollIntoView({ block: 'nearest' });
  }

  function bulkBar(people) {
    const action = h('select', { 'data-testid': 'bulk-action', 'aria-label': t('tasks.bulkAction') },
      ACTIONS.map((a) => h('option', { value: a }, t('tasks.action.' + a))));
    const priority = h('input', { type: 'number', min: -1000000, max: 1000000, step: 1, value: '10', class: 'inline-input', 'data-testid': 'bulk-priority', 'aria-label': t('tasks.priority'), hidden: true });
    const worker = h('select', { 'data-testid': 'bulk-worker', 'aria-label': t('tasks.newWorker'), hidden: true },
      people.map((m) => h('option', { value: String(m.user_id) }, m.username)));
    const reason = h('input', { maxlength: 2000, class: 'inline-input', 'data-testid': 'bulk-reason', placeholder: t('tasks.reason'), 'aria-label': t('tasks.reason') });
    const label = h('span', { class: 'muted small', 'data-testid': 'bulk-count' });
    const go = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'bulk-apply', disabled: true }, t('tasks.applyBulk'));
    // "All N matching": the filter instead of a selection, counted by a dry run and confirmed
    // by a second press that names the count.
    let matching = null;
    const unconfirm = () => { matching = null; go.textContent = t('tasks.applyBulk'); go.disabled = !selected.size && !allMatching.checked; };
    const allMatching = h('input', { type: 'checkbox', 'data-testid': 'bulk-all-matching', onchange: unconfirm });
    const filterOf = () => { const q = query(); q.delete('sort'); return Object.fromEntries(q); };
    for (const el of [action, priority, worker]) el.addEventListener('change', unconfirm);
    action.addEventListener('change', () => {
      priority.hidden = action.value !== 'priority';
      worker.hidden = action.value !== 'reassign';
      // Undoing an approval (back for rework, or to another reviewer) takes the worker's pay
      // back: the worker and the next reviewer must learn why.
      reason.required = action.value === 'rework' || action.value === 'review_again';
    });
    const el = h('form', {
      class: 'card inline-form bulk-bar', 'data-testid': 'bulk-bar',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!selected.size && !allMatching.checked) return;
        const body = { action: action.value };
        if (allMatching.checked) body.filter = filterOf(); else body.task_ids = [...selected];
        if (action.value === 'priority') body.priority = Number(priority.value);
        if (action.value === 'reassign') body.worker_id = Number(worker.value);
        if (reason.value.trim()) body.reason = reason.value.trim();
        go.disabled = true;
        try {
          if (allMatching.checked && matching === null) {
            const dry = await api.post('/projects/' + pid + '/tasks/bulk', { ...body, dry_run: true });
            matching = dry.matching;
            el.dataset.matching = String(matching);
            go.textContent = t('tasks.confirmAll', { n: fmtNumber(matching) });
            go.disabled = !matching;
            return;
          }
          const r = await api.post('/projects/' + pid + '/tasks/bulk', body);
          allMatching.checked = false;
          unconfirm();
          const skipped = r.skipped || [];
          toast(t('tasks.bulkDone', { n: fmtNumber(r.changed), k: fmtNumber(skipped.length) }), skipped.length && !r.changed ? 'error' : 'ok');
          el.dataset.changed = String(r.changed);
          el.dataset.skipped = String(skipped.length);
          await load();
        } catch (err) { toast(err.message); unconfirm(); return; }
        go.disabled = !selected.size && !allMatching.checked;
      },
    }, label, h('label', { class: 'small' }, allMatching, ' ', t('tasks.allMatching')), action, priority, worker, reason, go);
    return {
      el,
      count(n) {
        label.textContent = t('tasks.selected', { n: fmtNumber(n) });
        if (matching !== null) unconfirm(); // the list changed: count again
        go.disabled = !n && !allMatching.checked;
      },
    };
  }

  // A first page refused (a worker's 403) is the page's answer: the router says so.
  await load();
}

function filterInputs(project, members) {
  const any = () => h('option', { value: '' }, t('tasks.any'));
  const people = (role) => members.filter((m) => !role || m.role === role).map((m) => h('option', { value: String(m.user_id) }, m.username));
  return {
    state: h('select', { 'data-testid': 'f-state' }, any(), STATES.map((s) => h('option', { value: s }, t('state.' + s)))),
    worker_id: h('select', { 'data-testid': 'f-worker' }, any(), people(null)),
    reviewer_id: h('select', { 'data-testid': 'f-reviewer' }, any(), people('reviewer')),
    label: h('select', { 'data-testid': 'f-label' }, any(), (project.labels || []).map((l) => h('option', { value: String(l) }, String(l)))),
    round: h('input', { type: 'number', min: 0, max: 1000, step: 1, 'data-testid': 'f-round' }),
    gold: h('select', { 'data-testid': 'f-gold' }, any(), h('option', { value: 'true' }, t('tasks.goldOnly')), h('option', { value: 'false' }, t('tasks.noGold'))),
    q: h('input', { type: 'search', maxlength: 200, 'data-testid': 'f-q' }),
    sort: h('select', { 'data-testid': 'f-sort' }, h('option', { value: '' }, t('tasks.oldest')), h('option', { value: '-id' }, t('tasks.newest'))),
    from: h('input', { type: 'date', 'data-testid': 'f-from' }),
    to: h('input', { type: 'date', 'data-testid': 'f-to' }),
  };
}
