// A project's quality page, built from one module per section: the overview (estimated
// quality from audits with its Wilson interval, gold accuracy per worker, reviewer accuracy
// from honeypots and audits, agreement), the budget with a deposit form, fair pay, consolidated
// answers when items overlap, gold items with a form to add one, label checks, audits with
// their verdicts,
// role changes, the quality settings, and workers ranked for the project with an invite.
import * as api from '../../api.js';
import { h, append } from '../../dom.js';
import { t } from '../../i18n/index.js';
import { managesOrg, fullMe } from '../../core.js';
import { overviewSection } from './overview.js';
import { budgetSection } from './budget.js';
import { paySection } from './pay.js';
import { rolesSection } from './roles.js';
import { consensusSection } from './consensus.js';
import { goldSection } from './gold.js';
import { auditsSection } from './audits.js';
import { labelChecksSection } from './label_checks.js';
import { settingsSection } from './settings.js';
import { matchesSection } from './matches.js';

export async function qualityView(root, [pid], ctx) {
  const project = await api.get('/projects/' + pid, { signal: ctx.signal });
  if (!ctx.alive) return;
  const manager = managesOrg(await fullMe(), project.org_id);
  root.appendChild(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('quality.title')), h('div', { class: 'project-meta' }, h('span', { 'data-testid': 'project-name' }, project.name))),
    h('div', { class: 'head-actions' }, h('a', { class: 'btn', href: '/p/' + pid, 'data-testid': 'to-dashboard' }, t('upload.toDashboard')))));

  // What every section is given: the project, whether the caller manages it, the names of the
  // people the figures mention, and a way to redraw the figures after a change.
  const names = {};
  const page = {
    pid, project, manager, ctx, names,
    nameOf: (id) => (id == null ? '—' : names[id] || '#' + id),
    reloadFigures: () => Promise.all(figures.map((s) => s.load())),
  };
  const overview = overviewSection(page);
  const budget = budgetSection(page);
  const pay = paySection(page);
  const roles = rolesSection(page);
  const figures = [overview, budget, pay, roles];
  const consensus = project.overlap > 1 ? consensusSection(page) : null;
  const gold = manager ? goldSection(page) : null;
  const audits = auditsSection(page);
  const checks = labelChecksSection(page, audits.open);
  const settings = settingsSection(page);
  const matches = manager ? matchesSection(page) : null;

  append(root, [overview.figs, overview.workersBox, overview.reviewersBox,
    h('div', { class: 'grid-2 align-start' }, overview.agreementBox, budget.el), pay.el,
    consensus && consensus.el, gold && gold.el, checks && checks.el, audits.auditsBox, audits.auditBox, roles.el, settings.el,
    matches && matches.el]);

  await Promise.all([page.reloadFigures(), audits.load(), settings.load(), matches && matches.load(),
    consensus && consensus.load(), gold && gold.load(), checks && checks.load()]);
}
