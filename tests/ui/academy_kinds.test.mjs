// Academy courses of the new kinds in the browser: the course form offers llm_preference and
// image_transcription (never llm_response: free text has no one right answer) and hides the
// labels for them; the manager adds a practice question with its gold answer as JSON, and a
// worker answers it with the kind's own editor, wrong and then right, seeing the gold answer
// each time.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, assertInert, token, startWorld, makePng } from './harness.mjs';

let server;
let world;
let browser;
let worker;

const api = (client, method, path, body) => client.ok(method, '/api/v1' + path, body);
const text = (page, sel) => page.textContent(sel).then((s) => s.trim());

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('student');
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

// Writes a course of `kind` in the form and adds one practice question; the course's id.
async function writeCourse(page, kind, item, answer) {
  await login(page, server.base, world.managerUser.username, world.managerUser.password, '/academy');
  await page.waitForSelector('[data-testid=course-form]');
  const kinds = await page.$$eval('[data-testid=c-kind] option', (els) => els.map((e) => e.value));
  assert.ok(kinds.includes('llm_preference') && kinds.includes('image_transcription'), kinds.join());
  assert.ok(!kinds.includes('llm_response'), 'no course of written answers');
  // Labels come and go with the kind.
  await page.selectOption('[data-testid=c-kind]', 'text_class');
  assert.equal(await page.isVisible('[data-testid=c-labels]'), true);
  await page.selectOption('[data-testid=c-kind]', kind);
  assert.equal(await page.isVisible('[data-testid=c-labels]'), false);
  await page.fill('[data-testid=c-name]', `${kind} ${token()}`);
  await page.fill('[data-testid=c-lesson]', '# ' + kind);
  await page.fill('[data-testid=c-size]', '1');
  await page.click('[data-testid=c-submit]');
  await page.waitForURL(/\/academy\/\d+$/);
  const cid = Number(page.url().match(/\/academy\/(\d+)$/)[1]);
  await page.fill('[data-testid=q-item]', JSON.stringify(item));
  await page.fill('[data-testid=q-answer]', JSON.stringify(answer));
  await page.fill('[data-testid=q-explanation]', 'Why: ' + kind);
  await page.click('[data-testid=q-submit]');
  await page.waitForSelector('[data-testid=toast]:has-text("Question added")');
  const course = await api(world.manager, 'GET', '/courses/' + cid);
  assert.equal(course.kind, kind);
  assert.deepEqual(course.labels, []);
  assert.equal(course.practice_questions, 1);
  return cid;
}

async function check(page, correct) {
  await page.click('[data-testid=practice-check]');
  await page.waitForSelector(`[data-testid=practice-result] [data-correct=${correct}]`);
}

test('an llm_preference course: the gold answer names the better response', async () => {
  const mp = await newPage(browser);
  const item = { prompt: '물은 몇 도에서 끓나요?', responses: [{ id: 'a', text: '100 °C (해수면 기준)' }, { id: 'b', text: '<b>50 °C</b>' }] };
  const ratings = { a: { helpfulness: 5, harmlessness: 5, factuality: 5 }, b: { helpfulness: 1, harmlessness: 5, factuality: 1 } };
  const cid = await writeCourse(mp, 'llm_preference', item, { best: 'a', order: ['a', 'b'], ratings });
  await assertInert(mp);

  const wp = await newPage(browser);
  await login(wp, server.base, worker.username, worker.password, `/academy/${cid}`);
  await wp.waitForSelector('[data-testid=practice] [data-testid=pref-response]');
  assert.equal(await text(wp, '[data-testid=practice] [data-testid=llm-prompt]'), item.prompt);
  // Markup in a response stays text.
  assert.equal(await wp.$$eval('[data-testid=practice] [data-testid=pref-response-text] b', (els) => els.length), 0);
  const pick = async (id) => {
    await wp.click(`[data-testid=practice] [data-testid=pref-response][data-response-id="${id}"] [data-testid=pref-pick]`);
    await wp.keyboard.press('r');
    for (let i = 0; i < 6; i++) await wp.keyboard.press('3');
  };
  await pick('b');
  await check(wp, false);
  assert.equal(await text(wp, '[data-testid=practice-answer]'), 'a');
  assert.equal(await text(wp, '[data-testid=practice-explanation]'), 'Why: llm_preference');
  await pick('a');
  await check(wp, true);
  await assertInert(wp);
});

test('an image_transcription course: the gold answer is the image\'s lines', async () => {
  const png = makePng(160, 40, (x, y) => (y > 12 && y < 28 && x > 10 && x < 150 && (x >> 2) % 2 ? [20, 20, 20] : [250, 250, 250]));
  const item = { width: 160, height: 40, image_url: 'data:image/png;base64,' + Buffer.from(png).toString('base64') };
  const mp = await newPage(browser);
  const cid = await writeCourse(mp, 'image_transcription', item, { lines: [{ text: '합계 12,000원' }] });

  const wp = await newPage(browser);
  await login(wp, server.base, worker.username, worker.password, `/academy/${cid}`);
  await wp.waitForSelector('[data-testid=practice] [data-testid=line-text]');
  // The question's image is drawn for the worker to read.
  const box = await (await wp.waitForSelector('[data-testid=practice] [data-testid=task-image]')).boundingBox();
  assert.ok(box && box.width > 0 && box.height > 0, JSON.stringify(box));
  await wp.fill('[data-testid=practice] [data-testid=line-text]', '합계 13,000');
  await check(wp, false);
  assert.equal(await text(wp, '[data-testid=practice-answer]'), '합계 12,000원');
  await wp.fill('[data-testid=practice] [data-testid=line-text]', '합계 12,000원');
  await check(wp, true);
  await assertInert(wp);
});
