// An image in a zoomable, pannable pane, as the box editor and image classification show it:
// the image fits the pane at first and again whenever the pane changes size (the instructions
// open, the window narrows) until someone zooms by hand; small images are scaled up with
// square pixels; zoom with the buttons, + and -, or Ctrl+wheel, 0 fits again; pan with the
// scroll bars, Space+drag or the middle button.
import { h } from '../dom.js';
import { t } from '../i18n/index.js';

const MAX_ZOOM = 64;

// Draws the tool bar and the pane into host; `tools` are extra nodes for the tool bar.
export function imageViewport(host, img, W, H, { tools = [] } = {}) {
  const stage = h('div', { class: 'bbox-stage' }, img);
  const viewport = h('div', { class: 'bbox-viewport', 'data-testid': 'bbox-viewport' }, stage);
  const zoomLabel = h('span', { class: 'zoom-label', 'data-testid': 'zoom-label' });
  const bar = h('div', { class: 'bbox-tools' },
    h('button', { type: 'button', class: 'btn btn-sm', title: t('bbox.zoomOut') + ' (-)', 'aria-label': t('bbox.zoomOut'), onclick: () => zoomBy(1 / 1.25) }, '−'),
    zoomLabel,
    h('button', { type: 'button', class: 'btn btn-sm', title: t('bbox.zoomIn') + ' (+)', 'aria-label': t('bbox.zoomIn'), onclick: () => zoomBy(1.25) }, '+'),
    h('button', { type: 'button', class: 'btn btn-sm', title: '0', 'data-testid': 'zoom-fit', onclick: () => fit() }, t('bbox.fit')),
    h('button', { type: 'button', class: 'btn btn-sm', onclick: () => setZoom(1) }, '100%'),
    tools,
    h('span', { class: 'muted small dims' }, W + '×' + H));
  host.append(bar, viewport);

  // Zoom keeps the image point under the anchor (the pointer, or the middle) in place.
  let zoom = 1;
  let fitted = true; // the zoom is the fit's, so a new pane size fits again
  function setZoom(z, cx, cy, byFit = false) {
    fitted = byFit;
    z = Math.min(MAX_ZOOM, Math.max(0.05, z));
    const vr = viewport.getBoundingClientRect();
    cx = cx ?? vr.left + vr.width / 2;
    cy = cy ?? vr.top + vr.height / 2;
    const before = img.getBoundingClientRect();
    const ix = (cx - before.left) / zoom;
    const iy = (cy - before.top) / zoom;
    zoom = z;
    img.style.width = W * z + 'px';
    img.style.height = H * z + 'px';
    // Scaled up, pixels stay square rather than blur into each other.
    img.classList.toggle('pixelated', z > 1);
    const after = img.getBoundingClientRect();
    viewport.scrollLeft += after.left + ix * z - cx;
    viewport.scrollTop += after.top + iy * z - cy;
    zoomLabel.textContent = Math.round(z * 100) + '%';
  }
  const zoomBy = (f, cx, cy) => setZoom(zoom * f, cx, cy);
  function fit() {
    const vw = viewport.clientWidth - 16;
    const vh = viewport.clientHeight - 16;
    if (vw > 0 && vh > 0) setZoom(Math.min(vw / W, vh / H), undefined, undefined, true);
  }
  fit();

  // A new pane size fits again (after layout, so that the fit does not feed the observer).
  let frame = 0;
  const resized = new ResizeObserver(() => {
    if (!fitted || frame) return;
    frame = requestAnimationFrame(() => { frame = 0; if (fitted) fit(); });
  });
  resized.observe(viewport);

  // Pan: Space+drag or the middle button, ahead of any drawing tool.
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

  return {
    viewport,
    // Space (held for panning) and the zoom keys; true when the key was the pane's.
    key(e) {
      if (e.code === 'Space') {
        space = true;
        viewport.classList.add('pan-ready');
        return true;
      }
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      if (e.key === '+' || e.key === '=') { zoomBy(1.25); return true; }
      if (e.key === '-') { zoomBy(1 / 1.25); return true; }
      if (e.key === '0') { fit(); return true; }
      return false;
    },
    destroy() {
      resized.disconnect();
      if (frame) cancelAnimationFrame(frame);
      viewport.removeEventListener('pointerdown', onDown, true);
      viewport.removeEventListener('pointermove', onMove, true);
      viewport.removeEventListener('pointerup', onUp, true);
      viewport.removeEventListener('wheel', onWheel);
      window.removeEventListener('keyup', onKeyUp);
    },
  };
}
