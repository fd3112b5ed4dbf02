// The LLM and transcription kinds in the browser: a manager creates each from the form with its
// settings; a worker compares responses (best by its shown position, ratings and a reason),
// writes an answer from a draft (length counter, diff), and transcribes an image line by line
// (a box drawn for a line), all with the keyboard but the box; a reviewer sees each answer
// read-only, scores the rubric with digits and approves with A. Prompts and responses that look
// like HTML stay text; on a phone the responses stack.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, screenshot, waitTask, startWorld, assertInert, makePng } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let reviewer;
let pref;
let resp;
let ocr;

const XSS_PROMPT = '<img src=x onerror=alert(1)>';
const XSS_RESPONSE = '</script><script>alert(2)</script> **bold?** <b onmouseover=alert(3)>b</b>';
const PREF_ITEMS = [
  { prompt: '한국의 수도는 어디인가요?', system: 'Answer briefly.', responses: [{ id: 'a', text: '서울입니다.' }, { id: 'b', text: '부산입니다.' }] },
  { prompt: XSS_PROMPT, messages: [{ role: 'user', content: 'hi <i>there</i>' }, { role: 'assistant', content: 'hello' }], responses: [{ id: 'x', text: XSS_RESPONSE }, { id: 'y', text: 'plain' }, { id: 'z', text: 'third' }] },
];
const DRAFT = 'The capital of France is Lyon.';

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  reviewer = await world.user('reviewer');
  pref = await world.project({ kind: 'llm_preference', labels: undefined, require_reason: true, scale: 5 });
  resp = await world.project({ kind: 'llm_response', labels: undefined, length: { min: 10, max: 200 }, rubric: [{ name: 'correct' }, { name: 'clear' }], scale: 5 });
  ocr = await world.project({ kind: 'image_transcription', labels: undefined });
  for (const p of [pref, resp, ocr]) {
    await world.addMember(p.id, worker.id, 'worker');
    await world.addMember(p.id, reviewer.id, 'reviewer');
  }
  await importJsonl(pref.id, PREF_ITEMS);
  await importJsonl(resp.id, [{ prompt: 'What is the capital of France? ' + XSS_PROMPT, draft: DRAFT }]);
  await world.importImages(ocr.id, [['line.png', makePng(320, 80, (x, y) => (y > 30 && y < 50 && x > 20 && x < 300 && (x >> 3) % 2 ? [20, 20, 20] : [250, 250, 250]))]]);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

function importJsonl(projectId, rows) {
  const body = rows.map((r) => JSON.stringify(r)).join('\n') + '\n';
  return world.manager.request('POST', `/api/v1/projects/${projectId}/items`, body, { 'Content-Type': 'application/x-ndjson' })
    .then((r) => {
      if (r.status !== 200 || r.json.accepted !== rows.length) throw new Error('import -> ' + r.status + ' ' + r.text);
      return r.json;
    });
}

const getTask = (id) => world.manager.ok('GET', '/api/v1/tasks/' + id);
// The request bodies a page sends to a path ending in `suffix`.
function bodiesTo(page, suffix) {
  const seen = [];
  page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith(suffix)) seen.push(JSON.parse(r.postData() || 'null')); });
  return seen;
}

