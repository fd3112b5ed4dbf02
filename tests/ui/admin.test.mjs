// Admin pages (users, organizations, members), the language switch, and the session: the
// cookie survives a reload, the CSRF token is recovered from GET /me, nothing secret is kept
// in web storage, and logging out ends the session.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Server, launchBrowser, newPage, login, screenshot, token } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = new Server();
  server.createAdmin();
  await server.start();
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

test('an admin creates users and an organization with members', async () => {
  const page = await newPage(browser, { locale: 'en-US' });
  await page.goto(server.base + '/admin');
  // Not signed in: the login page, which comes back to /admin.
  await page.waitForSelector('[data-testid=login-username]');
  await screenshot(page, 'login');
  await page.fill('[data-testid=login-username]', 'admin');
  await page.fill('[data-testid=login-password]', 'wrong password');
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[data-testid=login-error]:not(:empty)');
  assert.match(await page.textContent('[data-testid=login-error]'), /Wrong username or password/);
  await page.fill('[data-testid=login-password]', server.adminPassword);
  await page.click('[data-testid=login-submit]');
  await page.waitForSelector('[data-testid=users-table]');
  assert.equal(new URL(page.url()).pathname, '/admin');

  // Reload: the cookie keeps the session and GET /me gives the CSRF token back, so a
  // state-changing request still works.
  await page.reload();
  await page.waitForSelector('[data-testid=users-table]');
  const name = 'alice_' + token();
  await page.fill('[data-testid=new-username]', name);
  await page.fill('[data-testid=new-password]', 'password-' + token());
  await page.click('[data-testid=user-form] button[type=submit]');
  await page.waitForSelector(`[data-testid=users-table] td:text-is("${name}")`);
  const admin = await server.admin();
  const users = await admin.ok('GET', '/api/v1/users?limit=500');
  const alice = users.items.find((u) => u.username === name);
  assert.ok(alice && !alice.is_admin);

  const org = 'Acme ' + token();
  await page.fill('[data-testid=new-org-name]', org);
  await page.click('[data-testid=org-form] button[type=submit]');
  await page.waitForSelector(`[data-testid=orgs] summary:has-text("${org}")`);
  const orgs = await admin.ok('GET', '/api/v1/orgs');
  const o = orgs.items.find((x) => x.name === org);
  assert.equal(o.currency, 'KRW');
  await page.click(`[data-testid=orgs] summary:has-text("${org}")`);
  await page.fill(`details[data-org-id="${o.id}"] [data-testid=org-member-username]`, name);
  await page.selectOption(`details[data-org-id="${o.id}"] [data-testid=org-member-role]`, 'manager');
  await page.click(`details[data-org-id="${o.id}"] button[type=submit]`);
  await page.waitForSelector(`details[data-org-id="${o.id}"] td:text-is("${name}")`);
  const members = await admin.ok('GET', `/api/v1/orgs/${o.id}/members`);
  assert.deepEqual(members.items.map((m) => [m.username, m.role]), [[name, 'manager']]);
  await screenshot(page, 'admin');

  // Nothing but the language choice, the mark that a login happened (no token: the session
  // cookie is HttpOnly) and the instructions' open or closed state in web storage.
  const storage = await page.evaluate(() => ({ local: { ...localStorage }, session: { ...sessionStorage }, cookie: document.cookie }));
  assert.deepEqual(Object.keys(storage.session), []);
  const allowed = { 'crowdloop.lang': /^(ko|en)$/, 'crowdloop.signedIn': /^1$/, 'crowdloop.guide': /^(open|closed)$/ };
  assert.ok(Object.entries(storage.local).every(([k, v]) => allowed[k] && allowed[k].test(v)), JSON.stringify(storage.local));
  assert.equal(storage.local['crowdloop.signedIn'], '1');
  assert.ok(!storage.cookie.includes('cl_session'));

  // Korean, chosen in the menu, stays after a reload.
  await page.selectOption('[data-testid=lang]', 'ko');
  await page.waitForSelector('h1:text-is("관리자")');
  assert.equal(await page.textContent('[data-testid=nav-manage]'), '프로젝트 관리');
  await page.reload();
  await page.waitForSelector('h1:text-is("관리자")');
  assert.equal(await page.getAttribute('html', 'lang'), 'ko');
  await screenshot(page, 'admin-ko');

  // The new manager signs in and sees the project pages.
  const mp = await newPage(browser);
  const pw = 'password-' + token();
  const bob = 'bob_' + token();
  await admin.ok('POST', '/api/v1/users', { username: bob, password: pw });
  await admin.ok('POST', `/api/v1/orgs/${o.id}/members`, { username: bob, role: 'manager' });
  await login(mp, server.base, bob, pw);
  // The menu gains its org entries once GET /me answers, just after the login's own answer.
  await mp.waitForSelector('[data-testid=nav-manage]');
  assert.equal(await mp.isVisible('[data-testid=nav-admin]'), false);
  await mp.goto(server.base + '/manage/new');
  await mp.waitForSelector('[data-testid=f-org]');
  assert.match(await mp.textContent('[data-testid=f-org]'), new RegExp(org));

  // Log out: the cookie no longer works.
  await page.click('[data-testid=logout]');
  await page.waitForSelector('[data-testid=login-username]');
  const r = await page.evaluate(async () => (await fetch('/api/v1/me', { credentials: 'same-origin' })).status);
  assert.equal(r, 401);
  page.assertClean();
  mp.assertClean();
});

test('state-changing requests without the CSRF token are refused', async () => {
  const page = await newPage(browser);
  await login(page, server.base, 'admin', server.adminPassword);
  const statuses = await page.evaluate(async () => {
    const post = (headers) => fetch('/api/v1/orgs', { method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify({ name: 'csrf-' + Math.random() }) });
    const me = await (await fetch('/api/v1/me', { credentials: 'same-origin' })).json();
    return [(await post({})).status, (await post({ 'X-CSRF-Token': 'nope' })).status, (await post({ 'X-CSRF-Token': me.csrf_token })).status];
  });
  assert.equal(statuses[0] >= 400 && statuses[0] < 500, true, String(statuses));
  assert.equal(statuses[1] >= 400 && statuses[1] < 500, true, String(statuses));
  assert.equal(statuses[2], 201);
});
