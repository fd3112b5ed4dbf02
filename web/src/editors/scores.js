// Rows of scores from 1 to a scale (a response's rating on a criterion, an answer's rubric),
// worked with the keyboard: Tab reaches a row, a digit or the arrow keys set its score there,
// and a digit moves on to the next row, so that a column of scores is typed in one go.
import { h } from '../dom.js';

// rows: [{key, name}]; opts: scale, editable, onChange(immediate), label(row) (the row's
// accessible name). Answers { el, rows (their elements), get(), set(values), setEditable(b),
// key(e) (true when the key was a focused row's), focusFirst() }. onPastLast() is asked to move
// the focus on from the last row (to the next response's rows, say).
export function scoreRows(rows, { scale, editable = true, onChange = () => {}, label = (r) => r.name, testid = 'score-row', onPastLast = () => {} }) {
  const values = {};
  let canEdit = editable;
  const els = rows.map((row, index) => {
    const buttons = [];
    for (let v = 1; v <= scale; v++) {
      buttons.push(h('button', {
        type: 'button', class: 'score-btn', tabIndex: -1, 'data-score': v, 'aria-pressed': 'false',
        onclick: () => { if (canEdit) setScore(index, v, false); },
      }, String(v)));
    }
    return h('div', {
      class: 'score-row', role: 'group', tabIndex: 0, 'data-testid': testid, 'data-key': row.key,
      'aria-label': label(row),
    }, h('span', { class: 'score-name' }, row.name), h('span', { class: 'score-buttons' }, buttons));
  });

  function mark(index) {
    const v = values[rows[index].key];
    els[index].dataset.value = v || '';
    for (const b of els[index].querySelectorAll('.score-btn')) {
      const on = +b.dataset.score === v;
      b.classList.toggle('on', on);
      b.setAttribute('aria-pressed', on ? 'true' : 'false');
    }
  }

  function setScore(index, v, advance) {
    values[rows[index].key] = Math.min(scale, Math.max(1, v));
    mark(index);
    onChange(true);
    if (!advance) return;
    if (els[index + 1]) els[index + 1].focus();
    else onPastLast();
  }

  function focusedIndex() {
    const a = document.activeElement;
    return els.findIndex((el) => el === a || el.contains(a));
  }

  return {
    el: els,
    rows: els,
    get: () => ({ ...values }),
    set(v) {
      for (const k of Object.keys(values)) delete values[k];
      for (const r of rows) if (v && Number.isInteger(v[r.key])) values[r.key] = v[r.key];
      rows.forEach((_, i) => mark(i));
    },
    setEditable(b) { canEdit = b; for (const el of els) el.classList.toggle('readonly', !b); },
    // A digit from 1 to the scale scores the focused row and moves on; left and right step the
    // score; up and down move between rows.
    key(e) {
      const i = focusedIndex();
      if (i < 0 || e.ctrlKey || e.metaKey || e.altKey) return false;
      const m = /^(?:Digit|Numpad)([1-9])$/.exec(e.code || '') || /^([1-9])$/.exec(e.key);
      const cur = values[rows[i].key] || 0;
      if (m && canEdit) {
        if (+m[1] <= scale) setScore(i, +m[1], true);
        return true;
      }
      if (e.key === 'ArrowRight' && canEdit) { setScore(i, cur + 1, false); return true; }
      if (e.key === 'ArrowLeft' && canEdit) { setScore(i, (cur || 2) - 1, false); return true; }
      if (e.key === 'ArrowDown') { if (els[i + 1]) els[i + 1].focus(); else onPastLast(); return true; }
      if (e.key === 'ArrowUp' && els[i - 1]) { els[i - 1].focus(); return true; }
      return false;
    },
    focusFirst() { if (els[0]) els[0].focus(); },
    // The first row left without a score, or -1.
    missing: () => rows.findIndex((r) => !values[r.key]),
  };
}