test('the create form offers the three kinds with their settings', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await login(page, server.base, world.managerUser.username, world.managerUser.password, '/manage/new');
  await page.waitForSelector('[data-testid=f-name]');
  await page.fill('[data-testid=f-name]', 'preference from the form');
  await page.check('[data-testid=f-kind-llm_preference]');
  assert.equal(await page.isVisible('[data-testid=f-labels]'), false, 'no labels for an LLM kind');
  assert.equal(await page.isVisible('[data-testid=f-response-settings]'), false);
  await page.fill('[data-testid=f-criteria]', 'accuracy\ntone');
  await page.selectOption('[data-testid=f-scale]', '7');
  await page.check('[data-testid=f-require-reason]');
  await page.check('[data-testid=f-rank-all]');
  await page.click('[data-testid=create-submit]');
  await page.waitForURL(/\/p\/\d+\/upload$/);
  let p = await getProject(page.url());
  assert.equal(p.kind, 'llm_preference');
  assert.deepEqual(p.criteria, [{ name: 'accuracy' }, { name: 'tone' }]);
  assert.equal(p.scale, 7);
  assert.equal(p.require_reason, true);
  assert.equal(p.rank_all, true);

  await page.goto(server.base + '/manage/new');
  await page.fill('[data-testid=f-name]', 'answers from the form');
  await page.check('[data-testid=f-kind-llm_response]');
  assert.equal(await page.isVisible('[data-testid=f-pref-settings]'), false);
  await page.fill('[data-testid=f-length-min]', '20');
  await page.fill('[data-testid=f-length-max]', '10');
  await page.click('[data-testid=create-submit]');
  assert.match(await page.textContent('[data-testid=form-error]'), /shortest/i);
  await page.fill('[data-testid=f-length-max]', '400');
  await page.fill('[data-testid=f-rubric]', 'follows the guide\ncorrect');
  await page.click('[data-testid=create-submit]');
  await page.waitForURL(/\/p\/\d+\/upload$/);
  p = await getProject(page.url());
  assert.equal(p.kind, 'llm_response');
  assert.deepEqual(p.length, { min: 20, max: 400 });
  assert.deepEqual(p.rubric, [{ name: 'follows the guide' }, { name: 'correct' }]);

  // The settings page shows them and saves a change of one.
  await page.goto(server.base + `/p/${p.id}/settings`);
  await page.waitForSelector('[data-testid=s-length-max]');
  assert.equal(await page.inputValue('[data-testid=s-length-max]'), '400');
  assert.equal(await page.inputValue('[data-testid=s-rubric]'), 'follows the guide\ncorrect');
  await page.fill('[data-testid=s-length-max]', '300');
  await page.click('[data-testid=settings-save]');
  await page.waitForSelector('[data-testid=toast]');
  p = await world.manager.ok('GET', '/api/v1/projects/' + p.id);
  assert.deepEqual(p.length, { min: 20, max: 300 });

  // Prompts pasted one per line become the project's items.
  await page.goto(server.base + `/p/${p.id}/upload`);
  await page.fill('[data-testid=paste-text]', 'First prompt?\n두 번째 프롬프트?\n');
  await page.click('[data-testid=upload-paste]');
  await page.waitForSelector('[data-testid=import-report] [data-fig=accepted]');
  const items = (await world.manager.ok('GET', `/api/v1/projects/${p.id}/items?sort=id`)).items;
  assert.deepEqual(items.map((i) => JSON.parse(i.text).prompt), ['First prompt?', '두 번째 프롬프트?']);

  await page.goto(server.base + '/manage/new');
  await page.check('[data-testid=f-kind-image_transcription]');
  assert.equal(await page.isVisible('[data-testid=f-labels]'), false);
  // Its one setting: the OCR endpoint that pre-fills imported images, none by default.
  assert.equal(await page.isVisible('[data-testid=f-ocr-settings]'), true);
  assert.equal(await page.isVisible('[data-testid=f-scale]'), false);
  await page.fill('[data-testid=f-name]', 'receipts from the form');
  await page.click('[data-testid=create-submit]');
  await page.waitForURL(/\/p\/\d+\/upload$/);
  p = await getProject(page.url());
  assert.equal(p.kind, 'image_transcription');
  assert.equal(p.prefill_endpoint, null);
  page.assertClean();
});

test('the settings page chooses the OCR pre-fill endpoint among the org\'s endpoints', async () => {
  await world.admin.ok('POST', `/api/v1/orgs/${world.org.id}/endpoints`, { name: 'ocr-ui', targets: [{ service: 'ocr' }] });
  const page = await newPage(browser, { locale: 'en-US' });
  // The admin may list the org's endpoints: a choice among them.
  await login(page, server.base, 'admin', server.adminPassword, `/p/${ocr.id}/settings`);
  await page.waitForSelector('[data-testid=s-prefill-endpoint] option[value=ocr-ui]', { state: 'attached' });
  assert.equal(await page.inputValue('[data-testid=s-prefill-endpoint]'), '');
  await page.selectOption('[data-testid=s-prefill-endpoint]', 'ocr-ui');
  await page.click('[data-testid=settings-save]');
  await page.waitForSelector('[data-testid=toast]');
  assert.equal((await world.manager.ok('GET', '/api/v1/projects/' + ocr.id)).prefill_endpoint, 'ocr-ui');
  page.assertClean();
  // A manager may not list them: the name, typed; emptied, the pre-fill is off.
  const mpage = await newPage(browser, { locale: 'en-US' });
  await login(mpage, server.base, world.managerUser.username, world.managerUser.password, `/p/${ocr.id}/settings`);
  await mpage.waitForSelector('[data-testid=s-prefill-endpoint-name]');
  assert.equal(await mpage.inputValue('[data-testid=s-prefill-endpoint-name]'), 'ocr-ui');
  await mpage.fill('[data-testid=s-prefill-endpoint-name]', '');
  await mpage.click('[data-testid=settings-save]');
  await mpage.waitForSelector('[data-testid=toast]');
  assert.equal((await world.manager.ok('GET', '/api/v1/projects/' + ocr.id)).prefill_endpoint, null);
  mpage.assertClean();
});

