// A project's datasets: the live project's export, dataset versions (made with their split,
// listed with their counts, compared two at a time) and each version's export, in every format
// the server has for the project's kind (GET /formats), with the rows a download will hold said
// before it starts.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber, fmtTime } from '../i18n/index.js';
import { managesOrg, orgRole, fullMe } from '../core.js';
import { figure, field, fieldError, table } from '../widgets.js';
import { answerText } from './quality/common.js';
import { kindName } from './home.js';

const SPLITS = ['train', 'validation', 'test'];
// Until the server's list comes (or when it cannot), the two formats every kind has.
const BASIC_FORMATS = [
  { name: 'jsonl', extension: 'jsonl', content_type: 'application/x-ndjson' },
  { name: 'csv', extension: 'csv', content_type: 'text/csv' },
];
const isZip = (f) => /zip/.test(f.content_type || '');

export async function datasetsView(root, [pid], ctx) {
  const [project, me] = await Promise.all([api.get('/projects/' + pid, { signal: ctx.signal }), fullMe()]);
  if (!ctx.alive) return;
  const [stats, formats] = await Promise.all([
    api.get('/projects/' + pid + '/stats', { signal: ctx.signal }),
    api.formats().then((f) => api.exportFormatsFor(f.exports, project.kind), () => []),
  ]);
  if (!ctx.alive) return;
  const list = formats.length ? formats : BASIC_FORMATS;
  const canCreate = me.is_admin || managesOrg(me, project.org_id) || orgRole(me, project.org_id) === 'engineer';

  root.appendChild(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('datasets.title')), h('p', { class: 'muted' }, project.name, ' · ', kindName(project.kind))),
    h('a', { class: 'btn', href: '/p/' + pid }, t('upload.toDashboard'))));

  const versionsBox = h('section', { class: 'card table-card', 'data-testid': 'dataset-versions' });
  const diffBox = h('section', { class: 'card', 'data-testid': 'dataset-diff', hidden: true });
  root.append(liveExport(project, stats, list, ctx), canCreate ? createForm(pid, ctx, () => load()) : null, versionsBox, diffBox);

  async function load() {
    const versions = await api.list('/projects/' + pid + '/datasets?sort=-id', 1000);
    if (!ctx.alive) return;
    drawVersions(versions);
  }

  function drawVersions(versions) {
    const splitRows = (d, s) => fmtNumber((d.counts && d.counts[s] && d.counts[s].rows) || 0);
    replace(versionsBox, h('h2', null, t('datasets.versions'), ' ', h('span', { class: 'count' }, '(' + fmtNumber(versions.length) + ')')),
      versions.length >= 2 ? diffForm(versions) : null,
      table([
        { label: t('datasets.version'), cell: (d) => h('strong', null, 'v' + d.version) },
        { label: t('common.created'), cell: (d) => h('span', { class: 'muted' }, fmtTime(d.created_at)) },
        { label: t('datasets.rows'), num: true, cell: (d) => h('span', { 'data-testid': 'dataset-rows' }, fmtNumber(d.rows)) },
        { label: t('dash.items'), num: true, cell: (d) => fmtNumber(d.items) },
        { label: t('datasets.split'), cell: (d) => h('span', { class: 'small', 'data-testid': 'dataset-split' }, SPLITS.map((s) => t('datasets.' + s) + ' ' + splitRows(d, s)).join(' · ')) },
        { label: t('datasets.labels'), cell: (d) => h('span', { class: 'small' }, Object.entries((d.counts && d.counts.labels) || {}).map(([l, n]) => l + ' ' + fmtNumber(n)).join(', ')) },
        { label: t('datasets.note'), cell: (d) => d.note || '' },
        { label: t('datasets.hash'), cell: (d) => h('code', { class: 'small', title: d.content_hash }, String(d.content_hash || '').slice(0, 12)) },
        { label: t('datasets.export'), cell: (d) => exportPicker(list, '/api/v1/datasets/' + d.id + '/export', 'dataset-' + project.id + '-v' + d.version, d.rows, 'dataset-export') },
      ], versions, { testid: 'dataset-table', attrs: (d) => ({ 'data-dataset-id': d.id, 'data-version': d.version }), empty: t('datasets.none') }));
  }

  function diffForm(versions) {
    const pick = (testid, sel) => h('select', { 'data-testid': testid, 'aria-label': t('datasets.version') },
      versions.map((d, i) => h('option', { value: d.id, selected: i === sel }, 'v' + d.version)));
    const from = pick('diff-from', 1);
    const to = pick('diff-to', 0);
    return h('form', {
      class: 'inline-form', 'data-testid': 'diff-form',
      onsubmit: async (e) => {
        e.preventDefault();
        if (from.value === to.value) { toast(t('datasets.diffSame')); return; }
        try {
          const d = await api.get('/datasets/' + to.value + '/diff?against=' + from.value + '&limit=200', { signal: ctx.signal });
          const name = (id) => 'v' + versions.find((v) => String(v.id) === String(id)).version;
          drawDiff(d, name(from.value), name(to.value));
        } catch (err) { if (err.name !== 'AbortError') toast(err.message); }
      },
    }, h('span', null, t('datasets.compare')), from, h('span', null, '→'), to, h('button', { type: 'submit', class: 'btn' }, t('datasets.diff')));
  }

  function drawDiff(d, fromName, toName) {
    const rows = [
      ...d.added.map((r) => ({ ...r, change: 'added' })),
      ...d.removed.map((r) => ({ ...r, change: 'removed' })),
      ...d.changed.map((r) => ({ ...r, change: 'changed' })),
    ];
    const splitText = (r) => (r.split_before || r.split_after ? (r.split_before || '—') + ' → ' + (r.split_after || '—') : '');
    diffBox.hidden = false;
    replace(diffBox, h('h2', null, t('datasets.diffTitle', { from: fromName, to: toName })),
      h('div', { class: 'figures', 'data-testid': 'diff-counts' },
        figure('added', t('datasets.added'), fmtNumber(d.counts.added)),
        figure('removed', t('datasets.removed'), fmtNumber(d.counts.removed)),
        figure('changed', t('datasets.changed'), fmtNumber(d.counts.changed))),
      d.truncated ? h('p', { class: 'muted small' }, t('datasets.truncated', { n: fmtNumber(rows.length) })) : null,
      table([
        { label: t('datasets.change'), cell: (r) => h('span', { class: 'badge badge-diff-' + r.change }, t('datasets.' + r.change)) },
        { label: t('dash.task'), cell: (r) => '#' + r.task_id + (r.slot ? ' / ' + r.slot : '') },
        { label: t('datasets.item'), cell: (r) => '#' + r.item_id },
        { label: t('datasets.before'), cell: (r) => (r.change === 'changed' ? answerText(r.before) : '') },
        { label: t('datasets.after'), cell: (r) => (r.change === 'changed' ? answerText(r.after) : '') },
        { label: t('datasets.split'), cell: splitText },
      ], rows, { testid: 'diff-table', attrs: (r) => ({ 'data-change': r.change, 'data-task-id': r.task_id }), empty: t('datasets.noChanges') }));
  }

  await load();
}

