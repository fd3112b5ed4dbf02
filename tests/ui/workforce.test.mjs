// The workforce pages in the browser: a manager writes a course; a worker held back by a
// project's required course follows the link, practices (sees the explanation), passes the
// exam and gets in, another fails and sees the cooldown. A worker's approved work shows in
// their earnings; a payout is requested, approved (and another rejected) by an admin. The
// manager's quality page shows the audit's Wilson interval and per-worker rows; workers are
// ranked for a project and invited. Names and texts with markup show as text throughout.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, screenshot, waitTask, assertInert, token, startWorld, makePng } from './harness.mjs';

const COURSE = '<img src=x onerror=alert("course")> basics ' + token();
const EXPLANATION = '<b onmouseover=alert(1)>Loving it</b> is positive';
const LESSON = '# Sentiment\n\n**Read carefully**\n\n<script>alert("lesson")</script>';
const PROJECT = '<svg onload=alert("match")> ' + token();
const NOTE = '<img src=x onerror=alert("note")> bank details missing';

let server;
let world;
let browser;
let worker;
let worker2;
let course; // the course the manager writes in the browser
let gated; // a project that requires the course
let paid; // a funded project with approved work

const api = (client, method, path, body) => client.ok(method, '/api/v1' + path, body);
const text = (page, sel) => page.textContent(sel).then((s) => s.trim());

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  worker2 = await world.user('slow');
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

// n tasks of a text_class project labeled `pos` by the worker and approved by the manager.
async function labelAndApprove(pid, who, n) {
  for (let i = 0; i < n; i++) {
    const task = await api(who.client, 'POST', `/projects/${pid}/tasks/next`);
    await api(who.client, 'POST', `/tasks/${task.id}/submit`, { annotation: { labels: ['pos'] } });
    const rv = await api(world.manager, 'POST', `/projects/${pid}/reviews/next`);
    await api(world.manager, 'POST', `/tasks/${rv.id}/review`, { decision: 'approve' });
  }
}

// Answers every exam question shown: `pos` for texts with "great", `neg` otherwise (or the
// opposite when `wrong`), then hands the exam in.
async function takeExam(page, wrong) {
  await page.click('[data-testid=exam-start]');
  for (;;) {
    await page.waitForSelector('[data-testid=exam] [data-testid=task-text]');
    const q = await text(page, '[data-testid=exam] [data-testid=task-text]');
    const right = q.includes('great') ? 'pos' : 'neg';
    const pick = wrong ? (right === 'pos' ? 'neg' : 'pos') : right;
    await page.click(`[data-testid=exam] .label-btn[data-label="${pick}"]`);
    if (await page.$('[data-testid=exam-submit]')) break;
    await page.click('[data-testid=exam-next]');
    await page.waitForFunction((prev) => document.querySelector('[data-testid=exam] [data-testid=task-text]')?.textContent !== prev, q);
  }
  await page.click('[data-testid=exam-submit]');
  await page.waitForSelector('[data-testid=exam-result]');
  return page.getAttribute('[data-testid=exam-result]', 'data-passed');
}

