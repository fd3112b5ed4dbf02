/* An in-memory store of training jobs, datasets and models: the store_ops rows core/runs.c and
 * core/registry.c read and write, shared by the unit tests of jobs (test_runs.c) and of the
 * retraining pipeline (test_pipeline.c). A test's table starts with FAKE_RUNS_OPS and adds its
 * own slots; fake_runs_reset() empties the store before each test. */
#ifndef CROWDLOOP_TESTS_FAKE_RUNS_H
#define CROWDLOOP_TESTS_FAKE_RUNS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/runs.h"
#include "store/ops.h"

#define FAKE_RUNS_MAX 32

static struct {
	run_row jobs[FAKE_RUNS_MAX];	     /* job id i at jobs[i - 1] */
	char evaluation[FAKE_RUNS_MAX][128]; /* each job's; "" reads as {} */
	int n_jobs;
	char params[FAKE_RUNS_MAX][2][32]; /* job id and key of each param written */
	int n_params;
	size_t metrics;
	int n_artifacts;
	int n_datasets;			    /* datasets 1..n_datasets exist */
	int64_t dataset_org[FAKE_RUNS_MAX]; /* each dataset's org (0: org 1); project 10 × org */
	int64_t model_org[FAKE_RUNS_MAX];   /* each model's org; 0: no such model */
	int versions[FAKE_RUNS_MAX];	    /* how many versions each model has */
	int version_job[FAKE_RUNS_MAX][FAKE_RUNS_MAX]; /* [model][version]: the job it came from */
	int alias, alias_from, alias_moves;	       /* the one alias, of any model and name */
	int64_t alias_actor;
	run_quota quota; /* every org's */
} jobs_mem;

static inline void fake_runs_reset(void)
{
	memset(&jobs_mem, 0, sizeof jobs_mem);
	jobs_mem.quota = (run_quota){.max_cpus = -1, .max_gpus = -1, .weight = 1, .max_mem_mb = -1};
}

static inline int fake_write(db *d, store_job_fn job, void *ctx, cl_error *err)
{
	(void)d;
	return job(NULL, ctx, err);
}

static inline run_row *fake_job(int64_t id)
{
	return id >= 1 && id <= jobs_mem.n_jobs ? &jobs_mem.jobs[id - 1] : NULL;
}

static inline int fake_run_insert(store_tx *tx, run_row *j, cl_error *err)
{
	(void)tx;
	if (jobs_mem.n_jobs == FAKE_RUNS_MAX)
		return cl_fail(err, CL_EINTERNAL, NULL, "the fake store is full");
	j->id = ++jobs_mem.n_jobs;
	jobs_mem.jobs[j->id - 1] = *j;
	jobs_mem.jobs[j->id - 1].params = jobs_mem.jobs[j->id - 1].command = NULL;
	return 0;
}

static inline int fake_run_load(store_tx *tx, int64_t id, run_row *j)
{
	(void)tx;
	if (!fake_job(id))
		return CL_ENOTFOUND;
	*j = *fake_job(id);
	return 0;
}

static inline int fake_run_save(store_tx *tx, const run_row *j, cl_error *err)
{
	(void)tx, (void)err;
	*fake_job(j->id) = *j;
	return 0;
}

static inline int fake_cancel_request(store_tx *tx, int64_t id, cl_error *err)
{
	(void)tx, (void)err;
	fake_job(id)->cancel_requested = 1;
	return 0;
}

/* A param is written once per job. */
static inline int fake_param_put(store_tx *tx, int64_t job, const char *key, const char *value,
				 cl_error *err)
{
	(void)tx, (void)value;
	for (int i = 0; i < jobs_mem.n_params; i++)
		if (atoll(jobs_mem.params[i][0]) == job && !strcmp(jobs_mem.params[i][1], key))
			return cl_fail(err, CL_ECONFLICT, "param_written", "written");
	if (jobs_mem.n_params == FAKE_RUNS_MAX)
		return 0; /* enough kept to see a second write */
	snprintf(jobs_mem.params[jobs_mem.n_params][0], 32, "%lld", (long long)job);
	snprintf(jobs_mem.params[jobs_mem.n_params++][1], 32, "%s", key);
	return 0;
}

static inline int fake_metrics_add(store_tx *tx, int64_t job, const run_metric *m, size_t n,
				   cl_error *err)
{
	(void)tx, (void)job, (void)m, (void)err;
	jobs_mem.metrics += n;
	return 0;
}

