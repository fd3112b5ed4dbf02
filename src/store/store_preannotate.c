/* Batch pre-annotation runs in SQL (store/store_preannotate.h). */
#include "store/store_preannotate.h"

#include <stdlib.h>
#include <string.h>

#include "util/clock.h"

#define RUN_COLUMNS                                                                                \
	"id, project_id, endpoint_id, state, total, done, skipped, error, created_by,"             \
	" created_at, updated_at, model_version_id"

/* An item with a task still open: the work a pre-annotation can still help. */
#define OPEN_ITEM "EXISTS (SELECT 1 FROM tasks t WHERE t.item_id = i.id AND t.state = 'open')"

static json_t *db_col_int_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
		   ? json_null()
		   : json_integer(sqlite3_column_int64(st, i));
}

static json_t *run_json(sqlite3_stmt *st)
{
	char created[32], updated[32];
	clock_iso8601(sqlite3_column_int64(st, 9), created);
	clock_iso8601(sqlite3_column_int64(st, 10), updated);
	json_t *o = json_pack(
	    "{s:I,s:I,s:o,s:o,s:s,s:I,s:I,s:I,s:s?,s:I,s:s,s:s}", "id",
	    (json_int_t)sqlite3_column_int64(st, 0), "project_id",
	    (json_int_t)sqlite3_column_int64(st, 1), "endpoint_id", db_col_int_or_null(st, 2),
	    "model_version_id", db_col_int_or_null(st, 11), "state", db_col_text(st, 3), "total",
	    (json_int_t)sqlite3_column_int64(st, 4), "done",
	    (json_int_t)sqlite3_column_int64(st, 5), "skipped",
	    (json_int_t)sqlite3_column_int64(st, 6), "error",
	    (const char *)sqlite3_column_text(st, 7), "created_by",
	    (json_int_t)sqlite3_column_int64(st, 8), "created_at", created, "updated_at", updated);
	return o;
}

struct run_create {
	int64_t project_id;
	const preannotation_model *m;
	int64_t user_id, id;
};

static int run_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct run_create *a = ctx;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st = db_stmt(
	    c, "INSERT INTO preannotation_runs(project_id, endpoint_id, state, total, created_by,"
	       " created_at, updated_at, model_version_id, targets)"
	       " SELECT ?1, nullif(?2, 0), 'queued', count(*), ?3, ?4, ?4, nullif(?5, 0), ?6"
	       " FROM items i WHERE i.project_id = ?1 AND " OPEN_ITEM);
	db_bind(st, DB_INT(a->project_id), DB_INT(a->m->endpoint_id), DB_INT(a->user_id),
		DB_INT(now), DB_INT(a->m->model_version_id), DB_TEXT(a->m->targets));
	int rc = db_exec_stmt(st, err);
	a->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_preannotation_run_create(db *d, int64_t project_id, const preannotation_model *m,
				   int64_t user_id, json_t **out, cl_error *err)
{
	struct run_create a = {project_id, m, user_id, 0};
	*out = NULL;
	int rc = db_write(d, run_create_job, &a, err);
	if (rc)
		return rc;
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " RUN_COLUMNS " FROM preannotation_runs WHERE id = ?");
	db_bind_int(st, 1, a.id);
	if (db_step(st) == SQLITE_ROW)
		*out = run_json(st);
	sqlite3_reset(st);
	return *out ? 0 : cl_fail(err, CL_EINTERNAL, NULL, "the new run cannot be read");
}

json_t *store_preannotation_runs(db *d, int64_t project_id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " RUN_COLUMNS " FROM preannotation_runs"
				  " WHERE project_id = ? ORDER BY id DESC LIMIT 100");
	db_bind_int(st, 1, project_id);
	json_t *runs = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(runs, run_json(st));
	sqlite3_reset(st);
	return runs;
}