test('a worker practices, passes the exam of a required course, and may then label', async () => {
  // The manager writes the course and a practice question in the browser.
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, '/academy');
  await mp.waitForSelector('[data-testid=course-form]');
  await mp.fill('[data-testid=c-name]', COURSE);
  await mp.fill('[data-testid=c-labels]', 'pos\nneg');
  await mp.fill('[data-testid=c-lesson]', LESSON);
  await mp.fill('[data-testid=c-size]', '2');
  await mp.click('[data-testid=c-submit]');
  await mp.waitForURL(/\/academy\/\d+$/);
  const cid = Number(mp.url().match(/\/academy\/(\d+)$/)[1]);
  assert.equal(await text(mp, '[data-testid=course-name]'), COURSE);
  await mp.fill('[data-testid=q-item]', 'I love it');
  await mp.selectOption('[data-testid=q-answer]', 'pos');
  await mp.fill('[data-testid=q-explanation]', EXPLANATION);
  await mp.click('[data-testid=q-submit]');
  await mp.waitForSelector('[data-testid=toast]:has-text("Question added")');
  course = await api(world.manager, 'GET', '/courses/' + cid);
  assert.equal(course.name, COURSE);
  assert.equal(course.kind, 'text_class');
  assert.equal(course.practice_questions, 1);
  assert.equal(course.cooldown_seconds, 3600);
  for (const [t, a] of [['a great film', 'pos'], ['an awful film', 'neg']]) {
    await api(world.manager, 'POST', `/courses/${cid}/questions`, { role: 'exam', item: { text: t }, answer: { labels: [a] } });
  }
  await assertInert(mp);

  gated = await world.project({ name: 'gated-' + token() });
  await world.importTexts(gated.id, ['one', 'two', 'three']);
  for (const u of [worker, worker2]) await world.addMember(gated.id, u.id, 'worker');
  await api(world.manager, 'PATCH', `/projects/${gated.id}/quality-settings`, { required_courses: [cid] });

  // The worker is sent to the course instead of a bare error.
  const wp = await newPage(browser);
  await login(wp, server.base, worker.username, worker.password, `/p/${gated.id}/label`);
  await wp.waitForSelector('[data-testid=need-course]');
  await wp.waitForSelector(`[data-testid=need-course]:has-text("${COURSE.slice(0, 20)}")`);
  await assertInert(wp);
  await wp.click('[data-testid=need-course]');
  await wp.waitForURL(new RegExp(`/academy/${cid}$`));
  await wp.waitForSelector('[data-testid=lesson] strong');
  assert.equal(await text(wp, '[data-testid=course-name]'), COURSE);
  assert.equal(await text(wp, '[data-testid=lesson] strong'), 'Read carefully');
  assert.ok((await wp.textContent('[data-testid=lesson]')).includes('<script>alert("lesson")</script>'));
  assert.match(await text(wp, '[data-testid=standing]'), /Not taken/);

  // Practice: a wrong try, then a right one; each shows the answer and the explanation.
  await wp.waitForSelector('[data-testid=practice] [data-testid=task-text]');
  assert.equal(await text(wp, '[data-testid=practice] [data-testid=task-text]'), 'I love it');
  await wp.click('[data-testid=practice] .label-btn[data-label="neg"]');
  await wp.click('[data-testid=practice-check]');
  await wp.waitForSelector('[data-testid=practice-result] [data-correct=false]');
  assert.equal(await text(wp, '[data-testid=practice-answer]'), 'pos');
  assert.equal(await text(wp, '[data-testid=practice-explanation]'), EXPLANATION);
  await wp.click('[data-testid=practice] .label-btn[data-label="pos"]');
  await wp.click('[data-testid=practice-check]');
  await wp.waitForSelector('[data-testid=practice-result] [data-correct=true]');
  await assertInert(wp);

  // The exam, passed: the standing and my qualifications say so, and the project lets me in.
  assert.equal(await takeExam(wp, false), 'true');
  assert.match(await text(wp, '[data-testid=exam-result]'), /Passed!.*100%/);
  assert.equal(await text(wp, '[data-testid=standing]'), 'Qualified');
  assert.equal(await wp.$('[data-testid=exam-start]'), null);
  await screenshot(wp, 'academy-course');
  await wp.click('[data-testid=nav-academy]');
  await wp.waitForSelector(`[data-testid=qualifications] tr[data-course-id="${cid}"]`);
  assert.equal(await text(wp, `[data-testid=qualifications] tr[data-course-id="${cid}"] a`), COURSE);
  assert.equal(await text(wp, `[data-testid=courses] tr[data-course-id="${cid}"] .badge`), 'Qualified');
  await assertInert(wp);
  await wp.goto(server.base + `/p/${gated.id}/label`);
  assert.ok(await waitTask(wp));

  // Another worker fails: the score, and the cooldown before a retry.
  const sp = await newPage(browser);
  await login(sp, server.base, worker2.username, worker2.password, `/academy/${cid}`);
  assert.equal(await takeExam(sp, true), 'false');
  assert.match(await text(sp, '[data-testid=exam-result]'), /Not passed.*0%/);
  assert.match(await text(sp, '[data-testid=exam]'), /retry the exam after/);
  assert.equal(await sp.$('[data-testid=exam-start]'), null);
  assert.match(await text(sp, '[data-testid=standing]'), /retry the exam after/);
  const quals = await api(worker2.client, 'GET', '/me/qualifications');
  assert.deepEqual(quals.items, []);
  await assertInert(sp);
});

