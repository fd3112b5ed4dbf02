/* The domain's persistent operations: accounts, orgs, projects, items, tasks, figures. All SQL
 * lives under store/; callers pass and get plain values or jansson objects (new references
 * unless said otherwise). State changes run as db_write jobs, one transaction each. */
#ifndef CROWDLOOP_STORE_STORE_H
#define CROWDLOOP_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/dataset.h"
#include "core/export.h"
#include "core/project.h"
#include "store/db.h"
#include "store/ops.h"
#include "util/buf.h"
#include "util/err.h"

/* The caller of a request, as found from a token. */
typedef struct principal {
	int64_t id;
	char username[65];
	bool is_admin;
	int64_t token_id;
	char csrf_digest[65];
} principal;

/* ---- accounts (store_accounts.c) ---- */

/* Creates a user; CL_ECONFLICT when the name is taken. *out_user: the User object. */
int store_user_create(db *d, const char *username, const char *password_hash, bool is_admin,
		      json_t **out_user, cl_error *err);
/* The id, admin flag and password hash of a username; CL_ENOTFOUND when unknown. */
int store_user_credentials(db *d, const char *username, int64_t *id, bool *is_admin,
			   char *hash, size_t hash_size);
/* A user's id by name or CL_ENOTFOUND. */
int store_user_id(db *d, const char *username, int64_t *id);
/* The User object of an id, or NULL. */
json_t *store_user_get(db *d, int64_t id);
/* A page of users by id (descending when `desc`) after `cursor` (0: from the start). */
json_t *store_users_list(db *d, int64_t cursor, int limit, bool desc, int64_t *next);
/* Stores a new token's digests for a user. */
int store_token_create(db *d, int64_t user_id, const char *token_digest, const char *csrf_digest,
		       int64_t expires_at, cl_error *err);
/* Fills *p for a live token digest; CL_EUNAUTH when unknown, revoked or expired. */
int store_token_principal(db *d, const char *token_digest, int64_t now, principal *p);
int store_token_revoke(db *d, int64_t token_id, cl_error *err);

/* ---- orgs ---- */

int store_org_create(db *d, const char *name, const char *currency, json_t **out,
		     cl_error *err);
json_t *store_org_get(db *d, int64_t id);
/* Orgs of a user (all orgs for an admin), as a list page. */
json_t *store_orgs_list(db *d, const principal *p, int64_t cursor, int limit, bool desc,
			int64_t *next);
/* "owner"/"manager"/"engineer" copied to role, or CL_ENOTFOUND when not a member. */
int store_org_role(db *d, int64_t org_id, int64_t user_id, char role[16]);
int store_org_member_set(db *d, int64_t org_id, int64_t user_id, const char *role,
			 cl_error *err);
json_t *store_org_members(db *d, int64_t org_id, int64_t cursor, int limit, bool desc,
			  int64_t *next);

/* ---- projects ---- */

/* Inserts p (p->id and p->created_at are set). */
int store_project_create(db *d, project *p, cl_error *err);
/* Loads a project and a user's org role and project member role (empty when none) in one
 * read; CL_ENOTFOUND when missing. */
int store_project_get_for(db *d, int64_t id, int64_t user_id, project *p, char org_role[16],
			  char member_role[16]);
/* Loads a project; CL_ENOTFOUND when missing. Release with project_release. */
int store_project_get(db *d, int64_t id, project *p);
/* Writes every setting of p back. `labels_may_shrink` is false once tasks exist: then a label
 * set that drops a label is refused with CL_ECONFLICT. */
int store_project_update(db *d, const project *p, cl_error *err);
/* The caller's roles for a project: org role and project member role (empty when none). */
void store_project_roles(db *d, int64_t project_id, int64_t org_id, int64_t user_id,
			 char org_role[16], char member_role[16]);
/* Projects the principal may see, a page by id. Filters may be NULL / 0. */
json_t *store_projects_list(db *d, const principal *p, const char *status, const char *kind,
			    int64_t org_id, int64_t cursor, int limit, bool desc, int64_t *next);
