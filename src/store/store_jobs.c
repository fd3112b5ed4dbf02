/* Training jobs, their metric series, params and artifacts, and the model registry: the SQL
 * behind core's run and registry use cases (core/runs.c, core/registry.c), what the job runner
 * reads, and the rows the API answers with. */
#include "store/store_jobs.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RUN_COLUMNS                                                                                \
	"id, org_id, project_id, coalesce(dataset_id, 0), created_by, kind, coalesce(trainer, ''),"  \
	" params, command, coalesce(format, ''), coalesce(code_hash, ''), cpus, gpus, priority,"    \
	" max_retries, attempt, mem_bytes, time_limit_ms, state, coalesce(node, ''), executor,"    \
	" coalesce(pid, 0), coalesce(proc_start, 0), coalesce(slurm_id, ''),"                      \
	" coalesce(gpu_list, ''), queued_at, coalesce(started_at, 0), coalesce(ended_at, 0),"      \
	" coalesce(exit_status, -1), coalesce(end_reason, ''), cancel_requested,"                 \
	" coalesce(token_digest, ''), coalesce(log_path, ''), coalesce(output_dir, '')"

static void copy_col(sqlite3_stmt *st, int col, char *out, size_t size)
{
	snprintf(out, size, "%s", db_col_text(st, col));
}

static char *dup_col(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : strdup(db_col_text(st, col));
}

static void run_from_stmt(sqlite3_stmt *st, run_row *j)
{
	memset(j, 0, sizeof *j);
	int64_t *ids[] = {&j->id, &j->org_id, &j->project_id, &j->dataset_id, &j->created_by};
	for (int i = 0; i < 5; i++)
		*ids[i] = sqlite3_column_int64(st, i);
	copy_col(st, 5, j->kind, sizeof j->kind);
	copy_col(st, 6, j->trainer, sizeof j->trainer);
	j->params = dup_col(st, 7);
	j->command = dup_col(st, 8);
	copy_col(st, 9, j->format, sizeof j->format);
	copy_col(st, 10, j->code_hash, sizeof j->code_hash);
	int *ints[] = {&j->cpus, &j->gpus, &j->priority, &j->max_retries, &j->attempt};
	for (int i = 0; i < 5; i++)
		*ints[i] = sqlite3_column_int(st, 11 + i);
	j->mem_bytes = sqlite3_column_int64(st, 16);
	j->time_limit_ms = sqlite3_column_int64(st, 17);
	copy_col(st, 18, j->state, sizeof j->state);
	copy_col(st, 19, j->node, sizeof j->node);
	copy_col(st, 20, j->executor, sizeof j->executor);
	j->pid = sqlite3_column_int64(st, 21);
	j->proc_start = sqlite3_column_int64(st, 22);
	copy_col(st, 23, j->slurm_id, sizeof j->slurm_id);
	copy_col(st, 24, j->gpu_list, sizeof j->gpu_list);
	j->queued_at = sqlite3_column_int64(st, 25);
	j->started_at = sqlite3_column_int64(st, 26);
	j->ended_at = sqlite3_column_int64(st, 27);
	j->exit_status = sqlite3_column_int(st, 28);
	copy_col(st, 29, j->end_reason, sizeof j->end_reason);
	j->cancel_requested = sqlite3_column_int(st, 30);
	copy_col(st, 31, j->token_digest, sizeof j->token_digest);
	copy_col(st, 32, j->log_path, sizeof j->log_path);
	copy_col(st, 33, j->output_dir, sizeof j->output_dir);
}

/* A text column's value, NULL for "". */
static const char *or_null(const char *s)
{
	return s && s[0] ? s : NULL;
}

static db_value int_or_null(int64_t v)
{
	return v ? DB_INT(v) : DB_TEXT(NULL);
}

