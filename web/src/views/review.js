// The review queue: the submission drawn over its data; approve (A), reject (R) with a
// reason, or fix (F) and approve; the task's history of rounds beside it.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t } from '../i18n/index.js';
import { createEditor, preload } from '../editors/index.js';
import { taskFrame, guideButton, historyList, TEMPLATES, templateText } from './taskview.js';
import { kindName } from './home.js';

export async function reviewView(root, [pid], ctx) {
  const frame = taskFrame(root);
  frame.el.classList.add('review');
  let task = null;
  let editor = null;
  let fixing = false;
  let busy = false;
  let done = 0;
  let poll = 0;
  let original = null;
  let dialog = null;
  const names = {};
  // Awaited before the first task is drawn, so that its history names people from the start.
  const membersLoaded = api.get('/projects/' + pid + '/members', { signal: ctx.signal, quiet: true })
    .then((r) => { for (const m of (r && r.items) || []) names[m.user_id] = m.username; })
    .catch(() => {});

  const approveBtn = h('button', { type: 'button', class: 'btn btn-approve', 'data-testid': 'approve', onclick: () => (fixing ? fix() : approve()) },
    t('review.approve'), ' ', h('kbd', null, 'A'));
  const rejectBtn = h('button', { type: 'button', class: 'btn btn-reject', 'data-testid': 'reject', onclick: () => openReject() },
    t('review.reject'), ' ', h('kbd', null, 'R'));
  const fixBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'fix', onclick: () => startFix() },
    t('review.fix'), ' ', h('kbd', null, 'F'));
  const counter = h('span', { class: 'muted small', 'data-testid': 'done-count' });
  replace(frame.actions, counter, guideButton(frame), fixBtn, rejectBtn, approveBtn);

  ctx.onCleanup(() => { clearInterval(poll); if (editor) editor.destroy(); });
  ctx.onKey((e, field) => {
    if (dialog) return dialog.key(e, field);
    if (!task || !editor || busy) return false;
    const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && fixing) { fix(); return true; }
    if (!field && e.key === '?') { frame.toggleGuide(); return true; }
    if (fixing) {
      if (!field && e.key === 'Escape') { cancelFix(); return true; }
      return editor.key(e, field) === true;
    }
    if (field || !plain) return false;
    const k = e.key.toLowerCase();
    if (k === 'a') { approve(); return true; }
    if (k === 'r') { openReject(); return true; }
    if (k === 'f') { startFix(); return true; }
    return false;
  });

  function setBusy(b) {
    busy = b;
    for (const x of [approveBtn, rejectBtn, fixBtn]) x.disabled = b || !task;
    frame.el.classList.toggle('busy', b);
    if (b) frame.el.dataset.ready = 'loading';
    else if (task && frame.el.dataset.ready === 'loading') frame.el.dataset.ready = 'true';
  }

  async function loadNext() {
    frame.el.dataset.ready = 'loading';
    let next;
    try {
      next = await api.post('/projects/' + pid + '/reviews/next', undefined, { signal: ctx.signal });
    } catch (e) {
      if (e.code === 'project_not_open') { empty('label.notOpen'); return; }
      if (e.status !== 409) throw e;
      next = await api.post('/projects/' + pid + '/reviews/next', undefined, { signal: ctx.signal });
    }
    if (!ctx.alive) return;
    await showClaimed(next);
  }

  // A submission this reviewer now holds (null: none waiting), from reviews/next or a chained
  // decision.
  async function showClaimed(next) {
    if (!next) { empty('review.none'); return; }
    frame.el.dataset.ready = 'loading';
    const [image] = await Promise.all([preload(next), membersLoaded]);
    if (!ctx.alive) return;
    await show(next, image);
  }

  async function show(next, image) {
    clearInterval(poll);
    if (editor) { editor.destroy(); editor = null; }
    frame.el.dataset.ready = 'false';
    frame.reset();
    task = next;
    fixing = false;
    frame.el.classList.remove('fixing');
    const p = next.project;
    frame.title.textContent = p.name;
    replace(frame.meta,
      h('span', { class: 'badge badge-kind' }, kindName(p.kind)),
      h('span', null, t('label.taskNo', { id: next.id })),
      h('span', null, t('review.round', { n: next.round || 1 })),
      h('span', null, t('review.worker'), ' ', names[next.worker_id] || '#' + next.worker_id));
    frame.setGuide(p.instructions);
    if ((next.round || 1) > 1) {
      frame.banner.appendChild(h('div', { class: 'banner banner-info' }, t('review.reReview', { n: next.round })));
    }
    frame.el.dataset.taskId = next.id;
    frame.el.dataset.kind = p.kind;
    const editorSide = h('div');
    const hist = h('div', { class: 'history-box' }, h('div', { class: 'side-title' }, t('review.history')), h('p', { class: 'muted small' }, t('common.loading')));
    frame.side.append(editorSide, hist, h('p', { class: 'keys-help' }, t('review.keys')));
    editor = await createEditor(frame.data, editorSide, next, { editable: false, preloaded: image, onChange: () => {} });
    original = JSON.stringify(editor.get());
    // A claim carries the task's history; the names of its people arrive with the members.
    replace(hist, h('div', { class: 'side-title' }, t('review.history')), historyList(next.events || [], names));
    setBusy(false);
    frame.el.dataset.ready = 'true';
  }

  function empty(key) {
    if (editor) { editor.destroy(); editor = null; }
    task = null;
    frame.reset();
    frame.el.dataset.taskId = '';
    frame.el.dataset.ready = 'empty';
    replace(frame.meta);
    setBusy(false);
    frame.data.appendChild(h('div', { class: 'empty', 'data-testid': 'no-review' },
      h('h2', null, t(key)), h('p', { class: 'muted' }, t('review.noneHint')),
      h('div', { class: 'card-actions' },
        h('button', { type: 'button', class: 'btn btn-primary', onclick: () => loadNext().catch(fail) }, t('label.checkAgain')),
        h('a', { class: 'btn', href: '/' }, t('nav.home')))));
    clearInterval(poll);
    poll = setInterval(() => { if (!task && !busy) loadNext().catch(() => {}); }, 10000);
    if (!frame.title.textContent) {
      api.get('/projects/' + pid, { signal: ctx.signal }).then((p) => { frame.title.textContent = p.name; frame.setGuide(p.instructions); }).catch(() => {});
    }
  }

  function fail(e) {
    if (!ctx.alive || e.name === 'AbortError') return;
    toast(e.message || String(e));
    setBusy(false);
  }

  async function decide(body) {
    if (!task || busy) return;
    setBusy(true);
    try {
      // One round trip: the answer carries the next submission to review, claimed with it.
      const r = await api.post('/tasks/' + task.id + '/review', { ...body, next: true });
      done += 1;
      counter.textContent = t('review.doneCount', { n: done });
      toast(t('review.done.' + body.decision), 'ok');
      // A refused claim (the project closed meanwhile): a plain one says why.
      if (r.next_error) await loadNext();
      else await showClaimed(r.next);
    } catch (e) {
      if (e.status === 409) { toast(t('review.leaseExpired')); await loadNext().catch(fail); return; }
      fail(e);
    }
  }

  const approve = () => decide({ decision: 'approve' });

  function startFix() {
    if (!task || busy || fixing) return;
    fixing = true;
    editor.setEditable(true);
    frame.el.classList.add('fixing');
    approveBtn.replaceChildren(t('review.fixApprove'), ' ', h('kbd', null, 'Ctrl+Enter'));
    fixBtn.replaceChildren(t('common.cancel'), ' ', h('kbd', null, 'Esc'));
    fixBtn.onclick = cancelFix;
  }
  function cancelFix() {
    fixing = false;
    editor.set(JSON.parse(original));
    editor.setEditable(false);
    frame.el.classList.remove('fixing');
    approveBtn.replaceChildren(t('review.approve'), ' ', h('kbd', null, 'A'));
    fixBtn.replaceChildren(t('review.fix'), ' ', h('kbd', null, 'F'));
    fixBtn.onclick = startFix;
  }
  function fix() {
    const problem = editor.validate();
    if (problem) { toast(t(problem)); return; }
    const ann = editor.get();
    const changed = JSON.stringify(ann) !== original;
    const p = changed ? decide({ decision: 'fix', annotation: ann }) : decide({ decision: 'approve' });
    approveBtn.replaceChildren(t('review.approve'), ' ', h('kbd', null, 'A'));
    fixBtn.replaceChildren(t('review.fix'), ' ', h('kbd', null, 'F'));
    fixBtn.onclick = startFix;
    return p;
  }

  function openReject() {
    if (!task || busy || dialog) return;
    let template = null;
    const text = h('textarea', { rows: 3, class: 'reason-input', placeholder: t('review.reasonPlaceholder'), 'data-testid': 'reason-text', maxlength: 2000 });
    const chips = TEMPLATES.map((code, i) => h('button', {
      type: 'button', class: 'chip-btn', 'data-template': code, 'aria-pressed': 'false',
      onclick: () => pickTemplate(code),
    }, h('kbd', null, 'Alt+' + (i + 1)), ' ', templateText(code)));
    function pickTemplate(code) {
      template = template === code ? null : code;
      for (const c of chips) {
        const on = c.dataset.template === template;
        c.classList.toggle('on', on);
        c.setAttribute('aria-pressed', on ? 'true' : 'false');
      }
    }
    const err = h('p', { class: 'form-error', role: 'alert' });
    const confirmBtn = h('button', { type: 'button', class: 'btn btn-reject', 'data-testid': 'reject-confirm', onclick: confirm },
      t('review.rejectConfirm'), ' ', h('kbd', null, 'Ctrl+Enter'));
    const box = h('div', { class: 'modal-backdrop', 'data-testid': 'reject-dialog' },
      h('div', { class: 'modal', role: 'dialog', 'aria-modal': 'true', 'aria-label': t('review.reject') },
        h('h2', null, t('review.rejectTitle')),
        h('p', { class: 'muted small' }, t('review.rejectHint')),
        h('div', { class: 'chips' }, chips),
        text, err,
        h('div', { class: 'card-actions' },
          h('button', { type: 'button', class: 'btn', onclick: close }, t('common.cancel'), ' ', h('kbd', null, 'Esc')),
          confirmBtn)));
    document.body.appendChild(box);
    text.focus();
    function close() { box.remove(); dialog = null; }
    function confirm() {
      const free = text.value.trim();
      if (!free && !template) { err.textContent = t('review.reasonRequired'); text.focus(); return; }
      const body = { decision: 'reject', reason: free || templateText(template) };
      if (template) body.reason_template = template;
      close();
      decide(body);
    }
    dialog = {
      key(e) {
        if (e.key === 'Escape') { close(); return true; }
        if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { confirm(); return true; }
        const m = /^Digit([1-9])$/.exec(e.code || '');
        if (e.altKey && m && TEMPLATES[+m[1] - 1]) { pickTemplate(TEMPLATES[+m[1] - 1]); return true; }
        return false;
      },
    };
  }

  setBusy(true);
  await loadNext();
}
