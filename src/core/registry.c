/* The model registry: models, versions from succeeded runs with their lineage, and aliases
 * whose every move is an event. */
#include "core/registry.h"
#include "core/runs.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool registry_name_ok(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (!n || n > REGISTRY_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-",
			    name[i]))
			return false;
	return true;
}

typedef struct model_job {
	const store_ops *ops;
	int64_t org_id, model_id, job_id, by, id;
	const char *name;
	int version, from;
} model_job;

static int create_tx(store_tx *tx, void *ctx, cl_error *err)
{
	model_job *j = ctx;
	return j->ops->model_insert(tx, j->org_id, j->name, j->by, clock_now_ms(), &j->id, err);
}

int registry_model_create(const store *s, int64_t org_id, const char *name, int64_t by,
			  int64_t *id, cl_error *err)
{
	if (!registry_name_ok(name))
		return cl_fail(err, CL_EINVAL, NULL,
			       "name must be 1 to %d letters, digits, '_', '.' or '-'",
			       REGISTRY_NAME_MAX);
	model_job j = {.ops = s->ops, .org_id = org_id, .name = name, .by = by};
	int rc = s->ops->write(s->db, create_tx, &j, err);
	*id = rc ? 0 : j.id;
	return rc;
}

/* A version is the run's output directory, its evaluation and the lineage as it stands now:
 * later audits of the same tasks do not rewrite what a registered model was made from. */
static int version_tx(store_tx *tx, void *ctx, cl_error *err)
{
	model_job *j = ctx;
	run_row r;
	int64_t org = j->ops->model_org(tx, j->model_id);
	if (j->ops->run_load(tx, j->job_id, &r))
		return cl_fail(err, CL_ENOTFOUND, NULL, "job not found");
	int rc = 0;
	if (r.org_id != org)
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "job not found");
	else if (strcmp(r.state, "succeeded"))
		rc = cl_fail(err, CL_ECONFLICT, "job_not_succeeded",
			     "only a succeeded job makes a version (this one is %s)", r.state);
	char *evaluation = rc ? NULL : j->ops->run_evaluation(tx, j->job_id);
	char *lineage = rc ? NULL : j->ops->run_lineage(tx, j->job_id);
	if (!rc && !lineage)
		rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot read the job's lineage");
	if (!rc)
		rc = j->ops->model_version_add(tx, j->model_id, j->job_id, r.output_dir, evaluation,
					       lineage, j->by, clock_now_ms(), &j->version, err);
	free(evaluation);
	free(lineage);
	run_row_release(&r);
	return rc;
}

int registry_version_add(const store *s, int64_t model_id, int64_t job_id, int64_t by,
			 int *version, cl_error *err)
{
	model_job j = {.ops = s->ops, .model_id = model_id, .job_id = job_id, .by = by};
	int rc = s->ops->write(s->db, version_tx, &j, err);
	*version = rc ? 0 : j.version;
	return rc;
}

static int alias_tx(store_tx *tx, void *ctx, cl_error *err)
{
	model_job *j = ctx;
	if (!j->ops->model_has_version(tx, j->model_id, j->version))
		return cl_fail(err, CL_ENOTFOUND, "version_not_found",
			       "the model has no version %d", j->version);
	j->from = j->ops->model_alias_get(tx, j->model_id, j->name);
	return j->ops->model_alias_move(tx, j->model_id, j->name, j->from, j->version, j->by,
					clock_now_ms(), err);
}

int registry_alias_move(const store *s, int64_t model_id, const char *name, int version,
			int64_t actor, int *from, cl_error *err)
{
	if (!registry_name_ok(name))
		return cl_fail(err, CL_EINVAL, NULL,
			       "alias must be 1 to %d letters, digits, '_', '.' or '-'",
			       REGISTRY_NAME_MAX);
	model_job j = {.ops = s->ops, .model_id = model_id, .name = name, .version = version,
		       .by = actor};
	int rc = s->ops->write(s->db, alias_tx, &j, err);
	*from = rc ? 0 : j.from;
	return rc;
}
