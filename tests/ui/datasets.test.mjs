// Dataset versions in the UI: made with a split (checked to sum to 100%), listed with their
// rows and split counts, two compared, and a version or the live project exported in every
// format GET /formats lists for the kind, with the rows a download holds shown before it starts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { launchBrowser, newPage, login, startWorld } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let project;

const EXPORTS = [
  { name: 'jsonl', content_type: 'application/x-ndjson', extension: 'jsonl', kinds: ['text_class', 'text_spans', 'image_class', 'image_bbox'], description: 'one row per line' },
  { name: 'csv', content_type: 'text/csv', extension: 'csv', kinds: ['text_class', 'text_spans', 'image_class', 'image_bbox'], description: 'CSV' },
  { name: 'labelstudio', content_type: 'application/json', extension: 'json', kinds: ['text_class', 'text_spans', 'image_class', 'image_bbox'], description: 'Label Studio' },
  { name: 'coco', content_type: 'application/json', extension: 'json', kinds: ['image_bbox', 'image_class'], description: 'COCO' },
];

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  project = await world.project({ labels: ['pos', 'neg'] });
  await world.addMember(project.id, worker.id, 'worker');
  await world.importTexts(project.id, ['one', 'two', 'three', 'four']);
  await approve(2);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function approve(n) {
  for (let i = 0; i < n; i++) {
    const t = await worker.client.ok('POST', `/api/v1/projects/${project.id}/tasks/next`);
    await worker.client.ok('POST', `/api/v1/tasks/${t.id}/submit`, { annotation: { labels: ['pos'] } });
    const r = await world.manager.ok('POST', `/api/v1/projects/${project.id}/reviews/next`);
    await world.manager.ok('POST', `/api/v1/tasks/${r.id}/review`, { decision: 'approve' });
  }
}

async function managerPage() {
  const page = await newPage(browser);
  await page.route('**/api/v1/formats', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ uploads: [], exports: EXPORTS }) }));
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}`);
  await page.click('[data-testid=to-datasets]');
  await page.waitForSelector('[data-testid=dataset-versions] h2');
  return page;
}

const options = (page, sel) => page.$$eval(`${sel} option`, (os) => os.map((o) => o.value));

test('the live export names its rows and offers every format for the kind', async () => {
  const page = await managerPage();
  assert.match(await page.textContent('[data-testid=live-count]'), /2 approved tasks/);
  assert.deepEqual(await options(page, '[data-testid=live-export-format]'), ['jsonl', 'csv', 'labelstudio']);
  assert.equal(await page.getAttribute('[data-testid=live-export]', 'data-rows'), '2');
  assert.match(await page.textContent('[data-testid=live-export]'), /JSONL · 2 rows/);
  await page.selectOption('[data-testid=live-export-format]', 'csv');
  assert.match(await page.getAttribute('[data-testid=live-export]', 'href'), new RegExp(`/api/v1/projects/${project.id}/export\\?format=csv$`));
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=live-export]')]);
  const csv = readFileSync(await dl.path(), 'utf8').trim().split('\n');
  assert.equal(csv.length, 3, 'a header and two rows');
  page.assertClean();
});

test('versions are made with a split, listed with their counts, compared, and exported', async () => {
  const page = await managerPage();
  assert.equal(await page.isVisible('[data-testid=dataset-table-empty]'), true);
  // Shares that do not make 100% are refused in the form.
  await page.fill('[data-testid=split-train]', '70');
  await page.fill('[data-testid=split-validation]', '20');
  await page.fill('[data-testid=split-test]', '20');
  await page.click('[data-testid=dataset-create]');
  assert.match(await page.textContent('[data-testid=field-error]:visible'), /110%/);
  assert.equal((await world.manager.ok('GET', `/api/v1/projects/${project.id}/datasets`)).items.length, 0);
  await page.fill('[data-testid=split-test]', '10');
  await page.fill('[data-testid=dataset-note]', 'first cut');
  await page.click('[data-testid=dataset-create]');
  await page.waitForSelector('[data-testid=dataset-table] tr[data-version="1"]');
  const v1 = (await world.manager.ok('GET', `/api/v1/projects/${project.id}/datasets`)).items[0];
  assert.deepEqual(v1.split, { train: 0.7, validation: 0.2, test: 0.1 });
  assert.equal(await page.textContent('tr[data-version="1"] [data-testid=dataset-rows]'), '2');
  assert.match(await page.textContent('tr[data-version="1"] [data-testid=dataset-split]'), /^Train \d · Validation \d · Test \d$/);

  await approve(1);
  await page.fill('[data-testid=split-train]', '70');
  await page.fill('[data-testid=split-validation]', '20');
  await page.fill('[data-testid=split-test]', '10');
  await page.click('[data-testid=dataset-create]');
  await page.waitForSelector('[data-testid=dataset-table] tr[data-version="2"]');
  assert.equal(await page.textContent('tr[data-version="2"] [data-testid=dataset-rows]'), '3');
  assert.match(await page.textContent('tr[data-version="2"] [data-testid=dataset-export]'), /3 rows/);

  // v1 → v2: one row added.
  assert.equal(await page.inputValue('[data-testid=diff-from]'), String(v1.id));
  await page.click('[data-testid=diff-form] button[type=submit]');
  await page.waitForSelector('[data-testid=diff-table]');
  assert.equal(await page.textContent('[data-testid=diff-counts] [data-fig=added] .figure-value'), '1');
  assert.equal(await page.textContent('[data-testid=diff-counts] [data-fig=removed] .figure-value'), '0');
  assert.equal(await page.locator('[data-testid=diff-table] tr[data-change=added]').count(), 1);

  // v2 in JSONL: three lines, each with its split.
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('tr[data-version="2"] [data-testid=dataset-export]')]);
  assert.match(dl.suggestedFilename(), /\.jsonl$/);
  const rows = readFileSync(await dl.path(), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 3);
  assert.ok(rows.every((r) => ['train', 'validation', 'test'].includes(r.split)));
  page.assertClean();
});
