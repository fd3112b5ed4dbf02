/* A project's figures: counts by state, throughput, first-pass approval, per worker. */
#include "store/store_stats.h"
#include "store/store_ledger.h"
#include "core/task_types.h"
#include "util/clock.h"

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

/* The project's tasks by state ("tasks") and their total ("total_tasks"), into o. */
static void stats_tasks(db_conn *c, int64_t project_id, json_t *o)
{
	json_t *states = json_object();
	for (int s = 0; s < TASK_STATE_COUNT; s++)
		json_object_set_new(states, task_state_names[s], json_integer(0));
	int64_t total = 0;
	sqlite3_stmt *st = db_stmt(c, STATE_COUNTS("project_id = ?1 AND"));
	db_bind_int(st, 1, project_id);
	while (db_step(st) == SQLITE_ROW) {
		json_object_set_new(states, db_col_text(st, 0),
				    json_integer(sqlite3_column_int64(st, 1)));
		total += sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	json_object_set_new(o, "tasks", states);
	json_object_set_new(o, "total_tasks", json_integer(total));
}

#define HOUR_MS (3600 * 1000)

/* Approvals per hour over the last day before `now`, from the event log. */
static json_t *stats_per_hour(db_conn *c, int64_t project_id, int64_t now)
{
	int64_t hour = HOUR_MS, since = (now / hour - 23) * hour;
	int64_t buckets[24] = {0};
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT at / 3600000, count(*) FROM events WHERE project_id = ?"
		       " AND type IN ('approve','fix','auto_approve','resolve_approve') AND at >= ?"
		       " AND type NOT IN ('claim','review_claim')"
		       " GROUP BY 1");
	db_bind(st, DB_INT(project_id), DB_INT(since));
	while (db_step(st) == SQLITE_ROW) {
		int64_t b = sqlite3_column_int64(st, 0) - since / hour;
		if (b >= 0 && b < 24)
			buckets[b] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	json_t *per_hour = json_array();
	for (int i = 0; i < 24; i++) {
		char at[32];
		clock_iso8601(since + i * hour, at);
		json_array_append_new(per_hour, json_pack("{s:s,s:I}", "hour", at, "approved",
							  (json_int_t)buckets[i]));
	}
	return per_hour;
}

/* Per worker: the outcomes of their work, and the reviews they did, as each job counted them
 * (worker_counts, review_counts), into o with the project's first-pass rate. That rate is over
 * tasks that had a decision: approved ones and rejected ones not yet approved. */
static void stats_workers(db_conn *c, int64_t project_id, json_t *o)
{
	json_t *workers = json_array();
	int64_t decided_all = 0, first_pass_all = 0;
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
	while (db_step(st) == SQLITE_ROW) {
		decided_all += sqlite3_column_int64(st, 7);
		first_pass_all += sqlite3_column_int64(st, 5);
		json_array_append_new(
		    workers,
		    json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I}", "user_id",
			      (json_int_t)sqlite3_column_int64(st, 0), "username",
			      db_col_text(st, 1), "submitted",
			      (json_int_t)sqlite3_column_int64(st, 2), "approved",
			      (json_int_t)sqlite3_column_int64(st, 3), "rejected",
			      (json_int_t)sqlite3_column_int64(st, 4), "first_pass_approved",
			      (json_int_t)sqlite3_column_int64(st, 5), "reviews_done",
			      (json_int_t)sqlite3_column_int64(st, 6)));
	}
	sqlite3_reset(st);
	json_object_set_new(o, "workers", workers);
	json_object_set_new(o, "first_pass_approval_rate",
			    decided_all ? json_real((double)first_pass_all / (double)decided_all)
					: json_null());
}

json_t *store_project_stats(db *d, int64_t project_id, int64_t now)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	json_t *o = json_pack("{s:I}", "project_id", (json_int_t)project_id);
	sqlite3_stmt *st = db_stmt(c, "SELECT items FROM project_counts WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	json_object_set_new(o, "items", json_integer(db_one_int(st)));
	stats_tasks(c, project_id, o);
	json_object_set_new(o, "approved_per_hour", stats_per_hour(c, project_id, now));
	st =
	    db_stmt(c, "SELECT count(*) FROM events WHERE project_id = ?"
		       " AND type IN ('approve','fix','auto_approve','resolve_approve') AND at >= ?"
		       " AND type NOT IN ('claim','review_claim')");
	db_bind(st, DB_INT(project_id), DB_INT(now - HOUR_MS));
	json_object_set_new(o, "approved_last_hour", json_integer(db_one_int(st)));
	/* Review decisions (approve, fix, reject) as each decision's job counted them. */
	st = db_stmt(c,
		     "SELECT coalesce(sum(decisions), 0) FROM review_counts WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	json_object_set_new(o, "reviews", json_integer(db_one_int(st)));
	stats_workers(c, project_id, o);
	db_read_end(c);
	return o;
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
	while (db_step(st) == SQLITE_ROW) {
		for (int s = 0; s < TASK_STATE_COUNT && s < 8; s++)
			if (!strcmp(db_col_text(st, 0), task_state_names[s]))
				counts[s] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}
