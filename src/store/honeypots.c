/* Honeypots in SQL: a gold item with a planted error, already submitted, handed to a reviewer at
 * the project's honeypot rate; the reviewer's decision on it records caught or missed, pays the
 * review fee and may demote them. */
#include "store/honeypots.h"
#include "core/task.h"
#include "store/gold.h"
#include "store/quality_settings.h"
#include "store/role_events.h"
#include "store/store_ledger.h"
#include "store/worker_counts.h"
#include "util/json.h"

#include <sodium.h>
#include <stdlib.h>

int64_t store_quality_honeypot_pick(db_conn *c, const project *p, int64_t reviewer_id,
				    int64_t real_id, int64_t now)
{
	(void)reviewer_id;
	quality_settings s;
	store_quality_settings_load(c, p->id, &s);
	int64_t item = store_gold_draw(c, p->id, 0, s.honeypot_rate);
	if (!item)
		return real_id;
	json_t *gold = NULL;
	sqlite3_stmt *st = db_stmt(c, "SELECT answer FROM gold_items WHERE item_id = ?");
	db_bind_int(st, 1, item);
	if (db_step(st) == SQLITE_ROW)
		gold = json_loads(db_col_text(st, 0), 0, NULL);
	sqlite3_reset(st);
	json_t *bad =
	    gold ? quality_plant_error(p->kind, gold, p->labels, randombytes_random()) : NULL;
	json_decref(gold);
	if (!bad)
		return real_id;
	char *text = json_dumps(bad, JSON_OUT);
	json_decref(bad);
	int64_t id = store_gold_slot_task(c, p->id, item, TASK_SUBMITTED, now);
	int64_t aid = 0;
	if (id) {
		st = db_stmt(c, "INSERT INTO annotations(task_id, round, author_id, source, data,"
				" created_at) VALUES (?,1,0,'honeypot',?,?)");
		db_bind(st, DB_INT(id), DB_TEXT(text), DB_INT(now));
		if (!db_exec_stmt(st, NULL))
			aid = sqlite3_last_insert_rowid(db_handle(c));
	}
	free(text);
	if (!aid)
		return real_id;
	st = db_stmt(c, "UPDATE tasks SET round = 1, annotation_id = ? WHERE id = ?");
	db_bind(st, DB_INT(aid), DB_INT(id));
	if (db_exec_stmt(st, NULL))
		return real_id;
	st = db_stmt(c, "INSERT INTO honeypots(task_id, project_id, item_id, created_at)"
			" VALUES (?,?,?,?)");
	db_bind(st, DB_INT(id), DB_INT(p->id), DB_INT(item), DB_INT(now));
	return db_exec_stmt(st, NULL) ? real_id : id;
}

/* Whether a reviewer's decision `action` on a honeypot caught its planted error: a rejection
 * does, and a fix does when it matches the gold answer. */
static bool honeypot_caught(int action, const char *fix, const json_t *gold, task_kind kind)
{
	if (action != TASK_FIX)
		return action == TASK_REJECT;
	json_t *f = json_loads(fix, 0, NULL);
	bool caught = gold && f && quality_gold_score(kind, gold, f) >= 1.0 - 1e-9;
	json_decref(f);
	return caught;
}

/* The event type of a review decision. */
static const char *decision_type(int action)
{
	return action == TASK_APPROVE ? "approve" : action == TASK_FIX ? "fix" : "reject";
}

/* Closes honeypot task `task_id` as discarded with the reviewer's decision `action` as its event:
 * the task only ever existed to be reviewed. */
static int honeypot_close(db_conn *c, int64_t project_id, int64_t task_id, int64_t reviewer_id,
			  int action, const char *reason, int64_t now, cl_error *err)
{
	const char *type = decision_type(action);
	json_t *payload =
	    action == TASK_REJECT ? json_pack("{s:s?,s:i}", "reason", reason, "round", 1) : NULL;
	char *text = payload ? json_dumps(payload, JSON_OUT) : NULL;
	json_decref(payload);
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type, from_state,"
		       " to_state, payload) VALUES (?,?,?,?,?,'in_review','discarded',?)");
	db_bind(st, DB_INT(project_id), DB_INT(task_id), DB_INT(reviewer_id), DB_INT(now),
		DB_TEXT(type), DB_TEXT(text));
	free(text);
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	st = db_stmt(c, "UPDATE tasks SET state = 'discarded', lease_until = NULL, updated_at = ?"
			" WHERE id = ?");
	db_bind(st, DB_INT(now), DB_INT(task_id));
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	/* A honeypot is made submitted, never rejected, and leaves the work in progress here. */
	return store_ledger_live(c, project_id, 0, -1, err);
}

int store_quality_honeypot_review(db_conn *c, int64_t task_id, int64_t reviewer_id, int action,
				  const char *reason, const char *fix, int64_t now, bool *handled,
				  cl_error *err)
{
	*handled = false;
	sqlite3_stmt *st = db_stmt(c, "SELECT h.project_id, g.answer, p.kind FROM honeypots h"
				      " JOIN gold_items g ON g.item_id = h.item_id"
				      " JOIN projects p ON p.id = h.project_id"
				      " WHERE h.task_id = ? AND h.outcome IS NULL");
	db_bind_int(st, 1, task_id);
	if (db_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	int64_t project_id = sqlite3_column_int64(st, 0);
	json_t *gold = json_loads(db_col_text(st, 1), 0, NULL);
	task_kind kind = KIND_TEXT_CLASS;
	task_kind_parse(db_col_text(st, 2), &kind);
	sqlite3_reset(st);
	*handled = true;
	bool caught = honeypot_caught(action, fix, gold, kind);
	json_decref(gold);
	const char *type = decision_type(action);
	int rc = honeypot_close(c, project_id, task_id, reviewer_id, action, reason, now, err);
	if (rc)
		return rc;
	st = db_stmt(c, "UPDATE honeypots SET outcome = ?, decision = ?, reviewer_id = ?,"
			" decided_at = ? WHERE task_id = ?");
	db_bind(st, DB_TEXT(caught ? "caught" : "missed"), DB_TEXT(type), DB_INT(reviewer_id),
		DB_INT(now), DB_INT(task_id));
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	int64_t paid = 0;
	if ((rc =
		 store_ledger_on_review(c, project_id, task_id, 0, reviewer_id, now, &paid, err)) ||
	    (rc = store_review_counted(c, reviewer_id, project_id, paid, err)))
		return rc;
	return store_role_check_demote(c, project_id, reviewer_id, now, err);
}
