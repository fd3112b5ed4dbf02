/* Honeypots in SQL: a submitted task on a gold item carrying a planted annotation, and the
 * reviewer's decision on it, caught or missed. core/honeypot.c decides when one is made and
 * what a decision on it does. */
#include "store/honeypots.h"
#include "store/gold.h"

int64_t store_honeypot_add(db_conn *c, int64_t project_id, int64_t item_id, const char *planted,
			   int64_t now)
{
	int64_t id = store_gold_slot_task(c, project_id, item_id, TASK_SUBMITTED, now);
	if (!id)
		return 0;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO annotations(task_id, round, author_id, source,"
				      " data, created_at) VALUES (?,1,0,'honeypot',?,?)");
	db_bind(st, DB_INT(id), DB_TEXT(planted), DB_INT(now));
	if (db_exec_stmt(st, NULL))
		return 0;
	int64_t aid = sqlite3_last_insert_rowid(db_handle(c));
	st = db_stmt(c, "UPDATE tasks SET round = 1, annotation_id = ? WHERE id = ?");
	db_bind(st, DB_INT(aid), DB_INT(id));
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
