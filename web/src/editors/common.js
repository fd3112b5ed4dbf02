import { h, labelColor } from '../dom.js';
import { t } from '../i18n/index.js';
import { assetUrl, taskAssetUrl } from '../api.js';

// Keys for labels in order: 1-9, 0, then the letters a-z, leaving out those an editor keeps
// for itself (the box editor's 0 fits the image); labels past the last key have none.
const KEY_ORDER = '1234567890abcdefghijklmnopqrstuvwxyz'.split('');
export function labelKeys(count, reserved = '') {
  return KEY_ORDER.filter((k) => !reserved.includes(k)).slice(0, count);
}

// The label buttons, each with its key shown on the chip.
export function labelPalette(labels, { onPick, title, multi, keys = labelKeys(labels.length) }) {
  const buttons = labels.map((label, i) => h('button', {
    type: 'button', class: 'label-btn', 'data-label': label, 'data-key': keys[i] || null, 'aria-pressed': 'false',
    'aria-keyshortcuts': keys[i] || null,
    style: { '--label-color': labelColor(labels, label) },
    onclick: () => onPick(label),
  }, keys[i] ? h('kbd', null, keys[i].toUpperCase()) : h('span', { class: 'kbd-gap' }), h('span', { class: 'label-name' }, label)));
  // More labels than keys: a filter (/ focuses it) narrows the buttons as one types, and Enter
  // picks the first left.
  const filter = labels.length > keys.length ? h('input', {
    type: 'search', class: 'label-filter', placeholder: t('label.filter'), 'aria-label': t('label.filter'),
    'aria-keyshortcuts': '/', 'data-testid': 'label-filter',
    oninput: () => narrow(),
    onkeydown: (e) => {
      if (e.key !== 'Enter' && e.key !== 'Escape') return;
      e.preventDefault();
      const first = buttons.find((b) => !b.hidden);
      if (e.key === 'Enter' && first) first.click();
      filter.value = '';
      narrow();
      filter.blur();
    },
  }) : null;
  function narrow() {
    const q = filter.value.trim().toLowerCase();
    for (const b of buttons) b.hidden = !!q && !b.dataset.label.toLowerCase().includes(q);
  }
  const el = h('div', { class: 'palette', role: multi ? 'group' : 'radiogroup', 'aria-label': title || t('label.labels'), 'data-testid': 'palette' },
    h('div', { class: 'side-title' }, title || t('label.labels'), multi ? h('span', { class: 'muted small' }, ' · ', t('label.multi')) : null),
    filter, buttons);
  return {
    el,
    keys,
    // The label a key press picks, the filter focused by /, or -1.
    keyIndex(e) {
      if (filter && e.key === '/' && !e.ctrlKey && !e.metaKey && !e.altKey) { filter.focus(); return -2; }
      return keyIndex(e, keys);
    },
    mark(active) {
      for (const b of buttons) {
        const on = active.has(b.dataset.label);
        b.classList.toggle('on', on);
        b.setAttribute('aria-pressed', on ? 'true' : 'false');
      }
    },
  };
}

// The index of the label a key press picks (by the key's place on the keyboard, so that it
// works whatever the layout or input method), or -1. Digits take Shift as well; letters only
// alone.
export function keyIndex(e, keys) {
  if (e.ctrlKey || e.metaKey || e.altKey) return -1;
  let k = null;
  let m = /^(?:Digit|Numpad)([0-9])$/.exec(e.code || '');
  if (m) k = m[1];
  else if ((m = /^Key([A-Z])$/.exec(e.code || '')) && !e.shiftKey) k = m[1].toLowerCase();
  else if (/^[0-9]$/.test(e.key) || (/^[a-z]$/.test(e.key) && !e.shiftKey)) k = e.key;
  return k == null ? -1 : keys.indexOf(k);
}

// The image of a task through the task; an item drawn without one (a manager's gold item) by
// the item's own route.
export function loadImage(task) {
  const img = new Image();
  img.decoding = 'async';
  img.alt = '';
  img.draggable = false;
  img.src = Number.isInteger(task.id) ? taskAssetUrl(task.id) : assetUrl(task.item.id);
  return img.decode().then(() => img, () => {
    if (img.complete && img.naturalWidth) return img;
    throw new Error(t('label.imageFailed'));
  });
}

// Offsets: the API counts Unicode code points, the DOM counts UTF-16 units.
export function cpToU16(text, cp) {
  let i = 0;
  for (let n = 0; n < cp && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return i;
}
export function u16ToCp(text, u) {
  let n = 0;
  for (let i = 0; i < u && i < text.length; n++) {
    const c = text.charCodeAt(i);
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < text.length ? 2 : 1;
  }
  return n;
}

export function textBlock(text) {
  return h('div', { class: 'task-text', 'data-testid': 'task-text', lang: 'und' }, text);
}
