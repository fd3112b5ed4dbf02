/* The manager's desk and the worker's own view of their work in SQL: a task's priority, a
 * submission its worker takes back, a member's live leases and the member's removal, every
 * round of a task with the reviews between them, and how many tasks a worker may still claim.
 * Rules are core's (core/task_desk.c); this file reads and writes what it is told. */
#include "store/task_desk.h"
#include "util/clock.h"

#include <string.h>

int task_desk_priority_set(db_conn *c, const task_row *t, int priority, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET priority = ?, updated_at = ? WHERE id = ?");
	db_bind(st, DB_INT(priority), DB_INT(now), DB_INT(t->id));
	return db_exec_stmt(st, err);
}

/* Back to its worker's lease, a round back; the annotation taken back is marked withdrawn, so
 * figures that count submitted answers (source 'submit') no longer see it. The claim's time
 * stays: the time worked on the task runs from it, as the submit events measure it. */
int task_desk_reopened(db_conn *c, const task_row *t, int64_t until, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE annotations SET source = 'withdrawn' WHERE id = ?"
				      " AND source = 'submit'");
	db_bind(st, DB_INT(t->annotation_id));
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	st = db_stmt(c, "UPDATE tasks SET state = 'assigned', round = max(round - 1, 0),"
			" lease_until = ?1, updated_at = ?2, reviewer_id = NULL"
			" WHERE id = ?3");
	db_bind(st, DB_INT(until), DB_INT(now), DB_INT(t->id));
	return db_exec_stmt(st, err);
}

/* A rework keeps its rejection for the new worker, who finds it first in their queue. A lease
 * handed over has no claim of theirs to measure their time from: none is counted. */
int task_desk_reassigned(db_conn *c, const task_row *t, int64_t worker_id, int64_t until,
			 int64_t now, cl_error *err)
{
	sqlite3_stmt *st =
	    t->state == TASK_ASSIGNED
		? db_stmt(c, "UPDATE tasks SET worker_id = ?1, lease_until = ?2, claimed_at = NULL,"
			     " updated_at = ?3 WHERE id = ?4")
		: db_stmt(c, "UPDATE tasks SET worker_id = ?1, updated_at = ?3 WHERE id = ?4");
	db_bind(st, DB_INT(worker_id), DB_INT(until), DB_INT(now), DB_INT(t->id));
	return db_exec_stmt(st, err);
}

bool task_desk_worker_has_item(db_conn *c, int64_t item_id, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM tasks WHERE item_id = ? AND +worker_id = ?");
	db_bind(st, DB_INT(item_id), DB_INT(user_id));
	return db_one_int(st) == 1;
}

int task_desk_member_leases(db_conn *c, int64_t project_id, int64_t user_id, int64_t *ids, int max)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_worker_live WHERE worker_id = ?1"
		       " AND project_id = ?2 AND state = 'assigned' UNION ALL"
		       " SELECT id FROM tasks INDEXED BY tasks_reviewer WHERE reviewer_id = ?1"
		       " AND project_id = ?2 AND state = 'in_review' LIMIT ?3");
	db_bind(st, DB_INT(user_id), DB_INT(project_id), DB_INT(max));
	int n = 0;
	while (n < max && db_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int task_desk_member_remove(db_conn *c, int64_t project_id, int64_t user_id, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "DELETE FROM project_members WHERE project_id = ? AND user_id = ?");
	db_bind(st, DB_INT(project_id), DB_INT(user_id));
	int rc = db_exec_stmt(st, err);
	if (!rc && !sqlite3_changes(db_handle(c)))
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "the user is not a member of the project");
	return rc;
}

/* A time as the API writes it. */
static json_t *iso_time(int64_t ms)
{
	char at[32];
	clock_iso8601(ms, at);
	return json_string(at);
}

/* Every annotation of a task in order. A honeypot's planted annotation reads as a submission
 * by the task's worker, as the task itself shows it: nothing tells it from real work. */
