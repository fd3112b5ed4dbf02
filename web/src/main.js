import '@annotorious/annotorious/annotorious.css';
import '@recogito/text-annotator/text-annotator.css';
import 'uplot/dist/uPlot.min.css';
import './styles.css';
import * as api from './api.js';
import { h, append, replace, toast, inField } from './dom.js';
import { t, LANGS, getLang, setLang } from './i18n/index.js';
import { session, navigate, setRenderer, refreshMe, inAnyOrg, trainsAnyOrg, sessionKnown, markSession } from './core.js';
import { loginView } from './views/login.js';
import { homeView } from './views/home.js';
import { labelView } from './views/label.js';
import { reviewView } from './views/review.js';
import { manageView, createProjectView } from './views/manage.js';
import { uploadView } from './views/upload.js';
import { dashboardView } from './views/dashboard.js';
import { resolveView } from './views/resolve.js';
import { adminView } from './views/admin.js';
import { academyView, courseView } from './views/academy.js';
import { earningsView, payoutsAdminView } from './views/earnings.js';
import { qualityView } from './views/quality/index.js';
import { settingsView } from './views/settings.js';
import { datasetsView } from './views/datasets.js';
import { pipelineView } from './views/pipeline.js';
import { tasksView } from './views/tasks.js';
import { trainingHomeView, jobsView, compareView } from './views/training.js';
import { jobView } from './views/job.js';
import { modelsView, modelView } from './views/models.js';
import { servingHomeView, endpointsView, endpointView, playgroundView, inboxView } from './views/serving.js';


const routes = [
  [/^\/login$/, loginView, { public: true }],
  [/^\/$/, homeView],
  [/^\/p\/(\d+)\/label$/, labelView, { wide: true }],
  [/^\/p\/(\d+)\/review$/, reviewView, { wide: true }],
  [/^\/p\/(\d+)\/upload$/, uploadView],
  [/^\/p\/(\d+)$/, dashboardView],
  [/^\/p\/(\d+)\/quality$/, qualityView],
  [/^\/p\/(\d+)\/settings$/, settingsView],
  [/^\/p\/(\d+)\/datasets$/, datasetsView],
  [/^\/p\/(\d+)\/pipeline$/, pipelineView],
  [/^\/p\/(\d+)\/tasks$/, tasksView],
  [/^\/tasks\/(\d+)\/resolve$/, resolveView, { wide: true }],
  [/^\/manage$/, manageView],
  [/^\/manage\/new$/, createProjectView],
  [/^\/admin$/, adminView],
  [/^\/admin\/payouts$/, payoutsAdminView],
  [/^\/academy$/, academyView],
  [/^\/academy\/(\d+)$/, courseView],
  [/^\/earnings$/, earningsView],
  [/^\/training$/, trainingHomeView],
  [/^\/o\/(\d+)\/jobs$/, jobsView],
  [/^\/o\/(\d+)\/compare$/, compareView],
  [/^\/o\/(\d+)\/models$/, modelsView],
  [/^\/jobs\/(\d+)$/, jobView],
  [/^\/models\/(\d+)$/, modelView],
  [/^\/serving$/, servingHomeView],
  [/^\/o\/(\d+)\/endpoints$/, endpointsView],
  [/^\/endpoints\/(\d+)$/, endpointView],
  [/^\/endpoints\/(\d+)\/playground$/, playgroundView],
  [/^\/endpoints\/(\d+)\/feedback$/, inboxView],
];

const app = document.getElementById('app');
let current = null; // { cleanups, keyHandlers, abort }
let currentOpts = {};

function teardown() {
  if (!current) return;
  current.abort.abort();
  for (const fn of current.cleanups.reverse()) {
    try { fn(); } catch (e) { console.error(e); }
  }
  current = null;
}

function header(route) {
  const me = session.me;
  const path = location.pathname;
  const link = (href, label, test) => h('a', {
    href, class: path === href || (href !== '/' && path.startsWith(href)) ? 'active' : null, 'data-testid': test,
  }, label);
  const langSel = h('select', {
    class: 'lang', 'aria-label': t('nav.language'), 'data-testid': 'lang',
    onchange: (e) => { setLang(e.target.value); render(); },
  }, Object.entries(LANGS).map(([k, v]) => h('option', { value: k, selected: k === getLang() }, v)));
  // On a narrow screen the links, the language and the account fold into a menu opened by
  // the toggle (CSS shows the toggle below 700 px; on wider screens the menu is always laid out).
  const bar = h('header', { class: 'topbar' + (route && route.wide ? ' wide' : '') });
  const toggle = h('button', {
    type: 'button', class: 'menu-toggle', 'aria-label': t('nav.menu'), 'aria-expanded': 'false',
    'aria-controls': 'topbar-menu', 'data-testid': 'menu-toggle',
    onclick: () => toggle.setAttribute('aria-expanded', String(bar.classList.toggle('open'))),
  }, h('span', { class: 'menu-icon', 'aria-hidden': 'true' }));
  return append(bar,
    [h('a', { href: '/', class: 'brand' }, h('span', { class: 'brand-dot' }), 'crowdloop'),
      toggle,
      h('div', { class: 'topbar-menu', id: 'topbar-menu', 'data-testid': 'topbar-menu' },
        me ? h('nav', null,
          link('/', t('nav.home'), 'nav-home'),
          link('/academy', t('nav.academy'), 'nav-academy'),
          link('/earnings', t('nav.earnings'), 'nav-earnings'),
          inAnyOrg(me) ? link('/manage', t('nav.manage'), 'nav-manage') : null,
          trainsAnyOrg(me) ? link('/training', t('nav.training'), 'nav-training') : null,
          trainsAnyOrg(me) ? link('/serving', t('nav.serving'), 'nav-serving') : null,
          me.is_admin ? link('/admin', t('nav.admin'), 'nav-admin') : null) : h('nav'),
        h('div', { class: 'topbar-right' },
          langSel,
          me ? h('span', { class: 'whoami', 'data-testid': 'whoami' }, me.username) : null,
          me ? h('button', { class: 'btn btn-ghost btn-sm', 'data-testid': 'logout', onclick: logout }, t('nav.logout')) : null))]);
}

