// Task data, labels, instructions, reasons, names and file names that look like HTML show as
// their characters and run nothing: any dialog, script error or policy violation fails.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, newPage, login, screenshot, waitTask, assertInert, startWorld } from './harness.mjs';

const TEXTS = [
  '<img src=x onerror=alert(1)>',
  '</script><script>alert(1)</script>',
  '<b onmouseover=alert(1)>hover me</b> &amp; <a href="javascript:alert(1)">link</a>',
];
const NAME = '<svg onload=alert("name")>';
const LABELS = ['<b>bold</b>', '<img src=x onerror=alert("label")>'];
const INSTRUCTIONS = [
  '# Guide',
  '',
  '<script>alert("script")</script>',
  '',
  '<img src=x onerror=alert("img")>',
  '',
  '[a link](javascript:alert("link"))',
  '',
  '<a href="javascript:alert(2)">raw link</a> <iframe src="javascript:alert(3)"></iframe>',
  '',
  '<div style="position:fixed;inset:0" onclick="alert(4)">overlay</div>',
  '',
  '**safe bold** and `code`',
].join('\n');
const REASON = '<img src=x onerror=alert("reason")></script><script>alert(5)</script>';

let server;
let world;
let browser;
let worker;
let reviewer;
let project;
let spans;

before(async () => {
  ({ server, world } = await startWorld());
  worker = await world.user('worker');
  reviewer = await world.user('reviewer');
  project = await world.project({ name: NAME, labels: LABELS, instructions: INSTRUCTIONS });
  spans = await world.project({ name: NAME + ' spans', kind: 'text_spans', labels: LABELS, instructions: INSTRUCTIONS });
  for (const p of [project, spans]) {
    await world.addMember(p.id, worker.id, 'worker');
    await world.addMember(p.id, reviewer.id, 'reviewer');
    await world.importTexts(p.id, TEXTS);
  }
  browser = await launchBrowser();
});

after(async () => {
  if (browser) await browser.close();
  if (server) await server.cleanup();
});

test('task text, labels, instructions and project names show as text', async () => {
  const page = await newPage(browser);
  await login(page, server.base, worker.username, worker.password);
  await page.waitForSelector(`[data-project-id="${project.id}"]`);
  assert.equal(await page.textContent(`[data-project-id="${project.id}"] h3`), NAME);
  await assertInert(page);

  await page.click(`[data-project-id="${project.id}"] [data-testid=start-labeling]`);
  let id = await waitTask(page);
  const seen = [];
  while (id) {
    const text = await page.textContent('[data-testid=task-text]');
    seen.push(text);
    assert.equal(await page.$$eval('[data-testid=task-text] *', (els) => els.length), 0);
    assert.deepEqual(await page.$$eval('.label-btn .label-name', (els) => els.map((e) => e.textContent)), LABELS);
    assert.equal(await page.textContent('.work-title'), NAME);
    await page.hover('[data-testid=task-text]');
    if (seen.length === 1) {
      await page.click('[data-testid=guide-toggle]');
      await page.waitForSelector('[data-testid=guide-body] strong');
      const guide = await page.$eval('[data-testid=guide-body]', (el) => ({
        strong: el.querySelector('strong')?.textContent,
        code: el.querySelector('code')?.textContent,
        scripts: el.querySelectorAll('script, iframe, style').length,
        links: Array.from(el.querySelectorAll('a')).map((a) => a.getAttribute('href')),
        text: el.textContent,
        styled: el.querySelectorAll('[style]').length,
      }));
      assert.equal(guide.strong, 'safe bold');
      assert.equal(guide.code, 'code');
      assert.equal(guide.scripts, 0);
      assert.equal(guide.styled, 0);
      assert.ok(guide.links.every((h) => !h || !/javascript:/i.test(h)), guide.links.join(' '));
      // Raw HTML in the markdown shows as its characters.
      assert.ok(guide.text.includes('<script>alert("script")</script>'), guide.text);
      assert.ok(guide.text.includes('onclick="alert(4)"'), guide.text);
      await screenshot(page, 'xss-labeling');
    }
    await assertInert(page);
    await page.keyboard.press('1');
    await page.keyboard.press('Control+Enter');
    id = await waitTask(page, id);
  }
  assert.deepEqual(seen.sort(), [...TEXTS].sort());

  // The same texts in the span view, with a span marked over the markup characters.
  await page.goto(server.base + `/p/${spans.id}/label`);
  id = await waitTask(page);
  while (id) {
    const text = await page.textContent('[data-testid=task-text]');
    assert.ok(TEXTS.includes(text), text);
    assert.equal(await page.$$eval('[data-testid=task-text] img, [data-testid=task-text] script, [data-testid=task-text] b', (els) => els.length), 0);
    const box = await page.$eval('[data-testid=task-text]', (el) => { const r = el.getBoundingClientRect(); return { x: r.x, y: r.y }; });
    await page.mouse.move(box.x + 26, box.y + 34);
    await page.mouse.down();
    await page.mouse.move(box.x + 120, box.y + 34, { steps: 5 });
    await page.mouse.up();
    await page.waitForSelector('[data-testid=span-row]');
    const quote = await page.textContent('[data-testid=span-row] .quote');
    assert.ok(text.includes(quote), quote);
    await assertInert(page);
    await page.keyboard.press('Control+Enter');
    id = await waitTask(page, id);
  }
  await assertInert(page);
});