// What an export leaves out and why, from the server's count (GET .../export/summary).
function leftOutLine(summary, testid) {
  const parts = (summary.left_out || []).map((x) => t('datasets.left.' + x.reason, { n: fmtNumber(x.tasks) }));
  return h('p', { class: 'small left-out', 'data-testid': testid, hidden: !parts.length }, parts.join(' '));
}

function summaryOf(pid, query, ctx) {
  return api.get('/projects/' + pid + '/export/summary?' + query, { signal: ctx.signal });
}

// The live project's export: format, which answers, images; the rows it will hold and what it
// leaves out, as the server counts them.
function liveExport(project, stats, list, ctx) {
  const approved = (stats.tasks && stats.tasks.approved) || 0;
  const overlap = (project.overlap || 1) > 1;
  const answers = h('select', { 'data-testid': 'live-answers', 'aria-label': t('datasets.answers') },
    h('option', { value: 'consolidated' }, t('datasets.consolidated')), h('option', { value: 'all' }, t('datasets.allAnswers')));
  const summaries = {};
  const which = () => (overlap ? answers.value : 'consolidated');
  // Until the server's count comes: one row per approved task, or with overlap (consolidated)
  // one per finished item, which only the server knows.
  const rowsFor = () => (summaries[which()] ? summaries[which()].rows : overlap && answers.value === 'consolidated' ? null : approved);
  const picker = exportPicker(list, '/api/v1/projects/' + project.id + '/export', 'project-' + project.id, rowsFor(), 'live-export',
    () => (overlap ? '&answers=' + answers.value : ''), rowsFor);
  const count = h('p', { class: 'muted', 'data-testid': 'live-count' }, overlap
    ? t('datasets.liveOverlap', { n: fmtNumber(approved), k: fmtNumber(project.overlap) })
    : t('datasets.liveRows', { n: fmtNumber(approved) }));
  let left = leftOutLine({}, 'live-left-out');
  async function update() {
    const key = which();
    summaries[key] = summaries[key] || await summaryOf(project.id, 'answers=' + key, ctx);
    if (!ctx.alive || key !== which()) return;
    const s = summaries[key];
    count.textContent = t('datasets.summary', { rows: fmtNumber(s.rows), approved: fmtNumber(s.approved) });
    count.dataset.rows = String(s.rows);
    const next = leftOutLine(s, 'live-left-out');
    left.replaceWith(next);
    left = next;
    picker.refresh();
  }
  answers.addEventListener('change', () => { picker.refresh(); update().catch(() => {}); });
  update().catch(() => {});
  return h('section', { class: 'card', 'data-testid': 'live-project' },
    h('h2', null, t('datasets.live')), count, left,
    h('div', { class: 'inline-form' }, overlap ? answers : null, picker));
}

