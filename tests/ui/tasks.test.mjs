// The manager's task browser and what goes with it: filters and a bulk action on a selection,
// a task opened with every round and the reviewer's reason, the diff between rounds on the
// review page, a worker's count of tasks left and taking back a submission, removing a
// member, the export's rows and what it leaves out, and the buttons a role cannot use hidden.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, waitTask, startWorld } from './harness.mjs';

let server;
let world;
let browser;
let worker;
let reviewer;
let engineer;
let project;
const API = '/api/v1';

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  reviewer = await world.user('reviewer');
  engineer = await world.user('engineer');
  await world.admin.ok('POST', `${API}/orgs/${world.org.id}/members`, { user_id: engineer.id, role: 'engineer' });
  project = await world.project({ labels: ['pos', 'neg'] });
  await world.addMember(project.id, worker.id, 'worker');
  await world.addMember(project.id, reviewer.id, 'reviewer');
  await world.importTexts(project.id, ['alpha text', 'beta text', 'gamma text', 'delta text', 'epsilon text']);
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

const tasksOf = async (query) => (await world.manager.ok('GET', `${API}/projects/${project.id}/tasks?${query}`)).items;

// A task labeled `first`, rejected with `reason`, labeled `second` again: round 2 waits.
async function reworked(first, reason, second) {
  const t = await worker.client.ok('POST', `${API}/projects/${project.id}/tasks/next`);
  await worker.client.ok('POST', `${API}/tasks/${t.id}/submit`, { annotation: { labels: [first] } });
  const r = await reviewer.client.ok('POST', `${API}/projects/${project.id}/reviews/next`);
  assert.equal(r.id, t.id);
  await reviewer.client.ok('POST', `${API}/tasks/${t.id}/review`, { decision: 'reject', reason });
  await worker.client.ok('POST', `${API}/projects/${project.id}/tasks/next`);
  await worker.client.ok('POST', `${API}/tasks/${t.id}/submit`, { annotation: { labels: [second] } });
  return t.id;
}

test('the reviewer sees round 1 next to round 2 with the changes marked and the reason', async () => {
  const id = await reworked('pos', 'it reads negative', 'neg');
  const page = await newPage(browser);
  await login(page, server.base, reviewer.username, reviewer.password, `/p/${project.id}/review`);
  assert.equal(await waitTask(page), id);
  await page.waitForSelector('[data-testid=review-rounds] [data-round="2"]');
  assert.equal(await page.textContent('[data-testid=review-rounds] [data-round="1"] [data-change=added]'), '+ pos');
  assert.equal(await page.textContent('[data-testid=review-rounds] [data-round="2"] [data-change=added]'), '+ neg');
  assert.equal(await page.textContent('[data-testid=review-rounds] [data-round="2"] [data-change=removed]'), '− pos');
  assert.match(await page.textContent('[data-testid=review-rounds] [data-round="1"] [data-testid=round-reason]'), /it reads negative/);
  await page.click('[data-testid=approve]');
  page.assertClean();
});