async function logout() {
  try { await api.post('/auth/logout'); } catch { /* the session may be gone already */ }
  session.me = null;
  api.setCsrf(null);
  markSession(false);
  navigate('/login');
}

function render() {
  teardown();
  const path = location.pathname.replace(/\/+$/, '') || '/';
  let match = null;
  let view = null;
  let opts = {};
  for (const [re, fn, o] of routes) {
    match = path.match(re);
    if (match) { view = fn; opts = o || {}; break; }
  }
  if (!session.me && !opts.public) {
    const next = location.pathname + location.search;
    history.replaceState(null, '', '/login' + (next !== '/' ? '?next=' + encodeURIComponent(next) : ''));
    return render();
  }
  const main = h('main', { class: 'main' + (opts.wide ? ' main-wide' : '') });
  currentOpts = opts;
  replace(app, header(opts), main);
  current = { cleanups: [], keyHandlers: [], abort: new AbortController() };
  const ctx = {
    signal: current.abort.signal,
    onCleanup: (fn) => current.cleanups.push(fn),
    onKey: (fn) => current.keyHandlers.push(fn),
    get alive() { return !this.signal.aborted; },
  };
  if (!view) {
    main.appendChild(problemPage('not-found'));
    return;
  }
  document.title = 'crowdloop';
  Promise.resolve(view(main, match.slice(1), ctx)).catch((e) => {
    if (ctx.signal.aborted || e.name === 'AbortError') return;
    if (e.status === 401) return;
    // No access and not found are answers the page shows, not faults of the app.
    if (e.status !== 403 && e.status !== 404) console.error(e);
    // A page this role cannot open, or of something that is not there: said so in place of
    // the view's half-drawn cards.
    if (e.status === 403) replace(main, problemPage('no-access'));
    else if (e.status === 404) replace(main, problemPage('not-found'));
    else main.appendChild(h('div', { class: 'error-box', role: 'alert' }, e.message || String(e)));
  });
}

function problemPage(kind) {
  const key = kind === 'no-access' ? 'forbidden' : 'notFound';
  return h('div', { class: 'empty problem', role: 'alert', 'data-testid': kind },
    h('h1', null, t('problem.' + key + 'Title')),
    h('p', { class: 'muted' }, t('problem.' + key + 'Hint')),
    h('div', { class: 'card-actions' }, h('a', { class: 'btn btn-primary', href: '/' }, t('nav.home'))));
}

// One keydown listener for the whole app, ahead of any library's own: a key the current
// view handles goes no further.
window.addEventListener('keydown', (e) => {
  if (!current || e.isComposing) return;
  for (const fn of current.keyHandlers) {
    if (fn(e, inField(e)) === true) {
      e.preventDefault();
      e.stopPropagation();
      return;
    }
  }
}, true);

// Links inside the app change the route without a page load.
document.addEventListener('click', (e) => {
  const a = e.target.closest && e.target.closest('a[href]');
  if (!a || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const href = a.getAttribute('href');
  if (!href.startsWith('/') || href.startsWith('/api/') || a.hasAttribute('download') || a.target) return;
  e.preventDefault();
  if (href !== location.pathname + location.search) navigate(href);
});
window.addEventListener('popstate', render);

api.setUnauthorizedHandler(() => {
  markSession(false);
  if (!session.me) return;
  session.me = null;
  api.setCsrf(null);
  toast(t('login.expired'));
  render();
});

function redrawHeader() {
  const old = app.querySelector('header.topbar');
  if (old) old.replaceWith(header(currentOpts));
}

setRenderer(render, redrawHeader);

async function boot() {
  if (sessionKnown()) {
    try {
      await refreshMe();
    } catch (e) {
      if (e.status === 401) markSession(false);
      else console.error(e);
      session.me = null;
    }
  }
  render();
}

boot();
