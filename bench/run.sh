#!/usr/bin/env bash
# The labeling-loop benchmark (`make bench`). Builds crowdloop and crowdloop-loadgen, starts a
# real `crowdloop serve` on a fresh data directory and a free loopback port, seeds it over HTTP
# (an org, a manager, an open text_class project with labels pos/neg, 64 workers and 64
# reviewers with their tokens in files, N items imported as JSONL in chunks of 50,000 lines),
# then measures: the HTTP ceiling (GET /healthz), full worker/reviewer cycles on 10k items, and
# the same on a fresh server with 1M items (BENCH_LARGE=0 skips it). Each cycles case runs twice:
# with a request per step (claim, submit, review claim, approve), then chained (submit and
# approve ask for the next task in the same request, "next": true; BENCH_CHAINED=0 skips it),
# the 1M one on the same server. The 10k case runs BENCH_SMALL_RUNS times (3) in each mode,
# each on a fresh server and items: at these rates it measures about two seconds, so one run
# follows whatever the machine does then; the 1M case BENCH_LARGE_RUNS times (3) in each mode,
# one after the other on its server. The summary takes the run with the median
# cycles/s and lists the others. Per case it prints cycles/s,
# p50/p99 per route, the server's peak RSS (VmHWM) and CPU time, the ratio of cycles/s to the
# healthz requests/s, and at the end the ratio of the 1M figure to the 10k figure. Every step has
# a time limit and the server is killed on exit. Knobs (environment): BUILD_DIR (default build),
# BENCH_LARGE, BENCH_CONNECTIONS (64), BENCH_REVIEWERS (reviewer connections, default half),
# BENCH_DURATION (10 s), BENCH_WARMUP (1 s of cycles before each cycles case is measured: the
# first requests prepare statements and fill caches; it ends early once a fifth of the case's
# approvals are done, so that a fast machine still measures the 10k case), BENCH_HEALTHZ_DURATION (5 s),
# BENCH_SMALL_ITEMS (10000), BENCH_SMALL_RUNS (3), BENCH_LARGE_RUNS (3),
# BENCH_LARGE_ITEMS (1000000), BENCH_PRICE and BENCH_FEE (the project's price per approved task
# and reviewer fee in minor units, default 0: a free project; either set makes it a funded one,
# deposited enough for every item, so each claim checks the budget and each decision pays),
# BENCH_CHAINED (1), BENCH_SERVE_ARGS (extra `crowdloop serve` options, e.g.
# "--sync normal --quiet"), BENCH_KEEP=1 to keep the data directories and server logs,
# BENCH_SEED_DIR=DIR to only seed BENCH_SMALL_ITEMS items and leave the stopped store in DIR (for
# bench/compare.sh).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
BENCH_LARGE=${BENCH_LARGE:-1}
CONNECTIONS=${BENCH_CONNECTIONS:-64}
REVIEWERS=${BENCH_REVIEWERS:-$((CONNECTIONS / 2))}
DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-1}
HEALTHZ_DURATION=${BENCH_HEALTHZ_DURATION:-5}
SMALL_ITEMS=${BENCH_SMALL_ITEMS:-10000}
LARGE_ITEMS=${BENCH_LARGE_ITEMS:-1000000}
CHAINED=${BENCH_CHAINED:-1}
SMALL_RUNS=${BENCH_SMALL_RUNS:-3}
PRICE=${BENCH_PRICE:-0}
FEE=${BENCH_FEE:-0}
LARGE_RUNS=${BENCH_LARGE_RUNS:-3}
read -r -a SERVE_ARGS <<<"${BENCH_SERVE_ARGS:-}"
USERS=64
CHUNK=50000

# 10000 -> 10k, 1000000 -> 1M: the names of the cases.
human() { awk -v n="$1" 'BEGIN { if (n % 1000000 == 0) printf "%dM", n / 1000000;
	else if (n % 1000 == 0) printf "%dk", n / 1000; else printf "%d", n }'; }
SMALL=$(human "$SMALL_ITEMS")
LARGE=$(human "$LARGE_ITEMS")

