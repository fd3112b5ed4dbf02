// The settings of the kinds that have them, as fields shared by the create form and the
// settings page: llm_preference's criteria, scale, required reason and full ranking;
// llm_response's length range, rubric and its scale; image_transcription's OCR endpoint that
// pre-fills imported images, chosen among the org's endpoints.
import { h } from '../dom.js';
import { t } from '../i18n/index.js';
import { field } from '../widgets.js';
import { DEFAULT_CRITERIA, setting } from '../editors/llm.js';

export const LLM_KINDS = ['llm_preference', 'llm_response'];
// Kinds whose answers are not labels: the project has no label set to give.
export const LABEL_FREE_KINDS = ['llm_preference', 'llm_response', 'image_transcription'];
const MAX_LENGTH = 100000; // the server's largest length.max, in code points
const DEFAULT_LENGTH = { min: 1, max: 10000 }; // a new project's range, as the server's default

const names = (list) => (Array.isArray(list) ? list : []).map((c) => (typeof c === 'string' ? c : c && c.name)).filter(Boolean);
function lineList(textarea) {
  const seen = new Set();
  return textarea.value.split('\n').map((s) => s.trim()).filter((s) => s && !seen.has(s) && seen.add(s));
}

// prefix: the data-testid prefix of the page ('f' on the create form, 's' on settings).
export function kindSettings(prefix) {
  const tid = (name) => prefix + '-' + name;
  const criteria = h('textarea', { rows: 4, 'data-testid': tid('criteria'), placeholder: DEFAULT_CRITERIA.join('\n') });
  const scale = h('select', { 'data-testid': tid('scale') }, h('option', { value: '5' }, t('kinds.scale5')), h('option', { value: '7' }, t('kinds.scale7')));
  const requireReason = h('input', { type: 'checkbox', 'data-testid': tid('require-reason') });
  const rankAll = h('input', { type: 'checkbox', 'data-testid': tid('rank-all') });
  const minLen = h('input', { type: 'number', min: 0, max: MAX_LENGTH, step: 1, 'data-testid': tid('length-min') });
  const maxLen = h('input', { type: 'number', min: 1, max: MAX_LENGTH, step: 1, 'data-testid': tid('length-max') });
  const rubric = h('textarea', { rows: 4, 'data-testid': tid('rubric'), placeholder: DEFAULT_CRITERIA.join('\n') });
  // The org's endpoints when the user may list them; else the name typed (the server checks it).
  const prefillSelect = h('select', { 'data-testid': tid('prefill-endpoint'), hidden: true });
  const prefillText = h('input', { maxlength: 63, 'data-testid': tid('prefill-endpoint-name') });
  let prefillInitial = '';
  let prefillListed = false; // until endpoints() gives the list
  const prefillValue = () => (prefillListed ? prefillSelect.value : prefillText.value.trim());
  const prefillOptions = (names, current) => {
    const all = [...new Set([...names, ...(current ? [current] : [])])];
    prefillSelect.replaceChildren(h('option', { value: '' }, t('kinds.prefillNone')), ...all.map((n) => h('option', { value: n }, n)));
    prefillSelect.value = current || '';
  };
  const ocr = field(t('kinds.prefillEndpoint'), h('div', null, prefillSelect, prefillText), t('kinds.prefillHint'), { 'data-testid': tid('ocr-settings') });

  const scaleField = field(t('kinds.scale'), scale, t('kinds.scaleHint'));
  // Left: the lists and the range; right: the scale and the switches.
  const pref = field(t('kinds.criteria'), criteria, t('kinds.criteriaHint'), { 'data-testid': tid('pref-settings') });
  const prefChecks = h('div', { class: 'check-column' },
    h('label', { class: 'check' }, requireReason, ' ', t('kinds.requireReason')),
    h('label', { class: 'check' }, rankAll, ' ', t('kinds.rankAll')));
  const resp = h('div', { 'data-testid': tid('response-settings') },
    h('div', { class: 'grid-2' }, field(t('kinds.lengthMin'), minLen), field(t('kinds.lengthMax'), maxLen, t('kinds.lengthHint'))),
    field(t('kinds.rubric'), rubric, t('kinds.rubricHint')));
  const el = h('fieldset', { 'data-testid': tid('kind-settings') }, h('legend', null, t('kinds.settings')),
    h('div', { class: 'grid-2' }, h('div', null, pref, resp, ocr), h('div', null, scaleField, prefChecks)));
  let kind = null;

  return {
    el,
    numbers: [minLen, maxLen],
    fields: { criteria, scale, require_reason: requireReason, rank_all: rankAll, length: minLen, rubric },
    // Shows the fields of this kind (none for the others).
    sync(k) {
      kind = k;
      el.hidden = !LLM_KINDS.includes(k) && k !== 'image_transcription';
      scaleField.hidden = !LLM_KINDS.includes(k);
      ocr.hidden = k !== 'image_transcription';
      pref.hidden = k !== 'llm_preference';
      prefChecks.hidden = k !== 'llm_preference';
      resp.hidden = k !== 'llm_response';
    },
    // The fields as a project carries them (a new project: the defaults).
    fill(p = {}) {
      const get = (name) => setting(p, name, null);
      const length = get('length') || DEFAULT_LENGTH;
      criteria.value = names(get('criteria')).join('\n');
      scale.value = String(get('scale') === 7 ? 7 : 5);
      requireReason.checked = !!get('require_reason');
      rankAll.checked = !!get('rank_all');
      minLen.value = length.min != null ? String(length.min) : '';
      maxLen.value = length.max != null ? String(length.max) : '';
      rubric.value = names(get('rubric')).join('\n');
      prefillInitial = get('prefill_endpoint') || '';
      prefillText.value = prefillInitial;
      prefillOptions([], prefillInitial);
    },
    // The org's endpoints to choose from (names), or null when the user may not list them.
    endpoints(list, current = prefillInitial) {
      prefillListed = Array.isArray(list);
      prefillSelect.hidden = !prefillListed;
      prefillText.hidden = prefillListed;
      if (prefillListed) prefillOptions(list, current);
    },
    // A problem with the fields as typed, as a message key (the field focused), or null.
    check() {
      if (kind === 'llm_response' && minLen.value !== '' && maxLen.value !== '' && +minLen.value > +maxLen.value) {
        maxLen.focus();
        return 'kinds.lengthOrder';
      }
      return null;
    },
    // The body's fields for this kind.
    values() {
      const body = {};
      if (kind === 'llm_preference') {
        const list = lineList(criteria);
        body.criteria = (list.length ? list : DEFAULT_CRITERIA).map((name) => ({ name }));
        body.scale = +scale.value;
        body.require_reason = requireReason.checked;
        body.rank_all = rankAll.checked;
      } else if (kind === 'llm_response') {
        // The server takes both bounds together; an empty one is no bound.
        body.length = { min: minLen.value === '' ? 0 : +minLen.value, max: maxLen.value === '' ? MAX_LENGTH : +maxLen.value };
        const list = lineList(rubric);
        body.rubric = (list.length ? list : DEFAULT_CRITERIA).map((name) => ({ name }));
        body.scale = +scale.value;
      } else if (kind === 'image_transcription' && prefillValue() !== prefillInitial) {
        body.prefill_endpoint = prefillValue(); // '' turns the pre-fill off
      }
      return body;
    },
  };
}