int run_rows_insert(db_conn *c, run_row *j, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(
	    c, "INSERT INTO jobs(org_id, project_id, dataset_id, created_by, kind, trainer, params,"
	       " command, format, code_hash, cpus, mem_bytes, gpus, priority, time_limit_ms,"
	       " max_retries, state, executor, queued_at)"
	       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	db_bind(st, DB_INT(j->org_id), DB_INT(j->project_id), int_or_null(j->dataset_id),
		DB_INT(j->created_by), DB_TEXT(j->kind), DB_TEXT(or_null(j->trainer)),
		DB_TEXT(j->params ? j->params : "{}"), DB_TEXT(j->command),
		DB_TEXT(or_null(j->format)), DB_TEXT(or_null(j->code_hash)), DB_INT(j->cpus),
		DB_INT(j->mem_bytes), DB_INT(j->gpus), DB_INT(j->priority),
		DB_INT(j->time_limit_ms), DB_INT(j->max_retries), DB_TEXT(j->state),
		DB_TEXT(j->executor[0] ? j->executor : "local"), DB_INT(j->queued_at));
	int rc = db_exec_stmt(st, err);
	if (!rc)
		j->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int run_rows_load(db_conn *c, int64_t id, run_row *j)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT " RUN_COLUMNS " FROM jobs WHERE id = ?");
	db_bind_int(st, 1, id);
	int rc = db_step(st) == SQLITE_ROW ? 0 : CL_ENOTFOUND;
	if (!rc)
		run_from_stmt(st, j);
	sqlite3_reset(st);
	return rc;
}

int run_rows_save(db_conn *c, const run_row *j, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(
	    c, "UPDATE jobs SET state = ?, attempt = ?, node = ?, pid = ?, proc_start = ?,"
	       " slurm_id = ?, gpu_list = ?, queued_at = ?, started_at = ?, ended_at = ?,"
	       " exit_status = ?, end_reason = ?, token_digest = ?, log_path = ?,"
	       " output_dir = ? WHERE id = ?");
	db_bind(st, DB_TEXT(j->state), DB_INT(j->attempt), DB_TEXT(or_null(j->node)),
		int_or_null(j->pid), int_or_null(j->proc_start), DB_TEXT(or_null(j->slurm_id)),
		DB_TEXT(j->gpus ? j->gpu_list : NULL), DB_INT(j->queued_at),
		int_or_null(j->started_at), int_or_null(j->ended_at),
		j->exit_status >= 0 ? DB_INT(j->exit_status) : DB_TEXT(NULL),
		DB_TEXT(or_null(j->end_reason)), DB_TEXT(or_null(j->token_digest)),
		DB_TEXT(or_null(j->log_path)), DB_TEXT(or_null(j->output_dir)), DB_INT(j->id));
	return db_exec_stmt(st, err);
}

int run_rows_cancel_request(db_conn *c, int64_t id, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE jobs SET cancel_requested = 1 WHERE id = ?");
	db_bind_int(st, 1, id);
	return db_exec_stmt(st, err);
}

int run_rows_param_put(db_conn *c, int64_t job_id, const char *key, const char *value,
		       cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO job_params(job_id, key, value) VALUES (?,?,?)");
	db_bind(st, DB_INT(job_id), DB_TEXT(key), DB_TEXT(value));
	int rc = db_exec_stmt(st, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, rc, "param_written", "param \"%.64s\" is written already", key);
	return rc;
}

int run_rows_tag_put(db_conn *c, int64_t job_id, const char *key, const char *value,
		     cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO job_tags(job_id, key, value) VALUES (?,?,?)"
				      " ON CONFLICT (job_id, key) DO UPDATE SET value = excluded.value");
	db_bind(st, DB_INT(job_id), DB_TEXT(key), DB_TEXT(value));
	return db_exec_stmt(st, err);
}

int run_rows_tag_delete(db_conn *c, int64_t job_id, const char *key, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "DELETE FROM job_tags WHERE job_id = ? AND key = ?");
	db_bind(st, DB_INT(job_id), DB_TEXT(key));
	int rc = db_exec_stmt(st, err);
	if (!rc && !sqlite3_changes(db_handle(c)))
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "the run has no tag \"%.64s\"", key);
	return rc;
}

/* Metric points go in by statements of METRIC_ROWS rows: one statement step, and one bind
 * round, for 64 rows instead of 64, which is most of an insert's cost here. */