async function getProject(url) {
  return world.manager.ok('GET', '/api/v1/projects/' + Number(url.match(/\/p\/(\d+)\//)[1]));
}

test('llm_preference: pick by position, rate, give a reason, all by keyboard; XSS stays text', async () => {
  const page = await newPage(browser, { locale: 'ko-KR' });
  await login(page, server.base, worker.username, worker.password, `/p/${pref.id}/label`);
  let id = await waitTask(page);
  const done = {};
  while (id) {
    const task = await getTask(id);
    const shown = await page.$$eval('[data-testid=pref-response]', (els) => els.map((e) => e.dataset.responseId));
    if (task.response_order) assert.deepEqual(shown, task.response_order);
    const item = PREF_ITEMS.find((i) => i.responses.length === shown.length);
    assert.equal(await page.textContent('[data-testid=llm-prompt]'), item.prompt);
    // Every response's text is shown as it is, in its shown place.
    const texts = await page.$$eval('[data-testid=pref-response-text]', (els) => els.map((e) => e.textContent));
    assert.deepEqual(texts, shown.map((rid) => item.responses.find((r) => r.id === rid).text));
    assert.equal(await page.$$eval('[data-testid=llm-conversation] *:is(img, script, b, i)', (els) => els.length), 0);
    await assertInert(page);

    // Nothing picked: Ctrl+Enter says so and hands nothing in.
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('[data-testid=toast]');
    assert.equal((await getTask(id)).state, 'assigned');

    await page.keyboard.press('2');
    assert.equal(await page.getAttribute('[data-testid=pref-response][data-position="2"] [data-testid=pref-pick]', 'aria-pressed'), 'true');
    await page.keyboard.press('t');
    assert.equal(await page.getAttribute('[data-testid=pref-tie]', 'aria-pressed'), 'true');
    assert.equal(await page.getAttribute('[data-testid=pref-response][data-position="2"] [data-testid=pref-pick]', 'aria-pressed'), 'false');
    await page.keyboard.press('2');
    // R goes to the ratings: three criteria a response, a digit each, moving on by itself.
    await page.keyboard.press('r');
    const scores = [];
    for (let i = 0; i < shown.length * 3; i++) {
      const v = (i % 5) + 1;
      scores.push(v);
      await page.keyboard.press(String(v));
    }
    // Past the last rating the reason has the focus; the project requires it.
    assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'pref-reason');
    await page.keyboard.press('Control+Enter');
    await page.waitForSelector('[data-testid=toast]');
    assert.equal((await getTask(id)).state, 'assigned');
    await page.keyboard.type('두 번째가 더 정확합니다 <b>');
    if (!Object.keys(done).length) await screenshot(page, 'worker-label-llm_preference');
    await page.keyboard.press('Control+Enter');
    const next = await waitTask(page, id);
    const ann = (await getTask(id)).annotation;
    assert.equal(ann.best, shown[1]);
    assert.deepEqual(ann.order, shown);
    assert.equal(ann.reason, '두 번째가 더 정확합니다 <b>');
    assert.ok(!ann.tie);
    shown.forEach((rid, k) => assert.deepEqual(ann.ratings[rid], { helpfulness: scores[k * 3], harmlessness: scores[k * 3 + 1], factuality: scores[k * 3 + 2] }));
    done[id] = ann;
    id = next;
  }
  assert.equal(Object.keys(done).length, PREF_ITEMS.length);
  page.assertClean();

  // The review shows the choice, the ratings and the reason read-only, without editing hints.
  const rp = await newPage(browser, { locale: 'en-US' });
  await login(rp, server.base, reviewer.username, reviewer.password, `/p/${pref.id}/review`);
  id = await waitTask(rp);
  while (id) {
    const ann = done[id];
    assert.equal(await rp.getAttribute(`[data-testid=pref-response][data-response-id="${ann.best}"]`, 'class'), 'llm-response best');
    assert.equal(await rp.inputValue('[data-testid=pref-reason]'), ann.reason);
    assert.equal(await rp.getAttribute('[data-testid=pref-reason]', 'readonly'), '');
    assert.equal(await rp.isVisible('[data-testid=pref-help]'), false);
    assert.equal(await rp.isVisible('[data-testid=pref-pick] kbd'), false);
    const value = await rp.getAttribute(`[data-testid=pref-response][data-response-id="${ann.best}"] [data-testid=rating-row]`, 'data-value');
    assert.equal(Number(value), ann.ratings[ann.best].helpfulness);
    // M shows the responses as markdown made safe: emphasis becomes an element, raw HTML text.
    const xss = ann.order.includes('x');
    if (xss) {
      await rp.keyboard.press('m');
      await rp.waitForSelector('[data-response-id=x] [data-testid=pref-response-text] strong');
      const shownX = await rp.$eval('[data-response-id=x] [data-testid=pref-response-text]', (e) => ({ text: e.textContent, bad: e.querySelectorAll('script, b, img').length }));
      assert.match(shownX.text, /<\/script><script>alert\(2\)<\/script>/);
      assert.match(shownX.text, /<b onmouseover=alert\(3\)>/);
      assert.equal(shownX.bad, 0);
      await assertInert(rp);
      await screenshot(rp, 'reviewer-llm_preference-formatted');
      await rp.keyboard.press('m');
      assert.equal(await rp.textContent('[data-response-id=x] [data-testid=pref-response-text]'), XSS_RESPONSE);
    }
    // Keys that edit do nothing here.
    await rp.keyboard.press('1');
    assert.equal(await rp.getAttribute(`[data-testid=pref-response][data-response-id="${ann.best}"]`, 'class'), 'llm-response best');
    await assertInert(rp);
    await screenshot(rp, 'reviewer-llm_preference');
    if (!xss) {
      await rp.keyboard.press('a');
      const next = await waitTask(rp, id);
      assert.equal((await getTask(id)).state, 'approved');
      id = next;
      continue;
    }
    // F: the reviewer's fix picks the first shown instead, and approves with it.
    await rp.keyboard.press('f');
    assert.equal(await rp.isVisible('[data-testid=pref-help]'), true);
    await rp.keyboard.press('1');
    await rp.keyboard.press('Control+Enter');
    const next = await waitTask(rp, id);
    const fixed = await getTask(id);
    assert.equal(fixed.state, 'approved');
    assert.equal(fixed.annotation.best, ann.order[0]);
    assert.deepEqual(fixed.annotation.ratings, ann.ratings);
    id = next;
  }
  rp.assertClean();
});

test('llm_preference ranking every response: positions pressed in order, Backspace takes one back', async () => {
  const ranked = await world.project({ kind: 'llm_preference', labels: undefined, rank_all: true, criteria: [{ name: 'quality' }], scale: 7 });
  await world.addMember(ranked.id, worker.id, 'worker');
  await importJsonl(ranked.id, [{ prompt: 'Rank these', responses: ['first answer', 'second answer', 'third answer'] }]);
  const page = await newPage(browser, { locale: 'en-US' });
  await login(page, server.base, worker.username, worker.password, `/p/${ranked.id}/label`);
  const id = await waitTask(page);
  const shown = await page.$$eval('[data-testid=pref-response]', (els) => els.map((e) => e.dataset.responseId));
  assert.equal(await page.isVisible('[data-testid=pref-tie]'), false);
  for (const k of ['3', '1', '2']) await page.keyboard.press(k);
  await page.keyboard.press('Backspace');
  const ranks = () => page.$$eval('[data-testid=pref-response]', (els) => els.map((e) => e.dataset.rank));
  assert.deepEqual(await ranks(), ['2', '', '1']);
  // Undo and redo step through the ranking.
  await page.keyboard.press('Control+z');
  assert.deepEqual(await ranks(), ['2', '3', '1']);
  await page.keyboard.press('Control+y');
  assert.deepEqual(await ranks(), ['2', '', '1']);
  await page.keyboard.press('2');
  // One criterion on a 1-7 scale: 7, 6 and 5 by digits (the reason has the focus after the
  // last); back in the ratings, the arrows go down to the last and take it down to 4.
  await page.keyboard.press('r');
  for (const k of ['7', '6', '5']) await page.keyboard.press(k);
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'pref-reason');
  await page.keyboard.press('Escape');
  await page.keyboard.press('r');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Control+Enter');
  assert.equal(await waitTask(page, id), null);
  const ann = (await getTask(id)).annotation;
  assert.deepEqual(ann.ranking, [shown[2], shown[0], shown[1]]);
  assert.equal(ann.best, shown[2]);
  assert.deepEqual(shown.map((r) => ann.ratings[r].quality), [7, 6, 4]);
  page.assertClean();
});

test('llm_response: edit the draft within the length range, see the diff; review scores the rubric', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await login(page, server.base, worker.username, worker.password, `/p/${resp.id}/label`);
  const id = await waitTask(page);
  assert.ok(id);
  assert.equal(await page.textContent('[data-testid=llm-prompt]'), 'What is the capital of France? ' + XSS_PROMPT);
  assert.equal(await page.textContent('[data-testid=answer-draft]'), DRAFT);
  // The editor has the focus and starts from the draft.
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'answer-text');
  assert.equal(await page.inputValue('[data-testid=answer-text]'), DRAFT);
  assert.equal(await page.getAttribute('[data-testid=answer-length]', 'data-length'), String(DRAFT.length));
  // Too short: the counter turns, and Ctrl+Enter refuses.
  await page.keyboard.press('Control+a');
  await page.keyboard.type('Paris.');
  assert.match(await page.getAttribute('[data-testid=answer-length]', 'class'), /bad/);
  await page.keyboard.press('Control+Enter');
  await page.waitForSelector('[data-testid=toast]');
  assert.equal((await getTask(id)).state, 'assigned');
  await page.keyboard.press('Control+a');
  await page.keyboard.type('The capital of France is Paris.');
  // The diff follows a pause in typing.
  await page.waitForFunction(() => document.querySelector('[data-testid=answer-diff] del')?.textContent === 'Lyon.');
  assert.equal(await page.textContent('[data-testid=answer-diff] ins'), 'Paris.');
  assert.match(await page.textContent('[data-testid=answer-diff-stat]'), /added: 1, removed: 1/);
  assert.doesNotMatch(await page.getAttribute('[data-testid=answer-length]', 'class'), /bad/);
  await assertInert(page);
  await screenshot(page, 'worker-label-llm_response');
  await page.keyboard.press('Control+Enter');
  assert.equal(await waitTask(page, id), null);
  assert.deepEqual((await getTask(id)).annotation, { text: 'The capital of France is Paris.' });

  const rp = await newPage(browser, { locale: 'ko-KR' });
  const sent = bodiesTo(rp, `/tasks/${id}/review`);
  await login(rp, server.base, reviewer.username, reviewer.password, `/p/${resp.id}/review`);
  assert.equal(await waitTask(rp), id);
  assert.equal(await rp.inputValue('[data-testid=answer-text]'), 'The capital of France is Paris.');
  assert.equal(await rp.getAttribute('[data-testid=answer-text]', 'readonly'), '');
  assert.equal(await rp.textContent('[data-testid=answer-diff] del'), 'Lyon.');
  assert.deepEqual(await rp.$$eval('[data-testid=rubric-row]', (els) => els.map((e) => e.dataset.key)), ['correct', 'clear']);
  // Approving before the rubric is scored says so.
  await rp.keyboard.press('a');
  await rp.waitForSelector('[data-testid=toast]');
  assert.equal(sent.length, 0);
  // A low score and a rejection: the scores go with it.
  await rp.keyboard.press('2');
  await rp.keyboard.press('1');
  await rp.keyboard.press('r');
  await rp.keyboard.type('Say why Lyon is wrong.');
  await rp.keyboard.press('Control+Enter');
  assert.equal(await waitTask(rp, id), null);
  assert.equal((await getTask(id)).state, 'rework');

  // The worker gets it back with the answer as it was, and adds a sentence.
  await page.goto(server.base + `/p/${resp.id}/label`);
  assert.equal(await waitTask(page), id);
  assert.equal(await page.textContent('[data-testid=rejection-reason]'), 'Say why Lyon is wrong.');
  assert.equal(await page.inputValue('[data-testid=answer-text]'), 'The capital of France is Paris.');
  await page.keyboard.type(' Lyon is its third city.');
  await page.keyboard.press('Control+Enter');
  assert.equal(await waitTask(page, id), null);

  // The second review shows the first one's scores in the history; 5 and 4 approve.
  await rp.goto(server.base + `/p/${resp.id}/review`);
  assert.equal(await waitTask(rp), id);
  await rp.waitForSelector('[data-testid=hist-rubric]');
  assert.match(await rp.textContent('[data-testid=hist-rubric]'), /correct 2 · clear 1/);
  await rp.keyboard.press('5');
  await rp.keyboard.press('4');
  await screenshot(rp, 'reviewer-llm_response');
  await rp.keyboard.press('a');
  assert.equal(await waitTask(rp, id), null);
  const done = await getTask(id);
  assert.equal(done.state, 'approved');
  assert.equal(done.annotation.text, 'The capital of France is Paris. Lyon is its third city.');
  assert.deepEqual(sent.map((b) => [b.decision, b.rubric]), [['reject', { correct: 2, clear: 1 }], ['approve', { correct: 5, clear: 4 }]]);
  const approval = done.events.find((e) => e.to === 'approved');
  assert.deepEqual(approval.payload.rubric, { correct: 5, clear: 4 });
  await assertInert(rp);
  rp.assertClean();
  page.assertClean();
});

