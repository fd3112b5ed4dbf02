#!/usr/bin/env bash
# The built-in trainers against the command-line tools they are measured by (figures in
# docs/BENCHMARKS.md, "Built-in trainers"):
#   text: crowdloop's text-linear and text-fasttext against Debian's `fasttext supervised` and
#         `liblinear-train -s 0`, untuned and tuned, on the same split of Debian 12's package
#         descriptions labelled with their archive sections (bench/text_corpus.py: ~56,000
#         documents, 25 classes);
#   image: image-hog on all of Fashion-MNIST (60,000 train, 10,000 test, as PNG files).
# Each row: test accuracy, train time (crowdloop: its train_seconds metric, with the training's
# CPU time, train_cpu_seconds, in brackets; the tools: the wall time of their training command),
# the CPU time of the whole command (user + system; crowdloop's includes reading the data and
# predicting the test split) and peak RSS (/usr/bin/time's maximum resident set size). On a
# shared machine the CPU time is the steadier figure.
# Knobs: BUILD_DIR (build), BENCH_CPUS (2: --cpus and -thread), BENCH_DIR (kept data; default a
# temporary folder), BENCH_TEXT=0 or BENCH_IMAGE=0 to skip a part.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=$(realpath "${BUILD_DIR:-$root/build}")/crowdloop
cpus=${BENCH_CPUS:-2}
work=${BENCH_DIR:-$(mktemp -d)}
mkdir -p "$work"
[ -n "${BENCH_DIR:-}" ] || trap 'rm -rf "$work"' EXIT
for tool in fasttext liblinear-train liblinear-predict /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/trainers.sh needs $tool (fasttext, liblinear-tools, time)" >&2; exit 1; }
done

row() { printf '| %-50s | %8s | %9s | %7s | %8s |\n' "$@"; }
# timed OUT CMD...: runs CMD with its output in OUT.log; sets $wall and $cpu (s), $rss (MB).
timed() {
  local out=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$out.time" "$@" >"$out.log" 2>&1
  local user sys rss_kb
  read -r wall user sys rss_kb <"$out.time"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN{printf "%.1f", u + s}')
  rss=$((rss_kb / 1024))
}
# crowdloop NAME TRAINER DATA [PARAMS...]: a crowdloop trainer's row.
crowdloop() {
  local name=$1 trainer=$2 data=$3; shift 3
  local args=()
  for p in "$@"; do args+=(--param "$p"); done
  timed "$work/$name" "$bin" trainer run --trainer "$trainer" --data "$data" \
    --output "$work/$name" --cpus "$cpus" "${args[@]}"
  local acc secs
  acc=$(python3 -c 'import json,sys; print("%.4f" % json.load(open(sys.argv[1]))["accuracy"])' "$work/$name/evaluation.json")
  secs=$(sed -n 's/^CROWDLOOP_METRIC train_seconds=\([0-9.]*\).*/\1/p' "$work/$name.log")
  # The training's own CPU time (train_cpu_seconds) beside its wall time.
  tcpu=$(sed -n 's/^CROWDLOOP_METRIC train_cpu_seconds=\([0-9.]*\).*/\1/p' "$work/$name.log")
  row "crowdloop $trainer ${*:-(defaults)}" "$acc" "$secs ($tcpu CPU)" "$cpu" "$rss"
}

text_bench() {
  local c=$work/text
  [ -s "$c/test.svm" ] || apt-cache dumpavail | python3 "$root/bench/text_corpus.py" "$c"
  echo "corpus: $(wc -l <"$c/train.txt") train, $(wc -l <"$c/test.txt") test documents"
  row "text: who, params" "accuracy" "train (s)" "CPU (s)" "RSS (MB)"
  crowdloop text-linear text-linear "$c/data"
  crowdloop text-linear-chars text-linear "$c/data" char_ngrams=4
  crowdloop text-fasttext text-fasttext "$c/data"
  # fastText untuned (its defaults), then tuned as its tutorial tunes: lr 1.0, 25 epochs, bigrams.
  local ft
  for ft in "untuned:" "tuned:-lr 1.0 -epoch 25 -wordNgrams 2"; do
    # shellcheck disable=SC2086
    timed "$work/ft-${ft%%:*}" fasttext supervised -input "$c/train.txt" -output "$work/ft-${ft%%:*}" \
      -thread "$cpus" -verbose 0 ${ft#*:}
    local acc
    acc=$(fasttext test "$work/ft-${ft%%:*}.bin" "$c/test.txt" | awk '/^P@1/{printf "%.4f", $2}')
    row "fasttext CLI ${ft%%:*} ${ft#*:}" "$acc" "$wall" "$cpu" "$rss"
  done
  # liblinear untuned (-s 0, C 1), then tuned: C 10, the value text-linear's default took from
  # the sentiment sentences, or with BENCH_LL_SEARCH=1 the C of liblinear's own 5-fold search
  # (-C; slow: over 3 CPU minutes here before it was stopped).
  timed "$work/ll-untuned" liblinear-train -q -s 0 "$c/train.svm" "$work/ll-untuned.model"
  row "liblinear-train -s 0" "$(ll_accuracy "$work/ll-untuned.model")" "$wall" "$cpu" "$rss"
  local best=10
  if [ "${BENCH_LL_SEARCH:-0}" = 1 ]; then
    liblinear-train -q -C -s 0 "$c/train.svm" >"$work/ll-search.log"
    best=$(awk '/Best C/{for(i=1;i<=NF;i++) if($i=="C") {print $(i+2); exit}}' "$work/ll-search.log")
  fi
  timed "$work/ll-tuned" liblinear-train -q -s 0 -c "$best" "$c/train.svm" "$work/ll-tuned.model"
  row "liblinear-train -s 0 -c $best" "$(ll_accuracy "$work/ll-tuned.model")" "$wall" "$cpu" "$rss"
}

ll_accuracy() {
  liblinear-predict "$work/text/test.svm" "$1" "$work/ll.out" |
    sed -n 's/^Accuracy = \([0-9.]*\)%.*/\1/p' | awk '{printf "%.4f", $1 / 100}'
}

image_bench() {
  local d=$work/fashion
  [ -s "$d/rows.jsonl" ] || python3 "$root/tests/ml/datasets.py" fashion "$d" 60000 10000
  row "image: who, params" "accuracy" "train (s)" "CPU (s)" "RSS (MB)"
  crowdloop image-hog image-hog "$d"
}

echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), --cpus $cpus"
[ "${BENCH_TEXT:-1}" = 0 ] || text_bench
[ "${BENCH_IMAGE:-1}" = 0 ] || image_bench