#define METRIC_ROWS 64
#define METRIC_ROW "(?,?,?,?,?)"
#define METRIC_ROWS2 METRIC_ROW "," METRIC_ROW
#define METRIC_ROWS4 METRIC_ROWS2 "," METRIC_ROWS2
#define METRIC_ROWS8 METRIC_ROWS4 "," METRIC_ROWS4
#define METRIC_ROWS16 METRIC_ROWS8 "," METRIC_ROWS8
#define METRIC_ROWS32 METRIC_ROWS16 "," METRIC_ROWS16
#define METRIC_INSERT "INSERT INTO job_metrics(job_id, key, value, step, at) VALUES "

/* Binds points m[0..n-1] to the statement's rows in order; the keys stay the caller's until
 * the statement is stepped (SQLITE_STATIC: no copy of each key). */
static void metric_rows_bind(sqlite3_stmt *st, int64_t job_id, const run_metric *m, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int at = (int)i * 5;
		sqlite3_bind_int64(st, at + 1, job_id);
		sqlite3_bind_text(st, at + 2, m[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, at + 3, m[i].value);
		sqlite3_bind_int64(st, at + 4, m[i].step);
		sqlite3_bind_int64(st, at + 5, m[i].at);
	}
}

int run_rows_metrics_add(db_conn *c, int64_t job_id, const run_metric *m, size_t n,
			 cl_error *err)
{
	size_t i = 0;
	for (; n - i >= METRIC_ROWS; i += METRIC_ROWS) {
		sqlite3_stmt *st = db_stmt(c, METRIC_INSERT METRIC_ROWS32 "," METRIC_ROWS32);
		metric_rows_bind(st, job_id, m + i, METRIC_ROWS);
		int rc = db_exec_stmt(st, err);
		if (rc)
			return rc;
	}
	for (; i < n; i++) {
		sqlite3_stmt *st = db_stmt(c, METRIC_INSERT METRIC_ROW);
		metric_rows_bind(st, job_id, m + i, 1);
		int rc = db_exec_stmt(st, err);
		if (rc)
			return rc;
	}
	return 0;
}

int run_rows_artifact_add(db_conn *c, int64_t job_id, const char *path, const char *sha256,
			  int64_t size, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT OR REPLACE INTO artifacts(job_id, path, sha256, size)"
				      " VALUES (?,?,?,?)");
	db_bind(st, DB_INT(job_id), DB_TEXT(path), DB_TEXT(sha256), DB_INT(size));
	return db_exec_stmt(st, err);
}

int run_rows_evaluation_set(db_conn *c, int64_t job_id, const char *evaluation, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE jobs SET evaluation = ? WHERE id = ?");
	db_bind(st, DB_TEXT(evaluation), DB_INT(job_id));
	return db_exec_stmt(st, err);
}

