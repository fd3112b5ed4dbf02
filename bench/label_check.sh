#!/usr/bin/env bash
# Label error detection on real data with planted wrong labels (figures in docs/BENCHMARKS.md,
# "Label error detection"): 8% of the rows of the sentiment sentences (text-linear, and
# text-fasttext; multi-label with their site; their spans with spans-linear) and of 3,000
# Fashion-MNIST images (image-hog) get another label at random; `crowdloop trainer check`
# (5 folds) runs once with threshold 0.5, and the precision and recall of the flags are printed
# for each threshold from its flags (a flag at a higher threshold is one over it).
# Knobs: BUILD_DIR (build), BENCH_SHARE (0.08), BENCH_IMAGES (3000).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${BUILD_DIR:-$root/build}")/crowdloop
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash "$root/scripts/demo-data.sh" "$work/demo" >/dev/null
CROWDLOOP_BIN=$bin WORK=$work SHARE=${BENCH_SHARE:-0.08} IMAGES=${BENCH_IMAGES:-3000} \
python3 - "$root/tests/ml" <<'PY'
import os, sys, time
sys.path.insert(0, sys.argv[1])
import label_check_sim as sim

work, share = os.environ["WORK"], float(os.environ["SHARE"])
print("| set | trainer | rows | planted | out-of-fold agreement | threshold | flagged | precision | recall | seconds |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
for kind in ("text", "fasttext", "multi", "spans", "image"):
    data, out = os.path.join(work, kind), os.path.join(work, kind + "-out")
    trainer = sim.make_data(kind, os.path.join(work, "demo", "sentences.jsonl"), data,
                            int(os.environ["IMAGES"]))
    planted = sim.plant(data, share)
    t = time.monotonic()
    result, _ = sim.check(os.environ["CROWDLOOP_BIN"], trainer, data, out, 0.5)
    seconds = time.monotonic() - t
    for threshold in (0.5, 0.6, 0.7, 0.8, 0.9, 0.95):
        kept = dict(result, flags=[f for f in result["flags"] if f["confidence"] >= threshold])
        f = sim.score(kept, planted)
        print("| %s | %s | %d | %d | %.3f | %.2f | %d | %.3f | %.3f | %.1f |" % (
            {"fasttext": "text"}.get(kind, kind), trainer, f["rows"], f["planted"], f["agreement"], threshold, f["flagged"],
            f["precision"], f["recall"], seconds))
PY
