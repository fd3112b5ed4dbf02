// What the two LLM kinds share: the item's conversation (system prompt, earlier turns, the
// prompt) read from the task and drawn as text, and the project's settings with their defaults.
import { h, replace } from '../dom.js';
import { t } from '../i18n/index.js';

export const DEFAULT_CRITERIA = ['helpfulness', 'harmlessness', 'factuality'];

const isObject = (v) => v && typeof v === 'object' && !Array.isArray(v);

// The item's data: {prompt, system?, messages?, responses? | draft?}. The server hands it in
// the item's data (or its metadata); a text item that is the JSON itself is read as well.
export function llmItem(task) {
  const item = task.item || {};
  for (const v of [item.data, item.meta]) if (isObject(v) && typeof v.prompt === 'string') return v;
  if (typeof item.text === 'string' && item.text.trimStart().startsWith('{')) {
    try {
      const v = JSON.parse(item.text);
      if (isObject(v) && typeof v.prompt === 'string') return v;
    } catch { /* plain text: the prompt itself */ }
  }
  return { prompt: item.text ?? '' };
}

// A project setting, from the project itself or its settings object.
export function setting(project, name, fallback) {
  const v = project[name] ?? (isObject(project.settings) ? project.settings[name] : undefined);
  return v ?? fallback;
}

// Named criteria ([{name}] or names) as rows for scores.
export function criteriaRows(list, fallback = []) {
  const names = (Array.isArray(list) && list.length ? list : fallback)
    .map((c) => (typeof c === 'string' ? c : c && c.name)).filter(Boolean);
  return names.map((name) => ({ key: name, name: criterionName(name) }));
}

// The three default criteria have names in both languages; a project's own show as typed.
export function criterionName(name) {
  return DEFAULT_CRITERIA.includes(name) ? t('llm.criterion.' + name) : name;
}

export const scaleOf = (project) => (+setting(project, 'scale', 5) === 7 ? 7 : 5);

// A block of text from the data, kept as text.
export function textPart(text, attrs = {}) {
  return h('div', { class: 'llm-text', lang: 'und', ...attrs }, text ?? '');
}

// The conversation up to the prompt: the system prompt, the earlier turns, then the prompt.
export function conversation(data) {
  const turns = [];
  if (data.system) turns.push(turn('system', data.system, 'llm-system'));
  for (const m of Array.isArray(data.messages) ? data.messages : []) {
    if (m && typeof m.content === 'string') turns.push(turn(m.role === 'assistant' ? 'assistant' : m.role === 'system' ? 'system' : 'user', m.content, 'llm-turn'));
  }
  turns.push(turn('prompt', data.prompt ?? '', 'llm-prompt'));
  return h('div', { class: 'llm-conversation', 'data-testid': 'llm-conversation' }, turns);
}

function turn(role, text, testid) {
  return h('div', { class: 'llm-turn llm-role-' + role, 'data-role': role },
    h('div', { class: 'llm-role' }, t('llm.role.' + role)),
    textPart(text, { 'data-testid': testid }));
}

// Code points, as the server counts a length.
export const codePoints = (s) => Array.from(String(s)).length;

// Responses and drafts are often markdown. They show as plain text, or, with the format switch
// (M), as markdown made safe by markdown.js (raw HTML stays text), images left as their alt
// text so that nothing is fetched from elsewhere. The choice is kept for the next tasks.
const FORMAT_PREF = 'crowdloop.llmFormatted';
function formattedAtStart() {
  try { return localStorage.getItem(FORMAT_PREF) === 'on'; } catch { return false; }
}

export function formatSwitch() {
  let on = formattedAtStart();
  const parts = []; // [element, text]
  const btn = h('button', { type: 'button', class: 'btn btn-sm format-btn', 'data-testid': 'format-toggle', 'aria-pressed': String(on), onclick: () => toggle() },
    t('llm.formatted'), ' ', h('kbd', null, 'M'));
  async function draw(el, text) {
    if (!on) { replace(el, text ?? ''); el.classList.remove('markdown'); return; }
    const { renderMarkdown } = await import('../markdown.js');
    const frag = renderMarkdown(text ?? '');
    for (const img of frag.querySelectorAll('img')) img.replaceWith(img.getAttribute('alt') || '');
    replace(el, frag);
    el.classList.add('markdown');
  }
  function toggle() {
    on = !on;
    btn.setAttribute('aria-pressed', String(on));
    try { localStorage.setItem(FORMAT_PREF, on ? 'on' : 'off'); } catch { /* not kept */ }
    for (const [el, text] of parts) draw(el, text);
  }
  return {
    btn,
    toggle,
    // A block of text under the switch.
    part(text, attrs) {
      const el = textPart('', attrs);
      parts.push([el, text]);
      draw(el, text);
      return el;
    },
  };
}
