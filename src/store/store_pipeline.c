/* The retraining pipeline's rows (core/pipeline.c): a project's settings, its runs (at most one
 * live per project, by a unique partial index) and their append-only step events. */
#include "store/store_pipeline.h"
#include "store/conn.h"
#include "store/store_datasets.h"
#include "store/store_projects.h"
#include "store/writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void copy_col(sqlite3_stmt *st, int i, char *out, size_t size)
{
	snprintf(out, size, "%s", db_col_text(st, i));
}

int pipeline_rows_run_load(db_conn *c, int64_t id, pipeline_run_row *out)
{
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT r.id, r.project_id, p.org_id, coalesce(r.dataset_id, 0),"
	       " coalesce(r.job_id, 0), coalesce(r.model_id, 0), coalesce(r.model_version, 0),"
	       " r.state, r.metric FROM pipeline_runs r JOIN projects p ON p.id = r.project_id"
	       " WHERE r.id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*out = (pipeline_run_row){
		    .id = sqlite3_column_int64(st, 0),
		    .project_id = sqlite3_column_int64(st, 1),
		    .org_id = sqlite3_column_int64(st, 2),
		    .dataset_id = sqlite3_column_int64(st, 3),
		    .job_id = sqlite3_column_int64(st, 4),
		    .model_id = sqlite3_column_int64(st, 5),
		    .model_version = sqlite3_column_int64(st, 6),
		};
		copy_col(st, 7, out->state, sizeof out->state);
		copy_col(st, 8, out->metric, sizeof out->metric);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static int step_insert(db_conn *c, int64_t run_id, const char *step, const char *state,
		       const char *figures, const char *reason, int64_t actor, int64_t now,
		       cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO pipeline_steps(run_id, step, state, figures,"
				      " reason, actor_id, at) VALUES (?,?,?,?,?,?,?)");
	db_bind(st, DB_INT(run_id), DB_TEXT(step), DB_TEXT(state),
		DB_TEXT(figures ? figures : "{}"), DB_TEXT(reason ? reason : ""));
	if (actor)
		db_bind_int(st, 6, actor);
	db_bind_int(st, 7, now);
	return db_exec_stmt(st, err);
}

int pipeline_rows_run_start(db_conn *c, int64_t project_id, int64_t approved, const char *metric,
			    const char *figures, int64_t actor, int64_t now, int64_t *run_id,
			    cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO pipeline_runs(project_id, state, approved, metric, started_at)"
		       " VALUES (?, 'running', ?, ?, ?)");
	db_bind(st, DB_INT(project_id), DB_INT(approved), DB_TEXT(metric), DB_INT(now));
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	*run_id = sqlite3_last_insert_rowid(db_handle(c));
	st = db_stmt(c, "UPDATE pipeline_settings SET last_approved = ? WHERE project_id = ?");
	db_bind(st, DB_INT(approved), DB_INT(project_id));
	rc = db_exec_stmt(st, err);
	return rc ? rc : step_insert(c, *run_id, "trigger", "done", figures, NULL, actor, now, err);
}

int64_t pipeline_rows_run_waiting(db_conn *c, int64_t project_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM pipeline_runs WHERE project_id = ?"
				      " AND state = 'waiting'");
	db_bind_int(st, 1, project_id);
	return db_one_int(st);
}

/* One column of a run set from a JSON value (integer, real, string or null). Column names come
 * from the fixed list below, never from the caller's text. */
static int column_set(db_conn *c, int64_t run_id, const char *sql, const json_t *v, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, sql);
	if (json_is_integer(v))
		db_bind_int(st, 1, json_integer_value(v));
	else if (json_is_real(v))
		sqlite3_bind_double(st, 1, json_real_value(v));
	else if (json_is_string(v))
		db_bind_text(st, 1, json_string_value(v));
	db_bind_int(st, 2, run_id);
	return db_exec_stmt(st, err);
}

#define RUN_SET(col)                                                                               \
	{                                                                                          \
		col, "UPDATE pipeline_runs SET " col " = ? WHERE id = ?"                           \
	}
static const struct {
	const char *name, *sql;
} run_columns[] = {
    RUN_SET("state"),	 RUN_SET("dataset_id"),		RUN_SET("job_id"),
    RUN_SET("model_id"), RUN_SET("model_version"),	RUN_SET("figure"),
    RUN_SET("reason"),	 RUN_SET("production_version"), RUN_SET("production_figure"),
    RUN_SET("ended_at"),
};

