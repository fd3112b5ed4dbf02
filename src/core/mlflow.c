/* MLflow's runs mapped onto crowdloop's jobs: create, status changes and the one-transaction
 * batch of metrics, params and tags (the rules: limits, keys, a param written once). */
#include "core/mlflow.h"
#include "core/runs.h"
#include "util/clock.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static const char *const status_pairs[][2] = {
    {"RUNNING", "running"}, {"SCHEDULED", "queued"}, {"FINISHED", "succeeded"},
    {"FAILED", "failed"},   {"KILLED", "cancelled"},
};
#define N_STATUS (sizeof status_pairs / sizeof status_pairs[0])

const char *mlflow_status_of(const char *state)
{
	for (size_t i = 0; i < N_STATUS; i++)
		if (!strcmp(status_pairs[i][1], state))
			return status_pairs[i][0];
	return "FAILED"; /* lost */
}

const char *mlflow_state_of(const char *status)
{
	for (size_t i = 0; status && i < N_STATUS; i++)
		if (!strcmp(status_pairs[i][0], status))
			return status_pairs[i][1];
	return NULL;
}

static int key_check(const char *what, size_t i, const char *key, cl_error *err)
{
	size_t len = key ? strlen(key) : 0;
	if (!len || len > RUN_KEY_MAX)
		return cl_fail(err, CL_EINVAL, NULL, "%s[%zu].key must be 1 to %d characters", what,
			       i, RUN_KEY_MAX);
	return 0;
}

static int pairs_check(const char *what, const mlflow_pair *p, size_t n, size_t value_max,
		       cl_error *err)
{
	for (size_t i = 0; i < n; i++) {
		int rc = key_check(what, i, p[i].key, err);
		if (rc)
			return rc;
		if (!p[i].value || strlen(p[i].value) > value_max)
			return cl_fail(err, CL_EINVAL, NULL,
				       "%s[%zu].value must be a string of at most %zu characters",
				       what, i, value_max);
	}
	return 0;
}

/* Every limit of a batch, before a row is written. */
static int batch_check(const mlflow_batch *b, cl_error *err)
{
	if (b->n_metrics > MLFLOW_BATCH_METRICS || b->n_params > MLFLOW_BATCH_PARAMS ||
	    b->n_tags > MLFLOW_BATCH_TAGS)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a batch holds at most %d metrics, %d params and %d tags",
			       MLFLOW_BATCH_METRICS, MLFLOW_BATCH_PARAMS, MLFLOW_BATCH_TAGS);
	for (size_t i = 0; i < b->n_metrics; i++) {
		int rc = key_check("metrics", i, b->metrics[i].key, err);
		if (rc)
			return rc;
		if (!isfinite(b->metrics[i].value))
			return cl_fail(err, CL_EINVAL, NULL, "metrics[%zu].value must be finite",
				       i);
	}
	int rc = pairs_check("params", b->params, b->n_params, MLFLOW_PARAM_VALUE_MAX, err);
	return rc ? rc : pairs_check("tags", b->tags, b->n_tags, MLFLOW_TAG_VALUE_MAX, err);
}

typedef struct log_job {
	const store_ops *ops;
	int64_t id;
	const mlflow_batch *b;
} log_job;

/* MLflow lets a param be logged again with the same value; another value is an error. */
static int param_tx(log_job *j, store_tx *tx, const mlflow_pair *p, cl_error *err)
{
	int rc = j->ops->run_param_put(tx, j->id, p->key, p->value, err);
	if (rc != CL_ECONFLICT)
		return rc;
	return cl_fail(err, CL_EINVAL, "param_written",
		       "param \"%.64s\" is written already: a param is written once", p->key);
}

static int log_tx(store_tx *tx, void *ctx, cl_error *err)
{
	log_job *j = ctx;
	const mlflow_batch *b = j->b;
	int rc =
	    b->n_metrics ? j->ops->run_metrics_add(tx, j->id, b->metrics, b->n_metrics, err) : 0;
	for (size_t i = 0; !rc && i < b->n_params; i++)
		rc = param_tx(j, tx, &b->params[i], err);
	for (size_t i = 0; !rc && i < b->n_tags; i++)
		rc = j->ops->run_tag_put(tx, j->id, b->tags[i].key, b->tags[i].value, err);
	return rc;
}

