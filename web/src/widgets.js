// Pieces several views draw the same way: a figure tile and a table of rows. Cells go through
// h(), so data always becomes text.
import { h } from './dom.js';

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
