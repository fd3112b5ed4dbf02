#!/usr/bin/env bash
# The serving benchmark (figures in docs/BENCHMARKS.md, "Serving"). Builds crowdloop and
# crowdloop-loadgen, trains the built-in text-linear model offline (`crowdloop trainer run`) on
# the UCI sentiment sentences of scripts/demo-data.sh (4/5 train, 1/5 test by position), starts a
# real `crowdloop serve` on a fresh data directory and a free loopback port, deploys the model
# from <data>/models/sentiment as the endpoint `sentiment`, makes an endpoint key with a rate
# limit of 100,000 requests a second and a text_class project for the loop, then measures on
# BENCH_CONNECTIONS (64) keep-alive connections:
#   - the HTTP ceiling: GET /healthz for BENCH_HEALTHZ_DURATION (5) s;
#   - POST /api/v1/endpoints/sentiment/predict with the key, one sentence a request (the test
#     sentences, sent in turn), BENCH_DURATION (10) s, with the endpoint's feedback rule off
#     (`"feedback": null`) and on (`{"project_id", "threshold": BENCH_THRESHOLD (0.9)}`: a
#     prediction whose top score is under it becomes an item of the project, up to the rule's
#     daily cap of 1,000), BENCH_RUNS (3) runs of each, alternating, each after
#     BENCH_WARMUP (1) s of unmeasured requests;
#   - the same predictions with the rule off, paced at BENCH_RATE (20,000) a second in all
#     (`crowdloop-loadgen --rate`: each connection's requests due at fixed times, each timed from
#     when it was due, so that an answer that held the next request back counts against it too):
#     the latency at the target's load rather than at the most the server gives, one run after
#     each pair of the above.
# During every run crowdloop-freezes (bench/freezes.c) watches for the machine itself stopping
# (a real-time thread a CPU, woken every millisecond: a wake-up over 2 ms late is time the CPU did
# not run, as when a virtual machine's host throttles it) and its figures are printed beside the
# run's, since such a stop holds every request in flight.
# Every prediction is written to the prediction log in both cases (the log cannot be switched
# off); with the rule on the input's text is kept with it too and a doubtful one makes its item in
# the same transaction while the rule is under its daily cap (past it, nothing: the first run's
# doubtful sentences reach the cap within its first second).
# Prints predictions/s and p50/p99 per run, the median run of each case, the machine's stops,
# predictions/s ÷ healthz requests/s, the rule's cost (on ÷ off), the server's CPU share and its
# CPU time per prediction (the steadier figure on a shared machine), with the load average
# before each run. Knobs (environment): BUILD_DIR (build), BENCH_CONNECTIONS, BENCH_DURATION, BENCH_HEALTHZ_DURATION, BENCH_WARMUP, BENCH_RUNS, BENCH_THRESHOLD, BENCH_RATE,
# BENCH_SERVE_ARGS (extra `crowdloop serve` options), BENCH_KEEP=1 to keep the data directory.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
CONNECTIONS=${BENCH_CONNECTIONS:-64}
DURATION=${BENCH_DURATION:-10}
HEALTHZ_DURATION=${BENCH_HEALTHZ_DURATION:-5}
WARMUP=${BENCH_WARMUP:-1}
RUNS=${BENCH_RUNS:-3}
THRESHOLD=${BENCH_THRESHOLD:-0.9}
RATE=${BENCH_RATE:-20000}
read -r -a SERVE_ARGS <<<"${BENCH_SERVE_ARGS:-}"
BIN=$BUILD_DIR/crowdloop
LOADGEN=$BUILD_DIR/crowdloop-loadgen
FREEZES=$BUILD_DIR/crowdloop-freezes
DATA=
PORT=
BENCH_TAG=serving
. "$ROOT/bench/lib.sh"

