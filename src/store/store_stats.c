/* A project's figures: counts by state, throughput, first-pass approval, per worker. */
#include "store/store_stats.h"
#include "store/store_ledger.h"
#include "store/task_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tasks by state: the open ones as counted (OPEN_TASKS), the approved ones as the approvals
 * counted them (worker_counts), the work in progress and the settled ones through their own
 * small indexes (migration 10), the review backlog project by project (its index also holds
 * the open tasks). Nothing here reads an entry per open or approved task. `where` is a
 * condition and AND, or nothing. */
#define OPEN_OF_P OPEN_TASKS("p.project_id")
#define STATE_COUNTS(where)                                                                        \
	"SELECT 'open', coalesce(sum(" OPEN_OF_P "), 0) FROM project_counts p"                     \
	"  WHERE " where " true"                                                                   \
	" UNION ALL SELECT 'submitted', coalesce(sum((SELECT count(*) FROM tasks t"                \
	"  WHERE t.project_id = p.project_id AND t.state = 'submitted')), 0)"                      \
	"  FROM project_counts p WHERE " where " true"                                             \
	" UNION ALL SELECT 'approved', coalesce(sum(approved), 0) FROM worker_counts"              \
	"  WHERE " where " true"                                                                   \
	" UNION ALL SELECT state, count(*) FROM tasks INDEXED BY tasks_worker_live"                \
	"  WHERE " where " (state = 'assigned' OR state = 'rework') GROUP BY state"                \
	" UNION ALL SELECT 'in_review', count(*) FROM tasks INDEXED BY tasks_reviewer"             \
	"  WHERE " where " state = 'in_review'"                                                    \
	" UNION ALL SELECT state, count(*) FROM tasks INDEXED BY tasks_settled"                    \
	"  WHERE " where " (state = 'escalated' OR state = 'discarded') GROUP BY state"

