// A manager decides an escalated task: approve it (as it is or edited) or discard it.
import * as api from '../api.js';
import { h, replace, toast } from '../dom.js';
import { t } from '../i18n/index.js';
import { navigate } from '../core.js';
import { createEditor, preload } from '../editors/index.js';
import { taskFrame, guideButton, historyList, rejectionBanner } from './taskview.js';
import { kindName } from './home.js';

export async function resolveView(root, [taskId], ctx) {
  const frame = taskFrame(root);
  const task = await api.get('/tasks/' + taskId, { signal: ctx.signal });
  const names = {};
  try {
    const m = await api.get('/projects/' + task.project_id + '/members', { signal: ctx.signal, quiet: true });
    for (const x of (m && m.items) || []) names[x.user_id] = x.username;
  } catch { /* names are a nicety */ }
  const p = task.project;
  frame.title.textContent = p.name;
  replace(frame.meta,
    h('span', { class: 'badge badge-kind' }, kindName(p.kind)),
    h('span', null, t('label.taskNo', { id: task.id })),
    h('span', { class: 'badge badge-' + task.state, 'data-testid': 'task-state' }, t('state.' + task.state)));
  frame.setGuide(p.instructions);
  frame.el.dataset.taskId = task.id;
  const banner = rejectionBanner(task, { title: t('resolve.escalatedTitle', { n: task.round ?? '' }), hint: t('resolve.hint') });
  if (banner) frame.banner.appendChild(banner);

  const editable = task.state === 'escalated';
  const editorSide = h('div');
  frame.side.append(editorSide, h('div', { class: 'history-box' },
    h('div', { class: 'side-title' }, t('review.history')), historyList(task.events, names)));
  const image = await preload(task);
  const editor = await createEditor(frame.data, editorSide, task, { editable, preloaded: image, onChange: () => {} });
  ctx.onCleanup(() => editor.destroy());
  const original = JSON.stringify(editor.get());

  const reason = h('input', { class: 'inline-input', placeholder: t('resolve.discardReason'), 'data-testid': 'discard-reason' });
  const approveBtn = h('button', { type: 'button', class: 'btn btn-approve', 'data-testid': 'resolve-approve', disabled: !editable, onclick: () => decide('approve') }, t('resolve.approve'));
  const discardBtn = h('button', { type: 'button', class: 'btn btn-reject', 'data-testid': 'resolve-discard', disabled: !editable, onclick: () => decide('discard') }, t('resolve.discard'));
  replace(frame.actions, guideButton(frame), editable ? reason : null, discardBtn, approveBtn,
    h('a', { class: 'btn', href: '/p/' + task.project_id }, t('resolve.back')));
  if (!editable) frame.banner.appendChild(h('div', { class: 'banner banner-info' }, t('resolve.notEscalated')));

  ctx.onKey((e, field) => (editable ? editor.key(e, field) === true : false));

  async function decide(decision) {
    const body = { decision };
    if (decision === 'approve') {
      const problem = editor.validate();
      if (problem) { toast(t(problem)); return; }
      const ann = editor.get();
      if (JSON.stringify(ann) !== original) body.annotation = ann;
    } else if (reason.value.trim()) {
      body.reason = reason.value.trim();
    }
    approveBtn.disabled = discardBtn.disabled = true;
    try {
      await api.post('/tasks/' + task.id + '/resolve', body);
      toast(t('resolve.done.' + decision), 'ok');
      navigate('/p/' + task.project_id);
    } catch (e) {
      toast(e.message);
      approveBtn.disabled = discardBtn.disabled = false;
    }
  }
}
