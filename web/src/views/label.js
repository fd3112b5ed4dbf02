// The worker's labeling view: one task at a time, the next one claimed as soon as this one
// is submitted, its image and editor code loaded before it is shown.
import * as api from '../api.js';
import { h, toast, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { createHistory } from '../editors/history.js';
import { guideButton, rejectionBanner } from './taskview.js';
import { taskPage } from './taskpage.js';

export async function labelView(root, [pid], ctx) {
  let done = 0;
  const history = createHistory(() => page.editor, (canUndo, canRedo) => {
    undoBtn.disabled = !canUndo;
    redoBtn.disabled = !canRedo;
  });
  ctx.onCleanup(() => history.destroy());

  const page = taskPage(root, ctx, pid, {
    claimPath: '/projects/' + pid + '/tasks/next',
    // The project asks for a course first.
    claimError(e) {
      if (e.code !== 'qualification_required' || !e.detail.course_id) return false;
      page.empty('label.needCourse', e.detail.course_id);
      return true;
    },
    meta(next) {
      // A task that came back from review: claiming it leases it again, so its state is
      // "assigned" by now, but the reviewer's reason is still on it.
      const rework = isRework(next);
      return [rework ? h('span', null, t('label.roundNo', { n: (next.round || 1) + 1 })) : null,
        rework ? h('span', { class: 'badge badge-reject' }, t('state.rework')) : null];
    },
    async mount(next, image) {
      const { frame } = page;
      const rework = isRework(next);
      const banner = rework ? rejectionBanner(next) : null;
      if (banner) frame.banner.appendChild(banner);
      frame.el.dataset.taskState = next.state;
      frame.el.dataset.rework = rework ? 'true' : 'false';
      const editor = await page.mountEditor(next, image, frame.side, { editable: true, onChange: history.onChange });
      // An editor with keys of its own names them; the others share the label keys' line.
      frame.side.appendChild(h('p', { class: 'keys-help', 'data-testid': 'keys-help' }, t(editor.keysHelp || 'label.keys')));
      return editor;
    },
    onShown: () => { history.reset(); showLeft(); },
    onBusy(b) {
      submitBtn.disabled = b;
      skipBtn.disabled = b;
    },
    onEmpty() {
      submitBtn.disabled = true;
      skipBtn.disabled = true;
      history.reset();
      showLeft();
    },
    empty: {
      none: 'label.noneLeft',
      testid: 'no-task',
      hint: (key, course) => (course ? 'label.needCourseHint' : 'label.noneHint'),
      action: (key, course) => (course ? courseLink(course) : null),
      poll: (key) => (key === 'label.noneLeft' ? 15000 : 0),
    },
    keys(e, field, busy) {
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { submit(); return true; }
      const z = e.key === 'z' || e.key === 'Z';
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && z && !field) { history.undo(); return true; }
      // Redo: Ctrl+Y, or Ctrl+Shift+Z (Cmd+Shift+Z on a Mac).
      if ((e.ctrlKey || e.metaKey) && ((e.shiftKey && z) || (!e.shiftKey && (e.key === 'y' || e.key === 'Y'))) && !field) { history.redo(); return true; }
      if (busy) return false;
      return page.editor.key(e, field) === true;
    },
  });
  const { frame } = page;

  const undoBtn = h('button', { type: 'button', class: 'btn', disabled: true, title: 'Ctrl+Z', 'data-testid': 'undo', onclick: () => history.undo() }, t('label.undo'));
  const redoBtn = h('button', { type: 'button', class: 'btn', disabled: true, title: 'Ctrl+Y', 'data-testid': 'redo', onclick: () => history.redo() }, t('label.redo'));
  const skipBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'skip', onclick: skip }, t('label.skip'));
  const submitBtn = h('button', { type: 'button', class: 'btn btn-primary', 'data-testid': 'submit', onclick: submit },
    t('label.submit'), ' ', h('kbd', null, 'Ctrl+Enter'));
  const counter = h('span', { class: 'muted small', 'data-testid': 'done-count' }, t('label.doneCount', { n: 0 }));
  const left = h('span', { class: 'muted small', 'data-testid': 'left-count' });
  // The submission just handed in may be taken back while no reviewer has claimed it.
  let lastSubmitted = null;
  const reopenBtn = h('button', { type: 'button', class: 'btn', hidden: true, 'data-testid': 'reopen', onclick: reopen }, t('label.reopen'));
  replace(frame.actions, counter, left, guideButton(frame), reopenBtn, undoBtn, redoBtn, skipBtn, submitBtn);

  // How many tasks a claim may still hand me here, counted by the server.
  function showLeft() {
    api.get('/projects/' + pid + '/tasks/left', { signal: ctx.signal }).then((r) => {
      left.dataset.left = String(r.left);
      left.textContent = t('label.leftCount', { n: r.left });
    }, () => {});
  }

  async function reopen() {
    if (!lastSubmitted || page.busy) return;
    const id = lastSubmitted;
    page.setBusy(true);
    try {
      const task = await api.post('/tasks/' + id + '/reopen');
      lastSubmitted = null;
      reopenBtn.hidden = true;
      await page.showClaimed(task);
    } catch (e) {
      lastSubmitted = null;
      reopenBtn.hidden = true;
      page.fail(e);
    }
  }

  function isRework(next) {
    return next.state === 'rework' || !!next.last_rejection;
  }

  function courseLink(course) {
    const link = h('a', { class: 'btn btn-primary', href: '/academy/' + course, 'data-testid': 'need-course' }, t('label.toCourse'));
    api.get('/courses/' + course, { signal: ctx.signal })
      .then((c) => { link.textContent = t('label.toCourseNamed', { name: c.name }); }).catch(() => {});
    return link;
  }

  async function submit() {
    const { task, editor } = page;
    if (!task || !editor || page.busy) return;
    history.commit();
    const problem = editor.validate();
    if (problem) { toast(t(problem)); return; }
    const annotation = editor.get();
    await page.handIn(async () => {
      try {
        return await api.post('/tasks/' + task.id + '/submit', { annotation, next: true });
      } catch (e) {
        // The project now asks for a course before the next claim: hand this one in alone.
        if (e.code !== 'qualification_required') throw e;
        await api.post('/tasks/' + task.id + '/submit', { annotation });
        return { next_error: e };
      }
    }, {
      done() {
        done += 1;
        counter.textContent = t('label.doneCount', { n: done });
        lastSubmitted = task.id;
        reopenBtn.hidden = false;
      },
      conflict: (e) => (e.code === 'lease_expired' || e.status === 409 ? 'label.leaseExpired' : null),
    });
  }

  async function skip() {
    const { task } = page;
    if (!task || page.busy) return;
    const skipped = task.id;
    page.setBusy(true);
    try {
      await api.post('/tasks/' + task.id + '/release');
      await page.loadNext();
      if (page.task && page.task.id === skipped) toast(t('label.skipSame'), 'ok');
    } catch (e) {
      if (e.status === 409) { await page.loadNext().catch(page.fail); return; }
      page.fail(e);
    }
  }

  await page.start();
}
