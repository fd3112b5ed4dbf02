import * as api from '../api.js';
import { h } from '../dom.js';
import { t, fmtMoney, fmtNumber } from '../i18n/index.js';
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
  const page = await api.get('/me/projects', { signal: ctx.signal });
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
    figure(t('fig.earnings'), earningText, 'earnings', 'fig-accent'),
    figure(t('fig.approved'), fmtNumber(totals.approved), 'approved'),
    figure(t('fig.pendingReview'), fmtNumber(totals.pending_review), 'pending_review'),
    figure(t('fig.rejected'), fmtNumber(totals.rejected), 'rejected'),
    figure(t('fig.inProgress'), fmtNumber(totals.in_progress), 'in_progress')));

  if (!projects.length) {
    body.appendChild(h('div', { class: 'empty card' }, h('p', null, t('home.none'))));
    return;
  }
  body.appendChild(h('h2', null, t('home.projects')));
  body.appendChild(h('div', { class: 'project-grid' }, projects.map(card)));
}

function figure(label, value, key, extra) {
  return h('div', { class: ['figure', extra], 'data-fig': key },
    h('div', { class: 'figure-value' }, value), h('div', { class: 'figure-label' }, label));
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
