// text_spans: select text with the mouse to mark a span with the current label (buttons or
// keys 1-9); click a span to select it, then relabel it with a key or remove it with Delete.
import { createTextAnnotator } from '@recogito/text-annotator';
import { h, replace, labelColor } from '../dom.js';
import { t } from '../i18n/index.js';
import { labelPalette, digitIndex, textBlock, cpToU16, u16ToCp } from './common.js';

let seq = 0;
const tagOf = (a) => (a.bodies || []).find((b) => b.purpose === 'tagging')?.value;
const body = (id, label) => ({ id: id + '-l', annotation: id, purpose: 'tagging', value: label, created: new Date() });

export async function createSpanEditor(host, side, task, opts) {
  const { labels } = task.project;
  const text = task.item.text ?? '';
  let editable = !!opts.editable;
  let current = labels[0];
  let selectedId = null;

  const block = textBlock(text);
  block.classList.add('spans-text');
  host.appendChild(block);

  const anno = createTextAnnotator(block, {
    annotatingEnabled: editable,
    renderer: 'SPANS',
    userSelectAction: editable ? 'EDIT' : 'SELECT',
    style: (a, state) => {
      const c = labelColor(labels, tagOf(a));
      return { fill: c, fillOpacity: state && state.selected ? 0.45 : 0.25, underlineColor: c, underlineThickness: 2, underlineOffset: 1 };
    },
  });

  const palette = labelPalette(labels, { onPick: pick, title: t('spans.labelFor') });
  const list = h('ol', { class: 'item-list', 'data-testid': 'span-list' });
  const count = h('span', { class: 'count' });
  side.append(palette.el, h('div', { class: 'side-title' }, t('spans.spans'), ' ', count), list,
    h('p', { class: 'muted small' }, t('spans.help')));

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
    const id = 'span-' + (++seq);
    const s = cpToU16(text, span.start);
    const e = cpToU16(text, span.end);
    return { id, bodies: [body(id, span.label)], target: { annotation: id, selector: [{ quote: text.slice(s, e), start: s, end: e }] } };
  }

  // The selection as the annotator holds it now (its events arrive a moment later).
  const selectedNow = () => {
    const sel = anno.getSelected();
    return sel && sel.length ? sel[0].id : null;
  };

  function pick(label) {
    current = label;
    const id = selectedNow();
    if (editable && id) {
      const a = anno.getAnnotationById(id);
      if (a && tagOf(a) !== label) {
        anno.updateAnnotation({ ...a, bodies: [body(a.id, label)] });
        opts.onChange(true);
      }
    }
    markPalette();
  }
  function markPalette() {
    const id = selectedNow();
    const a = id && anno.getAnnotationById(id);
    palette.mark(new Set([a ? tagOf(a) : current]));
  }

  // Whole steps (a new shape, a new label, a removal) are undo steps at once; moves and
  // resizes are recorded when they pause.
  anno.on('createAnnotation', (a) => {
    if (!tagOf(a)) anno.updateAnnotation({ ...a, bodies: [body(a.id, current)] });
    opts.onChange(true);
  });
  anno.on('deleteAnnotation', () => opts.onChange(true));
  anno.on('selectionChanged', (sel) => {
    selectedId = sel && sel.length ? sel[0].id : null;
    markPalette();
    drawList();
  });
  let pending = 0;
  anno.state.store.observe(() => {
    if (!pending) pending = requestAnimationFrame(() => { pending = 0; drawList(); });
    opts.onChange(false);
  });

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
        class: ['item-row', a.id === selectedId && 'selected'], 'data-testid': 'span-row', 'data-label': label,
        'data-start': o.start, 'data-end': o.end,
        onclick: (e) => { if (e.target.tagName !== 'SELECT' && e.target.tagName !== 'BUTTON') anno.setSelected(a.id); },
      },
      h('span', { class: 'chip', style: { background: labelColor(labels, label) } }),
      h('span', { class: 'quote' }, cps.slice(o.start, o.end).join('')),
      h('select', {
        'aria-label': t('label.labels'), disabled: !editable,
        onchange: (e) => {
          anno.updateAnnotation({ ...anno.getAnnotationById(a.id), bodies: [body(a.id, e.target.value)] });
          opts.onChange(true);
        },
      }, labels.map((l) => h('option', { value: l, selected: l === label }, l))),
      editable ? h('button', { type: 'button', class: 'btn-icon', title: t('common.delete'), 'aria-label': t('common.delete'), 'data-testid': 'span-delete', onclick: () => remove(a.id) }, '×') : null);
    }));
  }

  function remove(id) {
    if (selectedNow() === id) anno.cancelSelected();
    if (selectedId === id) selectedId = null;
    anno.removeAnnotation(id);
    opts.onChange(true);
  }

  function set(ann) {
    anno.cancelSelected();
    selectedId = null;
    const max = Array.from(text).length;
    const list = ((ann && ann.spans) || []).filter((s) => s.start >= 0 && s.end > s.start && s.end <= max);
    anno.setAnnotations(list.map(toAnnotation), true);
    drawList();
    markPalette();
  }
  set(task.annotation);

  return {
    get: () => ({ spans: spans().map(({ a, o }) => ({ start: o.start, end: o.end, label: tagOf(a) || current })) }),
    set,
    validate: () => null,
    setEditable(b) {
      editable = b;
      anno.cancelSelected();
      anno.setAnnotatingEnabled(b);
      anno.setUserSelectAction(b ? 'EDIT' : 'SELECT');
      drawList();
    },
    key(e, field) {
      if (field) return false;
      const i = digitIndex(e);
      if (i >= 0 && i < labels.length) { pick(labels[i]); return true; }
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      const id = selectedNow();
      if ((e.key === 'Delete' || e.key === 'Backspace') && editable && id) { remove(id); return true; }
      if (e.key === 'Escape' && id) { anno.cancelSelected(); selectedId = null; markPalette(); drawList(); return true; }
      return false;
    },
    destroy() {
      if (pending) cancelAnimationFrame(pending);
      anno.destroy();
    },
  };
}
