// Every round of a task side by side (GET /tasks/{id}/annotations): each round's answer as a
// list of its parts (labels, boxes, spans), the parts that changed from the round before
// marked added or removed, and the review between the two rounds with its reason. The task
// browser's detail and the review page (round 2 and later) both draw it.
import * as api from '../api.js';
import { h } from '../dom.js';
import { t, fmtTime } from '../i18n/index.js';
import { templateText } from './taskview.js';

const r1 = (v) => Math.round(Number(v) * 10) / 10;

// The parts of an answer, each a line of text: a label, a box, a span.
export function answerParts(ann) {
  if (!ann) return [];
  if (Array.isArray(ann.labels)) return ann.labels.map(String);
  if (Array.isArray(ann.boxes)) {
    return ann.boxes.map((b) => `${b.label} @ ${r1(b.x)},${r1(b.y)} ${r1(b.w)}×${r1(b.h)}`);
  }
  if (Array.isArray(ann.spans)) return ann.spans.map((s) => `${s.label} ${s.start}–${s.end}`);
  return [JSON.stringify(ann)];
}

// The parts of `now` against those of `before`: [{text, change: 'same'|'added'|'removed'}].
export function diffParts(before, now) {
  const was = answerParts(before);
  const is = answerParts(now);
  const left = [...was];
  const out = is.map((text) => {
    const i = left.indexOf(text);
    if (i >= 0) { left.splice(i, 1); return { text, change: before ? 'same' : 'added' }; }
    return { text, change: 'added' };
  });
  return out.concat(left.map((text) => ({ text, change: 'removed' })));
}

function partsList(parts) {
  if (!parts.length) return h('p', { class: 'muted small' }, t('rounds.empty'));
  return h('ul', { class: 'diff-parts' }, parts.map((p) => h('li', {
    class: 'diff-' + p.change, 'data-change': p.change,
  }, p.change === 'added' ? '+ ' : p.change === 'removed' ? '− ' : '', p.text)));
}

function reviewLine(r, names) {
  return h('div', { class: 'round-review', 'data-decision': r.decision },
    h('span', { class: 'badge badge-' + (r.decision === 'reject' || r.decision === 'rework_approved' || r.decision === 'review_again' ? 'reject' : 'approved') }, t('rounds.decision.' + r.decision)),
    ' ', r.reviewer_id ? names[r.reviewer_id] || '#' + r.reviewer_id : '',
    r.reason_template ? h('span', { class: 'badge badge-reject' }, templateText(r.reason_template)) : null,
    r.reason ? h('span', { class: 'round-reason', 'data-testid': 'round-reason' }, ' ', r.reason) : null,
    h('span', { class: 'muted small' }, ' ', fmtTime(r.at)));
}

// The rounds as cards, newest last; names: user id → name.
export function roundsView(data, names = {}) {
  const anns = data.annotations || [];
  const box = h('div', { class: 'rounds', 'data-testid': 'rounds' });
  let previous = null;
  for (const a of anns) {
    const withdrawn = a.source === 'withdrawn';
    const parts = withdrawn ? diffParts(null, a.annotation).map((p) => ({ ...p, change: 'same' })) : diffParts(previous, a.annotation);
    const reviews = (data.reviews || []).filter((r) => r.round === a.round && !withdrawn);
    box.appendChild(h('div', { class: 'round-card' + (withdrawn ? ' withdrawn' : ''), 'data-round': a.round, 'data-source': a.source },
      h('div', { class: 'side-title' }, t('rounds.round', { n: a.round }), ' · ', t('rounds.source.' + a.source),
        a.author_id ? ' · ' + (names[a.author_id] || '#' + a.author_id) : '',
        h('span', { class: 'muted small' }, ' ', fmtTime(a.created_at))),
      partsList(parts),
      reviews.map((r) => reviewLine(r, names))));
    if (!withdrawn) previous = a.annotation;
  }
  if (!anns.length) box.appendChild(h('p', { class: 'muted' }, t('rounds.none')));
  return box;
}

export function loadRounds(taskId, signal) {
  return api.get('/tasks/' + taskId + '/annotations', { signal });
}