test('image_transcription: lines typed with Enter and Tab, a box drawn for a line; the review shows them', async () => {
  const page = await newPage(browser, { locale: 'ko-KR' });
  await login(page, server.base, worker.username, worker.password, `/p/${ocr.id}/label`);
  const id = await waitTask(page);
  assert.ok(id);
  await page.waitForSelector('.bbox-annotator svg');
  assert.equal(await page.evaluate(() => document.activeElement.dataset.testid), 'line-text');
  await page.keyboard.type('첫 줄');
  await page.keyboard.press('Enter');
  await page.keyboard.type('second line');
  await page.keyboard.press('Enter');
  await page.keyboard.type('drop me');
  // Backspace on an emptied line takes it away; Shift+Tab goes back a line.
  for (let i = 0; i < 'drop me'.length + 1; i++) await page.keyboard.press('Backspace');
  assert.equal(await page.$$eval('[data-testid=line-row]', (els) => els.length), 2);
  // The box goes to the line being typed: the second.
  const r = await page.$eval('[data-testid=task-image]', (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; });
  await page.mouse.move(r.x + r.w * 0.1, r.y + r.h * 0.3);
  await page.mouse.down();
  await page.mouse.move(r.x + r.w * 0.5, r.y + r.h * 0.5, { steps: 4 });
  await page.mouse.move(r.x + r.w * 0.9, r.y + r.h * 0.7, { steps: 4 });
  await page.mouse.up();
  await page.waitForSelector('[data-testid=line-row][data-box=true]');
  assert.deepEqual(await page.$$eval('[data-testid=line-row]', (els) => els.map((e) => e.dataset.box)), ['false', 'true']);
  await page.keyboard.press('Shift+Tab');
  await page.keyboard.press('End');
  await page.keyboard.type('입니다');
  await screenshot(page, 'worker-label-image_transcription');
  await page.keyboard.press('Control+Enter');
  assert.equal(await waitTask(page, id), null);
  const ann = (await getTask(id)).annotation;
  assert.deepEqual(ann.lines.map((l) => l.text), ['첫 줄입니다', 'second line']);
  assert.equal(ann.lines[0].box, undefined);
  const b = ann.lines[1].box;
  assert.ok(b.x >= 20 && b.x <= 44 && b.w >= 230 && b.w <= 270 && b.y >= 16 && b.h >= 24 && b.h <= 40, JSON.stringify(b));
  page.assertClean();

  const rp = await newPage(browser, { locale: 'en-US' });
  await login(rp, server.base, reviewer.username, reviewer.password, `/p/${ocr.id}/review`);
  assert.equal(await waitTask(rp), id);
  assert.deepEqual(await rp.$$eval('[data-testid=line-text]', (els) => els.map((e) => [e.value, e.readOnly])), [['첫 줄입니다', true], ['second line', true]]);
  assert.equal(await rp.isVisible('[data-testid=line-add]'), false);
  assert.equal(await rp.isVisible('[data-testid=line-delete]'), false);
  // Fix: the lines become editable; one changed, then approved with the fix.
  await rp.keyboard.press('f');
  await rp.click('[data-testid=line-row]:nth-child(2) [data-testid=line-text]');
  await rp.keyboard.press('End');
  await rp.keyboard.type('!');
  await rp.keyboard.press('Control+Enter');
  assert.equal(await waitTask(rp, id), null);
  const fixed = await getTask(id);
  assert.equal(fixed.state, 'approved');
  assert.deepEqual(fixed.annotation.lines.map((l) => l.text), ['첫 줄입니다', 'second line!']);
  assert.deepEqual(fixed.annotation.lines[1].box, b);
  rp.assertClean();
});

