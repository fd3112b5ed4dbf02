// Browser-test harness: starts a real `crowdloop serve` on a free port with a fresh data
// directory (as tests/e2e/harness.py does), creates users and projects over the API, and
// launches Debian's chromium through playwright-core. Node's standard library only, plus
// playwright-core resolved from web/node_modules.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync, unlinkSync, openSync, readFileSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import net from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { deflateSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '..', '..');
export const BIN = process.env.CROWDLOOP_BIN || path.join(ROOT, 'build', 'crowdloop');
export const SCREENSHOTS = process.env.CROWDLOOP_SCREENSHOTS || '';

// playwright-core lives in web/node_modules whatever the working directory is.
const requireWeb = createRequire(path.join(ROOT, 'web', 'package.json'));
export const { chromium } = requireWeb('playwright-core');

export const token = (n = 3) => randomBytes(n).toString('hex');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export class Client {
  constructor(base, tok = null) {
    this.base = base;
    this.token = tok;
  }

  async request(method, p, body, headers = {}) {
    const h = { ...headers };
    if (this.token && !h.Authorization) h.Authorization = 'Bearer ' + this.token;
    let data = body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Uint8Array) && !(body instanceof FormData)) {
      data = JSON.stringify(body);
      h['Content-Type'] = h['Content-Type'] || 'application/json';
    }
    const r = await fetch(this.base + p, { method, headers: h, body: data });
    const text = await r.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch { /* not JSON */ }
    return { status: r.status, headers: r.headers, text, json };
  }

  get(p, headers) { return this.request('GET', p, undefined, headers); }
  post(p, body, headers) { return this.request('POST', p, body, headers); }
  patch(p, body, headers) { return this.request('PATCH', p, body, headers); }

  async ok(method, p, body, want = [200, 201, 204]) {
    const r = await this.request(method, p, body);
    if (!want.includes(r.status)) throw new Error(`${method} ${p} -> ${r.status} ${r.text.slice(0, 300)}`);
    return r.json;
  }
}

export class Server {
  constructor({ extraArgs = [] } = {}) {
    this.dataDir = mkdtempSync(path.join(tmpdir(), 'crowdloop-ui-'));
    this.extraArgs = extraArgs;
    this.adminPassword = token(12);
    this.logPath = path.join(this.dataDir, 'server.log');
    this.proc = null;
  }

  get base() { return 'http://127.0.0.1:' + this.port; }

  createAdmin(username = 'admin') {
    const pw = path.join(this.dataDir, 'admin.pw');
    writeFileSync(pw, this.adminPassword + '\n', { mode: 0o600 });
    const r = spawnSync(BIN, ['admin', 'create', '--data', this.dataDir, '--username', username, '--password-file', pw], { encoding: 'utf8' });
    unlinkSync(pw);
    if (r.status !== 0) throw new Error('admin create failed: ' + r.stderr + r.stdout);
  }

  async start() {
    this.port = await freePort();
    const log = openSync(this.logPath, 'a');
    this.proc = spawn(BIN, ['serve', '--data', this.dataDir, '--listen', '127.0.0.1:' + this.port, ...this.extraArgs],
      { stdio: ['ignore', log, log] });
    closeSync(log);
    let exited = null;
    this.proc.on('exit', (code) => { exited = code; });
    const deadline = Date.now() + 30000;
    while (Date.now() < deadline) {
      if (exited !== null) throw new Error('server exited: ' + this.tail());
      try {
        const r = await fetch(this.base + '/healthz');
        if (r.status === 200) return this;
      } catch { /* not up yet */ }
      await sleep(50);
    }
    throw new Error('server did not start: ' + this.tail());
  }

  tail() {
    try { return readFileSync(this.logPath, 'utf8').slice(-4000); } catch { return ''; }
  }

  async login(username, password) {
    const r = await new Client(this.base).post('/api/v1/auth/login', { username, password });
    if (r.status !== 200) throw new Error('login ' + username + ' -> ' + r.status + ' ' + r.text);
    return new Client(this.base, r.json.token);
  }

  admin() { return this.login('admin', this.adminPassword); }

