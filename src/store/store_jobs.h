/* Training jobs, their metrics, params and artifacts, and the model registry in SQL
 * (store_jobs.c): the row operations core's run and registry use cases call through store_ops,
 * and the reads the API answers with. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_JOBS_H
#define CROWDLOOP_STORE_STORE_JOBS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/run_types.h"
#include "store/db.h"
#include "util/err.h"

/* ---- row operations (store_ops slots) ---- */

/* Inserts a new job from `j` (state, times and all); sets j->id. */
int run_rows_insert(db_conn *c, run_row *j, cl_error *err);
/* Loads job `id` into `j` (run_row_release frees its texts); CL_ENOTFOUND when missing. */
int run_rows_load(db_conn *c, int64_t id, run_row *j);
/* Writes back what changes of a job: state, attempt, node, process, times, end, token. */
int run_rows_save(db_conn *c, const run_row *j, cl_error *err);
/* Asks for a job's cancel (the runner ends it). */
int run_rows_cancel_request(db_conn *c, int64_t id, cl_error *err);
/* Writes a param once: CL_ECONFLICT ("param_written") when the key has a value already. */
int run_rows_param_put(db_conn *c, int64_t job_id, const char *key, const char *value,
		       cl_error *err);
/* Sets a tag of a job, replacing its value. */
int run_rows_tag_put(db_conn *c, int64_t job_id, const char *key, const char *value,
		     cl_error *err);
int run_rows_tag_delete(db_conn *c, int64_t job_id, const char *key, cl_error *err);
/* Appends `n` metric points to job `job_id`'s series, through one prepared statement. */
int run_rows_metrics_add(db_conn *c, int64_t job_id, const run_metric *m, size_t n,
			 cl_error *err);
/* Records an artifact of a job: its path in the output, sha256 and size. */
int run_rows_artifact_add(db_conn *c, int64_t job_id, const char *path, const char *sha256,
			  int64_t size, cl_error *err);
/* Keeps a job's evaluation (JSON text). */
int run_rows_evaluation_set(db_conn *c, int64_t job_id, const char *evaluation, cl_error *err);
/* Of dataset version `id`: its project, the project's org and the version's kind.
 * CL_ENOTFOUND when missing. */
int run_rows_dataset_of(db_conn *c, int64_t id, int64_t *org_id, int64_t *project_id,
			char kind[24]);
/* The lineage of a model made from job `job_id` (JSON object text, malloc'ed): the run, its
 * dataset version, project, and the approved annotations behind it with their workers,
 * reviewers and audited quality. NULL when the job is missing. */
char *run_rows_lineage(db_conn *c, int64_t job_id);
/* A job's evaluation (JSON text, malloc'ed) or NULL. */
char *run_rows_evaluation(db_conn *c, int64_t job_id);

/* Adds a model to an org; CL_ECONFLICT ("model_exists") when the name is taken. */
int model_rows_insert(db_conn *c, int64_t org_id, const char *name, int64_t by, int64_t now,
		      int64_t *id, cl_error *err);
/* The org of model `id`, 0 when missing. */
int64_t model_rows_org(db_conn *c, int64_t id);
/* Adds the model's next version; *version its number. */
int model_rows_version_add(db_conn *c, int64_t model_id, int64_t job_id, const char *dir,
			   const char *evaluation, const char *lineage, int64_t by, int64_t now,
			   int *version, cl_error *err);
/* Whether the model has that version. */
bool model_rows_has_version(db_conn *c, int64_t model_id, int version);
/* The version alias `name` points at, 0 when it points nowhere. */
int model_rows_alias_get(db_conn *c, int64_t model_id, const char *name);
/* Points alias `name` at `version` and records the move (from `from`, 0: new) by `actor`. */
int model_rows_alias_move(db_conn *c, int64_t model_id, const char *name, int from, int version,
			  int64_t actor, int64_t now, cl_error *err);

/* Sets an org's quota. */
int run_rows_quota_put(db_conn *c, int64_t org_id, const run_quota *q, cl_error *err);

/* ---- what the runner reads (store_ops slots) ---- */

/* An org's quota; {-1, -1, 1} (none, weight 1) when it has none. */
void run_quota_read(db *d, int64_t org_id, run_quota *q);

/* Up to `max` live (queued or running) jobs with ids above `after`, oldest first; their count.
 * Rows own their texts. */
int runs_live(db *d, int64_t after, run_row *out, int max);
/* Up to `max` live jobs whose cancel was asked; their count. */
int runs_cancel_asked(db *d, int64_t *ids, int max);

/* A dataset version as a job's project.json describes it ({"kind","labels","multi_label",...};
 * malloc'ed), NULL when missing. */
char *run_dataset_description(db *d, int64_t dataset_id);

/* ---- reads for answers ---- */

/* The org of job `id`, 0 when missing. */
int64_t store_job_org(db *d, int64_t id);
/* The Job object, NULL when missing. */
json_t *store_job_get(db *d, int64_t id);
/* A page of an org's jobs, newest last; `state` filters when not NULL. */
json_t *store_jobs_list(db *d, int64_t org_id, const char *state, int64_t cursor, int limit,
			bool desc, int64_t *next);
/* A job's log path and state, false when missing. */
bool store_job_log(db *d, int64_t id, char *path, size_t size, char state[RUN_STATE_LEN]);
/* A job's points of series `key` in step order ({"key","points":[[step,value,at]...]}), or of
 * every series when key is NULL; at most `limit` points. */
json_t *store_job_metrics(db *d, int64_t id, const char *key, int limit);
/* The last value of each series of a job: {"key": value}. */
json_t *store_job_final_metrics(db *d, int64_t id);
/* A job's artifacts: [{"id","path","sha256","size"}]. */
json_t *store_job_artifacts(db *d, int64_t id);
/* Artifact `artifact_id` of job `job_id`: its sha256 and path; false when none. */
bool store_job_artifact(db *d, int64_t job_id, int64_t artifact_id, char sha[65], char *path,
			size_t size);
/* The job a run token (its digest) logs into while the job is live, and who started it;
 * CL_ENOTFOUND otherwise. */
int store_run_token(db *d, const char *digest, int64_t *job_id, int64_t *user_id);

/* The org of model `id`, 0 when missing. */
int64_t store_model_org(db *d, int64_t id);
/* The Model object with its aliases, NULL when missing. */
json_t *store_model_get(db *d, int64_t id);
/* A page of an org's models. */
json_t *store_models_list(db *d, int64_t org_id, int64_t cursor, int limit, bool desc,
			  int64_t *next);
/* A model's versions with their evaluation and lineage. */
json_t *store_model_versions(db *d, int64_t model_id);
/* Version `version` of a model in the same shape; NULL when missing. */
json_t *store_model_version(db *d, int64_t model_id, int version);
/* The registry version of org `org_id` a serving target names: version `version_id`, or (when
 * version_id is 0) what alias `alias` of model `model` points at. *id and dir (its
 * artifact_dir); false when the org has no such version. */
bool store_model_version_find(db *d, int64_t org_id, int64_t version_id, const char *model,
			      const char *alias, int64_t *id, char *dir, size_t size);
/* A model's alias moves, oldest first. */
json_t *store_alias_events(db *d, int64_t model_id);

#endif
