/* Projects in SQL (store_projects.c): their settings, the caller's roles in them, and the lists of
 * projects a user may see or works in. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_PROJECTS_H
#define CROWDLOOP_STORE_STORE_PROJECTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"
#include "store/store_accounts.h"
#include "util/err.h"

/* Inserts p (p->id and p->created_at are set). */
/* The kind a stored name gives (a kinds column always holds one of task_kind_names);
 * KIND_TEXT_CLASS for anything else. */
task_kind store_kind_of(const char *name);
int store_project_create(db *d, project *p, cl_error *err);
/* Loads a project and a user's org role and project member role (empty when none) in one
 * read; CL_ENOTFOUND when missing. */
int store_project_get_for(db *d, int64_t id, int64_t user_id, project *p, char org_role[16],
			  char member_role[16]);
/* Loads a project; CL_ENOTFOUND when missing. Release with project_release. */
int store_project_get(db *d, int64_t id, project *p);
/* A project's labels (new reference) and whether any of its tasks was labeled
 * (store_ops.project_labels); CL_ENOTFOUND when missing. */
int store_project_labels(db_conn *c, int64_t project_id, json_t **labels, bool *labeled);
/* Writes every setting of p back (store_ops.project_save). */
int store_project_save(db_conn *c, const project *p, cl_error *err);
/* The caller's roles for a project: org role and project member role (empty when none). */
void store_project_roles(db *d, int64_t project_id, int64_t org_id, int64_t user_id,
			 char org_role[16], char member_role[16]);
/* Projects the principal may see, a page by id, each with the principal's "org_role" and
 * "member_role" (null when none). Filters may be NULL / 0. */
json_t *store_projects_list(db *d, const principal *p, const char *status, const char *kind,
			    int64_t org_id, int64_t cursor, int limit, bool desc, int64_t *next);
/* Projects the user labels or reviews in, with my_role and my_figures, as a list page. */
json_t *store_my_projects(db *d, int64_t user_id, int64_t cursor, int limit, bool desc,
			  int64_t *next);

#endif