int run_rows_dataset_of(db_conn *c, int64_t id, int64_t *org_id, int64_t *project_id,
			char kind[24])
{
	sqlite3_stmt *st = db_stmt(c, "SELECT p.org_id, v.project_id, v.kind FROM dataset_versions v"
				      " JOIN projects p ON p.id = v.project_id WHERE v.id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*org_id = sqlite3_column_int64(st, 0);
		*project_id = sqlite3_column_int64(st, 1);
		snprintf(kind, 24, "%s", db_col_text(st, 2));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* The lineage: the run, its version and project, and the approved work sealed in the version:
 * annotations, distinct workers and reviewers, and the audited share found correct among the
 * version's tasks (null when none of them was audited). */
char *run_rows_lineage(db_conn *c, int64_t job_id)
{
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT json_object('job_id', j.id, 'trainer', j.trainer, 'kind', j.kind,"
	       " 'params', json(j.params), 'command', json(j.command), 'code_hash', j.code_hash,"
	       " 'dataset', json_object('id', v.id, 'version', v.version, 'content_hash',"
	       "  v.content_hash, 'rows', v.rows, 'split', json_object('train', v.ratio_train,"
	       "  'validation', v.ratio_validation, 'test', v.ratio_test)),"
	       " 'project', json_object('id', p.id, 'name', p.name, 'kind', p.kind),"
	       " 'approved_annotations', (SELECT count(*) FROM dataset_rows r"
	       "  WHERE r.dataset_id = v.id),"
	       " 'workers', (SELECT count(DISTINCT worker_id) FROM dataset_rows r"
	       "  WHERE r.dataset_id = v.id AND worker_id IS NOT NULL),"
	       " 'reviewers', (SELECT count(DISTINCT reviewer_id) FROM dataset_rows r"
	       "  WHERE r.dataset_id = v.id AND reviewer_id IS NOT NULL),"
	       " 'audited', (SELECT count(*) FROM audit_items a JOIN dataset_rows r"
	       "  ON r.task_id = a.task_id AND r.dataset_id = v.id WHERE a.verdict IS NOT NULL),"
	       " 'audited_quality', (SELECT avg(a.verdict = 'correct') FROM audit_items a"
	       "  JOIN dataset_rows r ON r.task_id = a.task_id AND r.dataset_id = v.id"
	       "  WHERE a.verdict IS NOT NULL))"
	       " FROM jobs j LEFT JOIN dataset_versions v ON v.id = j.dataset_id"
	       " LEFT JOIN projects p ON p.id = j.project_id WHERE j.id = ?");
	db_bind_int(st, 1, job_id);
	char *out = db_step(st) == SQLITE_ROW ? dup_col(st, 0) : NULL;
	sqlite3_reset(st);
	return out;
}

char *run_dataset_description(db *d, int64_t dataset_id)
{
	sqlite3_stmt *st = db_stmt(
	    db_reader(d), "SELECT json_object('kind', v.kind, 'labels', json(v.labels),"
			  " 'multi_label', json(CASE WHEN p.multi_label THEN 'true' ELSE 'false' END),"
			  " 'dataset_id', v.id, 'version', v.version, 'project_id', p.id)"
			  " FROM dataset_versions v JOIN projects p ON p.id = v.project_id"
			  " WHERE v.id = ?");
	db_bind_int(st, 1, dataset_id);
	char *out = db_step(st) == SQLITE_ROW ? dup_col(st, 0) : NULL;
	sqlite3_reset(st);
	return out;
}

char *run_rows_evaluation(db_conn *c, int64_t job_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT evaluation FROM jobs WHERE id = ?");
	db_bind_int(st, 1, job_id);
	char *out = db_step(st) == SQLITE_ROW ? dup_col(st, 0) : NULL;
	sqlite3_reset(st);
	return out;
}

int model_rows_insert(db_conn *c, int64_t org_id, const char *name, int64_t by, int64_t now,
		      int64_t *id, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO models(org_id, name, created_by, created_at)"
				      " VALUES (?,?,?,?)");
	db_bind(st, DB_INT(org_id), DB_TEXT(name), DB_INT(by), DB_INT(now));
	int rc = db_exec_stmt(st, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, rc, "model_exists", "the org has a model named \"%.64s\"",
			       name);
	if (!rc)
		*id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int64_t model_rows_org(db_conn *c, int64_t id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT org_id FROM models WHERE id = ?");
	db_bind_int(st, 1, id);
	return db_one_int(st);
}

int model_rows_version_add(db_conn *c, int64_t model_id, int64_t job_id, const char *dir,
			   const char *evaluation, const char *lineage, int64_t by, int64_t now,
			   int *version, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT coalesce(max(version), 0) + 1 FROM model_versions WHERE model_id = ?");
	db_bind_int(st, 1, model_id);
	*version = (int)db_one_int(st);
	st = db_stmt(c, "INSERT INTO model_versions(model_id, version, job_id, artifact_dir,"
			" evaluation, lineage, created_by, created_at) VALUES (?,?,?,?,?,?,?,?)");
	db_bind(st, DB_INT(model_id), DB_INT(*version), DB_INT(job_id), DB_TEXT(dir),
		DB_TEXT(evaluation), DB_TEXT(lineage), DB_INT(by), DB_INT(now));
	return db_exec_stmt(st, err);
}

bool model_rows_has_version(db_conn *c, int64_t model_id, int version)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT count(*) FROM model_versions WHERE model_id = ? AND version = ?");
	db_bind(st, DB_INT(model_id), DB_INT(version));
	return db_one_int(st) > 0;
}

int model_rows_alias_get(db_conn *c, int64_t model_id, const char *name)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT version FROM model_aliases WHERE model_id = ? AND name = ?");
	db_bind(st, DB_INT(model_id), DB_TEXT(name));
	return (int)db_one_int(st);
}

