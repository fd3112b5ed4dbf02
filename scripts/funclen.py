#!/usr/bin/env python3
"""Function length across src/ (`python3 scripts/funclen.py [DIR]`): the median and 90th percentile of lines per function, overall
and per folder. A function runs from the first line of its signature to the "}" in column 0 that closes its
body (.clang-format puts the opening "{" alone in column 0), both counted."""
import os, re, statistics, sys

def lengths(path):
    out = []
    start = None
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = f.read().split("\n")
    for i, line in enumerate(lines):
        if line == "{" and i > 0 and re.search(r"\)\s*$|\)\s*__attribute__", lines[i-1] + " ") :
            start = i - 1
            while start > 0 and lines[start-1].strip() and not re.match(r"\s*(/\*|\*|//|#|})", lines[start-1]) \
                    and not lines[start-1].rstrip().endswith((";", "*/")):
                start -= 1
        elif line.startswith("}") and start is not None and not line.startswith("};"):
            out.append(i - start + 1)
            start = None
    return out

def pct(v, p):
    v = sorted(v)
    k = max(0, min(len(v)-1, int(round(p/100*(len(v)))) - 1))
    return v[k]

root = sys.argv[1] if len(sys.argv) > 1 else "src"
by = {}
for d, _, files in os.walk(root):
    for n in files:
        if n.endswith(".c"):
            by.setdefault(os.path.relpath(d, root), []).extend(lengths(os.path.join(d, n)))
allv = [x for v in by.values() for x in v]
print("%-10s %6s %6s %6s %6s" % ("folder", "funcs", "median", "p90", "max"))
for k in sorted(by):
    v = by[k]
    if v:
        print("%-10s %6d %6g %6d %6d" % (k, len(v), statistics.median(v), pct(v, 90), max(v)))
print("%-10s %6d %6g %6d %6d" % ("all", len(allv), statistics.median(allv), pct(allv, 90), max(allv)))
