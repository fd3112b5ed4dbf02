// Serving: an org's endpoints (deploy one with its traffic split and shadow), an endpoint's page
// (its targets, switching them, its requests, errors and latency, its keys and their usage per
// day), the playground (a text or an image asked of the endpoint with the member's session, the
// answer drawn: labels with scores, or OCR lines with their boxes over the image; then marked
// correct or wrong) and the feedback inbox (recent predictions given feedback or sent to the
// crowd, and the items they became). The org's owners and engineers, and admins, come here, as
// to Training.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t, fmtNumber, fmtTime } from '../i18n/index.js';
import { fullMe, trainsAnyOrg, noAccess, navigate } from '../core.js';
import { field, figure, table, badge } from '../widgets.js';
import { orgGate, trainingTabs, trainingOrgs } from './training.js';

// Images the playground sends: the predict route's body is at most 1 MiB of base64.
const PLAYGROUND_IMAGE_MAX = 700 * 1024;
// Predictions the inbox reads, newest first: the server lists only those with feedback or an
// item (inbox=1), however many predictions without came after them.
const INBOX_READ = 500;

// "ocr", "langid", "sentiment:production", "version #7": what a target serves, for people.
export function targetText(tg) {
  if (tg.service) return tg.service;
  if (tg.model) return tg.model + ':' + (tg.alias || 'production');
  return t('serving.versionId', { id: tg.model_version_id ?? '?' });
}

// /serving: the one org's endpoints, or a pick of orgs.
export async function servingHomeView(root, _args, ctx) {
  const me = await fullMe();
  if (!trainsAnyOrg(me)) throw noAccess();
  const orgs = await trainingOrgs(me);
  if (!ctx.alive) return;
  if (orgs.length === 1) { navigate('/o/' + orgs[0].id + '/endpoints', { replace: true }); return; }
  root.append(h('div', { class: 'page-head' }, h('h1', null, t('serving.title'))),
    h('section', { class: 'card' }, orgs.length ? h('ul', { class: 'plain-list' }, orgs.map((o) => h('li', null,
      h('a', { href: '/o/' + o.id + '/endpoints', 'data-testid': 'serving-org' }, o.name || '#' + o.id)))) : h('p', { class: 'muted' }, t('jobs.noOrgs'))));
}

// One target's picker: a built-in service, or a registered model by alias or version number.
// value() resolves to the target (without weight), or throws with what is wrong.
function targetPicker(orgId, models, testid, { optional = false } = {}) {
  const kind = h('select', { 'data-testid': testid + '-kind', 'aria-label': t('serving.target') },
    optional ? h('option', { value: '' }, t('serving.noTarget')) : null,
    h('option', { value: 'ocr' }, t('serving.service.ocr')),
    h('option', { value: 'langid' }, t('serving.service.langid')),
    models.length ? h('option', { value: 'model' }, t('serving.model')) : null);
  const model = h('select', { 'data-testid': testid + '-model', 'aria-label': t('serving.model') },
    models.map((m) => h('option', { value: m.id }, m.name)));
  const ref = h('input', { 'data-testid': testid + '-ref', value: 'production', maxlength: 64, size: 12, 'aria-label': t('serving.aliasOrVersion') });
  const modelFields = h('span', { class: 'inline-form', hidden: true }, model, ref);
  kind.addEventListener('change', () => { modelFields.hidden = kind.value !== 'model'; });
  async function value() {
    if (!kind.value) return null;
    if (kind.value !== 'model') return { service: kind.value };
    const m = models.find((x) => String(x.id) === model.value);
    const word = ref.value.trim();
    if (!/^\d+$/.test(word)) return { model: m.name, alias: word || 'production' };
    const versions = await api.get('/models/' + m.id + '/versions');
    const v = (versions.items || []).find((x) => x.version === Number(word));
    if (!v) throw new Error(t('serving.noSuchVersion', { name: m.name, v: word }));
    return { model_version_id: v.id };
  }
  return { el: h('span', { class: 'inline-form' }, kind, modelFields), value, kind };
}