static json_t *annotations_read(db_conn *c, int64_t task_id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT a.id, a.round, iif(a.source = 'honeypot', 'submit', a.source),"
		       " iif(a.source = 'honeypot', t.worker_id, a.author_id), a.created_at, a.data"
		       " FROM annotations a JOIN tasks t ON t.id = a.task_id WHERE a.task_id = ?"
		       " ORDER BY a.id");
	db_bind(st, DB_INT(task_id));
	json_t *out = json_array();
	while (out && db_step(st) == SQLITE_ROW) {
		json_t *author = sqlite3_column_type(st, 3) == SQLITE_NULL
				     ? json_null()
				     : json_integer(sqlite3_column_int64(st, 3));
		json_array_append_new(
		    out,
		    json_pack("{s:I,s:i,s:s,s:o,s:o,s:o?}", "id",
			      (json_int_t)sqlite3_column_int64(st, 0), "round",
			      sqlite3_column_int(st, 1), "source", db_col_text(st, 2), "author_id",
			      author, "created_at", iso_time(sqlite3_column_int64(st, 4)),
			      "annotation", json_loads(db_col_text(st, 5), 0, NULL)));
	}
	sqlite3_reset(st);
	return out;
}

/* The reviews between rounds: each decision with its reason, from the events. Only the reason
 * and its template leave the payload. */
static json_t *reviews_read(db_conn *c, int64_t task_id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT e.type, coalesce(e.actor_id, 0), e.at,"
		       " json_extract(e.payload, '$.reason'),"
		       " json_extract(e.payload, '$.reason_template'),"
		       " coalesce(json_extract(e.payload, '$.round'), (SELECT max(a.round)"
		       "  FROM annotations a WHERE a.task_id = e.task_id AND a.created_at <= e.at"
		       "  AND a.source IN ('submit', 'honeypot')), 0)"
		       " FROM events e WHERE e.task_id = ? AND e.type IN ('approve', 'fix',"
		       " 'reject', 'auto_approve', 'resolve_approve', 'discard', 'withdraw',"
		       " 'rework_approved', 'review_again')"
		       " ORDER BY e.id");
	db_bind(st, DB_INT(task_id));
	json_t *out = json_array();
	while (out && db_step(st) == SQLITE_ROW) {
		int64_t actor = sqlite3_column_int64(st, 1);
		json_array_append_new(
		    out,
		    json_pack("{s:s,s:o,s:o,s:s*,s:s*,s:i}", "decision", db_col_text(st, 0),
			      "reviewer_id", actor ? json_integer(actor) : json_null(), "at",
			      iso_time(sqlite3_column_int64(st, 2)), "reason",
			      sqlite3_column_type(st, 3) == SQLITE_NULL ? NULL : db_col_text(st, 3),
			      "reason_template",
			      sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : db_col_text(st, 4),
			      "round", sqlite3_column_int(st, 5)));
	}
	sqlite3_reset(st);
	return out;
}

json_t *task_desk_rounds(db *d, int64_t task_id)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	json_t *out = json_pack("{s:I,s:o,s:o}", "task_id", (json_int_t)task_id, "annotations",
				annotations_read(c, task_id), "reviews", reviews_read(c, task_id));
	db_read_end(c);
	return out;
}

/* What the claim would still hand this worker (core/claim.c): their rework, their live lease,
 * and the open tasks of items they have no slot of and did not give back. */
int64_t task_desk_left_for(db *d, int64_t project_id, int64_t user_id, int64_t now)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT (SELECT count(*) FROM tasks INDEXED BY tasks_worker_live"
	       "  WHERE worker_id = ?2 AND project_id = ?1 AND (state = 'rework'"
	       "  OR (state = 'assigned' AND lease_until > ?3)))"
	       " + (SELECT count(*) FROM tasks t WHERE t.project_id = ?1 AND t.state = 'open'"
	       "  AND NOT EXISTS (SELECT 1 FROM tasks u WHERE u.item_id = t.item_id"
	       "  AND +u.worker_id = ?2)"
	       "  AND NOT EXISTS (SELECT 1 FROM task_skips k WHERE k.task_id = t.id"
	       "  AND k.user_id = ?2))");
	db_bind(st, DB_INT(project_id), DB_INT(user_id), DB_INT(now));
	return db_one_int(st);
}
