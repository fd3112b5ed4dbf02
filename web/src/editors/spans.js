// text_spans: select text with the mouse to mark a span with the current label (buttons or
// their keys); click a span to select it, then relabel it with a key or remove it with Delete.
import { createTextAnnotator } from '@recogito/text-annotator';
import { h, replace, labelColor } from '../dom.js';
import { t } from '../i18n/index.js';
import { textBlock, cpToU16, u16ToCp } from './common.js';
import { annotatorKernel, newId, tagOf, tagBody } from './annotator.js';

export async function createSpanEditor(host, side, task, opts) {
  const { labels } = task.project;
  const text = task.item.text ?? '';

  const block = textBlock(text);
  block.classList.add('spans-text');
  host.appendChild(block);

  const anno = createTextAnnotator(block, {
    annotatingEnabled: !!opts.editable,
    renderer: 'SPANS',
    userSelectAction: opts.editable ? 'EDIT' : 'SELECT',
    style: (a, state) => {
      const c = labelColor(labels, tagOf(a));
      return { fill: c, fillOpacity: state && state.selected ? 0.45 : 0.25, underlineColor: c, underlineThickness: 2, underlineOffset: 1 };
    },
  });

  const kernel = annotatorKernel(anno, {
    labels, editable: !!opts.editable, onChange: opts.onChange, title: t('spans.labelFor'),
    enable(b) {
      anno.setAnnotatingEnabled(b);
      anno.setUserSelectAction(b ? 'EDIT' : 'SELECT');
      help.hidden = !b;
    },
    draw: () => drawList(),
  });
  const list = h('ol', { class: 'item-list', 'data-testid': 'span-list' });
  const count = h('span', { class: 'count' });
  // Editing hints, shown only while the spans can be edited.
  const help = h('p', { class: 'muted small', hidden: !opts.editable }, t('spans.help'));
  side.append(kernel.palette.el, h('div', { class: 'side-title' }, t('spans.spans'), ' ', count), list, help);

  // A span's offsets in code points, from the first to the last of its ranges.
  function offsets(a) {
    const sels = a.target.selector || [];
    if (!sels.length) return null;
    const s16 = Math.min(...sels.map((s) => s.start));
    const e16 = Math.max(...sels.map((s) => s.end));
    const start = u16ToCp(text, s16);
    const end = u16ToCp(text, e16) + (e16 > 0 && e16 < text.length && /[\ud800-\udbff]/.test(text[e16 - 1]) ? 1 : 0);
    return end > start ? { start, end } : null;
  }

  function toAnnotation(span) {
    const id = newId('span');
    const s = cpToU16(text, span.start);
    const e = cpToU16(text, span.end);
    return { id, bodies: [tagBody(id, span.label)], target: { annotation: id, selector: [{ quote: text.slice(s, e), start: s, end: e }] } };
  }

  function spans() {
    return anno.getAnnotations()
      .map((a) => ({ a, o: offsets(a) }))
      .filter((x) => x.o)
      .sort((x, y) => x.o.start - y.o.start || x.o.end - y.o.end);
  }

  function drawList() {
    const all = spans();
    count.textContent = '(' + all.length + ')';
    const cps = Array.from(text);
    replace(list, all.map(({ a, o }) => {
      const label = tagOf(a);
      return h('li', {
        class: ['item-row', a.id === kernel.selectedId && 'selected'], 'data-testid': 'span-row', 'data-label': label,
        'data-start': o.start, 'data-end': o.end,
        onclick: (e) => { if (e.target.tagName !== 'SELECT' && e.target.tagName !== 'BUTTON') kernel.select(a.id); },
      },
      h('span', { class: 'chip', style: { background: labelColor(labels, label) } }),
      h('span', { class: 'quote' }, cps.slice(o.start, o.end).join('')),
      h('select', {
        'aria-label': t('label.labels'), disabled: !kernel.editable,
        onchange: (e) => kernel.relabel(a.id, e.target.value),
      }, labels.map((l) => h('option', { value: l, selected: l === label }, l))),
      kernel.editable ? h('button', { type: 'button', class: 'btn-icon', title: t('common.delete'), 'aria-label': t('common.delete'), 'data-testid': 'span-delete', onclick: () => kernel.remove(a.id) }, '×') : null);
    }));
  }

  function set(ann) {
    const max = Array.from(text).length;
    const list = ((ann && ann.spans) || []).filter((s) => s.start >= 0 && s.end > s.start && s.end <= max);
    kernel.load(list.map(toAnnotation));
  }
  set(task.annotation);

  return {
    get: () => ({ spans: spans().map(({ a, o }) => ({ start: o.start, end: o.end, label: kernel.labelOf(a) })) }),
    set,
    validate: () => null,
    setEditable: kernel.setEditable,
    key: (e, field) => kernel.key(e, field),
    destroy: kernel.destroy,
  };
}