// The targets, split and shadow form: deploy (orgId, no endpoint) or switch an endpoint.
function targetsForm(orgId, models, endpoint, done) {
  const name = endpoint ? null : h('input', {
    required: true, maxlength: 63, pattern: '[a-z][a-z0-9\\-]*', placeholder: 'ocr', 'data-testid': 'endpoint-name',
  });
  const main = targetPicker(orgId, models, 'target-main');
  const canary = targetPicker(orgId, models, 'target-canary', { optional: true });
  const shadow = targetPicker(orgId, models, 'target-shadow', { optional: true });
  const weight = h('input', { type: 'number', min: 0, max: 100, value: 10, size: 4, 'data-testid': 'canary-weight', 'aria-label': t('serving.canaryWeight') });
  const submit = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': endpoint ? 'endpoint-switch' : 'endpoint-deploy' },
    t(endpoint ? 'serving.switch' : 'serving.deploy'));
  const form = h('form', {
    class: 'stack', 'data-testid': endpoint ? 'switch-form' : 'deploy-form',
    onsubmit: async (e) => {
      e.preventDefault();
      submit.disabled = true;
      try {
        const body = await bodyOf();
        const saved = endpoint ? await api.patch('/endpoints/' + endpoint.id, body)
          : await api.post('/orgs/' + orgId + '/endpoints', body);
        toast(t('serving.deployed', { name: saved.name, rev: saved.revision }), 'ok');
        await done(saved);
      } catch (err) { toast(err.message); } finally { submit.disabled = false; }
    },
  }, name ? field(t('serving.name'), name, t('serving.nameHint')) : null,
  field(t('serving.target'), main.el),
  h('div', { class: 'inline-form' }, field(t('serving.canary'), canary.el), field(t('serving.canaryWeight'), weight)),
  field(t('serving.shadow'), shadow.el, t('serving.shadowHint')),
  h('div', { class: 'card-actions' }, submit));

  async function bodyOf() {
    const first = await main.value();
    const second = await canary.value();
    const copy = await shadow.value();
    const w = Math.max(0, Math.min(100, Math.round(Number(weight.value) || 0)));
    const targets = second ? [{ ...first, weight: 100 - w }, { ...second, weight: w }] : [first];
    const body = { name: endpoint ? endpoint.name : name.value.trim(), targets, shadow: copy };
    return body;
  }
  return form;
}

// /o/{org}/endpoints
export async function endpointsView(root, [orgId], ctx) {
  await orgGate(orgId);
  const [endpoints, models] = await Promise.all([
    api.list('/orgs/' + orgId + '/endpoints', 1000), api.list('/orgs/' + orgId + '/models', 1000)]);
  if (!ctx.alive) return;
  root.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('serving.title')), h('p', { class: 'muted' }, t('serving.hint')))),
    trainingTabs(orgId, 'serving.title'),
    h('section', { class: 'card', 'data-testid': 'endpoints-list' }, table([
      { label: t('serving.name'), cell: (e) => h('a', { href: '/endpoints/' + e.id, 'data-testid': 'endpoint-link' }, e.name) },
      { label: t('serving.state'), cell: (e) => badge(t('serving.state.' + e.state), e.state === 'active' ? 'status-open' : 'status-paused') },
      { label: t('serving.targets'), cell: (e) => splitText(e) },
      { label: t('serving.revision'), num: true, cell: (e) => String(e.revision) },
      { label: t('common.created'), cell: (e) => h('span', { class: 'muted small' }, fmtTime(e.created_at)) },
    ], endpoints, { testid: 'endpoints-table', attrs: (e) => ({ 'data-endpoint': e.name }), empty: t('serving.none') })),
    h('section', { class: 'card' }, h('h2', null, t('serving.new')),
      targetsForm(orgId, models, null, (saved) => navigate('/endpoints/' + saved.id))));
}

// "ocr 90% · sentiment:production 10% · shadow langid"
function splitText(e) {
  const parts = (e.targets || []).map((tg) => targetText(tg) + ' ' + tg.weight + '%');
  if (e.shadow) parts.push(t('serving.shadowOf', { target: targetText(e.shadow) }));
  return parts.join(' · ');
}

function endpointTabs(e, active) {
  const tab = (href, key, testid) => h('a', { href, class: 'btn btn-sm' + (active === key ? ' btn-primary' : ''), 'data-testid': testid }, t(key));
  return h('div', { class: 'card-actions' },
    tab('/o/' + e.org_id + '/endpoints', 'serving.all', 'tab-endpoints'),
    tab('/endpoints/' + e.id, 'serving.overview', 'tab-endpoint'),
    tab('/endpoints/' + e.id + '/playground', 'serving.playground', 'tab-playground'),
    tab('/endpoints/' + e.id + '/feedback', 'serving.inbox', 'tab-inbox'));
}

