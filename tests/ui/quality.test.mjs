// What a manager used to do through the API, in the browser: gold items added on the quality
// page (a bad answer shows the server's 422 message; spans marked and boxes drawn with the
// project's own editor), consolidated answers of an overlap-3
// project paged with "More", a deposit into a project's budget and funds an admin adds to an
// org, and a worker's own gold accuracy on the earnings page. Data with markup shows as text.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, assertInert, token, startWorld, screenshot, makePng, selectText } from './harness.mjs';

const EXPLANATION = '<img src=x onerror=alert("gold")> loving it is positive';
const GOLD_TEXT = 'I <b onmouseover=alert(1)>love</b> this ' + token();
const ITEM_A = '<img src=x onerror=alert("consensus")> first';
const ORG = '<svg onload=alert("org")> org ' + token();

let server;
let world;
let browser;
let workers;
let goldProject;

const api = (client, method, path, body) => client.ok(method, '/api/v1' + path, body);
const text = (page, sel) => page.textContent(sel).then((s) => s.trim());

before(async () => {
  // A worker's own gold figures in batches of one answer, given before the current second (by
  // default five answers, before the current hour), so that the earnings page shows one.
  ({ server, world } = await startWorld({ extraArgs: ['--gold-report-batch', '1', '--gold-report-period', '1'] }));
  workers = [await world.user('w1'), await world.user('w2'), await world.user('w3')];
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

test('a manager adds a gold item with the label buttons; a bad answer shows the 422 message', async () => {
  goldProject = await world.project({ name: 'gold-' + token() });
  await world.importTexts(goldProject.id, ['real one', 'real two', 'real three']);
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${goldProject.id}/quality`);
  await mp.waitForSelector('[data-testid=gold-form]');
  assert.equal(await text(mp, '[data-testid=gold-empty]'), 'No gold item yet.');

  // No label picked: the server refuses the answer, and its message shows next to the form.
  await mp.fill('[data-testid=gold-text]', 'no answer here');
  const [refused] = await Promise.all([
    mp.waitForResponse((r) => r.url().endsWith(`/projects/${goldProject.id}/gold`) && r.request().method() === 'POST'),
    mp.click('[data-testid=gold-submit]'),
  ]);
  assert.equal(refused.status(), 422);
  const message = (await refused.json()).error.message;
  assert.match(message, /^items\[0\]\.answer: /);
  await mp.waitForSelector('[data-testid=gold-error]:not(:empty)');
  assert.equal(await text(mp, '[data-testid=gold-error]'), message);
  assert.deepEqual((await api(world.manager, 'GET', `/projects/${goldProject.id}/gold`)).items, []);

  // A text, its label picked on the buttons, and an explanation with markup.
  await mp.fill('[data-testid=gold-text]', GOLD_TEXT);
  await mp.click('[data-testid=gold-answer] .label-btn[data-label=pos]');
  assert.equal(await mp.getAttribute('[data-testid=gold-answer] .label-btn[data-label=pos]', 'aria-pressed'), 'true');
  await mp.fill('[data-testid=gold-explanation]', EXPLANATION);
  await mp.click('[data-testid=gold-submit]');
  await mp.waitForSelector('[data-testid=gold] tbody tr');
  assert.equal(await text(mp, '[data-testid=gold-error]'), '');
  const [gold] = (await api(world.manager, 'GET', `/projects/${goldProject.id}/gold`)).items;
  assert.deepEqual([gold.text, gold.answer, gold.explanation], [GOLD_TEXT, { labels: ['pos'] }, EXPLANATION]);
  const row = `[data-testid=gold] tr[data-item-id="${gold.item_id}"]`;
  assert.equal(await text(mp, `${row} [data-testid=gold-item]`), GOLD_TEXT);
  assert.equal(await text(mp, `${row} [data-testid=gold-answer-text]`), 'pos');
  assert.equal(await text(mp, `${row} [data-testid=gold-explanation-text]`), EXPLANATION);
  assert.equal(await text(mp, `${row} [data-testid=gold-correct]`), '0');
  await mp.waitForSelector('[data-testid=quality-figures] [data-fig=gold_items] .figure-value:text-is("1")');
  // The form is ready for the next one.
  assert.equal(await mp.inputValue('[data-testid=gold-text]'), '');
  assert.equal(await mp.getAttribute('[data-testid=gold-answer] .label-btn[data-label=pos]', 'aria-pressed'), 'false');
  await mp.locator('[data-testid=gold-box]').scrollIntoViewIfNeeded();
  await screenshot(mp, 'quality-gold');
  await assertInert(mp);
});

test('a manager marks a span on a typed text with the spans editor and adds it as gold', async () => {
  const p = await world.project({ name: 'gold-spans-' + token(), kind: 'text_spans', labels: ['PER', 'LOC'] });
  // The emoji counts one code point but two UTF-16 units: the offsets must be code points.
  const TEXT = '😀 Ana flew from Seoul to Paris <b>today</b>.';
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  await mp.waitForSelector('[data-testid=gold-form]');
  assert.equal(await mp.$('[data-testid=gold-answer-json]'), null);
  assert.equal(await mp.isVisible('[data-testid=gold-editor]'), false);

  await mp.fill('[data-testid=gold-text]', TEXT);
  await mp.click('[data-testid=gold-mark]');
  const ed = '[data-testid=gold-editor]';
  await mp.waitForSelector(`${ed} [data-testid=task-text]`);
  assert.equal(await text(mp, `${ed} [data-testid=task-text]`), TEXT);
  assert.equal(await mp.getAttribute('[data-testid=gold-text]', 'readonly'), '');
  await mp.locator(ed).scrollIntoViewIfNeeded();
  await mp.click(`${ed} .label-btn[data-label=LOC]`);
  await selectText(mp, 'Paris', ed);
  assert.equal(await mp.getAttribute(`${ed} [data-testid=span-row]`, 'data-label'), 'LOC');
  await screenshot(mp, 'quality-gold-spans');
  await mp.click('[data-testid=gold-submit]');
  await mp.waitForSelector('[data-testid=gold] tbody tr');
  assert.equal(await text(mp, '[data-testid=gold-error]'), '');

  const start = Array.from(TEXT).indexOf('P');
  assert.equal(start, 25);
  const { items } = await api(world.manager, 'GET', `/projects/${p.id}/gold`);
  assert.equal(items.length, 1);
  assert.equal(items[0].text, TEXT);
  assert.deepEqual(items[0].answer, { spans: [{ start, end: start + 5, label: 'LOC' }] });
  assert.match(await text(mp, `[data-testid=gold] tr[data-item-id="${items[0].item_id}"] [data-testid=gold-answer-text]`), /^spans \(1\): LOC$/);
  // The form is ready for the next one.
  assert.equal(await mp.inputValue('[data-testid=gold-text]'), '');
  assert.equal(await mp.isVisible(ed), false);
  await assertInert(mp);
});

test('a manager draws a box on a picked image item with the bbox editor and adds it as gold', async () => {
  const p = await world.project({ name: 'gold-boxes-' + token(), kind: 'image_bbox', labels: ['object', 'ground'] });
  const W = 320;
  const H = 240;
  const png = (c) => makePng(W, H, (x, y) => (x > 80 && x < 200 && y > 60 && y < 160 ? c : [200, 210, 230]));
  await world.importImages(p.id, [['a.png', png([200, 30, 30])], ['b.png', png([30, 160, 60])]]);
  const [second, first] = (await api(world.manager, 'GET', `/projects/${p.id}/items?type=image&sort=-id`)).items;
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  await mp.waitForSelector(`[data-testid=gold-pick] option[value="${first.id}"]`, { state: 'attached' });
  const ed = '[data-testid=gold-editor]';
  const img = `${ed} [data-testid=task-image]`;

  // An item ID typed, then the submit button: the image opens to draw on, nothing is added yet.
  await mp.fill('[data-testid=gold-item-id]', String(first.id));
  await mp.click('[data-testid=gold-submit]');
  await mp.waitForSelector(`${ed}[data-for="${first.id}"] .bbox-annotator svg`);
  assert.deepEqual((await api(world.manager, 'GET', `/projects/${p.id}/gold`)).items, []);

  // The other image picked from the list replaces it; a box drawn there with "ground".
  await mp.selectOption('[data-testid=gold-pick]', String(second.id));
  await mp.waitForSelector(`${ed}[data-for="${second.id}"] .bbox-annotator svg`);
  assert.equal(await mp.inputValue('[data-testid=gold-item-id]'), String(second.id));
  assert.equal(await mp.getAttribute(img, 'src'), `/api/v1/items/${second.id}/asset`);
  await mp.locator(ed).scrollIntoViewIfNeeded();
  await mp.click(`${ed} .label-btn[data-label=ground]`);
  const r = await mp.$eval(img, (e) => { const b = e.getBoundingClientRect(); return { x: b.x, y: b.y, w: b.width, h: b.height }; });
  await mp.mouse.move(r.x + r.w * 0.25, r.y + r.h * 0.25);
  await mp.mouse.down();
  await mp.mouse.move(r.x + r.w * 0.45, r.y + r.h * 0.4, { steps: 4 });
  await mp.mouse.move(r.x + r.w * 0.6, r.y + r.h * 0.55, { steps: 4 });
  await mp.mouse.up();
  await mp.waitForSelector(`${ed} [data-testid=box-row][data-label=ground]`);
  await screenshot(mp, 'quality-gold-boxes');
  await mp.click('[data-testid=gold-submit]');
  await mp.waitForSelector('[data-testid=gold] tbody tr');
  assert.equal(await text(mp, '[data-testid=gold-error]'), '');

  const { items } = await api(world.manager, 'GET', `/projects/${p.id}/gold`);
  assert.equal(items.length, 1);
  assert.equal(items[0].item_id, second.id);
  const { boxes } = items[0].answer;
  assert.equal(boxes.length, 1);
  const [b] = boxes;
  assert.equal(b.label, 'ground');
  assert.ok(b.w > 0 && b.h > 0, JSON.stringify(b));
  assert.ok(b.x >= 0 && b.y >= 0 && b.x + b.w <= W && b.y + b.h <= H, JSON.stringify(b));
  // Where it was drawn: from a quarter of the image to 60% across and 55% down.
  const near = (got, want) => Math.abs(got - want) <= 0.04 * Math.max(W, H);
  assert.ok(near(b.x, W * 0.25) && near(b.y, H * 0.25) && near(b.x + b.w, W * 0.6) && near(b.y + b.h, H * 0.55), JSON.stringify(b));
  assert.match(await text(mp, `[data-testid=gold] tr[data-item-id="${second.id}"] [data-testid=gold-answer-text]`), /^boxes \(1\): ground$/);
  assert.equal(await mp.isVisible(ed), false);
  await assertInert(mp);
});

test('a worker sees their gold accuracy after answering a gold task', async () => {
  const [w] = workers;
  await world.addMember(goldProject.id, w.id, 'worker');
  await api(world.manager, 'PATCH', `/projects/${goldProject.id}/quality-settings`, { gold_rate: 1 });

  const wp = await newPage(browser);
  await login(wp, server.base, w.username, w.password, '/earnings');
  await wp.waitForSelector('[data-testid=my-gold-empty]');
  assert.equal(await text(wp, '[data-testid=my-reviewer-accuracy]'), '—');

  const task = await api(w.client, 'POST', `/projects/${goldProject.id}/tasks/next`);
  assert.equal(task.item.text, GOLD_TEXT);
  await api(w.client, 'POST', `/tasks/${task.id}/submit`, { annotation: { labels: ['pos'] } });
  // Reported once the period the answer was given in is over.
  let mine = await api(w.client, 'GET', '/me/quality');
  for (let i = 0; i < 100 && !mine.gold_accuracy.text_class; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    mine = await api(w.client, 'GET', '/me/quality');
  }
  assert.deepEqual([mine.gold_accuracy.text_class.k, mine.gold_accuracy.text_class.n], [1, 1]);

  await wp.reload();
  const cell = '[data-testid=my-gold] tr[data-kind=text_class] [data-testid=my-gold-accuracy]';
  await wp.waitForSelector(cell);
  assert.match(await text(wp, cell), /^100\.0% \(\d+\.\d–100\.0\), n=1$/);
  assert.equal(await text(wp, '[data-testid=my-gold] tr[data-kind=text_class] td'), 'Text classification');
  await wp.locator('[data-testid=my-quality]').scrollIntoViewIfNeeded();
  await screenshot(wp, 'earnings-quality');
  await assertInert(wp);

  // In Korean too.
  const kp = await newPage(browser, { locale: 'ko-KR' });
  await login(kp, server.base, w.username, w.password, '/earnings');
  await kp.waitForSelector(cell);
  assert.equal(await text(kp, '[data-testid=my-quality] h2'), '내 품질');
  assert.equal(await text(kp, '[data-testid=my-gold] tr[data-kind=text_class] td'), '텍스트 분류');
  await assertInert(kp);

  // The manager's list counts the answer.
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${goldProject.id}/quality`);
  const [gold] = (await api(world.manager, 'GET', `/projects/${goldProject.id}/gold`)).items;
  assert.deepEqual([gold.answers, gold.correct], [1, 1]);
  await mp.waitForSelector(`[data-testid=gold] tr[data-item-id="${gold.item_id}"] [data-testid=gold-correct]:text-is("1")`);
  await assertInert(mp);
});

test('with overlap 3 the consensus table shows the majority label and agreement, paged', async () => {
  const p = await world.project({ name: 'overlap-' + token(), overlap: 3 });
  const texts = [ITEM_A, ...Array.from({ length: 20 }, (_, i) => 'plain ' + i)];
  await world.importTexts(p.id, texts);
  for (const w of workers) await world.addMember(p.id, w.id, 'worker');
  // Every worker labels every item: `pos` on the first but for the third worker, `neg` elsewhere.
  for (const [i, w] of workers.entries()) {
    for (let n = 0; n < texts.length; n++) {
      const task = await api(w.client, 'POST', `/projects/${p.id}/tasks/next`);
      const label = task.item.text === ITEM_A && i < 2 ? 'pos' : 'neg';
      await api(w.client, 'POST', `/tasks/${task.id}/submit`, { annotation: { labels: [label] } });
    }
  }
  for (let n = 0; n < texts.length * 3; n++) {
    const rv = await api(world.manager, 'POST', `/projects/${p.id}/reviews/next`);
    await api(world.manager, 'POST', `/tasks/${rv.id}/review`, { decision: 'approve' });
  }
  // Item ids leave room for gold between them: the second item is the answer's second row.
  const [first, second] = (await api(world.manager, 'GET', `/projects/${p.id}/consensus`)).items;
  assert.deepEqual([first.annotations, first.complete, first.consolidated], [3, true, { labels: ['pos'] }]);
  assert.ok(Math.abs(first.agreement - 2 / 3) < 1e-9, 'agreement ' + first.agreement);

  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  const row = `[data-testid=consensus] tr[data-item-id="${first.item_id}"]`;
  await mp.waitForSelector(row);
  assert.equal(await text(mp, `${row} [data-testid=consensus-item]`), ITEM_A);
  assert.equal(await text(mp, `${row} [data-testid=consensus-answer]`), 'pos');
  assert.equal(await text(mp, `${row} [data-testid=consensus-agreement]`), '66.7%');
  assert.equal(await mp.getAttribute(row, 'data-complete'), 'true');
  assert.match(await text(mp, row), /3 \/ 3/);
  const other = `[data-testid=consensus] tr[data-item-id="${second.item_id}"]`;
  assert.equal(await text(mp, `${other} [data-testid=consensus-answer]`), 'neg');
  assert.equal(await text(mp, `${other} [data-testid=consensus-agreement]`), '100%');

  // 21 items: 20 on the first page, the last behind "More".
  const rows = () => mp.$$eval('[data-testid=consensus] tbody tr', (trs) => trs.length);
  assert.equal(await rows(), 20);
  await mp.click('[data-testid=consensus-more]');
  await mp.waitForFunction(() => document.querySelectorAll('[data-testid=consensus] tbody tr').length === 21);
  assert.equal(await mp.isVisible('[data-testid=consensus-more]'), false);
  assert.equal(await text(mp, '[data-testid=consensus] tbody tr:last-child [data-testid=consensus-item]'), 'plain 19');
  await mp.locator('[data-testid=consensus-box]').scrollIntoViewIfNeeded();
  await screenshot(mp, 'quality-consensus');
  await assertInert(mp);

  // A project labeled once has no consensus table.
  const once = await world.project({ name: 'once-' + token() });
  await mp.goto(server.base + `/p/${once.id}/quality`);
  await mp.waitForSelector('[data-testid=quality-workers-empty]');
  assert.equal(await mp.$('[data-testid=consensus-box]'), null);
});

test('an admin adds funds to an org picked from a list; the manager deposits into a project', async () => {
  const other = await api(world.admin, 'POST', '/orgs', { name: ORG });
  const ap = await newPage(browser);
  await login(ap, server.base, 'admin', server.adminPassword, '/admin');
  await ap.waitForSelector('[data-testid=funds-form]');
  assert.ok((await ap.$$eval('[data-testid=funds-org] option', (os) => os.map((o) => o.textContent))).includes(ORG + ' (KRW)'));
  await ap.selectOption('[data-testid=funds-org]', String(world.org.id));
  await ap.waitForSelector('[data-testid=funds-balance]:text-is("₩0")');
  await ap.fill('[data-testid=funds-amount]', '50000');
  await ap.fill('[data-testid=funds-memo]', 'invoice 7');
  await ap.click('[data-testid=funds-form] button[type=submit]');
  await ap.waitForSelector('[data-testid=funds-balance]:text-is("₩50,000")');
  assert.equal((await api(world.admin, 'GET', `/orgs/${world.org.id}/budget`)).balance, 50000);
  assert.equal((await api(world.admin, 'GET', `/orgs/${other.id}/budget`)).balance, 0);
  await ap.selectOption('[data-testid=funds-org]', String(other.id));
  await ap.waitForSelector('[data-testid=funds-balance]:text-is("₩0")');
  await screenshot(ap, 'admin-funds');
  await assertInert(ap);

  const p = await world.project({ name: '<img src=x onerror=alert("budget")> ' + token(), price: 100 });
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  await mp.waitForSelector('[data-testid=deposit-form]');
  assert.equal(await text(mp, '[data-testid=budget]'), 'Not funded: pay is not metered through the ledger.');
  await mp.waitForSelector('[data-testid=org-balance]:text-is("₩50,000")');

  // More than the org has: refused, with the reason beside the form.
  await mp.fill('[data-testid=deposit-amount]', '60000');
  await mp.click('[data-testid=deposit-form] button[type=submit]');
  await mp.waitForSelector('[data-testid=deposit-error]:text-is("The organization\'s budget is not enough for that amount.")');
  assert.equal((await api(world.manager, 'GET', `/projects/${p.id}/budget`)).funded, false);

  await mp.fill('[data-testid=deposit-amount]', '20000');
  await mp.click('[data-testid=deposit-form] button[type=submit]');
  const fig = (k) => `[data-testid=budget] [data-fig=${k}] .figure-value`;
  await mp.waitForSelector(`${fig('deposited')}:text-is("₩20,000")`);
  assert.equal(await text(mp, fig('balance')), '₩20,000');
  assert.equal(await text(mp, fig('available')), '₩20,000');
  await mp.waitForSelector('[data-testid=org-balance]:text-is("₩30,000")');
  const budget = await api(world.manager, 'GET', `/projects/${p.id}/budget`);
  assert.deepEqual([budget.funded, budget.deposited, budget.balance], [true, 20000, 20000]);
  assert.equal((await api(world.manager, 'GET', `/orgs/${world.org.id}/budget`)).balance, 30000);
  assert.equal((await api(world.admin, 'GET', '/ledger/check')).ok, true);
  await screenshot(mp, 'quality-budget');
  await assertInert(mp);

  // An org engineer reads the page but gets no deposit form and no gold items.
  const eng = await world.user('eng');
  await api(world.admin, 'POST', `/orgs/${world.org.id}/members`, { user_id: eng.id, role: 'engineer' });
  const ep = await newPage(browser);
  await login(ep, server.base, eng.username, eng.password, `/p/${p.id}/quality`);
  await ep.waitForSelector(`${fig('deposited')}:text-is("₩20,000")`);
  assert.equal(await ep.$('[data-testid=deposit-form]'), null);
  assert.equal(await ep.$('[data-testid=gold-box]'), null);
  await assertInert(ep);
});

