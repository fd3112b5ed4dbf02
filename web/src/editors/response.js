// llm_response: the conversation, the model's draft when the item has one, and the answer's
// editor (the draft to start from), with its length against the project's range and, under it,
// the word-level diff of the answer against the draft. Ctrl+Enter submits from the editor;
// Escape leaves it, E goes back to it.
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';
import { llmItem, setting, conversation, codePoints, formatSwitch } from './llm.js';
import { diffWords, diffCounts } from './diff.js';

const MAX_TEXT = 100000; // a bound for the text area; the project's range is the rule

// The project's length range in code points: {min, max}, either may be absent.
export function lengthRange(project) {
  const l = setting(project, 'length', null) || {};
  const num = (v) => (Number.isInteger(v) && v >= 0 ? v : null);
  return { min: num(l.min), max: num(l.max) };
}

export function createResponseEditor(host, side, task, opts) {
  const data = llmItem(task);
  const format = formatSwitch();
  const draft = typeof data.draft === 'string' ? data.draft : null;
  const range = lengthRange(task.project);
  let editable = !!opts.editable;

  const text = h('textarea', {
    class: 'answer-input', rows: 12, maxlength: MAX_TEXT, 'data-testid': 'answer-text', lang: 'und',
    'aria-label': t('answer.label'), placeholder: t('answer.placeholder'),
    oninput: () => { update(); opts.onChange(false); },
  });
  const counter = h('span', { class: 'length-counter', 'data-testid': 'answer-length', 'aria-live': 'polite' });
  const diffBox = h('div', { class: 'answer-diff llm-text', 'data-testid': 'answer-diff', lang: 'und' });
  const diffStat = h('span', { class: 'muted small', 'data-testid': 'answer-diff-stat' });
  const root = h('div', { class: 'llm-answer', 'data-testid': 'answer-editor' },
    conversation(data),
    draft != null ? h('details', { class: 'llm-draft', open: true },
      h('summary', null, t('answer.draft'), ' ', format.btn), format.part(draft, { 'data-testid': 'answer-draft' })) : null,
    h('div', { class: 'answer-head' }, h('label', null, t('answer.label')), counter),
    text,
    draft != null ? h('div', { class: 'answer-diff-box' },
      h('div', { class: 'answer-head' }, h('span', { class: 'side-title' }, t('answer.diff')), diffStat), diffBox) : null);
  host.appendChild(root);
  const help = h('p', { class: 'muted small edit-hint' }, t('answer.help'));
  side.append(h('div', { class: 'side-title' }, t('answer.range')),
    h('p', { 'data-testid': 'answer-range' }, rangeText()), help);

  function rangeText() {
    if (range.min != null && range.max != null) return t('answer.between', { min: range.min, max: range.max });
    if (range.min != null) return t('answer.atLeast', { min: range.min });
    if (range.max != null) return t('answer.atMost', { max: range.max });
    return t('answer.anyLength');
  }

  const outOfRange = (n) => (range.min != null && n < range.min) || (range.max != null && n > range.max);

  // The counter and the diff follow the text; the diff waits for a pause in typing.
  let timer = 0;
  function update() {
    const n = codePoints(text.value);
    counter.textContent = t('answer.count', { n }) + (range.min != null || range.max != null ? ' · ' + rangeText() : '');
    counter.classList.toggle('bad', outOfRange(n));
    counter.dataset.length = String(n);
    clearTimeout(timer);
    timer = setTimeout(drawDiff, 120);
  }
  function drawDiff() {
    if (draft == null) return;
    const parts = diffWords(draft, text.value);
    replace(diffBox, parts.map((p) => (p.op === '=' ? p.text : h(p.op === '+' ? 'ins' : 'del', null, p.text))));
    const { added, removed } = diffCounts(parts);
    diffStat.textContent = added || removed ? t('answer.changed', { added, removed }) : t('answer.unchanged');
  }

  function set(ann) {
    text.value = ann && typeof ann.text === 'string' ? ann.text : draft ?? '';
    update();
    drawDiff();
  }

  function setEditable(b) {
    editable = b;
    text.readOnly = !b;
    help.hidden = !b;
    root.classList.toggle('editing', b);
    if (b) focusEnd();
  }
  function focusEnd() {
    text.focus();
    text.setSelectionRange(text.value.length, text.value.length);
  }

  set(task.annotation);
  setEditable(editable);

  return {
    get: () => ({ text: text.value }),
    set,
    setEditable,
    keysHelp: 'answer.keys',
    viewKey: (e) => draft != null && (e.code === 'KeyM' || e.key === 'm') && (format.toggle(), true),
    validate() {
      const n = codePoints(text.value.trim());
      if (!n) return 'answer.empty';
      if (outOfRange(codePoints(text.value))) return 'answer.outOfRange';
      return null;
    },
    key(e, field) {
      if (field) {
        if (e.key === 'Escape' && e.target === text) { text.blur(); return true; }
        return false;
      }
      const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
      if (plain && draft != null && (e.code === 'KeyM' || e.key === 'm')) { format.toggle(); return true; }
      if (editable && plain && (e.code === 'KeyE' || e.key === 'e')) { focusEnd(); return true; }
      return false;
    },
    destroy() { clearTimeout(timer); },
  };
}
