// Forms and messages: a number outside the server's range is refused in the form, next to its
// field, and the server's 400 message lands next to the field it names; an error is taken away
// by the success that answers it (a submit after "pick a label first", a reason typed after
// "give a reason").
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, waitTask, startWorld, token } from './harness.mjs';

let server;
let world;
let browser;

before(async () => {
  ({ server, world } = await startWorld());
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

async function createForm(page, name) {
  await page.goto(server.base + '/manage/new');
  await page.waitForSelector('[data-testid=f-name]');
  await page.fill('[data-testid=f-name]', name);
  await page.fill('[data-testid=f-labels]', 'a\nb');
}
const fieldErrorOf = (page, testid) => page.$eval(`[data-testid=${testid}]`, (el) => {
  const e = el.closest('.field').querySelector('[data-testid=field-error]');
  return e && !e.hidden ? e.textContent : '';
});

test('a negative price is refused next to the field, and a 400 names its field', async () => {
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password);
  const name = 'neg-' + token();
  await createForm(page, name);
  await page.fill('[data-testid=f-price]', '-5');
  await page.click('[data-testid=create-submit]');
  await page.waitForSelector('[data-testid=field-error]:not([hidden])');
  assert.match(await fieldErrorOf(page, 'f-price'), /0/);
  assert.equal(await page.getAttribute('[data-testid=f-price]', 'aria-invalid'), 'true');
  assert.match(page.url(), /\/manage\/new$/);
  const mine = await world.manager.ok('GET', '/api/v1/projects?limit=500');
  assert.ok(!mine.items.some((p) => p.name === name), 'no project was made');
  // Typing a new value takes the message away.
  await page.fill('[data-testid=f-price]', '10');
  assert.equal(await fieldErrorOf(page, 'f-price'), '');

  // The server's own 400 shows under the field its message names.
  await page.route('**/api/v1/projects', (route) => (route.request().method() === 'POST'
    ? route.fulfill({ status: 400, contentType: 'application/json', body: JSON.stringify({ error: { code: 'invalid', message: 'overlap must be an integer from 1 to 10' } }) })
    : route.continue()));
  await page.click('[data-testid=create-submit]');
  await page.waitForFunction(() => document.querySelector('[data-testid=f-overlap]').closest('.field').querySelector('[data-testid=field-error]')?.textContent);
  assert.equal(await fieldErrorOf(page, 'f-overlap'), 'overlap must be an integer from 1 to 10');
  page.assertClean();
});

test('a submit clears "pick a label first"; a typed reason clears "give a reason"', async () => {
  const worker = await world.user('worker');
  const reviewer = await world.user('reviewer');
  const p = await world.project({ labels: ['x', 'y'], multi_label: true });
  await world.addMember(p.id, worker.id, 'worker');
  await world.addMember(p.id, reviewer.id, 'reviewer');
  await world.importTexts(p.id, ['one', 'two', 'three']);

  const wp = await newPage(browser);
  await login(wp, server.base, worker.username, worker.password, `/p/${p.id}/label`);
  let id = await waitTask(wp);
  await wp.keyboard.press('Control+Enter');
  await wp.waitForSelector('.toast-error');
  await wp.keyboard.press('1');
  await wp.keyboard.press('Control+Enter');
  id = await waitTask(wp, id);
  assert.ok(id);
  assert.equal(await wp.locator('.toast-error').count(), 0);
  wp.assertClean();

  const rp = await newPage(browser);
  await login(rp, server.base, reviewer.username, reviewer.password, `/p/${p.id}/review`);
  await waitTask(rp);
  await rp.keyboard.press('r');
  await rp.waitForSelector('[data-testid=reason-text]:focus');
  await rp.keyboard.press('Control+Enter');
  assert.notEqual(await rp.textContent('[data-testid=reason-error]'), '');
  await rp.keyboard.type('too vague');
  assert.equal(await rp.textContent('[data-testid=reason-error]'), '');
  rp.assertClean();
});
