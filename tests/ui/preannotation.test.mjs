// The project's stats page shows what the model's suggestions save: time per task with and
// without a pre-annotation, and how often workers accepted or changed it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, startWorld } from './harness.mjs';

let server;
let world;
let browser;
let project;
let plain;

before(async () => {
  ({ server, world } = await startWorld());
  const worker = await world.user('worker');
  project = await world.project({});
  plain = await world.project({});
  for (const p of [project, plain]) await world.addMember(p.id, worker.id, 'worker');
  const rows = [
    { text: 'kept', meta: { preannotation: { labels: ['pos'] } } },
    { text: 'changed', meta: { preannotation: { labels: ['pos'] } } },
    { text: 'none' },
  ];
  const body = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  await world.manager.request('POST', `/api/v1/projects/${project.id}/items`, body, { 'Content-Type': 'application/x-ndjson' });
  await world.importTexts(plain.id, ['alone']);
  // The worker keeps one suggestion and changes the other.
  for (;;) {
    const t = await worker.client.request('POST', `/api/v1/projects/${project.id}/tasks/next`);
    if (t.status !== 200 || !t.json || !t.json.id) break;
    const label = t.json.item.text === 'changed' ? 'neg' : 'pos';
    await worker.client.ok('POST', `/api/v1/tasks/${t.json.id}/submit`, { annotation: { labels: [label] } });
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

test('the stats page compares tasks with and without a suggestion', async () => {
  const stats = await world.manager.ok('GET', `/api/v1/projects/${project.id}/stats`);
  assert.equal(stats.preannotation.with.tasks, 2);
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}`);
  await page.waitForSelector('[data-testid=preannotation-stats] tr[data-row=with]');
  const cells = await page.locator('[data-testid=preannotation-stats] tr[data-row=with] td').allTextContents();
  assert.equal(cells[0], '2');
  const without = await page.locator('[data-testid=preannotation-stats] tr[data-row=without] td').allTextContents();
  assert.equal(without[0], '1');
  assert.match(await page.textContent('[data-testid=preannotation-changed]'), /Accepted as is: 1 · changed: 1 \(50%/);
  page.assertClean();
});

test('a project without suggestions shows no such figures', async () => {
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${plain.id}`);
  await page.waitForSelector('[data-fig=items] .figure-value');
  await page.waitForSelector('[data-testid=preannotation-stats]', { state: 'hidden' });
  page.assertClean();
});