test('an image question made from a project item shows to a learner outside that project', async () => {
  const p = await world.project({ kind: 'image_class', labels: ['cat', 'dog'] });
  const png = makePng(24, 16, (x) => (x < 12 ? [250, 0, 0] : [0, 0, 250]));
  const [itemId] = (await world.importImages(p.id, [['cat.png', png]])).item_ids;
  const c = await api(world.manager, 'POST', '/courses', { kind: 'image_class', name: 'Images ' + token(), labels: ['cat', 'dog'] });
  await api(world.manager, 'POST', `/courses/${c.id}/questions`, { role: 'practice', item: { item_id: itemId }, answer: { labels: ['cat'] }, explanation: 'pointed ears' });
  const learner = await world.user('learner');
  const wp = await newPage(browser);
  await login(wp, server.base, learner.username, learner.password, `/academy/${c.id}`);
  const img = await wp.waitForSelector('[data-testid=practice] [data-testid=task-image]');
  // The picture arrived through the course (the learner may not open the item itself).
  await wp.waitForFunction((el) => el.complete && el.naturalWidth === 24 && el.naturalHeight === 16, img);
  const direct = await wp.evaluate((id) => fetch(`/api/v1/items/${id}/asset`).then((r) => r.status), itemId);
  assert.equal(direct, 404);
  await wp.click('[data-testid=practice] .label-btn[data-label="cat"]');
  await wp.click('[data-testid=practice-check]');
  await wp.waitForSelector('[data-testid=practice-result] [data-correct=true]');
  await assertInert(wp);
  await wp.close();
});

