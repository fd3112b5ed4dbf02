// The frame shared by the labeling, review and resolve views: a tool bar, a banner, the
// data with its editor, a side panel, and the instructions drawer.
import { h, replace } from '../dom.js';
import { t, fmtTime } from '../i18n/index.js';

export function taskFrame(root) {
  const title = h('div', { class: 'work-title' });
  const meta = h('div', { class: 'work-meta', 'data-testid': 'task-meta' });
  const actions = h('div', { class: 'work-actions' });
  const banner = h('div', { class: 'banner-slot' });
  const data = h('div', { class: 'work-data' });
  const side = h('aside', { class: 'work-side' });
  const guideBody = h('div', { class: 'guide-body markdown', 'data-testid': 'guide-body' });
  const guide = h('aside', { class: 'guide', hidden: !guideOpenAtStart(), 'aria-label': t('guide.title'), 'data-testid': 'guide' },
    h('div', { class: 'guide-head' }, h('strong', null, t('guide.title')),
      h('button', { type: 'button', class: 'btn-icon', 'aria-label': t('guide.collapse'), title: t('guide.collapse'), 'data-testid': 'guide-close', onclick: () => userToggle(false) }, '×')),
    guideBody);
  const body = h('div', { class: 'work-body' }, data, side, guide);
  const el = h('section', { class: 'work' },
    h('div', { class: 'work-bar' }, h('div', { class: 'work-head' }, title, meta), actions),
    banner, body);
  root.appendChild(el);

  let guideSource = null;
  let guideShown = null;
  async function toggleGuide(show = guide.hidden) {
    guide.hidden = !show;
    if (show && guideShown !== guideSource) {
      guideShown = guideSource;
      if (!guideSource || !guideSource.trim()) {
        replace(guideBody, h('p', { class: 'muted' }, t('guide.none')));
      } else {
        const { renderMarkdown } = await import('../markdown.js');
        replace(guideBody, renderMarkdown(guideSource));
      }
    }
  }
  // A person's own opening or closing is remembered for the next pages.
  function userToggle(show = guide.hidden) {
    rememberGuide(show);
    return toggleGuide(show);
  }
  return {
    el, title, meta, actions, banner, data, side, guide,
    setGuide(src) { guideSource = src || ''; if (!guide.hidden) toggleGuide(true); },
    toggleGuide: userToggle,
    reset() {
      replace(data);
      replace(side);
      replace(banner);
    },
  };
}

// The instructions are part of the job: on a wide screen (1400 px and more, where the task
// keeps room beside them) they are open from the start, unless the person closed them before.
const GUIDE_PREF = 'crowdloop.guide';
const WIDE_GUIDE = '(min-width: 1400px)';
function guideOpenAtStart() {
  let pref = null;
  try { pref = localStorage.getItem(GUIDE_PREF); } catch { /* no storage: the default */ }
  if (pref === 'closed') return false;
  return matchMedia(WIDE_GUIDE).matches;
}
function rememberGuide(show) {
  if (!matchMedia(WIDE_GUIDE).matches) return; // a choice on a narrow screen says nothing of wide ones
  try { localStorage.setItem(GUIDE_PREF, show ? 'open' : 'closed'); } catch { /* not kept */ }
}

export function guideButton(frame) {
  return h('button', { type: 'button', class: 'btn', 'data-testid': 'guide-toggle', title: '?', onclick: () => frame.toggleGuide() },
    t('guide.title'), ' ', h('kbd', null, '?'));
}

// The reviewer's reason when a task came back, shown above the data.
export function rejectionBanner(task, { title, hint } = {}) {
  const r = task.last_rejection;
  if (!r) return null;
  const tpl = r.reason_template ? templateText(r.reason_template) : null;
  return h('div', { class: 'banner banner-reject', role: 'alert', 'data-testid': 'rejection' },
    h('div', { class: 'banner-title' }, title || t('label.returned', { round: task.round ?? '' })),
    h('div', null, h('strong', null, t('label.reason'), ': '),
      tpl && tpl !== r.reason ? h('span', { class: 'badge badge-reject' }, tpl) : null, ' ',
      h('span', { class: 'reason-text', 'data-testid': 'rejection-reason' }, r.reason || '')),
    h('div', { class: 'muted small' }, fmtTime(r.at), ' · ', hint || t('label.reworkHint')));
}

export const TEMPLATES = ['wrong_label', 'missed', 'boundary', 'guideline', 'unclear'];
export function templateText(code) {
  const s = t('tpl.' + code);
  return s === 'tpl.' + code ? code : s;
}

const EVENT_ROUND = new Set(['submit']);
// The task's history: every event, grouped by round.
export function historyList(events, names = {}) {
  const who = (id) => (id == null ? '' : names[id] || '#' + id);
  let round = 0;
  const items = [];
  for (const ev of events || []) {
    if (EVENT_ROUND.has(ev.type)) {
      round += 1;
      items.push(h('li', { class: 'hist-round' }, t('review.round', { n: round })));
    }
    const p = ev.payload || {};
    items.push(h('li', { class: 'hist-event hist-' + ev.type, 'data-event': ev.type },
      h('span', { class: 'hist-type' }, t('event.' + ev.type) === 'event.' + ev.type ? ev.type : t('event.' + ev.type)),
      ' ', h('span', { class: 'muted small' }, who(ev.actor_id), ' · ', fmtTime(ev.at)),
      p.reason ? h('div', { class: 'hist-reason' },
        p.reason_template ? h('span', { class: 'badge badge-reject' }, templateText(p.reason_template)) : null, ' ', p.reason) : null,
      rubricScores(p.rubric)));
  }
  return h('ol', { class: 'history', 'data-testid': 'history' }, items);
}

// A review's rubric scores (llm_response), as "criterion 4 · criterion 5".
function rubricScores(rubric) {
  if (!rubric || typeof rubric !== 'object') return null;
  const parts = Object.entries(rubric).map(([name, score]) => name + ' ' + score);
  return parts.length ? h('div', { class: 'muted small hist-rubric', 'data-testid': 'hist-rubric' }, t('rubric.title'), ': ', parts.join(' · ')) : null;
}
