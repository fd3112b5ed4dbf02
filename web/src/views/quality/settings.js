// The quality page's settings: gold and honeypot rates, required courses, promotion and
// demotion thresholds; read-only for those who cannot manage the project.
import * as api from '../../api.js';
import { h, replace, toast } from '../../dom.js';
import { t } from '../../i18n/index.js';
import { field } from '../../widgets.js';

export function settingsSection(page) {
  const { pid, manager, ctx } = page;
  const settingsBox = h('section', { class: 'card' });

  async function loadSettings() {
    const [s, courses] = await Promise.all([
      api.get('/projects/' + pid + '/quality-settings', { signal: ctx.signal }),
      api.list('/courses').catch(() => []),
    ]);
    if (!ctx.alive) return;
    const pct = (key) => h('input', { type: 'number', min: 0, max: 100, step: 'any', value: String(+(s[key] * 100).toFixed(2)), 'data-testid': 's-' + key, disabled: !manager });
    const int = (key) => h('input', { type: 'number', min: 0, step: 1, value: String(s[key]), 'data-testid': 's-' + key, disabled: !manager });
    const bool = (key) => h('input', { type: 'checkbox', checked: !!s[key], 'data-testid': 's-' + key, disabled: !manager });
    const inputs = {
      gold_rate: pct('gold_rate'), honeypot_rate: pct('honeypot_rate'),
      auto_promote: bool('auto_promote'), promote_min_approved: int('promote_min_approved'),
      promote_min_first_pass: pct('promote_min_first_pass'), promote_min_gold: pct('promote_min_gold'),
      promote_min_gold_answers: int('promote_min_gold_answers'),
      auto_demote: bool('auto_demote'), demote_min_checks: int('demote_min_checks'), demote_below: pct('demote_below'),
    };
    const required = new Set(s.required_courses || []);
    const courseBoxes = courses.map((c) => h('input', { type: 'checkbox', value: String(c.id), checked: required.has(c.id), disabled: !manager, 'data-course-id': c.id }));
    const check = (key) => h('label', { class: 'check' }, inputs[key], ' ', t('quality.s.' + key));
    replace(settingsBox, h('h2', null, t('quality.settings')), h('form', {
      'data-testid': 'quality-settings',
      onsubmit: async (e) => {
        e.preventDefault();
        const body = { required_courses: courseBoxes.filter((b) => b.checked).map((b) => +b.value) };
        for (const [k, el] of Object.entries(inputs)) {
          if (el.type === 'checkbox') body[k] = el.checked;
          else if (el.step === '1') body[k] = Math.max(0, Math.round(+el.value || 0));
          else body[k] = Math.min(1, Math.max(0, (+el.value || 0) / 100));
        }
        try {
          await api.patch('/projects/' + pid + '/quality-settings', body);
          toast(t('quality.saved'), 'ok');
          await loadSettings();
        } catch (err) { toast(err.message); }
      },
    },
    h('div', { class: 'grid-4' },
      field(t('quality.s.gold_rate'), inputs.gold_rate, t('quality.s.goldHint')),
      field(t('quality.s.honeypot_rate'), inputs.honeypot_rate, t('quality.s.honeypotHint'))),
    h('fieldset', null, h('legend', null, t('quality.s.promotion')), check('auto_promote'),
      h('div', { class: 'grid-4' },
        field(t('quality.s.promote_min_approved'), inputs.promote_min_approved),
        field(t('quality.s.promote_min_first_pass'), inputs.promote_min_first_pass),
        field(t('quality.s.promote_min_gold'), inputs.promote_min_gold),
        field(t('quality.s.promote_min_gold_answers'), inputs.promote_min_gold_answers))),
    h('fieldset', null, h('legend', null, t('quality.s.demotion')), check('auto_demote'),
      h('div', { class: 'grid-4' },
        field(t('quality.s.demote_min_checks'), inputs.demote_min_checks),
        field(t('quality.s.demote_below'), inputs.demote_below))),
    h('fieldset', { 'data-testid': 's-courses' }, h('legend', null, t('quality.s.required_courses')),
      courses.length ? courses.map((c, i) => h('label', { class: 'check course-check' }, courseBoxes[i], ' ', c.name, ' ', h('span', { class: 'muted small' }, '(' + t('kind.' + c.kind) + ')')))
        : h('p', { class: 'muted' }, t('academy.noCourses'))),
    manager ? h('div', { class: 'card-actions' }, h('button', { type: 'submit', class: 'btn btn-primary', 'data-testid': 's-save' }, t('quality.save'))) : null));
  }
  return { el: settingsBox, load: loadSettings };
}
