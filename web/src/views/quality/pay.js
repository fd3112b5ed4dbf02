// The quality page's fair pay: each worker's measured active time, earnings and hourly pay
// against the minimum wage, with a suggested price when the median falls below it. A worker
// with too little measured work (a few minutes, a few tasks) gets no hourly figure, and the
// median is taken over the others: an hour's pay from seconds of work is not a fact.
import * as api from '../../api.js';
import { h, replace } from '../../dom.js';
import { t, fmtNumber, fmtMoney } from '../../i18n/index.js';
import { table, MIN_ACTIVE_SECONDS, MIN_PAY_SUBMISSIONS } from '../../widgets.js';

export const enoughWork = (w) => w.active_seconds >= MIN_ACTIVE_SECONDS && w.submissions >= MIN_PAY_SUBMISSIONS;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return null;
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// The summary's figures from the workers with enough work: the server's own when all have it,
// else the median of those that do, and the price at which that pace earns the minimum wage.
function summaryOf(pay) {
  const measured = pay.workers.filter(enoughWork);
  if (measured.length === pay.workers.length) {
    return { median: pay.median_hourly, below: !!pay.below_min_wage, suggested: pay.suggested_price, measured };
  }
  const med = median(measured.map((w) => w.hourly));
  const below = med != null && med < pay.min_wage;
  return { median: med, below, suggested: below && med > 0 ? Math.ceil((pay.price * pay.min_wage) / med) : null, measured };
}

export function paySection(page) {
  const { pid, ctx } = page;
  const el = h('section', { class: 'card table-card' });

  async function load() {
    const pay = await api.get('/projects/' + pid + '/fair-pay', { signal: ctx.signal });
    if (!ctx.alive) return;
    const s = summaryOf(pay);
    const need = t('quality.payNeeds', { min: fmtNumber(MIN_ACTIVE_SECONDS / 60), n: fmtNumber(MIN_PAY_SUBMISSIONS) });
    const summary = pay.workers.length && !s.measured.length
      ? h('p', { class: 'muted', 'data-testid': 'fair-pay-summary', 'data-below': 'false', 'data-sample': 'small' },
        t('quality.payTooLittle'), ' ', need, ' ', t('quality.minWage', { min: fmtMoney(pay.min_wage, pay.currency) }))
      : h('p', { class: s.below ? 'banner banner-reject' : 'muted', 'data-testid': 'fair-pay-summary', 'data-below': String(s.below) },
        t('quality.medianHourly', { pay: s.median == null ? '—' : fmtMoney(s.median, pay.currency), min: fmtMoney(pay.min_wage, pay.currency) }),
        s.measured.length < pay.workers.length ? [' ', t('quality.payLeftOut', { n: fmtNumber(pay.workers.length - s.measured.length) }), ' ', need] : null,
        s.below ? [' ', h('strong', null, t('quality.belowMinWage')), ' ',
          s.suggested != null ? t('quality.suggestedPrice', { price: fmtMoney(s.suggested, pay.currency), now: fmtMoney(pay.price, pay.currency) }) : ''] : null);
    replace(el, h('h2', null, t('quality.fairPay')), summary,
      table([
        { label: t('dash.worker'), cell: (w) => w.username },
        { label: t('quality.activeTime'), num: true, cell: (w) => t('quality.minutes', { n: fmtNumber(Math.round(w.active_seconds / 60)) }) },
        { label: t('dash.submitted'), num: true, cell: (w) => fmtNumber(w.submissions) },
        { label: t('state.approved'), num: true, cell: (w) => fmtNumber(w.approved) },
        { label: t('quality.earned'), num: true, cell: (w) => fmtMoney(w.earned, pay.currency) },
        {
          label: t('quality.hourly'), num: true,
          cell: (w) => (enoughWork(w)
            ? h('span', { class: w.hourly < pay.min_wage ? 'neg' : null, 'data-testid': 'hourly' }, fmtMoney(w.hourly, pay.currency))
            : h('span', { class: 'too-few', 'data-testid': 'hourly', 'data-sample': 'small', title: need }, t('figure.tooLittle'))),
        },
      ], pay.workers, { testid: 'fair-pay', attrs: (w) => ({ 'data-user-id': w.user_id }), empty: t('dash.noWorkers') }));
  }
  return { el, load };
}