int pipeline_rows_step(db_conn *c, int64_t run_id, const char *step, const char *state,
		       const char *figures, const char *reason, int64_t actor, const json_t *set,
		       int64_t now, cl_error *err)
{
	int rc = step_insert(c, run_id, step, state, figures, reason, actor, now, err);
	for (size_t i = 0; !rc && set && i < sizeof run_columns / sizeof run_columns[0]; i++) {
		const json_t *v = json_object_get(set, run_columns[i].name);
		if (v)
			rc = column_set(c, run_id, run_columns[i].sql, v, err);
	}
	const char *to = json_string_value(json_object_get(set, "state"));
	if (!rc && to && strcmp(to, "running") && strcmp(to, "waiting")) {
		json_t *at = json_integer(now);
		rc = column_set(c, run_id, run_columns[9].sql, at, err);
		json_decref(at);
	}
	return rc;
}

char *pipeline_rows_settings(db *d, int64_t project_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT settings FROM pipeline_settings"
						 " WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	char *out = db_step(st) == SQLITE_ROW ? strdup(db_col_text(st, 0)) : NULL;
	sqlite3_reset(st);
	return out;
}

struct settings_put {
	int64_t project_id, user, now;
	const char *settings;
};

static int settings_put_job(db_conn *c, void *ctx, cl_error *err)
{
	struct settings_put *a = ctx;
	sqlite3_stmt *st = db_stmt(
	    c,
	    "INSERT INTO pipeline_settings(project_id, settings, updated_by, updated_at)"
	    " VALUES (?,?,?,?) ON CONFLICT(project_id) DO UPDATE SET settings = excluded.settings,"
	    " updated_by = excluded.updated_by, updated_at = excluded.updated_at");
	db_bind(st, DB_INT(a->project_id), DB_TEXT(a->settings), DB_INT(a->user), DB_INT(a->now));
	return db_exec_stmt(st, err);
}

int pipeline_rows_settings_put(db *d, int64_t project_id, const char *settings, int64_t user,
			       int64_t now, cl_error *err)
{
	struct settings_put a = {project_id, user, now, settings};
	return db_write(d, settings_put_job, &a, err);
}

#define CANDIDATE_COLUMNS                                                                          \
	"SELECT s.project_id, (SELECT count(*) FROM tasks t WHERE t.project_id = s.project_id"     \
	" AND t.state = 'approved'), s.last_approved, s.updated_by, s.settings"                    \
	" FROM pipeline_settings s"

static json_t *candidate_json(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:o}", "project_id",
			 (json_int_t)sqlite3_column_int64(st, 0), "approved",
			 (json_int_t)sqlite3_column_int64(st, 1), "last_approved",
			 (json_int_t)sqlite3_column_int64(st, 2), "user_id",
			 (json_int_t)sqlite3_column_int64(st, 3), "settings", db_col_json(st, 4));
}

json_t *pipeline_rows_candidates(db *d)
{
	sqlite3_stmt *st = db_stmt(
	    db_reader(d),
	    CANDIDATE_COLUMNS " WHERE json_extract(s.settings, '$.enabled') = 1"
			      " AND NOT EXISTS (SELECT 1 FROM pipeline_runs r"
			      " WHERE r.project_id = s.project_id AND r.state = 'running')");
	json_t *out = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(out, candidate_json(st));
	sqlite3_reset(st);
	return out;
}

json_t *pipeline_rows_candidate(db_conn *c, int64_t project_id)
{
	sqlite3_stmt *st = db_stmt(c, CANDIDATE_COLUMNS " WHERE s.project_id = ?");
	db_bind_int(st, 1, project_id);
	json_t *out = db_step(st) == SQLITE_ROW ? candidate_json(st) : NULL;
	sqlite3_reset(st);
	return out;
}

json_t *pipeline_rows_running(db *d)
{
	sqlite3_stmt *st = db_stmt(
	    db_reader(d), "SELECT id FROM pipeline_runs WHERE state = 'running' ORDER BY id");
	return db_ints(st);
}

int64_t pipeline_rows_base(db *d, int64_t project_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT coalesce(base_dataset_id, 0)"
						 " FROM pipeline_settings WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	return db_one_int(st);
}

struct base_set {
	int64_t project_id, dataset_id;
};

static int base_set_job(db_conn *c, void *ctx, cl_error *err)
{
	struct base_set *a = ctx;
	sqlite3_stmt *st = db_stmt(c, "UPDATE pipeline_settings SET base_dataset_id = ?"
				      " WHERE project_id = ?");
	db_bind(st, DB_INT(a->dataset_id), DB_INT(a->project_id));
	return db_exec_stmt(st, err);
}

