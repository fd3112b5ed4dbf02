/* Users, tokens, organizations and their members. */
#include "store/store_accounts.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>

static json_t *user_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 3), at);
	return json_pack("{s:I,s:s,s:b,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "username", db_col_text(st, 1), "is_admin", sqlite3_column_int(st, 2),
			 "created_at", at);
}

struct user_create {
	const char *username, *hash;
	bool is_admin;
	json_t *out;
};

static int user_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct user_create *u = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO users(username, password_hash, is_admin, "
				      "created_at) VALUES (?,?,?,?) "
				      "RETURNING id, username, is_admin, created_at");
	db_bind(st, DB_TEXT(u->username), DB_TEXT(u->hash), DB_INT(u->is_admin),
		DB_INT(clock_now_ms()));
	int rc = db_step(st);
	if (rc == SQLITE_ROW)
		u->out = user_json(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return cl_fail(err, CL_ECONFLICT, "username_taken", "the username is taken");
	return cl_fail(err, CL_EINTERNAL, NULL, "store error");
}

int store_user_create(db *d, const char *username, const char *password_hash, bool is_admin,
		      json_t **out_user, cl_error *err)
{
	struct user_create u = {username, password_hash, is_admin, NULL};
	int rc = db_write(d, user_create_job, &u, err);
	if (out_user)
		*out_user = u.out;
	else
		json_decref(u.out);
	return rc;
}

int store_user_credentials(db *d, const char *username, int64_t *id, bool *is_admin, char *hash,
			   size_t hash_size)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT id, is_admin, password_hash FROM users "
						 "WHERE username = ?");
	db_bind_text(st, 1, username);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		*is_admin = sqlite3_column_int(st, 1);
		snprintf(hash, hash_size, "%s", db_col_text(st, 2));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int store_user_id(db *d, const char *username, int64_t *id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT id FROM users WHERE username = ?");
	db_bind_text(st, 1, username);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*id = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

json_t *store_user_get(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT id, username, is_admin, created_at "
						 "FROM users WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *u = db_step(st) == SQLITE_ROW ? user_json(st) : NULL;
	sqlite3_reset(st);
	return u;
}

json_t *store_users_list(db *d, int64_t cursor, int limit, bool desc, int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = desc ? db_stmt(c, "SELECT id, username, is_admin, created_at FROM users "
					     "WHERE id < ? ORDER BY id DESC LIMIT ?")
				: db_stmt(c, "SELECT id, username, is_admin, created_at FROM users "
					     "WHERE id > ? ORDER BY id LIMIT ?");
	db_bind(st, DB_INT(cursor ? cursor : (desc ? INT64_MAX : 0)), DB_INT(limit + 1));
	return db_page(st, limit, user_json, next);
}

struct token_create {
	int64_t user_id, expires_at;
	const char *digest, *csrf;
};

static int token_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct token_create *t = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO tokens(user_id, token_hash, csrf_hash, "
				      "created_at, expires_at) VALUES (?,?,?,?,?)");
	db_bind(st, DB_INT(t->user_id), DB_TEXT(t->digest), DB_TEXT(t->csrf),
		DB_INT(clock_now_ms()), DB_INT(t->expires_at));
	return db_exec_stmt(st, err);
}

int store_token_create(db *d, int64_t user_id, const char *token_digest, const char *csrf_digest,
		       int64_t expires_at, cl_error *err)
{
	struct token_create t = {user_id, expires_at, token_digest, csrf_digest};
	return db_write(d, token_create_job, &t, err);
}

/* Principals by token digest, memoized per connection (db_access_epoch): a request's
 * authentication is then one lookup instead of a query. A digest may sit in any of
 * PRINCIPAL_MEMO_WAYS slots from its hash, so that two busy tokens whose hashes meet do not
 * push each other out on every request. */
