#!/usr/bin/env bash
# Instructions per prediction, counted by valgrind's callgrind: the serving figure that does not
# move with the machine's load (bench/serving.sh's CPU time a prediction does), so that two builds
# can be compared on a busy machine. Seeds a data directory with bench/serving.sh (a short run,
# kept: the trained model, the endpoint `sentiment`, its key and the test sentences), then for
# each build of BUILD_DIRS (space-separated, default build) in turn starts `crowdloop serve` on a
# copy of it under callgrind, zeroes the counts once it has answered a first prediction (the
# model's load), sends predictions with the key for BENCH_SECONDS (15) on CONNECTIONS (8)
# connections and prints the server's instructions a prediction (its stop included). Threads run one at a time under valgrind, so the writer's
# groups are smaller than in a real run: the figure is for comparing builds. RULE (off) sets the
# endpoint's feedback rule (on: threshold 0.9, as serving.sh). CALLGRIND_KEEP=<folder> keeps each
# run's callgrind files there (<run>-<rule>.out*), for callgrind_annotate --inclusive=yes.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
read -r -a BUILDS <<<"${BUILD_DIRS:-build}"
DURATION=${BENCH_SECONDS:-15}
CONNECTIONS=${CONNECTIONS:-8}
RULE=${RULE:-off}
BENCH_TAG=serving-instructions
. "$ROOT/bench/lib.sh"
command -v valgrind >/dev/null || die "valgrind is needed"
command -v callgrind_control >/dev/null || die "callgrind_control is needed"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/crowdloop-sinstr-XXXXXX")
VPID=
seed=
cleanup() {
	[ -n "$VPID" ] && kill -TERM "$VPID" 2>/dev/null && wait "$VPID" 2>/dev/null || true
	rm -rf "$WORK"
	[ -n "$seed" ] && rm -rf "$seed"
}
trap cleanup EXIT

abs() { case $1 in /*) echo "$1" ;; *) echo "$ROOT/$1" ;; esac; }

seed_log=$WORK/seed.log
BUILD_DIR=$(abs "${BUILDS[0]}") BENCH_KEEP=1 BENCH_RUNS=1 BENCH_DURATION=1 BENCH_WARMUP=0 \
	BENCH_HEALTHZ_DURATION=1 bash "$ROOT/bench/serving.sh" >"$seed_log" 2>&1 \
	|| { tail -20 "$seed_log" >&2; exit 1; }
seed=$(sed -n 's/.*kept: \([^ ]*\).*/\1/p' "$seed_log" | tail -1)
[ -d "$seed" ] || die "no seeded data directory in $seed_log"

echo "crowdloop instructions a prediction, $(date -u +%Y-%m-%dT%H:%M:%SZ), rule $RULE," \
	"$CONNECTIONS connections, ${DURATION} s"
for b in "${BUILDS[@]}"; do
	dir=$(abs "$b")
	rm -rf "$WORK/run"
	# The endpoint's model stays where the seeding trained it (its path is in the store).
	cp -a "$seed" "$WORK/run"
	rm -f "$WORK/run/server.log"
	PORT=$(free_port)
	out=$WORK/callgrind.out
	# OMP_THREAD_LIMIT set: else the server runs itself again to set it (cmd_serve.c).
	CROWDLOOP_QUIET_REQUESTS=1 OMP_THREAD_LIMIT=1 valgrind --tool=callgrind \
		--callgrind-out-file="$out" "$dir/crowdloop" serve --data "$WORK/run" \
		--listen "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
	VPID=$!
	wait_healthz "$VPID" "$PORT" "$WORK/server.log" 120
	body='{"feedback":null}'
	[ "$RULE" = on ] && body="{\"feedback\":{\"project_id\":$(cat "$WORK/run/project_id"),\"threshold\":0.9}}"
	curl -fsS -m 60 -X PATCH -H "Authorization: Bearer $(cat "$WORK/run/admin.tok")" \
		-H 'Content-Type: application/json' -d "$body" \
		"http://127.0.0.1:$PORT/api/v1/endpoints/$(cat "$WORK/run/endpoint_id")" >/dev/null \
		|| die "cannot set the feedback rule"
	# One prediction before the counts are zeroed: the model loads on the first call, which is
	# no prediction's steady cost.
	curl -fsS -m 120 -X POST -H "Authorization: Bearer $(cat "$WORK/run/key")" \
		-H 'Content-Type: application/json' --data-binary "$(head -1 "$WORK/run/bodies.jsonl")" \
		"http://127.0.0.1:$PORT/api/v1/endpoints/sentiment/predict" >/dev/null \
		|| die "the first prediction failed"
	callgrind_control -z "$VPID" >/dev/null
	result=$("$dir/crowdloop-loadgen" --port "$PORT" --predict sentiment \
		--key "$(cat "$WORK/run/key")" --body "$WORK/run/bodies.jsonl" \
		--connections "$CONNECTIONS" --warmup 0 --duration "$DURATION" | grep '^RESULT')
	kill -TERM "$VPID"
	wait "$VPID" 2>/dev/null || true
	VPID=
	n=$(field requests "$result")
	[ "$(field non2xx "$result")" = 0 ] || die "$b: $(field non2xx "$result") non-2xx answers"
	total=0
	for f in "$out"*; do
		t=$(callgrind_annotate "$f" 2>/dev/null | sed -n 's/^ *\([0-9,]*\) .*PROGRAM TOTALS.*/\1/p' | tr -d ,)
		total=$((total + ${t:-0}))
	done
	if [ -n "${CALLGRIND_KEEP:-}" ]; then
		mkdir -p "$CALLGRIND_KEEP"
		run=$((${run:-0} + 1))
		for f in "$out"*; do cp "$f" "$CALLGRIND_KEEP/$run-$RULE.${f##*/}"; done
	fi
	rm -f "$out"*
	awk -v b="$b" -v t="$total" -v n="$n" \
		'BEGIN { printf "%s: %d predictions, %.0f instructions a prediction\n", b, n, (n > 0 ? t / n : 0) }'
done
