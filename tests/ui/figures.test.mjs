// Figures from too little data say so: a worker's pay per hour from seconds of measured work,
// a first-pass rate from one decision; the rate from enough decisions comes with its interval.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, startWorld } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let project;

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  project = await world.project({ price: 1000 });
  await world.addMember(project.id, worker.id, 'worker');
  await world.importTexts(project.id, ['one', 'two']);
  // One task submitted at once and approved: seconds of active time, one decision.
  const t = await worker.client.ok('POST', `/api/v1/projects/${project.id}/tasks/next`);
  await worker.client.ok('POST', `/api/v1/tasks/${t.id}/submit`, { annotation: { labels: ['pos'] } });
  const r = await world.manager.ok('POST', `/api/v1/projects/${project.id}/reviews/next`);
  await world.manager.ok('POST', `/api/v1/tasks/${r.id}/review`, { decision: 'approve' });
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

test('fair pay from seconds of work says there is too little data instead of a pay per hour', async () => {
  const pay = await world.manager.ok('GET', `/api/v1/projects/${project.id}/fair-pay`);
  assert.equal(pay.workers.length, 1);
  assert.ok(pay.workers[0].active_seconds < 60, 'seconds of work: ' + pay.workers[0].active_seconds);
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}/quality`);
  const row = `[data-testid=fair-pay] tr[data-user-id="${worker.id}"]`;
  await page.waitForSelector(row);
  const hourly = await page.textContent(`${row} [data-testid=hourly]`);
  assert.equal(hourly, 'too little data');
  assert.doesNotMatch(hourly, /₩/);
  const summary = page.locator('[data-testid=fair-pay-summary]');
  assert.equal(await summary.getAttribute('data-sample'), 'small');
  assert.equal(await summary.getAttribute('data-below'), 'false');
  assert.match(await summary.textContent(), /Too little measured work/);
  assert.doesNotMatch(await summary.textContent(), /Median|Below the minimum/);
  // One decision: the counts, not a rate.
  assert.equal(await page.textContent(`[data-testid=quality-workers] tr[data-user-id="${worker.id}"] [data-testid=first-pass-rate]`), '1 of 1: too few to rate');
  page.assertClean();
});

test('the dashboard\'s first-pass rate from one decision is marked as too little data', async () => {
  const page = await newPage(browser, { locale: 'ko-KR' });
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}`);
  await page.waitForSelector('[data-fig=first_pass] .figure-value');
  assert.equal(await page.getAttribute('[data-fig=first_pass] .figure-value > span', 'data-sample'), 'small');
  assert.match(await page.textContent('[data-fig=first_pass] .figure-value'), /데이터 부족/);
  page.assertClean();
});
