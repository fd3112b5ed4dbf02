import * as api from '../api.js';
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { session, navigate, refreshMe, redrawHeader, markSession } from '../core.js';

function nextPath() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  // Only paths inside this app: no scheme, no host, no "//".
  return /^\/(?!\/)[^\\]*$/.test(next) && !next.startsWith('/login') ? next : '/';
}

export function loginView(root) {
  if (session.me) { navigate(nextPath(), { replace: true }); return; }
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true, 'data-testid': 'login-username' });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true, 'data-testid': 'login-password' });
  const msg = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'login-error' });
  const btn = h('button', { class: 'btn btn-primary btn-block', type: 'submit', 'data-testid': 'login-submit' }, t('login.submit'));
  const form = h('form', { class: 'card login-card', onsubmit: submit },
    h('h1', null, t('login.title')),
    h('p', { class: 'muted' }, t('login.subtitle')),
    h('label', { htmlFor: 'username' }, t('login.username')), user,
    h('label', { htmlFor: 'password' }, t('login.password')), pass,
    msg, btn);
  root.appendChild(h('div', { class: 'login-wrap' }, form));
  user.focus();

  async function submit(e) {
    e.preventDefault();
    msg.textContent = '';
    btn.disabled = true;
    try {
      const r = await api.post('/auth/login', { username: user.value.trim(), password: pass.value }, { quiet: true });
      api.setCsrf(r.csrf_token);
      session.me = r.user;
      markSession(true);
      // Org and project roles come with GET /me, asked before the next view starts so that
      // views waiting on fullMe() get them; the menus are drawn again when they come.
      const full = refreshMe();
      navigate(nextPath(), { replace: true });
      full.then(redrawHeader, () => {});
    } catch (err) {
      msg.textContent = err.status === 401 ? t('login.wrong') : err.status === 429 ? t('login.tooMany') : err.message;
      btn.disabled = false;
      pass.select();
    }
  }
}