async function endpointOf(id, ctx) {
  if (!trainsAnyOrg(await fullMe())) throw noAccess();
  const e = await api.get('/endpoints/' + id, { signal: ctx.signal });
  document.title = e.name + ' · crowdloop';
  return e;
}

// /endpoints/{id}
export async function endpointView(root, [id], ctx) {
  const e = await endpointOf(id, ctx);
  const models = await api.list('/orgs/' + e.org_id + '/models', 1000).catch(() => []);
  if (!ctx.alive) return;
  const targetsBox = h('section', { class: 'card', 'data-testid': 'endpoint-targets' });
  const statsBox = h('section', { class: 'card', 'data-testid': 'endpoint-stats' });
  const keysBox = h('section', { class: 'card', 'data-testid': 'endpoint-keys' });
  const usageBox = h('section', { class: 'card table-card', 'data-testid': 'endpoint-usage' });
  root.append(h('div', { class: 'page-head' }, h('h1', null, e.name)), endpointTabs(e, 'serving.overview'),
    targetsBox, statsBox, keysBox, usageBox);
  let chart = null;
  ctx.onCleanup(() => chart && chart.destroy());

  function drawTargets(ep) {
    replace(targetsBox, h('h2', null, t('serving.targets')),
      h('p', null, badge(t('serving.state.' + ep.state), ep.state === 'active' ? 'status-open' : 'status-paused'), ' ',
        h('span', { class: 'muted' }, t('serving.revisionN', { rev: ep.revision }))),
      table([
        { label: t('serving.target'), cell: (tg) => targetText(tg) },
        { label: t('serving.split'), num: true, cell: (tg) => (tg.weight == null ? t('serving.shadow') : tg.weight + '%') },
      ], [...ep.targets, ...(ep.shadow ? [ep.shadow] : [])], { testid: 'targets-table' }),
      h('details', null, h('summary', { 'data-testid': 'switch-open' }, t('serving.switchTitle')),
        targetsForm(ep.org_id, models, ep, async (saved) => { drawTargets(saved); })));
  }

  async function drawStats() {
    const st = await api.get('/endpoints/' + id + '/stats', { signal: ctx.signal });
    if (!ctx.alive) return;
    const mean = st.requests ? (st.seconds / st.requests) * 1000 : null;
    const canvas = h('canvas', { 'aria-label': t('serving.latency'), role: 'img' });
    replace(statsBox, h('h2', null, t('serving.traffic')),
      h('div', { class: 'figures' },
        figure('requests', t('serving.requests'), h('span', { 'data-testid': 'stat-requests' }, fmtNumber(st.requests))),
        figure('errors', t('serving.errors'), h('span', { 'data-testid': 'stat-errors' }, fmtNumber(st.errors))),
        figure('mean', t('serving.meanLatency'), mean == null ? '—' : mean.toFixed(1) + ' ms')),
      h('h3', null, t('serving.latency')),
      st.requests ? h('div', { class: 'chart-wrap', 'data-testid': 'latency-chart' }, canvas) : h('p', { class: 'muted' }, t('serving.noTraffic')),
      h('p', { class: 'muted small' }, t('serving.sinceStart')));
    if (!st.requests) return;
    // The cumulative buckets as counts per bucket.
    const labels = st.latency.map((b) => (b.le === '+Inf' ? '> ' + fmtMs(st.latency[st.latency.length - 2].le) : '≤ ' + fmtMs(b.le)));
    const counts = st.latency.map((b, i) => b.count - (i ? st.latency[i - 1].count : 0));
    const { barChart } = await import('../charts.js');
    if (!ctx.alive || !canvas.isConnected) return;
    if (chart) chart.destroy();
    chart = barChart(canvas, labels, counts, t('serving.requests'));
  }

  async function drawKeys() {
    const keys = await api.list('/endpoints/' + id + '/keys', 1000);
    if (!ctx.alive) return;
    const name = h('input', { required: true, maxlength: 100, 'data-testid': 'key-name', placeholder: 'customer-a' });
    const rate = h('input', { type: 'number', min: 0.01, max: 100000, step: 'any', value: 10, size: 6, 'data-testid': 'key-rate' });
    const shown = h('div', { 'data-testid': 'key-shown-box' });
    const form = h('form', {
      class: 'inline-form', 'data-testid': 'key-form',
      onsubmit: async (ev) => {
        ev.preventDefault();
        try {
          const k = await api.post('/endpoints/' + id + '/keys', { name: name.value.trim(), rate_limit: Number(rate.value) });
          await drawKeys();
          keysBox.append(h('div', { class: 'notice', role: 'status', 'data-testid': 'key-once' },
            h('p', null, t('serving.keyOnce')), h('code', { 'data-testid': 'key-shown' }, k.key)));
        } catch (err) { toast(err.message); }
      },
    }, field(t('serving.keyName'), name), field(t('serving.keyRate'), rate),
    h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'key-create' }, t('serving.keyCreate')));
    replace(keysBox, h('h2', null, t('serving.keys')), form, shown, table([
      { label: t('serving.keyName'), cell: (k) => k.name },
      { label: t('serving.keyPrefix'), cell: (k) => h('code', null, k.prefix + '…') },
      { label: t('serving.keyRate'), num: true, cell: (k) => fmtNumber(k.rate_limit) + '/s' },
      { label: t('serving.state'), cell: (k) => (k.revoked_at ? badge(t('serving.revoked'), 'reject') : badge(t('serving.live'), 'approved')) },
      { label: t('common.created'), cell: (k) => h('span', { class: 'muted small' }, fmtTime(k.created_at)) },
      { label: '', cell: (k) => (k.revoked_at ? null : h('button', {
        type: 'button', class: 'btn btn-sm', 'data-testid': 'key-revoke',
        onclick: async (ev) => {
          // The first click arms the button, the second revokes: a revoked key cannot come back.
          if (ev.target.dataset.armed !== '1') {
            ev.target.dataset.armed = '1';
            ev.target.textContent = t('serving.revokeConfirm', { name: k.name });
            return;
          }
          ev.target.disabled = true;
          try {
            await api.request('DELETE', '/endpoints/' + id + '/keys/' + k.id);
            toast(t('serving.keyRevoked', { name: k.name }), 'ok');
            await drawKeys();
          } catch (err) { toast(err.message); ev.target.disabled = false; }
        },
      }, t('serving.revoke'))) },
    ], keys.sort((a, b) => b.id - a.id), { testid: 'keys-table', attrs: (k) => ({ 'data-key': k.name, 'data-revoked': k.revoked_at ? '1' : '0' }), empty: t('serving.noKeys') }));
  }

  async function drawUsage() {
    const u = await api.get('/endpoints/' + id + '/usage', { signal: ctx.signal });
    if (!ctx.alive) return;
    replace(usageBox, h('h2', null, t('serving.usage')), table([
      { label: t('serving.day'), cell: (r) => r.day },
      { label: t('serving.keyName'), cell: (r) => r.key_name },
      { label: t('serving.requests'), num: true, cell: (r) => fmtNumber(r.requests) },
      { label: t('serving.errors'), num: true, cell: (r) => fmtNumber(r.errors) },
    ], u.usage || [], { testid: 'usage-table', empty: t('serving.noUsage') }));
  }

  drawTargets(e);
  await Promise.all([drawStats(), drawKeys(), drawUsage()]);
}

