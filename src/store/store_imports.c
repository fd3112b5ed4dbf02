/* Background imports' records (store/store_imports.h). */
#include "store/store_imports.h"

#include <stdlib.h>

#include "util/clock.h"

#define IMPORT_COLUMNS                                                                             \
	"id, project_id, state, bytes_total, progress, report, error_code, error_message,"         \
	" created_at, ended_at"

struct import_new {
	int64_t project_id, bytes_total, created_at, id;
};

static int import_insert_job(db_conn *c, void *ctx, cl_error *err)
{
	struct import_new *a = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO imports(project_id, state, bytes_total,"
				      " created_at) VALUES (?, 'queued', ?, ?)");
	db_bind(st, DB_INT(a->project_id), DB_INT(a->bytes_total), DB_INT(a->created_at));
	int rc = db_exec_stmt(st, err);
	a->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_import_insert(db *d, int64_t project_id, int64_t bytes_total, int64_t created_at,
			int64_t *id, cl_error *err)
{
	struct import_new a = {project_id, bytes_total, created_at, 0};
	int rc = db_write(d, import_insert_job, &a, err);
	*id = rc ? 0 : a.id;
	return rc;
}

static int import_update_job(db_conn *c, void *ctx, cl_error *err)
{
	const import_record *rec = ctx;
	/* An ended record stays as it ended. */
	sqlite3_stmt *st = db_stmt(
	    c, "UPDATE imports SET state = ?2, progress = ?3, error_code = ?4, error_message = ?5,"
	       " ended_at = nullif(?6, 0) WHERE id = ?1 AND ended_at IS NULL");
	db_bind(st, DB_INT(rec->id), DB_TEXT(rec->state), DB_TEXT(rec->progress),
		DB_TEXT(rec->error_code), DB_TEXT(rec->error_message), DB_INT(rec->ended_at));
	return db_exec_stmt(st, err);
}

int store_import_update(db *d, const import_record *rec, cl_error *err)
{
	return db_write(d, import_update_job, (void *)rec, err);
}

int store_import_row_done(db_conn *c, const import_record *rec, const json_t *report,
			  cl_error *err)
{
	char *text = json_dumps(report, JSON_COMPACT);
	if (!text)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	sqlite3_stmt *st = db_stmt(c, "UPDATE imports SET state = 'done', progress = ?2,"
				      " report = ?3, ended_at = ?4 WHERE id = ?1");
	db_bind(st, DB_INT(rec->id), DB_TEXT(rec->progress), DB_TEXT(text),
		DB_INT(rec->ended_at));
	int rc = db_exec_stmt(st, err);
	free(text);
	return rc;
}

static json_t *import_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 8), at);
	json_t *progress = db_col_json(st, 4);
	if (!json_is_object(progress)) {
		json_decref(progress);
		progress = json_object();
	}
	json_object_set_new(progress, "bytes_total", json_integer(sqlite3_column_int64(st, 3)));
	const char *state = db_col_text(st, 2);
	json_t *o = json_pack("{s:I,s:I,s:s,s:o,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			      "project_id", (json_int_t)sqlite3_column_int64(st, 1), "state",
			      state, "progress", progress, "created_at", at);
	if (sqlite3_column_type(st, 9) != SQLITE_NULL) {
		clock_iso8601(sqlite3_column_int64(st, 9), at);
		json_object_set_new(o, "ended_at", json_string(at));
	}
	if (sqlite3_column_type(st, 5) != SQLITE_NULL)
		json_object_set_new(o, "report", db_col_json(st, 5));
	if (sqlite3_column_type(st, 6) != SQLITE_NULL)
		json_object_set_new(o, "error",
				    json_pack("{s:s,s:s}", "code", db_col_text(st, 6), "message",
					      db_col_text(st, 7)));
	return o;
}

json_t *store_import_get(db *d, int64_t project_id, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " IMPORT_COLUMNS " FROM imports"
						 " WHERE id = ? AND project_id = ?");
	db_bind(st, DB_INT(id), DB_INT(project_id));
	json_t *o = db_step(st) == SQLITE_ROW ? import_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

struct interrupted {
	const char *code, *message;
	int64_t now;
	int n;
};

static int interrupted_job(db_conn *c, void *ctx, cl_error *err)
{
	struct interrupted *a = ctx;
	sqlite3_stmt *st = db_stmt(
	    c, "UPDATE imports SET state = 'failed', error_code = ?, error_message = ?,"
	       " ended_at = ? WHERE ended_at IS NULL");
	db_bind(st, DB_TEXT(a->code), DB_TEXT(a->message), DB_INT(a->now));
	int rc = db_exec_stmt(st, err);
	a->n = rc ? 0 : sqlite3_changes(db_handle(c));
	return rc;
}

int store_imports_interrupted(db *d, const char *code, const char *message, int64_t now,
			      int *n, cl_error *err)
{
	struct interrupted a = {code, message, now, 0};
	int rc = db_write(d, interrupted_job, &a, err);
	*n = a.n;
	return rc;
}
