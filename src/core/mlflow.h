/* Runs logged from outside through MLflow's tracking API (core/mlflow.c): a run created by a
 * client is a job of the experiment's project with executor "external" (no process: the runner
 * leaves it alone), its status moved by the client, its metrics, params and tags written in one
 * transaction per call. */
#ifndef CROWDLOOP_CORE_MLFLOW_H
#define CROWDLOOP_CORE_MLFLOW_H

#include <stddef.h>
#include <stdint.h>

#include "core/mlflow_query_types.h"
#include "core/project.h"
#include "core/run_types.h"
#include "store/ops.h"

#define MLFLOW_BATCH_METRICS 1000 /* MLflow's own limits on one log-batch */
#define MLFLOW_BATCH_PARAMS 100
#define MLFLOW_BATCH_TAGS 100
#define MLFLOW_PARAM_VALUE_MAX 6000
#define MLFLOW_TAG_VALUE_MAX 8000

/* A key and its value, borrowed. */
typedef struct mlflow_pair {
	const char *key, *value;
} mlflow_pair;

/* What one log call writes; any part may be empty. */
typedef struct mlflow_batch {
	const run_metric *metrics;
	size_t n_metrics;
	const mlflow_pair *params;
	size_t n_params;
	const mlflow_pair *tags;
	size_t n_tags;
} mlflow_batch;

/* Creates an external run in project `project_id` of org `org_id`, started at `start_ms`
 * by `user_id`, with its first tags; *job_id its id. One transaction. */
int mlflow_run_create(const store *s, int64_t org_id, int64_t project_id, int64_t user_id,
		      int64_t start_ms, const mlflow_batch *tags, int64_t *job_id, cl_error *err);
/* Moves an external run to MLflow status `status` (RUNNING, SCHEDULED, FINISHED, FAILED,
 * KILLED), ended at `end_ms` (0: now, for an end). 400 for another status; 409 "run_managed"
 * for a job the runner runs (not an external run). */
int mlflow_run_update(const store *s, int64_t job_id, const char *status, int64_t end_ms,
		      cl_error *err);
/* Writes a batch into a job: at most MLFLOW_BATCH_* of each, keys 1 to RUN_KEY_MAX
 * characters, finite values; a param written again with another value is 400. One
 * transaction, all or nothing. */
int mlflow_log(const store *s, int64_t job_id, const mlflow_batch *b, cl_error *err);
/* Removes a run's tag `key`; 404 when the run has no such tag. One transaction. */
int mlflow_tag_delete(const store *s, int64_t job_id, const char *key, cl_error *err);

/* The MLflow status of a crowdloop job state. */
const char *mlflow_status_of(const char *state);
/* The crowdloop job state of an MLflow status, NULL when unknown. */
const char *mlflow_state_of(const char *status);

/* Reads MLflow's filter syntax, the subset `metrics.k <op> n`, `params.k = 'v'`,
 * `tags.k = 'v'` (or !=), `attributes.status = 'FINISHED'` and start_time/end_time against a
 * number, joined by "and", into q's clauses. NULL or blank: no clause. 400 naming what is
 * wrong otherwise. */
int mlflow_filter_parse(const char *filter, mlflow_query *q, cl_error *err);
/* Reads one order_by entry ("metrics.loss DESC", "params.lr", "start_time ASC") into q. */
int mlflow_order_parse(const char *entry, mlflow_query *q, cl_error *err);

/* Fills p (from project_init) as the project an MLflow experiment `name` of org `org_id`
 * makes: a draft with no labels. 400 naming a bad name. */
int mlflow_experiment_project(project *p, int64_t org_id, const char *name, cl_error *err);

#endif
