/* Gold items in SQL: known answers a manager adds, the draw of one for a claim, a task of a new
 * slot, and the scores of submissions; core/gold.c decides when, and how a score is made. */
#include "store/gold.h"
#include "store/id_holes.h"
#include "store/store_projects.h"
#include "store/quality_settings.h"
#include "store/store_items.h"
#include "store/store_ledger.h"
#include "store/worker_counts.h"
#include "util/clock.h"
#include "util/json.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The task takes a reserved id next to `near`, the task it stands in for, so that its id falls
 * among the real tasks a worker gets (store/id_holes.h); the table's next id when none is left. */
int64_t store_gold_slot_task(db_conn *c, int64_t project_id, int64_t item_id, task_state state,
			     int64_t now, int64_t near)
{
	int64_t id = id_hole_take(c, project_id, ID_HOLE_TASK, near);
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO tasks(id, project_id, item_id, slot, state,"
		       " updated_at) VALUES (nullif(?5, 0), ?1, ?2, (SELECT coalesce(max(slot), -1)"
		       " + 1 FROM tasks WHERE item_id = ?2), ?3, ?4)");
	db_bind(st, DB_INT(project_id), DB_INT(item_id), DB_TEXT(task_state_names[state]),
		DB_INT(now), DB_INT(id));
	if (db_exec_stmt(st, NULL))
		return 0;
	id = sqlite3_last_insert_rowid(db_handle(c));
	if (store_project_counted(c, project_id, 0, 1, NULL))
		return 0;
	return id;
}

/* A gold item of the project at random, one `user_id` has no slot of (0: any), or 0. It is
 * the first such item from a random point of the project's gold item ids, wrapping around: a
 * few index steps however many gold items the project has, where sorting them all by random()
 * cost every pick a row per gold item, on the writer. An item after a wider gap in the ids is
 * picked a little more often. Slots are looked up by item, never by worker (see
 * task_rows_open_for): a worker who has seen most of the gold walks past the items they have. */
int64_t store_gold_item_draw(db_conn *c, int64_t project_id, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT (SELECT item_id FROM gold_items WHERE project_id = ?1"
				      " ORDER BY item_id LIMIT 1), (SELECT item_id FROM gold_items"
				      " WHERE project_id = ?1 ORDER BY item_id DESC LIMIT 1)");
	db_bind_int(st, 1, project_id);
	int64_t lo = 0, hi = 0;
	if (db_step(st) == SQLITE_ROW) {
		lo = sqlite3_column_int64(st, 0);
		hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (!lo)
		return 0;
	uint64_t span = (uint64_t)(hi - lo) + 1, r = 0;
	randombytes_buf(&r, sizeof r);
	int64_t from = lo + (int64_t)(r % span);
	/* From the point to the end, then from the start up to the point. */
	st = db_stmt(c, "SELECT g.item_id FROM gold_items g WHERE g.project_id = ?1"
			" AND g.item_id >= ?3 AND g.item_id < ?4 AND NOT EXISTS (SELECT 1"
			" FROM tasks u WHERE u.item_id = g.item_id AND +u.worker_id = ?2)"
			" ORDER BY g.item_id LIMIT 1");
	int64_t item = 0;
	for (int pass = 0; pass < 2 && !item; pass++) {
		db_bind(st, DB_INT(project_id), DB_INT(user_id), DB_INT(pass ? lo : from),
			DB_INT(pass ? from : hi + 1));
		item = db_one_int(st);
	}
	return item;
}

/* The gold answer, kind, project and item of a task's item; false when it is not gold. */
static bool gold_row_read(sqlite3_stmt *st, gold_of_task *g)
{
	bool found = db_step(st) == SQLITE_ROW;
	if (found) {
		g->answer = strdup(db_col_text(st, 0));
		g->kind = store_kind_of(db_col_text(st, 1));
		g->project_id = sqlite3_column_int64(st, 2);
		g->item_id = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return found && g->answer;
}

bool store_gold_of_task(db_conn *c, int64_t task_id, gold_of_task *g)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT g.answer, p.kind, t.project_id, t.item_id FROM tasks t"
		       " JOIN gold_items g ON g.item_id = t.item_id"
		       " JOIN projects p ON p.id = t.project_id WHERE t.id = ?");
	db_bind_int(st, 1, task_id);
	return gold_row_read(st, g);
}

bool store_honeypot_of_task(db_conn *c, int64_t task_id, gold_of_task *g)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT g.answer, p.kind, h.project_id, h.item_id"
				      " FROM honeypots h JOIN gold_items g ON g.item_id = h.item_id"
				      " JOIN projects p ON p.id = h.project_id"
				      " WHERE h.task_id = ? AND h.outcome IS NULL");
	db_bind_int(st, 1, task_id);
	return gold_row_read(st, g);
}

char *store_gold_item_answer(db_conn *c, int64_t item_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT answer FROM gold_items WHERE item_id = ?");
	db_bind_int(st, 1, item_id);
	char *answer = db_step(st) == SQLITE_ROW ? strdup(db_col_text(st, 0)) : NULL;
	sqlite3_reset(st);
	return answer;
}

int store_gold_result_get(db_conn *c, int64_t task_id, int round)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT correct FROM gold_results WHERE task_id = ? AND round = ?");
	db_bind(st, DB_INT(task_id), DB_INT(round));
	int had = db_step(st) == SQLITE_ROW ? (sqlite3_column_int(st, 0) != 0) : -1;
	sqlite3_reset(st);
	return had;
}