BIN=$BUILD_DIR/crowdloop
LOADGEN=$BUILD_DIR/crowdloop-loadgen
DATA_DIRS=()
BENCH_TAG=bench
. "$ROOT/bench/lib.sh"

cleanup() {
	stop_server
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		[ ${#DATA_DIRS[@]} -gt 0 ] && log "kept: ${DATA_DIRS[*]}"
	else
		for d in "${DATA_DIRS[@]}"; do rm -rf "$d"; done
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The store writer's group commits, write jobs, WAL pages and WAL flushes so far, and the
# seconds it spent running jobs, committing and flushing, from /metrics:
# "COMMITS JOBS PAGES SYNCS RUN_S COMMIT_S FLUSH_S".
writer_counts() {
	curl -sf "http://127.0.0.1:$PORT/metrics" | awk '
		/^crowdloop_db_commits_total / { c = $2 }
		/^crowdloop_db_write_jobs_total / { j = $2 }
		/^crowdloop_db_pages_written_total / { p = $2 }
		/^crowdloop_db_syncs_total / { s = $2 }
		/^crowdloop_db_writer_run_seconds_total / { r = $2 }
		/^crowdloop_db_writer_commit_seconds_total / { w = $2 }
		/^crowdloop_db_flush_seconds_total / { f = $2 }
		END { printf "%d %d %d %d %.6f %.6f %.6f", c, j, p, s, r, w, f }'
}

# VmHWM of the server in MiB.
server_hwm_mib() {
	awk '/^VmHWM:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "?"
}

# Resets the server's VmHWM (Linux: 5 > clear_refs) so that the next reading is the peak of the
# case alone, not of the seeding (argon2id logins take 64 MiB each).
reset_hwm() {
	echo 5 >"/proc/$SERVER_PID/clear_refs" 2>/dev/null || log "cannot reset VmHWM; peak RSS includes seeding"
}

# VmRSS of the server in MiB.
server_rss_mib() {
	awk '/^VmRSS:/ { printf "%.0f", $2 / 1024 }' "/proc/$SERVER_PID/status" 2>/dev/null || echo "?"
}

# Builds what the benchmark runs.
build() {
	build_targets "$BUILD_DIR" crowdloop crowdloop-loadgen
	[ -x "$BIN" ] && [ -x "$LOADGEN" ] || die "build did not produce $BIN and $LOADGEN"
}

# Starts a server on a fresh data directory and a free port: sets DATA, PORT, SERVER_PID.
start_server() {
	DATA=$(mktemp -d "${TMPDIR:-/tmp}/crowdloop-bench-XXXXXX")
	DATA_DIRS+=("$DATA")
	admin_create "$DATA"
	PORT=
	serve_data "$DATA"
}

# Seeds the running server with ITEMS items ($1): writes $DATA/project_id, workers.tok,
# reviewers.tok.
seed() {
	PYTHONPATH="$ROOT/bench" timeout 3600 python3 - "$PORT" "$DATA" "$1" "$USERS" "$CHUNK" "$PRICE" "$FEE" <<'PY'
import json, secrets, sys, time
from concurrent.futures import ThreadPoolExecutor
from bench_api import Api

port, data, items, users, chunk = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), \
    int(sys.argv[4]), int(sys.argv[5])
price, fee = int(sys.argv[6]), int(sys.argv[7])
api = Api(port, "seed")
call, ok, login = api.call, api.ok, api.login

t0 = time.time()
with open(data + "/admin.pw") as f:
    admin = login("admin", f.read().strip())
org = ok(201, call("POST", "/orgs", {"name": "bench"}, admin), "create org")

def make_user(name):
    pw = secrets.token_urlsafe(12)
    u = ok(201, call("POST", "/users", {"username": name, "password": pw}, admin),
           "create user " + name)
    return u["id"], login(name, pw)

mgr_id, manager = make_user("bench_manager")
ok(201, call("POST", "/orgs/%d/members" % org["id"], {"user_id": mgr_id, "role": "manager"},
             admin), "add manager")
project = ok(201, call("POST", "/projects", {
    "org_id": org["id"], "name": "bench", "kind": "text_class", "labels": ["pos", "neg"],
    "status": "open", "price": price, "reviewer_fee": fee}, manager), "create project")
pid = project["id"]
if price or fee:
    # Funded for every item at the most it can cost (its price and a fee per round).
    budget = items * (price + project["max_rounds"] * fee)
    ok(201, call("POST", "/orgs/%d/funds" % org["id"], {"amount": budget}, admin), "fund org")
    ok(201, call("POST", "/projects/%d/deposits" % pid, {"amount": budget}, manager),
       "deposit to project")

names = ["bench_w%03d" % i for i in range(users)] + ["bench_r%03d" % i for i in range(users)]
with ThreadPoolExecutor(4) as pool:
    made = list(pool.map(make_user, names))
def add(arg):
    (uid, _), role = arg
    ok(201, call("POST", "/projects/%d/members" % pid, {"user_id": uid, "role": role}, manager),
       "add member")
with ThreadPoolExecutor(4) as pool:
    list(pool.map(add, [(m, "worker") for m in made[:users]] +
                       [(m, "reviewer") for m in made[users:]]))
with open(data + "/workers.tok", "w") as f:
    f.write("".join(tok + "\n" for _, tok in made[:users]))
with open(data + "/reviewers.tok", "w") as f:
    f.write("".join(tok + "\n" for _, tok in made[users:]))
t1 = time.time()
print("seed: org, manager, project %d, %d workers and %d reviewers in %.1f s"
      % (pid, users, users, t1 - t0), file=sys.stderr)

accepted = 0
for start in range(0, items, chunk):
    n = min(chunk, items - start)
    body = "".join(json.dumps({"text": "bench item %d: a short review text number %d to label"
                                       % (i, i * 7919 % 1000003)}) + "\n"
                   for i in range(start, start + n)).encode()
    rep = ok(200, call("POST", "/projects/%d/items" % pid, body, manager,
                       ctype="application/x-ndjson", timeout=1800), "import")
    if rep["accepted"] != n:
        sys.exit("seed: import chunk at %d: accepted %d of %d (duplicates %d, rejected %d)"
                 % (start, rep["accepted"], n, rep["duplicates"], rep["rejected"]))
    accepted += rep["accepted"]
t2 = time.time()
print("seed: imported %d items in %.1f s (%.0f items/s)"
      % (accepted, t2 - t1, accepted / max(t2 - t1, 1e-9)), file=sys.stderr)
with open(data + "/project_id", "w") as f:
    f.write("%d\n" % pid)
with open(data + "/import_s", "w") as f:
    f.write("%.1f\n" % (t2 - t1))
PY
}

# Runs the loadgen with the given arguments; prints its report and leaves the RESULT line in
# LAST_RESULT.
loadgen() {
	local out
	out=$(timeout $(( ${DURATION%.*} + ${HEALTHZ_DURATION%.*} + 60 )) "$LOADGEN" --port "$PORT" "$@") \
		|| { printf '%s\n' "$out"; die "loadgen failed"; }
	printf '%s\n' "$out" | grep -v '^RESULT '
	LAST_RESULT=$(printf '%s\n' "$out" | grep '^RESULT ' | tail -1)
}

declare -A FIG

# One cycles case on the running server: $1 = label, $2 = items, $3 = "chained" for chained
# requests.
cycles_case() {
	local label=$1 items=$2 mode=${3:-} cpu0 cpu1
	local max=$(( items * 9 / 10 )) chained=()
	[ "$mode" = chained ] && chained=(--chained)
	echo
	echo "== cycles${mode:+ ($mode)}, $(human "$items") items: $CONNECTIONS connections ($((CONNECTIONS - REVIEWERS)) workers," \
		"$REVIEWERS reviewers), ${DURATION} s after ${WARMUP} s of warm-up (or $((max / 5)) approvals), or $max approvals =="
	echo "\$ crowdloop-loadgen --port $PORT --cycles${mode:+ --$mode} --connections $CONNECTIONS --reviewers $REVIEWERS" \
		"--warmup $WARMUP --duration $DURATION --max-cycles $max --project $(cat "$DATA/project_id")" \
		"--workers-file workers.tok --reviewers-file reviewers.tok"
	FIG[$label.rss_seed]=$(server_hwm_mib)
	reset_hwm
	echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	# The server's CPU time and writer counts as the measured part starts, after the warm-up.
	# The load generator creates $mark as its measured window opens: at the end of the warm-up,
	# or earlier once a fifth of the approvals are done.
	local w0 w1 start=$DATA/measure_start mark=$DATA/measuring
	rm -f "$start" "$mark"
	( exec {idle}<> <(:) # read -t on it waits 10 ms without starting a process
	  for _ in $(seq $(( (${WARMUP%.*} + 5) * 100 ))); do
		[ -e "$mark" ] && break
		read -r -t 0.01 -u "$idle" || true
	  done
	  echo "$(server_cpu_s) $(writer_counts)" >"$start" ) &
	local sampler=$!
	loadgen --cycles ${chained[@]+"${chained[@]}"} --connections "$CONNECTIONS" --reviewers "$REVIEWERS" --warmup "$WARMUP" \
		--duration "$DURATION" --max-cycles "$max" --project "$(cat "$DATA/project_id")" \
		--workers-file "$DATA/workers.tok" --reviewers-file "$DATA/reviewers.tok" --mark "$mark"
	cpu1=$(server_cpu_s)
	w1=$(writer_counts)
	wait "$sampler" || true
	read -r cpu0 w0 <"$start" || die "no start sample of the server's counters"
	local r=$LAST_RESULT
	FIG[$label.cps]=$(field cycles_per_s "$r")
	FIG[$label.rps]=$(field rps "$r")
	FIG[$label.elapsed]=$(field elapsed_s "$r")
	FIG[$label.errors]=$(( $(field errors "$r") ))
	FIG[$label.non2xx]=$(field non2xx "$r")
	local k
	for k in task_next submit review_next review; do
		FIG[$label.$k.p50]=$(field "${k}_p50_us" "$r")
		FIG[$label.$k.p99]=$(field "${k}_p99_us" "$r")
	done
	FIG[$label.rss]=$(server_hwm_mib)
	FIG[$label.rss_now]=$(server_rss_mib)
	FIG[$label.cpu]=$(awk -v a="$cpu0" -v b="$cpu1" -v t="${FIG[$label.elapsed]}" \
		'BEGIN { printf "%.0f", (t > 0 ? 100 * (b - a) / t : 0) }')
	FIG[$label.import]=$(cat "$DATA/import_s")
	FIG[$label.ratio]=$(awk -v c="${FIG[$label.cps]}" -v h="${FIG[healthz.rps]}" \
		'BEGIN { if (h > 0) printf "%.3f", c / h; else print "?" }')
	echo "server: peak RSS (VmHWM) during the case ${FIG[$label.rss]} MiB (seeding included:" \
		"${FIG[$label.rss_seed]} MiB), RSS at the end ${FIG[$label.rss_now]} MiB, CPU ${FIG[$label.cpu]}% of one core" \
		"during the run; items imported in ${FIG[$label.import]} s"
	echo "$w0 $w1" | awk -v t="${FIG[$label.elapsed]}" -v rps="${FIG[$label.rps]}" -v cpu="${FIG[$label.cpu]}" '{
		c = $8 - $1; j = $9 - $2; p = $10 - $3; s = $11 - $4
		r = $12 - $5; w = $13 - $6; f = $14 - $7
		printf "store writer: %d group commits (%.0f/s), %.1f write jobs and %.1f WAL pages per commit, %.0f WAL flushes/s;", c, c / t, (c ? j / c : 0), (c ? p / c : 0), s / t
		printf " server CPU per request %.0f us\n", (rps > 0 ? cpu * 10000 / rps : 0)
		printf "writer thread busy %.0f%% of the time: per commit %.2f ms running jobs and %.2f ms committing; %.2f ms per flush\n", (t > 0 ? 100 * (r + w) / t : 0), (c ? 1000 * r / c : 0), (c ? 1000 * w / c : 0), (s ? 1000 * f / s : 0) }'
	echo "cycles/s ÷ healthz requests/s = ${FIG[$label.cps]} / ${FIG[healthz.rps]}" \
		"= ${FIG[$label.ratio]}"
}

# A cycles case $3 times in mode $4 ("" or chained): $1 = its name (10k, 1M), $2 = items. With
# $5 = fresh, each run on a fresh server and items (the first on the server already running),
# else all on the running server. Its figures under "$1" or "$1-chained" are those of the run
# with the median cycles/s.
median_runs() {
	local name=$1 items=$2 runs=$3 mode=$4 fresh=$5 i label key
	local base=$name${mode:+-$mode} labels=()
	for i in $(seq "$runs"); do
		if [ -z "$SERVER_PID" ]; then
			start_server
			log "seeding $items items"
			seed "$items"
		fi
		label="$base#$i"
		cycles_case "$label" "$items" ${mode:+"$mode"}
		[ "$fresh" = fresh ] && stop_server
		labels+=("$label")
	done
	local median
	median=$(for label in "${labels[@]}"; do echo "${FIG[$label.cps]} $label"; done \
		| sort -n | awk '{ l[NR] = $2 } END { print l[int((NR + 1) / 2)] }')
	for key in "${!FIG[@]}"; do
		[[ $key == "$median."* ]] && FIG[$base.${key#"$median".}]=${FIG[$key]}
	done
	FIG[$base.runs]=$(for label in "${labels[@]}"; do printf '%s ' "${FIG[$label.cps]}"; done)
	FIG[$base.nruns]=$runs
	echo
	echo "$base: $runs runs, cycles/s ${FIG[$base.runs]}; the summary takes the median ($median)"
}

ms() { awk -v u="$1" 'BEGIN { if (u == "") print "-"; else printf "%.2f", u / 1000 }'; }

summary_row() {
	local l=$1
	printf '| %s | %s | %s | %s/%s | %s/%s | %s/%s | %s/%s | %s | %s | %s |\n' "$l" \
		"${FIG[$l.cps]}" "${FIG[$l.rps]}" \
		"$(ms "${FIG[$l.task_next.p50]}")" "$(ms "${FIG[$l.task_next.p99]}")" \
		"$(ms "${FIG[$l.submit.p50]}")" "$(ms "${FIG[$l.submit.p99]}")" \
		"$(ms "${FIG[$l.review_next.p50]}")" "$(ms "${FIG[$l.review_next.p99]}")" \
		"$(ms "${FIG[$l.review.p50]}")" "$(ms "${FIG[$l.review.p99]}")" \
		"${FIG[$l.rss]}" "${FIG[$l.cpu]}" "${FIG[$l.ratio]}"
}

main() {
	command -v curl >/dev/null || die "curl is needed"
	command -v python3 >/dev/null || die "python3 is needed"
	log "building in $BUILD_DIR"
	build
	echo "crowdloop labeling-loop benchmark, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
	echo "machine: $(nproc) cores, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1)," \
		"$(awk '/^MemTotal:/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
		"$(uname -sr)"
	echo "build: $BUILD_DIR ($(sed -n 's/^CMAKE_BUILD_TYPE:[^=]*=//p' "$BUILD_DIR/CMakeCache.txt"))," \
		"serve options: ${BENCH_SERVE_ARGS:-(defaults)}"
	echo "source: commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?')$(
		[ -n "$(git -C "$ROOT" status --porcelain --untracked-files=no 2>/dev/null)" ] \
			&& echo ' with uncommitted changes')"

	start_server
	log "seeding $SMALL_ITEMS items"
	seed "$SMALL_ITEMS"
	if [ -n "${BENCH_SEED_DIR:-}" ]; then
		stop_server
		mv "$DATA" "$BENCH_SEED_DIR" || die "cannot move the seeded store to $BENCH_SEED_DIR"
		log "seeded store in $BENCH_SEED_DIR"
		return 0
	fi

	echo
	echo "== healthz ceiling: $CONNECTIONS connections, ${HEALTHZ_DURATION} s =="
	echo "\$ crowdloop-loadgen --port $PORT --healthz --connections $CONNECTIONS --duration $HEALTHZ_DURATION"
	local cpu0 cpu1
	echo "load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
	cpu0=$(server_cpu_s)
	loadgen --healthz --connections "$CONNECTIONS" --duration "$HEALTHZ_DURATION"
	cpu1=$(server_cpu_s)
	FIG[healthz.rps]=$(field rps "$LAST_RESULT")
	echo "server: CPU $(awk -v a="$cpu0" -v b="$cpu1" -v t="$(field elapsed_s "$LAST_RESULT")" \
		'BEGIN { printf "%.0f", (t > 0 ? 100 * (b - a) / t : 0) }')% of one core during the run"

	median_runs "$SMALL" "$SMALL_ITEMS" "$SMALL_RUNS" "" fresh
	[ "$CHAINED" != 0 ] && median_runs "$SMALL" "$SMALL_ITEMS" "$SMALL_RUNS" chained fresh

	if [ "$BENCH_LARGE" != 0 ]; then
		start_server
		log "seeding $LARGE_ITEMS items (this takes a while)"
		seed "$LARGE_ITEMS"
		median_runs "$LARGE" "$LARGE_ITEMS" "$LARGE_RUNS" "" same
		[ "$CHAINED" != 0 ] && median_runs "$LARGE" "$LARGE_ITEMS" "$LARGE_RUNS" chained same
		stop_server
	fi

	echo
	echo "== summary ($CONNECTIONS connections; latencies in ms, p50/p99) =="
	echo "healthz ceiling: ${FIG[healthz.rps]} requests/s"
	echo "| items | cycles/s | requests/s | tasks/next | submit | reviews/next | review | server peak RSS MiB | server CPU % | cycles/s ÷ healthz req/s |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	local l k worst suffix
	for l in "$SMALL" "$LARGE" "$SMALL-chained" "$LARGE-chained"; do
		[ -n "${FIG[$l.cps]:-}" ] && summary_row "$l"
	done
	for l in "$SMALL" "$LARGE" "$SMALL-chained" "$LARGE-chained"; do
		[ -n "${FIG[$l.runs]:-}" ] && echo "$l: the median of ${FIG[$l.nruns]} runs at cycles/s ${FIG[$l.runs]}"
	done
	for suffix in "" "-chained"; do
		[ -n "${FIG[$LARGE$suffix.cps]:-}" ] && [ -n "${FIG[$SMALL$suffix.cps]:-}" ] || continue
		echo "$LARGE ÷ $SMALL cycles/s${suffix:+ (chained)}: $(awk -v a="${FIG[$LARGE$suffix.cps]}" -v b="${FIG[$SMALL$suffix.cps]}" \
			'BEGIN { if (b > 0) printf "%.3f (target ≥ 0.8: %s)", a / b, (a / b >= 0.8) ? "met" : "NOT met"; else print "?" }')"
	done
	for l in "$SMALL" "$LARGE" "$SMALL-chained" "$LARGE-chained"; do
		[ -n "${FIG[$l.cps]:-}" ] || continue
		worst=0
		for k in task_next submit review_next review; do
			[ "${FIG[$l.$k.p99]:-0}" -gt "$worst" ] && worst=${FIG[$l.$k.p99]}
		done
		echo "target ≥ 5,000 cycles/s with p99 < 20 ms ($l): $(awk -v c="${FIG[$l.cps]}" -v w="$worst" \
			'BEGIN { printf "%s (%.1f cycles/s, worst p99 %.2f ms)", (c >= 5000 && w < 20000) ? "met" : "NOT met", c, w / 1000 }')"
		if [ "${FIG[$l.errors]}" != 0 ] || [ "${FIG[$l.non2xx]}" != 0 ]; then
			echo "note: $l case had ${FIG[$l.non2xx]} non-2xx answers and ${FIG[$l.errors]} errors (see above)"
		fi
	done
}

main "$@"
