#!/usr/bin/env bash
# Instructions per labeling cycle, counted by valgrind's callgrind: a figure that does not move
# with the machine's load, unlike cycles/s, so two builds can be compared one change at a time.
# Seeds a store with bench/run.sh's seeding (a normal server: argon2id logins are too slow
# under valgrind), then restarts `crowdloop serve` on a copy of it under callgrind, runs
# CYCLES full cycles (claim, submit, review claim, approve) at 16 connections and prints the
# server's instructions per cycle and its most expensive functions (inclusive). Threads run one
# at a time under valgrind, so group commits hold about one job: commit costs weigh more than
# in a real run. Knobs: BUILD_DIR (default build), CYCLES (1500), TOP (25 functions),
# CHAINED (1: submit and approve with "next": true), OUT (callgrind file, default a temporary
# one, kept and named at the end), FROM_LOAD (1: the counters are zeroed once the server
# answers, so the figures leave out its start and are per request of the load alone), CACHE_SIM
# (1: callgrind simulates the caches too, `--cache-sim=yes`, and the figures add D1 and LL misses
# per request and the functions with the most D1 misses: no hardware counters needed; the
# simulated cache is one for all threads, as valgrind runs them one at a time).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
CYCLES=${CYCLES:-1500}
chained=()
[ "${CHAINED:-0}" = 1 ] && chained=(--chained)
cache_sim=()
[ "${CACHE_SIM:-0}" = 1 ] && cache_sim=(--cache-sim=yes)
TOP=${TOP:-25}
BENCH_TAG=instructions
. "$ROOT/bench/lib.sh"
command -v valgrind >/dev/null || { echo "instructions.sh: valgrind is needed" >&2; exit 1; }
command -v callgrind_annotate >/dev/null || { echo "instructions.sh: callgrind_annotate is needed" >&2; exit 1; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crowdloop-instr-XXXXXX")
OUT=${OUT:-$WORK/callgrind.out}
VPID=
cleanup() {
	[ -n "$VPID" ] && kill -TERM "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null || true
	rm -rf "$WORK/seed" "$WORK/run"
}
trap cleanup EXIT

cmake --build "$BUILD_DIR" -j "$(nproc)" --target crowdloop crowdloop-loadgen >/dev/null

# The seeding: bench/run.sh with a one-second cycles case, its data directory kept.
log=$WORK/seed.log
BUILD_DIR=$BUILD_DIR BENCH_KEEP=1 BENCH_LARGE=0 BENCH_CHAINED=0 BENCH_DURATION=1 BENCH_HEALTHZ_DURATION=1 \
	BENCH_SMALL_ITEMS=$((CYCLES * 4 + 10000)) bash "$ROOT/bench/run.sh" >"$log" 2>&1 \
	|| { tail -20 "$log" >&2; exit 1; }
seed=$(sed -n 's/.*kept: \([^ ]*\).*/\1/p' "$log" | tail -1)
[ -d "$seed" ] || { echo "instructions.sh: no seeded store in $log" >&2; exit 1; }
mv "$seed" "$WORK/run"

PORT=$(free_port)
# OMP_THREAD_LIMIT set: else the server runs itself again to set it (cmd_serve.c), which under
# valgrind starts the tool's own binary, not crowdloop.
CROWDLOOP_QUIET_REQUESTS=1 OMP_THREAD_LIMIT=1 valgrind --tool=callgrind ${cache_sim[@]+"${cache_sim[@]}"} --callgrind-out-file="$OUT" \
	"$BUILD_DIR/crowdloop" serve --data "$WORK/run" --listen "127.0.0.1:$PORT" \
	>"$WORK/server.log" 2>&1 &
VPID=$!
# Valgrind starts the server slowly.
wait_healthz "$VPID" "$PORT" "$WORK/server.log" 120
[ "${FROM_LOAD:-0}" = 1 ] && callgrind_control --zero "$VPID" >/dev/null 2>&1
result=$("$BUILD_DIR/crowdloop-loadgen" --port "$PORT" --cycles ${chained[@]+"${chained[@]}"} --connections 16 --reviewers 8 \
	--duration 900 --max-cycles "$CYCLES" --warmup 0 --project "$(cat "$WORK/run/project_id")" \
	--workers-file "$WORK/run/workers.tok" --reviewers-file "$WORK/run/reviewers.tok" | grep '^RESULT')
kill -TERM "$VPID"
wait "$VPID" 2>/dev/null || true
VPID=
cycles=$(sed -n 's/.* cycles=\([0-9]*\).*/\1/p' <<<"$result")
total=$(callgrind_annotate "$OUT" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
echo "crowdloop instructions per cycle, $(date -u +%Y-%m-%dT%H:%M:%SZ), source $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')"
counted="start and stop included"
[ "${FROM_LOAD:-0}" = 1 ] && counted="from the load's start, stop included"
echo "cycles: $cycles; server instructions (callgrind Ir, $counted): $total"
# A cycle is four requests (claim, submit, claim the review, approve), two when chained (the
# submit and the approval each answer the next task).
per_cycle=4
[ "${CHAINED:-0}" = 1 ] && per_cycle=2
awk -v t="$total" -v c="$cycles" -v r="$per_cycle" 'BEGIN { if (c > 0) printf "instructions per cycle: %.0f (per request: %.0f)\n", t / c, t / c / r }'
# The cache simulation's events per request, counted as the calls of api_authenticate (each
# labeling request makes one; the load makes more requests than its whole cycles: reviewers'
# claims that find nothing, submits of an unfinished cycle), and the functions that miss most.
if [ "${CACHE_SIM:-0}" = 1 ]; then
	requests=$(callgrind_annotate --threshold=100 --tree=caller --show=Ir "$OUT" 2>/dev/null \
		| grep -B3 '\* .*:api_authenticate ' | grep -o '([0-9,]*x)' | tr -d '(),x' \
		| awk '{ s += $1 } END { print s + 0 }')
	echo "requests (calls of api_authenticate): $requests; per request:"
	callgrind_annotate "$OUT" 2>/dev/null | awk -v r="$requests" '
		/^Events shown/ { for (i = 3; i <= NF; i++) ev[i - 2] = $i; n = NF - 2 }
		/PROGRAM TOTALS/ { gsub(/\([^)]*\)/, ""); for (i = 1; i <= n; i++) { x = $i; gsub(",", "", x)
			v = r > 0 ? x / r : 0; sep = i < n ? ", " : "\n"; printf "%s %.1f%s", ev[i], v, sep } }'
	for ev in D1mr D1mw; do
		echo "most $ev, exclusive (per request):"
		callgrind_annotate --threshold=100 --show="$ev" --sort="$ev" "$OUT" 2>/dev/null \
			| grep -E '^ *[0-9,]+ \(' | grep -v -e 'PROGRAM TOTALS' -e 'start_thread' -e 'clone' \
			| head -n "$TOP" | awk -v r="$requests" '{ n = $1; gsub(",", "", n); line = $0
				sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", line); printf "%8.1f  %s\n", n / r, line }'
	done
fi
echo
echo "most expensive functions, inclusive (Ir per cycle):"
callgrind_annotate --inclusive=yes --show=Ir "$OUT" 2>/dev/null | grep -E '^ *[0-9,]+ \(' \
	| grep -v -e 'PROGRAM TOTALS' -e 'start_thread' -e 'clone' | awk -v top="$TOP" '!seen[$NF]++ && ++n <= top' \
	| awk -v c="$cycles" '{ n = $1; gsub(",", "", n); line = $0
		sub(/^ *[0-9,]+ +\( *[0-9.]+%\) +/, "", line); printf "%10.0f  %s\n", n / c, line }'
echo
echo "callgrind data: $OUT (callgrind_annotate --inclusive=yes $OUT)"
