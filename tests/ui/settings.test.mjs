// Project settings after creation: every field PATCH /projects/{id} takes, checked against the
// server's ranges; labels only grow once tasks exist; members listed, their roles changed, and
// a member added by a username offered as it is typed.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, startWorld } from './harness.mjs';

let server;
let world;
let browser;
let worker;

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function settingsPage(pid, user = world.managerUser) {
  const page = await newPage(browser);
  await login(page, server.base, user.username, user.password, `/p/${pid}`);
  await page.click('[data-testid=to-settings]');
  await page.waitForSelector('[data-testid=settings-form]');
  await page.waitForSelector('[data-testid=member-table], [data-testid=member-table-empty]');
  return page;
}

test('every field is saved; out of range is refused in the form; labels only grow once tasks exist', async () => {
  const p = await world.project({ labels: ['pos', 'neg'], multi_label: false });
  await world.importTexts(p.id, ['one', 'two']);
  const page = await settingsPage(p.id);
  assert.deepEqual(await page.$$eval('[data-testid=s-labels-fixed] [data-label]', (els) => els.map((e) => e.dataset.label)), ['pos', 'neg']);
  assert.equal(await page.inputValue('[data-testid=s-labels]'), '');

  // 11 annotations per item is past the server's range (1–10): nothing is sent.
  await page.fill('[data-testid=s-overlap]', '11');
  await page.click('[data-testid=settings-save]');
  assert.match(await page.textContent('[data-testid=field-error]:visible'), /1 to 10/);
  assert.equal((await world.manager.ok('GET', `/api/v1/projects/${p.id}`)).overlap, 1);

  await page.fill('[data-testid=s-name]', 'renamed project');
  await page.fill('[data-testid=s-instructions]', '# New guide');
  await page.fill('[data-testid=s-labels]', 'neutral\npos');
  await page.check('[data-testid=s-multi]');
  await page.fill('[data-testid=s-price]', '150');
  await page.fill('[data-testid=s-fee]', '20');
  await page.selectOption('[data-testid=s-policy]', 'sample');
  await page.fill('[data-testid=s-rate]', '30');
  await page.fill('[data-testid=s-overlap]', '2');
  await page.fill('[data-testid=s-lease]', '45');
  await page.fill('[data-testid=s-rounds]', '5');
  await page.selectOption('[data-testid=s-status]', 'paused');
  await page.selectOption('[data-testid=s-visibility]', 'public');
  await page.click('[data-testid=settings-save]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=toast]')].some((e) => /saved/.test(e.textContent)));
  const got = await world.manager.ok('GET', `/api/v1/projects/${p.id}`);
  assert.equal(got.name, 'renamed project');
  assert.equal(got.instructions, '# New guide');
  assert.deepEqual(got.labels, ['pos', 'neg', 'neutral']);
  assert.equal(got.multi_label, true);
  assert.equal(got.price, 150);
  assert.equal(got.reviewer_fee, 20);
  assert.equal(got.review_policy, 'sample');
  assert.equal(got.review_rate, 0.3);
  assert.equal(got.overlap, 2);
  assert.equal(got.lease_seconds, 45 * 60);
  assert.equal(got.max_rounds, 5);
  assert.equal(got.status, 'paused');
  assert.equal(got.visibility, 'public');
  // The form shows what was saved: the new label now among the fixed ones.
  assert.deepEqual(await page.$$eval('[data-testid=s-labels-fixed] [data-label]', (els) => els.map((e) => e.dataset.label)), ['pos', 'neg', 'neutral']);
  page.assertClean();
});

test('without tasks the labels can be rewritten', async () => {
  const p = await world.project({ labels: ['a', 'b', 'c'] });
  const page = await settingsPage(p.id);
  assert.equal(await page.isVisible('[data-testid=s-labels-fixed]'), false);
  assert.equal(await page.inputValue('[data-testid=s-labels]'), 'a\nb\nc');
  await page.fill('[data-testid=s-labels]', 'c\nd');
  await page.click('[data-testid=settings-save]');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=toast]')].some((e) => /saved/.test(e.textContent)));
  assert.deepEqual((await world.manager.ok('GET', `/api/v1/projects/${p.id}`)).labels, ['c', 'd']);
  page.assertClean();
});

test('members are listed, a role is changed, and a username is offered as it is typed', async () => {
  const p = await world.project();
  await world.addMember(p.id, worker.id, 'worker');
  const newcomer = await world.user('newcomer');
  const admin = { username: 'admin', password: server.adminPassword };
  const page = await settingsPage(p.id, admin);
  const row = `[data-testid=member-table] tr[data-user-id="${worker.id}"]`;
  assert.equal(await page.inputValue(`${row} [data-testid=member-role]`), 'worker');
  await page.selectOption(`${row} [data-testid=member-role]`, 'reviewer');
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=toast]')].some((e) => /is now/.test(e.textContent)));
  const members = (await world.manager.ok('GET', `/api/v1/projects/${p.id}/members`)).items;
  assert.equal(members.find((m) => m.user_id === worker.id).role, 'reviewer');

  // An admin is offered every user (GET /users), members left out.
  await page.focus('[data-testid=add-member-username]');
  await page.waitForFunction((name) => [...document.querySelectorAll('[data-testid=username-suggestions] option')].some((o) => o.value === name), newcomer.username);
  const offered = await page.$$eval('[data-testid=username-suggestions] option', (os) => os.map((o) => o.value));
  assert.ok(!offered.includes(worker.username), 'members are not offered');
  await page.fill('[data-testid=add-member-username]', newcomer.username);
  await page.selectOption('[data-testid=add-member-role]', 'reviewer');
  await page.click('[data-testid=add-member-form] button[type=submit]');
  await page.waitForSelector(`[data-testid=member-table] tr[data-user-id="${newcomer.id}"]`);
  assert.equal(await page.inputValue(`[data-testid=member-table] tr[data-user-id="${newcomer.id}"] [data-testid=member-role]`), 'reviewer');
  page.assertClean();
});

test('a worker cannot open the settings page', async () => {
  const p = await world.project();
  await world.addMember(p.id, worker.id, 'worker');
  const page = await newPage(browser);
  await login(page, server.base, worker.username, worker.password, `/p/${p.id}/settings`);
  await page.waitForSelector('[data-testid=no-access]');
  assert.equal(await page.locator('[data-testid=settings-form]').count(), 0);
  page.assertClean();
});
