#!/usr/bin/env bash
# In-process OCR against the `tesseract` command (figures in docs/BENCHMARKS.md, "OCR against the
# command line"). For each page of BENCH_SET (default "six two dense": six Korean and English
# lines, two lines, a dense page of twelve), crowdloop-ocr-bench renders the page, writes it as a
# PNG with its true lines and reads it BENCH_PAGES (10) times on one engine made once, as the
# server does, with the model BENCH_LANGUAGES (default Hangul, the runtime's default: Tesseract's
# Hangul script model); then the same PNG is read BENCH_PAGES times by the command with the same
# model and settings (`tesseract page.png - -l Hangul -c preserve_interword_spaces=1`, as the
# runtime sets for a script model), and BENCH_PAGES times by `tesseract page.png - -l kor+eng`
# (the two language models, what a customer reading Korean and English would run), one process
# per image as a customer without a server would run it (each loads its model again). All on one
# thread (OMP_THREAD_LIMIT=1). Prints, a page a row, images per CPU second (user + system time:
# the per-core figure, steadier on a shared machine) and images/s of one stream (wall time) of
# the in-process reader and the same-model command, their ratios, the fastest image's CPU time
# of both (the one other processes slowed least: steadier on a loaded machine), the kor+eng
# command's CPU time and the ratio to it, each reading's character error rate against the page's
# true lines and whether the in-process and same-model readings are the same text; then the
# set's totals.
# Knobs: BUILD_DIR (build), BENCH_PAGES, BENCH_SET, BENCH_LANGUAGES (Hangul; kor+eng for the
# in-process reader with the language models), OCR_BENCH (another crowdloop-ocr-bench to time,
# e.g. one built from an older runtime for a before/after; default: BUILD_DIR's, built).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${BUILD_DIR:-$root/build}")
pages=${BENCH_PAGES:-10}
set_names=${BENCH_SET:-six two dense}
langs=${BENCH_LANGUAGES:-Hangul}
# The command's arguments for the same model and settings as the runtime's.
same_model=(-l "$langs")
[[ $langs == [A-Z]* ]] && same_model+=(-c preserve_interword_spaces=1)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in tesseract /usr/bin/time python3; do
	command -v "$tool" >/dev/null ||
		{ echo "bench/ocr_cli.sh needs $tool (packages tesseract-ocr, time, python3)" >&2; exit 1; }
done
bench=${OCR_BENCH:-$build/crowdloop-ocr-bench}
[ -n "${OCR_BENCH:-}" ] || cmake --build "$build" --target crowdloop-ocr-bench >/dev/null
# Before OMP_THREAD_LIMIT, which nproc obeys.
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(tesseract --version 2>&1 | head -1)"
export OMP_THREAD_LIMIT=1

# Character error rate of a reading against the true lines (edit distance over the truth's
# characters, lines joined by newlines, blank lines and outer spaces dropped), and whether two
# readings are the same text: "CER_A CER_B same|differs".
score() {
	python3 - "$@" <<'PY'
import sys
def lines(path):
    return "\n".join(l.strip() for l in open(path, encoding="utf-8") if l.strip())
def dist(a, b):
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]
truth, a, b = (lines(p) for p in sys.argv[1:4])
print("%.4f %.4f %s" % (dist(truth, a) / len(truth), dist(truth, b) / len(truth),
                        "same" if a == b else "differs"))
PY
}

# Reads the page BENCH_PAGES times with `tesseract page.png - ARGS...`, one process each: the
# readings in DIR/PREFIX.N.txt, "wall user system" seconds a line in DIR/PREFIX.time.
cli_reads() {
	local dir=$1 prefix=$2
	shift 2
	for i in $(seq "$pages"); do
		/usr/bin/time -a -f '%e %U %S' -o "$dir/$prefix.time" \
			tesseract "$dir/page.png" - "$@" >"$dir/$prefix.$i.txt" 2>/dev/null
	done
}

# "cpu_ms wall_ms fastest_cpu_ms" of an image (means; the fastest image's CPU ms) from a .time.
cli_figures() {
	awk '{ w += $1; c = $2 + $3; t += c; if (!n++ || c < f) f = c }
		END { printf "%.1f %.1f %.1f\n", 1000 * t / n, 1000 * w / n, 1000 * f }' "$1"
}

