// image_transcription: the image (zoom and pan as in the box editor) and its text, line by line.
// Enter adds a line after the one being typed, Tab and the arrow keys move between lines,
// Backspace on an empty line removes it, Escape leaves the lines (then +, - and 0 zoom). A box
// dragged on the image belongs to the line last typed in, in that line's color; a line keeps
// at most one. Lines pre-filled from the item (an OCR pass) are loaded to be checked.
import { createImageAnnotator } from '@annotorious/annotorious';
import { h, replace, COLORS } from '../dom.js';
import { t } from '../i18n/index.js';
import { loadImage } from './common.js';
import { imageViewport } from './viewport.js';
import { newId } from './annotator.js';

const MAX_LINES = 1000;
const MAX_LINE_TEXT = 10000;

// A box as {x, y, w, h}, from that or from [x, y, w, h]; null when it has no area.
export function boxOf(b) {
  const v = Array.isArray(b) ? { x: b[0], y: b[1], w: b[2], h: b[3] } : b;
  if (!v || ![v.x, v.y, v.w, v.h].every(Number.isFinite) || v.w <= 0 || v.h <= 0) return null;
  return { x: v.x, y: v.y, w: v.w, h: v.h };
}

// The lines an item brings to start from: the task's pre-annotation, else its metadata's.
export function prefillLines(task) {
  const item = task.item || {};
  for (const src of [task.preannotation, item.data, item.meta, item.meta && item.meta.prefill]) {
    if (src && Array.isArray(src.lines)) return src.lines;
  }
  return null;
}

function boxAnnotation(id, box) {
  const { x, y, w, h: hh } = box;
  return { id, bodies: [], target: { annotation: id, selector: { type: 'RECTANGLE', geometry: { x, y, w, h: hh, bounds: { minX: x, minY: y, maxX: x + w, maxY: y + hh } } } } };
}

