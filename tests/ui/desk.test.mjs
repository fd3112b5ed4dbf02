// The worker's and the manager's desk: redo beside undo, the instructions open beside the task
// on a wide screen (and closed for good when closed), the progress of the project on its
// dashboard and of the session on the label page, and an upload that can be cancelled.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, waitTask, startWorld } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let project;

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  project = await world.project({ labels: ['pos', 'neg', 'mixed'], instructions: '# How to label\nRead the **whole** text.' });
  await world.addMember(project.id, worker.id, 'worker');
  await world.importTexts(project.id, ['a', 'b', 'c', 'd']);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

const pressed = (page, label) => page.getAttribute(`.label-btn[data-label=${label}]`, 'aria-pressed');

test('redo with Ctrl+Y, Ctrl+Shift+Z and its button brings back what undo took', async () => {
  const page = await newPage(browser);
  await login(page, server.base, worker.username, worker.password, `/p/${project.id}/label`);
  await waitTask(page);
  assert.equal(await page.isDisabled('[data-testid=redo]'), true);
  await page.keyboard.press('1');
  await page.keyboard.press('2');
  assert.equal(await pressed(page, 'neg'), 'true');
  await page.keyboard.press('Control+z');
  assert.equal(await pressed(page, 'pos'), 'true');
  assert.equal(await page.isDisabled('[data-testid=redo]'), false);
  await page.keyboard.press('Control+y');
  assert.equal(await pressed(page, 'neg'), 'true');
  await page.keyboard.press('Control+z');
  await page.keyboard.press('Control+Shift+z');
  assert.equal(await pressed(page, 'neg'), 'true');
  await page.keyboard.press('Control+z');
  await page.click('[data-testid=redo]');
  assert.equal(await pressed(page, 'neg'), 'true');
  assert.equal(await page.isDisabled('[data-testid=redo]'), true);
  // A new change drops what could have been redone.
  await page.keyboard.press('Control+z');
  await page.keyboard.press('3');
  assert.equal(await page.isDisabled('[data-testid=redo]'), true);
  await page.keyboard.press('Control+y');
  assert.equal(await pressed(page, 'mixed'), 'true');
  page.assertClean();
});

test('on a wide screen the instructions are open beside the task; closed, they stay closed', async () => {
  const page = await newPage(browser, { viewport: { width: 1600, height: 900 } });
  await login(page, server.base, worker.username, worker.password, `/p/${project.id}/label`);
  await waitTask(page);
  await page.waitForSelector('[data-testid=guide-body] h1');
  assert.equal(await page.textContent('[data-testid=guide-body] h1'), 'How to label');
  const guide = await page.$eval('[data-testid=guide]', (e) => e.getBoundingClientRect().toJSON());
  const data = await page.$eval('.work-data', (e) => e.getBoundingClientRect().toJSON());
  assert.ok(guide.left >= data.right - 1 && guide.right <= 1600, 'beside the task');
  await page.click('[data-testid=guide-close]');
  assert.equal(await page.isVisible('[data-testid=guide]'), false);
  await page.reload();
  await waitTask(page);
  assert.equal(await page.isVisible('[data-testid=guide]'), false);
  await page.click('[data-testid=guide-toggle]');
  await page.waitForSelector('[data-testid=guide-body] h1');
  page.assertClean();
  // At 1280 px the task keeps the room: the instructions wait for "?".
  const narrow = await newPage(browser);
  await login(narrow, server.base, worker.username, worker.password, `/p/${project.id}/label`);
  await waitTask(narrow);
  assert.equal(await narrow.isVisible('[data-testid=guide]'), false);
  narrow.assertClean();
});

test('the dashboard shows the project\'s progress; the label page counts the session', async () => {
  // Two of four approved.
  for (let i = 0; i < 2; i++) {
    const t = await worker.client.ok('POST', `/api/v1/projects/${project.id}/tasks/next`);
    await worker.client.ok('POST', `/api/v1/tasks/${t.id}/submit`, { annotation: { labels: ['pos'] } });
    const r = await world.manager.ok('POST', `/api/v1/projects/${project.id}/reviews/next`);
    await world.manager.ok('POST', `/api/v1/tasks/${r.id}/review`, { decision: 'approve' });
  }
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}`);
  await page.waitForSelector('[data-testid=project-progress]');
  assert.equal(await page.getAttribute('[data-testid=project-progress]', 'data-done'), '2');
  assert.equal(await page.getAttribute('[data-testid=project-progress]', 'data-total'), '4');
  assert.equal(await page.$eval('[data-testid=project-progress] progress', (e) => e.value / e.max), 0.5);
  assert.match(await page.textContent('[data-testid=project-progress]'), /2 of 4 tasks done \(50%\)/);

  const wp = await newPage(browser);
  await login(wp, server.base, worker.username, worker.password, `/p/${project.id}/label`);
  let id = await waitTask(wp);
  assert.equal(await wp.textContent('[data-testid=done-count]'), '0 submitted this session');
  await wp.keyboard.press('1');
  await wp.keyboard.press('Control+Enter');
  id = await waitTask(wp, id);
  assert.equal(await wp.textContent('[data-testid=done-count]'), '1 submitted this session');
  page.assertClean();
  wp.assertClean();
});

test('an upload can be cancelled while it is sent, and nothing of it is imported', async () => {
  const before = await world.manager.ok('GET', `/api/v1/projects/${project.id}/stats`);
  const page = await newPage(browser);
  await page.route('**/api/v1/formats', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"uploads":[],"exports":[]}' }));
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}/upload`);
  await page.waitForSelector('[data-testid=paste-text]');
  // A slow line: 64 KiB a second up, so that 2 MiB takes half a minute.
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 64 * 1024 });
  const lines = Array.from({ length: 2000 }, (_, i) => 'line ' + i + ' ' + 'x'.repeat(1000));
  await page.$eval('[data-testid=paste-text]', (el, v) => { el.value = v; }, lines.join('\n'));
  await page.click('[data-testid=upload-paste]');
  await page.waitForSelector('[data-testid=upload-cancel]');
  await page.waitForFunction(() => /KiB|MiB/.test(document.querySelector('[data-testid=upload-progress-text]')?.textContent ?? ''));
  await page.click('[data-testid=upload-cancel]');
  await page.waitForSelector('[data-testid=upload-progress][data-done=cancelled]');
  assert.match(await page.textContent('[data-testid=upload-progress-text]'), /cancelled; nothing was imported/);
  assert.equal(await page.isVisible('[data-testid=upload-cancel]'), false);
  assert.equal(await page.isDisabled('[data-testid=upload-paste]'), false);
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  const afterCancel = await world.manager.ok('GET', `/api/v1/projects/${project.id}/stats`);
  assert.equal(afterCancel.items, before.items);
  page.assertClean();
});