test('the manager filters, opens a task with its rounds, and discards a selection in bulk', async () => {
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}`);
  await page.click('[data-testid=to-tasks]');
  await page.waitForSelector('[data-testid=task-table]');
  assert.equal(await page.$$eval('[data-testid=task-table] tbody tr', (r) => r.length), 5);
  // Filters: the approved task, labeled neg in round 2.
  await page.selectOption('[data-testid=f-label]', 'neg');
  await page.fill('[data-testid=f-round]', '2');
  await page.click('[data-testid=filters-apply]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-table] tbody tr').length === 1);
  assert.match(page.url(), /label=neg/);
  assert.equal(await page.getAttribute('[data-testid=task-table] tbody tr', 'data-state'), 'approved');
  await page.click('[data-testid=open-task]');
  await page.waitForSelector('[data-testid=task-detail] [data-round="2"]');
  assert.equal(await page.textContent('[data-testid=detail-text]'), 'alpha text');
  assert.match(await page.textContent('[data-testid=task-detail] [data-testid=round-reason]'), /it reads negative/);
  // The open tasks, all selected, discarded in one call.
  await page.click('[data-testid=filters-clear]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-table] tbody tr').length === 5);
  await page.selectOption('[data-testid=f-state]', 'open');
  await page.click('[data-testid=filters-apply]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-table] tbody tr').length === 4);
  assert.equal(await page.isDisabled('[data-testid=bulk-apply]'), true);
  const two = await page.$$eval('[data-testid=task-table] tbody tr', (rows) => rows.slice(0, 2).map((r) => Number(r.dataset.taskId)));
  await page.click(`tr[data-task-id="${two[0]}"] [data-testid=select-task]`);
  await page.click(`tr[data-task-id="${two[1]}"] [data-testid=select-task]`);
  assert.equal(await page.textContent('[data-testid=bulk-count]'), '2 selected');
  await page.selectOption('[data-testid=bulk-action]', 'discard');
  await page.fill('[data-testid=bulk-reason]', 'duplicates');
  await page.click('[data-testid=bulk-apply]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-table] tbody tr').length === 2);
  assert.equal(await page.getAttribute('[data-testid=bulk-bar]', 'data-changed'), '2');
  assert.deepEqual((await tasksOf('state=discarded')).map((t) => t.id), two);
  // Priority on what is left: the last one becomes the first claim.
  await page.click('[data-testid=select-all]');
  await page.click(`tr[data-task-id] [data-testid=select-task] >> nth=0`);
  await page.selectOption('[data-testid=bulk-action]', 'priority');
  await page.fill('[data-testid=bulk-priority]', '7');
  await page.click('[data-testid=bulk-apply]');
  await page.waitForFunction(() => document.querySelector('[data-testid=bulk-bar]')?.dataset.changed === '1');
  // A task held by the worker, handed to the reviewer (a member too).
  const held = await worker.client.ok('POST', `${API}/projects/${project.id}/tasks/next`);
  await page.selectOption('[data-testid=f-state]', 'assigned');
  await page.click('[data-testid=filters-apply]');
  await page.waitForSelector(`tr[data-task-id="${held.id}"]`);
  await page.click(`tr[data-task-id="${held.id}"] [data-testid=select-task]`);
  await page.selectOption('[data-testid=bulk-action]', 'reassign');
  await page.selectOption('[data-testid=bulk-worker]', String(reviewer.id));
  await page.click('[data-testid=bulk-apply]');
  await page.waitForFunction((id) => document.querySelector(`tr[data-task-id="${id}"]`)?.textContent.includes('reviewer_'), held.id);
  assert.equal((await world.manager.ok('GET', `${API}/tasks/${held.id}`)).worker_id, reviewer.id);
  await reviewer.client.ok('POST', `${API}/tasks/${held.id}/release`);
  page.assertClean();
});

test('the manager applies a bulk action to all tasks matching the filter, confirming the count', async () => {
  const own = await world.project({ labels: ['pos', 'neg'] });
  await world.importTexts(own.id, ['red apple', 'green apple', 'yellow banana']);
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${own.id}/tasks`);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-table] tbody tr').length === 3);
  await page.fill('[data-testid=f-q]', 'apple');
  await page.click('[data-testid=filters-apply]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=task-table] tbody tr').length === 2);
  await page.check('[data-testid=bulk-all-matching]');
  await page.selectOption('[data-testid=bulk-action]', 'discard');
  // The first press counts, the second applies to the count it names.
  await page.click('[data-testid=bulk-apply]');
  await page.waitForFunction(() => document.querySelector('[data-testid=bulk-bar]')?.dataset.matching === '2');
  assert.equal(await page.textContent('[data-testid=bulk-apply]'), 'Apply to all 2 matching');
  assert.equal((await world.manager.ok('GET', `${API}/projects/${own.id}/tasks?state=discarded`)).items.length, 0);
  await page.click('[data-testid=bulk-apply]');
  await page.waitForFunction(() => document.querySelector('[data-testid=bulk-bar]')?.dataset.changed === '2');
  const discarded = (await world.manager.ok('GET', `${API}/projects/${own.id}/tasks?state=discarded`)).items;
  assert.equal(discarded.length, 2);
  assert.equal(await page.textContent('[data-testid=bulk-apply]'), 'Apply');
  page.assertClean();
});

// A project of one task, submitted by its worker and approved by its reviewer.
async function approvedTask(text) {
  const own = await world.project({ labels: ['pos', 'neg'] });
  await world.addMember(own.id, worker.id, 'worker');
  await world.addMember(own.id, reviewer.id, 'reviewer');
  await world.importTexts(own.id, [text]);
  const t = await worker.client.ok('POST', `${API}/projects/${own.id}/tasks/next`);
  await worker.client.ok('POST', `${API}/tasks/${t.id}/submit`, { annotation: { labels: ['pos'] } });
  await reviewer.client.ok('POST', `${API}/projects/${own.id}/reviews/next`);
  await reviewer.client.ok('POST', `${API}/tasks/${t.id}/review`, { decision: 'approve' });
  return { own, t };
}

