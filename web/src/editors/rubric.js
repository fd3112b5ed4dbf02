// The review rubric of an llm_response project: each of the project's criteria scored from 1 to
// its scale, carried with the reviewer's decision as {"rubric": {"criterion": score}}. Tab (or
// the focus the review page gives it) reaches a row; digits and arrows score it.
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { scoreRows } from './scores.js';
import { setting, criteriaRows, scaleOf } from './llm.js';

// The panel, or null when the project has no rubric.
export function rubricPanel(project) {
  if (project.kind !== 'llm_response') return null;
  const rows = criteriaRows(setting(project, 'rubric'));
  if (!rows.length) return null;
  const scores = scoreRows(rows, {
    scale: scaleOf(project), testid: 'rubric-row',
    label: (r) => t('rubric.scoreOf', { criterion: r.name }),
  });
  const el = h('div', { class: 'rubric', 'data-testid': 'rubric' },
    h('div', { class: 'side-title' }, t('rubric.title')),
    h('p', { class: 'muted small' }, t('rubric.help', { n: scaleOf(project) })),
    scores.el);
  return {
    el,
    key: (e) => scores.key(e),
    focusFirst: () => scores.focusFirst(),
    get: () => scores.get(),
    complete: () => scores.missing() < 0,
    validate() {
      const i = scores.missing();
      if (i < 0) return null;
      scores.rows[i].focus();
      return 'rubric.scoreAll';
    },
  };
}
