// The worker's labeling view: one task at a time, the next one claimed as soon as this one
// is submitted, its image and editor code loaded before it is shown.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t } from '../i18n/index.js';
import { createEditor, preload } from '../editors/index.js';
import { taskFrame, guideButton, rejectionBanner } from './taskview.js';
import { kindName } from './home.js';

export async function labelView(root, [pid], ctx) {
  const frame = taskFrame(root);
  let task = null;
  let editor = null;
  let undo = [];
  let committed = null;
  let timer = 0;
  let busy = false;
  let done = 0;
  let poll = 0;

  const undoBtn = h('button', { type: 'button', class: 'btn', disabled: true, title: 'Ctrl+Z', 'data-testid': 'undo', onclick: doUndo }, t('label.undo'));
  const skipBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'skip', onclick: skip }, t('label.skip'));
  const submitBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'submit', onclick: submit },
    t('label.submit'), ' ', h('kbd', null, 'Ctrl+Enter'));
  const counter = h('span', { class: 'muted small', 'data-testid': 'done-count' });
  replace(frame.actions, counter, guideButton(frame), undoBtn, skipBtn, submitBtn);

  ctx.onCleanup(() => {
    clearTimeout(timer);
    clearInterval(poll);
    if (editor) editor.destroy();
  });
  ctx.onKey((e, field) => {
    if (!task || !editor) return false;
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { submit(); return true; }
    if ((e.ctrlKey || e.metaKey) && !e.shiftKey && (e.key === 'z' || e.key === 'Z') && !field) { doUndo(); return true; }
    if (!field && e.key === '?') { frame.toggleGuide(); return true; }
    if (busy) return false;
    return editor.key(e, field) === true;
  });

  function onChange(immediate) {
    clearTimeout(timer);
    if (immediate) commit();
    else timer = setTimeout(commit, 300);
  }
  // Records a state for undo when the annotation differs from the last one recorded.
  function commit() {
    clearTimeout(timer);
    if (!editor) return;
    const cur = JSON.stringify(editor.get());
    if (cur !== committed) {
      undo.push(committed);
      if (undo.length > 200) undo.shift();
      committed = cur;
    }
    undoBtn.disabled = undo.length === 0;
  }
  function doUndo() {
    commit();
    if (!undo.length) return;
    committed = undo.pop();
    editor.set(JSON.parse(committed));
    undoBtn.disabled = undo.length === 0;
  }

  // data-ready tells tests and the benchmark what the view shows: 'loading' while a task is
  // being handed in or fetched, 'true' with a task, 'empty' with none.
  function setBusy(b) {
    busy = b;
    submitBtn.disabled = b;
    skipBtn.disabled = b;
    frame.el.classList.toggle('busy', b);
    if (b) frame.el.dataset.ready = 'loading';
    else if (task && frame.el.dataset.ready === 'loading') frame.el.dataset.ready = 'true';
  }

  async function claim(retry = true) {
    try {
      return await api.post('/projects/' + pid + '/tasks/next', undefined, { signal: ctx.signal });
    } catch (e) {
      if (e.code === 'project_not_open') { empty('label.notOpen'); return undefined; }
      // The project asks for a course first.
      if (e.code === 'qualification_required' && e.detail.course_id) {
        empty('label.needCourse', e.detail.course_id);
        return undefined;
      }
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

  // A task this worker now holds (null: none left), from tasks/next or a chained submit.
  async function showClaimed(next) {
    if (!next) { empty('label.noneLeft'); return; }
    frame.el.dataset.ready = 'loading';
    const image = await preload(next);
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
    // A task that came back from review: claiming it leases it again, so its state is
    // "assigned" by now, but the reviewer's reason is still on it.
    const rework = next.state === 'rework' || !!next.last_rejection;
    frame.title.textContent = p.name;
    replace(frame.meta,
      h('span', { class: 'badge badge-kind' }, kindName(p.kind)),
      h('span', null, t('label.taskNo', { id: next.id })),
      rework ? h('span', null, t('label.roundNo', { n: (next.round || 1) + 1 })) : null,
      rework ? h('span', { class: 'badge badge-reject' }, t('state.rework')) : null);
    frame.setGuide(p.instructions);
    const banner = rework ? rejectionBanner(next) : null;
    if (banner) frame.banner.appendChild(banner);
    frame.el.dataset.taskId = next.id;
    frame.el.dataset.taskState = next.state;
    frame.el.dataset.rework = rework ? 'true' : 'false';
    frame.el.dataset.kind = p.kind;
    editor = await createEditor(frame.data, frame.side, next, { editable: true, preloaded: image, onChange });
    frame.side.appendChild(h('p', { class: 'keys-help' }, t('label.keys')));
    undo = [];
    committed = JSON.stringify(editor.get());
    undoBtn.disabled = true;
    setBusy(false);
    frame.el.dataset.ready = 'true';
  }

  function empty(key, course) {
    if (editor) { editor.destroy(); editor = null; }
    task = null;
    frame.reset();
    frame.el.dataset.taskId = '';
    frame.el.dataset.ready = 'empty';
    replace(frame.meta);
    submitBtn.disabled = true;
    skipBtn.disabled = true;
    undoBtn.disabled = true;
    const courseLink = course ? h('a', { class: 'btn btn-primary', href: '/academy/' + course, 'data-testid': 'need-course' }, t('label.toCourse')) : null;
    if (course) {
      api.get('/courses/' + course, { signal: ctx.signal })
        .then((c) => { courseLink.textContent = t('label.toCourseNamed', { name: c.name }); }).catch(() => {});
    }
    frame.data.appendChild(h('div', { class: 'empty', 'data-testid': 'no-task' },
      h('h2', null, t(key)),
      h('p', { class: 'muted' }, t(course ? 'label.needCourseHint' : 'label.noneHint')),
      h('div', { class: 'card-actions' },
        courseLink || h('button', { type: 'button', class: 'btn btn-primary', onclick: () => loadNext().catch(fail) }, t('label.checkAgain')),
        h('a', { class: 'btn', href: '/' }, t('nav.home')))));
    // Work may come back (a lease expires, a review rejects): look again now and then.
    clearInterval(poll);
    if (key === 'label.noneLeft') poll = setInterval(() => { if (!task && !busy) loadNext().catch(() => {}); }, 15000);
    if (!frame.title.textContent) {
      api.get('/projects/' + pid, { signal: ctx.signal }).then((p) => { frame.title.textContent = p.name; frame.setGuide(p.instructions); }).catch(() => {});
    }
  }

  function fail(e) {
    if (!ctx.alive || e.name === 'AbortError') return;
    toast(e.message || String(e));
    setBusy(false);
  }

  async function submit() {
    if (!task || !editor || busy) return;
    commit();
    const problem = editor.validate();
    if (problem) { toast(t(problem)); return; }
    setBusy(true);
    const annotation = editor.get();
    try {
      // One round trip: the answer carries the next task, claimed in the same transaction.
      let r;
      try {
        r = await api.post('/tasks/' + task.id + '/submit', { annotation, next: true });
      } catch (e) {
        // The project now asks for a course before the next claim: hand this one in alone.
        if (e.code !== 'qualification_required') throw e;
        await api.post('/tasks/' + task.id + '/submit', { annotation });
        r = { next_error: e };
      }
      done += 1;
      counter.textContent = t('label.doneCount', { n: done });
      // A refused claim: a plain one says why (project paused, course needed).
      if (r.next_error) await loadNext();
      else await showClaimed(r.next);
    } catch (e) {
      if (e.code === 'lease_expired' || e.status === 409) {
        toast(t('label.leaseExpired'));
        await loadNext().catch(fail);
        return;
      }
      fail(e);
    }
  }

  async function skip() {
    if (!task || busy) return;
    const skipped = task.id;
    setBusy(true);
    try {
      await api.post('/tasks/' + task.id + '/release');
      await loadNext();
      if (task && task.id === skipped) toast(t('label.skipSame'), 'ok');
    } catch (e) {
      if (e.status === 409) { await loadNext().catch(fail); return; }
      fail(e);
    }
  }

  setBusy(true);
  await loadNext();
}