cleanup() {
	stop_server
	if [ -n "$DATA" ]; then
		if [ "${BENCH_KEEP:-0}" = 1 ]; then log "kept: $DATA"; else rm -rf "$DATA"; fi
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

build() {
	build_targets "$BUILD_DIR" crowdloop crowdloop-loadgen crowdloop-freezes
	[ -x "$BIN" ] && [ -x "$LOADGEN" ] && [ -x "$FREEZES" ] \
		|| die "build did not produce $BIN, $LOADGEN and $FREEZES"
}

# The sentiment sentences as a trainer's dataset ($DATA/train-data) and the test sentences as
# predict bodies ($DATA/bodies.jsonl).
prepare_data() {
	bash "$ROOT/scripts/demo-data.sh" "$BUILD_DIR/demo-data" >/dev/null \
		|| die "scripts/demo-data.sh failed (it needs npm)"
	python3 - "$BUILD_DIR/demo-data/sentences.jsonl" "$DATA" <<'PY'
import json, os, sys
src, data = sys.argv[1], sys.argv[2]
seen, rows = set(), []
for line in open(src):
    s = json.loads(line)
    if s["text"] and s["text"] not in seen:
        seen.add(s["text"])
        rows.append((s["text"], s["meta"]["original_label"]))
os.makedirs(data + "/train-data", exist_ok=True)
with open(data + "/train-data/project.json", "w") as f:
    json.dump({"kind": "text_class", "labels": ["negative", "positive"], "multi_label": False}, f)
with open(data + "/train-data/rows.jsonl", "w") as f, open(data + "/bodies.jsonl", "w") as b:
    for i, (text, label) in enumerate(rows):
        split = "test" if i % 5 == 0 else "train"
        f.write(json.dumps({"item_id": i + 1, "split": split, "text": text,
                            "annotation": {"labels": [label]}}) + "\n")
        body = json.dumps({"inputs": [{"text": text}]})
        if split == "test" and len(body) <= 1400:
            b.write(body + "\n")
PY
}

# Over HTTP: an org, a manager and the loop's project, the endpoint and its key. Writes
# $DATA/endpoint_id, $DATA/project_id, $DATA/key and $DATA/admin.tok.
deploy() {
	PYTHONPATH="$ROOT/bench" timeout 120 python3 - "$PORT" "$DATA" <<'PY'
import json, secrets, sys
from bench_api import Api

port, data = int(sys.argv[1]), sys.argv[2]
api = Api(port, "deploy")
call, ok, login = api.call, api.ok, api.login

admin = login("admin", open(data + "/admin.pw").read().strip())
org = ok(201, call("POST", "/orgs", {"name": "bench"}, admin), "create org")
pw = secrets.token_urlsafe(12)
mgr = ok(201, call("POST", "/users", {"username": "bench_manager", "password": pw}, admin),
         "create manager")
ok(201, call("POST", "/orgs/%d/members" % org["id"], {"user_id": mgr["id"], "role": "manager"},
             admin), "add manager")
manager = login("bench_manager", pw)
project = ok(201, call("POST", "/projects", {
    "org_id": org["id"], "name": "doubtful", "kind": "text_class",
    "labels": ["negative", "positive"], "status": "open"}, manager), "create project")
meta = json.load(open(data + "/models/sentiment/model.json"))
ep = ok(201, call("POST", "/orgs/%d/endpoints" % org["id"], {
    "name": "sentiment", "targets": [{"model_dir": data + "/models/sentiment",
                                      "runtime": meta["runtime"]}]}, admin), "create endpoint")
key = ok(201, call("POST", "/endpoints/%d/keys" % ep["id"], {"name": "bench",
                                                              "rate_limit": 100000}, admin),
         "create key")
for name, value in (("endpoint_id", ep["id"]), ("project_id", project["id"]),
                    ("key", key["key"]), ("admin.tok", admin)):
    with open("%s/%s" % (data, name), "w") as f:
        f.write("%s\n" % value)
PY
}

# The store's counters from /metrics, as "commits jobs syncs flush_s restarts restart_s".
store_counters() {
	curl -fsS -m 5 "http://127.0.0.1:$PORT/metrics" | awk '
		$1 == "crowdloop_db_commits_total" { c = $2 }
		$1 == "crowdloop_db_write_jobs_total" { j = $2 }
		$1 == "crowdloop_db_syncs_total" { s = $2 }
		$1 == "crowdloop_db_flush_seconds_total" { f = $2 }
		$1 == "crowdloop_db_wal_restarts_total" { r = $2 }
		$1 == "crowdloop_db_wal_restart_seconds_total" { rs = $2 }
		END { print c + 0, j + 0, s + 0, f + 0, r + 0, rs + 0 }'
}

# Runs the loadgen with the given arguments after the first, the seconds it runs (warm-up
# included); prints its report, leaves the RESULT line in LAST_RESULT, the server's CPU share of
# one core in LAST_CPU and the machine's stops in LAST_FROZEN ("ms-a-CPU/longest-ms"); then the
# store's groups, flushes and WAL restarts over the run (warm-up included): a restart holds the
# writer off, and the predictions in flight meanwhile are much of the tail (docs/BENCHMARKS.md).
loadgen() {
	local seconds=$1 out cpu0 cpu1 st0 st1 probe
	shift
	echo "\$ crowdloop-loadgen --port $PORT $*" | sed 's/clk_[A-Za-z0-9_-]*/clk_…/'
	echo "load average before the run: $(loadavg)"
	st0=$(store_counters)
	cpu0=$(server_cpu_s)
	"$FREEZES" --duration "$seconds" >"$DATA/freezes.out" 2>&1 &
	probe=$!
	out=$(timeout $(( ${seconds%.*} + 60 )) \
		"$LOADGEN" --port "$PORT" "$@") || { printf '%s\n' "$out"; die "loadgen failed"; }
	cpu1=$(server_cpu_s)
	wait "$probe" || true
	local fr
	fr=$(grep '^RESULT ' "$DATA/freezes.out" | tail -1)
	LAST_FROZEN="$(field frozen_ms_per_cpu "$fr")/$(field longest_ms "$fr")"
	echo "machine: $(field freezes "$fr") stops over 2 ms on $(field cpus "$fr") CPUs" \
		"($(field shared "$fr") of every CPU at once), $(field frozen_ms_per_cpu "$fr") ms a CPU," \
		"the longest $(field longest_ms "$fr") ms$( [ "$(field realtime "$fr")" = 1 ] \
			|| echo '; probes not real-time, so the guest threads count too')"
	printf '%s\n' "$out" | grep -v '^RESULT '
	LAST_RESULT=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)
	LAST_CPU=$(awk -v a="$cpu0" -v b="$cpu1" -v t="$(field elapsed_s "$LAST_RESULT")" \
		-v w="$WARMUP" 'BEGIN { printf "%.0f", (t > 0 ? 100 * (b - a) / (t + w) : 0) }')
	echo "server: CPU $LAST_CPU% of one core"
	st1=$(store_counters)
	awk -v a="$st0" -v b="$st1" 'BEGIN {
		split(a, x, " "); split(b, y, " ")
		c = y[1] - x[1]; s = y[3] - x[3]; r = y[5] - x[5]
		printf "store: %d group commits of %.1f jobs, %d flushes of %.2f ms, %d WAL restarts of %.1f ms\n",
			c, c ? (y[2] - x[2]) / c : 0, s, s ? 1000 * (y[4] - x[4]) / s : 0,
			r, r ? 1000 * (y[6] - x[6]) / r : 0 }'
}