int pipeline_rows_base_set(db *d, int64_t project_id, int64_t dataset_id, cl_error *err)
{
	struct base_set a = {project_id, dataset_id};
	return db_write(d, base_set_job, &a, err);
}

int64_t pipeline_rows_dataset_test_base(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT coalesce(test_from, id)"
						 " FROM dataset_versions WHERE id = ?");
	db_bind_int(st, 1, id);
	return db_one_int(st);
}

int64_t pipeline_rows_model_find(db *d, int64_t org_id, const char *name)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT id FROM models WHERE org_id = ? AND name = ?");
	db_bind(st, DB_INT(org_id), DB_TEXT(name));
	return db_one_int(st);
}

int64_t pipeline_rows_model_version_job(db *d, int64_t model_id, int version)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT job_id FROM model_versions"
						 " WHERE model_id = ? AND version = ?");
	db_bind(st, DB_INT(model_id), DB_INT(version));
	return db_one_int(st);
}

char *pipeline_rows_job_evaluation(db *d, int64_t job_id, int64_t *dataset_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT coalesce(dataset_id, 0), evaluation"
						 " FROM jobs WHERE id = ?");
	db_bind_int(st, 1, job_id);
	char *out = NULL;
	*dataset_id = 0;
	if (db_step(st) == SQLITE_ROW) {
		*dataset_id = sqlite3_column_int64(st, 0);
		if (sqlite3_column_type(st, 1) != SQLITE_NULL)
			out = strdup(db_col_text(st, 1));
	}
	sqlite3_reset(st);
	return out;
}

static json_t *int_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL
		   ? json_null()
		   : json_integer(sqlite3_column_int64(st, i));
}

static json_t *real_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? json_null()
							 : json_real(sqlite3_column_double(st, i));
}

static json_t *run_steps(db_conn *c, int64_t run_id)
{
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT s.step, s.state, s.figures, s.reason, coalesce(u.username, 'pipeline'), s.at"
	       " FROM pipeline_steps s LEFT JOIN users u ON u.id = s.actor_id WHERE s.run_id = ?"
	       " ORDER BY s.id");
	db_bind_int(st, 1, run_id);
	json_t *out = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(
		    out, json_pack("{s:s,s:s,s:o,s:s,s:s,s:I}", "step", db_col_text(st, 0), "state",
				   db_col_text(st, 1), "figures", db_col_json(st, 2), "reason",
				   db_col_text(st, 3), "by", db_col_text(st, 4), "at",
				   (json_int_t)sqlite3_column_int64(st, 5)));
	sqlite3_reset(st);
	return out;
}

static json_t *run_json(sqlite3_stmt *st)
{
	json_t *o = json_pack("{s:I,s:s,s:I,s:s,s:s,s:I}", "id",
			      (json_int_t)sqlite3_column_int64(st, 0), "state", db_col_text(st, 1),
			      "approved", (json_int_t)sqlite3_column_int64(st, 2), "metric",
			      db_col_text(st, 3), "reason", db_col_text(st, 4), "started_at",
			      (json_int_t)sqlite3_column_int64(st, 5));
	json_object_set_new(o, "ended_at", int_or_null(st, 6));
	json_object_set_new(o, "dataset_id", int_or_null(st, 7));
	json_object_set_new(o, "job_id", int_or_null(st, 8));
	json_object_set_new(o, "model_id", int_or_null(st, 9));
	json_object_set_new(o, "model_version", int_or_null(st, 10));
	json_object_set_new(o, "figure", real_or_null(st, 11));
	json_object_set_new(o, "production_version", int_or_null(st, 12));
	json_object_set_new(o, "production_figure", real_or_null(st, 13));
	return o;
}

json_t *pipeline_rows_history(db *d, int64_t project_id, int limit)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = db_stmt(
	    c,
	    "SELECT id, state, approved, metric, reason, started_at, ended_at, dataset_id, job_id,"
	    " model_id, model_version, figure, production_version, production_figure"
	    " FROM pipeline_runs WHERE project_id = ? ORDER BY id DESC LIMIT ?");
	db_bind(st, DB_INT(project_id), DB_INT(limit));
	json_t *out = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(out, run_json(st));
	sqlite3_reset(st);
	size_t i;
	json_t *run;
	json_array_foreach(out, i, run) json_object_set_new(
	    run, "steps", run_steps(c, json_integer_value(json_object_get(run, "id"))));
	db_read_end(c);
	return out;
}
