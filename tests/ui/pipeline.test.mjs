// The retraining pipeline's page against a real server: an engineer reaches it from the project's
// dashboard, sets the pipeline (approve mode) with the form, and the server's run appears in the
// history with its steps and figures, waiting for a person; approving it from the page promotes
// the new version to production. "Run now" starts a run at once, and a second one while another
// person's run is running is refused with the reason beside the button. The page reads in
// Korean too, and a worker gets no page.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, startWorld, screenshot } from './harness.mjs';

let server;
let world;
let browser;
let engineer;
let worker;
let project;

const GOOD = ['great', 'wonderful', 'excellent', 'lovely', 'superb', 'delightful'];
const BAD = ['terrible', 'awful', 'boring', 'dreadful', 'horrible', 'dull'];
const THINGS = ['movie', 'film', 'story', 'plot', 'cast', 'ending', 'show'];

function sentences() {
  const rows = [];
  THINGS.forEach((thing, i) => GOOD.forEach((_, j) => {
    rows.push([`a ${GOOD[j]} and ${GOOD[(j + i) % 6]} ${thing}`, 'positive']);
    rows.push([`a ${BAD[j]} and ${BAD[(j + i) % 6]} ${thing}`, 'negative']);
  }));
  return rows;
}

before(async () => {
  ({ server, world } = await startWorld());
  engineer = await world.user('engineer');
  await world.admin.ok('POST', `/api/v1/orgs/${world.org.id}/members`, { user_id: engineer.id, role: 'engineer' });
  worker = await world.user('worker');
  project = await world.project({ labels: ['positive', 'negative'] });
  await world.addMember(project.id, worker.id, 'worker');
  const rows = sentences();
  const label = new Map(rows);
  await world.importTexts(project.id, rows.map(([text]) => text));
  for (let tk = await worker.client.ok('POST', `/api/v1/projects/${project.id}/tasks/next`); tk && tk.id;) {
    const r = await worker.client.ok('POST', `/api/v1/tasks/${tk.id}/submit`, { annotation: { labels: [label.get(tk.item.text)] }, next: true });
    tk = r.next;
  }
  for (let rv = await world.manager.ok('POST', `/api/v1/projects/${project.id}/reviews/next`); rv && rv.id;) {
    const r = await world.manager.ok('POST', `/api/v1/tasks/${rv.id}/review`, { decision: 'approve', next: true });
    rv = r.next;
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function pageAs(user, next = '', opts = {}) {
  const page = await newPage(browser, opts);
  await login(page, server.base, user.username, user.password, next);
  return page;
}

test('an engineer sets the pipeline, sees its run wait and approves it', async () => {
  const page = await pageAs(engineer, `/p/${project.id}`);
  await page.click('[data-testid=to-pipeline]');
  await page.waitForSelector('[data-testid=pipeline-empty]');
  await page.fill('[data-testid=pipeline-threshold]', '20');
  await page.selectOption('[data-testid=pipeline-trainer]', 'text-linear');
  await page.fill('[data-testid=pipeline-model]', 'ui-sentiment');
  await page.selectOption('[data-testid=pipeline-mode]', 'approve');
  await page.click('[data-testid=pipeline-save]');
  const settings = await waitFor(async () => (await engineer.client.ok('GET', `/api/v1/projects/${project.id}/pipeline`)).settings);
  assert.equal(settings.mode, 'approve');
  assert.equal(settings.threshold, 20);
  assert.equal(settings.model, 'ui-sentiment');

  // The server's runner starts the run; the page follows it until it waits for a person.
  const run = page.locator('[data-testid=pipeline-run][data-state=waiting]');
  await run.waitFor({ timeout: 120000 });
  const steps = await run.locator('[data-step]').evaluateAll((rows) => rows.map((r) => r.dataset.step + ':' + r.dataset.stepState));
  assert.deepEqual(steps, ['trigger:done', 'dataset:done', 'train:done', 'evaluate:done', 'register:done', 'compare:done', 'approval:waiting']);
  assert.match(await run.locator('[data-testid=run-figures]').innerText(), /accuracy: new \d+\.\d%/);
  await screenshot(page, 'pipeline-waiting');

  await run.locator('[data-testid=run-approve]').click();
  await page.locator('[data-testid=pipeline-run][data-state=promoted]').waitFor();
  const promoted = page.locator('[data-testid=pipeline-run][data-state=promoted]');
  assert.equal(await promoted.locator('[data-step=promote]').count(), 1);
  assert.match(await promoted.locator('[data-step=promote]').innerText(), new RegExp(engineer.username));
  const models = await engineer.client.ok('GET', `/api/v1/orgs/${world.org.id}/models`);
  const model = models.items.find((m) => m.name === 'ui-sentiment');
  const aliases = await engineer.client.ok('GET', `/api/v1/models/${model.id}/aliases`);
  assert.equal(aliases.aliases.production, 1);
  page.assertClean();
});

test('an engineer starts a run now; while another person\'s run is running, the page says why it cannot', async () => {
  const page = await newPage(browser);
  // What the page shows while its poll is stopped came from the clicks.
  const polls = await pollControl(page);
  await login(page, server.base, engineer.username, engineer.password, `/p/${project.id}/pipeline`);
  const runNow = page.locator('[data-testid=pipeline-run-now]');
  const runs = page.locator('[data-testid=pipeline-run]');
  // The first test's run was promoted: none is running.
  await page.locator('[data-testid=pipeline-run-now]:enabled').waitFor();
  assert.equal(await runNow.innerText(), 'Run now');
  const before = await runs.count();

  await polls.stop();
  await runNow.click();
  const mine = page.locator('[data-testid=pipeline-run][data-state=running]');
  await mine.waitFor();
  assert.equal(await runs.count(), before + 1);
  assert.equal(await runs.first().getAttribute('data-state'), 'running');
  const trigger = mine.locator('[data-step=trigger]');
  assert.match(await trigger.innerText(), /trigger manual/);
  assert.match(await trigger.innerText(), new RegExp(engineer.username));
  assert.equal(await runNow.isDisabled(), true);
  const mineId = await mine.getAttribute('data-run');

  // Once the run has ended the button is back; another person starts a run the page has not seen.
  await polls.resume();
  await page.locator(`[data-testid=pipeline-run][data-run="${mineId}"]:not([data-state=running])`).waitFor({ timeout: 120000 });
  await page.locator('[data-testid=pipeline-run-now]:enabled').waitFor();
  await polls.stop();
  const theirs = await world.manager.ok('POST', `/api/v1/projects/${project.id}/pipeline/runs`);
  assert.equal(theirs.state, 'running');
  await runNow.click();
  const error = page.locator('[data-testid=pipeline-run-error]');
  await page.locator('[data-testid=pipeline-run-error]:not(:empty)').waitFor();
  assert.equal(await error.innerText(), 'A run of the pipeline is already running: start another once it has ended.');
  // The refusal showed the page the run it did not know of.
  await page.locator(`[data-testid=pipeline-run][data-run="${theirs.id}"][data-state=running]`).waitFor();
  assert.equal(await runs.count(), before + 2);
  assert.equal(await runNow.isDisabled(), true);
  await screenshot(page, 'pipeline-run-refused');

  // When that run ends, the message goes and the button comes back.
  await polls.resume();
  await page.locator(`[data-testid=pipeline-run][data-run="${theirs.id}"]:not([data-state=running])`).waitFor({ timeout: 120000 });
  await page.locator('[data-testid=pipeline-run-now]:enabled').waitFor();
  assert.equal(await error.textContent(), '');
  page.assertClean();
  // The one console line is the browser's note of the refused request.
  assert.deepEqual(page.consoleLog.filter((l) => !/status of 409/.test(l)), [], page.consoleLog.join('\n'));
});

test('the page reads in Korean', async () => {
  const page = await pageAs(engineer, `/p/${project.id}/pipeline`, { locale: 'ko-KR' });
  await page.waitForSelector('[data-testid=pipeline-history]');
  assert.equal(await page.locator('h1').first().innerText(), '재학습 파이프라인');
  assert.match(await page.locator('[data-testid=pipeline-settings] h2').innerText(), /설정/);
  assert.equal(await page.locator('[data-testid=pipeline-run-now]').innerText(), '지금 실행');
  page.assertClean();
});

test('a worker of the project gets the no-access page', async () => {
  const page = await pageAs(worker, `/p/${project.id}/pipeline`);
  await page.waitForSelector('[data-testid=no-access]');
  assert.equal(await page.locator('[data-testid=pipeline-form]').count(), 0);
  assert.equal(await page.locator('[data-testid=pipeline-run-now]').count(), 0);
});

// Stops and resumes the page's poll of its pipeline (every two seconds) by pausing the page's
// clock. The page counts its requests on their way (a wrapper of fetch, put in before the app
// loads), and stop() returns once none is, so that from then on the page shows nothing newer
// than what it had, until the test's own clicks.
async function pollControl(page) {
  await page.clock.install();
  await page.addInitScript(() => {
    const fetch = window.fetch;
    const out = { n: 0, idle: [] };
    window.fetchesSettled = () => (out.n ? new Promise((r) => out.idle.push(r)) : null);
    window.fetch = (...args) => {
      out.n++;
      return fetch(...args).then(async (r) => { await r.clone().arrayBuffer().catch(() => {}); return r; })
        .finally(() => { if (--out.n === 0) out.idle.splice(0).forEach((f) => f()); });
    };
  });
  return {
    async stop() {
      await page.clock.pauseAt(Date.now() + 1000);
      await page.evaluate(() => window.fetchesSettled());
    },
    resume: () => page.clock.resume(),
  };
}

async function waitFor(fn, tries = 100) {
  for (let i = 0; i < tries; i++) {
    const v = await fn();
    if (v) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('timed out');
}
