#!/usr/bin/env bash
# Export benchmark: N approved image_bbox annotations (one box each) seeded straight into the
# store with one SQLite statement per table, then exported over HTTP as JSONL and as COCO by a
# fresh `crowdloop serve` each time. Prints annotations per second and the server's peak RSS
# (VmHWM) per format and size.
#
#   bench/export_bench.sh [BUILD_DIR] [SIZES...]     e.g. bench/export_bench.sh build 100000 1000000
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
shift || true
SIZES=${*:-100000 1000000}
BIN=$(cd "$BUILD" && pwd)/crowdloop
PORT=${PORT:-18777}
URL=http://127.0.0.1:$PORT/api/v1
. "$ROOT/bench/lib.sh"

printf '%-10s %-6s %12s %10s %14s %12s\n' annotations format seconds MB annotations/s peak_RSS_MB
for N in $SIZES; do
	DIR=$(mktemp -d /tmp/crowdloop-bench-XXXXXX)
	admin_create "$DIR"
	serve_data "$DIR"
	admin_project "$DIR" image_bbox '["cat","dog"]'
	stop_server
	python3 - "$DIR/crowdloop.db" "$PID" "$N" <<'PY'
import sqlite3, sys
db, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
c.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")
now = 1795000000000
with c:
    c.execute("""WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
        INSERT INTO items(id, project_id, type, content_hash, blob, mime, width, height, created_at)
        SELECT i, ?, 'image', printf('%064x', i), printf('%064x', i), 'image/png', 640, 480, ?
        FROM k""", (n, pid, now))
    c.execute("""INSERT INTO tasks(id, project_id, item_id, slot, state, worker_id, reviewer_id,
        round, first_pass, annotation_id, updated_at, approved_at)
        SELECT id, ?, id, 0, 'approved', 1, 1, 1, 1, id, ?, ? FROM items""", (pid, now, now))
    c.execute("""INSERT INTO annotations(id, task_id, round, author_id, source, data, created_at)
        SELECT id, id, 1, 1, 'worker', '{"boxes":[{"x":' || (id % 500) || ',"y":12.5,"w":100,'
        || '"h":80,"label":"' || CASE id % 2 WHEN 0 THEN 'cat' ELSE 'dog' END || '"}]}', ?
        FROM tasks""", (now,))
c.close()
PY
	for FMT in jsonl coco; do
		serve_data "$DIR"
		START=$(date +%s.%N)
		BYTES=$(curl -sf -H "$AUTH" "$URL/projects/$PID/export?format=$FMT" -o /dev/null -w '%{size_download}')
		END=$(date +%s.%N)
		HWM=$(awk '/VmHWM/ {print $2}' /proc/$SERVER_PID/status)
		stop_server
		python3 -c "
s = $END - $START
print('%-10d %-6s %12.2f %10.1f %14.0f %12.1f' % ($N, '$FMT', s, $BYTES / 1e6, $N / s, $HWM / 1024))"
	done
	rm -rf "$DIR"
done