#define PRINCIPAL_MEMO_SLOTS 256
#define PRINCIPAL_MEMO_WAYS 4
struct principal_memo {
	struct {
		uint64_t epoch;
		char digest[65];
		int64_t expires_at;
		principal p;
	} slot[PRINCIPAL_MEMO_SLOTS];
};

static unsigned digest_slot(const char *digest)
{
	unsigned h = 2166136261u;
	for (const char *s = digest; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % PRINCIPAL_MEMO_SLOTS;
}

int store_token_principal(db *d, const char *token_digest, int64_t now, principal *p)
{
	db_conn *c = db_reader(d);
	uint64_t epoch = db_access_epoch(c);
	struct principal_memo *m = db_conn_memo(c, DB_MEMO_PRINCIPALS, sizeof *m, NULL);
	unsigned first = digest_slot(token_digest), i = first;
	for (unsigned w = 0; m && epoch && w < PRINCIPAL_MEMO_WAYS; w++) {
		unsigned k = (first + w) % PRINCIPAL_MEMO_SLOTS;
		if (m->slot[k].epoch == epoch && !strcmp(m->slot[k].digest, token_digest)) {
			if (m->slot[k].expires_at <= now)
				break;
			*p = m->slot[k].p;
			return 0;
		}
		/* Where to memoize it if it is not there: the first slot no current digest uses. */
		if (i == first && m->slot[k].epoch != epoch)
			i = k;
	}
	sqlite3_stmt *st = db_stmt(c, "SELECT t.id, t.csrf_hash, u.id, u.username, u.is_admin,"
				      " t.expires_at FROM tokens t JOIN users u ON u.id = t.user_id"
				      " WHERE t.token_hash = ? AND t.revoked_at IS NULL"
				      " AND t.expires_at > ?");
	db_bind(st, DB_TEXT(token_digest), DB_INT(now));
	int rc = CL_EUNAUTH;
	if (db_step(st) == SQLITE_ROW) {
		p->token_id = sqlite3_column_int64(st, 0);
		snprintf(p->csrf_digest, sizeof p->csrf_digest, "%s", db_col_text(st, 1));
		p->id = sqlite3_column_int64(st, 2);
		snprintf(p->username, sizeof p->username, "%s", db_col_text(st, 3));
		p->is_admin = sqlite3_column_int(st, 4);
		if (m && epoch) {
			m->slot[i].epoch = epoch;
			snprintf(m->slot[i].digest, sizeof m->slot[i].digest, "%s", token_digest);
			m->slot[i].expires_at = sqlite3_column_int64(st, 5);
			m->slot[i].p = *p;
		}
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static int token_revoke_job(db_conn *c, void *ctx, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE tokens SET revoked_at = ? WHERE id = ?");
	db_bind(st, DB_INT(clock_now_ms()), DB_INT(*(int64_t *)ctx));
	return db_exec_stmt(st, err);
}

int store_token_revoke(db *d, int64_t token_id, cl_error *err)
{
	return db_write(d, token_revoke_job, &token_id, err);
}

/* ---- orgs ---- */

static json_t *org_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 3), at);
	return json_pack("{s:I,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0), "name",
			 db_col_text(st, 1), "currency", db_col_text(st, 2), "created_at", at);
}

struct org_create {
	const char *name, *currency;
	json_t *out;
};

static int org_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct org_create *o = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO orgs(name, currency, created_at) VALUES (?,?,?) "
				      "RETURNING id, name, currency, created_at");
	db_bind(st, DB_TEXT(o->name), DB_TEXT(o->currency), DB_INT(clock_now_ms()));
	int rc = db_step(st);
	if (rc == SQLITE_ROW)
		o->out = org_json(st);
	sqlite3_reset(st);
	if (rc == SQLITE_ROW)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return cl_fail(err, CL_ECONFLICT, "name_taken",
			       "an organization with that name exists");
	return cl_fail(err, CL_EINTERNAL, NULL, "store error");
}