const fmtMs = (s) => (s < 1 ? (s * 1000).toFixed(s < 0.01 ? 1 : 0) + ' ms' : s + ' s');

// The answer of one input, drawn: OCR lines (with boxes over the image, when there is one),
// labels with scores, or the JSON as text. Every string of it goes in as text, never HTML.
export function answerView(output, imageUrl) {
  if (output && Array.isArray(output.lines)) return ocrView(output.lines, imageUrl);
  if (output && output.scores && typeof output.scores === 'object') return scoresView(output);
  return h('pre', { class: 'small', 'data-testid': 'answer-json' }, JSON.stringify(output, null, 2));
}

function scoresView(output) {
  const rows = Object.entries(output.scores).sort((a, b) => b[1] - a[1]).slice(0, 10);
  const top = output.label ?? (output.labels && output.labels[0]) ?? (rows[0] && rows[0][0]);
  return h('div', { 'data-testid': 'answer-scores' },
    h('p', null, t('serving.answerLabel'), ' ', h('strong', { 'data-testid': 'answer-label' }, String(top ?? '—'))),
    table([
      { label: t('serving.label'), cell: ([l]) => l },
      { label: t('serving.score'), num: true, cell: ([, s]) => h('span', null, h('span', { class: 'score-bar', style: 'width:' + Math.round(s * 60) + 'px' }), ' ', s.toFixed(3)) },
    ], rows, { testid: 'scores-table' }));
}

