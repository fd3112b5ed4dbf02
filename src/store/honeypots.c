/* Honeypots in SQL: a submitted task on a gold item carrying a planted annotation, made to look
 * like a worker's submission (their id, a claim and a submit of theirs at plausible times), and
 * the reviewer's decision on it, caught or missed. The annotation's source stays 'honeypot', so
 * the worker's own counts never hold it. core/honeypot.c decides when one is made and what a
 * decision on it does. */
#include "store/honeypots.h"
#include "store/gold.h"

bool store_honeypot_worker_draw(db_conn *c, int64_t project_id, int64_t reviewer_id,
				int64_t *worker_id, int64_t *active_ms)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT user_id, active_ms / submissions FROM worker_counts"
				      " WHERE project_id = ? AND submissions > 0 AND user_id <> ?"
				      " ORDER BY random() LIMIT 1");
	db_bind(st, DB_INT(project_id), DB_INT(reviewer_id));
	bool found = db_step(st) == SQLITE_ROW;
	if (found) {
		*worker_id = sqlite3_column_int64(st, 0);
		*active_ms = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return found;
}

/* The claim and the submit the cover's worker would have made. */
static int cover_history(db_conn *c, int64_t project_id, int64_t task_id,
			 const honeypot_cover *cover)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type,"
				      " from_state, to_state) VALUES (?1,?2,?3,?4,'claim','open',"
				      "'assigned'), (?1,?2,?3,?5,'submit','assigned','submitted')");
	db_bind(st, DB_INT(project_id), DB_INT(task_id), DB_INT(cover->worker_id),
		DB_INT(cover->claimed_at), DB_INT(cover->submitted_at));
	return db_exec_stmt(st, NULL);
}

int64_t store_honeypot_add(db_conn *c, int64_t project_id, int64_t item_id, const char *planted,
			   const honeypot_cover *cover, int64_t now)
{
	int64_t id =
	    store_gold_slot_task(c, project_id, item_id, TASK_SUBMITTED, now, cover->stands_for);
	if (!id || cover_history(c, project_id, id, cover))
		return 0;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO annotations(task_id, round, author_id, source,"
				      " data, created_at) VALUES (?,1,?,'honeypot',?,?)");
	db_bind(st, DB_INT(id), DB_INT(cover->worker_id), DB_TEXT(planted),
		DB_INT(cover->submitted_at));
	if (db_exec_stmt(st, NULL))
		return 0;
	int64_t aid = sqlite3_last_insert_rowid(db_handle(c));
	st = db_stmt(c, "UPDATE tasks SET round = 1, annotation_id = ?, worker_id = ? WHERE id = ?");
	db_bind(st, DB_INT(aid), DB_INT(cover->worker_id), DB_INT(id));
	if (db_exec_stmt(st, NULL))
		return 0;
	st = db_stmt(c, "INSERT INTO honeypots(task_id, project_id, item_id, created_at)"
			" VALUES (?,?,?,?)");
	db_bind(st, DB_INT(id), DB_INT(project_id), DB_INT(item_id), DB_INT(now));
	return db_exec_stmt(st, NULL) ? 0 : id;
}

int store_honeypot_decided(db_conn *c, int64_t task_id, int64_t reviewer_id, const char *decision,
			   bool caught, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE honeypots SET outcome = ?, decision = ?,"
				      " reviewer_id = ?, decided_at = ? WHERE task_id = ?");
	db_bind(st, DB_TEXT(caught ? "caught" : "missed"), DB_TEXT(decision), DB_INT(reviewer_id),
		DB_INT(now), DB_INT(task_id));
	return db_exec_stmt(st, err);
}
