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
    case 'llm_preference': {
      const m = await import('./preference.js');
      return m.createPreferenceEditor(host, side, task, opts);
    }
    case 'llm_response': {
      const m = await import('./response.js');
      return m.createResponseEditor(host, side, task, opts);
    }
    case 'image_transcription': {
      const m = await import('./transcription.js');
      return m.createTranscriptionEditor(host, side, task, opts);
    }
    default:
      throw new Error('unknown task kind: ' + task.project.kind);
  }
}

const MODULES = {
  image_bbox: () => import('./bbox.js'),
  text_spans: () => import('./spans.js'),
  llm_preference: () => import('./preference.js'),
  llm_response: () => import('./response.js'),
  image_transcription: () => import('./transcription.js'),
};

// Starts loading what a task will need (library code, the image) before it is shown.
export function preload(task) {
  const kind = task.project.kind;
  const jobs = [];
  if (MODULES[kind]) jobs.push(MODULES[kind]());
  let image = null;
  if (task.item && task.item.type === 'image') {
    jobs.push(import('./common.js').then((m) => m.loadImage(task)).then((img) => { image = img; }));
  }
  return Promise.all(jobs).then(() => image, () => null);
}

// An answer in a few words, for tables.
export function summarize(kind, ann) {
  if (!ann) return '—';
  if (ann.labels) return ann.labels.join(', ');
  if (ann.boxes) return ann.boxes.map((b) => b.label).join(', ') || '∅';
  if (ann.spans) return ann.spans.map((s) => s.label).join(', ') || '∅';
  if (ann.ranking) return ann.ranking.join(' > ') || '∅';
  if ('best' in ann || 'tie' in ann) return ann.tie ? '=' : ann.best ?? '∅';
  if (typeof ann.text === 'string') return ann.text.length > 80 ? ann.text.slice(0, 80) + '…' : ann.text;
  if (ann.lines) return ann.lines.map((l) => l.text).join(' / ') || '∅';
  return JSON.stringify(ann);
}
