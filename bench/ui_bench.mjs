// Browser benchmark: in Debian's chromium driven by playwright-core, against a real
// `crowdloop serve`, measures
//   1. login → first task visible: from the click on "sign in" (login page opened with
//      ?next=/p/ID/label) to the first task drawn; and the page load up to the login form,
//      with an empty cache;
//   2. submit → next task visible, over N tasks (default 200): from Ctrl+Enter to the next
//      task drawn, for text_class and for image_class (each image 640×480 PNG).
// "Drawn" is the first animation frame after the view marks the task ready.
//
//   cd web && node ../bench/ui_bench.mjs            (CROWDLOOP_BIN: the server binary)
//   BENCH_UI_TASKS=200 BENCH_UI_LOGINS=10 node ../bench/ui_bench.mjs
import { Server, World, launchBrowser, newPage, scenePng } from '../tests/ui/harness.mjs';

const TASKS = Number(process.env.BENCH_UI_TASKS || 200);
const LOGINS = Number(process.env.BENCH_UI_LOGINS || 10);

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]; };
const fmt = (xs) => `median ${median(xs).toFixed(1)} ms, p90 ${pct(xs, 90).toFixed(1)} ms, min ${Math.min(...xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms (n=${xs.length})`;

// In the page: the time from a Ctrl+Enter (or a login click) to the frame after the view
// shows a task other than the one it showed then.
const PROBE = () => {
  window.__bench = { times: [], start: 0, from: null };
  const frameOf = () => document.querySelector('.work');
  const done = () => {
    const w = frameOf();
    if (!window.__bench.start || !w || w.dataset.ready !== 'true' || !w.dataset.taskId || w.dataset.taskId === window.__bench.from) return;
    const start = window.__bench.start;
    window.__bench.start = 0;
    requestAnimationFrame(() => window.__bench.times.push(performance.now() - start));
  };
  new MutationObserver(done).observe(document.documentElement, { subtree: true, attributes: true, attributeFilter: ['data-ready', 'data-task-id'] });
  window.addEventListener('keydown', (e) => {
    if (e.ctrlKey && e.key === 'Enter') {
      window.__bench.from = frameOf()?.dataset.taskId || null;
      window.__bench.start = performance.now();
    }
  }, true);
  window.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('[data-testid=login-submit]')) {
      window.__bench.from = null;
      window.__bench.start = performance.now();
    }
  }, true);
};

async function main() {
  const server = new Server({ extraArgs: process.env.BENCH_UI_SERVE_ARGS ? process.env.BENCH_UI_SERVE_ARGS.split(' ') : [] });
  server.createAdmin();
  await server.start();
  const browser = await launchBrowser();
  try {
    const world = await World.create(server);
    const worker = await world.user('bench');
    const text = await world.project({ name: 'bench text', labels: ['pos', 'neg', 'neutral'] });
    await world.addMember(text.id, worker.id, 'worker');
    const texts = Array.from({ length: TASKS + 1 }, (_, i) => `Benchmark sentence number ${i}: the quick brown fox jumps over the lazy dog.`);
    await world.importTexts(text.id, texts);
    const image = await world.project({ name: 'bench images', kind: 'image_class', labels: ['red', 'green', 'purple', 'orange'] });
    await world.addMember(image.id, worker.id, 'worker');
    for (let i = 0; i <= TASKS; i += 50) {
      const batch = [];
      for (let j = i; j < Math.min(TASKS + 1, i + 50); j++) batch.push([`img${j}.png`, scenePng(j)]);
      await world.importImages(image.id, batch);
    }

    // 1. Login to first task, each in a fresh context (its own cookie jar and cache): the
    // page load to the login form first (cold cache), then the click to the first task.
    const pageLoad = [];
    const loginToTask = [];
    for (let i = 0; i < LOGINS; i++) {
      const page = await newPage(browser);
      // Notes the time the login form first appears, from the start of the navigation.
      await page.addInitScript(() => {
        new MutationObserver((_, obs) => {
          if (document.querySelector('[data-testid=login-username]')) {
            window.__formAt = performance.now();
            obs.disconnect();
          }
        }).observe(document, { childList: true, subtree: true });
      });
      await page.goto(server.base + '/login?next=' + encodeURIComponent(`/p/${text.id}/label`));
      await page.waitForSelector('[data-testid=login-username]');
      pageLoad.push(await page.evaluate(() => window.__formAt));
      await page.evaluate(PROBE);
      await page.fill('[data-testid=login-username]', worker.username);
      await page.fill('[data-testid=login-password]', worker.password);
      await page.click('[data-testid=login-submit]');
      await page.waitForFunction(() => window.__bench.times.length === 1, null, { timeout: 30000 });
      loginToTask.push(await page.evaluate(() => window.__bench.times[0]));
      page.assertClean();
      await page.context().close();
    }
    // The server side of it: the login call alone (password hashing is on purpose slow).
    const loginApi = [];
    for (let i = 0; i < LOGINS; i++) {
      const t0 = performance.now();
      await server.login(worker.username, worker.password);
      loginApi.push(performance.now() - t0);
    }

    // 2. Submit to next task.
    const results = {};
    for (const p of [text, image]) {
      const page = await newPage(browser);
      await page.goto(server.base + '/login?next=' + encodeURIComponent(`/p/${p.id}/label`));
      await page.fill('[data-testid=login-username]', worker.username);
      await page.fill('[data-testid=login-password]', worker.password);
      await page.click('[data-testid=login-submit]');
      await page.waitForSelector('.work[data-ready=true]');
      await page.evaluate(PROBE);
      for (let i = 0; i < TASKS; i++) {
        const id = await page.getAttribute('.work', 'data-task-id');
        await page.keyboard.press(String((i % 3) + 1));
        await page.keyboard.press('Control+Enter');
        await page.waitForFunction((n) => window.__bench.times.length === n, i + 1, { timeout: 30000 });
        if (await page.getAttribute('.work', 'data-task-id') === id) throw new Error('the task did not change');
      }
      results[p.kind] = await page.evaluate(() => window.__bench.times);
      page.assertClean();
      const stats = await world.manager.ok('GET', `/api/v1/projects/${p.id}/stats`);
      if ((stats.tasks.submitted || 0) < TASKS) throw new Error('submitted ' + JSON.stringify(stats.tasks));
      await page.context().close();
    }

    const version = browser.version();
    console.log(`crowdloop browser benchmark: chromium ${version}, ${TASKS} tasks, ${LOGINS} logins`);
    console.log(`page load → login form (cold cache):     ${fmt(pageLoad)}`);
    console.log(`login → first task visible:              ${fmt(loginToTask)}`);
    console.log(`  POST /auth/login alone (from node):    ${fmt(loginApi)}`);
    console.log(`submit → next task visible, text_class:  ${fmt(results.text_class)}`);
    console.log(`submit → next task visible, image_class: ${fmt(results.image_class)}`);
  } finally {
    await browser.close();
    await server.cleanup();
  }
}

main().catch((e) => { console.error(e); process.exit(1); });
