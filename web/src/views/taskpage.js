// What the labeling and review pages share, written once: claiming the next task, loading its
// image and editor code before it is shown, mounting the editor in the task frame, the busy
// state the tests and the benchmark read (data-ready), the empty state with its "check again"
// and polling, the hand-in that chains the next task in the same request, the keys common to
// both, and errors. A page gives what is its own: its buttons, its meta line, its side panel,
// its keys.
import * as api from '../api.js';
import { h, replace, toast, clearErrors } from '../dom.js';
import { t } from '../i18n/index.js';
import { createEditor, preload } from '../editors/index.js';
import { taskFrame } from './taskview.js';
import { kindName } from './home.js';

// spec: claimPath (POST, answers the next task or null); claimError(e) (true when the page
// handled a refused claim); ready (a promise awaited before the first task is drawn);
// meta(task) (the meta line's extra parts); mount(task, image) (draws the page's side and
// returns the editor); onBusy(busy, task); onShown(task); onEmpty(); empty: { none (the key
// said with no task left), testid, hint(key, extra), action(key, extra) (a button in place of
// "check again"), poll(key) (ms, or 0) }; keysFirst(e, field) (a dialog's, ahead of all:
// undefined to pass); keys(e, field, busy).
export function taskPage(root, ctx, pid, spec) {
  const frame = taskFrame(root);
  let task = null;
  let editor = null;
  let busy = false;
  let poll = 0;

  ctx.onCleanup(() => {
    clearInterval(poll);
    if (editor) editor.destroy();
  });
  ctx.onKey((e, field) => {
    if (spec.keysFirst) {
      const r = spec.keysFirst(e, field);
      if (r !== undefined) return r;
    }
    if (!task || !editor) return false;
    if (!field && e.key === '?') { frame.toggleGuide(); return true; }
    return spec.keys(e, field, busy) === true;
  });

  // data-ready tells tests and the benchmark what the view shows: 'loading' while a task is
  // being handed in or fetched, 'true' with a task, 'empty' with none.
  function setBusy(b) {
    busy = b;
    spec.onBusy(b, task);
    frame.el.classList.toggle('busy', b);
    if (b) frame.el.dataset.ready = 'loading';
    else if (task && frame.el.dataset.ready === 'loading') frame.el.dataset.ready = 'true';
  }

  // The next task, or undefined when the claim was refused and the page says why.
  async function claim(retry = true) {
    try {
      return await api.post(spec.claimPath, undefined, { signal: ctx.signal });
    } catch (e) {
      if (e.code === 'project_not_open') { empty('label.notOpen'); return undefined; }
      if (spec.claimError && spec.claimError(e)) return undefined;
      // Another state change got there first: ask once more.
      if (e.status === 409 && retry) return claim(false);
      throw e;
    }
  }

  async function loadNext() {
    frame.el.dataset.ready = 'loading';
    const next = await claim();
    if (!ctx.alive || next === undefined) return;
    await showClaimed(next);
  }

  // A task this person now holds (null: none left), from a claim or a chained hand-in.
  async function showClaimed(next) {
    if (!next) { empty(spec.empty.none); return; }
    frame.el.dataset.ready = 'loading';
    const [image] = await Promise.all([preload(next), spec.ready]);
    if (!ctx.alive) return;
    await show(next, image);
  }

  async function show(next, image) {
    clearInterval(poll);
    if (editor) { editor.destroy(); editor = null; }
    frame.el.dataset.ready = 'false';
    frame.reset();
    task = next;
    const p = next.project;
    frame.title.textContent = p.name;
    replace(frame.meta,
      h('span', { class: 'badge badge-kind' }, kindName(p.kind)),
      h('span', null, t('label.taskNo', { id: next.id })),
      spec.meta(next));
    frame.setGuide(p.instructions);
    frame.el.dataset.taskId = next.id;
    frame.el.dataset.kind = p.kind;
    editor = await spec.mount(next, image);
    spec.onShown(next);
    setBusy(false);
    frame.el.dataset.ready = 'true';
  }

  // Mounts the task's editor in the frame's data pane, its tools in `side`.
  function mountEditor(next, image, side, opts) {
    return createEditor(frame.data, side, next, { preloaded: image, ...opts });
  }

  function empty(key, extra) {
    if (editor) { editor.destroy(); editor = null; }
    task = null;
    frame.reset();
    frame.el.dataset.taskId = '';
    frame.el.dataset.ready = 'empty';
    replace(frame.meta);
    spec.onEmpty();
    frame.data.appendChild(h('div', { class: 'empty', 'data-testid': spec.empty.testid },
      h('h2', null, t(key)),
      h('p', { class: 'muted' }, t(spec.empty.hint(key, extra))),
      h('div', { class: 'card-actions' },
        spec.empty.action(key, extra) || h('button', { type: 'button', class: 'btn btn-primary', onclick: () => loadNext().catch(fail) }, t('label.checkAgain')),
        h('a', { class: 'btn', href: '/' }, t('nav.home')))));
    // Work may come back (a lease expires, a review rejects): look again now and then.
    clearInterval(poll);
    const every = spec.empty.poll(key);
    if (every) poll = setInterval(() => { if (!task && !busy) loadNext().catch(() => {}); }, every);
    if (!frame.title.textContent) {
      api.get('/projects/' + pid, { signal: ctx.signal }).then((p) => { frame.title.textContent = p.name; frame.setGuide(p.instructions); }).catch(() => {});
    }
  }

  function fail(e) {
    if (!ctx.alive || e.name === 'AbortError') return;
    toast(e.message || String(e));
    setBusy(false);
  }

  // Hands the task in with send() (one round trip: its answer carries the next task, claimed in
  // the same transaction), then shows that one. A conflict (the lease ran out, someone else
  // decided) says so with the string conflict(e) names, and claims afresh.
  async function handIn(send, { done, conflict }) {
    setBusy(true);
    try {
      const r = await send();
      // Handed in: what went wrong before (nothing picked, say) is answered.
      clearErrors();
      done(r);
      // A refused claim (project paused, course needed): a plain one says why.
      if (r.next_error) await loadNext();
      else await showClaimed(r.next);
    } catch (e) {
      if (conflict(e)) {
        toast(t(conflict(e)));
        await loadNext().catch(fail);
        return;
      }
      fail(e);
    }
  }

  return {
    frame,
    get task() { return task; },
    get editor() { return editor; },
    get busy() { return busy; },
    setBusy, loadNext, showClaimed, mountEditor, empty, fail, handIn,
    // Starts the page: busy until the first task (or the empty state) is shown.
    async start() {
      setBusy(true);
      await loadNext();
    },
  };
}