  async stop() {
    if (!this.proc || this.proc.exitCode !== null) return;
    const done = new Promise((r) => this.proc.once('exit', r));
    this.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 20000);
    await done;
    clearTimeout(timer);
  }

  // CROWDLOOP_UI_KEEP=1 keeps the data directory and the server log for a look afterwards.
  async cleanup() {
    await this.stop();
    if (process.env.CROWDLOOP_UI_KEEP) console.error('kept ' + this.dataDir);
    else rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// An admin, an org with a manager, and helpers to make users and projects.
export class World {
  static async create(server) {
    const w = new World();
    w.s = server;
    w.admin = await server.admin();
    w.org = await w.admin.ok('POST', '/api/v1/orgs', { name: 'org-' + token() });
    w.managerUser = await w.user('manager');
    w.manager = w.managerUser.client;
    await w.admin.ok('POST', `/api/v1/orgs/${w.org.id}/members`, { user_id: w.managerUser.id, role: 'manager' });
    return w;
  }

  async user(prefix, { isAdmin = false } = {}) {
    const username = prefix + '_' + token();
    const password = token(12);
    const u = await this.admin.ok('POST', '/api/v1/users', { username, password, is_admin: isAdmin });
    return { id: u.id, username, password, client: await this.s.login(username, password) };
  }

  project(fields = {}) {
    return this.manager.ok('POST', '/api/v1/projects', {
      org_id: this.org.id, name: 'p-' + token(), kind: 'text_class', labels: ['pos', 'neg'], status: 'open', ...fields,
    });
  }

  addMember(projectId, userId, role) {
    return this.manager.ok('POST', `/api/v1/projects/${projectId}/members`, { user_id: userId, role });
  }

  importTexts(projectId, texts) {
    const body = texts.map((text) => JSON.stringify({ text })).join('\n') + '\n';
    return this.manager.request('POST', `/api/v1/projects/${projectId}/items`, body, { 'Content-Type': 'application/x-ndjson' })
      .then((r) => { if (r.status !== 200) throw new Error('import -> ' + r.status + ' ' + r.text); return r.json; });
  }

  importImages(projectId, files) {
    const fd = new FormData();
    for (const [name, bytes] of files) fd.append('file', new Blob([bytes], { type: 'image/png' }), name);
    return this.manager.request('POST', `/api/v1/projects/${projectId}/items`, fd)
      .then((r) => { if (r.status !== 200) throw new Error('import -> ' + r.status + ' ' + r.text); return r.json; });
  }
}

// A PNG of w×h pixels whose color at (x, y) is paint(x, y) -> [r, g, b].
const CRC_TABLE = new Int32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c;
});
function crc32(buf) {
  let c = -1;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(td));
  return Buffer.concat([len, td, crc]);
}
// A started server with its admin, and the World (org, manager) every browser test begins with.
export async function startWorld(opts) {
  const server = new Server(opts);
  server.createAdmin();
  await server.start();
  return { server, world: await World.create(server) };
}

// Drags the mouse across the first occurrence of `word` in the task text of the editor inside
// `scope` (a selector; '' for the page), as a person selects, and waits for the span editor to
// list it.
export async function selectText(page, word, scope = '') {
  const r = await page.$eval(`${scope} [data-testid=task-text]`.trim(), (el, w) => {
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const i = n.textContent.indexOf(w);
      if (i < 0) continue;
      const range = document.createRange();
      range.setStart(n, i);
      range.setEnd(n, i + 1);
      const a = range.getBoundingClientRect();
      range.setStart(n, i + w.length - 1);
      range.setEnd(n, i + w.length);
      const b = range.getBoundingClientRect();
      return { x0: a.left + 1, y: (a.top + a.bottom) / 2, x1: b.right - 1 };
    }
    return null;
  }, word);
  if (!r) throw new Error('text not found: ' + word);
  await page.mouse.move(r.x0, r.y);
  await page.mouse.down();
  await page.mouse.move((r.x0 + r.x1) / 2, r.y, { steps: 3 });
  await page.mouse.move(r.x1, r.y, { steps: 3 });
  // A person rests a moment at the end of a selection; the annotator reads it after a short
  // debounce.
  await page.waitForTimeout(60);
  await page.mouse.up();
  await page.waitForFunction(([s, w]) => Array.from(document.querySelectorAll(`${s} [data-testid=span-row] .quote`.trim()))
    .some((q) => q.textContent === w), [scope, word]);
}

