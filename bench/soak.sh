#!/usr/bin/env bash
# The soak run: an hour (or `--minutes N`) of mixed load at a moderate, fixed rate against one
# real server, printing its resident memory, open descriptors, threads and the interval's p50/p99
# latency per request group every minute (bench/soak.py does the work and says what the load is).
# What it is for: memory, descriptors or threads that grow with time under ordinary traffic, which
# the short benchmarks never run long enough to show. Options: --minutes N (60), --interval S (60),
# --rate R (claims per second over all workers, 20: a steady pace that a 2-core VM sustains
# alongside its other work, far under bench/run.sh's rates, so that what grows is time, not load),
# --workers N (8), --reviewers N (4), --export-every S (10), --predict-every S (2),
# --serve-arg ARG (repeatable: extra `crowdloop serve` options). BUILD_DIR (build) names the
# build whose crowdloop it runs; CROWDLOOP_BIN overrides it.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-build}
case $BUILD_DIR in /*) ;; *) BUILD_DIR=$ROOT/$BUILD_DIR ;; esac
export CROWDLOOP_BIN=${CROWDLOOP_BIN:-$BUILD_DIR/crowdloop}
[ -x "$CROWDLOOP_BIN" ] || { echo "soak: no $CROWDLOOP_BIN (build it first)" >&2; exit 2; }
echo "soak: $CROWDLOOP_BIN, started $(date -u +%FT%TZ), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
exec python3 "$ROOT/bench/soak.py" "$@"