static inline int fake_artifact_add(store_tx *tx, int64_t job, const char *path, const char *sha,
				    int64_t size, cl_error *err)
{
	(void)tx, (void)job, (void)path, (void)sha, (void)size, (void)err;
	jobs_mem.n_artifacts++;
	return 0;
}

static inline int fake_evaluation_set(store_tx *tx, int64_t job, const char *e, cl_error *err)
{
	(void)tx, (void)job, (void)e, (void)err;
	return 0;
}

static inline int fake_dataset_of(store_tx *tx, int64_t id, int64_t *org, int64_t *project,
				  char kind[24])
{
	(void)tx;
	if (id < 1 || id > jobs_mem.n_datasets)
		return CL_ENOTFOUND;
	*org = jobs_mem.dataset_org[id] ? jobs_mem.dataset_org[id] : 1;
	*project = 10 * *org;
	snprintf(kind, 24, "text_class");
	return 0;
}

static inline char *fake_lineage(store_tx *tx, int64_t job)
{
	(void)tx;
	return fake_job(job) ? strdup("{}") : NULL;
}

static inline char *fake_evaluation(store_tx *tx, int64_t job)
{
	(void)tx;
	if (!fake_job(job))
		return NULL;
	const char *e = jobs_mem.evaluation[job - 1];
	return strdup(*e ? e : "{}");
}

static inline int64_t fake_model_org(store_tx *tx, int64_t id)
{
	(void)tx;
	return id >= 1 && id < FAKE_RUNS_MAX ? jobs_mem.model_org[id] : 0;
}

static inline int fake_version_add(store_tx *tx, int64_t model, int64_t job, const char *dir,
				   const char *evaluation, const char *lineage, int64_t by,
				   int64_t now, int *version, cl_error *err)
{
	(void)tx, (void)dir, (void)evaluation, (void)lineage, (void)by, (void)now;
	if (model < 1 || model >= FAKE_RUNS_MAX || jobs_mem.versions[model] == FAKE_RUNS_MAX - 1)
		return cl_fail(err, CL_EINTERNAL, NULL, "the fake store is full");
	*version = ++jobs_mem.versions[model];
	jobs_mem.version_job[model][*version] = (int)job;
	return 0;
}

static inline bool fake_has_version(store_tx *tx, int64_t model, int version)
{
	(void)tx;
	return model >= 1 && model < FAKE_RUNS_MAX && version >= 1 &&
	       version <= jobs_mem.versions[model];
}

static inline int fake_alias_get(store_tx *tx, int64_t model, const char *name)
{
	(void)tx, (void)model, (void)name;
	return jobs_mem.alias;
}

static inline int fake_alias_move(store_tx *tx, int64_t model, const char *name, int from,
				  int version, int64_t actor, int64_t now, cl_error *err)
{
	(void)tx, (void)model, (void)name, (void)now, (void)err;
	jobs_mem.alias_from = from;
	jobs_mem.alias = version;
	jobs_mem.alias_actor = actor;
	jobs_mem.alias_moves++;
	return 0;
}

static inline void fake_quota(db *d, int64_t org, run_quota *q)
{
	(void)d, (void)org;
	*q = jobs_mem.quota;
}

static inline int fake_quota_put(store_tx *tx, int64_t org, const run_quota *q, cl_error *err)
{
	(void)tx, (void)org, (void)err;
	jobs_mem.quota = *q;
	return 0;
}

/* The slots of a store_ops table this store fills. */
#define FAKE_RUNS_OPS                                                                              \
	.write = fake_write, .org_quota = fake_quota, .org_quota_put = fake_quota_put,             \
	.run_insert = fake_run_insert, .run_load = fake_run_load, .run_save = fake_run_save,       \
	.run_cancel_request = fake_cancel_request, .run_param_put = fake_param_put,                \
	.run_metrics_add = fake_metrics_add, .run_artifact_add = fake_artifact_add,                \
	.run_evaluation_set = fake_evaluation_set, .run_dataset_of = fake_dataset_of,              \
	.run_lineage = fake_lineage, .run_evaluation = fake_evaluation,                            \
	.model_org = fake_model_org, .model_version_add = fake_version_add,                        \
	.model_has_version = fake_has_version, .model_alias_get = fake_alias_get,                  \
	.model_alias_move = fake_alias_move

#endif
