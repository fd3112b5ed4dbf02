// The npm package `mlflow` (a Node.js MLflow REST 2.0 client written elsewhere) logs a run into a
// real crowdloop server with a crowdloop token as its bearer token: params, a metric over steps,
// tags and a batch; the run then appears through crowdloop's own routes (/api/v1/jobs/{id} and
// its metrics) with what was logged. Errors reach the client in MLflow's shape.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, openSync, closeSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const MLflow = createRequire(import.meta.url)('mlflow');
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = process.env.CROWDLOOP_BIN || path.join(ROOT, 'build', 'crowdloop');
const token = (n = 3) => randomBytes(n).toString('hex');

// crowdloop's own API, as a plain client of it.
class Client {
  constructor(base, tok = null) { this.base = base; this.token = tok; }

  async ok(method, p, body) {
    const headers = { 'Content-Type': 'application/json' };
    if (this.token) headers.Authorization = 'Bearer ' + this.token;
    const r = await fetch(this.base + p, { method, headers, body: body && JSON.stringify(body) });
    const text = await r.text();
    if (r.status >= 300) throw new Error(`${method} ${p} -> ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }
}

// A real `crowdloop serve` on a free port with a fresh data directory and an admin.
class Server {
  constructor() {
    this.dataDir = mkdtempSync(path.join(tmpdir(), 'crowdloop-mlflow-'));
    this.adminPassword = token(12);
  }

  async start() {
    const pw = path.join(this.dataDir, 'admin.pw');
    writeFileSync(pw, this.adminPassword + '\n', { mode: 0o600 });
    const made = spawnSync(BIN, ['admin', 'create', '--data', this.dataDir, '--username', 'admin', '--password-file', pw], { encoding: 'utf8' });
    if (made.status !== 0) throw new Error('admin create failed: ' + made.stderr);
    this.port = await new Promise((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
    });
    this.base = 'http://127.0.0.1:' + this.port;
    const log = openSync(path.join(this.dataDir, 'server.log'), 'a');
    this.proc = spawn(BIN, ['serve', '--data', this.dataDir, '--listen', '127.0.0.1:' + this.port], { stdio: ['ignore', log, log] });
    closeSync(log);
    for (let i = 0; i < 600; i++) {
      try { if ((await fetch(this.base + '/healthz')).status === 200) return; } catch { /* not up yet */ }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('server did not start: ' + readFileSync(path.join(this.dataDir, 'server.log'), 'utf8').slice(-2000));
  }

  async login(username, password) {
    const r = await new Client(this.base).ok('POST', '/api/v1/auth/login', { username, password });
    return new Client(this.base, r.token);
  }

  async cleanup() {
    if (this.proc && this.proc.exitCode === null) {
      const done = new Promise((r) => this.proc.once('exit', r));
      this.proc.kill('SIGTERM');
      await done;
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

// An org with a manager (who makes the project) and an engineer (who logs runs).
class World {
  static async create(server) {
    const w = new World();
    w.s = server;
    w.admin = await server.login('admin', server.adminPassword);
    w.org = await w.admin.ok('POST', '/api/v1/orgs', { name: 'org-' + token() });
    const m = await w.user('manager');
    w.manager = m.client;
    await w.admin.ok('POST', `/api/v1/orgs/${w.org.id}/members`, { user_id: m.id, role: 'manager' });
    return w;
  }

  async user(prefix) {
    const username = prefix + '_' + token();
    const password = token(12);
    const u = await this.admin.ok('POST', '/api/v1/users', { username, password });
    return { id: u.id, client: await this.s.login(username, password) };
  }

  project() {
    return this.manager.ok('POST', '/api/v1/projects', {
      org_id: this.org.id, name: 'p-' + token(), kind: 'text_class', labels: ['pos', 'neg'], status: 'open',
    });
  }
}

let server, world, eng, project, client;

before(async () => {
  server = new Server();
  await server.start();
  world = await World.create(server);
  const u = await world.user('engineer');
  await world.admin.ok('POST', `/api/v1/orgs/${world.org.id}/members`, { user_id: u.id, role: 'engineer' });
  eng = u.client;
  project = await world.project();
  client = new MLflow({ endpoint: server.base, headers: { Authorization: 'Bearer ' + eng.token } });
});

after(async () => { await server?.cleanup(); });

// The client throws Error(JSON of {status, data}) on a status other than 200.
async function mlflowError(promise) {
  const e = await promise.then(() => null, (err) => err);
  assert.ok(e, 'expected the call to fail');
  return JSON.parse(e.message.replace(/^Error: /, ''));
}

test('a run logged with the mlflow client appears in crowdloop', async () => {
  const { experiment_id } = await client.Experiments.create({ name: project.name });
  assert.equal(experiment_id, String(project.id));
  const { experiment } = await client.Experiments.get({ experiment_id });
  assert.equal(experiment.name, project.name);

  const { run } = await client.Runs.create({
    experiment_id, start_time: Date.now(), tags: [{ key: 'mlflow.runName', value: 'node-client' }],
  });
  const runId = run.info.run_id;
  assert.equal(run.info.status, 'RUNNING');

  await client.Runs.logParameter({ run_id: runId, key: 'lr', value: '0.01' });
  for (let step = 0; step < 5; step++)
    await client.Runs.logMetric({ run_id: runId, key: 'loss', value: 1 / (step + 1), timestamp: Date.now(), step });
  await client.Runs.setTag({ run_id: runId, key: 'team', value: 'vision' });
  await client.Runs.logBatch({
    run_id: runId,
    metrics: Array.from({ length: 20 }, (_, i) => ({ key: 'acc', value: i / 20, timestamp: Date.now(), step: i })),
    params: [{ key: 'batch_size', value: '32' }],
    tags: [{ key: 'stage', value: 'try' }],
  });
  await client.Runs.update({ run_id: runId, status: 'FINISHED', end_time: Date.now() });

  const got = (await client.Runs.get({ run_id: runId })).run;
  assert.equal(got.info.status, 'FINISHED');
  assert.deepEqual(Object.fromEntries(got.data.params.map((p) => [p.key, p.value])), { lr: '0.01', batch_size: '32' });
  assert.deepEqual(Object.fromEntries(got.data.tags.map((t) => [t.key, t.value])),
    { 'mlflow.runName': 'node-client', team: 'vision', stage: 'try' });
  const history = await client.Metrics.getHistory({ run_id: runId, metric_key: 'loss' });
  assert.deepEqual(history.metrics.map((m) => m.step), [0, 1, 2, 3, 4]);
  assert.equal(history.metrics[4].value, 0.2);

  const { runs } = await client.Runs.search({ experiment_ids: [experiment_id] });
  assert.ok(runs.some((r) => r.info.run_id === runId));

  // crowdloop's own routes: the run is a job of the project, with its series.
  const job = await eng.ok('GET', `/api/v1/jobs/${runId}`);
  assert.equal(job.project_id, project.id);
  assert.equal(job.state, 'succeeded');
  assert.equal(job.executor, 'external');
  assert.equal(job.final_metrics.loss, 0.2);
  assert.equal(job.final_metrics.acc, 19 / 20);
  const metrics = await eng.ok('GET', `/api/v1/jobs/${runId}/metrics`);
  assert.equal(metrics.series.loss.length, 5);
  assert.equal(metrics.series.acc.length, 20);
  const list = await eng.ok('GET', `/api/v1/orgs/${world.org.id}/jobs`);
  assert.ok(list.items.some((j) => j.id === Number(runId)));
});

test('errors reach the client in MLflow\'s shape', async () => {
  const missing = await mlflowError(client.Runs.get({ run_id: '999999' }));
  assert.equal(missing.status, 404);
  assert.equal(missing.data.error_code, 'RESOURCE_DOES_NOT_EXIST');
  const noExp = await mlflowError(client.Experiments.get({ experiment_id: '999999' }));
  assert.equal(noExp.data.error_code, 'RESOURCE_DOES_NOT_EXIST');
  const anon = new MLflow({ endpoint: server.base });
  const unauth = await mlflowError(anon.Experiments.list());
  assert.equal(unauth.status, 401);
  assert.equal(unauth.data.error_code, 'UNAUTHENTICATED');
});

test('an experiment created by the client holds its runs, searched by filter and order', async () => {
  const name = 'exp-' + token();
  const { experiment_id } = await client.Experiments.create({ name });
  assert.notEqual(experiment_id, String(project.id));
  assert.equal((await client.Experiments.get({ experiment_id })).experiment.name, name);
  const made = {};
  for (const [acc, lr] of [[0.6, '0.1'], [0.9, '0.1'], [0.8, '0.3']]) {
    const { run } = await client.Runs.create({ experiment_id, start_time: Date.now() });
    await client.Runs.logBatch({
      run_id: run.info.run_id,
      metrics: [{ key: 'acc', value: acc, timestamp: Date.now(), step: 1 }],
      params: [{ key: 'lr', value: lr }],
      tags: [{ key: 'keep', value: 'no' }],
    });
    await client.Runs.update({ run_id: run.info.run_id, status: 'FINISHED', end_time: Date.now() });
    made[acc] = run.info.run_id;
  }
  const ids = async (args) => ((await client.Runs.search({ experiment_ids: [experiment_id], ...args })).runs ?? [])
    .map((r) => r.info.run_id);
  assert.deepEqual(await ids({ filter: "params.lr = '0.1' and metrics.acc > 0.5", order_by: ['metrics.acc DESC'] }),
    [made[0.9], made[0.6]]);
  assert.deepEqual(await ids({ filter: "attributes.status = 'FINISHED'", order_by: ['metrics.acc ASC'], max_results: 2 }),
    [made[0.6], made[0.8]]);
  const page = await client.Runs.search({ experiment_ids: [experiment_id], order_by: ['metrics.acc ASC'], max_results: 2 });
  const rest = await client.Runs.search({
    experiment_ids: [experiment_id], order_by: ['metrics.acc ASC'], max_results: 2, page_token: page.next_page_token,
  });
  assert.deepEqual(rest.runs.map((r) => r.info.run_id), [made[0.9]]);
  const bad = await mlflowError(client.Runs.search({ experiment_ids: [experiment_id], filter: 'metrics.acc >> 1' }));
  assert.equal(bad.status, 400);
  assert.equal(bad.data.error_code, 'INVALID_PARAMETER_VALUE');

  await client.Runs.deleteTag({ run_id: made[0.8], key: 'keep' });
  const tags = (await client.Runs.get({ run_id: made[0.8] })).run.data.tags;
  assert.ok(!tags.some((t) => t.key === 'keep'));
  // crowdloop's own routes: the experiment is a draft project of the org.
  const p = await eng.ok('GET', `/api/v1/jobs/${made[0.9]}`);
  assert.equal(p.project_id, Number(experiment_id));
});
