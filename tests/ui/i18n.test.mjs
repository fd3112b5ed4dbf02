// The string tables: English and Korean hold the same keys with the same {placeholders}, no
// empty string, and every key the code asks for by name exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'src');
const en = (await import(pathToFileURL(path.join(src, 'i18n', 'en.js')))).default;
const ko = (await import(pathToFileURL(path.join(src, 'i18n', 'ko.js')))).default;
const holes = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

test('en and ko have the same keys and placeholders', () => {
  assert.deepEqual(Object.keys(ko).sort(), Object.keys(en).sort());
  for (const k of Object.keys(en)) {
    assert.ok(en[k].trim() && ko[k].trim(), 'empty string for ' + k);
    assert.deepEqual(holes(ko[k]), holes(en[k]), 'placeholders of ' + k);
  }
});

test('Korean strings use the glossary words', () => {
  const want = { 'label.submit': '제출', 'review.approve': '승인', 'review.reject': '반려', 'label.reason': '반려 사유',
    'state.rework': '재작업', 'review.fixApprove': '수정 후 승인', 'state.escalated': '관리자 확인 필요', 'guide.title': '작업 가이드',
    'fig.earnings': '수익', 'label.skip': '건너뛰기', 'role.reviewer': '검수자', 'role.worker': '작업자' };
  for (const [k, v] of Object.entries(want)) assert.equal(ko[k], v, k);
});

test('every key the code names exists', () => {
  const files = [];
  const walk = (d) => {
    for (const f of readdirSync(d)) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.js') && !p.includes(path.sep + 'i18n' + path.sep)) files.push(p);
    }
  };
  walk(src);
  const missing = [];
  for (const f of files) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\bt\('([a-zA-Z0-9_.]+)'/g)) {
      if (!m[1].endsWith('.') && !(m[1] in en)) missing.push(path.basename(f) + ': ' + m[1]);
    }
  }
  assert.deepEqual(missing, []);
  // Keys made from data: kinds, states, statuses, roles, events, templates.
  for (const k of ['text_class', 'image_class', 'image_bbox', 'text_spans']) assert.ok(('kind.' + k) in en && ('kind.' + k + '.desc') in en);
  for (const s of ['open', 'assigned', 'submitted', 'in_review', 'rework', 'approved', 'escalated', 'discarded']) assert.ok(('state.' + s) in en, s);
  for (const s of ['draft', 'open', 'paused', 'closed']) assert.ok(('status.' + s) in en, s);
  for (const e of ['claim', 'submit', 'release', 'lease_expired', 'review_claim', 'review_lease_expired', 'approve', 'reject', 'fix', 'escalate', 'resolve_approve', 'discard', 'auto_approve']) assert.ok(('event.' + e) in en, e);
});
