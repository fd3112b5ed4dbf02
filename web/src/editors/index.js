// Picks the editor for a task's kind. The image and span editors load their libraries on
// first use, so the text classification view stays small.
import { createClassEditor } from './classify.js';

export async function createEditor(host, side, task, opts) {
  switch (task.project.kind) {
    case 'text_class':
    case 'image_class':
      return createClassEditor(host, side, task, opts);
    case 'image_bbox': {
      const m = await import('./bbox.js');
      return m.createBoxEditor(host, side, task, opts);
    }
    case 'text_spans': {
      const m = await import('./spans.js');
      return m.createSpanEditor(host, side, task, opts);
    }
    default:
      throw new Error('unknown task kind: ' + task.project.kind);
  }
}

// Starts loading what a task will need (library code, the image) before it is shown.
export function preload(task) {
  const kind = task.project.kind;
  const jobs = [];
  if (kind === 'image_bbox') jobs.push(import('./bbox.js'));
  if (kind === 'text_spans') jobs.push(import('./spans.js'));
  let image = null;
  if (task.item && task.item.type === 'image') {
    jobs.push(import('./common.js').then((m) => m.loadImage(task.item.id)).then((img) => { image = img; }));
  }
  return Promise.all(jobs).then(() => image, () => null);
}

export function summarize(kind, ann) {
  if (!ann) return '—';
  if (ann.labels) return ann.labels.join(', ');
  if (ann.boxes) return ann.boxes.map((b) => b.label).join(', ') || '∅';
  if (ann.spans) return ann.spans.map((s) => s.label).join(', ') || '∅';
  return JSON.stringify(ann);
}
