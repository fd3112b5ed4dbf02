// Label error detection in the browser: on the quality page a manager starts a label check of a
// dataset version; when the runner's job has succeeded, the check's row shows its figures and
// opens the audit it made, where the planted wrong label's task shows what the model says.
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

// A project whose texts are labelled by their first word, but the planted one "pos".
async function labelledProject() {
  const p = await world.project();
  const worker = await world.user('w');
  const reviewer = await world.user('r');
  await world.addMember(p.id, worker.id, 'worker');
  await world.addMember(p.id, reviewer.id, 'reviewer');
  const texts = [];
  for (let i = 0; i < 20; i++) texts.push('good great lovely film ' + i, 'bad awful boring film ' + i);
  await world.importTexts(p.id, [...texts, PLANTED]);
  for (let i = 0; i <= texts.length; i++) {
    const task = await api(worker.client, 'POST', `/projects/${p.id}/tasks/next`);
    const text = task.item.text;
    const label = text.startsWith('good') || text === PLANTED ? 'pos' : 'neg';
    await api(worker.client, 'POST', `/tasks/${task.id}/submit`, { annotation: { labels: [label] } });
    const review = await api(reviewer.client, 'POST', `/projects/${p.id}/reviews/next`);
    await api(reviewer.client, 'POST', `/tasks/${review.id}/review`, { decision: 'approve' });
  }
  await api(world.manager, 'POST', `/projects/${p.id}/datasets`, {});
  return p;
}

test('a manager checks the labels of a version and opens the audit of what the model contradicts', async () => {
  const p = await labelledProject();
  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/quality`);
  await mp.waitForSelector('[data-testid=label-check-form]');
  assert.equal((await mp.textContent('[data-testid=label-check-table-empty]')).trim(), 'No label check yet.');
  await mp.fill('[data-testid=label-check-threshold]', '0.6');
  await mp.click('[data-testid=label-check-form] button[type=submit]');
  await mp.waitForSelector('[data-testid=label-check-table] tr[data-job-id]');

  // The job runs on the server's runner: the page shows it done once reloaded after it ended.
  for (let i = 0; i < 120; i++) {
    const checks = await api(world.manager, 'GET', `/projects/${p.id}/label-checks`);
    if (checks.items[0].state === 'succeeded') break;
    assert.ok(['queued', 'running'].includes(checks.items[0].state), checks.items[0].state);
    await new Promise((r) => setTimeout(r, 250));
  }
  await mp.reload();
  await mp.waitForSelector('[data-testid=label-check-table] tr[data-state=succeeded]');
  const row = (await mp.textContent('[data-testid=label-check-table] tr[data-state=succeeded]')).replace(/\s+/g, ' ');
  assert.match(row, /60%/);
  assert.match(row, /1 \/ 41/);
  await mp.click('[data-testid=label-check-audit]');
  await mp.waitForSelector('[data-testid=audit-items] tr[data-task-id]');
  const items = (await mp.textContent('[data-testid=audit-items]')).replace(/\s+/g, ' ');
  assert.ok(items.includes(PLANTED), items);
  assert.match(items, /neg \(\d+%\)/);
  await screenshot(mp, 'label-check-audit');
  await mp.close();
});
