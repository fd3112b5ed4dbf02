// The model registry: an org's models, and a model's versions with their evaluation and
// lineage (run -> dataset version -> project -> the approved annotations, their workers and
// reviewers, their audited quality), its aliases with their history, and moving an alias.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber, fmtTime } from '../i18n/index.js';
import { fullMe, trainsAnyOrg, noAccess, navigate } from '../core.js';
import { field, table, badge } from '../widgets.js';
import { orgGate, trainingTabs } from './training.js';
import { evaluationView } from './job.js';

const pct = (x) => (typeof x === 'number' ? (x * 100).toFixed(1) + '%' : '—');

// /o/{org}/models
export async function modelsView(root, [orgId], ctx) {
  await orgGate(orgId);
  const models = await api.list('/orgs/' + orgId + '/models', 1000);
  if (!ctx.alive) return;
  const name = h('input', { required: true, maxlength: 64, pattern: '[A-Za-z0-9_.\\-]+', 'data-testid': 'model-name', placeholder: 'sentiment' });
  const create = h('form', {
    class: 'inline-form', 'data-testid': 'model-form',
    onsubmit: async (e) => {
      e.preventDefault();
      try {
        const m = await api.post('/orgs/' + orgId + '/models', { name: name.value.trim() });
        navigate('/models/' + m.id);
      } catch (err) { toast(err.message); }
    },
  }, field(t('models.name'), name), h('button', { type: 'submit', class: 'btn btn-primary' }, t('models.create')));
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('models.title'))),
    trainingTabs(orgId, 'models.title'),
    h('section', { class: 'card' }, h('h2', null, t('models.new')), create),
    h('section', { class: 'card table-card' }, table([
      { label: t('models.name'), cell: (m) => h('a', { href: '/models/' + m.id, 'data-testid': 'model-link' }, m.name) },
      { label: t('models.latest'), num: true, cell: (m) => (m.latest_version ? 'v' + m.latest_version : '—') },
      { label: t('common.created'), cell: (m) => h('span', { class: 'muted small' }, fmtTime(m.created_at)) },
    ], models, { testid: 'models-table', empty: t('models.none') })));
}