int model_rows_alias_move(db_conn *c, int64_t model_id, const char *name, int from, int version,
			  int64_t actor, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT OR REPLACE INTO model_aliases(model_id, name, version)"
				      " VALUES (?,?,?)");
	db_bind(st, DB_INT(model_id), DB_TEXT(name), DB_INT(version));
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	st = db_stmt(c, "INSERT INTO alias_events(model_id, name, from_version, to_version,"
			" actor_id, at) VALUES (?,?,?,?,?,?)");
	db_bind(st, DB_INT(model_id), DB_TEXT(name), int_or_null(from), DB_INT(version),
		DB_INT(actor), DB_INT(now));
	return db_exec_stmt(st, err);
}

int run_rows_quota_put(db_conn *c, int64_t org_id, const run_quota *q, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT OR REPLACE INTO org_quotas(org_id, max_cpus, max_gpus,"
				      " weight, max_mem_mb) VALUES (?,?,?,?,?)");
	db_bind(st, DB_INT(org_id), DB_INT(q->max_cpus), DB_INT(q->max_gpus), DB_INT(q->weight),
		DB_INT(q->max_mem_mb));
	return db_exec_stmt(st, err);
}

/* ---- what the runner reads ---- */

void run_quota_read(db *d, int64_t org_id, run_quota *q)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT max_cpus, max_gpus, weight, max_mem_mb"
						 " FROM org_quotas WHERE org_id = ?");
	db_bind_int(st, 1, org_id);
	*q = (run_quota){-1, -1, 1, -1};
	if (db_step(st) == SQLITE_ROW)
		*q = (run_quota){sqlite3_column_int(st, 0), sqlite3_column_int(st, 1),
				 sqlite3_column_int(st, 2), sqlite3_column_int64(st, 3)};
	sqlite3_reset(st);
}

int runs_live(db *d, int64_t after, run_row *out, int max)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " RUN_COLUMNS " FROM jobs"
						 " WHERE state IN ('queued', 'running') AND id > ?"
						 " AND executor != 'external'"
						 " ORDER BY id LIMIT ?");
	db_bind(st, DB_INT(after), DB_INT(max));
	int n = 0;
	while (n < max && db_step(st) == SQLITE_ROW)
		run_from_stmt(st, &out[n++]);
	sqlite3_reset(st);
	return n;
}

