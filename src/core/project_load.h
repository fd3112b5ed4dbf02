/* Projects over the store's rows: a row decoded into a project and a project encoded into one,
 * read by id (with the caller's roles, kept decoded per connection while who may do what stays
 * the same), created and saved. */
#ifndef CROWDLOOP_CORE_PROJECT_LOAD_H
#define CROWDLOOP_CORE_PROJECT_LOAD_H

#include <jansson.h>
#include <stdint.h>

#include "core/project.h"
#include "store/ops.h"
#include "util/err.h"

/* Fills p (project_init'ed or released) from the store's row: the kind from its name (a name
 * that is none: text_class), labels and the LLM settings from their JSON texts (labels that do
 * not parse: none; settings: the defaults). */
void project_from_row(project *p, const project_row *r);
/* A list's item: the row as the Project answer shows it (store_projects_list's to_json). */
json_t *project_row_json(const project_row *r);

/* Loads project `id` into p (project_init'ed or released); CL_ENOTFOUND when missing. */
int project_get(const store *s, int64_t id, project *p);
/* The same with user_id's org role and member role ("" when none), from the reading thread's
 * memo while who may do what stays the same. */
int project_get_for(const store *s, int64_t id, int64_t user_id, project *p, char org_role[16],
		    char member_role[16]);
/* Inserts p in its org (p->id, p->currency and p->created_at are set); CL_ENOTFOUND when the
 * org is missing. */
int project_create(const store *s, project *p, cl_error *err);
/* Writes every setting of p back, inside job tx. */
int project_save(const store_ops *ops, store_tx *tx, const project *p, cl_error *err);

#endif