function ocrView(lines, imageUrl) {
  const figureBox = imageUrl ? h('div', { class: 'ocr-figure', 'data-testid': 'ocr-figure' }) : null;
  if (imageUrl) {
    const img = h('img', { src: imageUrl, alt: t('serving.yourImage') });
    figureBox.append(img);
    img.addEventListener('load', () => {
      const w = img.naturalWidth || 1;
      const hh = img.naturalHeight || 1;
      for (const l of lines) {
        const [x, y, bw, bh] = l.box || [0, 0, 0, 0];
        figureBox.append(h('div', {
          class: 'ocr-box', 'data-testid': 'ocr-box', title: l.text,
          style: `left:${(100 * x) / w}%;top:${(100 * y) / hh}%;width:${(100 * bw) / w}%;height:${(100 * bh) / hh}%`,
        }));
      }
    });
  }
  return h('div', { 'data-testid': 'answer-ocr' }, figureBox, lines.length ? table([
    { label: t('serving.line'), cell: (l) => h('span', { 'data-testid': 'ocr-line' }, l.text) },
    { label: t('serving.confidence'), num: true, cell: (l) => (typeof l.confidence === 'number' ? (l.confidence * 100).toFixed(0) + '%' : '—') },
    { label: t('serving.box'), cell: (l) => h('code', { class: 'small' }, (l.box || []).join(', ')) },
  ], lines, { testid: 'ocr-lines' }) : h('p', { class: 'muted' }, t('serving.noLines')));
}

// A file's bytes as base64, without the data: URL's prefix.
function fileBase64(file) {
  return new Promise((resolve, reject) => {
    const rd = new FileReader();
    rd.onload = () => resolve(String(rd.result).replace(/^data:[^,]*,/, ''));
    rd.onerror = () => reject(rd.error);
    rd.readAsDataURL(file);
  });
}

// /endpoints/{id}/playground
export async function playgroundView(root, [id], ctx) {
  const e = await endpointOf(id, ctx);
  if (!ctx.alive) return;
  let image = null; // { file, url }
  const text = h('textarea', { rows: 4, maxlength: 100000, 'data-testid': 'play-text', placeholder: t('serving.typeText') });
  const picked = h('span', { class: 'muted small', 'data-testid': 'play-picked' });
  const fileInput = h('input', { type: 'file', accept: 'image/*', 'data-testid': 'play-file', 'aria-label': t('serving.dropImage') });
  const drop = h('div', { class: 'dropzone', 'data-testid': 'play-drop', tabindex: 0 }, t('serving.dropImage'), ' ', fileInput, ' ', picked);
  const answerBox = h('section', { class: 'card', 'data-testid': 'play-answer', hidden: true });
  const ask = h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'play-ask' }, t('serving.ask'));
  const setImage = (file) => {
    if (!file) return;
    if (file.size > PLAYGROUND_IMAGE_MAX) { toast(t('serving.imageTooBig')); return; }
    if (image) URL.revokeObjectURL(image.url);
    image = { file, url: URL.createObjectURL(file) };
    picked.textContent = file.name;
  };
  ctx.onCleanup(() => image && URL.revokeObjectURL(image.url));
  fileInput.addEventListener('change', () => setImage(fileInput.files[0]));
  drop.addEventListener('dragover', (ev) => { ev.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (ev) => { ev.preventDefault(); drop.classList.remove('over'); setImage(ev.dataTransfer.files[0]); });
  const form = h('form', {
    class: 'stack', 'data-testid': 'play-form',
    onsubmit: async (ev) => {
      ev.preventDefault();
      const input = image ? { image_bytes_b64: await fileBase64(image.file) } : { text: text.value };
      if (!image && !text.value.trim()) { toast(t('serving.nothingToAsk')); return; }
      ask.disabled = true;
      try {
        const r = await api.post('/endpoints/' + encodeURIComponent(e.name) + '/predict', { inputs: [input] });
        const p = r.predictions[0];
        answerBox.hidden = false;
        replace(answerBox, h('h2', null, t('serving.answer')),
          h('p', { class: 'muted small', 'data-testid': 'play-meta' }, t('serving.answerMeta', { id: p.id, target: p.target, rev: r.revision })),
          answerView(p.output, image ? image.url : null), feedbackButtons(e, p.id));
      } catch (err) { toast(err.message); } finally { ask.disabled = false; }
    },
  }, field(t('serving.text'), text), drop,
  h('div', { class: 'card-actions' }, ask,
    h('button', { type: 'button', class: 'btn', onclick: () => { if (image) URL.revokeObjectURL(image.url); image = null; picked.textContent = ''; fileInput.value = ''; } }, t('serving.clearImage'))));
  root.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('serving.playgroundOf', { name: e.name })), h('p', { class: 'muted' }, t('serving.playgroundHint')))),
    endpointTabs(e, 'serving.playground'), h('section', { class: 'card' }, form), answerBox);
}