test('earnings show approved work; a payout is paid and another rejected by an admin', async () => {
  await api(world.admin, 'POST', `/orgs/${world.org.id}/funds`, { amount: 1000000 });
  paid = await world.project({ name: 'paid-' + token(), price: 100 });
  await api(world.manager, 'POST', `/projects/${paid.id}/deposits`, { amount: 100000 });
  await world.importTexts(paid.id, Array.from({ length: 20 }, (_, i) => 'text ' + i));
  await world.addMember(paid.id, worker.id, 'worker');
  await labelAndApprove(paid.id, worker, 20);

  const wp = await newPage(browser);
  await login(wp, server.base, worker.username, worker.password);
  await wp.click('[data-testid=nav-earnings]');
  await wp.waitForSelector('[data-testid=ledger] tbody tr');
  const fig = (k) => text(wp, `[data-testid=balances] [data-fig=${k}] .figure-value`);
  assert.equal(await fig('balance'), '₩2,000');
  assert.equal(await wp.$$eval('[data-testid=ledger] tbody tr[data-kind=pay]', (els) => els.length), 20);
  assert.equal(await wp.isVisible('[data-testid=ledger-more]'), false);
  assert.match(await text(wp, '[data-testid=ledger] tbody tr'), /Approved task.*#\d+.*₩100/);

  // Request ₩500: held at once; the ledger now has a 21st line behind "More".
  await wp.fill('[data-testid=payout-amount]', '500');
  await wp.click('[data-testid=payout-form] button[type=submit]');
  await wp.waitForSelector('[data-testid=my-payouts] [data-status=requested]');
  assert.equal(await fig('balance'), '₩1,500');
  assert.equal(await fig('on_hold'), '₩500');
  assert.equal(await wp.getAttribute('[data-testid=ledger] tbody tr', 'data-kind'), 'payout_request');
  assert.equal(await wp.$$eval('[data-testid=ledger] tbody tr', (els) => els.length), 20);
  await wp.click('[data-testid=ledger-more]');
  await wp.waitForFunction(() => document.querySelectorAll('[data-testid=ledger] tbody tr').length === 21);
  assert.equal(await wp.isVisible('[data-testid=ledger-more]'), false);
  const [payout] = (await api(worker.client, 'GET', '/me/payouts')).items;
  assert.deepEqual([payout.amount, payout.currency, payout.status], [500, 'KRW', 'requested']);
  await assertInert(wp);

  // The admin pays it out from the queue.
  const ap = await newPage(browser);
  await login(ap, server.base, 'admin', server.adminPassword, '/admin');
  await ap.click('[data-testid=to-payouts]');
  const row = `[data-testid=payouts] tr[data-payout-id="${payout.id}"]`;
  await ap.waitForSelector(row);
  assert.match(await text(ap, row), new RegExp(worker.username + '.*₩500.*Requested'));
  await ap.click(`${row} [data-testid=payout-approve]`);
  await ap.waitForSelector(`${row}[data-status=approved]`);
  assert.equal(await text(ap, `${row} [data-testid=payout-status]`), 'Paid');
  assert.equal((await api(world.admin, 'GET', '/payouts?status=approved')).items[0].id, payout.id);

  await wp.reload();
  await wp.waitForSelector(`[data-testid=my-payouts] tr[data-payout-id="${payout.id}"] [data-status=approved]`);
  assert.equal(await fig('paid_out'), '₩500');
  assert.equal(await fig('on_hold'), '₩0');

  // A second request is rejected with a reason: the worker sees it and gets the money back.
  await wp.fill('[data-testid=payout-amount]', '300');
  await wp.click('[data-testid=payout-form] button[type=submit]');
  await wp.waitForSelector('[data-testid=my-payouts] [data-status=requested]');
  assert.equal(await fig('balance'), '₩1,200');
  await ap.reload();
  const second = (await api(worker.client, 'GET', '/me/payouts?status=requested')).items[0];
  const row2 = `[data-testid=payouts] tr[data-payout-id="${second.id}"]`;
  await ap.waitForSelector(row2);
  await ap.click(`${row2} [data-testid=payout-reject]`);
  await ap.waitForSelector('[data-testid=toast]:has-text("reason")');
  await ap.fill(`${row2} [data-testid=payout-reason]`, NOTE);
  await ap.click(`${row2} [data-testid=payout-reject]`);
  await ap.waitForSelector(`${row2}[data-status=rejected]`);
  assert.equal(await text(ap, `${row2} [data-testid=payout-note]`), NOTE);
  await assertInert(ap);
  await wp.reload();
  await wp.waitForSelector(`[data-testid=my-payouts] tr[data-payout-id="${second.id}"] [data-status=rejected]`);
  assert.equal(await text(wp, `[data-testid=my-payouts] tr[data-payout-id="${second.id}"] [data-testid=payout-note]`), NOTE);
  assert.equal(await fig('balance'), '₩1,500');
  assert.equal(await wp.getAttribute('[data-testid=ledger] tbody tr', 'data-kind'), 'payout_rejected');
  await screenshot(wp, 'earnings');
  await assertInert(wp);
  assert.equal((await api(world.admin, 'GET', '/ledger/check')).ok, true);
});

test('the quality page shows workers, an audit with its Wilson interval, and saves settings', async () => {
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${paid.id}`);
  await mp.click('[data-testid=to-quality]');
  await mp.waitForSelector(`[data-testid=quality-workers] tr[data-user-id="${worker.id}"]`);
  assert.equal(await text(mp, '[data-testid=estimated-quality]'), '—');
  const wrow = await mp.$$eval(`[data-testid=quality-workers] tr[data-user-id="${worker.id}"] td`, (tds) => tds.map((td) => td.textContent));
  assert.deepEqual(wrow.slice(0, 6), [worker.username, 'Worker', '20', '20', wrow[4], '0']);
  // 20 of 20 approved first time, with its interval.
  assert.match(wrow[4], /^100\.0% \(8\d\.\d–100\.0\), n=20$/);
  assert.equal(await text(mp, `[data-testid=fair-pay] tr[data-user-id="${worker.id}"] td:nth-child(5)`), '₩2,000');
  assert.match(await text(mp, '[data-testid=fair-pay-summary]'), /minimum wage ₩10,320/);
  assert.equal(await text(mp, '[data-testid=budget] [data-fig=paid_to_workers] .figure-value'), '₩2,000');
  assert.equal(await text(mp, `[data-testid=quality-reviewers] tr[data-user-id="${world.managerUser.id}"] td:nth-child(3)`), '20');

  // An audit of three approved tasks: two correct, one not.
  await mp.fill('[data-testid=audit-size]', '3');
  await mp.click('[data-testid=audit-form] button[type=submit]');
  await mp.waitForSelector('[data-testid=audit-items] tbody tr');
  const ids = await mp.$$eval('[data-testid=audit-items] tbody tr', (trs) => trs.map((tr) => tr.dataset.taskId));
  assert.equal(ids.length, 3);
  for (const [i, id] of ids.entries()) {
    await mp.click(`[data-testid=audit-items] tr[data-task-id="${id}"] [data-testid=verdict-${i < 2 ? 'correct' : 'incorrect'}]`);
    await mp.waitForSelector(`[data-testid=audit-items] tr[data-task-id="${id}"][data-verdict=${i < 2 ? 'correct' : 'incorrect'}]`);
  }
  const q = await api(world.manager, 'GET', `/projects/${paid.id}/quality`);
  assert.equal(q.summary, '66.7% (20.8–93.9), n=3');
  await mp.waitForSelector(`[data-testid=estimated-quality]:text-is("${q.summary}")`);
  assert.match(await text(mp, `[data-testid=quality-reviewers] tr[data-user-id="${world.managerUser.id}"] [data-testid=reviewer-accuracy]`), /^66\.7% \(.+\), n=3$/);
  assert.match(await text(mp, '[data-testid=audits] tbody tr'), /3 \/ 3\s*2/);

  // Settings: a gold rate and a promotion threshold.
  await mp.fill('[data-testid=s-gold_rate]', '10');
  await mp.fill('[data-testid=s-promote_min_approved]', '30');
  await mp.click('[data-testid=s-save]');
  await mp.waitForSelector('[data-testid=toast]:has-text("Settings saved")');
  const s = await api(world.manager, 'GET', `/projects/${paid.id}/quality-settings`);
  assert.equal(s.gold_rate, 0.1);
  assert.equal(s.promote_min_approved, 30);
  assert.equal(s.auto_promote, true);
  await screenshot(mp, 'quality');
  await assertInert(mp);
});

test('workers see recommended projects; a manager invites a ranked worker', async () => {
  const open = await world.project({ name: PROJECT, visibility: 'public', price: 150 });
  await world.importTexts(open.id, ['a', 'b']);
  const wp = await newPage(browser, { locale: 'ko-KR' });
  await login(wp, server.base, worker.username, worker.password);
  const card = `[data-testid=matches] li[data-project-id="${open.id}"]`;
  await wp.waitForSelector(card);
  assert.equal(await text(wp, `${card} .match-name`), PROJECT);
  // The worker's record on this kind: 100% approved first time, 20 approved tasks.
  assert.match(await text(wp, `${card} [data-testid=match-figures]`), /1차 승인율100% \(20\)/);
  assert.match(await text(wp, `${card} [data-testid=match-figures]`), /남은 작업2/);
  const mine = (await api(worker.client, 'GET', '/me/matches')).items;
  assert.ok(mine.some((m) => m.project_id === open.id));
  await assertInert(wp);

  const target = await world.project({ name: 'hiring-' + token() });
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${target.id}/quality`);
  const row = `[data-testid=matches] tr[data-user-id="${worker.id}"]`;
  await mp.waitForSelector(row);
  assert.equal(await mp.getAttribute(row, 'data-member'), '');
  assert.match(await text(mp, `${row} [data-testid=match-figures]`), /First-pass approval100% \(20\)/);
  await mp.click(`${row} [data-testid=invite]`);
  await mp.waitForSelector(`${row}[data-member=worker]`);
  const members = (await api(world.manager, 'GET', `/projects/${target.id}/members`)).items;
  assert.deepEqual(members.map((m) => [m.user_id, m.role]), [[worker.id, 'worker']]);
  await assertInert(mp);
});