test('image_transcription: lines pre-filled for the item load to be checked, boxes and all', async () => {
  await world.importImages(ocr.id, [['receipt.png', makePng(200, 60, (x, y) => (y > 20 && y < 40 && x > 10 && x < 110 ? [0, 0, 0] : [255, 255, 255]))]]);
  const page = await newPage(browser, { locale: 'ko-KR' });
  // The pre-fill an OCR pass leaves on a task (the server's "preannotation"), given to this claim.
  await page.route(`**/api/v1/projects/${ocr.id}/tasks/next`, async (route) => {
    const r = await route.fetch();
    const task = await r.json();
    task.preannotation = { lines: [{ text: 'OCR 결과', box: [10, 20, 100, 20] }, { text: '<img src=x onerror=alert(9)>' }] };
    await route.fulfill({ response: r, json: task });
  });
  await login(page, server.base, worker.username, worker.password, `/p/${ocr.id}/label`);
  const id = await waitTask(page);
  assert.ok(id);
  assert.equal(await page.isVisible('[data-testid=prefill-note]'), true);
  assert.deepEqual(await page.$$eval('[data-testid=line-text]', (els) => els.map((e) => e.value)), ['OCR 결과', '<img src=x onerror=alert(9)>']);
  assert.deepEqual(await page.$$eval('[data-testid=line-row]', (els) => els.map((e) => e.dataset.box)), ['true', 'false']);
  await assertInert(page);
  // Escape leaves the lines; Delete then takes the current line's box away, and undo brings it back.
  await page.keyboard.press('Escape');
  await page.keyboard.press('Delete');
  assert.deepEqual(await page.$$eval('[data-testid=line-row]', (els) => els.map((e) => e.dataset.box)), ['false', 'false']);
  await page.keyboard.press('Control+z');
  assert.deepEqual(await page.$$eval('[data-testid=line-row]', (els) => els.map((e) => e.dataset.box)), ['true', 'false']);
  // The first line, corrected; the second removed with its row's button.
  await page.click('[data-testid=line-row]:nth-child(1) [data-testid=line-text]');
  await page.keyboard.press('End');
  await page.keyboard.type(' 수정');
  await page.click('[data-testid=line-row]:nth-child(2) [data-testid=line-delete]');
  await page.keyboard.press('Control+Enter');
  assert.equal(await waitTask(page, id), null);
  assert.deepEqual((await getTask(id)).annotation, { lines: [{ text: 'OCR 결과 수정', box: { x: 10, y: 20, w: 100, h: 20 } }] });
  page.assertClean();
});

