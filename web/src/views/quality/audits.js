// The quality page's audits: a manager samples approved tasks and gives each a verdict; the
// list of audits, a page at a time, and the one opened with its tasks. A label check's audit
// (POST /projects/{id}/label-checks) holds the approved tasks its model disagrees with.
import * as api from '../../api.js';
import { h, replace, toast } from '../../dom.js';
import { t, fmtNumber, fmtTime } from '../../i18n/index.js';
import { summarize } from '../../editors/index.js';
import { table, badge, pagedTable } from '../../widgets.js';
import { cursorParam } from './common.js';

export function auditsSection(page) {
  const { pid, project, manager, ctx, nameOf } = page;
  const auditsBox = h('section', { class: 'card table-card' });
  const auditBox = h('section', { class: 'card table-card', hidden: true, 'data-testid': 'audit' });

  async function loadAudits(openId) {
    const auditPage = (cursor) => api.get('/projects/' + pid + '/audits' + cursorParam(cursor, '?'), { signal: ctx.signal });
    const audits = await auditPage(null);
    if (!ctx.alive) return;
    const auditTable = pagedTable([
      { label: 'ID', num: true, cell: (a) => String(a.id) },
      { label: t('common.created'), cell: (a) => fmtTime(a.created_at) },
      { label: t('quality.decided'), num: true, cell: (a) => fmtNumber(a.decided) + ' / ' + fmtNumber(a.size) },
      { label: t('quality.correct'), num: true, cell: (a) => fmtNumber(a.correct) },
      { label: t('quality.auditSource'), cell: (a) => (a.job_id ? t('quality.labelCheckNo', { id: a.job_id }) : t('quality.sample')) },
      { label: '', cell: (a) => h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'audit-open', onclick: () => openAudit(a.id) }, t('quality.openAudit')) },
    ], audits, auditPage, { testid: 'audits', attrs: (a) => ({ 'data-audit-id': a.id }), empty: t('quality.noAudits') });
    const size = h('input', { type: 'number', min: 1, max: 10000, value: '20', 'data-testid': 'audit-size', class: 'inline-input' });
    replace(auditsBox, h('h2', null, t('quality.audits')), h('p', { class: 'hint' }, t('quality.auditHint')),
      manager ? h('form', {
        class: 'inline-form', 'data-testid': 'audit-form',
        onsubmit: async (e) => {
          e.preventDefault();
          try {
            const a = await api.post('/projects/' + pid + '/audits', { size: +size.value || 20 });
            await loadAudits(a.id);
          } catch (err) { toast(err.code === 'nothing_to_audit' ? t('quality.nothingToAudit') : err.message); }
        },
      }, h('label', null, t('quality.auditSize'), ' ', size), h('button', { type: 'submit', class: 'btn btn-primary' }, t('quality.newAudit'))) : null,
      auditTable.table, h('div', { class: 'card-actions' }, auditTable.more));
    if (openId) await openAudit(openId);
  }

  async function openAudit(id) {
    const a = await api.get('/audits/' + id, { signal: ctx.signal });
    if (!ctx.alive) return;
    auditBox.hidden = false;
    auditBox.dataset.auditId = a.id;
    const verdictCell = (x) => {
      if (!manager) return x.verdict ? t('quality.verdict.' + x.verdict) : '—';
      const note = h('input', { placeholder: t('quality.note'), value: x.note || '', maxlength: 2000, 'data-testid': 'audit-note' });
      const give = (verdict) => async () => {
        try {
          await api.post('/audits/' + a.id + '/tasks/' + x.task_id, note.value.trim() ? { verdict, note: note.value.trim() } : { verdict });
          await Promise.all([openAudit(a.id), loadAudits(), page.reloadFigures()]);
        } catch (err) { toast(err.message); }
      };
      return h('div', { class: 'inline-form' },
        x.verdict ? badge(t('quality.verdict.' + x.verdict), x.verdict === 'correct' ? 'approved' : 'reject') : null,
        note,
        h('button', { type: 'button', class: 'btn btn-sm btn-approve', 'data-testid': 'verdict-correct', onclick: give('correct') }, t('quality.verdict.correct')),
        h('button', { type: 'button', class: 'btn btn-sm btn-reject', 'data-testid': 'verdict-incorrect', onclick: give('incorrect') }, t('quality.verdict.incorrect')));
    };
    replace(auditBox, h('h2', null, t('quality.auditNo', { id: a.id }), ' ',
      h('span', { class: 'count' }, t('quality.passedOf', { k: fmtNumber(a.correct), n: fmtNumber(a.decided) }))),
    table([
      { label: t('dash.task'), cell: (x) => '#' + x.task_id },
      { label: t('quality.item'), class: 'reason-cell', cell: (x) => (x.item.type === 'text' ? x.item.text : t('quality.image', { w: x.item.width, h: x.item.height })) },
      { label: t('quality.answer'), cell: (x) => summarize(project.kind, x.annotation) },
      // A label check's flag: what its cross-validated model says instead, and how sure it is.
      { label: t('quality.modelSays'), cell: (x) => (x.reason === 'model_disagrees' ? x.model_label + ' (' + fmtNumber(Math.round(x.confidence * 100)) + '%)' : '—') },
      { label: t('dash.worker'), cell: (x) => nameOf(x.worker_id) },
      { label: t('quality.reviewer'), cell: (x) => nameOf(x.reviewer_id) },
      { label: t('quality.verdict'), cell: verdictCell },
    ], a.items, { testid: 'audit-items', attrs: (x) => ({ 'data-task-id': x.task_id, 'data-verdict': x.verdict || '' }) }));
  }

  return { auditsBox, auditBox, load: () => loadAudits(), open: (id) => openAudit(id) };
}
