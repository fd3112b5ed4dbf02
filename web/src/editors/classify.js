// text_class and image_class: the data and the label buttons (each with its key; toggles when
// the project is multi-label); an image zooms and pans as in the box editor.
import { labelPalette, labelKeys, loadImage, textBlock } from './common.js';
import { imageViewport } from './viewport.js';

export async function createClassEditor(host, side, task, opts) {
  const { labels, multi_label: multi } = task.project;
  let editable = !!opts.editable;
  let selected = new Set();
  let view = null;
  if (task.item.type === 'image') {
    const image = opts.preloaded || await loadImage(task);
    image.className = 'bbox-image class-image';
    image.dataset.testid = 'task-image';
    view = imageViewport(host, image, image.naturalWidth || task.item.width, image.naturalHeight || task.item.height);
  } else {
    host.appendChild(textBlock(task.item.text ?? ''));
  }
  // An image keeps 0 for fitting it, as in the box editor.
  const palette = labelPalette(labels, { onPick: pick, multi, keys: labelKeys(labels.length, view ? '0' : '') });
  side.appendChild(palette.el);

  function pick(label) {
    if (!editable) return;
    if (multi) {
      if (selected.has(label)) selected.delete(label);
      else selected.add(label);
    } else {
      if (selected.size === 1 && selected.has(label)) return;
      selected = new Set([label]);
    }
    palette.mark(selected);
    opts.onChange(true);
  }

  function set(ann) {
    selected = new Set(((ann && ann.labels) || []).filter((l) => labels.includes(l)));
    palette.mark(selected);
  }
  set(task.annotation);
  palette.el.classList.toggle('readonly', !editable);

  return {
    get: () => ({ labels: labels.filter((l) => selected.has(l)) }),
    set,
    setEditable(b) { editable = b; palette.el.classList.toggle('readonly', !b); },
    validate: () => (selected.size === 0 ? 'label.pickOne' : null),
    key(e, field) {
      if (field) return false;
      const i = palette.keyIndex(e);
      if (i === -2) return true;
      if (i >= 0) { pick(labels[i]); return true; }
      return view ? view.key(e) : false;
    },
    destroy() { if (view) view.destroy(); },
  };
}
