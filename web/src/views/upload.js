// Upload data into a project: files and archives (multipart), or pasted texts (JSONL), with a
// progress bar, then the import report line by line.
import * as api from '../api.js';
import { h, replace, append } from '../dom.js';
import { t, fmtNumber } from '../i18n/index.js';
import { kindName } from './home.js';

const fmtBytes = (n) => (n < 1024 ? n + ' B' : n < 1048576 ? (n / 1024).toFixed(1) + ' KiB' : (n / 1048576).toFixed(1) + ' MiB');

export async function uploadView(root, [pid], ctx) {
  const project = await api.get('/projects/' + pid, { signal: ctx.signal });
  if (!ctx.alive) return;
  // Texts pasted one per line: items of the text kinds, prompts of an llm_response project.
  const isText = ['text_class', 'text_spans', 'llm_response'].includes(project.kind);
  root.appendChild(h('div', { class: 'page-head' },
    h('div', null, h('h1', null, t('upload.title')), h('p', { class: 'muted' }, project.name, ' · ', kindName(project.kind))),
    h('a', { class: 'btn', href: '/p/' + pid, 'data-testid': 'to-dashboard' }, t('upload.toDashboard'))));

  let files = [];
  const fileInput = h('input', {
    type: 'file', multiple: true, id: 'files', 'data-testid': 'file-input',
    onchange: () => { files = Array.from(fileInput.files); showFiles(); },
  });
  const fileList = h('ul', { class: 'file-list' });
  const types = h('span', { class: 'muted small', 'data-testid': 'upload-types' });
  const drop = h('label', { class: 'dropzone', htmlFor: 'files', 'data-testid': 'dropzone' },
    h('strong', null, t('upload.drop')), types, fileInput);
  // The types this kind takes, as the server lists them; without the list the chooser offers
  // every file and the server's report says what it refused.
  api.formats().then((f) => {
    const list = api.uploadTypesFor(f.uploads, project.kind);
    const exts = [...new Set(list.flatMap((u) => u.extensions || []).map((x) => (x.startsWith('.') ? x : '.' + x)))];
    if (!ctx.alive || !exts.length) return;
    fileInput.accept = exts.join(',');
    replace(types, t('upload.types', { list: exts.join(', ') }));
    types.title = list.map((u) => u.description).filter(Boolean).join('\n');
  }, () => {});
  drop.addEventListener('dragover', (e) => { e.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => {
    e.preventDefault();
    drop.classList.remove('over');
    files = Array.from(e.dataTransfer.files);
    showFiles();
  });
  function showFiles() {
    replace(fileList, files.map((f) => h('li', null, f.name, ' ', h('span', { class: 'muted small' }, fmtBytes(f.size)))));
    sendFilesBtn.disabled = !files.length;
  }
  const sendFilesBtn = h('button', { type: 'button', class: 'btn btn-primary', disabled: true, 'data-testid': 'upload-files', onclick: () => sendFiles() }, t('upload.send'));

  const paste = isText ? h('textarea', { rows: 6, placeholder: t('upload.pastePlaceholder'), 'data-testid': 'paste-text' }) : null;
  const sendPasteBtn = isText ? h('button', { type: 'button', class: 'btn', 'data-testid': 'upload-paste', onclick: () => sendPaste() }, t('upload.sendPaste')) : null;

  const bar = h('progress', { max: 100, value: 0, 'data-testid': 'upload-progress' });
  const barText = h('span', { class: 'muted small', 'data-testid': 'upload-progress-text' });
  // The upload under way, which the cancel button (or leaving the page) stops.
  let sending = null;
  ctx.onCleanup(() => sending && sending.abort());
  const cancelBtn = h('button', { type: 'button', class: 'btn btn-sm', 'data-testid': 'upload-cancel', hidden: true, onclick: () => sending && sending.abort() }, t('upload.cancel'));
  const progress = h('div', { class: 'progress-row', hidden: true }, bar, barText, cancelBtn);
  const report = h('div', { class: 'report', 'data-testid': 'import-report' });

  append(root, [
    h('section', { class: 'card' }, h('h2', null, t('upload.files')), drop, fileList, h('div', { class: 'card-actions' }, sendFilesBtn)),
    isText ? h('section', { class: 'card' }, h('h2', null, t('upload.paste')), h('p', { class: 'muted small' }, t('upload.pasteHint')), paste, h('div', { class: 'card-actions' }, sendPasteBtn)) : null,
    progress, report]);

  async function send(body, contentType) {
    progress.hidden = false;
    bar.value = 0;
    bar.removeAttribute('data-done');
    barText.textContent = '';
    for (const b of [sendFilesBtn, sendPasteBtn]) if (b) b.disabled = true;
    sending = new AbortController();
    let sentAll = false;
    cancelBtn.hidden = false;
    cancelBtn.disabled = false;
    try {
      const r = await api.upload('/projects/' + pid + '/items', body, {
        contentType,
        signal: sending.signal,
        onProgress: (loaded, total) => {
          if (total) bar.value = Math.round((loaded / total) * 100);
          barText.textContent = total ? t('upload.sent', { done: fmtBytes(loaded), total: fmtBytes(total) }) : fmtBytes(loaded);
          if (total && loaded >= total) { barText.textContent = t('upload.processing'); sentAll = true; }
        },
      });
      // A large upload is imported in the background (202): its progress is read until it ends.
      const done = r.state ? await follow(r) : r;
      if (!done) return;
      bar.value = 100;
      bar.dataset.done = 'true';
      barText.textContent = t('upload.finished');
      showReport(done);
    } catch (e) {
      if (!ctx.alive) return;
      if (e.name === 'AbortError') {
        // Cut off while the body was still going: nothing of it was imported (the server reads
        // the whole upload before it imports). Once all was sent, the server may be importing.
        bar.value = 0;
        barText.textContent = t(sentAll ? 'upload.cancelledLate' : 'upload.cancelled');
        bar.dataset.done = 'cancelled';
        replace(report);
      } else {
        barText.textContent = '';
        replace(report, h('div', { class: 'error-box', role: 'alert' }, e.message));
      }
    } finally {
      sending = null;
      cancelBtn.hidden = true;
      sendFilesBtn.disabled = !files.length;
      if (sendPasteBtn) sendPasteBtn.disabled = false;
    }
  }

  // Follows background import `imp` until it ends: its report once done; null when cancelled;
  // throws its error when it failed. The cancel button cancels it on the server.
  async function follow(imp) {
    const path = '/projects/' + pid + '/imports/' + imp.id;
    bar.dataset.import = String(imp.id);
    sending = { abort: () => api.request('DELETE', path).catch(() => {}) };
    for (;;) {
      showImport(imp);
      if (imp.state === 'done') return imp.report;
      if (imp.state === 'failed') throw new Error(imp.error ? imp.error.message : t('upload.importFailed'));
      if (imp.state === 'cancelled') {
        bar.value = 0;
        bar.dataset.done = 'cancelled';
        barText.textContent = t('upload.importCancelled');
        replace(report);
        return null;
      }
      if (imp.state === 'storing') cancelBtn.disabled = true;
      await new Promise((ok) => setTimeout(ok, 400));
      if (!ctx.alive) return null;
      imp = await api.get(path);
    }
  }
  function showImport(imp) {
    const pr = imp.progress;
    if (pr.bytes_total) bar.value = Math.round((pr.bytes_read / pr.bytes_total) * 100);
    barText.textContent = imp.state === 'queued' ? t('upload.importQueued')
      : imp.state === 'storing' ? t('upload.importStoring', { items: fmtNumber(pr.items) })
        : t('upload.importing', { read: fmtBytes(pr.bytes_read), total: fmtBytes(pr.bytes_total), lines: fmtNumber(pr.lines_read), items: fmtNumber(pr.items), rejected: fmtNumber(pr.rejected) });
  }

  function sendFiles() {
    if (!files.length) return;
    const fd = new FormData();
    for (const f of files) fd.append('file', f, f.name);
    send(fd);
  }
  function sendPaste() {
    const lines = paste.value.split('\n').map((s) => s.replace(/\r$/, '')).filter((s) => s.trim());
    if (!lines.length) return;
    send(lines.map((text) => JSON.stringify({ text })).join('\n') + '\n', 'application/x-ndjson');
  }

  function showReport(r) {
    const where = (x) => x.source + (x.line ? ':' + x.line : '');
    const lines = [];
    for (const d of r.duplicate_entries || []) {
      lines.push(h('li', { class: 'rep-dup', 'data-kind': 'duplicate' }, h('span', { class: 'rep-where' }, where(d)), ' ', t('upload.duplicateOf', { id: d.item_id })));
    }
    for (const x of r.rejections || []) {
      lines.push(h('li', { class: 'rep-rej', 'data-kind': 'rejected' }, h('span', { class: 'rep-where' }, where(x)), ' ', x.reason));
    }
    replace(report,
      h('section', { class: 'card' },
        h('h2', null, t('upload.report')),
        h('div', { class: 'figures' },
          h('div', { class: 'figure', 'data-fig': 'accepted' }, h('div', { class: 'figure-value' }, fmtNumber(r.accepted)), h('div', { class: 'figure-label' }, t('upload.accepted'))),
          h('div', { class: 'figure', 'data-fig': 'duplicates' }, h('div', { class: 'figure-value' }, fmtNumber(r.duplicates)), h('div', { class: 'figure-label' }, t('upload.duplicates'))),
          h('div', { class: 'figure', 'data-fig': 'rejected' }, h('div', { class: 'figure-value' }, fmtNumber(r.rejected)), h('div', { class: 'figure-label' }, t('upload.rejected')))),
        lines.length ? h('ol', { class: 'report-lines', 'data-testid': 'report-lines' }, lines) : h('p', { class: 'muted' }, t('upload.allAccepted')),
        h('div', { class: 'card-actions' }, h('a', { class: 'btn btn-primary', href: '/p/' + pid }, t('upload.toDashboard')))));
    progress.scrollIntoView({ block: 'start', behavior: 'instant' });
  }
}
