// Training in the UI against a real server with custom jobs allowed: the queue lists jobs, a
// job's page follows its log live and draws its metrics with uPlot, shows its evaluation and
// registers it as a model version; the registry moves an alias with its history; two runs are
// compared; a new job is queued from the form with a trainer from GET /trainers; and a worker
// sees no training link and gets the "no access" page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { launchBrowser, newPage, login, startWorld, sleep } from './harness.mjs';

let server;
let world;
let browser;
let engineer;
let worker;
let project;
let dataset;
let done;
let other;
let waiting;
let release;

// Metric lines and an evaluation as a built-in trainer writes them.
const SCRIPT = (steps, acc) => `
awk 'BEGIN { for (i = 1; i <= ${steps}; i++) printf "CROWDLOOP_METRIC loss=%g step=%d\\n", 1 / i, i }'
echo '{"accuracy":${acc},"macro_f1":0.5,"per_class":{"pos":{"precision":1,"recall":0.5,"f1":0.667,"support":2}},"confusion":{"labels":["pos","neg"],"matrix":[[1,1],[0,1]]}}' > "$CROWDLOOP_OUTPUT/evaluation.json"
echo model > "$CROWDLOOP_OUTPUT/model.txt"
echo "run $CROWDLOOP_RUN_ID done"
`;

async function waitJob(id, states = ['succeeded', 'failed', 'cancelled', 'lost']) {
  for (let i = 0; i < 600; i++) {
    const j = await engineer.client.ok('GET', '/api/v1/jobs/' + id);
    if (states.includes(j.state)) return j;
    await sleep(100);
  }
  throw new Error('job ' + id + ' did not reach ' + states);
}

const submit = (command) => engineer.client.ok('POST', `/api/v1/orgs/${world.org.id}/jobs`, { dataset_id: dataset.id, command });

