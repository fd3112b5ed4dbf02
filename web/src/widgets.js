// Pieces several views draw the same way: a figure tile and a table of rows. Cells go through
// h(), so data always becomes text.
import { h, toast } from './dom.js';
import { t, fmtNumber, fmtInterval } from './i18n/index.js';

export function figure(key, label, value, extra) {
  return h('div', { class: ['figure', extra], 'data-fig': key },
    h('div', { class: 'figure-value' }, value), h('div', { class: 'figure-label' }, label));
}

// cols: [{ label, num?, cell: (row) => node or text }]; attrs(row) gives each tr's attributes.
// With no rows, the `empty` text instead of a table.
export function table(cols, rows, { testid, attrs, empty } = {}) {
  if (!rows.length && empty) return h('p', { class: 'muted', 'data-testid': testid ? testid + '-empty' : null }, empty);
  return h('table', { class: 'table', 'data-testid': testid },
    h('thead', null, h('tr', null, cols.map((c) => h('th', { class: c.num ? 'num' : null }, c.label)))),
    h('tbody', null, rows.map((r) => h('tr', attrs ? attrs(r) : null,
      cols.map((c) => h('td', { class: c.num ? 'num' : c.class }, c.cell(r)))))));
}

export function badge(text, kind) {
  return h('span', { class: ['badge', kind && 'badge-' + kind] }, text);
}

// A labelled form field; the input gets an id for its label when it has none.
let fieldIds = 0;
export function field(label, input, hint, attrs) {
  if (!input.id) input.id = 'f-auto-' + ++fieldIds;
  return h('div', { class: 'field', ...attrs }, h('label', { htmlFor: input.id }, label), input, hint ? h('div', { class: 'hint' }, hint) : null);
}

// A table of a cursor-paged list: the first page, and a "more" button (testid + '-more') that
// appends the next pages, loadPage(cursor) -> {items, next_cursor}, until there are none.
export function pagedTable(cols, first, loadPage, { testid, attrs, empty } = {}) {
  const tbl = table(cols, first.items, { testid, attrs, empty });
  let cursor = first.next_cursor;
  const more = h('button', {
    type: 'button', class: 'btn', 'data-testid': testid + '-more', hidden: !cursor,
    onclick: async () => {
      more.disabled = true;
      try {
        const next = await loadPage(cursor);
        tbl.querySelector('tbody').append(...table(cols, next.items, { attrs }).querySelectorAll('tbody tr'));
        cursor = next.next_cursor;
        more.hidden = !cursor;
      } catch (err) { toast(err.message); }
      more.disabled = false;
    },
  }, t('earnings.more'));
  return { table: tbl, more };
}

// A message under a form field (the .field around the input), or none with an empty one.
export function fieldError(input, message) {
  const box = input.closest('.field') || input.parentElement;
  let el = box.querySelector(':scope > .field-error');
  if (!el) {
    el = h('div', { class: 'field-error', role: 'alert', 'data-testid': 'field-error' });
    input.after(el);
  }
  el.textContent = message || '';
  el.hidden = !message;
  if (message) input.setAttribute('aria-invalid', 'true');
  else input.removeAttribute('aria-invalid');
}

// Checks the shown number inputs against their min, max and step (the server's ranges) and
// marks each that is wrong; the first wrong one, focused, or null.
export function checkNumbers(inputs) {
  let first = null;
  for (const input of inputs) {
    if (input.closest('[hidden]')) { fieldError(input, ''); continue; }
    const v = input.validity;
    let msg = '';
    if (v.badInput || (input.required && input.value === '')) msg = t('form.number');
    else if (v.rangeUnderflow || v.rangeOverflow) {
      msg = input.max !== '' ? t('form.range', { min: input.min, max: input.max }) : t('form.atLeast', { min: input.min });
    } else if (v.stepMismatch) msg = t('form.whole');
    fieldError(input, msg);
    if (msg && !first) first = input;
  }
  if (first) first.focus();
  return first;
}

// A 400 whose message names a field ("price must be ...") shown under that field; fields maps
// the body's keys to their inputs. False when the error names none of them.
export function serverFieldError(err, fields) {
  if (err.status !== 400) return false;
  const key = /^(\w+)/.exec(err.message || '')?.[1];
  const input = key && fields[key];
  if (!input) return false;
  fieldError(input, err.message);
  input.focus();
  return true;
}

// How much data a figure needs before it is shown as a rate: below these, the page says the
// sample is too small instead of extrapolating from it.
export const MIN_SAMPLE = 10; // decisions behind a rate
export const MIN_ACTIVE_SECONDS = 600; // measured work behind an hourly figure
export const MIN_PAY_SUBMISSIONS = 5;

// A Wilson 95% interval for k of n, as the server gives its own intervals.
export function wilson(k, n) {
  if (!n) return { k, n, p: null, lo: null, hi: null };
  const z = 1.959964;
  const p = k / n;
  const d = 1 + (z * z) / n;
  const c = (p + (z * z) / (2 * n)) / d;
  const m = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / d;
  return { k, n, p, lo: Math.max(0, c - m), hi: Math.min(1, c + m) };
}

// A rate of k in n: with its interval, or, from fewer than MIN_SAMPLE, the counts and a word
// that they are too few. "—" with none.
export function rate(k, n) {
  if (!n) return h('span', { 'data-sample': '0' }, '—');
  if (n < MIN_SAMPLE) {
    return h('span', { class: 'too-few', 'data-sample': 'small', title: t('figure.tooFewHint', { min: MIN_SAMPLE }) },
      t('figure.tooFew', { k: fmtNumber(k), n: fmtNumber(n) }));
  }
  return h('span', { 'data-sample': 'ok' }, fmtInterval(wilson(k, n)));
}
