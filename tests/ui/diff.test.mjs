// The answer editor's word diff (web/src/editors/diff.js): what it keeps, removes and adds, and
// that each side of the diff gives its text back whole, for short and very long texts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const src = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'src');
const { diffWords, diffCounts } = await import(pathToFileURL(path.join(src, 'editors', 'diff.js')));

const side = (parts, skip) => parts.filter((p) => p.op !== skip).map((p) => p.text).join('');
const ops = (parts) => parts.map((p) => p.op + p.text);

test('a replaced word, an insertion and a removal', () => {
  assert.deepEqual(ops(diffWords('The capital is Lyon.', 'The capital is Paris.')), ['=The capital is ', '-Lyon.', '+Paris.']);
  assert.deepEqual(ops(diffWords('a c', 'a b c')), ['=a ', '+b ', '=c']);
  assert.deepEqual(ops(diffWords('a b c', 'a c')), ['=a ', '-b ', '=c']);
  assert.deepEqual(ops(diffWords('same text', 'same text')), ['=same text']);
  assert.deepEqual(ops(diffWords('', 'new')), ['+new']);
  assert.deepEqual(ops(diffWords('old', '')), ['-old']);
});

test('Korean and line breaks are words like any other', () => {
  const parts = diffWords('서울은 한국의\n수도입니다.', '서울은 대한민국의\n수도입니다.');
  assert.deepEqual(ops(parts), ['=서울은 ', '-한국의\n', '+대한민국의\n', '=수도입니다.']);
  assert.deepEqual(diffCounts(parts), { added: 1, removed: 1 });
});

test('each side of the diff is its text, short or past the comparison limit', () => {
  const words = (n, w) => Array.from({ length: n }, (_, i) => w + (i % 7)).join(' ');
  const cases = [
    ['one two three four', 'zero one three four five'],
    [words(50, 'x'), words(40, 'x') + ' tail'],
    // Past 1500 words a side the middle is compared as a whole: removed, then added.
    ['head ' + words(2000, 'a') + ' end', 'head ' + words(1800, 'b') + ' end'],
  ];
  for (const [before, after] of cases) {
    const parts = diffWords(before, after);
    assert.equal(side(parts, '+'), before);
    assert.equal(side(parts, '-'), after);
  }
  const big = diffWords('head ' + words(2000, 'a') + ' end', 'head ' + words(1800, 'b') + ' end');
  assert.deepEqual(big.map((p) => p.op), ['=', '-', '+', '=']);
});
