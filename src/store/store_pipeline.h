/* The retraining pipeline's rows in SQL (store_pipeline.c): the store_ops slots of
 * core/pipeline.c, documented in store/ops.h. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_PIPELINE_H
#define CROWDLOOP_STORE_STORE_PIPELINE_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

int pipeline_rows_run_load(db_conn *c, int64_t id, pipeline_run_row *out);
int pipeline_rows_run_start(db_conn *c, int64_t project_id, int64_t approved, const char *metric,
			    const char *figures, int64_t actor, int64_t now, int64_t *run_id,
			    cl_error *err);
int64_t pipeline_rows_run_waiting(db_conn *c, int64_t project_id);
int pipeline_rows_step(db_conn *c, int64_t run_id, const char *step, const char *state,
		       const char *figures, const char *reason, int64_t actor, const json_t *set,
		       int64_t now, cl_error *err);
char *pipeline_rows_settings(db *d, int64_t project_id);
int pipeline_rows_settings_put(db *d, int64_t project_id, const char *settings, int64_t user,
			       int64_t now, cl_error *err);
json_t *pipeline_rows_candidates(db *d);
json_t *pipeline_rows_candidate(db_conn *c, int64_t project_id);
json_t *pipeline_rows_running(db *d);
int64_t pipeline_rows_base(db *d, int64_t project_id);
int pipeline_rows_base_set(db *d, int64_t project_id, int64_t dataset_id, cl_error *err);
int64_t pipeline_rows_dataset_test_base(db *d, int64_t id);
int64_t pipeline_rows_model_find(db *d, int64_t org_id, const char *name);
int64_t pipeline_rows_model_version_job(db *d, int64_t model_id, int version);
char *pipeline_rows_job_evaluation(db *d, int64_t job_id, int64_t *dataset_id);
json_t *pipeline_rows_history(db *d, int64_t project_id, int limit);

#endif
