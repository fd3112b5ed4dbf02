// What the quality page's sections share: the page's context (project, role, names of people,
// the figures to redraw after a change) and the small formatters several sections use.
import { t, fmtNumber } from '../../i18n/index.js';
import { badge } from '../../widgets.js';
import { summarize } from '../../editors/index.js';

export const flagList = (flags) => (flags || []).map((f) => badge(t('quality.flag.' + f), 'reject'));
export const roleText = (r) => (r ? t('role.' + r) : '—');

// An answer on one line: its labels, or how many boxes or spans with their labels counted.
export function answerText(ann) {
  if (!ann) return '—';
  if (Array.isArray(ann.labels)) return ann.labels.join(', ') || '∅';
  const parts = Array.isArray(ann.boxes) ? ['quality.nBoxes', ann.boxes] : Array.isArray(ann.spans) ? ['quality.nSpans', ann.spans] : null;
  if (!parts) return summarize(null, ann);
  const counts = new Map();
  for (const x of parts[1]) counts.set(x.label, (counts.get(x.label) || 0) + 1);
  const list = [...counts].map(([l, n]) => (n > 1 ? l + ' ×' + n : l)).join(', ');
  return t(parts[0], { n: fmtNumber(parts[1].length) }) + (list ? ': ' + list : '');
}

// A cursor query string: '' for the first page.
export const cursorParam = (cursor, sep = '&') => (cursor ? sep + 'cursor=' + encodeURIComponent(cursor) : '');
