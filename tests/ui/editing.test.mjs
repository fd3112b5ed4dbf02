// The editors as people label with them: small images scaled to fit with square pixels and
// zoom for image classification; a label key after drawing sets the next shape's label, not
// the one just drawn; every label has a key; the read-only review shows no editing hints nor
// a label that is not the shape's; opening the instructions refits the image.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, waitTask, startWorld, selectText, makePng, scenePng } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let reviewer;

const FASHION = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  reviewer = await world.user('reviewer');
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

const api = (client, method, path, body) => client.ok(method, '/api/v1' + path, body);

async function projectFor(fields) {
  const p = await world.project(fields);
  await world.addMember(p.id, worker.id, 'worker');
  await world.addMember(p.id, reviewer.id, 'reviewer');
  return p;
}

async function workerAt(path) {
  const page = await newPage(browser);
  await login(page, server.base, worker.username, worker.password, path);
  await waitTask(page);
  return page;
}

const rect = (page, sel) => page.$eval(sel, (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height, r: b.right, b: b.bottom }; });

async function drawBox(page, [x0, y0, x1, y1]) {
  const r = await rect(page, '[data-testid=task-image]');
  await page.mouse.move(r.x + r.w * x0, r.y + r.h * y0);
  await page.mouse.down();
  await page.mouse.move(r.x + r.w * (x0 + x1) / 2, r.y + r.h * (y0 + y1) / 2, { steps: 4 });
  await page.mouse.move(r.x + r.w * x1, r.y + r.h * y1, { steps: 4 });
  await page.mouse.up();
}
const rowLabels = (page, testid) => page.$$eval(`[data-testid=${testid}]`, (els) => els.map((e) => e.dataset.label));

test('a 28×28 image fills the pane with square pixels, and zooms', async () => {
  const p = await projectFor({ kind: 'image_class', labels: FASHION });
  await world.importImages(p.id, [['trouser.png', makePng(28, 28, (x) => (x % 7 < 3 ? [20, 20, 20] : [230, 230, 230]))]]);
  const page = await workerAt(`/p/${p.id}/label`);
  await page.waitForSelector('[data-testid=task-image]');
  const img = await rect(page, '[data-testid=task-image]');
  assert.ok(img.w >= 300, 'shown ' + img.w + ' px wide');
  assert.equal(await page.$eval('[data-testid=task-image]', (e) => getComputedStyle(e).imageRendering), 'pixelated');
  const z0 = parseInt(await page.textContent('[data-testid=zoom-label]'), 10);
  await page.keyboard.press('+');
  const z1 = parseInt(await page.textContent('[data-testid=zoom-label]'), 10);
  assert.ok(z1 > z0, z0 + ' -> ' + z1);
  // The tenth label has a key too (0 fits the image here, so it is A).
  assert.equal(await page.textContent('.label-btn[data-label="Ankle boot"] kbd'), 'A');
  await page.keyboard.press('a');
  assert.equal(await page.getAttribute('.label-btn[data-label="Ankle boot"]', 'aria-pressed'), 'true');
  page.assertClean();
});