// /models/{id}
export async function modelView(root, [modelId], ctx) {
  if (!trainsAnyOrg(await fullMe())) throw noAccess();
  const model = await api.get('/models/' + modelId, { signal: ctx.signal });
  if (!ctx.alive) return;
  document.title = model.name + ' · crowdloop';
  const versionsBox = h('section', { class: 'card table-card', 'data-testid': 'model-versions' });
  const aliasesBox = h('section', { class: 'card', 'data-testid': 'model-aliases' });
  const detailBox = h('section', { class: 'card', 'data-testid': 'version-detail', hidden: true });
  root.append(h('div', { class: 'page-head' }, h('h1', null, model.name),
    h('a', { class: 'btn', href: '/o/' + model.org_id + '/models' }, t('models.backToList'))),
  trainingTabs(model.org_id, ''), aliasesBox, versionsBox, detailBox);

  let versions = [];
  async function load() {
    const [vs, al] = await Promise.all([
      api.get('/models/' + modelId + '/versions', { signal: ctx.signal }),
      api.get('/models/' + modelId + '/aliases', { signal: ctx.signal }),
    ]);
    if (!ctx.alive) return;
    versions = (vs.items || []).sort((a, b) => b.version - a.version);
    drawVersions(al.aliases || {});
    drawAliases(al);
  }

  function drawVersions(aliases) {
    const aliasesOf = (v) => Object.entries(aliases).filter(([, n]) => n === v.version).map(([a]) => a);
    const picked = new Set();
    const compareBtn = h('button', {
      type: 'button', class: 'btn btn-sm', 'data-testid': 'compare-versions',
      onclick: () => {
        const jobs = versions.filter((v) => picked.has(v.version)).map((v) => v.job_id);
        if (jobs.length < 2) { toast(t('models.pickTwo')); return; }
        navigate('/o/' + model.org_id + '/compare?runs=' + jobs.slice(0, 1000).join(','));
      },
    }, t('models.compare'));
    replace(versionsBox, h('h2', null, t('models.versions')), versions.length > 1 ? compareBtn : null, table([
      { label: '', cell: (v) => h('input', { type: 'checkbox', 'aria-label': 'v' + v.version, onchange: (e) => (e.target.checked ? picked.add(v.version) : picked.delete(v.version)) }) },
      { label: t('models.version'), cell: (v) => h('button', { type: 'button', class: 'btn btn-ghost btn-sm', 'data-testid': 'version-open', onclick: () => drawDetail(v) }, 'v' + v.version) },
      { label: t('models.aliases'), cell: (v) => aliasesOf(v).map((a) => badge(a, 'kind')) },
      { label: t('job.accuracy'), num: true, cell: (v) => pct(v.evaluation && v.evaluation.accuracy) },
      { label: t('job.macroF1'), num: true, cell: (v) => pct(v.evaluation && v.evaluation.macro_f1) },
      { label: t('models.run'), cell: (v) => h('a', { href: '/jobs/' + v.job_id }, '#' + v.job_id) },
      { label: t('models.dataset'), cell: (v) => datasetText(v.lineage) },
      { label: t('models.approved'), num: true, cell: (v) => fmtNumber((v.lineage || {}).approved_annotations) },
      { label: t('common.created'), cell: (v) => h('span', { class: 'muted small' }, fmtTime(v.created_at)) },
    ], versions, { testid: 'versions-table', attrs: (v) => ({ 'data-version': v.version }), empty: t('models.noVersions') }));
  }

  function drawDetail(v) {
    detailBox.hidden = false;
    replace(detailBox, h('h2', null, t('models.versionTitle', { name: model.name, v: v.version })),
      h('h3', null, t('models.lineage')), lineageView(v.lineage || {}),
      v.evaluation ? h('h3', null, t('job.evaluation')) : null, v.evaluation ? evaluationView(v.evaluation) : null);
    detailBox.scrollIntoView({ block: 'nearest' });
  }

  function drawAliases(al) {
    const names = Object.keys(al.aliases || {}).sort();
    const alias = h('input', { required: true, maxlength: 64, list: 'alias-names', 'data-testid': 'alias-name', value: names[0] || 'production' });
    const version = h('select', { 'data-testid': 'alias-version' }, versions.map((v) => h('option', { value: v.version }, 'v' + v.version)));
    const form = h('form', {
      class: 'inline-form', 'data-testid': 'alias-form',
      onsubmit: async (e) => {
        e.preventDefault();
        if (!version.value) { toast(t('models.noVersions')); return; }
        try {
          const moved = await api.post('/models/' + modelId + '/aliases', { name: alias.value.trim(), version: Number(version.value) });
          toast(t('models.moved', { alias: moved.alias, v: moved.to_version }), 'ok');
          await load();
        } catch (err) { toast(err.message); }
      },
    }, field(t('models.alias'), alias), h('datalist', { id: 'alias-names' }, ['staging', 'production', ...names].map((n) => h('option', { value: n }))),
    field(t('models.version'), version), h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'alias-submit' }, t('models.move')));
    replace(aliasesBox, h('h2', null, t('models.aliases')),
      h('div', { class: 'figures', 'data-testid': 'alias-current' }, names.length
        ? names.map((n) => h('div', { class: 'figure', 'data-alias': n }, h('div', { class: 'figure-value' }, 'v' + al.aliases[n]), h('div', { class: 'figure-label' }, n)))
        : h('p', { class: 'muted' }, t('models.noAliases'))),
      form,
      (al.events || []).length ? h('details', null, h('summary', null, t('models.history')), table([
        { label: t('models.alias'), cell: (e) => e.alias },
        { label: t('models.move'), cell: (e) => (e.from_version == null ? '—' : 'v' + e.from_version) + ' → v' + e.to_version },
        { label: t('models.who'), cell: (e) => e.actor || '#' + e.actor_id },
        { label: t('models.when'), cell: (e) => h('span', { class: 'muted small' }, fmtTime(e.at)) },
      ], [...al.events].reverse(), { testid: 'alias-events' })) : null);
  }

  await load();
}

function datasetText(lin) {
  const d = (lin && lin.dataset) || {};
  return d.id == null ? '—' : ((lin.project && lin.project.name) || '') + ' v' + (d.version ?? '?');
}

// The chain from the version back to the people: run, dataset version, project, annotations.
export function lineageView(lin) {
  const d = lin.dataset || {};
  const p = lin.project || {};
  const step = (key, label, value) => h('li', { 'data-lineage': key }, h('span', { class: 'muted' }, label + ': '), value);
  return h('ol', { class: 'lineage', 'data-testid': 'lineage' },
    step('run', t('models.run'), h('a', { href: '/jobs/' + lin.job_id }, '#' + lin.job_id), ' ', lin.trainer || (lin.command || []).join(' ')),
    step('dataset', t('models.dataset'), d.id == null ? '—' : 'v' + d.version + ' · ' + t('jobs.rows', { n: fmtNumber(d.rows) }) +
      (d.content_hash ? ' · ' + String(d.content_hash).slice(0, 12) : '')),
    step('project', t('jobs.project'), p.id == null ? '—' : h('a', { href: '/p/' + p.id }, p.name || '#' + p.id)),
    step('annotations', t('models.approved'), h('span', { 'data-testid': 'lineage-approved' }, fmtNumber(lin.approved_annotations))),
    step('people', t('models.people'), t('models.workersReviewers', { w: fmtNumber(lin.workers), r: fmtNumber(lin.reviewers) })),
    step('quality', t('models.audited'), lin.audited_quality == null ? t('models.notAudited')
      : t('models.auditedQuality', { q: pct(lin.audited_quality), n: fmtNumber(lin.audited) })));
}