declare -A FIG

# Run $2 of case $1: the rule off, the rule on, or paced (the rule off, RATE predictions a second).
predict_case() {
	local case=$1 run=$2 rule=$1 pace=() how=""
	if [ "$case" = paced ]; then
		rule=off pace=(--rate "$RATE") how=", paced at $RATE a second"
	fi
	set_feedback_rule "$PORT" "$DATA" "$rule" "$THRESHOLD"
	echo
	echo "== predict, feedback rule $rule$how (run $run): $CONNECTIONS connections, ${DURATION} s after ${WARMUP} s =="
	loadgen "$(awk -v w="$WARMUP" -v d="$DURATION" 'BEGIN { print w + d }')" \
		--predict sentiment --key "$(cat "$DATA/key")" --body "$DATA/bodies.jsonl" \
		--connections "$CONNECTIONS" --warmup "$WARMUP" --duration "$DURATION" ${pace[@]+"${pace[@]}"}
	local r=$LAST_RESULT
	[ "$(field non2xx "$r")" = 0 ] || log "warning: $(field non2xx "$r") non-2xx answers"
	FIG[$case.$run]="$(field rps "$r") $(field predict_p50_us "$r") $(field predict_p99_us "$r") $LAST_CPU $(field non2xx "$r") $LAST_FROZEN"
}

# The run with the median predictions/s of case $1 (the median p99 for "paced", whose rate is
# set): "rps p50 p99 cpu non2xx frozen".
median_of() {
	local i key=1
	[ "$1" = paced ] && key=3
	for i in $(seq "$RUNS"); do echo "${FIG[$1.$i]}"; done | sort -n -k"$key,$key" |
		awk '{ l[NR] = $0 } END { print l[int((NR + 1) / 2)] }'
}

