# shellcheck shell=bash
# Shell functions the benchmarks share: sourced (`. "$ROOT/bench/lib.sh"`), never run.
# A script sets BIN (the crowdloop binary) and may set BENCH_TAG (the log lines' prefix) and the
# array SERVE_ARGS (extra `crowdloop serve` options) before calling them. The server they start
# is SERVER_PID, listening on 127.0.0.1:$PORT.
SERVER_PID=

log() { printf '[%s %s] %s\n' "${BENCH_TAG:-bench}" "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "error: $*"; exit 1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Field KEY of a loadgen RESULT line ($2); empty when absent.
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"; }

# utime + stime of process $1 in seconds.
pid_cpu_s() {
	awk -v hz="$(getconf CLK_TCK)" '{ printf "%.3f", ($14 + $15) / hz }' "/proc/$1/stat"
}

# utime + stime of the server in seconds.
server_cpu_s() { pid_cpu_s "$SERVER_PID" 2>/dev/null || echo 0; }

# Builds the targets $2... in build directory $1 (configured as Release when new).
build_targets() {
	local dir=$1
	shift
	if [ ! -f "$dir/CMakeCache.txt" ]; then
		cmake -S "$ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null \
			|| die "cmake configure of $dir failed"
	fi
	cmake --build "$dir" -j "$(nproc)" --target "$@" >/dev/null \
		|| die "build of $dir failed (compiler output above)"
}

# Waits until the server of process $1 answers GET /healthz on port $2, at most $4 seconds
# (30); dies with the end of its log $3 when it exits or does not answer in time.
wait_healthz() {
	local pid=$1 port=$2 server_log=$3 tries=$(( ${4:-30} * 10 ))
	for _ in $(seq "$tries"); do
		kill -0 "$pid" 2>/dev/null || die "server exited: $(tail -5 "$server_log")"
		curl -fsS -m 2 "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	die "server did not answer /healthz within $(( tries / 10 )) s"
}

# Creates the user admin in data directory $1, its password in $1/admin.pw.
admin_create() {
	python3 -c 'import secrets; print(secrets.token_urlsafe(18))' >"$1/admin.pw"
	chmod 600 "$1/admin.pw"
	timeout 60 "$BIN" admin create --data "$1" --username admin \
		--password-file "$1/admin.pw" >"$1/admin-create.log" 2>&1 \
		|| die "admin create failed: $(tail -5 "$1/admin-create.log")"
}

# Starts `crowdloop serve` on data directory $1 and port $PORT (a free one when PORT is empty),
# its output in $1/server.log, and waits until it answers: sets PORT and SERVER_PID.
serve_data() {
	PORT=${PORT:-$(free_port)}
	"$BIN" serve --data "$1" --listen "127.0.0.1:$PORT" ${SERVE_ARGS[@]+"${SERVE_ARGS[@]}"} \
		>"$1/server.log" 2>&1 &
	SERVER_PID=$!
	wait_healthz "$SERVER_PID" "$PORT" "$1/server.log"
	log "server pid $SERVER_PID on 127.0.0.1:$PORT, data $1"
}

# Field $1 of the JSON object on stdin.
json_field() { python3 -c "import json,sys; print(json.load(sys.stdin)[\"$1\"])"; }

# Over HTTP as the admin of data directory $1 (its server running): an org and a project of
# kind $2 with labels $3 (a JSON array). Sets AUTH (the admin's header) and PID (the project).
admin_project() {
	local url=http://127.0.0.1:$PORT/api/v1 token org
	token=$(curl -sf "$url/auth/login" -H 'Content-Type: application/json' \
		-d "{\"username\":\"admin\",\"password\":\"$(cat "$1/admin.pw")\"}" | json_field token) \
		|| die "admin login failed"
	AUTH="Authorization: Bearer $token"
	org=$(curl -sf "$url/orgs" -H "$AUTH" -H 'Content-Type: application/json' \
		-d '{"name":"bench"}' | json_field id) || die "cannot create the org"
	# shellcheck disable=SC2034 # the project's id, for the script that sourced this file
	PID=$(curl -sf "$url/projects" -H "$AUTH" -H 'Content-Type: application/json' \
		-d "{\"org_id\":$org,\"name\":\"bench\",\"kind\":\"$2\",\"labels\":$3}" |
		json_field id) || die "cannot create the project"
}

# Stops the server: TERM, then KILL after 10 s.
stop_server() {
	if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill -TERM "$SERVER_PID" 2>/dev/null || true
		for _ in $(seq 100); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
	fi
	SERVER_PID=
}

# Switches the feedback rule of the serving benchmarks' endpoint (a data directory $2 made by
# bench/serving.sh, its server on port $1) on, with threshold $4 (0.9) and its project, or off.
set_feedback_rule() {
	local body='{"feedback":null}'
	[ "$3" = on ] && body="{\"feedback\":{\"project_id\":$(cat "$2/project_id"),\"threshold\":${4:-0.9}}}"
	curl -fsS -m 30 -X PATCH -H "Authorization: Bearer $(cat "$2/admin.tok")" \
		-H 'Content-Type: application/json' -d "$body" \
		"http://127.0.0.1:$1/api/v1/endpoints/$(cat "$2/endpoint_id")" >/dev/null \
		|| die "cannot switch the feedback rule $3"
}

# ---- two builds side by side (bench/compare.sh, bench/serving_compare.sh) ----

# For a script given two build directories ($2 and $3, relative to the source tree or absolute):
# sets A and B to them, made absolute, and makes WORK, a fresh directory named after $1, removed
# at exit with every server of PIDS stopped; builds crowdloop and the load generator in both.
pair_start() {
	[ $# -eq 3 ] || { echo "usage: bash bench/${0##*/} BUILD_A BUILD_B" >&2; exit 2; }
	local name=$1 dir
	shift
	for dir in A B; do
		case $1 in /*) printf -v "$dir" '%s' "$1" ;; *) printf -v "$dir" '%s' "$ROOT/$1" ;; esac
		shift
	done
	WORK=$(mktemp -d "${TMPDIR:-/tmp}/crowdloop-$name-XXXXXX")
	PIDS=()
	trap pair_cleanup EXIT
	trap 'exit 130' INT TERM
	build_targets "$A" crowdloop crowdloop-loadgen
	build_targets "$B" crowdloop crowdloop-loadgen
}

pair_cleanup() {
	for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$WORK"
}

# Starts build $1's server on data directory $2 with environment settings $3 (one word, spaces
# between) and options $4...; prints "PID PORT".
pair_serve() {
	local bin=$1/crowdloop data=$2 vars=$3 p
	shift 3
	p=$(free_port)
	# shellcheck disable=SC2086 # the settings are words
	env $vars "$bin" serve --data "$data" --listen "127.0.0.1:$p" "$@" >"$data/server.log" 2>&1 &
	local pid=$!
	wait_healthz "$pid" "$p" "$data/server.log"
	echo "$pid $p"
}

# Starts A's server on $WORK/a and B's on $WORK/b, each with its COMPARE_ENV_A / _B settings and
# COMPARE_ARGS_A / _B options: sets PID_A, PORT_A, PID_B and PORT_B.
pair_serve_both() {
	local args_a args_b
	read -r -a args_a <<<"${COMPARE_ARGS_A:-}"
	read -r -a args_b <<<"${COMPARE_ARGS_B:-}"
	# shellcheck disable=SC2034 # the ports are the sourcing script's
	read -r PID_A PORT_A < <(pair_serve "$A" "$WORK/a" "${COMPARE_ENV_A:-}" ${args_a[@]+"${args_a[@]}"})
	PIDS+=("$PID_A")
	# shellcheck disable=SC2034
	read -r PID_B PORT_B < <(pair_serve "$B" "$WORK/b" "${COMPARE_ENV_B:-}" ${args_b[@]+"${args_b[@]}"})
	PIDS+=("$PID_B")
}

# The two builds, with their settings and options, a line each.
pair_describe() {
	echo "A: $A ${COMPARE_ENV_A:-} ${COMPARE_ARGS_A:-}"
	echo "B: $B ${COMPARE_ENV_B:-} ${COMPARE_ARGS_B:-}"
}

# awk's median(v, n) of v[1..n] (sorting v), to put before a program's text.
# shellcheck disable=SC2034 # used by the scripts that source this file
AWK_MEDIAN='function median(v, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
	return n % 2 ? v[(n + 1) / 2] : (v[n / 2] + v[n / 2 + 1]) / 2 }
'
