/* Audits in SQL (audits.c): samples of approved tasks a manager checks again. JSON answers are new
 * references. */
#ifndef CROWDLOOP_STORE_AUDITS_H
#define CROWDLOOP_STORE_AUDITS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/quality_types.h"
#include "store/db.h"
#include "util/err.h"

/* Samples up to `size` approved tasks (no gold, no honeypots, not audited before). */
int store_audit_create(db *d, int64_t project_id, int size, int64_t actor, json_t **out,
		       cl_error *err);
json_t *store_audit_get(db *d, int64_t audit_id, int64_t *project_id);
json_t *store_audits_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			  int64_t *next);
/* Records a verdict on one task of an audit (store_ops.audit_verdict_set). */
int store_audit_verdict_set(db_conn *c, int64_t audit_id, int64_t task_id, bool correct,
			    const char *note, int64_t auditor_id, int64_t now, int64_t *project_id,
			    int64_t *reviewer_id, cl_error *err);
/* A label check's flags as an audit (store_ops.audit_flags_add). */
int store_audit_flags_add(db_conn *c, int64_t project_id, int64_t job_id, int64_t created_by,
			  int64_t now, const audit_flag *flags, size_t n, int64_t *audit_id,
			  int *added, cl_error *err);
/* A project's label checks, newest first, at most `limit`: each job's state, its figures and
 * flags (from its evaluation) and the audit it made. */
json_t *store_label_checks_list(db *d, int64_t project_id, int limit);

#endif
