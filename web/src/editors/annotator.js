// The glue between an annotation library (Annotorious for boxes, the text annotator for spans)
// and crowdloop's shape editors, written once: the label palette and its keys, which shape is
// selected, relabeling and removing, the undo steps reported to the page, and the list of
// shapes redrawn when the library's store changes. An editor gives the library's annotator and
// how to draw its list; it keeps only what is its own (geometry, zoom, the answer's shape).
import { labelPalette, labelKeys } from './common.js';

let seq = 0;
export const newId = (prefix) => prefix + '-' + (++seq);
export const tagOf = (a) => (a.bodies || []).find((b) => b.purpose === 'tagging')?.value;
export const tagBody = (id, label) => ({ id: id + '-l', annotation: id, purpose: 'tagging', value: label, created: new Date() });

// anno: the library's annotator. opts: labels; editable; onChange(immediate) (the page's undo
// steps: true for a whole step, false for a move still going on); title (the palette's);
// reserved (keys the editor keeps for itself); selectEditable (select with the library's
// editing handles); enable(b) (turns the library's drawing on or off); draw() (redraws the
// editor's list of shapes).
export function annotatorKernel(anno, { labels, editable, onChange, title, reserved = '', selectEditable = false, enable, draw }) {
  let current = labels[0];
  let selectedId = null;
  // The shape just drawn: it is deselected at once, and a key pressed before that lands sets
  // the next shape's label rather than relabeling it.
  let fresh = null;
  const keys = labelKeys(labels.length, reserved);
  const palette = labelPalette(labels, { onPick: pick, title, keys });

  // The selection as the annotator holds it now (its events arrive a moment later).
  function selectedNow() {
    const sel = anno.getSelected();
    const id = sel && sel.length ? sel[0].id : null;
    return id === fresh ? null : id;
  }

  function relabel(id, label) {
    const a = anno.getAnnotationById(id);
    if (!a || tagOf(a) === label) return;
    anno.updateAnnotation({ ...a, bodies: [tagBody(a.id, label)] });
    onChange(true);
  }

  // A label from the palette or a key: the selected shape's, or the next one's.
  function pick(label) {
    current = label;
    const id = selectedNow();
    if (editable && id) relabel(id, label);
    markPalette();
  }

  // The palette shows the label a key would change: the selected shape's, else (while
  // editing) the next shape's; a read-only view marks only a selected shape's.
  function markPalette() {
    const id = selectedNow();
    const a = id && anno.getAnnotationById(id);
    palette.mark(new Set(a ? [tagOf(a)] : editable ? [current] : []));
  }

  function select(id) {
    fresh = null;
    anno.setSelected(id, selectEditable ? editable : undefined);
  }

  function deselect() {
    anno.cancelSelected();
    selectedId = null;
    markPalette();
    draw();
  }

  function remove(id) {
    if (selectedNow() === id || fresh === id) anno.cancelSelected();
    if (selectedId === id) selectedId = null;
    anno.removeAnnotation(id);
    onChange(true);
  }

  // Whole steps (a new shape, a new label, a removal) are undo steps at once; moves and
  // resizes are recorded when they pause.
  anno.on('createAnnotation', (a) => {
    if (!tagOf(a)) anno.updateAnnotation({ ...a, bodies: [tagBody(a.id, current)] });
    fresh = a.id;
    onChange(true);
    // After the library has selected what it drew.
    setTimeout(() => {
      if (fresh !== a.id) return;
      const sel = anno.getSelected();
      if (sel && sel.length && sel[0].id === a.id) anno.cancelSelected();
      fresh = null;
      markPalette();
    }, 0);
  });
  anno.on('deleteAnnotation', () => onChange(true));
  anno.on('selectionChanged', (sel) => {
    selectedId = sel && sel.length ? sel[0].id : null;
    if (selectedId !== fresh) fresh = null;
    markPalette();
    draw();
  });

  let pending = 0;
  anno.state.store.observe(() => {
    if (!pending) pending = requestAnimationFrame(() => { pending = 0; draw(); });
    onChange(false);
  });

  return {
    palette,
    get editable() { return editable; },
    get selectedId() { return selectedId; },
    // A shape's label; one drawn a moment ago may not carry it yet.
    labelOf: (a) => tagOf(a) || current,
    select,
    relabel,
    remove,
    // Shows these annotations, none selected, as one state (not an undo step).
    load(annotations) {
      anno.cancelSelected();
      selectedId = null;
      fresh = null;
      anno.setAnnotations(annotations, true);
      draw();
      markPalette();
    },
    setEditable(b) {
      editable = b;
      anno.cancelSelected();
      enable(b);
      markPalette();
      draw();
    },
    // The keys every shape editor shares: a label's key, Delete and Escape. `own(e)` is asked
    // about the editor's own keys (zoom, say) once modifier keys are ruled out.
    key(e, field, own) {
      if (field) return false;
      const i = palette.keyIndex(e);
      if (i === -2) return true;
      if (i >= 0) { pick(labels[i]); return true; }
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      if (own && own(e)) return true;
      const id = selectedNow();
      if ((e.key === 'Delete' || e.key === 'Backspace') && editable && id) { remove(id); return true; }
      if (e.key === 'Escape' && id) { deselect(); return true; }
      return false;
    },
    destroy() {
      if (pending) cancelAnimationFrame(pending);
      anno.destroy();
    },
  };
}
