/* Accounts in SQL (store_accounts.c): users, their tokens, orgs and their members, and the members
 * of projects. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_ACCOUNTS_H
#define CROWDLOOP_STORE_STORE_ACCOUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

/* The caller of a request, as found from a token. */
typedef struct principal {
	int64_t id;
	char username[65];
	bool is_admin;
	int64_t token_id;
	char csrf_digest[65];
	int64_t job_id; /* a run's token: the job it may log into, and nothing else; else 0 */
} principal;

/* Creates a user; CL_ECONFLICT when the name is taken. *out_user: the User object. */
int store_user_create(db *d, const char *username, const char *password_hash, bool is_admin,
		      json_t **out_user, cl_error *err);
/* The id, admin flag and password hash of a username; CL_ENOTFOUND when unknown. */
int store_user_credentials(db *d, const char *username, int64_t *id, bool *is_admin, char *hash,
			   size_t hash_size);
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

int store_org_create(db *d, const char *name, const char *currency, json_t **out, cl_error *err);
json_t *store_org_get(db *d, int64_t id);
/* Orgs of a user (all orgs for an admin), as a list page. */
json_t *store_orgs_list(db *d, const principal *p, int64_t cursor, int limit, bool desc,
			int64_t *next);
/* "owner"/"manager"/"engineer" copied to role, or CL_ENOTFOUND when not a member. */
int store_org_role(db *d, int64_t org_id, int64_t user_id, char role[16]);
int store_org_member_set(db *d, int64_t org_id, int64_t user_id, const char *role, cl_error *err);
json_t *store_org_members(db *d, int64_t org_id, int64_t cursor, int limit, bool desc,
			  int64_t *next);

int store_project_member_set(db *d, int64_t project_id, int64_t user_id, const char *role,
			     cl_error *err);
json_t *store_project_members(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			      int64_t *next);

#endif
