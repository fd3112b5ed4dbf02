/* The model registry's rules (core/registry.c): models by name in an org, versions made only
 * from a succeeded run of the same org (with the run's evaluation and its lineage snapshot:
 * run -> dataset version -> project -> the approved annotations, their workers and reviewers,
 * their audited quality), and aliases moved to a version, each move an event. */
#ifndef CROWDLOOP_CORE_REGISTRY_H
#define CROWDLOOP_CORE_REGISTRY_H

#include <stdint.h>

#include "store/ops.h"

#define REGISTRY_NAME_MAX 64

/* Whether `name` may name a model or an alias: 1 to 64 of [A-Za-z0-9_.-]. */
bool registry_name_ok(const char *name);
/* Adds model `name` to org `org_id`; 400 for a bad name, 409 "model_exists". */
int registry_model_create(const store *s, int64_t org_id, const char *name, int64_t by,
			  int64_t *id, cl_error *err);
/* Registers job `job_id`'s output as model `model_id`'s next version: 404 when the job is not
 * the model's org's, 409 "job_not_succeeded" unless it succeeded. *version the new number. */
int registry_version_add(const store *s, int64_t model_id, int64_t job_id, int64_t by,
			 int *version, cl_error *err);
/* Points alias `name` of a model at `version` (404 when the model has none such), recording
 * who moved it from where; *from the version it pointed at before (0: none). */
int registry_alias_move(const store *s, int64_t model_id, const char *name, int version,
			int64_t actor, int *from, cl_error *err);

#endif