test('a rejection reason and an upload report with markup show as text', async () => {
  const rp = await newPage(browser);
  await login(rp, server.base, reviewer.username, reviewer.password);
  await rp.goto(server.base + `/p/${project.id}/review`);
  const id = await waitTask(rp);
  assert.ok(id);
  await assertInert(rp);
  await rp.keyboard.press('r');
  await rp.fill('[data-testid=reason-text]', REASON);
  await rp.keyboard.press('Control+Enter');
  await waitTask(rp, id);
  const t = await world.manager.ok('GET', '/api/v1/tasks/' + id);
  assert.equal(t.last_rejection.reason, REASON);
  // The history of the next review shows earlier reasons as text, too.
  await assertInert(rp);

  const wp = await newPage(browser);
  await login(wp, server.base, worker.username, worker.password, `/p/${project.id}/label`);
  assert.equal(await waitTask(wp), id);
  assert.equal(await wp.textContent('[data-testid=rejection-reason]'), REASON);
  assert.equal(await wp.$$eval('[data-testid=rejection] img, [data-testid=rejection] script', (els) => els.length), 0);
  await assertInert(wp);

  const mp = await newPage(browser);
  await login(mp, server.base, world.managerUser.username, world.managerUser.password, `/p/${project.id}`);
  await mp.waitForSelector(`[data-testid=rejections] tr[data-task-id="${id}"]`);
  assert.equal(await mp.textContent('[data-testid=project-name]'), NAME);
  assert.match(await mp.textContent(`[data-testid=rejections] tr[data-task-id="${id}"] .reason-cell`), /<img src=x onerror=alert\("reason"\)><\/script><script>alert\(5\)<\/script>/);
  await assertInert(mp);

  await mp.goto(server.base + `/p/${project.id}/upload`);
  const evil = '<img src=x onerror=alert(7)>.txt';
  await mp.setInputFiles('[data-testid=file-input]', [
    { name: evil, mimeType: 'text/plain', buffer: Buffer.from('') },
    { name: 'data.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(JSON.stringify({ text: '<script>alert(8)</script>' }) + '\n{"nope": 1}\n') },
  ]);
  await mp.click('[data-testid=upload-files]');
  await mp.waitForSelector('[data-testid=report-lines] li');
  const lines = await mp.$$eval('[data-testid=report-lines] li', (els) => els.map((e) => e.textContent));
  assert.ok(lines.some((l) => l.startsWith(evil)), lines.join('\n'));
  assert.equal(await mp.$$eval('[data-testid=report-lines] img', (els) => els.length), 0);
  await screenshot(mp, 'xss-upload-report');
  await assertInert(mp);
});
