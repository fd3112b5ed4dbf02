// Pages a role cannot open, and things that are not there, say so in the user's language
// instead of showing empty cards and the server's English message.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, startWorld } from './harness.mjs';

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

test('a worker on a manager\'s page sees "no access" in Korean, without empty cards', async () => {
  const worker = await world.user('worker');
  const p = await world.project();
  await world.addMember(p.id, worker.id, 'worker');
  const page = await newPage(browser, { locale: 'ko-KR' });
  await login(page, server.base, worker.username, worker.password);
  for (const path of [`/p/${p.id}`, `/p/${p.id}/quality`]) {
    await page.goto(server.base + path);
    await page.waitForSelector('[data-testid=no-access]');
    assert.equal(await page.textContent('[data-testid=no-access] h1'), '접근 권한 없음');
    assert.equal(await page.locator('main .card').count(), 0);
    assert.doesNotMatch(await page.textContent('main'), /forbidden|may not/i);
  }
  page.assertClean();
});

test('a project that is not there, and a path that is not a page, say "not found"', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await login(page, server.base, world.managerUser.username, world.managerUser.password);
  await page.goto(server.base + '/p/987654');
  await page.waitForSelector('[data-testid=not-found]');
  assert.equal(await page.textContent('[data-testid=not-found] h1'), 'Not found');
  assert.equal(await page.locator('main .card').count(), 0);
  await page.goto(server.base + '/no/such/page');
  await page.waitForSelector('[data-testid=not-found]');
  page.assertClean();
});