main() {
	command -v curl >/dev/null || die "curl is needed"
	log "building in $BUILD_DIR"
	build
	DATA=$(mktemp -d "${TMPDIR:-/tmp}/crowdloop-serving-XXXXXX")
	echo "crowdloop serving benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
		"$(uname -sr); build: $BUILD_DIR ($(sed -n 's/^CMAKE_BUILD_TYPE:[^=]*=//p' "$BUILD_DIR/CMakeCache.txt"))"
	echo "source: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
		[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] \
			&& echo ' with uncommitted changes')"
	prepare_data
	log "training text-linear on $(wc -l <"$DATA/train-data/rows.jsonl") sentences"
	timeout 600 "$BIN" trainer run --trainer text-linear --data "$DATA/train-data" \
		--output "$DATA/models/sentiment" --cpus 2 >"$DATA/train.log" 2>&1 \
		|| die "training failed: $(tail -5 "$DATA/train.log")"
	echo "model: text-linear, test accuracy $(python3 -c 'import json,sys; print("%.3f" % json.load(open(sys.argv[1]))["accuracy"])' "$DATA/models/sentiment/evaluation.json")," \
		"$(wc -l <"$DATA/bodies.jsonl") test sentences as bodies"
	admin_create "$DATA"
	serve_data "$DATA"
	deploy

	echo
	echo "== healthz ceiling: $CONNECTIONS connections, ${HEALTHZ_DURATION} s =="
	loadgen "$HEALTHZ_DURATION" --healthz --connections "$CONNECTIONS" --duration "$HEALTHZ_DURATION"
	local healthz
	healthz=$(field rps "$LAST_RESULT")

	local i
	for i in $(seq "$RUNS"); do
		predict_case off "$i"
		predict_case on "$i"
		predict_case paced "$i"
	done
	local made
	made=$(curl -fsS -m 30 -H "Authorization: Bearer $(cat "$DATA/admin.tok")" \
		"http://127.0.0.1:$PORT/api/v1/projects/$(cat "$DATA/project_id")/stats" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["items"])' 2>/dev/null || echo "?")

	echo
	echo "== summary ($CONNECTIONS connections, one sentence a request; p50/p99 in ms) =="
	echo "healthz ceiling: $healthz requests/s"
	echo "| case | predictions/s (runs) | p50 | p99 (runs) | server CPU % | server CPU µs a prediction | ÷ healthz | machine stopped: ms a CPU / longest |"
	echo "|---|---|---|---|---|---|---|---|"
	local rule rps p50 p99 cpu frozen runs p99s
	declare -A MED
	for rule in off on paced; do
		read -r rps p50 p99 cpu _ frozen <<<"$(median_of "$rule")"
		MED[$rule]=$rps
		runs=$(for i in $(seq "$RUNS"); do printf '%s ' "${FIG[$rule.$i]%% *}"; done)
		p99s=$(for i in $(seq "$RUNS"); do
			read -r _ _ u _ <<<"${FIG[$rule.$i]}"
			awk -v u="$u" 'BEGIN { printf "%.2f ", u / 1000 }'
		done)
		printf '| %s | %s (%s) | %.2f | %.2f (%s) | %s | %s | %s | %s |\n' \
			"$( [ "$rule" = paced ] && echo "rule off, paced at $RATE/s" || echo "rule $rule")" \
			"$rps" "${runs% }" "$(awk -v u="$p50" 'BEGIN { print u / 1000 }')" \
			"$(awk -v u="$p99" 'BEGIN { print u / 1000 }')" "${p99s% }" "$cpu" \
			"$(awk -v c="$cpu" -v r="$rps" 'BEGIN { if (r > 0) printf "%.0f", c * 10000 / r; else print "?" }')" \
			"$(awk -v a="$rps" -v h="$healthz" 'BEGIN { if (h > 0) printf "%.3f", a / h; else print "?" }')" \
			"${frozen/\// \/ }"
		case $rule in
		off) echo "target ≥ 20,000 predictions/s with p99 < 5 ms (rule off, as fast as answered): $(awk -v r="$rps" -v p="$p99" \
			'BEGIN { printf "%s", (r >= 20000 && p < 5000) ? "met" : "NOT met" }')" >"$DATA/target" ;;
		paced) echo "the same, paced at $RATE predictions/s: $(awk -v r="$rps" -v want="$RATE" -v p="$p99" \
			'BEGIN { printf "%s", (want >= 20000 && r >= 0.99 * want && p < 5000) ? "met" : "NOT met" }')" >>"$DATA/target" ;;
		esac
	done
	cat "$DATA/target"
	echo "rule on ÷ off predictions/s: $(awk -v a="${MED[on]}" -v b="${MED[off]}" \
		'BEGIN { if (b > 0) printf "%.3f (target ≥ 0.90: %s)", a / b, (a / b >= 0.9) ? "met" : "NOT met"; else print "?" }')"
	echo "the loop's project holds $made items made by the rule (daily cap 1,000)"
}

main "$@"