// "Correct" and "Wrong" under one playground answer: a click posts the feedback with the
// member's session and disables both; what the server answers (the item the prediction became,
// or why none was made) is shown as text, or its error, and the buttons then work again.
function feedbackButtons(e, predictionId) {
  const said = h('span', { class: 'muted small', role: 'status', 'data-testid': 'play-feedback-said' });
  const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'play-feedback-error' });
  const send = async (correct) => {
    right.disabled = true;
    wrong.disabled = true;
    try {
      const r = await api.post('/endpoints/' + encodeURIComponent(e.name) + '/feedback', { prediction_id: predictionId, correct });
      replace(said, t('serving.feedbackRecorded'),
        r.item ? ' · ' + t('serving.feedbackItem', { id: r.item.id }) : r.no_item ? ' · ' + r.no_item : null);
    } catch (err) {
      // Not recorded: the caller may try again.
      replace(error, err.message);
      right.disabled = false;
      wrong.disabled = false;
    }
  };
  const right = h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'play-correct', onclick: () => send(true) }, t('serving.feedbackCorrect'));
  const wrong = h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'play-wrong', onclick: () => send(false) }, t('serving.feedbackWrong'));
  return h('div', { 'data-testid': 'play-feedback', 'data-prediction': predictionId },
    h('div', { class: 'card-actions' }, said, right, wrong), error);
}

// /endpoints/{id}/feedback: predictions with feedback or sent to the crowd, newest first.
export async function inboxView(root, [id], ctx) {
  const e = await endpointOf(id, ctx);
  const rows = await api.list('/endpoints/' + id + '/predictions?inbox=1&sort=-id', INBOX_READ);
  if (!ctx.alive) return;
  const project = e.feedback && e.feedback.project_id;
  root.append(h('div', { class: 'page-head' }, h('div', null, h('h1', null, t('serving.inboxOf', { name: e.name })), h('p', { class: 'muted' }, t('serving.inboxHint', { n: INBOX_READ })))),
    endpointTabs(e, 'serving.inbox'),
    project ? h('p', null, t('serving.loopProject'), ' ', h('a', { href: '/p/' + project + '/tasks', 'data-testid': 'inbox-project' }, '#' + project)) : h('p', { class: 'muted' }, t('serving.noLoop')),
    h('section', { class: 'card table-card' }, table([
      { label: '#', cell: (p) => String(p.id) },
      { label: t('serving.when'), cell: (p) => h('span', { class: 'muted small' }, fmtTime(p.created_at)) },
      { label: t('serving.answer'), cell: (p) => h('span', { class: 'small' }, summary(p.output)) },
      { label: t('serving.feedback'), cell: (p) => feedbackCell(p.feedback) },
      { label: t('serving.item'), cell: (p) => (p.item ? h('span', null, project ? h('a', { href: '/p/' + project + '/tasks', 'data-testid': 'inbox-item' }, '#' + p.item.id) : '#' + p.item.id, ' ', badge(t('serving.reason.' + p.item.reason))) : '—') },
    ], rows, { testid: 'inbox-table', attrs: (p) => ({ 'data-prediction': p.id }), empty: t('serving.inboxEmpty') })));
}

function feedbackCell(fb) {
  if (!fb) return '—';
  return h('span', null, badge(t(fb.correct ? 'serving.correct' : 'serving.wrong'), fb.correct ? 'approved' : 'reject'),
    fb.comment ? h('span', { class: 'muted small' }, ' ' + fb.comment) : null,
    fb.correction != null ? h('code', { class: 'small' }, ' ' + JSON.stringify(fb.correction).slice(0, 120)) : null);
}

// One line of an answer: the label, the OCR lines' text, or its JSON cut short.
function summary(output) {
  if (!output) return '—';
  if (Array.isArray(output.lines)) return output.lines.map((l) => l.text).join(' / ').slice(0, 160);
  if (output.label != null) return String(output.label);
  if (Array.isArray(output.labels)) return output.labels.join(', ');
  return JSON.stringify(output).slice(0, 160);
}
