// Browser benchmark of the training pages, in Debian's chromium driven by playwright-core
// against a real `crowdloop serve --allow-custom-jobs`:
//   1. a job's page with two 10,000-step metric series: from navigation to the frame after
//      both uPlot canvases are drawn;
//   2. the run comparison of N runs (default 300): from navigation to the frame after the
//      table of every run is drawn, and to the overlaid chart of the first 20.
//
//   cd web && node ../bench/training_ui_bench.mjs      (CROWDLOOP_BIN: the server binary)
//   BENCH_RUNS=300 BENCH_STEPS=10000 BENCH_REPEAT=5 node ../bench/training_ui_bench.mjs
import { Server, World, launchBrowser, newPage, login, sleep } from '../tests/ui/harness.mjs';

const RUNS = Number(process.env.BENCH_RUNS || 300);
const STEPS = Number(process.env.BENCH_STEPS || 10000);
const REPEAT = Number(process.env.BENCH_REPEAT || 5);
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const fmt = (xs) => `median ${median(xs).toFixed(0)} ms, min ${Math.min(...xs).toFixed(0)} ms, max ${Math.max(...xs).toFixed(0)} ms (n=${xs.length})`;

const server = new Server({ extraArgs: ['--allow-custom-jobs'] });
server.createAdmin();
await server.start();
const world = await World.create(server);
const eng = await world.user('engineer');
await world.admin.ok('POST', `/api/v1/orgs/${world.org.id}/members`, { user_id: eng.id, role: 'engineer' });
const worker = await world.user('worker');
const project = await world.project({ labels: ['pos', 'neg'] });
await world.addMember(project.id, worker.id, 'worker');
await world.importTexts(project.id, ['good', 'bad']);
for (let i = 0; i < 2; i++) {
  const tk = await worker.client.ok('POST', `/api/v1/projects/${project.id}/tasks/next`);
  await worker.client.ok('POST', `/api/v1/tasks/${tk.id}/submit`, { annotation: { labels: ['pos'] } });
  const r = await world.manager.ok('POST', `/api/v1/projects/${project.id}/reviews/next`);
  await world.manager.ok('POST', `/api/v1/tasks/${r.id}/review`, { decision: 'approve' });
}
const dataset = await eng.client.ok('POST', `/api/v1/projects/${project.id}/datasets`, {});
const submit = (script) => eng.client.ok('POST', `/api/v1/orgs/${world.org.id}/jobs`, { dataset_id: dataset.id, command: ['sh', '-c', script] });
async function waitEnd(id) {
  for (;;) {
    const j = await eng.client.ok('GET', '/api/v1/jobs/' + id);
    if (!['queued', 'running'].includes(j.state)) return j;
    await sleep(200);
  }
}

const long = await submit(`awk 'BEGIN { for (i = 1; i <= ${STEPS}; i++) printf "CROWDLOOP_METRIC loss=%g step=%d\\nCROWDLOOP_METRIC acc=%g step=%d\\n", 1 / i, i, 1 - 1 / (i + 1), i }'`);
const runs = [long.id];
for (let i = 1; i < RUNS; i++) runs.push((await submit(`echo "CROWDLOOP_METRIC loss=${1 / (i + 1)} step=1"; echo "CROWDLOOP_METRIC acc=${i / RUNS} step=1"`)).id);
await waitEnd(long.id);
await waitEnd(runs[runs.length - 1]);

const browser = await launchBrowser();
const page = await newPage(browser);
await login(page, server.base, eng.username, eng.password);
const frame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));

const jobTimes = [];
const drawTimes = []; // from the metrics answer's last byte to the charts drawn
for (let i = 0; i < REPEAT; i++) {
  await page.goto(server.base + '/');
  const metrics = page.waitForResponse((r) => r.url().endsWith(`/jobs/${long.id}/metrics`)).then((r) => r.finished().then(() => Date.now()));
  const t0 = Date.now();
  await page.goto(server.base + '/jobs/' + long.id);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-charts] canvas').length >= 2, null, { timeout: 60000 });
  await frame();
  const t1 = Date.now();
  jobTimes.push(t1 - t0);
  drawTimes.push(t1 - await metrics);
}
const cmpTable = [];
const cmpChart = [];
for (let i = 0; i < REPEAT; i++) {
  await page.goto(server.base + '/');
  const t0 = Date.now();
  await page.goto(`${server.base}/o/${world.org.id}/compare?runs=${runs.join(',')}`);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=compare-table] tbody tr').length === n, RUNS, { timeout: 60000 });
  await frame();
  cmpTable.push(Date.now() - t0);
  await page.waitForSelector('[data-testid=compare-chart] canvas', { timeout: 60000 });
  await frame();
  cmpChart.push(Date.now() - t0);
}
page.assertClean();

console.log(`job page, 2 series of ${STEPS} steps, navigation to both charts drawn: ${fmt(jobTimes)}`);
console.log(`job page, the metrics answer (${2 * STEPS} points) received to both charts drawn: ${fmt(drawTimes)}`);
console.log(`run comparison of ${RUNS} runs, navigation to the table drawn: ${fmt(cmpTable)}`);
console.log(`run comparison of ${RUNS} runs, navigation to the overlaid chart of 20 (one of ${STEPS} steps): ${fmt(cmpChart)}`);
await browser.close();
await server.cleanup();
