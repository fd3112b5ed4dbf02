#!/usr/bin/env bash
# Compares two builds on the labeling loop: `bash bench/compare.sh BUILD_A BUILD_B` (build
# directories; each is built first). On this kind of shared VM the machine's speed drifts by
# 20-40% within minutes, more than most changes are worth, so one run of each says little.
# Here both servers run at once, each on its own copy of one seeded store, and short bursts of
# cycles alternate between them (A, B, A, B, ...): each pair of bursts sees nearly the same
# machine, and the median of the pairs' ratios B/A is the comparison. Prints every pair (cycles/s
# and server CPU µs per request of each) and the medians of B/A. Knobs (environment):
# COMPARE_ROUNDS (pairs, 10), COMPARE_BURST (seconds of cycles per burst after 0.5 s of warm-up,
# 3), COMPARE_ITEMS (items seeded, 400000: enough for every burst), COMPARE_CHAINED=1 (chained
# requests), COMPARE_ARGS_A / COMPARE_ARGS_B (extra `crowdloop serve` options of each),
# COMPARE_ENV_A / COMPARE_ENV_B (NAME=VALUE environment settings of each server),
# COMPARE_SEED (a store seeded before by bench/run.sh's BENCH_SEED_DIR, used instead of seeding);
# bench/run.sh's BENCH_PRICE and BENCH_FEE seed a funded project instead of a free one.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${COMPARE_ROUNDS:-10}
BURST=${COMPARE_BURST:-3}
ITEMS=${COMPARE_ITEMS:-400000}
CHAINED=()
[ "${COMPARE_CHAINED:-0}" = 1 ] && CHAINED=(--chained)

BENCH_TAG=compare
. "$ROOT/bench/lib.sh"

pair_start compare "$@"

SEED=${COMPARE_SEED:-$WORK/seed}
if [ -z "${COMPARE_SEED:-}" ]; then
	log "seeding $ITEMS items with $A"
	BUILD_DIR=$A BENCH_SMALL_ITEMS=$ITEMS BENCH_SEED_DIR=$SEED bash "$ROOT/bench/run.sh" \
		>"$WORK/seed.log" 2>&1 || die "seeding failed: $(tail -5 "$WORK/seed.log")"
fi
[ -f "$SEED/project_id" ] || die "$SEED is not a seeded store"
cp -a "$SEED" "$WORK/a"
cp -a "$SEED" "$WORK/b"

# Opens store $2 with build $1's server once and stops it. The store is seeded by A, so a newer B
# migrates it on its first start (tens of MB of WAL on a large store), and its checkpointer would
# copy that WAL into the database during B's first bursts; settled, both start from a checkpointed
# store of their own schema.
settle() {
	local pid port
	read -r pid port < <(pair_serve "$1" "$2" "")
	kill -TERM "$pid"
	while kill -0 "$pid" 2>/dev/null; do sleep 0.1; done
}
settle "$A" "$WORK/a"
settle "$B" "$WORK/b"

pair_serve_both

# One burst against the server ($1 pid, $2 port, $3 store): "CYCLES_PER_S CPU_US_PER_REQUEST".
burst() {
	local c0 c1 out
	c0=$(pid_cpu_s "$1")
	out=$("$A/crowdloop-loadgen" --port "$2" --cycles ${CHAINED[@]+"${CHAINED[@]}"} \
		--connections 64 --warmup 0.5 --duration "$BURST" --project "$(cat "$3/project_id")" \
		--workers-file "$3/workers.tok" --reviewers-file "$3/reviewers.tok" | grep '^RESULT ') \
		|| die "loadgen failed"
	c1=$(pid_cpu_s "$1")
	awk -v a="$c0" -v b="$c1" -v t="$BURST" -v r="$out" 'BEGIN {
		n = split(r, kv, " "); for (i = 1; i <= n; i++) { split(kv[i], x, "="); f[x[1]] = x[2] }
		# The CPU sample spans the warm-up too; the requests of the whole burst are estimated
		# at the measured rate.
		printf "%s %.1f\n", f["cycles_per_s"], (f["rps"] > 0 ? (b - a) * 1e6 / (f["rps"] * (t + 0.5)) : 0) }'
}

pair_describe
echo "$ROUNDS pairs of ${BURST} s bursts, 64 connections${CHAINED[*]:+, chained}, $ITEMS items"
echo "| pair | A cycles/s | A CPU µs/request | B cycles/s | B CPU µs/request |"
echo "|---|---|---|---|---|"
for i in $(seq "$ROUNDS"); do
	read -r ca ua < <(burst "$PID_A" "$PORT_A" "$WORK/a")
	read -r cb ub < <(burst "$PID_B" "$PORT_B" "$WORK/b")
	echo "| $i | $ca | $ua | $cb | $ub |"
	echo "$ca $ua $cb $ub" >>"$WORK/pairs"
done
awk "$AWK_MEDIAN"'{ r[NR] = $3 / $1; u[NR] = $4 / $2; sa += $1; sb += $3 }
	END { printf "B/A: cycles/s %.3f, server CPU per request %.3f (medians of %d pairs); mean cycles/s A %.0f, B %.0f\n",
		median(r, NR), median(u, NR), NR, sa / NR, sb / NR }' "$WORK/pairs"
