// The quality page's role changes: promotions and demotions, newest first, a page at a time,
// with the figures that caused each.
import * as api from '../../api.js';
import { h, replace } from '../../dom.js';
import { t, fmtPercent, fmtTime } from '../../i18n/index.js';
import { badge, pagedTable } from '../../widgets.js';
import { cursorParam } from './common.js';

const figText = (f) => Object.entries(f || {}).filter(([k]) => k !== 'user_id')
  .map(([k, v]) => k + ' ' + (typeof v === 'number' && !Number.isInteger(v) ? fmtPercent(v) : String(v))).join(' · ');

export function rolesSection(page) {
  const { pid, ctx } = page;
  const el = h('section', { class: 'card table-card' });
  const rolePage = (cursor) => api.get('/projects/' + pid + '/role-changes?sort=-id' + cursorParam(cursor), { signal: ctx.signal });

  async function load() {
    const roles = await rolePage(null);
    if (!ctx.alive) return;
    const roleTable = pagedTable([
      { label: t('dash.when'), cell: (r) => fmtTime(r.at) },
      { label: t('dash.worker'), cell: (r) => r.username },
      { label: t('quality.change'), cell: (r) => badge(t('quality.change.' + r.change), r.change === 'demote' ? 'reject' : 'approved') },
      { label: t('quality.figures'), class: 'small muted', cell: (r) => figText(r.figures) },
    ], roles, rolePage, { testid: 'role-changes', empty: t('quality.noRoleChanges') });
    replace(el, h('h2', null, t('quality.roleChanges')), roleTable.table, h('div', { class: 'card-actions' }, roleTable.more));
  }
  return { el, load };
}
