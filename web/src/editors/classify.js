// text_class and image_class: the data and the label buttons (each with its key; toggles when
// the project is multi-label).
import { h } from '../dom.js';
import { labelPalette, keyIndex, loadImage, textBlock } from './common.js';

export async function createClassEditor(host, side, task, opts) {
  const { labels, multi_label: multi } = task.project;
  let editable = !!opts.editable;
  let selected = new Set();
  let image = null;
  if (task.item.type === 'image') {
    image = opts.preloaded || await loadImage(task.item.id);
    image.className = 'class-image';
    image.dataset.testid = 'task-image';
    host.appendChild(h('div', { class: 'image-stage' }, image));
  } else {
    host.appendChild(textBlock(task.item.text ?? ''));
  }
  const palette = labelPalette(labels, { onPick: pick, multi });
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
      const i = keyIndex(e, palette.keys);
      if (i >= 0) { pick(labels[i]); return true; }
      return false;
    },
    destroy() {},
  };
}
