// The quality page's fair pay: each worker's measured active time, earnings and hourly pay
// against the minimum wage, with a suggested price when the median falls below it.
import * as api from '../../api.js';
import { h, replace } from '../../dom.js';
import { t, fmtNumber, fmtMoney } from '../../i18n/index.js';
import { table } from '../../widgets.js';

export function paySection(page) {
  const { pid, ctx } = page;
  const el = h('section', { class: 'card table-card' });

  async function load() {
    const pay = await api.get('/projects/' + pid + '/fair-pay', { signal: ctx.signal });
    if (!ctx.alive) return;
    replace(el, h('h2', null, t('quality.fairPay')),
      h('p', { class: pay.below_min_wage ? 'banner banner-reject' : 'muted', 'data-testid': 'fair-pay-summary', 'data-below': String(!!pay.below_min_wage) },
        t('quality.medianHourly', { pay: pay.median_hourly == null ? '—' : fmtMoney(pay.median_hourly, pay.currency), min: fmtMoney(pay.min_wage, pay.currency) }),
        pay.below_min_wage ? [' ', h('strong', null, t('quality.belowMinWage')), ' ',
          pay.suggested_price != null ? t('quality.suggestedPrice', { price: fmtMoney(pay.suggested_price, pay.currency), now: fmtMoney(pay.price, pay.currency) }) : ''] : null),
      table([
        { label: t('dash.worker'), cell: (w) => w.username },
        { label: t('quality.activeTime'), num: true, cell: (w) => t('quality.minutes', { n: fmtNumber(Math.round(w.active_seconds / 60)) }) },
        { label: t('dash.submitted'), num: true, cell: (w) => fmtNumber(w.submissions) },
        { label: t('state.approved'), num: true, cell: (w) => fmtNumber(w.approved) },
        { label: t('quality.earned'), num: true, cell: (w) => fmtMoney(w.earned, pay.currency) },
        { label: t('quality.hourly'), num: true, cell: (w) => h('span', { class: w.hourly < pay.min_wage ? 'neg' : null }, fmtMoney(w.hourly, pay.currency)) },
      ], pay.workers, { testid: 'fair-pay', attrs: (w) => ({ 'data-user-id': w.user_id }), empty: t('dash.noWorkers') }));
  }
  return { el, load };
}