int runs_cancel_asked(db *d, int64_t *ids, int max)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT id FROM jobs WHERE state IN ('queued', 'running')"
				  " AND executor != 'external' AND cancel_requested = 1 ORDER BY id LIMIT ?");
	db_bind_int(st, 1, max);
	int n = 0;
	while (n < max && db_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

/* ---- reads for answers ---- */

int64_t store_job_org(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT org_id FROM jobs WHERE id = ?");
	db_bind_int(st, 1, id);
	return db_one_int(st);
}

int64_t store_model_org(db *d, int64_t id)
{
	return model_rows_org(db_reader(d), id);
}

static json_t *time_or_null(int64_t ms)
{
	if (!ms)
		return json_null();
	char at[32];
	clock_iso8601(ms, at);
	return json_string(at);
}

static json_t *text_json(const char *text)
{
	json_t *v = text ? json_loads(text, JSON_DECODE_ANY, NULL) : NULL;
	return v ? v : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s && s[0] ? json_string(s) : json_null();
}

/* The Job object (docs/API.md) of the row at st (RUN_COLUMNS, then evaluation). */
static json_t *job_json(sqlite3_stmt *st)
{
	run_row j;
	run_from_stmt(st, &j);
	int64_t end = j.ended_at ? j.ended_at : clock_now_ms();
	json_t *o = json_pack(
	    "{s:I,s:I,s:I,s:o,s:I,s:s,s:o,s:o,s:o,s:o,s:o,s:{s:i,s:I,s:i},s:i,s:I,s:i,s:i,s:s,"
	    "s:o,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:b}",
	    "id", (json_int_t)j.id, "org_id", (json_int_t)j.org_id, "project_id",
	    (json_int_t)j.project_id, "dataset_id",
	    j.dataset_id ? json_integer(j.dataset_id) : json_null(), "created_by",
	    (json_int_t)j.created_by, "kind", j.kind, "trainer", str_or_null(j.trainer), "params",
	    text_json(j.params), "command", text_json(j.command), "format", str_or_null(j.format),
	    "code_hash", str_or_null(j.code_hash), "resources", "cpus", j.cpus, "mem_bytes",
	    (json_int_t)j.mem_bytes, "gpus", j.gpus, "priority", j.priority, "time_limit_ms",
	    (json_int_t)j.time_limit_ms, "max_retries", j.max_retries, "attempt", j.attempt,
	    "state", j.state, "node", str_or_null(j.node), "executor", j.executor, "gpu_list",
	    j.gpus && j.gpu_list[0] ? json_string(j.gpu_list) : json_null(), "queued_at",
	    time_or_null(j.queued_at), "started_at", time_or_null(j.started_at), "ended_at",
	    time_or_null(j.ended_at), "running_ms",
	    j.started_at ? json_integer(end - j.started_at) : json_null(), "exit_status",
	    j.exit_status >= 0 ? json_integer(j.exit_status) : json_null(), "end_reason",
	    str_or_null(j.end_reason), "evaluation", json_null(),
	    "cancel_requested", j.cancel_requested != 0);
	/* The evaluation column is read apart: it may be large, and only the job's page has it. */
	if (o && sqlite3_column_count(st) > 34 && sqlite3_column_type(st, 34) != SQLITE_NULL)
		json_object_set_new(o, "evaluation", text_json(db_col_text(st, 34)));
	free(j.params);
	free(j.command);
	return o;
}

json_t *store_job_get(db *d, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " RUN_COLUMNS ", evaluation FROM jobs WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = db_step(st) == SQLITE_ROW ? job_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

json_t *store_jobs_list(db *d, int64_t org_id, const char *state, int64_t cursor, int limit,
			bool desc, int64_t *next)
{
#define JOBS_BASE "SELECT " RUN_COLUMNS " FROM jobs WHERE org_id = ?1 AND (?4 IS NULL OR state = ?4)"
	sqlite3_stmt *st = desc ? db_stmt(db_reader(d), DB_PAGE_SQL(1, JOBS_BASE, "id"))
				: db_stmt(db_reader(d), DB_PAGE_SQL(0, JOBS_BASE, "id"));
#undef JOBS_BASE
	db_bind_text(st, 4, state);
	return db_owned_page(st, org_id, cursor, limit, desc,
			     job_json, next);
}

bool store_job_log(db *d, int64_t id, char *path, size_t size, char state[RUN_STATE_LEN])
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT coalesce(log_path, ''), state FROM jobs WHERE id = ?");
	db_bind_int(st, 1, id);
	bool found = db_step(st) == SQLITE_ROW;
	if (found) {
		snprintf(path, size, "%s", db_col_text(st, 0));
		snprintf(state, RUN_STATE_LEN, "%s", db_col_text(st, 1));
	}
	sqlite3_reset(st);
	return found;
}

json_t *store_job_metrics(db *d, int64_t id, const char *key, int limit)
{
	sqlite3_stmt *st = db_stmt(db_reader(d),
				   "SELECT key, step, value, at FROM job_metrics WHERE job_id = ?"
				   " AND (?2 IS NULL OR key = ?2) ORDER BY key, step, rowid LIMIT ?3");
	db_bind(st, DB_INT(id), DB_TEXT(key), DB_INT(limit));
	json_t *series = json_object();
	while (db_step(st) == SQLITE_ROW) {
		const char *k = db_col_text(st, 0);
		json_t *pts = json_object_get(series, k);
		if (!pts) {
			pts = json_array();
			json_object_set_new(series, k, pts);
		}
		char at[32];
		clock_iso8601(sqlite3_column_int64(st, 3), at);
		json_array_append_new(pts, json_pack("{s:I,s:f,s:s}", "step",
						     (json_int_t)sqlite3_column_int64(st, 1),
						     "value", sqlite3_column_double(st, 2), "time",
						     at));
	}
	sqlite3_reset(st);
	return series;
}

json_t *store_job_final_metrics(db *d, int64_t id)
{
	/* The last point of each series: the highest step, the latest logged among equals. The
	 * keys are stepped through job_metrics_key (the next key after each) and each key's last
	 * point is that index's last entry for it, so the cost follows the series, not their
	 * points: a window over every point took 4/5 of a 1,000-run comparison. */
	sqlite3_stmt *st = db_stmt(
	    db_reader(d),
	    "WITH RECURSIVE k(key) AS (SELECT min(key) FROM job_metrics WHERE job_id = ?1"
	    " UNION ALL SELECT (SELECT min(key) FROM job_metrics WHERE job_id = ?1 AND key > k.key)"
	    " FROM k WHERE k.key IS NOT NULL)"
	    " SELECT key, (SELECT value FROM job_metrics WHERE job_id = ?1 AND key = k.key"
	    " ORDER BY step DESC, rowid DESC LIMIT 1) FROM k WHERE key IS NOT NULL ORDER BY key");
	db_bind_int(st, 1, id);
	json_t *o = json_object();
	while (db_step(st) == SQLITE_ROW)
		json_object_set_new(o, db_col_text(st, 0), json_real(sqlite3_column_double(st, 1)));
	sqlite3_reset(st);
	return o;
}

json_t *store_job_artifacts(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT id, path, sha256, size FROM artifacts"
						 " WHERE job_id = ? ORDER BY path");
	db_bind_int(st, 1, id);
	json_t *a = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(
		    a, json_pack("{s:I,s:s,s:s,s:I}", "id", (json_int_t)sqlite3_column_int64(st, 0),
				 "path", db_col_text(st, 1), "sha256", db_col_text(st, 2), "size",
				 (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_reset(st);
	return a;
}

bool store_job_artifact(db *d, int64_t job_id, int64_t artifact_id, char sha[65], char *path,
			size_t size)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT sha256, path FROM artifacts"
						 " WHERE id = ? AND job_id = ?");
	db_bind(st, DB_INT(artifact_id), DB_INT(job_id));
	bool found = db_step(st) == SQLITE_ROW;
	if (found) {
		snprintf(sha, 65, "%s", db_col_text(st, 0));
		snprintf(path, size, "%s", db_col_text(st, 1));
	}
	sqlite3_reset(st);
	return found;
}

int store_run_token(db *d, const char *digest, int64_t *job_id, int64_t *user_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT id, created_by FROM jobs"
						 " WHERE token_digest = ? AND state = 'running'");
	db_bind_text(st, 1, digest);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*job_id = sqlite3_column_int64(st, 0);
		*user_id = sqlite3_column_int64(st, 1);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* The Model object of the row at st (MODEL_COLUMNS), aliases included: one shape for a model
 * alone and for every model of a list, so a list needs no request per model. */
static json_t *model_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 4), at);
	json_t *aliases = text_json(db_col_text(st, 6));
	return json_pack("{s:I,s:I,s:s,s:I,s:s,s:i,s:o}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "org_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "name", db_col_text(st, 2),
			 "created_by", (json_int_t)sqlite3_column_int64(st, 3), "created_at", at,
			 "latest_version", sqlite3_column_int(st, 5), "aliases",
			 json_is_object(aliases) ? aliases : (json_decref(aliases), json_object()));
}

