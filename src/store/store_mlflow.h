/* What MLflow's tracking API reads (store_mlflow.c): experiments (an experiment is a crowdloop
 * project, its id the project's), runs (jobs) in MLflow's Run shape, run search and metric
 * history. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_MLFLOW_H
#define CROWDLOOP_STORE_STORE_MLFLOW_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/mlflow_query_types.h"
#include "store/db.h"

/* The project named `name` in an org where user `user_id` is an owner or engineer (the lowest
 * id when several are); 0 when none. */
int64_t store_mlflow_experiment_named(db *d, int64_t user_id, const char *name);
/* The Experiment object of project `id`, *org_id its org; NULL when missing. */
json_t *store_mlflow_experiment(db *d, int64_t id, int64_t *org_id);
/* Up to `limit` experiments of the orgs where the user is an owner or engineer (every one for
 * an administrator), ids above `after`, in id order. */
json_t *store_mlflow_experiments(db *d, int64_t user_id, bool admin, int64_t after, int limit);
/* The Run object ({"info", "data"}) of job `id`, NULL when missing. */
json_t *store_mlflow_run(db *d, int64_t id);
/* Up to `limit` ids of the runs of projects `projects` that meet q's clauses, from position
 * `offset` of q's order (then start time, newest first); their count (ids is `limit` long). */
int store_mlflow_run_ids(db *d, const int64_t *projects, int n_projects, const mlflow_query *q,
			 int64_t offset, int limit, int64_t *ids);
/* Up to `max` orgs where user `user_id` is an owner or engineer, lowest id first, into orgs;
 * their count. */
int store_mlflow_orgs(db *d, int64_t user_id, int64_t *orgs, int max);
/* A metric's points in step order as MLflow's Metric objects, at most `limit`. */
json_t *store_mlflow_history(db *d, int64_t job_id, const char *key, int limit);

#endif
