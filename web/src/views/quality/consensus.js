// The quality page's consensus: the consolidated answer per item when items are labeled more
// than once, with the agreement behind it, a page at a time.
import * as api from '../../api.js';
import { h, replace } from '../../dom.js';
import { t, fmtNumber, fmtPercent } from '../../i18n/index.js';
import { badge, pagedTable } from '../../widgets.js';
import { answerText, cursorParam } from './common.js';

const CONSENSUS_PAGE = 20;

export function consensusSection(page) {
  const { pid, project, ctx } = page;
  const el = h('section', { class: 'card table-card', 'data-testid': 'consensus-box' });

  async function load() {
    const cols = [
      { label: t('quality.item'), class: 'reason-cell', cell: (c) => h('span', { 'data-testid': 'consensus-item' }, c.text ?? '#' + c.item_id) },
      { label: t('consensus.annotations'), num: true, cell: (c) => fmtNumber(c.annotations) + ' / ' + fmtNumber(project.overlap) },
      { label: t('consensus.complete'), cell: (c) => (c.complete ? badge(t('common.yes'), 'approved') : badge(t('common.no'))) },
      { label: t('quality.agreement'), num: true, cell: (c) => h('span', { 'data-testid': 'consensus-agreement' }, fmtPercent(c.agreement)) },
      { label: t('consensus.answer'), cell: (c) => h('span', { 'data-testid': 'consensus-answer' }, answerText(c.consolidated)) },
    ];
    const attrs = (c) => ({ 'data-item-id': c.item_id, 'data-complete': String(!!c.complete) });
    const consensusPage = (cursor) => api.get('/projects/' + pid + '/consensus?limit=' + CONSENSUS_PAGE + cursorParam(cursor), { signal: ctx.signal });
    const first = await consensusPage(null);
    if (!ctx.alive) return;
    const { table: tbl, more } = pagedTable(cols, first, consensusPage, { testid: 'consensus', attrs, empty: t('consensus.none') });
    replace(el, h('h2', null, t('consensus.title')), h('p', { class: 'hint' }, t('consensus.hint', { n: fmtNumber(project.overlap) })),
      tbl, h('div', { class: 'card-actions' }, more));
  }
  return { el, load };
}