// A format choice and a download link that names the rows it will hold. rows: a number, or
// null when the server alone knows; extra() adds query parameters; rowsNow() reads the rows
// again when refresh() is called.
function exportPicker(list, base, stem, rows, testid, extra = () => '', rowsNow = () => rows) {
  const select = h('select', { 'data-testid': testid + '-format', 'aria-label': t('dash.exportFormat') },
    list.map((f) => h('option', { value: f.name, title: f.description || '' }, f.name.toUpperCase())));
  const images = h('input', { type: 'checkbox', checked: true, 'data-testid': testid + '-images' });
  const imagesRow = h('label', { class: 'check' }, images, ' ', t('datasets.images'));
  const link = h('a', { class: 'btn btn-sm', 'data-testid': testid });
  function refresh() {
    const f = list.find((x) => x.name === select.value) || list[0];
    const n = rowsNow();
    imagesRow.hidden = !isZip(f);
    link.href = base + '?format=' + encodeURIComponent(f.name) + (isZip(f) && !images.checked ? '&images=false' : '') + extra();
    link.download = stem + '.' + (f.extension || f.name).replace(/^\./, '');
    link.dataset.rows = n == null ? '' : String(n);
    link.textContent = n == null ? t('datasets.downloadFinished', { format: f.name.toUpperCase() })
      : t('datasets.download', { format: f.name.toUpperCase(), n: fmtNumber(n) });
    link.title = n === 0 ? t('datasets.emptyHint') : f.description || '';
    link.classList.toggle('btn-empty', n === 0);
  }
  select.addEventListener('change', refresh);
  images.addEventListener('change', refresh);
  refresh();
  const box = h('span', { class: 'export-picker' }, select, imagesRow, link);
  box.refresh = refresh;
  return box;
}

// A new version: the split's shares in percent (summing to 100) and a note; the rows it will
// hold and what it leaves out said before it is made.
function createForm(pid, ctx, done) {
  const preview = h('p', { class: 'muted small', 'data-testid': 'dataset-preview' });
  let left = leftOutLine({}, 'dataset-left-out');
  const showPreview = () => summaryOf(pid, 'for=dataset', ctx).then((s) => {
    if (!ctx.alive) return;
    preview.textContent = t('datasets.preview', { n: fmtNumber(s.rows) });
    preview.dataset.rows = String(s.rows);
    const next = leftOutLine(s, 'dataset-left-out');
    left.replaceWith(next);
    left = next;
  }, () => {});
  showPreview();
  const inputs = Object.fromEntries(SPLITS.map((s, i) => [s, h('input', {
    type: 'number', min: 0, max: 100, step: 'any', required: true, value: ['80', '10', '10'][i], class: 'split-input', 'data-testid': 'split-' + s,
  })]));
  const note = h('input', { maxlength: 500, 'data-testid': 'dataset-note', placeholder: t('datasets.notePlaceholder') });
  const btn = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'dataset-create' }, t('datasets.create'));
  const form = h('form', {
    class: 'card', novalidate: true, 'data-testid': 'dataset-form',
    onsubmit: async (e) => {
      e.preventDefault();
      const v = Object.fromEntries(SPLITS.map((s) => [s, Number(inputs[s].value)]));
      const bad = SPLITS.find((s) => inputs[s].value === '' || !(v[s] >= 0 && v[s] <= 100));
      for (const s of SPLITS) fieldError(inputs[s], '');
      if (bad) { fieldError(inputs[bad], t('form.range', { min: 0, max: 100 })); inputs[bad].focus(); return; }
      const sum = SPLITS.reduce((a, s) => a + v[s], 0);
      if (Math.abs(sum - 100) > 1e-6) { fieldError(inputs.test, t('datasets.splitSum', { sum: fmtNumber(sum) })); inputs.test.focus(); return; }
      btn.disabled = true;
      try {
        const body = { split: Object.fromEntries(SPLITS.map((s) => [s, v[s] / 100])) };
        if (note.value.trim()) body.note = note.value.trim();
        const d = await api.post('/projects/' + pid + '/datasets', body);
        toast(t('datasets.created', { v: d.version, n: fmtNumber(d.rows) }), 'ok');
        note.value = '';
        await done();
        showPreview();
      } catch (err) { toast(err.message); }
      btn.disabled = false;
    },
  },
  h('h2', null, t('datasets.new')),
  h('p', { class: 'muted small' }, t('datasets.newHint')),
  preview, left,
  h('div', { class: 'grid-4' }, SPLITS.map((s) => field(t('datasets.' + s) + ' (%)', inputs[s])), field(t('datasets.note'), note)),
  h('div', { class: 'card-actions' }, btn));
  return form;
}
