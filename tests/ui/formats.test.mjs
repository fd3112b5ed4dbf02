// The upload page and the export control read the accepted upload types and the export formats
// from GET /api/v1/formats (answered here by the browser, so that the page is checked against
// the route's contract); the upload page of an image project prints no stray "null".
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, startWorld } from './harness.mjs';

let server;
let world;
let browser;

const FORMATS = {
  uploads: [
    { content_type: 'application/x-ndjson', extensions: ['.jsonl', '.ndjson'], description: 'JSON lines, one item per line' },
    { content_type: 'text/plain', extensions: ['.txt'], description: 'one text per file' },
    { content_type: 'image/png', extensions: ['.png'], description: 'PNG image' },
    { content_type: 'image/webp', extensions: ['webp'], description: 'WebP image' },
    { content_type: 'application/zip', extensions: ['.zip'], description: 'an archive of any of these' },
  ],
  exports: [
    { name: 'jsonl', content_type: 'application/x-ndjson', extension: 'jsonl', kinds: ['text_class', 'text_spans', 'image_class', 'image_bbox'], description: 'one row per line' },
    { name: 'coco', content_type: 'application/json', extension: 'json', kinds: ['image_bbox'], description: 'COCO' },
    { name: 'conll', content_type: 'text/plain', extension: 'conll', kinds: ['text_spans'], description: 'CoNLL' },
  ],
};

before(async () => {
  ({ server, world } = await startWorld());
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function managerPage() {
  const page = await newPage(browser);
  let asked = 0;
  await page.route('**/api/v1/formats', (route) => {
    asked += 1;
    route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(FORMATS) });
  });
  page.asked = () => asked;
  await login(page, server.base, world.managerUser.username, world.managerUser.password);
  return page;
}

test('the upload page takes the types the server lists for the kind, and prints no "null"', async () => {
  const image = await world.project({ kind: 'image_bbox', labels: ['car'] });
  const text = await world.project({ kind: 'text_class' });
  const page = await managerPage();
  await page.goto(server.base + `/p/${image.id}/upload`);
  await page.waitForSelector('[data-testid=upload-types]:not(:empty)');
  assert.equal(await page.getAttribute('[data-testid=file-input]', 'accept'), '.png,.webp,.zip');
  assert.match(await page.textContent('[data-testid=upload-types]'), /\.png, \.webp, \.zip/);
  assert.doesNotMatch(await page.textContent('main'), /null/);

  // Within the app (no page load): the list is not fetched again.
  await page.evaluate((href) => {
    const a = document.createElement('a');
    a.href = href;
    document.body.appendChild(a);
    a.click();
    a.remove();
  }, `/p/${text.id}/upload`);
  await page.waitForFunction(() => document.querySelector('[data-testid=file-input]')?.accept === '.jsonl,.ndjson,.txt,.zip');
  assert.equal(await page.getAttribute('[data-testid=file-input]', 'accept'), '.jsonl,.ndjson,.txt,.zip');
  // One fetch for the page's life, however many views read it.
  assert.equal(page.asked(), 1);
  page.assertClean();
});

test('the export control offers the formats for the kind and downloads the one picked', async () => {
  const p = await world.project({ kind: 'image_bbox', labels: ['car'] });
  const page = await managerPage();
  await page.goto(server.base + `/p/${p.id}`);
  await page.waitForSelector('[data-testid=export-format]');
  assert.deepEqual(await page.$$eval('[data-testid=export-format] option', (els) => els.map((e) => e.value)), ['jsonl', 'coco']);
  assert.match(await page.getAttribute('[data-testid=export]', 'href'), /format=jsonl$/);
  await page.selectOption('[data-testid=export-format]', 'coco');
  assert.match(await page.getAttribute('[data-testid=export]', 'href'), /\/projects\/\d+\/export\?format=coco$/);
  assert.equal(await page.getAttribute('[data-testid=export]', 'download'), `project-${p.id}.json`);
  assert.match(await page.textContent('[data-testid=export]'), /COCO/);
  page.assertClean();
});