// The manager's task browser of project `own`, with approved task t shown.
async function browserWithApproved(own, t) {
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${own.id}/tasks`);
  await page.waitForSelector(`tr[data-task-id="${t.id}"][data-state=approved]`);
  return page;
}

// The manager undoes t's approval with bulk `action`: the form does not go without a reason,
// then goes with `reason`; the row shows state `to` and the task's detail the decision, `said`.
async function undoApproval(page, t, action, reason, to, said) {
  await page.click(`tr[data-task-id="${t.id}"] [data-testid=select-task]`);
  await page.selectOption('[data-testid=bulk-action]', action);
  await page.click('[data-testid=bulk-apply]');
  assert.equal((await world.manager.ok('GET', `${API}/tasks/${t.id}`)).state, 'approved');
  await page.fill('[data-testid=bulk-reason]', reason);
  await page.click('[data-testid=bulk-apply]');
  await page.waitForSelector(`tr[data-task-id="${t.id}"][data-state=${to}]`);
  await page.click(`tr[data-task-id="${t.id}"] [data-testid=open-task]`);
  const decision = `[data-testid=task-detail] [data-decision=${action === 'rework' ? 'rework_approved' : action}]`;
  await page.waitForSelector(decision);
  assert.match(await page.textContent(decision), said);
}

test('the manager sends an approved task back for rework with a reason, which its worker reads', async () => {
  const { own, t } = await approvedTask('to be redone');
  const page = await browserWithApproved(own, t);
  await undoApproval(page, t, 'rework', 'the text is negative', 'rework', /Sent back for rework/);
  const again = await worker.client.ok('POST', `${API}/projects/${own.id}/tasks/next`);
  assert.equal(again.id, t.id);
  assert.equal(again.last_rejection.reason, 'the text is negative');
  page.assertClean();
});

test('the manager sends an approved task to review again; the bulk menu names it in Korean and English', async () => {
  const { own, t } = await approvedTask('to be looked at again');
  const page = await browserWithApproved(own, t);
  assert.equal(await page.textContent('[data-testid=bulk-action] option[value=review_again]'), 'Send approved to review again (pay reversed)');
  await undoApproval(page, t, 'review_again', 'check the sentiment again', 'submitted', /Sent to review again/);
  // The only reviewer of the project, who approved it, reviews it again.
  const claimed = await reviewer.client.ok('POST', `${API}/projects/${own.id}/reviews/next`);
  assert.equal(claimed.id, t.id);
  page.assertClean();
});

test('an engineer browses tasks without the bulk actions; a worker gets the no-access page', async () => {
  const page = await newPage(browser);
  await login(page, server.base, engineer.username, engineer.password, `/p/${project.id}/tasks`);
  await page.waitForSelector('[data-testid=task-table]');
  assert.equal(await page.$('[data-testid=bulk-bar]'), null);
  assert.equal(await page.$('[data-testid=select-task]'), null);
  await page.goto(server.base + `/p/${project.id}`);
  await page.waitForSelector('[data-testid=members]');
  assert.equal(await page.$('[data-testid=member-remove]'), null);
  page.assertClean();
  const wp = await newPage(browser, { locale: 'ko-KR' });
  await login(wp, server.base, worker.username, worker.password, `/p/${project.id}/tasks`);
  await wp.waitForSelector('[data-testid=no-access]');
});

test('the datasets page counts the rows and says what is left out', async () => {
  const p = await world.project({ labels: ['pos', 'neg'], overlap: 2 });
  await world.addMember(p.id, worker.id, 'worker');
  await world.addMember(p.id, reviewer.id, 'reviewer');
  await world.importTexts(p.id, ['overlapped item']);
  const t = await worker.client.ok('POST', `${API}/projects/${p.id}/tasks/next`);
  await worker.client.ok('POST', `${API}/tasks/${t.id}/submit`, { annotation: { labels: ['pos'] } });
  await reviewer.client.ok('POST', `${API}/projects/${p.id}/reviews/next`);
  await reviewer.client.ok('POST', `${API}/tasks/${t.id}/review`, { decision: 'approve' });
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}/datasets`);
  await page.waitForSelector('[data-testid=live-left-out]:not([hidden])');
  assert.equal(await page.getAttribute('[data-testid=live-count]', 'data-rows'), '0');
  assert.match(await page.textContent('[data-testid=live-left-out]'), /1 approved annotations are left out until/);
  assert.equal(await page.getAttribute('[data-testid=live-export]', 'data-rows'), '0');
  await page.selectOption('[data-testid=live-answers]', 'all');
  await page.waitForFunction(() => document.querySelector('[data-testid=live-count]')?.dataset.rows === '1');
  assert.equal(await page.isVisible('[data-testid=live-left-out]'), false);
  assert.equal(await page.getAttribute('[data-testid=dataset-preview]', 'data-rows'), '0');
  assert.equal(await page.isVisible('[data-testid=dataset-left-out]'), true);
  page.assertClean();
});

test('a manager removes a member; the member\'s lease goes back to the queue', async () => {
  const p = await world.project({ labels: ['pos', 'neg'] });
  const leaver = await world.user('leaver');
  await world.addMember(p.id, leaver.id, 'worker');
  await world.importTexts(p.id, ['held item']);
  const t = await leaver.client.ok('POST', `${API}/projects/${p.id}/tasks/next`);
  const page = await newPage(browser);
  await login(page, server.base, world.managerUser.username, world.managerUser.password, `/p/${p.id}`);
  await page.waitForSelector(`[data-testid=members] tr[data-user-id="${leaver.id}"]`);
  await page.click(`tr[data-user-id="${leaver.id}"] [data-testid=member-remove]`);
  assert.match(await page.textContent(`tr[data-user-id="${leaver.id}"] [data-testid=member-remove]`), /Click again/);
  await page.click(`tr[data-user-id="${leaver.id}"] [data-testid=member-remove]`);
  await page.waitForSelector(`[data-testid=members] tr[data-user-id="${leaver.id}"]`, { state: 'detached' });
  const task = await world.manager.ok('GET', `${API}/tasks/${t.id}`);
  assert.equal(task.state, 'open');
  page.assertClean();
});
