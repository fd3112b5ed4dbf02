#!/usr/bin/env bash
# Task browser benchmark: N text tasks of one project seeded straight into the store (70%
# approved with an answer, 20% open, 5% submitted, 5% rework; 50 workers, 10 reviewers, one item
# in a thousand gold), then the first page (50 tasks) of GET /projects/{id}/tasks timed under
# each filter of the browser by a fresh `crowdloop serve`: the median and the slowest of 11
# requests after one warm-up, as curl measures them.
#
#   bench/task_browser.sh [BUILD_DIR] [SIZES...]     e.g. bench/task_browser.sh build 1000000
#   SKIP_TEXT=1 bench/task_browser.sh build 1000000  without the text search, which reads every
#                                                    item's text (seconds at a million)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-build}
shift || true
SIZES=${*:-1000000}
BIN=$(cd "$BUILD" && pwd)/crowdloop
PORT=${PORT:-18778}
URL=http://127.0.0.1:$PORT/api/v1
. "$ROOT/bench/lib.sh"

FILTERS=(
	""
	"state=open"
	"state=approved&sort=-id"
	"worker_id=7"
	"reviewer_id=55"
	"label=neg"
	"round=1"
	"gold=true"
	"gold=false"
	"from=2026-01-01&to=2026-12-31"
	"state=rework&label=pos"
)
[ -n "${SKIP_TEXT:-}" ] || FILTERS+=("q=number%201234")

printf '%-9s %-32s %10s %10s %6s\n' tasks filter median_ms max_ms rows
for N in $SIZES; do
	DIR=$(mktemp -d /tmp/crowdloop-bench-XXXXXX)
	admin_create "$DIR"
	serve_data "$DIR"
	admin_project "$DIR" text_class '["pos","neg"]'
	stop_server
	python3 - "$DIR/crowdloop.db" "$PID" "$N" <<'PY'
import sqlite3, sys
db, pid, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
c = sqlite3.connect(db)
c.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;")
t0 = 1767225600000  # 2026-01-01
with c:
    c.execute("""WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < ?)
        INSERT INTO items(id, project_id, type, content_hash, text, created_at)
        SELECT i, ?, 'text', printf('%064x', i), 'Sentence number ' || i || ' of the bench.', ?
        FROM k""", (n, pid, t0))
    # By the item id modulo 100: 0-69 approved, 70-89 open, 90-94 submitted, 95-99 rework.
    c.execute("""INSERT INTO tasks(id, project_id, item_id, slot, state, worker_id, reviewer_id,
        round, first_pass, annotation_id, updated_at, approved_at)
        SELECT id, ?, id, 0,
          CASE WHEN id % 100 < 70 THEN 'approved' WHEN id % 100 < 90 THEN 'open'
               WHEN id % 100 < 95 THEN 'submitted' ELSE 'rework' END,
          iif(id % 100 < 70 OR id % 100 >= 90, 1 + id % 50, NULL),
          iif(id % 100 < 70, 51 + id % 10, NULL),
          iif(id % 100 BETWEEN 70 AND 89, 0, 1), 1, iif(id % 100 BETWEEN 70 AND 89, NULL, id),
          ? + id * 20000, iif(id % 100 < 70, ? + id * 20000, NULL) FROM items""", (pid, t0, t0))
    c.execute("""INSERT INTO annotations(id, task_id, round, author_id, source, data, created_at)
        SELECT id, id, 1, 1 + id % 50, 'submit', '{"labels":["' ||
        CASE id % 3 WHEN 0 THEN 'neg' ELSE 'pos' END || '"]}', ? FROM tasks
        WHERE annotation_id IS NOT NULL""", (t0,))
    c.execute("""INSERT INTO gold_items(item_id, project_id, answer, created_at)
        SELECT id, ?, '{"labels":["pos"]}', ? FROM items WHERE id % 1000 = 3""", (pid, t0))
    c.execute("ANALYZE")
c.close()
PY
	serve_data "$DIR"
	for F in "${FILTERS[@]}"; do
		Q="$URL/projects/$PID/tasks?limit=50${F:+&$F}"
		ROWS=$(curl -sf -H "$AUTH" "$Q" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["items"]))')
		TIMES=$(for _ in $(seq 11); do curl -sf -H "$AUTH" "$Q" -o /dev/null -w '%{time_total}\n'; done)
		python3 -c "
import sys
t = sorted(float(x) * 1000 for x in '''$TIMES'''.split())
print('%-9d %-32s %10.1f %10.1f %6d' % ($N, '''${F:-(none)}''', t[len(t) // 2], t[-1], $ROWS))"
	done
	stop_server
	rm -rf "$DIR"
done
