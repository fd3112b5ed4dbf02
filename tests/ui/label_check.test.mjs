// Label error detection in the browser: on the quality page a manager starts a label check of a
// dataset version; when the runner's job has succeeded, the check's row shows its figures and
// opens the audit it made, where the planted wrong label's task shows what the model says. A
// text spans project gets the same section, and its audit names the span the model contradicts.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, startWorld, screenshot } from './harness.mjs';

let server;
let world;
let browser;

const api = (client, method, path, body) => client.ok(method, '/api/v1' + path, body);
const PLANTED = 'bad awful boring film planted';

before(async () => {
  ({ server, world } = await startWorld());
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

// Project p's texts labelled by a worker (answer(text) is the annotation) and approved, and a
// dataset version of them.
async function labelAll(p, texts, answer) {
  const worker = await world.user('w');
  const reviewer = await world.user('r');
  await world.addMember(p.id, worker.id, 'worker');
  await world.addMember(p.id, reviewer.id, 'reviewer');
  await world.importTexts(p.id, texts);
  for (let i = 0; i < texts.length; i++) {
    const task = await api(worker.client, 'POST', `/projects/${p.id}/tasks/next`);
    await api(worker.client, 'POST', `/tasks/${task.id}/submit`, { annotation: answer(task.item.text) });
    const review = await api(reviewer.client, 'POST', `/projects/${p.id}/reviews/next`);
    await api(reviewer.client, 'POST', `/tasks/${review.id}/review`, { decision: 'approve' });
  }
  await api(world.manager, 'POST', `/projects/${p.id}/datasets`, {});
  return p;
}

// A project whose texts are labelled by their first word, but the planted one "pos".
async function labelledProject() {
  const texts = [];
  for (let i = 0; i < 20; i++) texts.push('good great lovely film ' + i, 'bad awful boring film ' + i);
  const label = (text) => (text.startsWith('good') || text === PLANTED ? 'pos' : 'neg');
  return labelAll(await world.project(), [...texts, PLANTED], (text) => ({ labels: [label(text)] }));
}

// Starts a check at `threshold` on the quality page and waits for the runner to finish it.
async function checkOnThePage(mp, p, threshold) {
  await mp.fill('[data-testid=label-check-threshold]', threshold);
  await mp.click('[data-testid=label-check-form] button[type=submit]');
  await mp.waitForSelector('[data-testid=label-check-table] tr[data-job-id]');
  for (let i = 0; i < 120; i++) {
    const checks = await api(world.manager, 'GET', `/projects/${p.id}/label-checks`);
    if (checks.items[0].state === 'succeeded') break;
    assert.ok(['queued', 'running'].includes(checks.items[0].state), checks.items[0].state);
    await new Promise((r) => setTimeout(r, 250));
  }
  await mp.reload();
  await mp.waitForSelector('[data-testid=label-check-table] tr[data-state=succeeded]');
}

test('a manager checks the labels of a version and opens the audit of what the model contradicts', async () => {
  const p = await labelledProject();
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  await mp.waitForSelector('[data-testid=label-check-form]');
  assert.equal((await mp.textContent('[data-testid=label-check-table-empty]')).trim(), 'No label check yet.');
  // The job runs on the server's runner: the page shows it done once reloaded after it ended.
  await checkOnThePage(mp, p, '0.6');
  const row = (await mp.textContent('[data-testid=label-check-table] tr[data-state=succeeded]')).replace(/\s+/g, ' ');
  assert.match(row, /60%/);
  assert.match(row, /1 \/ 41/);
  assert.match(row, /text-linear/); // a text project's own trainer, the select's first
  await mp.click('[data-testid=label-check-audit]');
  await mp.waitForSelector('[data-testid=audit-items] tr[data-task-id]');
  const items = (await mp.textContent('[data-testid=audit-items]')).replace(/\s+/g, ' ');
  assert.ok(items.includes(PLANTED), items);
  assert.match(items, /neg \(\d+%\)/);
  await screenshot(mp, 'label-check-audit');
  await mp.close();
});

test('a spans project checks its spans, and the audit names the span the model contradicts', async () => {
  // "<name> went to <city> today": the name PER, the city LOC; the planted trip's city is PER.
  const names = ['Kim', 'Lee', 'Park', 'Choi', 'Jung'];
  const cities = ['Seoul', 'Busan', 'Daegu', 'Incheon', 'Ulsan', 'Gwangju'];
  const planted = 'Choi went to Busan today';
  const trips = [];
  for (let i = 0; i < 40; i++) trips.push(`${names[i % 5]} went to ${cities[i % 6]} today ${i}`);
  const spans = (text) => {
    const [name, , , city] = text.split(' ');
    const at = text.indexOf(city);
    return { spans: [{ start: 0, end: name.length, label: 'PER' },
      { start: at, end: at + city.length, label: text === planted ? 'PER' : 'LOC' }] };
  };
  const p = await labelAll(await world.project({ kind: 'text_spans', labels: ['PER', 'LOC'] }), [...trips, planted], spans);
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  await mp.waitForSelector('[data-testid=label-check-form]');
  await checkOnThePage(mp, p, '0.7');
  const row = (await mp.textContent('[data-testid=label-check-table] tr[data-state=succeeded]')).replace(/\s+/g, ' ');
  assert.match(row, /1 \/ 41/);
  await mp.click('[data-testid=label-check-audit]');
  await mp.waitForSelector('[data-testid=audit-items] tr[data-task-id]');
  const items = (await mp.textContent('[data-testid=audit-items]')).replace(/\s+/g, ' ');
  assert.match(items, /LOC at 13-18 \(\d+%\)/);
  await mp.close();
});

test('a text project may be checked with fastText, chosen on the page', async () => {
  const p = await world.project();
  await api(world.manager, 'POST', `/projects/${p.id}/datasets`, {});
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  await mp.waitForSelector('[data-testid=label-check-form]');
  await mp.selectOption('[data-testid=label-check-trainer]', 'text-fasttext');
  await mp.click('[data-testid=label-check-form] button[type=submit]');
  await mp.waitForSelector('[data-testid=label-check-table] tr[data-job-id]');
  const checks = await api(world.manager, 'GET', `/projects/${p.id}/label-checks`);
  assert.equal(checks.items[0].trainer, 'text-fasttext');
  assert.match(await mp.textContent('[data-testid=label-check-table] tr[data-job-id]'), /text-fasttext/);
  await mp.close();
});
