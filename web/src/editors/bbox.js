// image_bbox: draw, move, resize and delete boxes with Annotorious; pick the label with the
// buttons or their keys (for a box clicked, or the next one drawn); zoom with the buttons,
// + and -, or Ctrl+wheel; pan with the scroll bars, Space+drag or the middle button.
import { createImageAnnotator } from '@annotorious/annotorious';
import { h, replace, labelColor } from '../dom.js';
import { t } from '../i18n/index.js';
import { loadImage } from './common.js';
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
  const img = opts.preloaded || await loadImage(task.item.id);
  const W = img.naturalWidth || task.item.width;
  const H = img.naturalHeight || task.item.height;
  img.className = 'bbox-image';
  img.dataset.testid = 'task-image';

  const stage = h('div', { class: 'bbox-stage' }, img);
  const viewport = h('div', { class: 'bbox-viewport', 'data-testid': 'bbox-viewport' }, stage);
  const zoomLabel = h('span', { class: 'zoom-label', 'data-testid': 'zoom-label' });
  const tools = h('div', { class: 'bbox-tools' },
    h('button', { type: 'button', class: 'btn btn-sm', title: t('bbox.zoomOut') + ' (-)', 'aria-label': t('bbox.zoomOut'), onclick: () => zoomBy(1 / 1.25) }, '−'),
    zoomLabel,
    h('button', { type: 'button', class: 'btn btn-sm', title: t('bbox.zoomIn') + ' (+)', 'aria-label': t('bbox.zoomIn'), onclick: () => zoomBy(1.25) }, '+'),
    h('button', { type: 'button', class: 'btn btn-sm', title: '0', onclick: () => fit() }, t('bbox.fit')),
    h('button', { type: 'button', class: 'btn btn-sm', onclick: () => setZoom(1) }, '100%'),
    h('span', { class: 'muted small hint' }, t('bbox.hint')),
    h('span', { class: 'muted small dims' }, W + '×' + H));
  host.append(tools, viewport);

  // Zoom keeps the image point under the anchor (the pointer, or the middle) in place.
  let zoom = 1;
  function setZoom(z, cx, cy) {
    z = Math.min(16, Math.max(0.05, z));
    const vr = viewport.getBoundingClientRect();
    cx = cx ?? vr.left + vr.width / 2;
    cy = cy ?? vr.top + vr.height / 2;
    const before = img.getBoundingClientRect();
    const ix = (cx - before.left) / zoom;
    const iy = (cy - before.top) / zoom;
    zoom = z;
    img.style.width = W * z + 'px';
    img.style.height = H * z + 'px';
    const after = img.getBoundingClientRect();
    viewport.scrollLeft += after.left + ix * z - cx;
    viewport.scrollTop += after.top + iy * z - cy;
    zoomLabel.textContent = Math.round(z * 100) + '%';
  }
  const zoomBy = (f, cx, cy) => setZoom(zoom * f, cx, cy);
  function fit() {
    const vw = viewport.clientWidth - 16;
    const vh = viewport.clientHeight - 16;
    setZoom(Math.min(vw / W, vh / H, 4));
  }
  fit();

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
    },
    draw: () => drawList(),
  });
  const list = h('ol', { class: 'item-list', 'data-testid': 'box-list' });
  const count = h('span', { class: 'count' });
  side.append(kernel.palette.el, h('div', { class: 'side-title' }, t('bbox.boxes'), ' ', count), list,
    h('p', { class: 'muted small' }, t('bbox.help')));

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

  // Pan: Space+drag or the middle button, ahead of the drawing tool.
  let space = false;
  let pan = null;
  const onDown = (e) => {
    if (!(space || e.button === 1)) return;
    e.stopPropagation();
    e.preventDefault();
    pan = { x: e.clientX, y: e.clientY, sl: viewport.scrollLeft, st: viewport.scrollTop };
    viewport.setPointerCapture(e.pointerId);
    viewport.classList.add('panning');
  };
  const onMove = (e) => {
    if (!pan) return;
    e.stopPropagation();
    viewport.scrollLeft = pan.sl - (e.clientX - pan.x);
    viewport.scrollTop = pan.st - (e.clientY - pan.y);
  };
  const onUp = (e) => {
    if (!pan) return;
    e.stopPropagation();
    pan = null;
    viewport.classList.remove('panning');
  };
  const onWheel = (e) => {
    if (!e.ctrlKey && !e.metaKey) return;
    e.preventDefault();
    zoomBy(Math.exp(-e.deltaY / 400), e.clientX, e.clientY);
  };
  const onKeyUp = (e) => {
    if (e.code === 'Space') { space = false; viewport.classList.remove('pan-ready'); }
  };
  viewport.addEventListener('pointerdown', onDown, true);
  viewport.addEventListener('pointermove', onMove, true);
  viewport.addEventListener('pointerup', onUp, true);
  viewport.addEventListener('wheel', onWheel, { passive: false });
  window.addEventListener('keyup', onKeyUp);

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
      if (!field && e.code === 'Space') {
        space = true;
        viewport.classList.add('pan-ready');
        return true;
      }
      return kernel.key(e, field, (k) => {
        if (k.key === '+' || k.key === '=') { zoomBy(1.25); return true; }
        if (k.key === '-') { zoomBy(1 / 1.25); return true; }
        if (k.key === '0') { fit(); return true; }
        return false;
      });
    },
    destroy() {
      viewport.removeEventListener('pointerdown', onDown, true);
      viewport.removeEventListener('pointermove', onMove, true);
      viewport.removeEventListener('pointerup', onUp, true);
      viewport.removeEventListener('wheel', onWheel);
      window.removeEventListener('keyup', onKeyUp);
      kernel.destroy();
    },
  };
}
