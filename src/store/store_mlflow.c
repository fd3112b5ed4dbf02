/* MLflow's tracking API's reads over crowdloop's projects (experiments) and jobs (runs). A
 * run's "status" is the job's state here: the API names it in MLflow's words (core/mlflow.h). */
#include "store/store_mlflow.h"
#include "store/conn.h"
#include "util/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The orgs where a user runs jobs. */
#define ML_ORGS "SELECT org_id FROM org_members WHERE user_id = ? AND role IN ('owner', 'engineer')"

int64_t store_mlflow_experiment_named(db *d, int64_t user_id, const char *name)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT id FROM projects WHERE name = ?"
				  " AND org_id IN (" ML_ORGS ") ORDER BY id LIMIT 1");
	db_bind(st, DB_TEXT(name), DB_INT(user_id));
	return db_one_int(st);
}

static json_t *experiment_json(sqlite3_stmt *st)
{
	char id[24];
	snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
	return json_pack("{s:s,s:s,s:s,s:s,s:I,s:[]}", "experiment_id", id, "name",
			 db_col_text(st, 1), "artifact_location", "", "lifecycle_stage", "active",
			 "creation_time", (json_int_t)sqlite3_column_int64(st, 2), "tags");
}

json_t *store_mlflow_experiment(db *d, int64_t id, int64_t *org_id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT id, name, created_at, org_id FROM projects WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW) {
		o = experiment_json(st);
		*org_id = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	return o;
}

json_t *store_mlflow_experiments(db *d, int64_t user_id, bool admin, int64_t after, int limit)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT id, name, created_at FROM projects"
				  " WHERE id > ?1 AND (?2 OR org_id IN (SELECT org_id"
				  " FROM org_members WHERE user_id = ?3 AND role IN"
				  " ('owner', 'engineer'))) ORDER BY id LIMIT ?4");
	db_bind(st, DB_INT(after), DB_INT(admin), DB_INT(user_id), DB_INT(limit));
	json_t *list = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(list, experiment_json(st));
	sqlite3_reset(st);
	return list;
}

/* [{"key", "value"}] of a job's params or tags. */
static json_t *pairs_of(db *d, const char *sql, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), sql);
	db_bind_int(st, 1, id);
	json_t *list = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(list, json_pack("{s:s,s:s}", "key", db_col_text(st, 0),
						      "value", db_col_text(st, 1)));
	sqlite3_reset(st);
	return list;
}

static json_t *metric_json(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:f,s:I,s:I}", "key", db_col_text(st, 0), "value",
			 sqlite3_column_double(st, 1), "timestamp",
			 (json_int_t)sqlite3_column_int64(st, 2), "step",
			 (json_int_t)sqlite3_column_int64(st, 3));
}

/* Each series' point of the highest step (the last logged among equals), as MLflow's
 * latest metrics. */
static json_t *latest_metrics(db *d, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d),
		    "SELECT key, value, at, step FROM (SELECT key, value, at, step,"
		    " row_number() OVER (PARTITION BY key ORDER BY step DESC, rowid DESC) AS n"
		    " FROM job_metrics WHERE job_id = ?) WHERE n = 1 ORDER BY key");
	db_bind_int(st, 1, id);
	json_t *list = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(list, metric_json(st));
	sqlite3_reset(st);
	return list;
}

static json_t *run_info(sqlite3_stmt *st)
{
	char id[24], exp[24];
	snprintf(id, sizeof id, "%lld", (long long)sqlite3_column_int64(st, 0));
	snprintf(exp, sizeof exp, "%lld", (long long)sqlite3_column_int64(st, 1));
	int64_t end = sqlite3_column_int64(st, 4);
	json_t *info =
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:I,s:s,s:s}", "run_id", id, "run_uuid", id,
		      "experiment_id", exp, "user_id", db_col_text(st, 5), "status",
		      db_col_text(st, 2), "start_time", (json_int_t)sqlite3_column_int64(st, 3),
		      "artifact_uri", "", "lifecycle_stage", "active");
	if (end)
		json_object_set_new(info, "end_time", json_integer(end));
	return info;
}

json_t *store_mlflow_run(db *d, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT j.id, j.project_id, j.state, coalesce(j.started_at,"
				  " j.queued_at), coalesce(j.ended_at, 0), u.username FROM jobs j"
				  " JOIN users u ON u.id = j.created_by WHERE j.id = ?");
	db_bind_int(st, 1, id);
	json_t *info = db_step(st) == SQLITE_ROW ? run_info(st) : NULL;
	sqlite3_reset(st);
	if (!info)
		return NULL;
	json_t *data = json_pack(
	    "{s:o,s:o,s:o}", "metrics", latest_metrics(d, id), "params",
	    pairs_of(d, "SELECT key, value FROM job_params WHERE job_id = ? ORDER BY key", id),
	    "tags",
	    pairs_of(d, "SELECT key, value FROM job_tags WHERE job_id = ? ORDER BY key", id));
	return json_pack("{s:o,s:o}", "info", info, "data", data);
}