export async function createTranscriptionEditor(host, side, task, opts) {
  const img = opts.preloaded || await loadImage(task);
  const W = img.naturalWidth || task.item.width;
  const H = img.naturalHeight || task.item.height;
  img.className = 'bbox-image';
  img.dataset.testid = 'task-image';
  let editable = !!opts.editable;
  let lines = []; // {input, row, chip, boxBtn, annId}
  let active = 0;

  const hint = h('span', { class: 'muted small hint edit-hint' }, t('transcribe.hint'));
  const pane = h('div', { class: 'transcribe-image' });
  host.appendChild(pane);
  const view = imageViewport(pane, img, W, H, { tools: [hint] });

  // A box in its line's color.
  function boxStyle(a, state) {
    const i = lines.findIndex((l) => l.annId === a.id);
    const c = COLORS[(i < 0 ? 0 : i) % COLORS.length];
    return { fill: c, fillOpacity: state && state.selected ? 0.25 : 0.1, stroke: c, strokeOpacity: 1, strokeWidth: state && state.selected ? 3 : 2 };
  }
  const anno = createImageAnnotator(img, {
    drawingEnabled: editable,
    drawingMode: 'drag',
    userSelectAction: editable ? 'EDIT' : 'SELECT',
    theme: 'light',
    style: boxStyle,
  });
  anno.element.classList.add('bbox-annotator');

  const list = h('ol', { class: 'transcribe-lines', 'data-testid': 'line-list' });
  const addBtn = h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'line-add', onclick: () => addLine(lines.length, '', null, true) },
    t('transcribe.addLine'));
  const count = h('span', { class: 'count' });
  const note = h('div', { class: 'banner banner-info small', 'data-testid': 'prefill-note', hidden: true }, t('transcribe.prefilled'));
  host.appendChild(h('div', { class: 'transcribe-text' },
    note,
    h('div', { class: 'answer-head' }, h('span', { class: 'side-title' }, t('transcribe.lines'), ' ', count), addBtn),
    list));
  const help = h('p', { class: 'muted small edit-hint' }, t('transcribe.help'));
  side.append(h('div', { class: 'side-title' }, t('transcribe.title')), help);

  // A new box belongs to the line last typed in; the box that line had goes.
  let fresh = null;
  anno.on('createAnnotation', (a) => {
    if (!lines.length) addLine(0, '', null, false);
    const line = lines[Math.min(active, lines.length - 1)];
    if (line.annId && line.annId !== a.id) anno.removeAnnotation(line.annId);
    line.annId = a.id;
    fresh = a.id;
    drawRows();
    opts.onChange(true);
    setTimeout(() => {
      if (fresh !== a.id) return;
      fresh = null;
      anno.cancelSelected();
      line.input.focus();
    }, 0);
  });
  anno.on('updateAnnotation', () => { drawRows(); opts.onChange(false); });
  // A box clicked: its line is the one being worked on.
  anno.on('selectionChanged', (sel) => {
    const id = sel && sel.length ? sel[0].id : null;
    const i = lines.findIndex((l) => l.annId === id);
    if (i >= 0 && id !== fresh) setActive(i);
  });

  function addLine(at, text, box, focus) {
    if (!editable && focus) return null;
    if (lines.length >= MAX_LINES) return null;
    const line = { annId: null };
    line.input = h('input', {
      type: 'text', class: 'line-input', value: text, maxlength: MAX_LINE_TEXT, lang: 'und', readOnly: !editable,
      'data-testid': 'line-text', 'aria-label': t('transcribe.line'),
      onfocus: () => setActive(lines.indexOf(line), false),
      oninput: () => opts.onChange(false),
      onkeydown: (e) => lineKey(e, line),
    });
    line.chip = h('span', { class: 'line-no' });
    line.boxBtn = h('button', { type: 'button', class: 'btn-icon box-remove', tabIndex: -1, 'data-testid': 'line-box-remove', title: t('transcribe.removeBox'), 'aria-label': t('transcribe.removeBox'), onclick: () => removeBox(line) }, '▭×');
    line.delBtn = h('button', { type: 'button', class: 'btn-icon', tabIndex: -1, 'data-testid': 'line-delete', title: t('common.delete'), 'aria-label': t('common.delete'), onclick: () => removeLine(line) }, '×');
    line.row = h('li', { class: 'transcribe-line', 'data-testid': 'line-row' }, line.chip, line.input, line.boxBtn, line.delBtn);
    const b = boxOf(box);
    if (b) {
      line.annId = newId('line');
      anno.addAnnotation(boxAnnotation(line.annId, b));
    }
    lines.splice(at, 0, line);
    drawRows();
    if (focus) {
      line.input.focus();
      opts.onChange(true);
    }
    return line;
  }

  function removeLine(line) {
    if (!editable) return;
    const i = lines.indexOf(line);
    if (i < 0) return;
    if (line.annId) anno.removeAnnotation(line.annId);
    lines.splice(i, 1);
    drawRows();
    opts.onChange(true);
    const to = lines[Math.max(0, i - 1)];
    if (to) { to.input.focus(); to.input.setSelectionRange(to.input.value.length, to.input.value.length); }
  }

  function removeBox(line) {
    if (!editable || !line.annId) return;
    anno.removeAnnotation(line.annId);
    line.annId = null;
    drawRows();
    opts.onChange(true);
  }

  function setActive(i, focus = true) {
    if (i < 0 || !lines[i]) return;
    active = i;
    for (const [k, l] of lines.entries()) l.row.classList.toggle('selected', k === i);
    if (focus) lines[i].input.focus();
  }

  // Numbers, colors and box marks follow the lines' order.
  function drawRows() {
    // Rows move only when the lines changed order, so that the line being typed keeps the focus.
    if (list.children.length !== lines.length || lines.some((l, i) => list.children[i] !== l.row)) replace(list, lines.map((l) => l.row));
    lines.forEach((l, i) => {
      l.chip.textContent = String(i + 1);
      l.chip.style.background = l.annId ? COLORS[i % COLORS.length] : 'transparent';
      l.chip.classList.toggle('has-box', !!l.annId);
      l.row.dataset.box = l.annId ? 'true' : 'false';
      l.boxBtn.hidden = !l.annId || !editable;
      l.delBtn.hidden = !editable;
      l.row.classList.toggle('selected', i === active);
    });
    count.textContent = '(' + lines.length + ')';
    addBtn.hidden = !editable;
    // The colors hang on each line's place, so boxes are drawn again.
    if (lines.some((l) => l.annId)) anno.setStyle(boxStyle);
  }

  function lineKey(e, line) {
    if (e.isComposing || e.ctrlKey || e.metaKey || e.altKey) return;
    const i = lines.indexOf(line);
    const move = (to) => { e.preventDefault(); setActive(to); };
    if (e.key === 'Enter' && editable) {
      e.preventDefault();
      addLine(i + 1, '', null, true);
    } else if (e.key === 'Backspace' && editable && !line.input.value && lines.length > 1) {
      e.preventDefault();
      removeLine(line);
    } else if (e.key === 'ArrowUp' && i > 0) move(i - 1);
    else if (e.key === 'ArrowDown' && i + 1 < lines.length) move(i + 1);
    else if (e.key === 'Escape') { e.preventDefault(); line.input.blur(); }
  }

  // A box in whole pixels, clipped to the image.
  function boxNow(id) {
    const a = id && anno.getAnnotationById(id);
    if (!a) return null;
    const g = a.target.selector.geometry;
    const b = g.bounds || { minX: g.x, minY: g.y, maxX: g.x + g.w, maxY: g.y + g.h };
    const x0 = Math.max(0, Math.round(b.minX));
    const y0 = Math.max(0, Math.round(b.minY));
    const x1 = Math.min(W, Math.round(b.maxX));
    const y1 = Math.min(H, Math.round(b.maxY));
    return x1 - x0 >= 1 && y1 - y0 >= 1 ? { x: x0, y: y0, w: x1 - x0, h: y1 - y0 } : null;
  }

  // Lines with text or a box; empty ones are left out.
  function get() {
    const out = [];
    for (const l of lines) {
      const box = boxNow(l.annId);
      if (!l.input.value.trim() && !box) continue;
      out.push(box ? { text: l.input.value, box } : { text: l.input.value });
    }
    return { lines: out };
  }

  function set(ann) {
    anno.cancelSelected();
    anno.clearAnnotations();
    lines = [];
    active = 0;
    const given = ann && Array.isArray(ann.lines) ? ann.lines : [];
    for (const l of given.slice(0, MAX_LINES)) addLine(lines.length, l && typeof l.text === 'string' ? l.text : '', l && l.box, false);
    if (!lines.length) addLine(0, '', null, false);
    drawRows();
  }

  function setEditable(b) {
    editable = b;
    anno.cancelSelected();
    anno.setDrawingEnabled(b);
    anno.setUserSelectAction(b ? 'EDIT' : 'SELECT');
    for (const l of lines) l.input.readOnly = !b;
    hint.hidden = !b;
    help.hidden = !b;
    drawRows();
    if (b && lines[active]) lines[active].input.focus();
  }

  const pre = task.annotation ? null : prefillLines(task);
  set(task.annotation || (pre ? { lines: pre } : null));
  note.hidden = !pre || !pre.length;
  setEditable(editable);

  return {
    get, set, setEditable,
    keysHelp: 'transcribe.keys',
    viewKey: (e) => view.key(e),
    validate: () => (get().lines.some((l) => l.text.trim()) ? null : 'transcribe.empty'),
    key(e, field) {
      if (field) return false;
      if (e.key === 'Enter' && !e.ctrlKey && !e.metaKey && !e.altKey && editable) { setActive(Math.min(active, lines.length - 1)); return true; }
      if (e.key === 'Delete' && editable && lines[active]) { removeBox(lines[active]); return true; }
      return view.key(e);
    },
    destroy() {
      view.destroy();
      anno.destroy();
    },
  };
}