# One page: "name in_cpu_ms in_ms cli_cpu_ms cli_ms in_fastest_ms cli_fastest_ms cer_in cer_cli
# same|differs kor_cpu_ms kor_fastest_ms cer_kor" (CPU and wall milliseconds an image, means; the
# fastest image's CPU ms; cli: the command with the same model, kor: the command with kor+eng).
bench_page() {
	local name=$1 dir=$work/$1
	mkdir -p "$dir"
	"$bench" "$pages" --page "$name" --languages "$langs" --png "$dir/page.png" \
		--truth "$dir/truth.txt" >"$dir/inproc.out" 2>"$dir/inproc.txt"
	# "... X ms a page, ...; Y CPU ms a page, ...; fastest read Z CPU ms; ..."
	local in_ms in_cpu in_fastest cli_cpu cli_ms cli_fastest kor_cpu kor_fastest
	read -r in_ms in_cpu in_fastest < <(sed -n 's/.*: \([0-9.]*\) ms a page.*; \([0-9.]*\) CPU ms a page.*fastest read \([0-9.]*\) CPU ms.*/\1 \2 \3/p' "$dir/inproc.out")
	cli_reads "$dir" cli "${same_model[@]}"
	read -r cli_cpu cli_ms cli_fastest < <(cli_figures "$dir/cli.time")
	if [ "$langs" = kor+eng ]; then
		cp "$dir/cli.time" "$dir/kor.time"
		cp "$dir/cli.1.txt" "$dir/kor.1.txt"
	else
		cli_reads "$dir" kor -l kor+eng
	fi
	read -r kor_cpu _ kor_fastest < <(cli_figures "$dir/kor.time")
	local cer
	read -r -a cer < <(score "$dir/truth.txt" "$dir/inproc.txt" "$dir/cli.1.txt")
	echo "$name $in_cpu $in_ms $cli_cpu $cli_ms $in_fastest $cli_fastest ${cer[*]}" \
		"$kor_cpu $kor_fastest $(score "$dir/truth.txt" "$dir/kor.1.txt" "$dir/kor.1.txt" | cut -d' ' -f1)"
}

for name in $set_names; do
	echo "page $name: load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
	bench_page "$name"
done >"$work/rows"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk -v n="$pages" -v langs="$langs" '
BEGIN {
	printf "in-process and the same-model command: -l %s; the last columns: the command with -l kor+eng\n", langs
	print "| page | in-process CPU ms | command CPU ms | ratio per core | ratio a stream | fastest: in-process / command CPU ms (ratio) | CER in-process | CER command | readings | kor+eng command CPU ms | ratio per core to it | fastest: kor+eng command CPU ms (ratio) | CER kor+eng command |"
	print "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
}
{
	printf "| %s | %.1f | %.1f | %.2f× | %.2f× | %.1f / %.1f (%.2f×) | %.4f | %.4f | %s | %.1f | %.2f× | %.1f (%.2f×) | %.4f |\n",
		$1, $2, $4, $4 / $2, $5 / $3, $6, $7, $7 / $6, $8, $9, $10, $11, $11 / $2, $12, $12 / $6, $13
	in_cpu += $2; cli_cpu += $4; in_ms += $3; cli_ms += $5; in_f += $6; cli_f += $7
	kor_cpu += $11; kor_f += $12; k++
}
END {
	printf "set of %d pages, each read %d times: %.2f images per CPU second in-process, %.2f by the command with the same model, %.2f by the command with kor+eng\n",
		k, n, 1000 * k / in_cpu, 1000 * k / cli_cpu, 1000 * k / kor_cpu
	printf "ratio in-process ÷ same-model command: %.2f× per core (%.2f× of the fastest reads), %.2f× a stream (target ≥ 3× per core: %s)\n",
		cli_cpu / in_cpu, cli_f / in_f, cli_ms / in_ms, (cli_cpu / in_cpu >= 3) ? "met" : "NOT met"
	printf "ratio in-process ÷ kor+eng command: %.2f× per core (%.2f× of the fastest reads)\n",
		kor_cpu / in_cpu, kor_f / in_f
}' "$work/rows"