/* A search's statement: fixed text, each value a bound parameter, gathered in order. */
typedef struct search_sql {
	buf text;
	db_value values[2 * MLFLOW_QUERY_CLAUSES + MLFLOW_QUERY_ORDERS + 4];
	int n;
} search_sql;

static void bind_next(search_sql *s, db_value v)
{
	s->values[s->n++] = v;
}

/* The SQL value a field names for run j, binding its key where it has one. */
static void field_sql(search_sql *s, mlflow_field field, const char *key)
{
	static const char *const sql[] = {
	    [MLFLOW_METRIC] = "(SELECT m.value FROM job_metrics m WHERE m.job_id = j.id AND"
			      " m.key = ? ORDER BY m.step DESC, m.rowid DESC LIMIT 1)",
	    [MLFLOW_PARAM] = "(SELECT p.value FROM job_params p WHERE p.job_id = j.id AND"
			     " p.key = ?)",
	    [MLFLOW_TAG] = "(SELECT t.value FROM job_tags t WHERE t.job_id = j.id AND t.key = ?)",
	    [MLFLOW_STATUS] = "j.state",
	    [MLFLOW_START_TIME] = "coalesce(j.started_at, j.queued_at)",
	    [MLFLOW_END_TIME] = "j.ended_at",
	};
	buf_puts(&s->text, sql[field]);
	if (field == MLFLOW_METRIC || field == MLFLOW_PARAM || field == MLFLOW_TAG)
		bind_next(s, DB_TEXT(key));
}

/* Each mlflow_op as SQL spells it, indexed by it. */
static const char *const op_sql[] = {"=", "!=", "<", "<=", ">", ">="};

static void clause_sql(search_sql *s, const mlflow_clause *c)
{
	buf_puts(&s->text, " AND ");
	field_sql(s, c->field, c->key);
	buf_printf(&s->text, " %s ?", op_sql[c->op]);
	bind_next(s, c->is_number ? DB_REAL(c->number) : DB_TEXT(c->text));
}

/* Runs without the value sort last either way, as MLflow's do. */
static void order_sql(search_sql *s, const mlflow_order *o)
{
	field_sql(s, o->field, o->key);
	buf_puts(&s->text, " IS NULL, ");
	field_sql(s, o->field, o->key);
	buf_puts(&s->text, o->ascending ? " ASC, " : " DESC, ");
}

static void search_text(search_sql *s, const char *projects, const mlflow_query *q)
{
	buf_puts(&s->text, "SELECT j.id FROM jobs j WHERE j.project_id IN"
			   " (SELECT value FROM json_each(?))");
	bind_next(s, DB_TEXT(projects));
	for (int i = 0; i < q->n_clauses; i++)
		clause_sql(s, &q->clauses[i]);
	buf_puts(&s->text, " ORDER BY ");
	for (int i = 0; i < q->n_orders; i++)
		order_sql(s, &q->orders[i]);
	buf_puts(&s->text, "coalesce(j.started_at, j.queued_at) DESC, j.id DESC LIMIT ? OFFSET ?");
}

int store_mlflow_run_ids(db *d, const int64_t *projects, int n_projects, const mlflow_query *q,
			 int64_t offset, int limit, int64_t *ids)
{
	json_t *list = json_array();
	for (int i = 0; i < n_projects; i++)
		json_array_append_new(list, json_integer(projects[i]));
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	search_sql s = {0};
	buf_init(&s.text, 64 * 1024);
	search_text(&s, text, q);
	bind_next(&s, DB_INT(limit));
	bind_next(&s, DB_INT(offset));
	sqlite3_stmt *st = NULL;
	int n = 0;
	/* Its text changes with the query, so it is prepared here, not cached. */
	if (s.text.data &&
	    sqlite3_prepare_v2(db_handle(db_reader(d)), s.text.data, -1, &st, NULL) == SQLITE_OK) {
		db_bind_values(st, s.values, s.n);
		while (n < limit && db_step(st) == SQLITE_ROW)
			ids[n++] = sqlite3_column_int64(st, 0);
	}
	sqlite3_finalize(st);
	buf_release(&s.text);
	free(text);
	return n;
}

json_t *store_mlflow_history(db *d, int64_t job_id, const char *key, int limit)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT key, value, at, step FROM job_metrics"
				  " WHERE job_id = ? AND key = ? ORDER BY step, rowid"
				  " LIMIT ?");
	db_bind(st, DB_INT(job_id), DB_TEXT(key), DB_INT(limit));
	json_t *list = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(list, metric_json(st));
	sqlite3_reset(st);
	return list;
}

int store_mlflow_orgs(db *d, int64_t user_id, int64_t *orgs, int max)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), ML_ORGS " ORDER BY org_id LIMIT ?");
	db_bind(st, DB_INT(user_id), DB_INT(max));
	int n = 0;
	while (n < max && db_step(st) == SQLITE_ROW)
		orgs[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}