/* The project's tasks by state and their total. */
static void stats_tasks(db_conn *c, int64_t project_id, project_stats *out)
{
	sqlite3_stmt *st = db_stmt(c, STATE_COUNTS("project_id = ?1 AND"));
	db_bind_int(st, 1, project_id);
	task_state s;
	while (db_step(st) == SQLITE_ROW) {
		if (!task_rows_state_parse(db_col_text(st, 0), &s))
			out->tasks[s] = sqlite3_column_int64(st, 1);
		out->total_tasks += sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

#define HOUR_MS (3600 * 1000)

/* Approvals per hour over the last day before `now`, from the event log. */
static void stats_per_hour(db_conn *c, int64_t project_id, int64_t now, project_stats *out)
{
	int64_t hour = HOUR_MS, since = (now / hour - 23) * hour;
	out->hours_since = since;
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT at / 3600000, count(*) FROM events WHERE project_id = ?"
		       " AND type IN ('approve','fix','auto_approve','resolve_approve') AND at >= ?"
		       " AND type NOT IN ('claim','review_claim')"
		       " GROUP BY 1");
	db_bind(st, DB_INT(project_id), DB_INT(since));
	while (db_step(st) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0) - since / hour;
		if (b >= 0 && b < 24)
			out->approved_per_hour[b] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

/* Per worker: the outcomes of their work, and the reviews they did, as each job counted them
 * (worker_counts, review_counts). */
static int stats_workers(db_conn *c, int64_t project_id, project_stats *out)
{
	size_t cap = 0;
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT w.id, u.username, sum(w.submitted), sum(w.approved),"
	       " sum(w.rejected), sum(w.first_pass), sum(w.reviews), sum(w.decided) FROM ("
	       "  SELECT user_id AS id, tasks_submitted AS submitted, approved, rejected,"
	       "   first_pass, 0 AS reviews, decided FROM worker_counts WHERE project_id = ?1"
	       "   AND (tasks_submitted > 0 OR approved > 0 OR rejected > 0)"
	       "  UNION ALL"
	       "  SELECT user_id, 0, 0, 0, 0, decisions, 0 FROM review_counts"
	       "   WHERE project_id = ?1 AND decisions > 0"
	       " ) w JOIN users u ON u.id = w.id GROUP BY w.id ORDER BY w.id");
	db_bind_int(st, 1, project_id);
	int rc = 0;
	while (!rc && db_step(st) == SQLITE_ROW) {
		if (out->n_workers == cap) {
			size_t n = cap ? cap * 2 : 16;
			stats_worker *w = realloc(out->workers, n * sizeof *w);
			if (!w) {
				rc = -1;
				break;
			}
			out->workers = w;
			cap = n;
		}
		stats_worker *w = &out->workers[out->n_workers++];
		w->user_id = sqlite3_column_int64(st, 0);
		snprintf(w->username, sizeof w->username, "%s", db_col_text(st, 1));
		w->submitted = sqlite3_column_int64(st, 2);
		w->approved = sqlite3_column_int64(st, 3);
		w->rejected = sqlite3_column_int64(st, 4);
		w->first_pass = sqlite3_column_int64(st, 5);
		w->reviews = sqlite3_column_int64(st, 6);
		w->decided = sqlite3_column_int64(st, 7);
	}
	sqlite3_reset(st);
	return rc;
}

int store_project_stats(db *d, int64_t project_id, int64_t now, project_stats *out)
{
	*out = (project_stats){0};
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = db_stmt(c, "SELECT items FROM project_counts WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	out->items = db_one_int(st);
	stats_tasks(c, project_id, out);
	stats_per_hour(c, project_id, now, out);
	st =
	    db_stmt(c, "SELECT count(*) FROM events WHERE project_id = ?"
		       " AND type IN ('approve','fix','auto_approve','resolve_approve') AND at >= ?"
		       " AND type NOT IN ('claim','review_claim')");
	db_bind(st, DB_INT(project_id), DB_INT(now - HOUR_MS));
	out->approved_last_hour = db_one_int(st);
	/* Review decisions (approve, fix, reject) as each decision's job counted them. */
	st = db_stmt(c,
		     "SELECT coalesce(sum(decisions), 0) FROM review_counts WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	out->reviews = db_one_int(st);
	int rc = stats_workers(c, project_id, out);
	db_read_end(c);
	return rc;
}

void store_preannotation_rows(db *d, int64_t project_id,
			      void (*fn)(void *ctx, int64_t ms, const char *pre, const char *ann),
			      void *ctx)
{
	sqlite3_stmt *st = db_stmt(
	    db_reader(d),
	    "SELECT a.created_at - coalesce((SELECT max(e.at) FROM events e"
	    "  WHERE e.task_id = a.task_id AND e.type = 'claim' AND e.actor_id = a.author_id"
	    "  AND e.at <= a.created_at), a.created_at + 1),"
	    " json_extract(i.meta, '$.preannotation'), a.data"
	    " FROM tasks t JOIN annotations a ON a.task_id = t.id AND a.round = 1"
	    "  AND a.source = 'submit'"
	    " JOIN items i ON i.id = t.item_id WHERE t.project_id = ?"
	    "  AND json_valid(coalesce(i.meta, '{}'))");
	db_bind_int(st, 1, project_id);
	while (db_step(st) == SQLITE_ROW)
		fn(ctx, sqlite3_column_int64(st, 0),
		   sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL
							     : (const char *)sqlite3_column_text(st, 1),
		   (const char *)sqlite3_column_text(st, 2));
	sqlite3_reset(st);
}

void store_task_state_counts(db *d, int64_t counts[8])
{
	memset(counts, 0, 8 * sizeof counts[0]);
	sqlite3_stmt *st = db_stmt(db_reader(d), STATE_COUNTS(""));
	task_state s;
	while (db_step(st) == SQLITE_ROW)
		if (!task_rows_state_parse(db_col_text(st, 0), &s) && s < 8)
			counts[s] = sqlite3_column_int64(st, 1);
	sqlite3_reset(st);
}
