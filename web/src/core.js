// Shared app state: the signed-in user and navigation.
import * as api from './api.js';

export const session = { me: null };
let renderFn = () => {};
export function setRenderer(fn) { renderFn = fn; }
export function rerender() { renderFn(); }

export function navigate(path, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  renderFn();
}

export async function refreshMe() {
  const me = await api.get('/me', { quiet: true });
  session.me = me;
  if (me && me.csrf_token) api.setCsrf(me.csrf_token);
  return me;
}

const MANAGER_ROLES = new Set(['owner', 'manager']);
export const canManage = (me) => !!me && (me.is_admin || (me.orgs || []).some((o) => MANAGER_ROLES.has(o.role)));
export const inAnyOrg = (me) => !!me && (me.is_admin || (me.orgs || []).length > 0);
export const orgRole = (me, orgId) => ((me && me.orgs) || []).find((o) => o.id === orgId)?.role || null;
export const managesOrg = (me, orgId) => !!me && (me.is_admin || MANAGER_ROLES.has(orgRole(me, orgId)));
