// Zero console errors and warnings: every page, as each role that may open it, including the
// login page before any session and the box editor's undo and redo.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, waitTask, startWorld, scenePng } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let reviewer;
let text;
let boxes;

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  reviewer = await world.user('reviewer');
  text = await world.project({ instructions: '# Read me\nPick one.' });
  boxes = await world.project({ kind: 'image_bbox', labels: ['car', 'person'] });
  for (const p of [text, boxes]) {
    await world.addMember(p.id, worker.id, 'worker');
    await world.addMember(p.id, reviewer.id, 'reviewer');
  }
  await world.importTexts(text.id, ['one', 'two', 'three', 'four']);
  await world.importImages(boxes.id, [['a.png', scenePng(1)], ['b.png', scenePng(2)]]);
  // One submission waiting for review.
  const t = await worker.client.ok('POST', `/api/v1/projects/${text.id}/tasks/next`);
  await worker.client.ok('POST', `/api/v1/tasks/${t.id}/submit`, { annotation: { labels: ['pos'] } });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

// GET /formats as its route's contract has it (the route comes with the server's formats
// table; the browser answers it here so that this test reads the page, not the server's version).
const FORMATS = {
  uploads: [
    { content_type: 'application/x-ndjson', extensions: ['.jsonl'], description: 'JSON lines' },
    { content_type: 'image/png', extensions: ['.png'], description: 'PNG image' },
  ],
  exports: [
    { name: 'jsonl', content_type: 'application/x-ndjson', extension: 'jsonl', kinds: ['text_class', 'text_spans', 'image_class', 'image_bbox'], description: 'one row per line' },
    { name: 'csv', content_type: 'text/csv', extension: 'csv', kinds: ['text_class', 'text_spans', 'image_class', 'image_bbox'], description: 'CSV' },
  ],
};

async function quietPage(opts) {
  const page = await newPage(browser, opts);
  await page.route('**/api/v1/formats', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(FORMATS) }));
  return page;
}

// Opens each path and lets it settle: its requests done, its late chunks loaded.
async function visit(page, paths) {
  for (const path of paths) {
    await page.goto(server.base + path, { waitUntil: 'networkidle' });
    await page.waitForSelector('main > *');
  }
}

function assertQuiet(page) {
  assert.deepEqual(page.consoleLog, [], page.consoleLog.join('\n'));
  page.assertClean();
}

test('the login page, before any session, logs nothing', async () => {
  const page = await quietPage();
  await visit(page, ['/login', '/', `/p/${text.id}/label`]);
  await page.waitForSelector('[data-testid=login-username]');
  assertQuiet(page);
});

test('a worker\'s pages log nothing, the box editor\'s undo and redo included', async () => {
  const page = await quietPage();
  await login(page, server.base, worker.username, worker.password);
  await visit(page, ['/', '/academy', '/earnings', `/p/${text.id}/label`]);
  await page.goto(server.base + `/p/${boxes.id}/label`);
  await waitTask(page);
  await page.waitForSelector('.bbox-annotator svg');
  const r = await page.$eval('[data-testid=task-image]', (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; });
  await page.mouse.move(r.x + r.w * 0.1, r.y + r.h * 0.1);
  await page.mouse.down();
  await page.mouse.move(r.x + r.w * 0.2, r.y + r.h * 0.2, { steps: 4 });
  await page.mouse.move(r.x + r.w * 0.3, r.y + r.h * 0.3, { steps: 4 });
  await page.mouse.up();
  await page.waitForSelector('[data-testid=box-row]');
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => !document.querySelector('[data-testid=box-row]'));
  await page.keyboard.press('Control+y');
  await page.waitForSelector('[data-testid=box-row]');
  await page.keyboard.press('Control+z');
  await page.waitForTimeout(300);
  await page.click('[data-testid=logout]');
  await page.waitForSelector('[data-testid=login-username]');
  assertQuiet(page);
});

test('a reviewer\'s pages log nothing', async () => {
  const page = await quietPage({ locale: 'ko-KR' });
  await login(page, server.base, reviewer.username, reviewer.password);
  await visit(page, ['/', `/p/${text.id}/review`, `/p/${boxes.id}/review`, '/earnings']);
  assertQuiet(page);
});

test('a manager\'s pages log nothing', async () => {
  const page = await quietPage();
  await login(page, server.base, world.managerUser.username, world.managerUser.password);
  await visit(page, ['/', '/manage', '/manage/new', `/p/${text.id}`, `/p/${boxes.id}`, `/p/${text.id}/settings`,
    `/p/${text.id}/datasets`, `/p/${boxes.id}/datasets`, `/p/${text.id}/upload`,
    `/p/${boxes.id}/upload`, `/p/${text.id}/quality`, `/p/${boxes.id}/quality`, `/p/${text.id}/label`, '/academy', '/earnings']);
  // The settings page's username field asks for the ranked workers when it is first focused.
  await visit(page, [`/p/${text.id}/settings`]);
  await page.waitForSelector('[data-testid=add-member-username]');
  await Promise.all([page.waitForResponse((r) => r.url().endsWith(`/projects/${text.id}/matches`)), page.focus('[data-testid=add-member-username]')]);
  await page.waitForLoadState('networkidle');
  assertQuiet(page);
});

test('an admin\'s pages log nothing', async () => {
  const page = await quietPage();
  await login(page, server.base, 'admin', server.adminPassword);
  await visit(page, ['/', '/admin', '/admin/payouts', '/manage', `/p/${text.id}`, `/p/${text.id}/quality`,
    `/p/${text.id}/settings`, `/p/${text.id}/datasets`, '/academy']);
  assertQuiet(page);
});
