// The REST API client. The session lives in the HttpOnly cookie the login sets; the CSRF
// token is kept in memory only and sent on every request that changes state.
import { t } from './i18n/index.js';

let csrf = null;
let onUnauthorized = () => {};

export function setCsrf(token) { csrf = token || null; }
export function setUnauthorizedHandler(fn) { onUnauthorized = fn; }

// An error answer. Its message is in the user's language when its code has a translation
// (error.<code> in the string tables); the server's own words stay in serverMessage, and
// codes whose message names the field at fault (bad_request, say) keep the server's words.
export class ApiError extends Error {
  constructor(status, code, message, detail = {}) {
    const key = 'error.' + code;
    const mine = t(key);
    super(mine !== key ? mine : message || code);
    this.serverMessage = message || code;
    this.status = status;
    this.code = code;
    this.detail = detail; // the error object's other members, e.g. course_id
  }
}

function headersFor(method, extra) {
  const headers = { Accept: 'application/json', ...extra };
  if (method !== 'GET' && method !== 'HEAD' && csrf) headers['X-CSRF-Token'] = csrf;
  return headers;
}

export async function request(method, path, body, opts = {}) {
  const extra = {};
  let payload = body;
  if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof Blob) && !(body instanceof FormData)) {
    extra['Content-Type'] = 'application/json';
    payload = JSON.stringify(body);
  } else if (opts.contentType) {
    extra['Content-Type'] = opts.contentType;
  }
  let r;
  try {
    r = await fetch('/api/v1' + path, {
      method, body: payload ?? undefined, headers: headersFor(method, extra),
      credentials: 'same-origin', cache: 'no-store', signal: opts.signal,
    });
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'network', e.message);
  }
  if (r.status === 204) return null;
  const ct = r.headers.get('Content-Type') || '';
  const data = ct.includes('json') ? await r.json().catch(() => null) : await r.text();
  if (!r.ok) {
    const e = (data && data.error) || {};
    const err = new ApiError(r.status, e.code || 'http_' + r.status, e.message || r.statusText, e);
    if (r.status === 401 && !opts.quiet) onUnauthorized(err);
    throw err;
  }
  return data;
}

export const get = (path, opts) => request('GET', path, undefined, opts);
export const post = (path, body, opts) => request('POST', path, body, opts);
export const patch = (path, body, opts) => request('PATCH', path, body, opts);

// Follows next_cursor until the list ends or `max` items have come.
export async function list(path, max = 1000) {
  const items = [];
  let cursor = null;
  let paged = true;
  do {
    const sep = path.includes('?') ? '&' : '?';
    let page;
    try {
      page = await get(paged ? path + sep + 'limit=' + Math.min(500, max - items.length) +
        (cursor ? '&cursor=' + encodeURIComponent(cursor) : '') : path);
    } catch (e) {
      // A list route that takes no paging parameters answers 400: ask once without them.
      if (!(paged && !cursor && e.status === 400 && /limit/.test(e.message))) throw e;
      paged = false;
      page = await get(path);
    }
    items.push(...((page && page.items) || []));
    cursor = paged ? page && page.next_cursor : null;
  } while (cursor && items.length < max);
  return items;
}

// An upload with progress events, which fetch() does not give for request bodies. An aborted
// `signal` cancels it: the request is cut off and the promise rejects with an AbortError.
export function upload(path, body, { contentType, onProgress, signal } = {}) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) { reject(new DOMException('upload cancelled', 'AbortError')); return; }
    const xhr = new XMLHttpRequest();
    const onAbort = () => xhr.abort();
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
    xhr.onloadend = () => signal && signal.removeEventListener('abort', onAbort);
    xhr.onabort = () => reject(new DOMException('upload cancelled', 'AbortError'));
    xhr.open('POST', '/api/v1' + path);
    xhr.withCredentials = true;
    xhr.setRequestHeader('Accept', 'application/json');
    if (csrf) xhr.setRequestHeader('X-CSRF-Token', csrf);
    if (contentType) xhr.setRequestHeader('Content-Type', contentType);
    xhr.upload.onprogress = (e) => onProgress && onProgress(e.loaded, e.lengthComputable ? e.total : 0);
    xhr.onload = () => {
      let data = null;
      try { data = JSON.parse(xhr.responseText); } catch { /* not JSON */ }
      if (xhr.status >= 200 && xhr.status < 300) resolve(data);
      else {
        const e = (data && data.error) || {};
        if (xhr.status === 401) onUnauthorized();
        reject(new ApiError(xhr.status, e.code || 'http_' + xhr.status, e.message || xhr.statusText));
      }
    };
    xhr.onerror = () => reject(new ApiError(0, 'network', 'network error'));
    xhr.send(body);
  });
}

// An item's image by its id is for org staff; a task's comes through the task, the only way
// workers and reviewers see an image (they never look items up by id).
export const assetUrl = (itemId) => '/api/v1/items/' + encodeURIComponent(itemId) + '/asset';
export const taskAssetUrl = (taskId) => '/api/v1/tasks/' + encodeURIComponent(taskId) + '/asset';

// The upload types and export formats the server accepts (GET /formats), fetched once per page
// load: {uploads: [{content_type, extensions, description}], exports: [{name, content_type,
// extension, kinds, description}]}. A failed fetch is not kept, so the next call asks again.
let formatsOnce = null;
export function formats() {
  if (!formatsOnce) formatsOnce = get('/formats', { quiet: true }).catch((e) => { formatsOnce = null; throw e; });
  return formatsOnce;
}

// The upload types a project of this kind takes: images (and archives of them) for image
// kinds, everything else for text kinds.
const ARCHIVE = /zip|tar|gzip/;
export function uploadTypesFor(list, kind) {
  const image = kind.startsWith('image_');
  return (list || []).filter((u) => ARCHIVE.test(u.content_type) || (u.content_type || '').startsWith('image/') === image);
}

// The export formats that can hold a project of this kind.
export function exportFormatsFor(list, kind) {
  return (list || []).filter((f) => !f.kinds || f.kinds.includes(kind));
}
