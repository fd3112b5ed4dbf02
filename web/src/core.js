// Shared app state: the signed-in user and navigation.
import * as api from './api.js';

export const session = { me: null };
let renderFn = () => {};
let headerFn = () => {};
export function setRenderer(fn, header) { renderFn = fn; headerFn = header || headerFn; }
export function rerender() { renderFn(); }
// Draws the top bar again (its menus depend on the user's roles) without touching the view.
export function redrawHeader() { headerFn(); }

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  renderFn();
}

// Whether this browser holds a session, as far as the app knows: the cookie is HttpOnly, so a
// mark in localStorage says a login happened and no logout or 401 came since. Without it the
// app does not ask GET /me, whose 401 every visit to /login would show in the console.
const SIGNED_IN = 'crowdloop.signedIn';
export function sessionKnown() {
  try { return localStorage.getItem(SIGNED_IN) === '1'; } catch { return true; }
}
export function markSession(on) {
  try {
    if (on) localStorage.setItem(SIGNED_IN, '1');
    else localStorage.removeItem(SIGNED_IN);
  } catch { /* storage off: GET /me is asked each time */ }
}

export function refreshMe() {
  session.loading = api.get('/me', { quiet: true }).then((me) => {
    session.me = me;
    if (me && me.csrf_token) api.setCsrf(me.csrf_token);
    return me;
  });
  return session.loading;
}

// The signed-in user with org and project roles (GET /me): right after login only the login
// answer's user is known, and views that depend on roles wait for the rest.
export async function fullMe() {
  if (session.loading) {
    try { await session.loading; } catch { /* keep what we have */ }
  }
  return session.me;
}

const MANAGER_ROLES = new Set(['owner', 'manager']);
export const canManage = (me) => !!me && (me.is_admin || (me.orgs || []).some((o) => MANAGER_ROLES.has(o.role)));
export const inAnyOrg = (me) => !!me && (me.is_admin || (me.orgs || []).length > 0);
export const orgRole = (me, orgId) => ((me && me.orgs) || []).find((o) => o.id === orgId)?.role || null;
export const managesOrg = (me, orgId) => !!me && (me.is_admin || MANAGER_ROLES.has(orgRole(me, orgId)));

// Training jobs and models: an org's owners and engineers, and admins.
const TRAINING_ROLES = new Set(['owner', 'engineer']);
export const trainsOrg = (me, orgId) => !!me && (me.is_admin || TRAINING_ROLES.has(orgRole(me, orgId)));
export const trainsAnyOrg = (me) => !!me && (me.is_admin || (me.orgs || []).some((o) => TRAINING_ROLES.has(o.role)));
// The error a view throws for a page this role cannot open: the app shows its "no access" page.
export function noAccess() {
  const e = new Error('no access');
  e.status = 403;
  return e;
}