export function makePng(w, hgt, paint) {
  const raw = Buffer.alloc((w * 3 + 1) * hgt);
  for (let y = 0; y < hgt; y++) {
    raw[y * (w * 3 + 1)] = 0;
    for (let x = 0; x < w; x++) {
      const [r, g, b] = paint(x, y);
      const o = y * (w * 3 + 1) + 1 + x * 3;
      raw[o] = r; raw[o + 1] = g; raw[o + 2] = b;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(hgt, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

// A picture: sky, ground, and a colored "object" rectangle, different per seed.
export function scenePng(seed, w = 640, hgt = 480) {
  const ox = 80 + (seed * 97) % 300;
  const oy = 120 + (seed * 53) % 150;
  const color = [[220, 38, 38], [22, 163, 74], [124, 58, 237], [217, 119, 6]][seed % 4];
  return makePng(w, hgt, (x, y) => {
    if (x >= ox && x < ox + 160 && y >= oy && y < oy + 120) return color;
    if (y > hgt * 0.7) return [120 + (x % 40), 110, 90];
    return [180 - (y >> 3), 200 - (y >> 4), 235];
  });
}

export const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// Debian's chromium; playwright-core never downloads a browser here. launch() starts it on a
// fresh temporary user-data-dir, removed when the browser closes.
export function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CROWDLOOP_CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

// A page in its own cookie jar, 1280×800, that records dialogs, script errors and policy
// violations: a test calls page.assertClean() to fail on any.
export async function newPage(browser, { locale = 'en-US', viewport = { width: 1280, height: 800 }, ...more } = {}) {
  const context = await browser.newContext({ viewport, locale, acceptDownloads: true, ...more });
  const page = await context.newPage();
  const problems = [];
  page.on('dialog', (d) => { problems.push('dialog: ' + d.type() + ' ' + d.message()); d.dismiss().catch(() => {}); });
  page.on('pageerror', (e) => problems.push('pageerror: ' + e.message));
  // Every console error and warning, with where it came from: page.consoleLog.
  const consoleLog = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) problems.push('csp: ' + m.text());
    if (m.type() === 'error' || m.type() === 'warning') {
      const loc = m.location();
      consoleLog.push(m.type() + ': ' + m.text() + (loc && loc.url ? ' (' + loc.url.replace(/^https?:\/\/[^/]+/, '') + ')' : '') + ' on ' + page.url().replace(/^https?:\/\/[^/]+/, ''));
    }
  });
  page.consoleLog = consoleLog;
  page.problems = problems;
  page.assertClean = () => {
    if (problems.length) throw new Error('page problems:\n' + problems.join('\n'));
  };
  return page;
}

export async function login(page, base, username, password, next = '') {
  await page.goto(base + '/login' + (next ? '?next=' + encodeURIComponent(next) : ''));
  await page.fill('[data-testid=login-username]', username);
  await page.fill('[data-testid=login-password]', password);
  await page.click('[data-testid=login-submit]');
  // Attached rather than visible: on a phone the name sits in the folded menu.
  await page.waitForSelector('[data-testid=whoami]', { state: 'attached' });
}

export async function screenshot(page, name) {
  if (!SCREENSHOTS) return null;
  mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, name + '.png');
  await page.screenshot({ path: file });
  return file;
}

// Waits for the labeling/review frame to show a task other than `notId` (or the empty state).
export async function waitTask(page, notId = null) {
  await page.waitForFunction((prev) => {
    const el = document.querySelector('.work');
    if (!el) return false;
    if (el.dataset.ready === 'empty') return true;
    return el.dataset.ready === 'true' && el.dataset.taskId && el.dataset.taskId !== String(prev);
  }, notId, { timeout: 15000 });
  return page.evaluate(() => {
    const el = document.querySelector('.work');
    return el.dataset.ready === 'empty' ? null : Number(el.dataset.taskId);
  });
}

// Nothing from the data became an element with a handler, a script, or a frame, and the page
// saw no dialog, script error or policy violation.
export async function assertInert(page) {
  const found = await page.evaluate(() => {
    const bad = [];
    for (const el of document.querySelectorAll('*')) {
      for (const a of el.attributes) {
        if (/^on/i.test(a.name)) bad.push(el.tagName + ' ' + a.name);
        if ((a.name === 'href' || a.name === 'src') && /^\s*javascript:/i.test(a.value)) bad.push(el.tagName + ' ' + a.name + '=' + a.value);
      }
      if (el.tagName === 'IFRAME' || el.tagName === 'OBJECT' || el.tagName === 'EMBED') bad.push(el.tagName);
      if (el.tagName === 'SCRIPT' && !el.src) bad.push('inline script');
      if (el.tagName === 'svg' && el.closest('#app') && !el.closest('.bbox-annotator')) bad.push('svg');
    }
    return bad;
  });
  if (found.length) throw new Error('live markup from data: ' + found.join(', '));
  page.assertClean();
}