test('every label has a key, shown on its chip', async () => {
  const labels = Array.from({ length: 12 }, (_, i) => 'label' + (i + 1));
  const p = await projectFor({ labels });
  await world.importTexts(p.id, ['one', 'two']);
  const page = await workerAt(`/p/${p.id}/label`);
  assert.deepEqual(await page.$$eval('.label-btn kbd', (els) => els.map((e) => e.textContent)),
    ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', 'A', 'B']);
  await page.keyboard.press('0');
  assert.equal(await page.getAttribute('.label-btn[data-label=label10]', 'aria-pressed'), 'true');
  await page.keyboard.press('b');
  assert.equal(await page.getAttribute('.label-btn[data-label=label12]', 'aria-pressed'), 'true');
  const id = Number(await page.getAttribute('.work', 'data-task-id'));
  await page.keyboard.press('Control+Enter');
  await waitTask(page, id);
  assert.deepEqual((await api(world.manager, 'GET', '/tasks/' + id)).annotation, { labels: ['label12'] });
  page.assertClean();
});

test('past the last key, a filter (/) finds a label and Enter picks it', async () => {
  const labels = Array.from({ length: 40 }, (_, i) => 'label' + (i + 1));
  const p = await projectFor({ labels });
  await world.importTexts(p.id, ['one']);
  const page = await workerAt(`/p/${p.id}/label`);
  assert.equal(await page.locator('.label-btn kbd').count(), 36);
  await page.keyboard.press('/');
  await page.waitForSelector('[data-testid=label-filter]:focus');
  await page.keyboard.type('label38');
  assert.equal(await page.locator('.label-btn:visible').count(), 1);
  await page.keyboard.press('Enter');
  assert.equal(await page.getAttribute('.label-btn[data-label=label38]', 'aria-pressed'), 'true');
  assert.equal(await page.locator('.label-btn:visible').count(), 40);
  page.assertClean();
});

test('a label key after drawing a box labels the next box, not the one just drawn', async () => {
  const p = await projectFor({ kind: 'image_bbox', labels: ['car', 'person'] });
  await world.importImages(p.id, [['a.png', scenePng(1)]]);
  const page = await workerAt(`/p/${p.id}/label`);
  await page.waitForSelector('.bbox-annotator svg');
  await drawBox(page, [0.1, 0.1, 0.3, 0.3]);
  await page.waitForFunction(() => document.querySelector('[data-testid=box-row]')?.dataset.label);
  await page.keyboard.press('2');
  assert.deepEqual(await rowLabels(page, 'box-row'), ['car']);
  assert.equal(await page.getAttribute('.label-btn[data-label=person]', 'aria-pressed'), 'true');
  await drawBox(page, [0.5, 0.5, 0.7, 0.7]);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=box-row]')].filter((e) => e.dataset.label).length === 2);
  assert.deepEqual(await rowLabels(page, 'box-row'), ['car', 'person']);
  // A box clicked first is relabeled.
  await page.click('[data-testid=box-row][data-label=car] .muted');
  await page.keyboard.press('2');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=box-row]')].every((e) => e.dataset.label === 'person'));
  page.assertClean();
});

test('a label key after marking a span labels the next span', async () => {
  const p = await projectFor({ kind: 'text_spans', labels: ['ORG', 'LOC'] });
  await world.importTexts(p.id, ['Acme opened an office in Paris.']);
  const page = await workerAt(`/p/${p.id}/label`);
  await selectText(page, 'Acme');
  await page.keyboard.press('2');
  assert.deepEqual(await rowLabels(page, 'span-row'), ['ORG']);
  await selectText(page, 'Paris');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=span-row]').length === 2);
  assert.deepEqual(await rowLabels(page, 'span-row'), ['ORG', 'LOC']);
  page.assertClean();
});

test('the read-only review shows no editing hints and marks only the labels shown', async () => {
  const p = await projectFor({ kind: 'image_bbox', labels: ['car', 'person'] });
  await world.importImages(p.id, [['b.png', scenePng(2)]]);
  const task = await api(worker.client, 'POST', `/projects/${p.id}/tasks/next`);
  await api(worker.client, 'POST', `/tasks/${task.id}/submit`, { annotation: { boxes: [{ x: 10, y: 10, w: 100, h: 80, label: 'person' }] } });
  const page = await newPage(browser);
  await login(page, server.base, reviewer.username, reviewer.password, `/p/${p.id}/review`);
  await waitTask(page);
  await page.waitForSelector('[data-testid=box-row]');
  assert.equal(await page.isVisible('.bbox-tools .hint'), false);
  assert.deepEqual(await page.$$eval('.label-btn.on', (els) => els.map((e) => e.dataset.label)), []);
  // Fixing turns the hints on.
  await page.keyboard.press('f');
  await page.waitForSelector('.review.fixing');
  assert.equal(await page.isVisible('.bbox-tools .hint'), true);
  page.assertClean();
});

test('opening the instructions refits the image to the narrower pane', async () => {
  const p = await projectFor({ kind: 'image_bbox', labels: ['car'], instructions: '# Boxes\n\nDraw boxes.' });
  await world.importImages(p.id, [['c.png', scenePng(3, 1600, 600)]]);
  const page = await workerAt(`/p/${p.id}/label`);
  await page.waitForSelector('.bbox-annotator svg');
  const fits = async () => {
    const [img, vp] = await Promise.all([rect(page, '[data-testid=task-image]'), rect(page, '[data-testid=bbox-viewport]')]);
    return img.x >= vp.x - 1 && img.r <= vp.r + 1;
  };
  assert.ok(await fits());
  await page.click('[data-testid=guide-toggle]');
  await page.waitForSelector('[data-testid=guide-body] h1');
  await page.waitForFunction(() => {
    const img = document.querySelector('[data-testid=task-image]').getBoundingClientRect();
    const vp = document.querySelector('[data-testid=bbox-viewport]').getBoundingClientRect();
    return img.right <= vp.right + 1;
  }, null, { timeout: 3000 });
  assert.ok(await fits());
  page.assertClean();
});