/* Projects the user labels or reviews in, with my_role and my_figures, as a list page. */
json_t *store_my_projects(db *d, int64_t user_id, int64_t cursor, int limit, bool desc,
			  int64_t *next);
int store_project_member_set(db *d, int64_t project_id, int64_t user_id, const char *role,
			     cl_error *err);
json_t *store_project_members(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			      int64_t *next);

/* ---- items (store_items.c) ---- */

/* One item ready to insert: its content hash (hex) and either text or a stored blob. */
typedef struct item_new {
	item_type type;
	char hash[65];
	const char *text;
	const char *blob;  /* blob name under the data dir (the hash) */
	const char *mime;
	int width, height;
	const char *meta;  /* JSON object text or NULL */
	const char *source;
	long line;
} item_new;

/* Inserts items of a project with `overlap` tasks each, skipping ones whose hash exists; one
 * transaction. Appends to report: item_ids and duplicate_entries, and bumps accepted/duplicates. */
int store_items_insert(db *d, int64_t project_id, int overlap, const item_new *items, size_t n,
		       json_t *report, cl_error *err);
/* An Item object; *project_id set. NULL when missing. */
json_t *store_item_get(db *d, int64_t id, int64_t *project_id);
/* What the asset route needs; CL_ENOTFOUND when missing. Strings copied into the buffers. */
int store_item_asset(db *d, int64_t id, int64_t *project_id, char type[8], char blob[80],
		     char mime[40], char **text);
json_t *store_items_list(db *d, int64_t project_id, const char *type, int64_t cursor, int limit,
			 bool desc, int64_t *next);

/* ---- tasks: the row operations of store/ops.h (store/task_rows.c) ---- */

/* ---- figures (store_stats.c) ---- */

json_t *store_project_stats(db *d, int64_t project_id, int64_t now);
/* Counts of tasks by state across all projects, for /metrics. */
void store_task_state_counts(db *d, int64_t counts[8]);


/* ---- dataset versions (store_datasets.c) ----
 * A version is a sealed snapshot of a project's approved annotations: rows copy the annotation
 * text (canonical JSON) at snapshot time, so later reviews cannot change them. */

/* Snapshots project p's approved tasks as its next version, in one write job: each row gets its
 * split from its item's content hash, the version its content hash and counts. *out: the
 * Dataset object (docs/API.md). */
int store_dataset_create(db *d, const project *p, const dataset_ratios *ratios,
			 const char *note, int64_t user_id, json_t **out, cl_error *err);
/* The Dataset object of a version and its project id; NULL when missing. */
json_t *store_dataset_get(db *d, int64_t id, int64_t *project_id);
/* A page of a project's versions by id. */
json_t *store_datasets_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			    int64_t *next);
/* Deletes a version and its rows; CL_ECONFLICT ("dataset_in_use") when it is its project's
 * latest version, CL_ENOTFOUND when missing. */
int store_dataset_delete(db *d, int64_t id, cl_error *err);
/* What changed from version `against` to version `id` (rows keyed by task): up to `limit`
 * entries in each of "added", "removed", "changed", with full counts. */
json_t *store_dataset_diff(db *d, int64_t id, int64_t against, int limit);

/* A read snapshot of export rows on a connection of its own: a version's rows when
 * dataset_id > 0, else project p's approved work without its gold items: one consolidated row
 * per finished item when p asks for k > 1 annotations per item (unless `all_answers`), else one
 * row per approved task. */
typedef struct store_rows store_rows;
store_rows *store_rows_open(db *d, const project *p, int64_t dataset_id, bool all_answers);
/* Fills *row (strings valid until the next call): 1, 0 at the end, or a negative code. */
int store_rows_next(store_rows *c, export_row *row);
/* Back to the first row of the same snapshot. */
int store_rows_rewind(store_rows *c);
void store_rows_close(store_rows *c);

#endif
