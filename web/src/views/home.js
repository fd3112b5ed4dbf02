import * as api from '../api.js';
import { h } from '../dom.js';
import { figure } from '../widgets.js';
import { t, fmtMoney, fmtNumber, fmtPercent } from '../i18n/index.js';
import { session, canManage, fullMe } from '../core.js';

export const kindName = (kind) => t('kind.' + kind);
const REVIEW_ROLES = new Set(['reviewer', 'owner', 'manager', 'admin']);

export async function homeView(root, _params, ctx) {
  const me = await fullMe();
  root.appendChild(h('div', { class: 'page-head' },
    h('h1', null, t('home.title')),
    canManage(me) ? h('a', { class: 'btn', href: '/manage/new' }, t('manage.new')) : null));
  const body = h('div', { class: 'loading' }, t('common.loading'));
  root.appendChild(body);
  const [page, matches] = await Promise.all([
    api.get('/me/projects', { signal: ctx.signal }),
    api.get('/me/matches', { signal: ctx.signal }).then((m) => m.items || [], () => []),
  ]);
  const projects = (page && page.items) || page || [];
  body.className = '';
  body.textContent = '';

  const totals = { approved: 0, rejected: 0, pending_review: 0, in_progress: 0 };
  const earnings = {};
  for (const p of projects) {
    const f = p.my_figures || {};
    for (const k of Object.keys(totals)) totals[k] += f[k] || 0;
    earnings[p.currency || 'KRW'] = (earnings[p.currency || 'KRW'] || 0) + (f.earnings || 0);
  }
  const earningText = Object.keys(earnings).length
    ? Object.entries(earnings).map(([c, v]) => fmtMoney(v, c)).join(' + ')
    : fmtMoney(0);
  body.appendChild(h('section', { class: 'figures', 'data-testid': 'my-totals' },
    figure('earnings', t('fig.earnings'), earningText, 'fig-accent'),
    figure('approved', t('fig.approved'), fmtNumber(totals.approved)),
    figure('pending_review', t('fig.pendingReview'), fmtNumber(totals.pending_review)),
    figure('rejected', t('fig.rejected'), fmtNumber(totals.rejected)),
    figure('in_progress', t('fig.inProgress'), fmtNumber(totals.in_progress))));

  if (matches.length) body.appendChild(recommended(matches.slice(0, 5)));
  if (!projects.length) {
    body.appendChild(h('div', { class: 'empty card' }, h('p', null, t('home.none'))));
    return;
  }
  body.appendChild(h('h2', null, t('home.projects')));
  body.appendChild(h('div', { class: 'project-grid' }, projects.map(card)));
}

function card(p) {
  const f = p.my_figures || {};
  const open = p.status === 'open';
  const canReview = REVIEW_ROLES.has(p.my_role) || session.me?.is_admin;
  return h('article', { class: 'card project-card', 'data-project-id': p.id, 'data-testid': 'project-card' },
    h('div', { class: 'project-card-head' },
      h('h3', null, p.name),
      h('span', { class: 'badge badge-kind' }, kindName(p.kind))),
    h('div', { class: 'project-meta' },
      h('span', null, t('home.pricePerTask'), ' ', h('strong', null, fmtMoney(p.price, p.currency))),
      p.reviewer_fee && canReview ? h('span', null, t('home.feePerReview'), ' ', h('strong', null, fmtMoney(p.reviewer_fee, p.currency))) : null,
      !open ? h('span', { class: 'badge' }, t('status.' + p.status)) : null),
    h('dl', { class: 'mini-figures' },
      h('div', { 'data-fig': 'approved' }, h('dt', null, t('fig.approved')), h('dd', null, fmtNumber(f.approved))),
      h('div', { 'data-fig': 'pending_review' }, h('dt', null, t('fig.pendingReview')), h('dd', null, fmtNumber(f.pending_review))),
      h('div', { 'data-fig': 'rejected' }, h('dt', null, t('fig.rejected')), h('dd', null, fmtNumber(f.rejected))),
      h('div', { 'data-fig': 'earnings' }, h('dt', null, t('fig.earnings')), h('dd', null, fmtMoney(f.earnings, p.currency)))),
    h('div', { class: 'card-actions' },
      open ? h('a', { class: 'btn btn-primary', href: '/p/' + p.id + '/label', 'data-testid': 'start-labeling' }, t('home.start')) : h('span', { class: 'muted' }, t('home.notOpen')),
      canReview && open ? h('a', { class: 'btn', href: '/p/' + p.id + '/review', 'data-testid': 'start-review' }, t('home.review')) : null));
}

// Open projects ranked for me (GET /me/matches), each with the figures behind its rank.
function recommended(items) {
  return h('section', { class: 'card', 'data-testid': 'matches' },
    h('h2', null, t('match.title')),
    h('ol', { class: 'match-list' }, items.map((m) => {
      const f = m.figures || {};
      const missing = f.missing_courses || [];
      return h('li', { 'data-project-id': m.project_id },
        h('div', { class: 'match-head' },
          h('strong', { class: 'match-name' }, m.name), ' ',
          h('span', { class: 'badge badge-kind' }, kindName(m.kind)), ' ',
          h('span', { class: 'muted' }, t('home.pricePerTask'), ' ', fmtMoney(m.price, m.currency)),
          h('span', { class: 'match-score', 'data-testid': 'match-score' }, t('match.score', { n: Math.round((m.score || 0) * 100) }))),
        matchFigures(f, true),
        h('div', { class: 'card-actions' },
          missing.map((id) => h('a', { class: 'btn btn-sm', href: '/academy/' + id, 'data-testid': 'match-course' }, t('match.takeCourse', { id }))),
          missing.length ? null : h('a', { class: 'btn btn-sm btn-primary', href: '/p/' + m.project_id + '/label' }, t('home.start'))));
    })));
}

// The explanation of a match score, for a worker (with pay and open tasks) or a manager.
export function matchFigures(f, forWorker) {
  const parts = [
    [t('match.gold'), f.gold_accuracy == null ? '—' : fmtPercent(f.gold_accuracy) + ' (' + fmtNumber(f.gold_answers) + ')'],
    [t('match.approval'), f.approval_rate == null ? '—' : fmtPercent(f.approval_rate) + ' (' + fmtNumber(f.approved) + ')'],
    [t('match.speed'), f.avg_seconds_per_task == null ? '—' : t('match.seconds', { n: Math.round(f.avg_seconds_per_task) })],
    [t('match.recency'), f.days_since_last_task == null ? '—' : t('match.days', { n: Math.floor(f.days_since_last_task) })],
    forWorker ? [t('match.pay'), fmtPercent(f.pay)] : null,
    forWorker ? [t('match.openTasks'), fmtNumber(f.open_tasks)] : null,
    [t('match.qualified'), f.qualified ? t('common.yes') : t('common.no')],
  ];
  return h('dl', { class: 'match-figures', 'data-testid': 'match-figures' }, parts.filter(Boolean).map(([k, v]) =>
    h('div', null, h('dt', null, k), h('dd', null, v))));
}
