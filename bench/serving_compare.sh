#!/usr/bin/env bash
# Compares two builds on serving: `bash bench/serving_compare.sh BUILD_A BUILD_B` (build
# directories; each is built first). bench/serving.sh's figures move with this shared machine by
# more than most changes are worth, even between two runs a minute apart, so here both servers
# run at once, each on its own copy of one data directory (the sentiment model deployed as the
# endpoint `sentiment` with its key, made by a short bench/serving.sh run kept with BENCH_KEEP),
# and short bursts of predictions alternate between them (A, B, A, B, ...) on 64 keep-alive
# connections, the feedback rule off: each pair of bursts sees nearly the same machine, and the
# medians of the pairs' ratios B/A are the comparison. Prints every pair (predictions/s, p50 and
# p99 in ms, server CPU µs a prediction) and the medians. Knobs (environment): COMPARE_ROUNDS
# (pairs, 10), COMPARE_BURST (seconds of predictions a burst after 0.5 s of warm-up, 2),
# COMPARE_RULE (off, or on: the rule of bench/serving.sh; COMPARE_RULE_A / COMPARE_RULE_B set
# one side's, so one build with the rule on can be compared with itself off), COMPARE_RATE
# (predictions a second in all, paced as bench/serving.sh's paced case does; unset: as fast as
# answered), COMPARE_SEED (a data directory kept by `BENCH_KEEP=1 bash bench/serving.sh`, used
# instead of making one), COMPARE_ARGS_A /
# COMPARE_ARGS_B (extra `crowdloop serve` options of each) and COMPARE_ENV_A / COMPARE_ENV_B
# (environment settings of each, NAME=VALUE words), so one build can be compared with itself.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ROUNDS=${COMPARE_ROUNDS:-10}
BURST=${COMPARE_BURST:-2}
RULE=${COMPARE_RULE:-off}
RULE_A=${COMPARE_RULE_A:-$RULE}
RULE_B=${COMPARE_RULE_B:-$RULE}
PACE=()
PACE_TEXT="as fast as answered"
if [ -n "${COMPARE_RATE:-}" ]; then
	PACE=(--rate "$COMPARE_RATE")
	PACE_TEXT="paced at $COMPARE_RATE a second"
fi

# shellcheck disable=SC2034 # the log prefix of bench/lib.sh
BENCH_TAG=serving-compare
. "$ROOT/bench/lib.sh"

pair_start scompare "$@"

# The endpoint's model directory lies inside the seed, which both copies name: it is kept
# until the end when made here.
SEED=${COMPARE_SEED:-}
if [ -z "$SEED" ]; then
	log "making the data directory with $A (a short bench/serving.sh run)"
	BUILD_DIR=$A BENCH_KEEP=1 BENCH_RUNS=1 BENCH_DURATION=1 BENCH_HEALTHZ_DURATION=1 \
		TMPDIR=$WORK bash "$ROOT/bench/serving.sh" >"$WORK/seed.log" 2>&1 \
		|| die "bench/serving.sh failed: $(tail -5 "$WORK/seed.log")"
	SEED=$(sed -n 's/.*kept: //p' "$WORK/seed.log" | tail -1)
fi
if [ ! -f "$SEED/key" ] || [ ! -f "$SEED/endpoint_id" ]; then
	die "$SEED is not a kept serving directory"
fi
for s in a b; do
	mkdir "$WORK/$s"
	cp -a "$SEED/crowdloop.db" "$SEED/admin.tok" "$SEED/key" "$SEED/endpoint_id" \
		"$SEED/project_id" "$SEED/bodies.jsonl" "$WORK/$s/"
done

pair_serve_both
set_feedback_rule "$PORT_A" "$WORK/a" "$RULE_A"
set_feedback_rule "$PORT_B" "$WORK/b" "$RULE_B"

# One burst against the server ($1 pid, $2 port, $3 data): "PER_S P50_MS P99_MS CPU_US".
burst() {
	local c0 c1 out
	c0=$(pid_cpu_s "$1")
	out=$("$A/crowdloop-loadgen" --port "$2" --predict sentiment --key "$(cat "$3/key")" \
		--body "$3/bodies.jsonl" --connections 64 --warmup 0.5 --duration "$BURST" \
		${PACE[@]+"${PACE[@]}"} |
		grep '^RESULT ') || die "loadgen failed"
	c1=$(pid_cpu_s "$1")
	[ "$(field non2xx "$out")" = 0 ] || die "non-2xx answers: $out"
	awk -v a="$c0" -v b="$c1" -v t="$BURST" -v rps="$(field rps "$out")" \
		-v p50="$(field predict_p50_us "$out")" -v p99="$(field predict_p99_us "$out")" \
		'BEGIN { printf "%.0f %.2f %.2f %.1f\n", rps, p50 / 1000, p99 / 1000,
			(rps > 0 ? (b - a) * 1e6 / (rps * (t + 0.5)) : 0) }'
}

pair_describe
echo "$ROUNDS pairs of ${BURST} s bursts, 64 connections, feedback rule A $RULE_A, B $RULE_B, $PACE_TEXT"
echo "| pair | A predictions/s | A p50 / p99 ms | A CPU µs | B predictions/s | B p50 / p99 ms | B CPU µs |"
echo "|---|---|---|---|---|---|---|"
for i in $(seq "$ROUNDS"); do
	read -r ra pa qa ua < <(burst "$PID_A" "$PORT_A" "$WORK/a")
	read -r rb pb qb ub < <(burst "$PID_B" "$PORT_B" "$WORK/b")
	echo "| $i | $ra | $pa / $qa | $ua | $rb | $pb / $qb | $ub |"
	echo "$ra $pa $qa $ua $rb $pb $qb $ub" >>"$WORK/pairs"
done
awk "$AWK_MEDIAN"'{ r[NR] = $5 / $1; p[NR] = $6 / $2; q[NR] = $7 / $3; u[NR] = $8 / $4; qa[NR] = $3; qb[NR] = $7
	  if ($3 < 5) ua5++; if ($7 < 5) ub5++ }
	END { printf "B/A: predictions/s %.3f, p50 %.3f, p99 %.3f, CPU a prediction %.3f (medians of %d pairs)\n",
		median(r, NR), median(p, NR), median(q, NR), median(u, NR), NR
	      printf "p99 ms, median of the bursts: A %.2f, B %.2f; bursts with p99 under 5 ms: A %d, B %d of %d\n",
		median(qa, NR), median(qb, NR), ua5, ub5, NR }' "$WORK/pairs"
