// llm_preference: the conversation, then the responses side by side in the order the server
// chose for this task (stacked on a phone). The worker picks the best by its position's key
// (1–9), or marks a tie (T), or, when the project asks for it, ranks them all by pressing the
// positions in order (Backspace takes the last one back); rates each response on the project's
// criteria (Tab to a row, then digits or arrows); and writes a reason.
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { keyIndex, labelKeys } from './common.js';
import { scoreRows } from './scores.js';
import { llmItem, setting, criteriaRows, DEFAULT_CRITERIA, scaleOf, conversation, formatSwitch } from './llm.js';

const MAX_REASON = 10000;

// The responses in the order to show them: the task's response_order, else the item's.
function shownOrder(task, responses) {
  const ids = responses.map((r) => r.id);
  const order = Array.isArray(task.response_order) ? task.response_order.filter((id) => ids.includes(id)) : [];
  return order.length === ids.length ? order : ids;
}

export function createPreferenceEditor(host, side, task, opts) {
  const project = task.project;
  const data = llmItem(task);
  const responses = (Array.isArray(data.responses) ? data.responses : []).filter((r) => r && r.id != null);
  const byId = Object.fromEntries(responses.map((r) => [r.id, r]));
  const order = shownOrder(task, responses);
  const rankAll = !!setting(project, 'rank_all', false);
  const requireReason = !!setting(project, 'require_reason', false);
  const criteria = criteriaRows(setting(project, 'criteria'), DEFAULT_CRITERIA);
  const scale = scaleOf(project);
  const keys = labelKeys(order.length).filter((k) => /[1-9]/.test(k));
  let editable = !!opts.editable;
  let best = null;
  let tie = false;
  let ranking = [];

  const format = formatSwitch();
  const cards = order.map((id, i) => responseCard(id, i));
  const tieBtn = h('button', { type: 'button', class: 'btn tie-btn', 'data-testid': 'pref-tie', 'aria-pressed': 'false', hidden: rankAll, onclick: () => toggleTie() },
    t('pref.tie'), ' ', h('kbd', { class: 'edit-hint' }, 'T'));
  const resetBtn = h('button', { type: 'button', class: 'btn', 'data-testid': 'pref-rank-reset', hidden: !rankAll, onclick: () => setRanking([]) },
    t('pref.rankReset'), ' ', h('kbd', { class: 'edit-hint' }, '⌫'));
  const status = h('span', { class: 'pref-status', 'data-testid': 'pref-status', 'aria-live': 'polite' });
  const reason = h('textarea', {
    class: 'reason-input pref-reason', rows: 3, maxlength: MAX_REASON, 'data-testid': 'pref-reason', 'aria-label': t('pref.reason'),
    placeholder: t(requireReason ? 'pref.reasonRequired' : 'pref.reasonOptional'),
    oninput: () => opts.onChange(false),
  });
  const root = h('div', { class: 'llm-pref', 'data-testid': 'pref-editor' },
    conversation(data),
    h('div', { class: 'llm-responses', style: { '--columns': String(Math.min(order.length, 3)) } }, cards.map((c) => c.el)),
    h('div', { class: 'pref-controls' }, tieBtn, resetBtn, status, h('span', { class: 'spacer' }), format.btn),
    h('label', { class: 'pref-reason-label' }, t('pref.reason'), requireReason ? h('span', { class: 'muted small' }, ' · ', t('pref.required')) : null),
    reason);
  host.appendChild(root);
  const help = h('p', { class: 'muted small edit-hint', 'data-testid': 'pref-help' }, t(rankAll ? 'pref.helpRank' : 'pref.help'));
  side.append(h('div', { class: 'side-title' }, t('pref.criteria')),
    h('ul', { class: 'criteria-list' }, criteria.map((c) => h('li', null, c.name))),
    h('p', { class: 'muted small' }, t('pref.scale', { n: scale })), help);

  function responseCard(id, i) {
    const pickBtn = h('button', {
      type: 'button', class: 'btn btn-sm pick-btn', 'data-testid': 'pref-pick', 'aria-pressed': 'false',
      onclick: () => pick(i),
    }, rankAll ? t('pref.rankNext') : t('pref.best'), ' ', h('kbd', { class: 'edit-hint' }, keys[i] || ''));
    const rank = h('span', { class: 'rank-badge', 'data-testid': 'pref-rank' });
    const scores = scoreRows(criteria, {
      scale, editable, onChange: opts.onChange, testid: 'rating-row',
      label: (c) => t('pref.ratingOf', { n: i + 1, criterion: c.name }),
      // Past a response's last criterion: the next response's first, then the reason.
      onPastLast: () => (cards[i + 1] ? cards[i + 1].scores.focusFirst() : reason.focus()),
    });
    const el = h('section', { class: 'llm-response', 'data-testid': 'pref-response', 'data-response-id': id, 'data-position': i + 1 },
      h('div', { class: 'llm-response-head' }, h('strong', null, t('pref.response', { n: i + 1 })), rank, pickBtn),
      format.part(byId[id].text, { 'data-testid': 'pref-response-text' }),
      h('div', { class: 'ratings' }, scores.el));
    return { id, el, pickBtn, rank, scores };
  }

  function pick(i) {
    if (!editable || !cards[i]) return;
    const id = cards[i].id;
    if (rankAll) {
      setRanking(ranking.includes(id) ? ranking.filter((x) => x !== id) : [...ranking, id]);
      return;
    }
    best = best === id ? null : id;
    if (best) tie = false;
    draw();
    opts.onChange(true);
  }
  function toggleTie() {
    if (!editable || rankAll) return;
    tie = !tie;
    if (tie) best = null;
    draw();
    opts.onChange(true);
  }
  function setRanking(list) {
    if (!editable) return;
    ranking = list;
    draw();
    opts.onChange(true);
  }

  function draw() {
    for (const c of cards) {
      const place = ranking.indexOf(c.id);
      const on = rankAll ? place >= 0 : best === c.id;
      c.el.classList.toggle('best', rankAll ? place === 0 && ranking.length === cards.length : on);
      c.el.classList.toggle('tie', tie);
      c.pickBtn.classList.toggle('on', on);
      c.pickBtn.setAttribute('aria-pressed', on ? 'true' : 'false');
      c.rank.textContent = rankAll && place >= 0 ? '#' + (place + 1) : !rankAll && best === c.id ? t('pref.chosen') : '';
      c.el.dataset.rank = place >= 0 ? String(place + 1) : '';
    }
    tieBtn.classList.toggle('on', tie);
    tieBtn.setAttribute('aria-pressed', tie ? 'true' : 'false');
    status.textContent = rankAll ? t('pref.rankedOf', { k: ranking.length, n: cards.length })
      : tie ? t('pref.isTie') : best ? t('pref.bestIs', { n: order.indexOf(best) + 1 }) : t('pref.noneYet');
  }

  function get() {
    const ratings = {};
    for (const c of cards) ratings[c.id] = c.scores.get();
    const ann = { best: rankAll ? (ranking.length === cards.length ? ranking[0] : null) : best };
    if (rankAll) ann.ranking = [...ranking];
    else ann.tie = tie;
    ann.ratings = ratings;
    ann.reason = reason.value;
    ann.order = [...order];
    return ann;
  }

  function set(ann) {
    const a = ann || {};
    best = !rankAll && byId[a.best] ? a.best : null;
    tie = !rankAll && !best && a.tie === true;
    ranking = rankAll && Array.isArray(a.ranking) ? a.ranking.filter((id) => byId[id]) : [];
    for (const c of cards) c.scores.set(a.ratings && a.ratings[c.id]);
    reason.value = typeof a.reason === 'string' ? a.reason : '';
    draw();
  }

  function setEditable(b) {
    editable = b;
    root.classList.toggle('editing', b);
    help.hidden = !b;
    reason.readOnly = !b;
    for (const c of cards) { c.scores.setEditable(b); c.pickBtn.disabled = !b; }
    tieBtn.disabled = !b;
    resetBtn.disabled = !b;
  }

  // R: the first rating row without a score (else the first row).
  function focusRatings() {
    const c = cards.find((x) => x.scores.missing() >= 0);
    if (c) c.scores.rows[c.scores.missing()].focus();
    else if (cards[0]) cards[0].scores.focusFirst();
  }

  // What is still missing, as a message key; the row to fill gets the focus.
  function validate() {
    if (!cards.length) return 'pref.noResponses';
    if (rankAll && ranking.length !== cards.length) return 'pref.rankAll';
    if (!rankAll && !best && !tie) return 'pref.pickBest';
    for (const c of cards) {
      const i = c.scores.missing();
      if (i >= 0) { c.scores.rows[i].focus(); return 'pref.rateAll'; }
    }
    if (requireReason && !reason.value.trim()) { reason.focus(); return 'pref.needReason'; }
    return null;
  }

  set(task.annotation);
  setEditable(editable);

  return {
    get, set, setEditable, validate,
    keysHelp: rankAll ? 'pref.keysRank' : 'pref.keys',
    viewKey: (e) => (e.code === 'KeyM' || e.key === 'm') && (format.toggle(), true),
    key(e, field) {
      if (field) {
        if (e.key === 'Escape' && e.target === reason) { reason.blur(); return true; }
        return false;
      }
      for (const c of cards) if (c.scores.key(e)) return true;
      if (!e.ctrlKey && !e.metaKey && !e.altKey && (e.code === 'KeyM' || e.key === 'm')) { format.toggle(); return true; }
      if (!editable) return false;
      const i = keyIndex(e, keys);
      if (i >= 0) { pick(i); return true; }
      if (e.ctrlKey || e.metaKey || e.altKey) return false;
      if ((e.key === 't' || e.key === 'T' || e.code === 'KeyT') && !rankAll) { toggleTie(); return true; }
      if (e.key === 'Backspace' && rankAll && ranking.length) { setRanking(ranking.slice(0, -1)); return true; }
      if (e.code === 'KeyR' || e.key === 'r') { focusRatings(); return true; }
      return false;
    },
    destroy() {},
  };
}
