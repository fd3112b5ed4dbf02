// The quality page's gold items (managers only: the answers never reach workers) and a form to
// add one. A text project's gold is a new text; an image project's marks an item it already
// has (typed, or picked from its latest images). The answer is picked on the label buttons for
// classification, else drawn with the project's own editor as workers label: spans marked on
// the typed text, boxes drawn on the item's image.
import * as api from '../../api.js';
import { h, replace, toast } from '../../dom.js';
import { t, fmtNumber } from '../../i18n/index.js';
import { createEditor } from '../../editors/index.js';
import { labelPalette } from '../../editors/common.js';
import { table, field } from '../../widgets.js';
import { answerText } from './common.js';

const ON_ITEM_KINDS = ['image_bbox', 'image_transcription', 'llm_preference'];
const NO_GOLD_KINDS = ['llm_response'];
const HINTS = { image_bbox: 'gold.boxesHint', image_transcription: 'gold.linesHint', llm_preference: 'gold.prefHint' };

export function goldSection(page) {
  const { pid, project, ctx } = page;
  const el = h('section', { class: 'card table-card', 'data-testid': 'gold-box' });
  const goldList = h('div');
  // Kinds whose gold answer is given on an item the project has, with the project's editor
  // (boxes or lines drawn on its image, responses compared), rather than on a text typed here.
  const onItem = ON_ITEM_KINDS.includes(project.kind);
  const itemType = project.kind.startsWith('image_') ? 'image' : 'text';
  const isText = itemType === 'text' && !onItem;
  const classify = project.kind.endsWith('_class');
  let goldEditor = null; // the open span or box editor of the gold form, if any
  ctx.onCleanup(() => { if (goldEditor) goldEditor.destroy(); goldEditor = null; });
  // Keys go to the editor only from the editor itself or the page, never from another control.
  ctx.onKey((e, inField) => !!goldEditor && (e.target === document.body || goldEditor.host.contains(e.target))
    && goldEditor.key(e, inField) === true);

  function goldForm() {
    const item = isText
      ? h('textarea', { rows: 3, required: true, maxlength: 65536, 'data-testid': 'gold-text' })
      : h('input', { type: 'number', min: 1, step: 1, required: true, 'data-testid': 'gold-item-id', class: 'inline-input' });
    let picked = new Set();
    const palette = classify ? labelPalette(project.labels, {
      multi: project.multi_label, title: t('academy.answer'),
      onPick: (label) => {
        if (project.multi_label) { if (picked.has(label)) picked.delete(label); else picked.add(label); }
        else picked = new Set([label]);
        palette.mark(picked);
      },
    }) : null;
    if (palette) palette.el.classList.add('palette-inline');
    const explanation = h('textarea', { rows: 2, maxlength: 4000, 'data-testid': 'gold-explanation' });
    const error = h('p', { class: 'form-error', role: 'alert', 'data-testid': 'gold-error' });

    // The editor: shown for the text as typed (text_spans) or the item given (image_bbox).
    const spans = project.kind === 'text_spans';
    const host = h('div', { class: 'gold-editor', 'data-testid': 'gold-editor', hidden: true });
    let opening = 0; // the latest open; an older one that finishes late is dropped
    function closeEditor() {
      opening++;
      if (goldEditor) goldEditor.destroy();
      goldEditor = null;
      replace(host);
      host.hidden = true;
      if (spans) { item.readOnly = false; step.textContent = t('gold.markSpans'); }
    }
    async function openEditor() {
      closeEditor();
      replace(error);
      const n = ++opening;
      let it;
      if (spans) {
        if (!item.value.trim()) { item.reportValidity(); return false; }
        it = { type: 'text', text: item.value };
      } else {
        const id = Math.round(+item.value);
        if (!(id > 0)) { item.reportValidity(); return false; }
        try { it = await api.get('/items/' + id, { signal: ctx.signal }); } catch (err) {
          if (n === opening && ctx.alive) replace(error, err.message);
          return false;
        }
        if (n !== opening || !ctx.alive) return false;
        if (it.project_id !== project.id || it.type !== itemType) { replace(error, t(itemType === 'image' ? 'gold.notImage' : 'gold.notItem')); return false; }
      }
      const data = h('div', { class: 'gold-editor-data' });
      const side = h('div', { class: 'gold-editor-side' });
      replace(host, data, side);
      host.hidden = false;
      host.dataset.for = spans ? '' : String(it.id);
      try {
        const ed = await createEditor(data, side, { id: 'gold', item: it, project, annotation: null }, { editable: true, onChange: () => {} });
        if (n !== opening || !ctx.alive) { ed.destroy(); return false; }
        goldEditor = { ...ed, host, itemId: it.id };
      } catch (err) {
        if (n === opening) { replace(host); host.hidden = true; replace(error, err.message); }
        return false;
      }
      if (spans) { item.readOnly = true; step.textContent = t('gold.editText'); }
      return true;
    }
    // text_spans: one button marks spans on the text, then gives the text back to edit (which
    // drops the spans: their offsets belong to the old text).
    const step = spans ? h('button', {
      type: 'button', class: 'btn', 'data-testid': 'gold-mark',
      onclick: () => { if (goldEditor) { closeEditor(); item.focus(); } else openEditor(); },
    }, t('gold.markSpans')) : null;
    // image_bbox, image_transcription, llm_preference: the item given, or one picked from the
    // project's latest.
    const boxes = onItem;
    const pick = boxes ? h('select', {
      class: 'inline-input', hidden: true, 'data-testid': 'gold-pick', 'aria-label': t('gold.pick'),
      onchange: () => { if (pick.value) { item.value = pick.value; openEditor(); } },
    }) : null;
    if (boxes) {
      api.get('/projects/' + pid + '/items?type=' + itemType + '&limit=20&sort=-id', { signal: ctx.signal }).then((r) => {
        const list = r.items || [];
        replace(pick, h('option', { value: '' }, t(itemType === 'image' ? 'gold.pick' : 'gold.pickItem')),
          list.map((x) => h('option', { value: String(x.id) }, '#' + x.id + (x.width ? ' · ' + x.width + '×' + x.height : ''))));
        pick.hidden = !list.length;
      }, () => {});
      item.addEventListener('input', () => { if (goldEditor && String(goldEditor.itemId) !== item.value) closeEditor(); });
    }
    const show = boxes ? h('button', { type: 'button', class: 'btn', 'data-testid': 'gold-load', onclick: () => openEditor() }, t(itemType === 'image' ? 'gold.showImage' : 'gold.showItem')) : null;

    return h('form', {
      class: 'subform', 'data-testid': 'gold-form',
      onsubmit: async (e) => {
        e.preventDefault();
        replace(error);
        let answer;
        if (classify) answer = { labels: project.labels.filter((l) => picked.has(l)) };
        else {
          // Not drawn yet (Enter in the field, say): open the editor rather than add an empty answer.
          if (!goldEditor || (boxes && String(goldEditor.itemId) !== String(Math.round(+item.value)))) { await openEditor(); return; }
          answer = goldEditor.get();
        }
        const entry = isText ? { text: item.value, answer } : { item_id: Math.round(+item.value), answer };
        if (explanation.value.trim()) entry.explanation = explanation.value;
        try {
          await api.post('/projects/' + pid + '/gold', { items: [entry] });
          toast(t('gold.added'), 'ok');
          closeEditor();
          item.value = '';
          if (pick) pick.value = '';
          explanation.value = '';
          picked = new Set();
          if (palette) palette.mark(picked);
          await Promise.all([load(), page.reloadFigures()]);
        } catch (err) { replace(error, err.message); }
      },
    },
    h('h3', null, t('gold.add')),
    field(isText ? t('academy.questionText') : t('gold.itemId'), item),
    spans ? h('div', { class: 'inline-form' }, step, h('span', { class: 'hint' }, t('gold.spansHint'))) : null,
    boxes ? h('div', { class: 'inline-form' }, pick, show, h('span', { class: 'hint' }, t(HINTS[project.kind]))) : null,
    classify ? h('div', { class: 'field', 'data-testid': 'gold-answer' }, palette.el) : host,
    field(t('gold.explanation'), explanation),
    error,
    h('div', { class: 'card-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 'gold-submit' }, t('gold.addSubmit'))));
  }

  async function load() {
    const list = await api.list('/projects/' + pid + '/gold', 5000);
    if (!ctx.alive) return;
    replace(goldList, table([
      { label: t('quality.item'), class: 'reason-cell', cell: (g) => h('span', { 'data-testid': 'gold-item' }, g.type === 'text' && g.text != null ? g.text : '#' + g.item_id) },
      { label: t('academy.answer'), cell: (g) => h('span', { 'data-testid': 'gold-answer-text' }, answerText(g.answer)) },
      { label: t('gold.explanationCol'), class: 'reason-cell', cell: (g) => h('span', { 'data-testid': 'gold-explanation-text' }, g.explanation || '') },
      { label: t('gold.answers'), num: true, cell: (g) => fmtNumber(g.answers) },
      { label: t('quality.correct'), num: true, cell: (g) => h('span', { 'data-testid': 'gold-correct' }, fmtNumber(g.correct)) },
    ], list, { testid: 'gold', attrs: (g) => ({ 'data-item-id': g.item_id }), empty: t('gold.none') }));
  }

  // Free text has no one right answer: such a project takes no gold items.
  const form = NO_GOLD_KINDS.includes(project.kind) ? h('p', { class: 'muted', 'data-testid': 'gold-none-for-kind' }, t('gold.noneForKind')) : goldForm();
  replace(el, h('h2', null, t('quality.goldItems')), h('p', { class: 'hint' }, t('gold.hint')), goldList, form);
  return { el, load };
}
