import { h, labelColor } from '../dom.js';
import { t } from '../i18n/index.js';
import { assetUrl } from '../api.js';

// The label buttons, with keys 1-9 for the first nine.
export function labelPalette(labels, { onPick, title, multi }) {
  const buttons = labels.map((label, i) => h('button', {
    type: 'button', class: 'label-btn', 'data-label': label, 'aria-pressed': 'false',
    style: { '--label-color': labelColor(labels, label) },
    onclick: () => onPick(label),
  }, i < 9 ? h('kbd', null, String(i + 1)) : h('span', { class: 'kbd-gap' }), h('span', { class: 'label-name' }, label)));
  const el = h('div', { class: 'palette', role: multi ? 'group' : 'radiogroup', 'aria-label': title || t('label.labels'), 'data-testid': 'palette' },
    h('div', { class: 'side-title' }, title || t('label.labels'), multi ? h('span', { class: 'muted small' }, ' · ', t('label.multi')) : null),
    buttons);
  return {
    el,
    mark(active) {
      for (const b of buttons) {
        const on = active.has(b.dataset.label);
        b.classList.toggle('on', on);
        b.setAttribute('aria-pressed', on ? 'true' : 'false');
      }
    },
  };
}

// A digit key 1-9 as a label index, or -1.
export function digitIndex(e) {
  if (e.ctrlKey || e.metaKey || e.altKey) return -1;
  const m = /^(?:Digit|Numpad)([1-9])$/.exec(e.code || '');
  if (m) return +m[1] - 1;
  return /^[1-9]$/.test(e.key) ? +e.key - 1 : -1;
}

export function loadImage(itemId) {
  const img = new Image();
  img.decoding = 'async';
  img.alt = '';
  img.draggable = false;
  img.src = assetUrl(itemId);
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