int mlflow_log(const store *s, int64_t job_id, const mlflow_batch *b, cl_error *err)
{
	int rc = batch_check(b, err);
	if (rc)
		return rc;
	log_job j = {s->ops, job_id, b};
	return s->ops->write(s->db, log_tx, &j, err);
}

typedef struct create_job {
	const store_ops *ops;
	run_row row;
	const mlflow_batch *tags;
} create_job;

static int create_tx(store_tx *tx, void *ctx, cl_error *err)
{
	create_job *c = ctx;
	int rc = c->ops->run_insert(tx, &c->row, err);
	/* The insert writes a queued job's columns: started_at and the state come with a save. */
	if (!rc)
		rc = c->ops->run_save(tx, &c->row, err);
	log_job lj = {c->ops, c->row.id, c->tags};
	return rc ? rc : log_tx(tx, &lj, err);
}

int mlflow_run_create(const store *s, int64_t org_id, int64_t project_id, int64_t user_id,
		      int64_t start_ms, const mlflow_batch *tags, int64_t *job_id, cl_error *err)
{
	int rc = batch_check(tags, err);
	if (rc)
		return rc;
	create_job c = {.ops = s->ops, .tags = tags};
	run_row *j = &c.row;
	*j = (run_row){
	    .org_id = org_id, .project_id = project_id, .created_by = user_id, .exit_status = -1};
	snprintf(j->kind, sizeof j->kind, "custom");
	snprintf(j->executor, sizeof j->executor, "external");
	snprintf(j->state, sizeof j->state, "running");
	j->queued_at = j->started_at = start_ms > 0 ? start_ms : clock_now_ms();
	rc = s->ops->write(s->db, create_tx, &c, err);
	if (!rc)
		*job_id = j->id;
	return rc;
}

typedef struct update_job {
	const store_ops *ops;
	int64_t id;
	const char *state;
	int64_t end_ms;
} update_job;

static int update_tx(store_tx *tx, void *ctx, cl_error *err)
{
	update_job *u = ctx;
	run_row j;
	if (u->ops->run_load(tx, u->id, &j))
		return cl_fail(err, CL_ENOTFOUND, NULL, "run not found");
	int rc = 0;
	if (strcmp(j.executor, "external"))
		rc = cl_fail(err, CL_ECONFLICT, "run_managed",
			     "crowdloop's runner owns this run's status: only a run created "
			     "through this API changes status through it");
	else {
		bool ends = strcmp(u->state, "running") && strcmp(u->state, "queued");
		snprintf(j.state, sizeof j.state, "%s", u->state);
		j.ended_at = ends ? (u->end_ms > 0 ? u->end_ms : clock_now_ms()) : 0;
		snprintf(j.end_reason, sizeof j.end_reason, "%s", ends ? "exited" : "");
		rc = u->ops->run_save(tx, &j, err);
	}
	run_row_release(&j);
	return rc;
}

int mlflow_run_update(const store *s, int64_t job_id, const char *status, int64_t end_ms,
		      cl_error *err)
{
	const char *state = mlflow_state_of(status);
	if (!state)
		return cl_fail(err, CL_EINVAL, NULL,
			       "status must be RUNNING, SCHEDULED, FINISHED, FAILED or KILLED");
	update_job u = {s->ops, job_id, state, end_ms};
	return s->ops->write(s->db, update_tx, &u, err);
}

/* An experiment made through MLflow is a draft project of the org: of a kind that needs no
 * labels (llm_response), so that nothing is made up for it; a manager shapes it later. */
int mlflow_experiment_project(project *p, int64_t org_id, const char *name, cl_error *err)
{
	json_t *in = json_pack("{s:I,s:s?,s:s,s:s}", "org_id", (json_int_t)org_id, "name", name,
			       "kind", "llm_response", "status", "draft");
	int rc = in ? project_apply_json(p, in, true, err)
		    : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	json_decref(in);
	return rc;
}

typedef struct tag_delete_job {
	const store_ops *ops;
	int64_t id;
	const char *key;
} tag_delete_job;

static int tag_delete_tx(store_tx *tx, void *ctx, cl_error *err)
{
	tag_delete_job *t = ctx;
	return t->ops->run_tag_delete(tx, t->id, t->key, err);
}

int mlflow_tag_delete(const store *s, int64_t job_id, const char *key, cl_error *err)
{
	int rc = key_check("tags", 0, key, err);
	if (rc)
		return rc;
	tag_delete_job t = {s->ops, job_id, key};
	return s->ops->write(s->db, tag_delete_tx, &t, err);
}
