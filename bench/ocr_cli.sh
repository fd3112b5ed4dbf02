#!/usr/bin/env bash
# In-process OCR against the `tesseract` command (figures in docs/BENCHMARKS.md, "OCR against the
# command line"). crowdloop-ocr-bench renders a page of six Korean and English lines, writes it
# as a PNG and reads it BENCH_PAGES (10) times on one engine made once, as the server does; then
# the same PNG is read BENCH_PAGES times by `tesseract page.png - -l kor+eng`, one process per
# image as a customer without a server would run it (each loads the kor+eng model again). Both
# run on one thread (OMP_THREAD_LIMIT=1). Prints images/s of one stream (wall time) and images
# per CPU second (user + system time: the per-core figure, steadier on a shared machine) of
# both, and the ratios. Knobs: BUILD_DIR (build), BENCH_PAGES.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath "${BUILD_DIR:-$root/build}")
pages=${BENCH_PAGES:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for tool in tesseract /usr/bin/time; do
	command -v "$tool" >/dev/null ||
		{ echo "bench/ocr_cli.sh needs $tool (packages tesseract-ocr, time)" >&2; exit 1; }
done
cmake --build "$build" --target crowdloop-ocr-bench >/dev/null
# Before OMP_THREAD_LIMIT, which nproc obeys.
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg); $(tesseract --version 2>&1 | head -1)"
export OMP_THREAD_LIMIT=1
"$build/crowdloop-ocr-bench" "$pages" --png "$work/page.png" >"$work/inproc.out" 2>"$work/inproc.err"
cat "$work/inproc.out"
# "... X ms a page, ...; Y CPU ms a page, ..."
read -r in_ms in_cpu_ms < <(sed -n 's/.*: \([0-9.]*\) ms a page.*; \([0-9.]*\) CPU ms a page.*/\1 \2/p' "$work/inproc.out")

echo "load average before the command line: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f '%e %U %S' -o "$work/cli.time" bash -c '
	for i in $(seq "$1"); do tesseract "$2/page.png" - -l kor+eng >"$2/cli.$i.txt" 2>/dev/null; done
' _ "$pages" "$work"
read -r wall user sys <"$work/cli.time"
# The command must read the page as the runtime does: its first line, spaces aside.
first=$(head -1 "$work/inproc.err" | tr -d ' ')
grep -q . "$work/cli.1.txt" && [ "$(head -1 "$work/cli.1.txt" | tr -d ' ')" = "$first" ] ||
	echo "note: tesseract's first line differs from the runtime's: $(head -1 "$work/cli.1.txt")"
awk -v n="$pages" -v in_ms="$in_ms" -v in_cpu="$in_cpu_ms" -v wall="$wall" -v cpu="$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" 'BEGIN {
	in_rate = 1000 / in_ms; in_core = 1000 / in_cpu
	cli_rate = n / wall; cli_core = n / cpu
	printf "tesseract command: %d images in %.2f s wall, %.2f CPU s: %.1f ms an image\n", n, wall, cpu, 1000 * wall / n
	printf "| reader | images/s (one stream) | images per CPU second |\n|---|---|---|\n"
	printf "| in-process runtime (engine kept) | %.2f | %.2f |\n", in_rate, in_core
	printf "| `tesseract page.png - -l kor+eng` per image | %.2f | %.2f |\n", cli_rate, cli_core
	printf "ratio in-process ÷ command: %.2f× a stream, %.2f× per core (target ≥ 3×: %s)\n",
		in_rate / cli_rate, in_core / cli_core, (in_core / cli_core >= 3) ? "met" : "NOT met"
}'