int store_preannotation_run_next(db *d, preannotation_run *run)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT id, project_id, endpoint_id, cursor, targets"
				  " FROM preannotation_runs"
				  " WHERE state IN ('queued', 'running') ORDER BY id LIMIT 1");
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*run = (preannotation_run){
		    sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		    sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3),
		    sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : db_col_json(st, 4)};
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int store_preannotation_items(db *d, int64_t project_id, int64_t after, preannotation_item *out,
			      int max, int *n)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d),
		    "SELECT i.id, i.type, i.text, i.blob, i.width, i.height FROM items i"
		    " WHERE i.project_id = ? AND i.id > ? AND " OPEN_ITEM " ORDER BY i.id LIMIT ?");
	db_bind(st, DB_INT(project_id), DB_INT(after), DB_INT(max));
	*n = 0;
	while (*n < max && db_step(st) == SQLITE_ROW) {
		const char *type = db_col_text(st, 1);
		bool text = !strcmp(type, "text") && sqlite3_column_type(st, 2) != SQLITE_NULL;
		bool image = !strcmp(type, "image") && sqlite3_column_type(st, 3) != SQLITE_NULL;
		const char *content = text ? db_col_text(st, 2) : image ? db_col_text(st, 3) : NULL;
		out[*n] = (preannotation_item){sqlite3_column_int64(st, 0),
					       text,
					       image,
					       content ? strdup(content) : NULL,
					       sqlite3_column_int64(st, 4),
					       sqlite3_column_int64(st, 5)};
		(*n)++;
	}
	sqlite3_reset(st);
	return 0;
}

struct run_apply {
	int64_t run_id, cursor;
	const preannotation_result *results;
	int n;
	bool finished;
};

static int run_apply_job(db_conn *c, void *ctx, cl_error *err)
{
	struct run_apply *a = ctx;
	int rc = 0, done = 0;
	for (int i = 0; !rc && i < a->n; i++) {
		if (!a->results[i].preannotation)
			continue;
		char *pre = json_dumps(a->results[i].preannotation, JSON_COMPACT);
		sqlite3_stmt *st = db_stmt(
		    c, "UPDATE items SET meta = json_set(CASE WHEN json_valid(meta) THEN meta"
		       " ELSE '{}' END, '$.preannotation', json(?)) WHERE id = ?");
		db_bind(st, DB_TEXT(pre), DB_INT(a->results[i].item_id));
		rc = db_exec_stmt(st, err);
		free(pre);
		done++;
	}
	sqlite3_stmt *st = db_stmt(
	    c, "UPDATE preannotation_runs SET done = done + ?2, skipped = skipped + ?3,"
	       " cursor = ?4, state = CASE WHEN ?5 THEN 'done' ELSE 'running' END, updated_at = ?6"
	       " WHERE id = ?1");
	db_bind(st, DB_INT(a->run_id), DB_INT(done), DB_INT(a->n - done), DB_INT(a->cursor),
		DB_INT(a->finished), DB_INT(clock_now_ms()));
	return rc ? rc : db_exec_stmt(st, err);
}

int store_preannotation_apply(db *d, int64_t run_id, const preannotation_result *results, int n,
			      int64_t cursor, bool finished, cl_error *err)
{
	struct run_apply a = {run_id, cursor, results, n, finished};
	return db_write(d, run_apply_job, &a, err);
}

struct run_fail {
	int64_t run_id;
	const char *why;
};

static int run_fail_job(db_conn *c, void *ctx, cl_error *err)
{
	struct run_fail *a = ctx;
	sqlite3_stmt *st = db_stmt(c, "UPDATE preannotation_runs SET state = 'failed', error = ?,"
				      " updated_at = ? WHERE id = ?");
	db_bind(st, DB_TEXT(a->why), DB_INT(clock_now_ms()), DB_INT(a->run_id));
	return db_exec_stmt(st, err);
}

int store_preannotation_fail(db *d, int64_t run_id, const char *why, cl_error *err)
{
	struct run_fail a = {run_id, why};
	return db_write(d, run_fail_job, &a, err);
}