before(async () => {
  ({ server, world } = await startWorld({ extraArgs: ['--allow-custom-jobs'] }));
  engineer = await world.user('engineer');
  await world.admin.ok('POST', `/api/v1/orgs/${world.org.id}/members`, { user_id: engineer.id, role: 'engineer' });
  worker = await world.user('worker');
  project = await world.project({ labels: ['pos', 'neg'] });
  await world.addMember(project.id, worker.id, 'worker');
  await world.importTexts(project.id, ['good film', 'bad film', 'fine film']);
  for (let i = 0; i < 3; i++) {
    const tk = await worker.client.ok('POST', `/api/v1/projects/${project.id}/tasks/next`);
    await worker.client.ok('POST', `/api/v1/tasks/${tk.id}/submit`, { annotation: { labels: ['pos'] } });
    const r = await world.manager.ok('POST', `/api/v1/projects/${project.id}/reviews/next`);
    await world.manager.ok('POST', `/api/v1/tasks/${r.id}/review`, { decision: 'approve' });
  }
  dataset = await engineer.client.ok('POST', `/api/v1/projects/${project.id}/datasets`, {});
  done = await submit(['sh', '-c', SCRIPT(3000, 0.75)]);
  other = await submit(['sh', '-c', SCRIPT(50, 0.5)]);
  await waitJob(done.id);
  await waitJob(other.id);
  // A job that prints one line, waits for the test to release it, then prints another.
  release = path.join(server.dataDir, 'release-' + Date.now());
  waiting = await submit(['sh', '-c', `echo "first line"; while [ ! -f ${release} ]; do sleep 0.05; done; echo "second <b>line</b>"`]);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function engineerPage(next = '', opts = {}) {
  const page = await newPage(browser, opts);
  await login(page, server.base, engineer.username, engineer.password, next);
  return page;
}

test('the queue lists the jobs with their state, and the nav leads there', async () => {
  const page = await engineerPage();
  await page.click('[data-testid=nav-training]');
  await page.waitForSelector('[data-testid=jobs-table]');
  assert.equal(new URL(page.url()).pathname, `/o/${world.org.id}/jobs`);
  assert.equal(await page.getAttribute(`tr[data-job-id="${done.id}"]`, 'data-state'), 'succeeded');
  assert.match(await page.textContent(`tr[data-job-id="${done.id}"]`), /sh -c/);
  // The filter asks the server for one state.
  await page.selectOption('[data-testid=jobs-filter]', 'succeeded');
  await page.waitForSelector(`tr[data-job-id="${waiting.id}"]`, { state: 'detached' });
  assert.ok(await page.$(`tr[data-job-id="${other.id}"]`));
  page.assertClean();
});

test('a running job\'s log streams in as text, and the page follows it to the end', async () => {
  await waitJob(waiting.id, ['running']);
  const page = await engineerPage(`/jobs/${waiting.id}`);
  await page.waitForFunction(() => /first line/.test(document.querySelector('[data-testid=job-log]')?.textContent ?? ''));
  assert.doesNotMatch(await page.textContent('[data-testid=job-log]'), /second/);
  writeFileSync(release, '');
  await page.waitForFunction(() => document.querySelector('[data-testid=job-log]')?.dataset.ended === 'true');
  const log = await page.textContent('[data-testid=job-log]');
  assert.match(log, /second <b>line<\/b>/);
  // Text only: the markup in the log is never parsed.
  assert.equal(await page.$$eval('[data-testid=job-log] b', (b) => b.length), 0);
  await page.waitForSelector('[data-testid=job-head] [data-testid=job-state]:has-text("succeeded")');
  page.assertClean();
});

test('a job\'s page draws its metrics, evaluation and artifacts; it registers a version and the registry moves an alias', async () => {
  const page = await engineerPage(`/jobs/${done.id}`);
  await page.waitForSelector('[data-testid=job-charts] .chart-box[data-metric=loss] canvas');
  assert.match(await page.textContent('[data-testid=job-log]'), new RegExp('run ' + done.id + ' done'));
  assert.equal(await page.textContent('[data-testid=eval-accuracy]'), '75.0%');
  assert.equal(await page.$$eval('[data-testid=confusion] tbody tr', (r) => r.length), 2);
  const art = await page.getAttribute('[data-testid=artifact-link]:has-text("model.txt")', 'href');
  assert.match(art, new RegExp(`^/api/v1/jobs/${done.id}/artifacts/\\d+$`));

  await page.selectOption('[data-testid=register-model]', '');
  await page.fill('[data-testid=register-name]', 'sentiment-ui');
  await page.click('[data-testid=register-submit]');
  await page.waitForSelector('[data-testid=versions-table] tr[data-version="1"]');
  const modelId = Number(new URL(page.url()).pathname.split('/').pop());
  await page.click('[data-testid=version-open]');
  assert.equal(await page.textContent('[data-testid=lineage-approved]'), '3');
  assert.match(await page.textContent('[data-lineage=people]'), /1 workers, 1 reviewers/);

  await page.fill('[data-testid=alias-name]', 'production');
  await page.selectOption('[data-testid=alias-version]', '1');
  await page.click('[data-testid=alias-submit]');
  await page.waitForSelector('[data-testid=alias-current] [data-alias=production]');
  assert.equal(await page.textContent('[data-alias=production] .figure-value'), 'v1');
  const a = await engineer.client.ok('GET', `/api/v1/models/${modelId}/aliases`);
  assert.deepEqual(a.aliases, { production: 1 });
  assert.equal(await page.$$eval('[data-testid=alias-events] tbody tr', (r) => r.length), 1);
  page.assertClean();
});

test('two runs picked on the queue are compared side by side with their charts overlaid', async () => {
  const page = await engineerPage(`/o/${world.org.id}/jobs`);
  await page.check(`tr[data-job-id="${done.id}"] [data-testid=job-pick]`);
  await page.check(`tr[data-job-id="${other.id}"] [data-testid=job-pick]`);
  await page.click('[data-testid=compare-runs]');
  await page.waitForSelector('[data-testid=compare-table]');
  const ids = await page.$$eval('[data-testid=compare-table] tbody tr', (rs) => rs.map((r) => Number(r.dataset.runId)));
  assert.deepEqual(ids.sort(), [done.id, other.id].sort());
  // The final loss of each run: 1/3000 and 1/50.
  assert.match(await page.textContent(`[data-testid=compare-table] tr[data-run-id="${other.id}"]`), /0\.02/);
  await page.waitForSelector('[data-testid=compare-chart] canvas');
  assert.equal(await page.$$eval('[data-testid=compare-chart] .u-legend .u-series', (s) => s.length), 3); // step and two runs
  page.assertClean();
});

test('the form queues a built-in trainer with its params from GET /trainers', async () => {
  const page = await engineerPage(`/o/${world.org.id}/jobs`);
  await page.click('[data-testid=job-form-box] summary');
  await page.selectOption('[data-testid=job-project]', String(project.id));
  await page.waitForSelector(`[data-testid=job-dataset] option[value="${dataset.id}"]`, { state: 'attached' });
  const trainers = await page.$$eval('[data-testid=job-trainer] option', (os) => os.map((o) => o.value));
  assert.deepEqual(trainers, ['text-linear', 'text-fasttext']);
  await page.fill('[data-testid=param-C]', '99999');
  await page.click('[data-testid=job-submit]');
  // A value out of range: the server's 400 names the param, shown under its field.
  await page.waitForSelector('[data-testid=job-params] [data-testid=field-error]:visible');
  await page.fill('[data-testid=param-C]', '5');
  const answer = page.waitForResponse((r) => r.request().method() === 'POST' && r.url().endsWith(`/orgs/${world.org.id}/jobs`));
  await page.click('[data-testid=job-submit]');
  assert.equal((await answer).status(), 201);
  await page.waitForSelector('[data-testid=toast]:has-text("queued")');
  const mine = await engineer.client.ok('GET', `/api/v1/jobs/${(await (await answer).json()).id}`);
  assert.equal(mine.trainer, 'text-linear');
  assert.equal(mine.dataset_id, dataset.id);
  assert.equal(mine.params.C, 5);
  await page.waitForSelector(`tr[data-job-id="${mine.id}"]`);
  page.assertClean();
});

test('the cancel button on the queue ends a running job', async () => {
  const sleeper = await submit(['sleep', '60']);
  await waitJob(sleeper.id, ['running']);
  const page = await engineerPage(`/o/${world.org.id}/jobs`);
  await page.click(`tr[data-job-id="${sleeper.id}"] [data-testid=job-cancel]`);
  assert.equal((await waitJob(sleeper.id)).state, 'cancelled');
  await page.waitForSelector(`tr[data-job-id="${sleeper.id}"][data-state=cancelled]`);
  assert.equal(await page.$(`tr[data-job-id="${sleeper.id}"] [data-testid=job-cancel]`), null);
  page.assertClean();
});

test('a worker sees no training link and gets the no-access page', async () => {
  const page = await newPage(browser);
  await login(page, server.base, worker.username, worker.password);
  assert.equal(await page.$('[data-testid=nav-training]'), null);
  for (const p of [`/o/${world.org.id}/jobs`, `/jobs/${done.id}`, '/training']) {
    await page.goto(server.base + p);
    await page.waitForSelector('[data-testid=no-access]');
  }
});

test('the pages speak Korean', async () => {
  const page = await engineerPage(`/o/${world.org.id}/jobs`, { locale: 'ko-KR' });
  await page.waitForSelector('[data-testid=jobs-table]');
  assert.equal(await page.textContent('[data-testid=nav-training]'), '학습');
  assert.match(await page.textContent('h1'), /학습 작업/);
  assert.match(await page.textContent(`tr[data-job-id="${done.id}"] [data-testid=job-state]`), /성공/);
});

test('a comparison of 120 runs draws a row for each, and the chart overlays the first 20', async () => {
  const many = [];
  for (let i = 0; i < 120; i++) many.push((await submit(['sh', '-c', `echo "CROWDLOOP_METRIC loss=${i} step=1"`])).id);
  await waitJob(many[many.length - 1]);
  const page = await engineerPage(`/o/${world.org.id}/compare?runs=${many.join(',')}`);
  await page.waitForSelector('[data-testid=compare-table]');
  assert.equal(await page.$$eval('[data-testid=compare-table] tbody tr', (r) => r.length), 120);
  assert.match(await page.textContent(`[data-testid=compare-table] tr[data-run-id="${many[119]}"]`), /119/);
  await page.waitForSelector('[data-testid=compare-chart] canvas');
  assert.equal(await page.$$eval('[data-testid=compare-chart] .u-legend .u-series', (s) => s.length), 21);
  page.assertClean();
});