int store_org_create(db *d, const char *name, const char *currency, json_t **out, cl_error *err)
{
	struct org_create o = {name, currency, NULL};
	int rc = db_write(d, org_create_job, &o, err);
	*out = o.out;
	return rc;
}

json_t *store_org_get(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT id, name, currency, created_at FROM orgs "
						 "WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = db_step(st) == SQLITE_ROW ? org_json(st) : NULL;
	sqlite3_reset(st);
	return o;
}

#define ADMIN_ORGS "SELECT id, name, currency, created_at FROM orgs WHERE ?1 >= 0"
#define MEMBER_ORGS                                                                                \
	"SELECT o.id, o.name, o.currency, o.created_at FROM orgs o"                                \
	" JOIN org_members m ON m.org_id = o.id WHERE m.user_id = ?1"

json_t *store_orgs_list(db *d, const principal *p, int64_t cursor, int limit, bool desc,
			int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = p->is_admin ? db_stmt(c, DB_PAGE_SQL(desc, ADMIN_ORGS, "id"))
				       : db_stmt(c, DB_PAGE_SQL(desc, MEMBER_ORGS, "o.id"));
	return db_owned_page(st, p->id, cursor, limit, desc, org_json, next);
}

int store_org_role(db *d, int64_t org_id, int64_t user_id, char role[16])
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT role FROM org_members "
						 "WHERE org_id = ? AND user_id = ?");
	db_bind(st, DB_INT(org_id), DB_INT(user_id));
	return db_one_text(st, role, 16) ? 0 : CL_ENOTFOUND;
}

struct member_set {
	int64_t group_id, user_id;
	const char *role;
};

static int org_member_job(db_conn *c, void *ctx, cl_error *err)
{
	struct member_set *m = ctx;
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO org_members(org_id, user_id, role) VALUES (?,?,?) "
		       "ON CONFLICT(org_id, user_id) DO UPDATE SET role = excluded.role");
	db_bind(st, DB_INT(m->group_id), DB_INT(m->user_id), DB_TEXT(m->role));
	return db_exec_stmt(st, err);
}

int store_org_member_set(db *d, int64_t org_id, int64_t user_id, const char *role, cl_error *err)
{
	struct member_set m = {org_id, user_id, role};
	return db_write(d, org_member_job, &m, err);
}

static json_t *member_json(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:s,s:s}", "user_id", (json_int_t)sqlite3_column_int64(st, 0),
			 "username", db_col_text(st, 1), "role", db_col_text(st, 2));
}

#define ORG_MEMBERS                                                                                \
	"SELECT m.user_id, u.username, m.role FROM org_members m"                                  \
	" JOIN users u ON u.id = m.user_id WHERE m.org_id = ?1"

json_t *store_org_members(db *d, int64_t org_id, int64_t cursor, int limit, bool desc,
			  int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, ORG_MEMBERS, "m.user_id"));
	return db_owned_page(st, org_id, cursor, limit, desc, member_json, next);
}

static int project_member_job(db_conn *c, void *ctx, cl_error *err)
{
	struct member_set *m = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO project_members(project_id, user_id, role) "
				      "VALUES (?,?,?) ON CONFLICT(project_id, user_id) "
				      "DO UPDATE SET role = excluded.role");
	db_bind(st, DB_INT(m->group_id), DB_INT(m->user_id), DB_TEXT(m->role));
	return db_exec_stmt(st, err);
}

int store_project_member_set(db *d, int64_t project_id, int64_t user_id, const char *role,
			     cl_error *err)
{
	struct member_set m = {project_id, user_id, role};
	return db_write(d, project_member_job, &m, err);
}

#define PROJECT_MEMBERS                                                                            \
	"SELECT m.user_id, u.username, m.role FROM project_members m"                              \
	" JOIN users u ON u.id = m.user_id WHERE m.project_id = ?1"

json_t *store_project_members(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			      int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, PROJECT_MEMBERS, "m.user_id"));
	return db_owned_page(st, project_id, cursor, limit, desc, member_json, next);
}
