// UI strings: one table per language (en.js, ko.js) with the same keys. t('key', {n: 3})
// fills {n}. The language is the user's choice, else the browser's, else Korean.
import en from './en.js';
import ko from './ko.js';

export const LANGS = { ko: '한국어', en: 'English' };
const tables = { en, ko };
const STORE_KEY = 'crowdloop.lang';

function initial() {
  try {
    const saved = localStorage.getItem(STORE_KEY);
    if (saved && tables[saved]) return saved;
  } catch { /* storage off */ }
  const langs = navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language || ''];
  for (const l of langs) {
    const base = String(l).toLowerCase().slice(0, 2);
    if (base === 'ko') return 'ko';
    if (base === 'en') return 'en';
  }
  return 'ko';
}

let lang = initial();
document.documentElement.lang = lang;

export function getLang() { return lang; }
export function setLang(l) {
  if (!tables[l]) return;
  lang = l;
  document.documentElement.lang = l;
  try { localStorage.setItem(STORE_KEY, l); } catch { /* storage off */ }
}

export function t(key, params) {
  let s = tables[lang][key];
  if (s === undefined) s = en[key];
  if (s === undefined) return key;
  if (params) s = s.replace(/\{(\w+)\}/g, (m, k) => (params[k] !== undefined ? String(params[k]) : m));
  return s;
}

export const locale = () => (lang === 'ko' ? 'ko-KR' : 'en-US');

export function fmtNumber(n) {
  return new Intl.NumberFormat(locale()).format(n ?? 0);
}

// Money is an integer count of minor units of the org's currency.
export function fmtMoney(minor, currency = 'KRW') {
  try {
    const f = new Intl.NumberFormat(locale(), { style: 'currency', currency });
    const digits = f.resolvedOptions().maximumFractionDigits;
    return f.format((minor ?? 0) / 10 ** digits);
  } catch {
    return fmtNumber(minor) + ' ' + currency;
  }
}

// The decimals a currency's minor unit has (KRW 0, USD 2).
export function currencyDigits(currency = 'KRW') {
  try { return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits; } catch { return 0; }
}

// An amount typed in major units ("12.50") as an integer of minor units.
export function toMinor(value, currency) {
  return Math.round(Math.max(0, Number(value) || 0) * 10 ** currencyDigits(currency));
}

// A Wilson interval {k, n, p, lo, hi} as "99.2% (98.6–99.6), n=800", or "—" with no data.
export function fmtInterval(iv) {
  if (!iv || !iv.n || iv.p == null) return '—';
  const f = new Intl.NumberFormat(locale(), { minimumFractionDigits: 1, maximumFractionDigits: 1 });
  return f.format(iv.p * 100) + '% (' + f.format(iv.lo * 100) + '–' + f.format(iv.hi * 100) + '), n=' + fmtNumber(iv.n);
}

export function fmtPercent(x) {
  if (x === null || x === undefined) return '—';
  return new Intl.NumberFormat(locale(), { style: 'percent', maximumFractionDigits: 1 }).format(x);
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return new Intl.DateTimeFormat(locale(), { dateStyle: 'short', timeStyle: 'short' }).format(d);
}

export function fmtHour(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return String(iso);
  return new Intl.DateTimeFormat(locale(), { hour: '2-digit', minute: '2-digit' }).format(d);
}
