// Keyboard-only work: sign in, open a project, label text_class tasks with 1-9, undo with
// Ctrl+Z, read the instructions with ?, submit with Ctrl+Enter; multi-label toggles; review
// with A and R. No mouse event is sent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, screenshot, waitTask, startWorld } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let reviewer;
let single;
let multi;
const TEXTS = ['첫 번째 문장', '두 번째 문장', '세 번째 문장', '네 번째 문장', '다섯 번째 문장'];

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  reviewer = await world.user('reviewer');
  single = await world.project({ name: '문장 분류', labels: ['긍정', '부정', '중립'], price: 50,
    instructions: '# 작업 가이드\n\n문장의 **감정**을 고르세요.\n\n| 라벨 | 뜻 |\n|---|---|\n| 긍정 | 좋음 |\n| 부정 | 나쁨 |' });
  multi = await world.project({ name: '주제 (복수 선택)', labels: ['sports', 'politics', 'tech'], multi_label: true });
  for (const p of [single, multi]) {
    await world.addMember(p.id, worker.id, 'worker');
    await world.addMember(p.id, reviewer.id, 'reviewer');
  }
  await world.importTexts(single.id, TEXTS);
  await world.importTexts(multi.id, ['Chips and football', 'Elections']);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function tab(page, testid, max = 40) {
  for (let i = 0; i < max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((id) => document.activeElement?.dataset?.testid === id, testid)) return;
  }
  throw new Error('no focusable ' + testid);
}

test('text_class labeling with the keyboard only', async () => {
  const page = await newPage(browser, { locale: 'ko-KR' });
  await page.goto(server.base + '/');
  await page.waitForSelector('[data-testid=login-username]:focus');
  await page.keyboard.type(worker.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(worker.password);
  await page.keyboard.press('Enter');
  await page.waitForSelector('[data-testid=project-card]');
  await tab(page, 'start-labeling');
  const href = await page.evaluate(() => document.activeElement.getAttribute('href'));
  assert.equal(href, `/p/${single.id}/label`);
  await page.keyboard.press('Enter');

  let id = await waitTask(page);
  const want = {};
  let n = 0;
  while (id) {
    if (n === 0) {
      // Undo: 2, then 3, then Ctrl+Z goes back to 2.
      await page.keyboard.press('2');
      await page.keyboard.press('3');
      assert.equal(await page.getAttribute('.label-btn[data-label=중립]', 'aria-pressed'), 'true');
      await page.keyboard.press('Control+z');
      assert.equal(await page.getAttribute('.label-btn[data-label=부정]', 'aria-pressed'), 'true');
      assert.equal(await page.getAttribute('.label-btn[data-label=중립]', 'aria-pressed'), 'false');
      // The instructions open and close with ?.
      await page.keyboard.press('?');
      await page.waitForSelector('[data-testid=guide-body] table');
      await screenshot(page, 'worker-label-guide');
      await page.keyboard.press('?');
      assert.equal(await page.isHidden('[data-testid=guide]'), true);
      want[id] = '부정';
    } else {
      const key = String((n % 3) + 1);
      await page.keyboard.press(key);
      want[id] = single.labels[n % 3];
    }
    await page.keyboard.press('Control+Enter');
    id = await waitTask(page, id);
    n += 1;
  }
  assert.equal(n, TEXTS.length);
  assert.match(await page.textContent('[data-testid=done-count]'), /5/);
  for (const [tid, label] of Object.entries(want)) {
    const t = await world.manager.ok('GET', '/api/v1/tasks/' + tid);
    assert.equal(t.state, 'submitted');
    assert.deepEqual(t.annotation, { labels: [label] });
  }

  // Multi-label: keys toggle; Ctrl+Enter with nothing picked submits nothing.
  await page.goto(server.base + `/p/${multi.id}/label`);
  id = await waitTask(page);
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('[data-testid=toast]');
  assert.equal((await world.manager.ok('GET', '/api/v1/tasks/' + id)).state, 'assigned');
  await page.keyboard.press('1');
  await page.keyboard.press('3');
  await page.keyboard.press('2');
  await page.keyboard.press('2');
  await page.keyboard.press('Control+Enter');
  const next = await waitTask(page, id);
  assert.deepEqual((await world.manager.ok('GET', '/api/v1/tasks/' + id)).annotation, { labels: ['sports', 'tech'] });
  assert.ok(next);
  page.assertClean();
});

test('reviewing with the keyboard only', async () => {
  const page = await newPage(browser, { locale: 'ko-KR' });
  await page.goto(server.base + `/p/${single.id}/review`);
  await page.waitForSelector('[data-testid=login-username]:focus');
  await page.keyboard.type(reviewer.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(reviewer.password);
  await page.keyboard.press('Enter');
  let id = await waitTask(page);
  const rejected = id;
  await page.keyboard.press('r');
  await page.waitForSelector('[data-testid=reason-text]:focus');
  // Ctrl+Enter without a reason keeps the dialog open.
  await page.keyboard.press('Control+Enter');
  assert.equal(await page.isVisible('[data-testid=reject-dialog]'), true);
  await page.keyboard.press('Alt+1');
  await page.keyboard.type('다시 보세요');
  await page.keyboard.press('Control+Enter');
  id = await waitTask(page, id);
  let count = 0;
  while (id) {
    await page.keyboard.press('a');
    id = await waitTask(page, id);
    count += 1;
  }
  assert.equal(count, TEXTS.length - 1);
  const t = await world.manager.ok('GET', '/api/v1/tasks/' + rejected);
  assert.equal(t.state, 'rework');
  assert.equal(t.last_rejection.reason, '다시 보세요');
  assert.equal(t.last_rejection.reason_template, 'wrong_label');
  const stats = await world.manager.ok('GET', `/api/v1/projects/${single.id}/stats`);
  assert.equal(stats.tasks.approved, TEXTS.length - 1);
  page.assertClean();
});
