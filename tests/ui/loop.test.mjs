// The whole loop in the browser: a manager creates a project of each kind and uploads data
// through the UI; a worker labels each kind (a box drawn with the mouse, a span selected with
// the mouse); a reviewer rejects with a reason; the worker sees it and reworks; the reviewer
// approves and fixes; an escalated task is resolved; the dashboard shows the counts. Every
// step is checked on the page and against the API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, screenshot, scenePng, waitTask, startWorld, selectText } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let reviewer;
const projects = {}; // kind -> project
let managerPage;
let workerPage;
let reviewerPage;

const SPAN_TEXT = '😀 김철수는 서울에서 일한다. Alice met Bob in Paris.';
const TEXTS = {
  text_class: ['이 영화 정말 재미있어요!', '배송이 너무 늦었어요.', '그냥 그래요.'],
  text_spans: [SPAN_TEXT, 'Bob은 부산 출신이다.'],
};

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  reviewer = await world.user('reviewer');
  browser = await launchBrowser();
  managerPage = await newPage(browser, { locale: 'en-US' });
  workerPage = await newPage(browser, { locale: 'ko-KR' });
  reviewerPage = await newPage(browser, { locale: 'ko-KR' });
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

const api = (client, method, path, body) => client.ok(method, '/api/v1' + path, body);

async function createProject(page, { name, kind, labels, instructions, multi = false, price = '120', fee = '30' }) {
  await page.goto(server.base + '/manage');
  await page.click('[data-testid=new-project]');
  await page.waitForSelector('[data-testid=f-name]');
  await page.fill('[data-testid=f-name]', name);
  await page.check('[data-testid=f-kind-' + kind + ']');
  await page.fill('[data-testid=f-labels]', labels.join('\n'));
  if (multi) await page.check('[data-testid=f-multi]');
  await page.fill('[data-testid=f-instructions]', instructions);
  await page.fill('[data-testid=f-price]', price);
  await page.fill('[data-testid=f-fee]', fee);
  // The preview renders the markdown.
  await page.waitForSelector('[data-testid=instructions-preview] h1');
  if (kind === 'image_bbox') await screenshot(page, 'manager-create-project');
  await page.click('[data-testid=create-submit]');
  await page.waitForURL(/\/p\/\d+\/upload$/);
  const id = Number(page.url().match(/\/p\/(\d+)\/upload/)[1]);
  const p = await api(world.manager, 'GET', '/projects/' + id);
  assert.equal(p.name, name);
  assert.equal(p.kind, kind);
  assert.deepEqual(p.labels, labels);
  assert.equal(p.price, Number(price));
  assert.equal(p.reviewer_fee, Number(fee));
  assert.equal(p.status, 'open');
  assert.equal(p.multi_label, multi);
  return p;
}

async function uploadFiles(page, files) {
  await page.setInputFiles('[data-testid=file-input]', files);
  await page.click('[data-testid=upload-files]');
  await page.waitForSelector('[data-testid=upload-progress][data-done=true]');
  await page.waitForSelector('[data-testid=import-report] [data-fig=accepted]');
  const fig = async (k) => Number((await page.textContent(`[data-testid=import-report] [data-fig=${k}] .figure-value`)).replace(/\D/g, ''));
  return { accepted: await fig('accepted'), duplicates: await fig('duplicates'), rejected: await fig('rejected') };
}

async function invite(page, projectId, username, role) {
  await page.goto(server.base + '/p/' + projectId);
  await page.fill('[data-testid=invite-username]', username);
  await page.selectOption('[data-testid=invite-role]', role);
  await page.click('[data-testid=invite-form] button[type=submit]');
  await page.waitForSelector(`[data-testid=members] tr:has-text("${username}")`);
}

async function tasksOf(projectId) {
  const r = await api(world.manager, 'GET', `/projects/${projectId}/tasks?limit=500`);
  return r.items;
}
const getTask = (id) => api(world.manager, 'GET', '/tasks/' + id);