test('on a phone the responses stack and the page fits the screen', async () => {
  const item = { prompt: 'phone', responses: [{ id: 'a', text: 'one '.repeat(40) }, { id: 'b', text: 'two '.repeat(40) }] };
  await importJsonl(pref.id, [item]);
  const page = await newPage(browser, { locale: 'ko-KR', viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true, deviceScaleFactor: 2 });
  await login(page, server.base, worker.username, worker.password, `/p/${pref.id}/label`);
  assert.ok(await waitTask(page));
  const boxes = await page.$$eval('[data-testid=pref-response]', (els) => els.map((e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, r: b.right, b: b.bottom }; }));
  assert.equal(boxes.length, 2);
  assert.ok(boxes[1].y >= boxes[0].b - 1, 'the second response is below the first: ' + JSON.stringify(boxes));
  assert.ok(boxes.every((b) => b.x >= 0 && b.r <= 390.5), JSON.stringify(boxes));
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(sw <= 390, 'page is ' + sw + ' px wide');
  await screenshot(page, 'mobile-llm_preference');
  // Taps work as well as keys.
  await page.tap('[data-testid=pref-response][data-position="1"] [data-testid=pref-pick]');
  assert.equal(await page.getAttribute('[data-testid=pref-response][data-position="1"] [data-testid=pref-pick]', 'aria-pressed'), 'true');

  // The answer editor fits as well, the draft and the diff above the thumb's buttons.
  await importJsonl(resp.id, [{ prompt: '휴대폰에서 답변 쓰기', draft: 'A draft that is long enough to wrap on a narrow screen, '.repeat(3) }]);
  await page.goto(server.base + `/p/${resp.id}/label`);
  assert.ok(await waitTask(page));
  const editor = await page.$eval('[data-testid=answer-text]', (e) => { const b = e.getBoundingClientRect(); return { x: b.x, r: b.right }; });
  assert.ok(editor.x >= 0 && editor.r <= 390.5, JSON.stringify(editor));
  assert.ok(await page.evaluate(() => document.documentElement.scrollWidth) <= 390);
  await screenshot(page, 'mobile-llm_response');
  page.assertClean();
});

