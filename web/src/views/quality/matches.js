// The quality page's matches: workers ranked for this project, with the figures of each rank
// and an invite (managers only).
import * as api from '../../api.js';
import { h, replace, toast } from '../../dom.js';
import { t, fmtPercent } from '../../i18n/index.js';
import { table, badge } from '../../widgets.js';
import { matchFigures } from '../home.js';
import { roleText } from './common.js';

export function matchesSection(page) {
  const { pid, ctx } = page;
  const matchesBox = h('section', { class: 'card table-card' });

  async function loadMatches() {
    const list = (await api.get('/projects/' + pid + '/matches', { signal: ctx.signal })).items || [];
    if (!ctx.alive) return;
    replace(matchesBox, h('h2', null, t('match.workersTitle')), h('p', { class: 'hint' }, t('match.workersHint')), table([
      { label: '#', num: true, cell: (m) => String(list.indexOf(m) + 1) },
      { label: t('dash.worker'), cell: (m) => m.username },
      { label: t('match.scoreCol'), num: true, cell: (m) => fmtPercent(m.score) },
      { label: t('match.why'), cell: (m) => matchFigures(m.figures || {}, false) },
      { label: '', cell: (m) => (m.member_role ? badge(roleText(m.member_role))
        : h('button', {
          type: 'button', class: 'btn btn-sm btn-primary', 'data-testid': 'invite',
          onclick: async () => {
            try {
              await api.post('/projects/' + pid + '/invites', { user_id: m.user_id });
              toast(t('dash.invited', { name: m.username }), 'ok');
              await loadMatches();
            } catch (err) { toast(err.message); }
          },
        }, t('match.invite'))) },
    ], list, { testid: 'matches', attrs: (m) => ({ 'data-user-id': m.user_id, 'data-member': m.member_role || '' }), empty: t('match.noWorkers') }));
  }
  return { el: matchesBox, load: loadMatches };
}