#define MODEL_COLUMNS                                                                              \
	"m.id, m.org_id, m.name, m.created_by, m.created_at,"                                      \
	" (SELECT coalesce(max(version), 0) FROM model_versions v WHERE v.model_id = m.id),"       \
	" (SELECT json_group_object(a.name, a.version) FROM model_aliases a"                       \
	"  WHERE a.model_id = m.id)"

json_t *store_model_get(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " MODEL_COLUMNS " FROM models m"
						 " WHERE m.id = ?");
	db_bind_int(st, 1, id);
	json_t *o = db_step(st) == SQLITE_ROW ? model_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

json_t *store_models_list(db *d, int64_t org_id, int64_t cursor, int limit, bool desc,
			  int64_t *next)
{
#define MODELS_BASE "SELECT " MODEL_COLUMNS " FROM models m WHERE m.org_id = ?1"
	sqlite3_stmt *st = desc ? db_stmt(db_reader(d), DB_PAGE_SQL(1, MODELS_BASE, "m.id"))
				: db_stmt(db_reader(d), DB_PAGE_SQL(0, MODELS_BASE, "m.id"));
#undef MODELS_BASE
	return db_owned_page(st, org_id, cursor, limit, desc,
			     model_json, next);
}

/* The ModelVersion object of the row at st (VERSION_COLUMNS): one shape for a version alone
 * and for every version of a model. */