test('gold items: a better response picked and rated on an item, an image\'s lines typed; none for written answers', async () => {
  const mp = await newPage(browser, { locale: 'en-US' });
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${pref.id}/quality`);
  await mp.waitForSelector('[data-testid=gold-form]');
  // Position bias: of the two approved answers, the fixed one chose the response shown first.
  await mp.waitForSelector('[data-testid=position-bias]');
  assert.equal(await mp.textContent('[data-testid=position-bias]'), '1 of 2: too few to rate');
  assert.equal(await mp.isVisible('[data-testid=agreement] [data-fig=kendall_tau]'), true);
  const items = (await world.manager.ok('GET', `/api/v1/projects/${pref.id}/items?type=text&sort=id`)).items;
  await mp.waitForSelector(`[data-testid=gold-pick] option[value="${items[0].id}"]`, { state: 'attached' });
  await mp.selectOption('[data-testid=gold-pick]', String(items[0].id));
  const ed = '[data-testid=gold-editor]';
  await mp.waitForSelector(`${ed} [data-testid=pref-response]`);
  assert.equal(await mp.textContent(`${ed} [data-testid=llm-prompt]`), PREF_ITEMS[0].prompt);
  await mp.click(`${ed} [data-testid=pref-response][data-response-id=a] [data-testid=pref-pick]`);
  for (const row of await mp.$$(`${ed} [data-testid=rating-row]`)) await (await row.$('.score-btn[data-score="4"]')).click();
  await mp.fill(`${ed} [data-testid=pref-reason]`, 'Seoul is the capital.');
  await mp.click('[data-testid=gold-submit]');
  await mp.waitForSelector(`[data-testid=gold] tr[data-item-id="${items[0].id}"]`);
  let [gold] = (await world.manager.ok('GET', `/api/v1/projects/${pref.id}/gold`)).items;
  assert.equal(gold.answer.best, 'a');
  assert.deepEqual(gold.answer.ratings.b, { helpfulness: 4, harmlessness: 4, factuality: 4 });
  assert.equal(await mp.textContent(`[data-testid=gold] tr[data-item-id="${items[0].id}"] [data-testid=gold-answer-text]`), 'a');
  await assertInert(mp);

  const image = (await world.manager.ok('GET', `/api/v1/projects/${ocr.id}/items?type=image&sort=id`)).items[0];
  await mp.goto(server.base + `/p/${ocr.id}/quality`);
  await mp.waitForSelector('[data-testid=gold-form]');
  await mp.waitForSelector('[data-testid=agreement] [data-fig=cer]');
  assert.equal(await mp.textContent('[data-testid=prefill-cer]'), '—');
  await mp.fill('[data-testid=gold-item-id]', String(image.id));
  await mp.click('[data-testid=gold-load]');
  await mp.waitForSelector(`${ed} .bbox-annotator svg`);
  await mp.click(`${ed} [data-testid=line-text]`);
  await mp.keyboard.type('정답 줄');
  await mp.keyboard.press('Enter');
  await mp.keyboard.type('second');
  await mp.click('[data-testid=gold-submit]');
  await mp.waitForSelector(`[data-testid=gold] tr[data-item-id="${image.id}"]`);
  [gold] = (await world.manager.ok('GET', `/api/v1/projects/${ocr.id}/gold`)).items;
  assert.deepEqual(gold.answer, { lines: [{ text: '정답 줄' }, { text: 'second' }] });
  assert.equal(await mp.textContent(`[data-testid=gold] tr[data-item-id="${image.id}"] [data-testid=gold-answer-text]`), '정답 줄 / second');

  await mp.goto(server.base + `/p/${resp.id}/quality`);
  await mp.waitForSelector('[data-testid=gold-none-for-kind]');
  assert.equal(await mp.$('[data-testid=gold-form]'), null);
  mp.assertClean();
});

test('the manager\'s pages of each new kind open cleanly, in Korean', async () => {
  const page = await newPage(browser, { locale: 'ko-KR' });
  await login(page, server.base, world.managerUser.username, world.managerUser.password);
  for (const p of [pref, resp, ocr]) {
    for (const [path, sel] of [[`/p/${p.id}`, '[data-testid=project-progress]'], [`/p/${p.id}/datasets`, '[data-testid=dataset-versions] h2'],
      [`/p/${p.id}/quality`, '[data-testid=quality-figures] .figure'], [`/p/${p.id}/upload`, '[data-testid=dropzone]'],
      [`/p/${p.id}/settings`, '[data-testid=settings-form]']]) {
      await page.goto(server.base + path);
      await page.waitForSelector(sel);
      await assertInert(page);
    }
    assert.equal(await page.isVisible('[data-testid=s-kind-settings]'), true, p.kind);
    assert.equal(await page.isVisible('[data-testid=s-ocr-settings]'), p.kind === 'image_transcription', p.kind);
    assert.equal(await page.isVisible('[data-testid=s-labels]'), false, p.kind);
  }
  assert.match(await page.textContent('[data-testid=settings-project]'), /· 이미지 전사$/);
  page.assertClean();
});