test('a manager creates a project of each kind and uploads data through the UI', async () => {
  const page = managerPage;
  await login(page, server.base, world.managerUser.username, world.managerUser.password);

  projects.text_class = await createProject(page, {
    name: 'Review sentiment', kind: 'text_class', labels: ['positive', 'negative', 'neutral'],
    instructions: '# Sentiment\n\nPick the **overall** feeling of the review.\n\n- positive: the writer liked it\n- negative: the writer did not',
  });
  const jsonl = TEXTS.text_class.map((text) => JSON.stringify({ text })).join('\n') + '\n{"text": ""}\nnot json\n' + JSON.stringify({ text: TEXTS.text_class[0] }) + '\n';
  let rep = await uploadFiles(page, [{ name: 'reviews.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(jsonl) }]);
  assert.deepEqual(rep, { accepted: 3, duplicates: 1, rejected: 2 });
  const lines = await page.$$eval('[data-testid=report-lines] li', (els) => els.map((e) => e.textContent));
  assert.equal(lines.length, 3, lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('reviews.jsonl:4') && /empty text/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('reviews.jsonl:5') && /malformed JSON/.test(l)), lines.join('\n'));
  assert.ok(lines.some((l) => l.startsWith('reviews.jsonl:6') && /duplicate/.test(l)), lines.join('\n'));
  await screenshot(page, 'manager-upload-report');

  projects.image_class = await createProject(page, {
    name: 'Scene colors', kind: 'image_class', labels: ['red', 'green', 'purple', 'orange'], multi: true,
    instructions: '# Colors\n\nPick every color of the object.',
  });
  rep = await uploadFiles(page, [0, 1, 4].map((i) => ({ name: `scene${i}.png`, mimeType: 'image/png', buffer: scenePng(i) }))
    .concat([{ name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not an image') }]));
  assert.deepEqual(rep, { accepted: 3, duplicates: 0, rejected: 1 });

  projects.image_bbox = await createProject(page, {
    name: 'Find the objects', kind: 'image_bbox', labels: ['object', 'ground'],
    instructions: '# Boxes\n\nDraw a tight box around every **object**.',
  });
  rep = await uploadFiles(page, [2, 3].map((i) => ({ name: `scene${i}.png`, mimeType: 'image/png', buffer: scenePng(i) })));
  assert.deepEqual(rep, { accepted: 2, duplicates: 0, rejected: 0 });

  projects.text_spans = await createProject(page, {
    name: 'Names and places', kind: 'text_spans', labels: ['PER', 'LOC'],
    instructions: '# NER\n\nMark people (PER) and places (LOC).',
  });
  // Pasted lines go up as JSONL.
  await page.fill('[data-testid=paste-text]', TEXTS.text_spans.join('\n'));
  await page.click('[data-testid=upload-paste]');
  await page.waitForSelector('[data-testid=upload-progress][data-done=true]');
  assert.equal(await page.textContent('[data-testid=import-report] [data-fig=accepted] .figure-value'), '2');

  for (const p of Object.values(projects)) {
    await invite(page, p.id, worker.username, 'worker');
    await invite(page, p.id, reviewer.username, 'reviewer');
    const items = await api(world.manager, 'GET', `/projects/${p.id}/items`);
    assert.equal(items.items.length, p.kind === 'text_class' || p.kind === 'image_class' ? 3 : 2);
    const members = await api(world.manager, 'GET', `/projects/${p.id}/members`);
    assert.deepEqual(members.items.map((m) => [m.username, m.role]).sort(),
      [[reviewer.username, 'reviewer'], [worker.username, 'worker']].sort());
  }
  page.assertClean();
});

test('a worker labels each kind through the UI', async () => {
  const page = workerPage;
  await login(page, server.base, worker.username, worker.password);
  await page.waitForSelector('[data-testid=project-card]');
  assert.equal(await page.locator('[data-testid=project-card]').count(), 4);
  assert.equal(await page.textContent('[data-testid=nav-home]'), '내 프로젝트');
  await screenshot(page, 'worker-home');

  // text_class: keys 1-9, Ctrl+Enter.
  await page.click(`[data-project-id="${projects.text_class.id}"] [data-testid=start-labeling]`);
  let id = await waitTask(page);
  assert.ok(id);
  await page.click('[data-testid=guide-toggle]');
  await page.waitForSelector('[data-testid=guide-body] strong');
  assert.equal(await page.textContent('[data-testid=guide-body] strong'), 'overall');
  await page.keyboard.press('2');
  assert.equal(await page.getAttribute('.label-btn[data-label=negative]', 'aria-pressed'), 'true');
  await screenshot(page, 'worker-label-text_class');
  await page.keyboard.press('?');
  const firstText = id;
  for (let i = 0; i < 3; i++) {
    if (i > 0) await page.keyboard.press(String(i + 1));
    await page.keyboard.press('Control+Enter');
    id = await waitTask(page, id);
  }
  assert.equal(id, null, 'no task left');
  await page.waitForSelector('[data-testid=no-task]');
  let t = await getTask(firstText);
  assert.equal(t.state, 'submitted');
  assert.deepEqual(t.annotation, { labels: ['negative'] });

  // image_class, multi-label: clicks toggle labels.
  await page.goto(server.base + `/p/${projects.image_class.id}/label`);
  id = await waitTask(page);
  await page.waitForSelector('[data-testid=task-image]');
  assert.ok(await page.$eval('[data-testid=task-image]', (img) => img.complete && img.naturalWidth === 640));
  await page.click('.label-btn[data-label=red]');
  await page.click('.label-btn[data-label=orange]');
  await page.click('.label-btn[data-label=green]');
  await page.click('.label-btn[data-label=green]');
  await screenshot(page, 'worker-label-image_class');
  await page.click('[data-testid=submit]');
  const imgTask = id;
  id = await waitTask(page, id);
  t = await getTask(imgTask);
  assert.deepEqual(t.annotation, { labels: ['red', 'orange'] });
  // Skip gives the task back; it goes to others, and this worker gets the next one.
  const skipped = id;
  await page.click('[data-testid=skip]');
  await page.waitForFunction((s) => document.querySelector('.work').dataset.ready === 'true' &&
    Number(document.querySelector('.work').dataset.taskId) !== s, skipped);
  id = await page.evaluate(() => Number(document.querySelector('.work').dataset.taskId));
  assert.notEqual(id, skipped);
  assert.ok((await getTask(skipped)).events.some((e) => e.type === 'release'));
  await page.keyboard.press('3');
  await page.keyboard.press('Control+Enter');
  assert.equal(await waitTask(page, id), null);

  // image_bbox: draw a box with the mouse, zoom, draw another and delete it with the keyboard.
  await page.goto(server.base + `/p/${projects.image_bbox.id}/label`);
  id = await waitTask(page);
  const bboxTask = id;
  await page.waitForSelector('.bbox-annotator svg');
  let r = await page.$eval('[data-testid=task-image]', (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; });
  await page.mouse.move(r.x + r.w * 0.25, r.y + r.h * 0.25);
  await page.mouse.down();
  await page.mouse.move(r.x + r.w * 0.45, r.y + r.h * 0.4, { steps: 4 });
  await page.mouse.move(r.x + r.w * 0.6, r.y + r.h * 0.55, { steps: 4 });
  await page.mouse.up();
  await page.waitForSelector('[data-testid=box-row]');
  assert.equal(await page.getAttribute('[data-testid=box-row]', 'data-label'), 'object');
  await screenshot(page, 'worker-label-image_bbox');
  // A second box, labeled "ground" with key 2, then removed with Delete.
  await page.keyboard.press('Escape');
  await page.keyboard.press('2');
  await page.mouse.move(r.x + r.w * 0.1, r.y + r.h * 0.75);
  await page.mouse.down();
  await page.mouse.move(r.x + r.w * 0.3, r.y + r.h * 0.9, { steps: 5 });
  await page.mouse.up();
  // The new box's row shows its label once the editor has applied it: wait for both.
  await page.waitForFunction(() => {
    const rows = [...document.querySelectorAll('[data-testid=box-row]')];
    return rows.length === 2 && rows.every((e) => e.dataset.label);
  });
  assert.deepEqual(await page.$$eval('[data-testid=box-row]', (els) => els.map((e) => e.dataset.label)), ['object', 'ground']);
  // A box just drawn is not selected: pick it in the list, then Delete removes it.
  await page.click('[data-testid=box-row][data-label=ground] .muted');
  await page.keyboard.press('Delete');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=box-row]').length === 1);
  // Undo brings it back; the row's × removes it again.
  await page.keyboard.press('Control+z');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=box-row]').length === 2);
  await page.locator('[data-testid=box-row][data-label=ground] [data-testid=box-delete]').click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=box-row]').length === 1);
  // Zoom in, pan with Space+drag (no box is drawn), and fit again.
  const zoom0 = parseInt(await page.textContent('[data-testid=zoom-label]'), 10);
  for (let i = 0; i < 4; i++) await page.keyboard.press('+');
  const zoom1 = parseInt(await page.textContent('[data-testid=zoom-label]'), 10);
  assert.ok(zoom1 > zoom0 * 2, zoom0 + ' -> ' + zoom1);
  const vp = await page.$eval('[data-testid=bbox-viewport]', (e) => { const b = e.getBoundingClientRect(); return { x: b.x + b.width / 2, y: b.y + b.height / 2, sl: e.scrollLeft, st: e.scrollTop }; });
  await page.keyboard.down('Space');
  await page.mouse.move(vp.x, vp.y);
  await page.mouse.down();
  await page.mouse.move(vp.x - 120, vp.y - 60, { steps: 6 });
  await page.mouse.up();
  await page.keyboard.up('Space');
  const scrolled = await page.$eval('[data-testid=bbox-viewport]', (e) => ({ sl: e.scrollLeft, st: e.scrollTop }));
  assert.ok(Math.abs(scrolled.sl - vp.sl - 120) <= 2 && Math.abs(scrolled.st - vp.st - 60) <= 2, JSON.stringify([vp, scrolled]));
  assert.equal(await page.locator('[data-testid=box-row]').count(), 1);
  await screenshot(page, 'worker-label-image_bbox-zoomed');
  await page.keyboard.press('0');
  assert.equal(parseInt(await page.textContent('[data-testid=zoom-label]'), 10), zoom0);
  await page.keyboard.press('Control+Enter');
  id = await waitTask(page, id);
  t = await getTask(bboxTask);
  assert.equal(t.state, 'submitted');
  assert.equal(t.annotation.boxes.length, 1);
  const box = t.annotation.boxes[0];
  assert.equal(box.label, 'object');
  const near = (a, b) => Math.abs(a - b) <= 640 * 0.02;
  assert.ok(near(box.x, 160) && near(box.y, 120) && near(box.w, 224) && near(box.h, 144), JSON.stringify(box));
  // The second image: no box is a valid answer.
  await page.click('[data-testid=submit]');
  assert.equal(await waitTask(page, id), null);

  // text_spans: select "김철수" with the mouse, then "Paris" with label LOC.
  await page.goto(server.base + `/p/${projects.text_spans.id}/label`);
  id = await waitTask(page);
  let t0 = await getTask(id);
  if (t0.item.text !== SPAN_TEXT) {
    // Label the other text first so the one with the emoji is checked.
    await selectText(page, 'Bob');
    await page.click('[data-testid=submit]');
    id = await waitTask(page, id);
    t0 = await getTask(id);
  }
  assert.equal(t0.item.text, SPAN_TEXT);
  await selectText(page, '김철수');
  await page.waitForSelector('[data-testid=span-row]');
  // A span just marked is not selected: a key relabels it once it is clicked.
  await page.click('[data-testid=span-row] .quote');
  await page.keyboard.press('2');
  await page.mouse.click(5, 300); // deselect
  await page.keyboard.press('2');
  await selectText(page, 'Paris');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=span-row]').length === 2);
  await screenshot(page, 'worker-label-text_spans');
  await page.keyboard.press('Control+Enter');
  const spanTask = id;
  id = await waitTask(page, id);
  t = await getTask(spanTask);
  const cp = Array.from(SPAN_TEXT);
  const at = (word) => { const i = cp.join('').indexOf(word); return Array.from(SPAN_TEXT.slice(0, i)).length; };
  assert.deepEqual(t.annotation.spans, [
    { start: at('김철수'), end: at('김철수') + 3, label: 'LOC' },
    { start: at('Paris'), end: at('Paris') + 5, label: 'LOC' },
  ]);
  assert.equal(at('김철수'), 2);
  if (id) {
    await selectText(page, 'Bob');
    await page.click('[data-testid=submit]');
    assert.equal(await waitTask(page, id), null);
  }
  // Off the labeling view, which would claim a returned task as soon as it comes back.
  await page.goto(server.base + '/');
  page.assertClean();
});


test('a reviewer rejects with a reason, the worker reworks, the reviewer approves', async () => {
  const page = reviewerPage;
  await login(page, server.base, reviewer.username, reviewer.password);
  const pid = projects.text_class.id;
  await page.goto(server.base + `/p/${pid}/review`);
  let id = await waitTask(page);
  assert.ok(id);
  const rejected = id;
  const before = await getTask(rejected);
  assert.equal(before.state, 'in_review');
  // The submission is drawn: its label is marked.
  const marked = await page.$$eval('.label-btn.on', (els) => els.map((e) => e.dataset.label));
  assert.deepEqual(marked, before.annotation.labels);
  await screenshot(page, 'reviewer-review');
  await page.keyboard.press('r');
  await page.waitForSelector('[data-testid=reject-dialog]');
  await page.click('[data-template=wrong_label]');
  await page.fill('[data-testid=reason-text]', '리뷰 내용은 긍정적입니다. 다시 확인해 주세요.');
  await screenshot(page, 'reviewer-reject-dialog');
  await page.keyboard.press('Control+Enter');
  id = await waitTask(page, id);
  let t = await getTask(rejected);
  assert.equal(t.state, 'rework', JSON.stringify(t.events));
  assert.equal(t.last_rejection.reason, '리뷰 내용은 긍정적입니다. 다시 확인해 주세요.');
  assert.equal(t.last_rejection.reason_template, 'wrong_label');
  // Approve the rest with A: one request a decision, whose answer is the next submission with
  // its history (drawn by the worker's name).
  const calls = [];
  const onRequest = (req) => {
    const u = new URL(req.url());
    if (u.pathname.startsWith('/api/')) calls.push(req.method() + ' ' + u.pathname);
  };
  page.on('request', onRequest);
  let approvals = 0;
  while (id) {
    await page.keyboard.press('a');
    approvals += 1;
    const next = await waitTask(page, id);
    assert.equal((await getTask(id)).state, 'approved');
    if (next) {
      const submitted = await page.textContent('[data-testid=history] [data-event=submit]');
      assert.ok(submitted.includes(worker.username), submitted);
    }
    id = next;
  }
  page.off('request', onRequest);
  assert.ok(approvals >= 2, `approvals: ${approvals}`);
  assert.equal(calls.length, approvals, calls.join('\n'));
  for (const c of calls) assert.match(c, /^POST \/api\/v1\/tasks\/\d+\/review$/);

  // The worker: the rejected task comes first, with the reason and the earlier answer.
  const wp = workerPage;
  await wp.goto(server.base + `/p/${pid}/label`);
  id = await waitTask(wp);
  assert.equal(id, rejected);
  assert.equal(await wp.getAttribute('.work', 'data-rework'), 'true');
  assert.equal(await wp.textContent('[data-testid=rejection-reason]'), '리뷰 내용은 긍정적입니다. 다시 확인해 주세요.');
  assert.match(await wp.textContent('[data-testid=rejection]'), /라벨이 틀림/);
  assert.deepEqual(await wp.$$eval('.label-btn.on', (els) => els.map((e) => e.dataset.label)), before.annotation.labels);
  await screenshot(wp, 'worker-rework');
  await wp.keyboard.press('1');
  await wp.keyboard.press('Control+Enter');
  assert.equal(await waitTask(wp, id), null);
  t = await getTask(rejected);
  assert.equal(t.state, 'submitted');
  assert.deepEqual(t.annotation, { labels: ['positive'] });
  assert.equal(t.round, 2);

  // The reviewer sees the second round with its history, and approves.
  await page.click('text=다시 확인');
  await page.waitForSelector('.work[data-ready=true]');
  id = await waitTask(page);
  assert.equal(id, rejected);
  await page.waitForSelector('[data-testid=history] [data-event=reject]');
  assert.match(await page.textContent('[data-testid=history]'), /리뷰 내용은 긍정적입니다/);
  await page.keyboard.press('a');
  await waitTask(page, id);
  t = await getTask(rejected);
  assert.equal(t.state, 'approved');
  assert.deepEqual(t.events.map((e) => e.type).filter((x) => ['submit', 'reject', 'approve'].includes(x)), ['submit', 'reject', 'submit', 'approve']);

  // Fix and approve a box: the reviewer moves nothing but deletes the box and draws a new one.
  await page.goto(server.base + `/p/${projects.image_bbox.id}/review`);
  id = await waitTask(page);
  const fixed = id;
  const orig = await getTask(fixed);
  await page.keyboard.press('f');
  await page.waitForSelector('.review.fixing');
  const r = await page.$eval('[data-testid=task-image]', (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; });
  await page.keyboard.press('2');
  await page.mouse.move(r.x + r.w * 0.05, r.y + r.h * 0.8);
  await page.mouse.down();
  await page.mouse.move(r.x + r.w * 0.5, r.y + r.h * 0.95, { steps: 6 });
  await page.mouse.up();
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid=box-row]').length === n, orig.annotation.boxes.length + 1);
  await screenshot(page, 'reviewer-fix');
  await page.keyboard.press('Control+Enter');
  const afterFix = await waitTask(page, id);
  t = await getTask(fixed);
  assert.equal(t.state, 'approved');
  assert.equal(t.annotation.boxes.length, orig.annotation.boxes.length + 1);
  assert.ok(t.events.some((e) => e.type === 'fix'));
  if (afterFix) {
    await page.keyboard.press('a');
    await waitTask(page, afterFix);
  }

  // The other kinds: approve all with the buttons.
  for (const kind of ['image_class', 'text_spans']) {
    await page.goto(server.base + `/p/${projects[kind].id}/review`);
    id = await waitTask(page);
    while (id) {
      if (kind === 'text_spans') await page.waitForSelector('[data-testid=span-row]');
      if (kind === 'text_spans') await screenshot(page, 'reviewer-review-text_spans');
      await page.click('[data-testid=approve]');
      const next = await waitTask(page, id);
      assert.equal((await getTask(id)).state, 'approved');
      id = next;
    }
  }
  page.assertClean();
  wp.assertClean();
});

test('the dashboard shows the new counts; an escalated task is resolved', async () => {
  const page = managerPage;
  const pid = projects.text_class.id;
  await page.goto(server.base + '/p/' + pid);
  await page.waitForSelector('[data-testid=state-counts]');
  const stats = await api(world.manager, 'GET', `/projects/${pid}/stats`);
  const count = (state) => page.textContent(`[data-testid=state-counts] [data-state=${state}] .count`);
  assert.equal(await count('approved'), '3');
  assert.equal(stats.tasks.approved, 3);
  assert.equal(await count('rework'), '0');
  assert.equal(await page.textContent('[data-fig=items] .figure-value'), '3');
  // 2 of 3 approved at the first review.
  assert.equal(stats.first_pass_approval_rate !== null, true);
  assert.match(await page.textContent('[data-fig=first_pass] .figure-value'), /66\.7%|67%/);
  await page.waitForSelector('[data-testid=throughput] canvas');
  const wrow = page.locator(`[data-testid=workers-table] tr:has-text("${worker.username}")`);
  assert.equal(await wrow.count(), 1);
  assert.match(await page.textContent('[data-testid=project-status]'), /Open/);

  // Recent rejections and escalation: a project that allows one round.
  const p = await world.project({ name: 'One round only', max_rounds: 1, labels: ['yes', 'no'] });
  await world.addMember(p.id, worker.id, 'worker');
  await world.addMember(p.id, reviewer.id, 'reviewer');
  await world.importTexts(p.id, ['Is the sky blue?', 'Is grass red?']);
  for (let i = 0; i < 2; i++) {
    const task = await api(worker.client, 'POST', `/projects/${p.id}/tasks/next`);
    await api(worker.client, 'POST', `/tasks/${task.id}/submit`, { annotation: { labels: ['no'] } });
  }
  for (let i = 0; i < 2; i++) {
    const task = await api(reviewer.client, 'POST', `/projects/${p.id}/reviews/next`);
    await api(reviewer.client, 'POST', `/tasks/${task.id}/review`, { decision: 'reject', reason: 'The answer is wrong: look again.' });
  }
  const esc = (await api(world.manager, 'GET', `/projects/${p.id}/tasks?state=escalated`)).items;
  assert.equal(esc.length, 2);
  await page.goto(server.base + '/p/' + p.id);
  await page.waitForSelector('[data-testid=escalated] li');
  assert.equal(await page.locator('[data-testid=escalated] li').count(), 2);
  assert.equal(await page.textContent(`[data-testid=state-counts] [data-state=escalated] .count`), '2');
  await screenshot(page, 'manager-dashboard-escalated');
  await page.click(`[data-testid=escalated] li[data-task-id="${esc[0].id}"] [data-testid=resolve-link]`);
  await page.waitForSelector('[data-testid=resolve-approve]');
  assert.match(await page.textContent('[data-testid=rejection-reason]'), /The answer is wrong/);
  await page.click('.label-btn[data-label=yes]');
  await screenshot(page, 'manager-resolve');
  await page.click('[data-testid=resolve-approve]');
  await page.waitForURL(server.base + '/p/' + p.id);
  let t = await getTask(esc[0].id);
  assert.equal(t.state, 'approved');
  assert.deepEqual(t.annotation, { labels: ['yes'] });
  await page.click(`[data-testid=escalated] li[data-task-id="${esc[1].id}"] [data-testid=resolve-link]`);
  await page.fill('[data-testid=discard-reason]', 'Bad item');
  await page.click('[data-testid=resolve-discard]');
  await page.waitForURL(server.base + '/p/' + p.id);
  t = await getTask(esc[1].id);
  assert.equal(t.state, 'discarded');
  await page.waitForSelector('[data-testid=state-counts]');
  assert.equal(await page.textContent(`[data-testid=state-counts] [data-state=approved] .count`), '1');
  assert.equal(await page.textContent(`[data-testid=state-counts] [data-state=discarded] .count`), '1');

  // Recent rejections: a task waiting for rework, with its reason.
  const q = await world.project({ name: 'Rework list', labels: ['a', 'b'] });
  await world.addMember(q.id, worker.id, 'worker');
  await world.addMember(q.id, reviewer.id, 'reviewer');
  await world.importTexts(q.id, ['text one']);
  const task = await api(worker.client, 'POST', `/projects/${q.id}/tasks/next`);
  await api(worker.client, 'POST', `/tasks/${task.id}/submit`, { annotation: { labels: ['a'] } });
  const rt = await api(reviewer.client, 'POST', `/projects/${q.id}/reviews/next`);
  await api(reviewer.client, 'POST', `/tasks/${rt.id}/review`, { decision: 'reject', reason: 'Should be b', reason_template: 'wrong_label' });
  await page.goto(server.base + '/p/' + q.id);
  await page.waitForSelector('[data-testid=rejections] tr[data-task-id]');
  assert.match(await page.textContent(`[data-testid=rejections] tr[data-task-id="${task.id}"]`), /Should be b/);

  // The dashboard of the first project, with the chart, for people to look at.
  await page.goto(server.base + '/p/' + projects.image_bbox.id);
  await page.waitForSelector('[data-testid=throughput] canvas');
  await page.waitForSelector('[data-testid=workers-table]');
  assert.equal(await page.textContent(`[data-testid=state-counts] [data-state=approved] .count`), '2');
  await screenshot(page, 'manager-dashboard');

  // Export: the link streams the approved annotations as JSONL with the session cookie.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('[data-testid=export]')]);
  const path = await download.path();
  const { readFileSync } = await import('node:fs');
  const rows = readFileSync(path, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(rows.length, 2);
  assert.ok(rows.every((x) => Array.isArray(x.annotation.boxes)));

  // Earnings on the worker's home: approved work is paid.
  const wp = workerPage;
  await wp.goto(server.base + '/');
  await wp.waitForSelector(`[data-project-id="${projects.text_class.id}"]`);
  const figs = (await api(worker.client, 'GET', '/me/projects')).items.find((x) => x.id === projects.text_class.id).my_figures;
  assert.equal(figs.approved, 3);
  assert.equal(await wp.textContent(`[data-project-id="${projects.text_class.id}"] [data-fig=approved] dd`), '3');
  assert.match(await wp.textContent(`[data-project-id="${projects.text_class.id}"] [data-fig=earnings] dd`), /360/);
  await screenshot(wp, 'worker-home-after');
  page.assertClean();
  wp.assertClean();
});
