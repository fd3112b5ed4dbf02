// A word-level diff of an edit against its original, for the answer editor: the longest common
// subsequence of the two texts' words (whitespace kept with the word before it), as runs of
// kept, removed and added text. Texts past LIMIT words each are compared by their common head
// and tail only, so that a long answer never costs more than LIMIT² steps.
const LIMIT = 1500;

// Words with their trailing whitespace, so that joining them gives the text back.
export function words(text) {
  return String(text).match(/\s+|\S+\s*/g) || [];
}

// [{op: '=' | '-' | '+', text}], neighbours of one op joined.
export function diffWords(before, after) {
  const a = words(before);
  const b = words(after);
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const ops = [];
  for (const w of a.slice(0, head)) ops.push(['=', w]);
  if (midA.length > LIMIT || midB.length > LIMIT) {
    for (const w of midA) ops.push(['-', w]);
    for (const w of midB) ops.push(['+', w]);
  } else {
    ops.push(...lcsOps(midA, midB));
  }
  for (const w of a.slice(a.length - tail)) ops.push(['=', w]);
  return merge(ops);
}

// The edit script of a against b by their longest common subsequence: removals before the
// additions that replace them.
function lcsOps(a, b) {
  const n = a.length;
  const m = b.length;
  const len = Array.from({ length: n + 1 }, () => new Uint16Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      len[i][j] = a[i] === b[j] ? len[i + 1][j + 1] + 1 : Math.max(len[i + 1][j], len[i][j + 1]);
    }
  }
  const ops = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (a[i] === b[j]) { ops.push(['=', a[i]]); i++; j++; }
    else if (len[i + 1][j] >= len[i][j + 1]) ops.push(['-', a[i++]]);
    else ops.push(['+', b[j++]]);
  }
  while (i < n) ops.push(['-', a[i++]]);
  while (j < m) ops.push(['+', b[j++]]);
  return ops;
}

function merge(ops) {
  const out = [];
  for (const [op, text] of ops) {
    const last = out[out.length - 1];
    if (last && last.op === op) last.text += text;
    else out.push({ op, text });
  }
  return out;
}

// How many words the edit removed and added.
export function diffCounts(parts) {
  const count = (op) => parts.filter((p) => p.op === op).reduce((n, p) => n + words(p.text).filter((w) => w.trim()).length, 0);
  return { removed: count('-'), added: count('+') };
}
