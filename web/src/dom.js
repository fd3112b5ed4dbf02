// DOM helpers. Every string given to h() becomes a text node or an attribute value: data
// from the server is never parsed as HTML here. The one place HTML is built is markdown.js,
// and it goes through DOMPurify.

const PROPS = new Set(['value', 'checked', 'disabled', 'selected', 'multiple', 'hidden',
  'indeterminate', 'readOnly', 'required', 'tabIndex', 'htmlFor', 'max', 'min', 'step']);

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  if (attrs) setAttrs(el, attrs);
  append(el, children);
  return el;
}

export function setAttrs(el, attrs) {
  for (const [k, v] of Object.entries(attrs)) {
    if (v == null || v === false) continue;
    if (k === 'innerHTML' || k === 'outerHTML' || k === 'srcdoc') throw new Error('h(): ' + k + ' is not allowed');
    if (k === 'class') el.className = Array.isArray(v) ? v.filter(Boolean).join(' ') : v;
    else if (k === 'style' && typeof v === 'object') {
      for (const [p, pv] of Object.entries(v)) {
        if (p.startsWith('--')) el.style.setProperty(p, pv);
        else el.style[p] = pv;
      }
    }
    else if (k.startsWith('on')) {
      if (typeof v !== 'function') throw new Error('h(): ' + k + ' must be a function');
      el.addEventListener(k.slice(2).toLowerCase(), v);
    } else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (PROPS.has(k)) el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
}

export function append(el, children) {
  for (const c of children) {
    if (c == null || c === false || c === true) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
  return el;
}

export function clear(el) {
  while (el.firstChild) el.removeChild(el.firstChild);
  return el;
}

export function replace(el, ...children) {
  clear(el);
  return append(el, children);
}

// True when a key press belongs to a text field rather than to a shortcut.
export function inField(e) {
  const t = e.target;
  if (!t || !t.tagName) return false;
  return t.tagName === 'INPUT' || t.tagName === 'TEXTAREA' || t.tagName === 'SELECT' || t.isContentEditable;
}

export function kbd(text) {
  return h('kbd', null, text);
}

let toastBox = null;
// A message at the corner: errors stay 6 s, other news 2.5 s. A success takes away the errors
// shown before it, which it answers.
export function toast(message, kind = 'error') {
  if (kind === 'ok') clearErrors();
  if (!toastBox) {
    toastBox = h('div', { class: 'toasts', role: 'status', 'aria-live': 'assertive' });
    document.body.appendChild(toastBox);
  }
  const el = h('div', { class: 'toast toast-' + kind, 'data-testid': 'toast' }, String(message));
  toastBox.appendChild(el);
  setTimeout(() => el.remove(), kind === 'error' ? 6000 : 2500);
}

// Takes away the error messages shown at the corner.
export function clearErrors() {
  if (toastBox) for (const el of toastBox.querySelectorAll('.toast-error')) el.remove();
}

// Eight colors told apart by people with common color-vision deficiencies.
export const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2',
  '#db2777', '#65a30d', '#475569', '#b45309'];
export const labelColor = (labels, label) => {
  const i = labels.indexOf(label);
  return COLORS[(i < 0 ? labels.length : i) % COLORS.length];
};
