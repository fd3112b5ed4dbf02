// image_bbox: draw, move, resize and delete boxes with Annotorious; pick the label with the
// buttons or their keys (for a box clicked, or the next one drawn); zoom and pan as
// viewport.js does.
import { createImageAnnotator } from '@annotorious/annotorious';
import { h, replace, labelColor } from '../dom.js';
import { t } from '../i18n/index.js';
import { loadImage } from './common.js';
import { imageViewport } from './viewport.js';
import { annotatorKernel, newId, tagOf, tagBody } from './annotator.js';

function toAnnotation(box) {
  const id = newId('box');
  const { x, y, w, h: hh } = box;
  return {
    id,
    bodies: [tagBody(id, box.label)],
    target: {
      annotation: id,
      selector: { type: 'RECTANGLE', geometry: { x, y, w, h: hh, bounds: { minX: x, minY: y, maxX: x + w, maxY: y + hh } } },
    },
  };
}

export async function createBoxEditor(host, side, task, opts) {
  const { labels } = task.project;
  const img = opts.preloaded || await loadImage(task);
  const W = img.naturalWidth || task.item.width;
  const H = img.naturalHeight || task.item.height;
  img.className = 'bbox-image';
  img.dataset.testid = 'task-image';

  // Editing hints, shown only while the boxes can be edited.
  const hint = h('span', { class: 'muted small hint', hidden: !opts.editable }, t('bbox.hint'));
  const view = imageViewport(host, img, W, H, { tools: [hint] });

  const anno = createImageAnnotator(img, {
    drawingEnabled: !!opts.editable,
    drawingMode: 'drag',
    userSelectAction: opts.editable ? 'EDIT' : 'NONE',
    theme: 'light',
    style: (a, state) => {
      const c = labelColor(labels, tagOf(a));
      return { fill: c, fillOpacity: state && state.selected ? 0.28 : 0.14, stroke: c, strokeOpacity: 1, strokeWidth: state && state.selected ? 3 : 2 };
    },
  });
  anno.element.classList.add('bbox-annotator');

  const kernel = annotatorKernel(anno, {
    labels, editable: !!opts.editable, onChange: opts.onChange, title: t('bbox.labelFor'), reserved: '0', selectEditable: true,
    enable(b) {
      anno.setDrawingEnabled(b);
      anno.setUserSelectAction(b ? 'EDIT' : 'NONE');
      hint.hidden = !b;
      help.hidden = !b;
    },
    draw: () => drawList(),
  });
  const list = h('ol', { class: 'item-list', 'data-testid': 'box-list' });
  const count = h('span', { class: 'count' });
  const help = h('p', { class: 'muted small', hidden: !opts.editable }, t('bbox.help'));
  side.append(kernel.palette.el, h('div', { class: 'side-title' }, t('bbox.boxes'), ' ', count), list, help);

  function drawList() {
    const anns = anno.getAnnotations();
    count.textContent = '(' + anns.length + ')';
    replace(list, anns.map((a) => {
      const g = a.target.selector.geometry;
      const label = tagOf(a);
      const sel = h('select', {
        'aria-label': t('label.labels'), disabled: !kernel.editable,
        onchange: (e) => kernel.relabel(a.id, e.target.value),
      }, labels.map((l) => h('option', { value: l, selected: l === label }, l)));
      return h('li', {
        class: ['item-row', a.id === kernel.selectedId && 'selected'], 'data-testid': 'box-row', 'data-label': label,
        onclick: (e) => { if (e.target.tagName !== 'SELECT' && e.target.tagName !== 'BUTTON') kernel.select(a.id); },
      },
      h('span', { class: 'chip', style: { background: labelColor(labels, label) } }),
      sel,
      h('span', { class: 'muted small' }, Math.round(g.w) + '×' + Math.round(g.h)),
      kernel.editable ? h('button', { type: 'button', class: 'btn-icon', title: t('common.delete'), 'aria-label': t('common.delete'), 'data-testid': 'box-delete', onclick: () => kernel.remove(a.id) }, '×') : null);
    }));
  }

  function set(ann) {
    const boxes = ((ann && ann.boxes) || []).filter((b) => b.w > 0 && b.h > 0);
    kernel.load(boxes.map(toAnnotation));
  }

  // Boxes in whole pixels, clipped to the image.
  function get() {
    const boxes = [];
    for (const a of anno.getAnnotations()) {
      const g = a.target.selector.geometry;
      const b = g.bounds || { minX: g.x, minY: g.y, maxX: g.x + g.w, maxY: g.y + g.h };
      const x0 = Math.max(0, Math.round(b.minX));
      const y0 = Math.max(0, Math.round(b.minY));
      const x1 = Math.min(W, Math.round(b.maxX));
      const y1 = Math.min(H, Math.round(b.maxY));
      if (x1 - x0 < 1 || y1 - y0 < 1) continue;
      boxes.push({ x: x0, y: y0, w: x1 - x0, h: y1 - y0, label: kernel.labelOf(a) });
    }
    return { boxes };
  }

  set(task.annotation);

  return {
    get,
    set,
    validate: () => null,
    setEditable: kernel.setEditable,
    key(e, field) {
      if (!field && e.code === 'Space') return view.key(e);
      return kernel.key(e, field, view.key);
    },
    destroy() {
      view.destroy();
      kernel.destroy();
    },
  };
}
