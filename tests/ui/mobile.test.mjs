// Phones: at 390×844 nothing is wider than the screen, the menu folds behind a toggle, the
// editor sits above its side panel, targets are touch-sized, and a worker labels and a reviewer
// approves with taps alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, waitTask, startWorld, screenshot } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let reviewer;
let project;

const PHONE = { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 };

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker_with_a_rather_long_name');
  reviewer = await world.user('reviewer');
  project = await world.project({
    name: '휴대폰에서 라벨링하는 아주 긴 프로젝트 이름 for phones and small screens',
    labels: ['positive', 'negative', 'neutral', 'mixed feelings about it'],
    instructions: '# Guide\nPick the tone of the whole review.',
  });
  await world.addMember(project.id, worker.id, 'worker');
  await world.addMember(project.id, reviewer.id, 'reviewer');
  await world.importTexts(project.id, ['첫 번째 리뷰입니다. 아주 좋았어요.', 'Second review: a long sentence that has to wrap inside a narrow screen without pushing the page wider than it is.', 'third']);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function phone(locale = 'ko-KR') {
  const page = await newPage(browser, { locale, ...PHONE });
  await page.route('**/api/v1/formats', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: '{"uploads":[],"exports":[]}' }));
  return page;
}

// Nothing reaches past the right edge of the screen.
async function assertFits(page, where) {
  const r = await page.evaluate(() => {
    const w = window.innerWidth;
    const wide = [];
    for (const el of document.querySelectorAll('#app *')) {
      const b = el.getBoundingClientRect();
      if (b.width && b.right > w + 1 && !el.closest('.table-card, .card, .bbox-viewport')) wide.push(el.tagName + '.' + el.className + ' ' + Math.round(b.right));
    }
    return { sw: document.documentElement.scrollWidth, w, wide: wide.slice(0, 5) };
  });
  assert.ok(r.sw <= r.w, `${where}: page is ${r.sw} px wide on a ${r.w} px screen: ${r.wide.join(', ')}`);
}

const box = (page, sel) => page.$eval(sel, (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height, r: b.right, b: b.bottom }; });

async function assertOnScreen(page, sel) {
  const b = await box(page, sel);
  assert.ok(b.w > 0 && b.x >= 0 && b.r <= 390 + 0.5, `${sel} is off screen: ${JSON.stringify(b)}`);
  return b;
}

test('the header folds into a menu that holds the links, the language and log out', async () => {
  const page = await phone();
  await page.goto(server.base + '/login');
  await page.waitForSelector('[data-testid=login-username]');
  await assertFits(page, '/login');
  await login(page, server.base, worker.username, worker.password);
  await page.waitForSelector('.project-card');
  await assertFits(page, '/');
  assert.equal(await page.isVisible('[data-testid=logout]'), false);
  await assertOnScreen(page, '[data-testid=menu-toggle]');
  await page.tap('[data-testid=menu-toggle]');
  for (const sel of ['[data-testid=logout]', '[data-testid=lang]', '[data-testid=nav-earnings]']) {
    assert.equal(await page.isVisible(sel), true, sel);
    const b = await assertOnScreen(page, sel);
    assert.ok(b.h >= 40, sel + ' is ' + b.h + ' px tall');
  }
  await assertFits(page, '/ with the menu open');
  await page.tap('[data-testid=nav-earnings]');
  await page.waitForSelector('main h1');
  assert.equal(await page.isVisible('[data-testid=logout]'), false, 'the menu closes on a move');
  await assertFits(page, '/earnings');
  await page.goto(server.base + '/academy');
  await page.waitForSelector('main h1');
  await assertFits(page, '/academy');
  page.assertClean();
});

test('a worker labels with taps: the text above the labels, the labels touch-sized, submit at the thumb', async () => {
  const page = await phone();
  await login(page, server.base, worker.username, worker.password, `/p/${project.id}/label`);
  let id = await waitTask(page);
  await assertFits(page, 'label page');
  const data = await box(page, '.work-data');
  const side = await box(page, '.work-side');
  assert.ok(side.y >= data.b - 1, `the side panel (${side.y}) is below the data (${data.b})`);
  assert.ok(side.w >= 360, 'the side panel is ' + side.w + ' px wide');
  for (const b of await page.$$eval('.label-btn', (els) => els.map((e) => e.getBoundingClientRect().height))) assert.ok(b >= 44, 'a label is ' + b + ' px tall');
  const submit = await assertOnScreen(page, '[data-testid=submit]');
  assert.ok(submit.h >= 48 && submit.b <= 844 && submit.y >= 844 - 140, 'submit at the bottom: ' + JSON.stringify(submit));
  await screenshot(page, 'mobile-label');
  for (let n = 1; n <= 2; n++) {
    await page.tap('.label-btn[data-label=negative]');
    await page.tap('[data-testid=submit]');
    id = await waitTask(page, id);
    assert.match(await page.textContent('[data-testid=done-count]'), new RegExp(String(n)));
    await assertFits(page, 'label page after ' + n);
  }
  // The instructions cover the screen and close again.
  await page.tap('[data-testid=guide-toggle]');
  const g = await box(page, '[data-testid=guide]');
  assert.ok(g.x >= 0 && g.r <= 390.5, 'guide fits: ' + JSON.stringify(g));
  await page.tap('[data-testid=guide] .btn-icon');
  assert.equal(await page.isVisible('[data-testid=guide]'), false);
  page.assertClean();
});

test('a reviewer approves with a tap; the page fits the screen', async () => {
  const page = await phone('en-US');
  await login(page, server.base, reviewer.username, reviewer.password, `/p/${project.id}/review`);
  let id = await waitTask(page);
  assert.ok(id, 'a submission to review');
  await assertFits(page, 'review page');
  for (const sel of ['[data-testid=approve]', '[data-testid=reject]', '[data-testid=task-text]']) await assertOnScreen(page, sel);
  const approve = await box(page, '[data-testid=approve]');
  assert.ok(approve.h >= 48 && approve.b <= 844, 'approve at the bottom: ' + JSON.stringify(approve));
  const data = await box(page, '.work-data');
  const side = await box(page, '.work-side');
  assert.ok(side.y >= data.b - 1, 'the history is below the data');
  await screenshot(page, 'mobile-review');
  await page.tap('[data-testid=approve]');
  id = await waitTask(page, id);
  await assertFits(page, 'review page after approving');
  await page.tap('[data-testid=reject]');
  await page.waitForSelector('[data-testid=reject-dialog]');
  await assertFits(page, 'reject dialog');
  await assertOnScreen(page, '[data-testid=reject-dialog] [data-testid=reason-text]');
  page.assertClean();
});

test('the manager\'s pages fit the screen too', async () => {
  const page = await phone('en-US');
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}`);
  await page.waitForSelector('[data-testid=project-progress]');
  await assertFits(page, 'dashboard');
  for (const [path, sel] of [[`/p/${project.id}/settings`, '[data-testid=settings-form]'], [`/p/${project.id}/datasets`, '[data-testid=dataset-versions] h2'],
    [`/p/${project.id}/quality`, '[data-testid=quality-figures] .figure'], [`/p/${project.id}/upload`, '[data-testid=dropzone]'], ['/manage', 'main h1']]) {
    await page.goto(server.base + path);
    await page.waitForSelector(sel);
    await assertFits(page, path);
  }
  page.assertClean();
});
