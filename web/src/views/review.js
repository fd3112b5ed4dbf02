// The review queue: the submission drawn over its data; approve (A), reject (R) with a
// reason, or fix (F) and approve; the task's history of rounds beside it.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t } from '../i18n/index.js';
import { guideButton, historyList, TEMPLATES, templateText } from './taskview.js';
import { taskPage } from './taskpage.js';
import { loadRounds, roundsView } from './rounds.js';
import { rubricPanel } from '../editors/rubric.js';

export async function reviewView(root, [pid], ctx) {
  let fixing = false;
  let done = 0;
  let original = null;
  let dialog = null;
  let rubric = null;
  const names = {};
  // Awaited before the first task is drawn, so that its history names people from the start.
  const membersLoaded = api.get('/projects/' + pid + '/members', { signal: ctx.signal, quiet: true })
    .then((r) => { for (const m of (r && r.items) || []) names[m.user_id] = m.username; })
    .catch(() => {});

  const page = taskPage(root, ctx, pid, {
    claimPath: '/projects/' + pid + '/reviews/next',
    ready: membersLoaded,
    meta: (next) => [
      h('span', null, t('review.round', { n: next.round || 1 })),
      h('span', null, t('review.worker'), ' ', names[next.worker_id] || '#' + next.worker_id)],
    async mount(next, image) {
      const { frame } = page;
      fixing = false;
      frame.el.classList.remove('fixing');
      if ((next.round || 1) > 1) {
        frame.banner.appendChild(h('div', { class: 'banner banner-info' }, t('review.reReview', { n: next.round })));
      }
      const editorSide = h('div');
      const hist = h('div', { class: 'history-box' }, h('div', { class: 'side-title' }, t('review.history')), h('p', { class: 'muted small' }, t('common.loading')));
      // From round 2 on: the answer before next to this one, the changes marked.
      const rounds = (next.round || 1) > 1 ? h('div', { class: 'history-box', 'data-testid': 'review-rounds' }, h('div', { class: 'side-title' }, t('rounds.title'))) : null;
      if (rounds) {
        loadRounds(next.id, ctx.signal).then((d) => { if (ctx.alive) rounds.appendChild(roundsView(d, names)); })
          .catch((e) => { if (e.name !== 'AbortError') rounds.appendChild(h('p', { class: 'muted small' }, e.message)); });
      }
      frame.side.append(editorSide, rounds, hist, h('p', { class: 'keys-help' }, t('review.keys')));
      const editor = await page.mountEditor(next, image, editorSide, { editable: false, onChange: () => {} });
      original = JSON.stringify(editor.get());
      // A project that reviews by rubric: the reviewer's scores go with the decision.
      rubric = rubricPanel(next.project);
      if (rubric) {
        editorSide.appendChild(rubric.el);
        rubric.focusFirst();
      }
      // A claim carries the task's history; the names of its people arrive with the members.
      replace(hist, h('div', { class: 'side-title' }, t('review.history')), historyList(next.events || [], names));
      return editor;
    },
    onShown() {},
    onBusy(b, task) {
      for (const x of [approveBtn, rejectBtn, fixBtn]) x.disabled = b || !task;
    },
    onEmpty: () => page.setBusy(false),
    empty: {
      none: 'review.none',
      testid: 'no-review',
      hint: () => 'review.noneHint',
      action: () => null,
      poll: () => 10000,
    },
    keysFirst: (e, field) => (dialog ? dialog.key(e, field) : undefined),
    keys(e, field, busy) {
      if (busy) return false;
      if (!field && rubric && rubric.key(e)) return true;
      const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
      if ((e.ctrlKey || e.metaKey) && e.key === 'Enter' && fixing) { fix(); return true; }
      if (fixing) {
        if (!field && e.key === 'Escape') { cancelFix(); return true; }
        return page.editor.key(e, field) === true;
      }
      if (field || !plain) return false;
      const k = e.key.toLowerCase();
      if (k === 'a') { approve(); return true; }
      if (k === 'r') { openReject(); return true; }
      if (k === 'f') { startFix(); return true; }
      // Keys an editor keeps for looking (zoom, the format of a text) work read-only too.
      return page.editor.viewKey ? page.editor.viewKey(e) === true : false;
    },
  });
  const { frame } = page;
  frame.el.classList.add('review');

  const approveBtn = h('button', { type: 'button', class: 'btn btn-approve', 'data-testid': 'approve', onclick: () => (fixing ? fix() : approve()) },
    t('review.approve'), ' ', h('kbd', null, 'A'));
  const rejectBtn = h('button', { type: 'button', class: 'btn btn-reject', 'data-testid': 'reject', onclick: () => openReject() },
    t('review.reject'), ' ', h('kbd', null, 'R'));
  const fixBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'fix', onclick: () => startFix() },
    t('review.fix'), ' ', h('kbd', null, 'F'));
  const counter = h('span', { class: 'muted small', 'data-testid': 'done-count' }, t('review.doneCount', { n: 0 }));
  replace(frame.actions, counter, guideButton(frame), fixBtn, rejectBtn, approveBtn);

  function decide(body) {
    const { task } = page;
    if (!task || page.busy) return undefined;
    // A rubric is scored whole before an approval; a rejection carries it when it is whole.
    if (rubric) {
      const problem = body.decision === 'reject' ? null : rubric.validate();
      if (problem) { toast(t(problem)); return undefined; }
      if (rubric.complete()) body = { ...body, rubric: rubric.get() };
    }
    return page.handIn(() => api.post('/tasks/' + task.id + '/review', { ...body, next: true }), {
      done() {
        done += 1;
        counter.textContent = t('review.doneCount', { n: done });
        toast(t('review.done.' + body.decision), 'ok');
      },
      conflict: (e) => (e.status === 409 ? 'review.leaseExpired' : null),
    });
  }

  const approve = () => decide({ decision: 'approve' });

  function startFix() {
    if (!page.task || page.busy || fixing) return;
    fixing = true;
    page.editor.setEditable(true);
    frame.el.classList.add('fixing');
    approveBtn.replaceChildren(t('review.fixApprove'), ' ', h('kbd', null, 'Ctrl+Enter'));
    fixBtn.replaceChildren(t('common.cancel'), ' ', h('kbd', null, 'Esc'));
    fixBtn.onclick = cancelFix;
  }
  function cancelFix() {
    fixing = false;
    page.editor.set(JSON.parse(original));
    page.editor.setEditable(false);
    frame.el.classList.remove('fixing');
    approveBtn.replaceChildren(t('review.approve'), ' ', h('kbd', null, 'A'));
    fixBtn.replaceChildren(t('review.fix'), ' ', h('kbd', null, 'F'));
    fixBtn.onclick = startFix;
  }
  function fix() {
    const { editor } = page;
    const problem = editor.validate() || (rubric && rubric.validate());
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
    if (!page.task || page.busy || dialog) return;
    let template = null;
    const text = h('textarea', { rows: 3, class: 'reason-input', placeholder: t('review.reasonPlaceholder'), 'data-testid': 'reason-text', maxlength: 2000 });
    const chips = TEMPLATES.map((code, i) => h('button', {
      type: 'button', class: 'chip-btn', 'data-template': code, 'aria-pressed': 'false',
      onclick: () => pickTemplate(code),
    }, h('kbd', null, 'Alt+' + (i + 1)), ' ', templateText(code)));
    function pickTemplate(code) {
      template = template === code ? null : code;
      if (template) err.textContent = '';
      for (const c of chips) {
        const on = c.dataset.template === template;
        c.classList.toggle('on', on);
        c.setAttribute('aria-pressed', on ? 'true' : 'false');
      }
    }
    const err = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'reason-error' });
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
    // A reason typed answers "give a reason".
    text.addEventListener('input', () => { if (text.value.trim()) err.textContent = ''; });
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

  await page.start();
}