static json_t *version_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 5), at);
	return json_pack("{s:I,s:i,s:I,s:o,s:o,s:I,s:s,s:o}", "id",
			 (json_int_t)sqlite3_column_int64(st, 7), "version",
			 sqlite3_column_int(st, 0), "job_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "evaluation",
			 text_json(db_col_text(st, 2)), "lineage", text_json(db_col_text(st, 3)),
			 "created_by", (json_int_t)sqlite3_column_int64(st, 4), "created_at", at,
			 "aliases", text_json(db_col_text(st, 6)));
}

#define VERSION_COLUMNS                                                                            \
	"v.version, v.job_id, v.evaluation, v.lineage, v.created_by, v.created_at,"                \
	" (SELECT json_group_array(a.name) FROM model_aliases a"                                   \
	"  WHERE a.model_id = v.model_id AND a.version = v.version), v.id"

json_t *store_model_versions(db *d, int64_t model_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " VERSION_COLUMNS " FROM model_versions v"
						 " WHERE v.model_id = ? ORDER BY v.version");
	db_bind_int(st, 1, model_id);
	json_t *a = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(a, version_json(st));
	sqlite3_reset(st);
	return a;
}

json_t *store_model_version(db *d, int64_t model_id, int version)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " VERSION_COLUMNS " FROM model_versions v"
						 " WHERE v.model_id = ? AND v.version = ?");
	db_bind(st, DB_INT(model_id), DB_INT(version));
	json_t *o = db_step(st) == SQLITE_ROW ? version_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

bool store_model_version_find(db *d, int64_t org_id, int64_t version_id, const char *model,
			      const char *alias, int64_t *id, char *dir, size_t size)
{
	sqlite3_stmt *st =
	    version_id
		? db_stmt(db_reader(d), "SELECT v.id, v.artifact_dir FROM model_versions v"
					" JOIN models m ON m.id = v.model_id"
					" WHERE v.id = ? AND m.org_id = ?")
		: db_stmt(db_reader(d), "SELECT v.id, v.artifact_dir FROM models m"
					" JOIN model_aliases a ON a.model_id = m.id AND a.name = ?"
					" JOIN model_versions v ON v.model_id = m.id"
					"  AND v.version = a.version"
					" WHERE m.name = ? AND m.org_id = ?");
	int i = 1;
	if (version_id) {
		db_bind_int(st, i++, version_id);
	} else {
		db_bind_text(st, i++, alias);
		db_bind_text(st, i++, model);
	}
	db_bind_int(st, i, org_id);
	bool found = db_step(st) == SQLITE_ROW;
	if (found) {
		*id = sqlite3_column_int64(st, 0);
		snprintf(dir, size, "%s", db_col_text(st, 1));
	}
	sqlite3_reset(st);
	return found;
}

json_t *store_alias_events(db *d, int64_t model_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d),
				   "SELECT e.id, e.name, e.from_version, e.to_version, e.actor_id,"
				   " coalesce(u.username, CASE WHEN e.actor_id = 0 THEN 'pipeline' ELSE '' END),"
				   " e.at FROM alias_events e"
				   " LEFT JOIN users u ON u.id = e.actor_id WHERE e.model_id = ?"
				   " ORDER BY e.id");
	db_bind_int(st, 1, model_id);
	json_t *a = json_array();
	while (db_step(st) == SQLITE_ROW) {
		char at[32];
		clock_iso8601(sqlite3_column_int64(st, 6), at);
		json_t *from = sqlite3_column_type(st, 2) == SQLITE_NULL
				   ? json_null()
				   : json_integer(sqlite3_column_int(st, 2));
		json_array_append_new(
		    a, json_pack("{s:I,s:s,s:o,s:i,s:I,s:s,s:s}", "id",
				 (json_int_t)sqlite3_column_int64(st, 0), "alias", db_col_text(st, 1),
				 "from_version", from, "to_version", sqlite3_column_int(st, 3),
				 "actor_id", (json_int_t)sqlite3_column_int64(st, 4), "actor",
				 db_col_text(st, 5), "at", at));
	}
	sqlite3_reset(st);
	return a;
}
