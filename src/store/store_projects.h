/* Projects in SQL (store_projects.c): their rows, the caller's roles in them, and the lists of
 * projects a user may see or works in, each item made by the caller's to_json. JSON answers are
 * new references. */
#ifndef CROWDLOOP_STORE_STORE_PROJECTS_H
#define CROWDLOOP_STORE_STORE_PROJECTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"
#include "store/store_accounts.h"
#include "util/err.h"

/* The kind a stored name gives (a kinds column always holds one of task_kind_names);
 * KIND_TEXT_CLASS for anything else. */
task_kind store_kind_of(const char *name);
/* Inserts row r (its created_at set) of an org: *id the new project's, and the org's currency;
 * CL_ENOTFOUND when the org is missing (store_ops.project_insert). */
int store_project_insert(db *d, const project_row *r, int64_t *id, char currency[8],
			 cl_error *err);
/* Hands fn project id's row on the calling thread's connection, with user_id's org and member
 * roles when user_id is not 0 (store_ops.project_row); CL_ENOTFOUND when missing. */
int store_project_row(db *d, int64_t id, int64_t user_id, project_row_fn *fn, void *ctx);
/* A project's labels (new reference) and whether any of its tasks was labeled
 * (store_ops.project_labels); CL_ENOTFOUND when missing. */
int store_project_labels(db_conn *c, int64_t project_id, json_t **labels, bool *labeled);
/* Writes every setting of row r back (store_ops.project_save). */
int store_project_save(db_conn *c, const project_row *r, cl_error *err);
/* The caller's roles for a project: org role and project member role (empty when none). */
void store_project_roles(db *d, int64_t project_id, int64_t org_id, int64_t user_id,
			 char org_role[16], char member_role[16]);
/* Projects the principal may see, a page by id, each with the principal's "org_role" and
 * "member_role" (null when none). Filters may be NULL / 0. */
json_t *store_projects_list(db *d, const principal *p, const char *status, const char *kind,
			    int64_t org_id, int64_t cursor, int limit, bool desc,
			    project_json_fn *to_json, int64_t *next);
/* Projects the user labels or reviews in, with my_role and my_figures, as a list page. */
json_t *store_my_projects(db *d, int64_t user_id, int64_t cursor, int limit, bool desc,
			  project_json_fn *to_json, int64_t *next);

#endif