int store_gold_result_put(db_conn *c, const gold_result *r, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT OR REPLACE INTO gold_results(task_id, round, project_id, item_id,"
		       " worker_id, kind, correct, score, at) VALUES (?,?,?,?,?,?,?,?,?)");
	db_bind(st, DB_INT(r->task_id), DB_INT(r->round), DB_INT(r->project_id), DB_INT(r->item_id),
		DB_INT(r->worker_id), DB_TEXT(task_kind_names[r->kind]), DB_INT(r->correct),
		DB_REAL(r->score), DB_INT(r->at));
	return db_exec_stmt(st, err);
}

struct gold_job {
	const project *p;
	const gold_new *g;
	size_t n;
	int64_t actor;
	json_t *ids;
};

static int gold_add_job(db_conn *c, void *ctx, cl_error *err)
{
	struct gold_job *j = ctx;
	int64_t now = clock_now_ms();
	for (size_t i = 0; i < j->n; i++) {
		const gold_new *g = &j->g[i];
		int64_t item = g->item_id;
		if (item) {
			sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM items WHERE id = ?"
						      " AND project_id = ?");
			db_bind(st, DB_INT(item), DB_INT(j->p->id));
			if (!db_one_int(st))
				return cl_fail(err, CL_EINVAL, NULL,
					       "items[%zu]: item %lld is not in this project", i,
					       (long long)item);
		} else {
			/* Among the imported items, not after them (store/id_holes.h). */
			int64_t hole = id_hole_take(c, j->p->id, ID_HOLE_ITEM, 0);
			sqlite3_stmt *st =
			    db_stmt(c, "INSERT INTO items(id, project_id, type, content_hash,"
				       " text, meta, created_at) VALUES (nullif(?, 0),?,'text',"
				       "?,?,'{}',?) ON CONFLICT(project_id, content_hash)"
				       " DO NOTHING");
			db_bind(st, DB_INT(hole), DB_INT(j->p->id), DB_TEXT(g->hash),
				DB_TEXT(g->text), DB_INT(now));
			int rc = db_exec_stmt(st, err);
			if (rc)
				return rc;
			if (sqlite3_changes(db_handle(c))) {
				item = sqlite3_last_insert_rowid(db_handle(c));
				if ((rc = store_project_counted(c, j->p->id, 1, 0, err)))
					return rc;
			} else {
				st = db_stmt(c, "SELECT id FROM items WHERE project_id = ?"
						" AND content_hash = ?");
				db_bind(st, DB_INT(j->p->id), DB_TEXT(g->hash));
				item = db_one_int(st);
			}
		}
		sqlite3_stmt *st =
		    db_stmt(c, "INSERT INTO gold_items(item_id, project_id, answer,"
			       " explanation, created_by, created_at) VALUES (?,?,?,?,?,?)"
			       " ON CONFLICT(item_id) DO UPDATE SET answer = excluded.answer,"
			       " explanation = excluded.explanation");
		db_bind(st, DB_INT(item), DB_INT(j->p->id), DB_TEXT(g->answer),
			DB_TEXT(g->explanation ? g->explanation : ""), DB_INT(j->actor),
			DB_INT(now));
		int rc = db_exec_stmt(st, err);
		if (rc)
			return rc;
		json_array_append_new(j->ids, json_integer(item));
	}
	return 0;
}

int store_gold_add(db *d, const project *p, const gold_new *g, size_t n, int64_t actor,
		   json_t *report, cl_error *err)
{
	struct gold_job j = {.p = p, .g = g, .n = n, .actor = actor, .ids = json_array()};
	int rc = db_write(d, gold_add_job, &j, err);
	if (!rc) {
		json_object_set_new(report, "added", json_integer((json_int_t)n));
		json_object_set(report, "item_ids", j.ids);
	}
	json_decref(j.ids);
	return rc;
}

static json_t *gold_row(sqlite3_stmt *st)
{
	json_t *o = json_pack("{s:I,s:o,s:s,s:s,s:I,s:I}", "item_id",
			      (json_int_t)sqlite3_column_int64(st, 0), "answer", db_col_json(st, 1),
			      "explanation", db_col_text(st, 2), "type", db_col_text(st, 3),
			      "answers", (json_int_t)sqlite3_column_int64(st, 5), "correct",
			      (json_int_t)sqlite3_column_int64(st, 6));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		json_object_set_new(o, "text", json_string(db_col_text(st, 4)));
	return o;
}

json_t *store_gold_list(db *d, int64_t project_id, int64_t cursor, int limit, int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT g.item_id, g.answer, g.explanation, i.type, i.text,"
		       " (SELECT count(*) FROM gold_results r WHERE r.item_id = g.item_id),"
		       " (SELECT coalesce(sum(correct), 0) FROM gold_results r"
		       "  WHERE r.item_id = g.item_id)"
		       " FROM gold_items g JOIN items i ON i.id = g.item_id"
		       " WHERE g.project_id = ?1 AND g.item_id > ?2 ORDER BY g.item_id LIMIT ?3");
	return db_owned_page(st, project_id, cursor, limit, false, gold_row, next);
}

json_t *store_gold_answer(db *d, int64_t item_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT answer FROM gold_items WHERE item_id = ?");
	db_bind_int(st, 1, item_id);
	json_t *v = db_step(st) == SQLITE_ROW ? json_loads(db_col_text(st, 0), 0, NULL) : NULL;
	sqlite3_reset(st);
	return v;
}
