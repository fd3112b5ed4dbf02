/* Endpoints, keys, usage, the prediction log and feedback in SQL (store/store_endpoints.h). */
#include "store/store_endpoints.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/blobs.h"
#include "store/store_items.h"
#include "util/clock.h"
#include "util/json_write.h"

#define ENDPOINT_COLUMNS                                                                           \
	"id, org_id, name, state, targets, shadow, revision, log_limit, created_by, created_at,"   \
	" updated_at, feedback_project_id, feedback_threshold, feedback_daily_cap,"                \
	" coalesce(feedback_canary_share, 0), feedback_image_budget, feedback_image_days, log_days"

/* {"project_id","threshold","daily_cap","canary_share","image_budget_kb","image_days"}, or
 * null without a feedback project. */
static json_t *feedback_json(sqlite3_stmt *st)
{
	if (sqlite3_column_type(st, 11) == SQLITE_NULL)
		return json_null();
	return json_pack(
	    "{s:I,s:f,s:I,s:f,s:I,s:I}", "project_id", (json_int_t)sqlite3_column_int64(st, 11),
	    "threshold", sqlite3_column_double(st, 12), "daily_cap",
	    (json_int_t)sqlite3_column_int64(st, 13), "canary_share", sqlite3_column_double(st, 14),
	    "image_budget_kb", (json_int_t)(sqlite3_column_int64(st, 15) / 1024), "image_days",
	    (json_int_t)sqlite3_column_int64(st, 16));
}

static json_t *endpoint_json(sqlite3_stmt *st)
{
	char created[32], updated[32];
	clock_iso8601(sqlite3_column_int64(st, 9), created);
	clock_iso8601(sqlite3_column_int64(st, 10), updated);
	int64_t days = sqlite3_column_int64(st, 17);
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:o,s:I,s:I,s:o,s:I,s:s,s:s,s:o}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "org_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "name", db_col_text(st, 2),
			 "state", db_col_text(st, 3), "targets", db_col_json(st, 4), "shadow",
			 db_col_json(st, 5), "revision", (json_int_t)sqlite3_column_int64(st, 6),
			 "log_limit", (json_int_t)sqlite3_column_int64(st, 7), "log_days",
			 days ? json_integer(days) : json_null(), "created_by",
			 (json_int_t)sqlite3_column_int64(st, 8), "created_at", created,
			 "updated_at", updated, "feedback", feedback_json(st));
}

void endpoint_row_release(endpoint_row *e)
{
	json_decref(e->targets);
	json_decref(e->shadow);
	e->targets = e->shadow = NULL;
}

/* The JSON text of a member to store: NULL for none or null. A new string to free(). */
static char *json_text_or_null(const json_t *j)
{
	return j && !json_is_null(j) ? json_dumps(j, JSON_COMPACT) : NULL;
}

/* ---- create ---- */

struct endpoint_create {
	int64_t org_id, user_id, id;
	const endpoint_fields *f;
	const char *targets, *shadow;
};

static int endpoint_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct endpoint_create *a = ctx;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO endpoints(org_id, name, state, targets, shadow,"
		       " log_limit, created_by, created_at, updated_at,"
		       " feedback_project_id, feedback_threshold, feedback_daily_cap,"
		       " feedback_canary_share, feedback_image_budget, feedback_image_days, log_days)"
		       " VALUES (?,?,?,?,?,?,?,?,?,nullif(?,0),?,?,?,?,?,max(?,0))");
	db_bind(st, DB_INT(a->org_id), DB_TEXT(a->f->name),
		DB_TEXT(a->f->state ? a->f->state : "active"), DB_TEXT(a->targets),
		DB_TEXT(a->shadow), DB_INT(a->f->log_limit), DB_INT(a->user_id), DB_INT(now),
		DB_INT(now), DB_INT(a->f->feedback_project_id));
	sqlite3_bind_double(st, 11, a->f->feedback_threshold);
	db_bind_int(st, 12, a->f->feedback_daily_cap);
	sqlite3_bind_double(st, 13, a->f->feedback_canary_share);
	db_bind_int(st, 14, a->f->feedback_image_budget);
	db_bind_int(st, 15, a->f->feedback_image_days);
	db_bind_int(st, 16, a->f->log_days);
	int rc = db_exec_stmt(st, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, CL_ECONFLICT, "endpoint_exists",
			       "the organization has an endpoint named \"%s\"", a->f->name);
	a->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_endpoint_create(db *d, int64_t org_id, int64_t user_id, const endpoint_fields *f,
			  json_t **out, cl_error *err)
{
	char *targets = json_text_or_null(f->targets), *shadow = json_text_or_null(f->shadow);
	struct endpoint_create a = {org_id, user_id, 0, f, targets, shadow};
	*out = NULL;
	int rc = db_write(d, endpoint_create_job, &a, err);
	free(targets);
	free(shadow);
	if (rc)
		return rc;
	int64_t org;
	*out = store_endpoint_get(d, a.id, &org);
	return *out ? 0 : cl_fail(err, CL_EINTERNAL, NULL, "the new endpoint cannot be read");
}

/* ---- read ---- */

json_t *store_endpoint_get(db *d, int64_t id, int64_t *org_id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " ENDPOINT_COLUMNS " FROM endpoints WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW) {
		o = endpoint_json(st);
		*org_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return o;
}

#define ENDPOINT_LIST_QUERY "SELECT " ENDPOINT_COLUMNS " FROM endpoints WHERE org_id = ?1"

json_t *store_endpoints_list(db *d, int64_t org_id, int64_t cursor, int limit, bool desc,
			     int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, ENDPOINT_LIST_QUERY, "id"));
	return db_owned_page(st, org_id, cursor, limit, desc, endpoint_json, next);
}

static int row_from(sqlite3_stmt *st, endpoint_row *e)
{
	int rc = CL_ENOTFOUND;
	memset(e, 0, sizeof *e);
	if (db_step(st) == SQLITE_ROW) {
		e->id = sqlite3_column_int64(st, 0);
		e->org_id = sqlite3_column_int64(st, 1);
		snprintf(e->name, sizeof e->name, "%s", db_col_text(st, 2));
		e->active = !strcmp(db_col_text(st, 3), "active");
		e->targets = db_col_json(st, 4);
		e->shadow = sqlite3_column_type(st, 5) == SQLITE_NULL ? NULL : db_col_json(st, 5);
		e->revision = sqlite3_column_int64(st, 6);
		e->log_limit = sqlite3_column_int64(st, 7);
		e->feedback_project_id = sqlite3_column_int64(st, 11);
		e->feedback_threshold = sqlite3_column_double(st, 12);
		e->feedback_daily_cap = sqlite3_column_int64(st, 13);
		e->feedback_canary_share = sqlite3_column_double(st, 14);
		e->feedback_image_budget = sqlite3_column_int64(st, 15);
		e->feedback_image_days = sqlite3_column_int64(st, 16);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* Endpoints by org and name, memoized per connection (db_access_epoch: endpoints are an
 * access table): every prediction reads its endpoint, and a query then rereads its pages from
 * the file after each write of the prediction log. */
#define ENDPOINT_MEMO_SLOTS 64
struct endpoint_memo {
	struct {
		uint64_t epoch;
		endpoint_row e; /* owns its targets and shadow */
	} slot[ENDPOINT_MEMO_SLOTS];
};

static void endpoint_memo_release(void *mem)
{
	struct endpoint_memo *m = mem;
	for (int i = 0; i < ENDPOINT_MEMO_SLOTS; i++)
		endpoint_row_release(&m->slot[i].e);
}

static unsigned text_hash(const char *text, uint64_t seed)
{
	uint64_t h = 1469598103934665603u ^ seed;
	for (const char *s = text; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211u;
	return (unsigned)(h ^ h >> 32);
}

/* *to shares from's targets and shadow. */
static void endpoint_row_copy(endpoint_row *to, const endpoint_row *from)
{
	*to = *from;
	json_incref(to->targets);
	json_incref(to->shadow);
}

int store_endpoint_by_name(db *d, int64_t org_id, const char *name, endpoint_row *e)
{
	db_conn *c = db_reader(d);
	uint64_t epoch = db_access_epoch(c);
	struct endpoint_memo *m =
	    db_conn_memo(c, DB_MEMO_ENDPOINTS, sizeof *m, endpoint_memo_release);
	unsigned i = text_hash(name, (uint64_t)org_id) % ENDPOINT_MEMO_SLOTS;
	if (m && epoch && m->slot[i].epoch == epoch && m->slot[i].e.org_id == org_id &&
	    !strcmp(m->slot[i].e.name, name)) {
		endpoint_row_copy(e, &m->slot[i].e);
		return 0;
	}
	sqlite3_stmt *st = db_stmt(c, "SELECT " ENDPOINT_COLUMNS " FROM endpoints"
				      " WHERE org_id = ? AND name = ?");
	db_bind(st, DB_INT(org_id), DB_TEXT(name));
	int rc = row_from(st, e);
	/* A name longer than the row keeps is never memoized: it cannot match a slot's. */
	if (!rc && m && epoch && !strcmp(e->name, name)) {
		endpoint_row_release(&m->slot[i].e);
		endpoint_row_copy(&m->slot[i].e, e);
		m->slot[i].epoch = epoch;
	}
	return rc;
}

int store_endpoint_of_member(db *d, int64_t user_id, const char *name, int64_t *org_id,
			     int64_t *endpoint_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT e.org_id, e.id FROM endpoints e"
						 " JOIN org_members m ON m.org_id = e.org_id"
						 " WHERE m.user_id = ? AND e.name = ?"
						 " ORDER BY e.org_id LIMIT 2");
	db_bind(st, DB_INT(user_id), DB_TEXT(name));
	int found = 0;
	while (db_step(st) == SQLITE_ROW && found < 2) {
		if (!found++) {
			*org_id = sqlite3_column_int64(st, 0);
			*endpoint_id = sqlite3_column_int64(st, 1);
		}
	}
	sqlite3_reset(st);
	return !found ? CL_ENOTFOUND : found > 1 ? CL_ECONFLICT : 0;
}

json_t *store_endpoints_holding(db *d, int64_t org_id, const char *needle)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT id FROM endpoints WHERE org_id = ?1"
						 " AND (instr(targets, ?2) > 0"
						 "  OR instr(coalesce(shadow, ''), ?2) > 0)"
						 " ORDER BY id");
	db_bind(st, DB_INT(org_id), DB_TEXT(needle));
	json_t *ids = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_reset(st);
	return ids;
}

json_t *store_endpoints_with_servers(db *d)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT id FROM endpoints WHERE state = 'active'"
				  " AND (instr(targets, '\"command\":') > 0"
				  "  OR instr(coalesce(shadow, ''), '\"command\":') > 0)"
				  " ORDER BY id");
	json_t *ids = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(ids, json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_reset(st);
	return ids;
}

int store_endpoint_row(db *d, int64_t id, endpoint_row *e)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " ENDPOINT_COLUMNS " FROM endpoints WHERE id = ?");
	db_bind_int(st, 1, id);
	return row_from(st, e);
}

/* ---- update, delete ---- */

struct endpoint_update {
	int64_t id;
	const endpoint_fields *f;
	const char *targets, *shadow;
	bool shadow_given;
};

static int endpoint_update_job(db_conn *c, void *ctx, cl_error *err)
{
	struct endpoint_update *a = ctx;
	bool moves = a->targets || a->shadow_given;
	/* ?3 and ?5 are NULL when not given: the column keeps its value. */
	sqlite3_stmt *st = db_stmt(
	    c, "UPDATE endpoints SET name = coalesce(?2, name), state = coalesce(?3, state),"
	       " targets = coalesce(?4, targets), shadow = CASE WHEN ?5 THEN ?6 ELSE shadow END,"
	       " log_limit = CASE WHEN ?7 > 0 THEN ?7 ELSE log_limit END,"
	       " revision = revision + ?8, updated_at = ?9,"
	       " feedback_project_id = CASE WHEN ?10 THEN nullif(?11, 0)"
	       "  ELSE feedback_project_id END,"
	       " feedback_threshold = CASE WHEN ?10 THEN ?12 ELSE feedback_threshold END,"
	       " feedback_daily_cap = CASE WHEN ?10 THEN ?13 ELSE feedback_daily_cap END,"
	       " feedback_canary_share = CASE WHEN ?10 THEN ?14 ELSE feedback_canary_share END,"
	       " feedback_image_budget = CASE WHEN ?10 THEN ?15 ELSE feedback_image_budget END,"
	       " feedback_image_days = CASE WHEN ?10 THEN ?16 ELSE feedback_image_days END,"
	       " log_days = CASE WHEN ?17 > 0 THEN ?17 WHEN ?17 < 0 THEN 0 ELSE log_days END"
	       " WHERE id = ?1");
	db_bind(st, DB_INT(a->id), DB_TEXT(a->f->name), DB_TEXT(a->f->state), DB_TEXT(a->targets),
		DB_INT(a->shadow_given), DB_TEXT(a->shadow), DB_INT(a->f->log_limit), DB_INT(moves),
		DB_INT(clock_now_ms()), DB_INT(a->f->feedback_given),
		DB_INT(a->f->feedback_project_id));
	sqlite3_bind_double(st, 12, a->f->feedback_threshold);
	db_bind_int(st, 13, a->f->feedback_daily_cap);
	sqlite3_bind_double(st, 14, a->f->feedback_canary_share);
	db_bind_int(st, 15, a->f->feedback_image_budget);
	db_bind_int(st, 16, a->f->feedback_image_days);
	db_bind_int(st, 17, a->f->log_days);
	int rc = db_exec_stmt(st, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, CL_ECONFLICT, "endpoint_exists",
			       "the organization has an endpoint named \"%s\"", a->f->name);
	if (!rc && !sqlite3_changes(db_handle(c)))
		return cl_fail(err, CL_ENOTFOUND, NULL, "endpoint not found");
	return rc;
}

int store_endpoint_update(db *d, int64_t id, const endpoint_fields *f, json_t **out, cl_error *err)
{
	char *targets = f->targets ? json_text_or_null(f->targets) : NULL;
	char *shadow = json_text_or_null(f->shadow);
	struct endpoint_update a = {id, f, targets, shadow, f->shadow != NULL};
	*out = NULL;
	int rc = db_write(d, endpoint_update_job, &a, err);
	free(targets);
	free(shadow);
	int64_t org;
	if (!rc && !(*out = store_endpoint_get(d, id, &org)))
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "endpoint not found");
	return rc;
}

struct endpoint_delete {
	int64_t id;
	json_t *let_go; /* the blobs its commit leaves unnamed */
};

static void kept_blobs_unnamed(db_conn *c, const json_t *images, json_t *let_go);
static void kept_blobs_let_go(db *d, const char *data_dir, const json_t *let_go);

/* The endpoint's kept input images (blob names). */
static json_t *endpoint_kept_images(db_conn *c, int64_t id)
{
	json_t *out = json_array();
	sqlite3_stmt *st = db_stmt(c, "SELECT DISTINCT input_blob FROM predictions"
				      " WHERE endpoint_id = ? AND input_blob IS NOT NULL");
	db_bind_int(st, 1, id);
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_string(db_col_text(st, 0)));
	sqlite3_reset(st);
	return out;
}

static int endpoint_delete_job(db_conn *c, void *ctx, cl_error *err)
{
	struct endpoint_delete *a = ctx;
	int64_t id = a->id;
	json_t *images = endpoint_kept_images(c, id);
	static const char *const deletes[] = {
	    "DELETE FROM prediction_feedback WHERE prediction_id IN"
	    " (SELECT id FROM predictions WHERE endpoint_id = ?)",
	    "DELETE FROM prediction_items WHERE endpoint_id = ?",
	    "DELETE FROM prediction_loop_days WHERE endpoint_id = ?",
	    "DELETE FROM predictions WHERE endpoint_id = ?",
	    "DELETE FROM endpoint_usage WHERE key_id IN"
	    " (SELECT id FROM endpoint_keys WHERE endpoint_id = ?)",
	    "DELETE FROM endpoint_keys WHERE endpoint_id = ?",
	    "DELETE FROM endpoints WHERE id = ?",
	};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof deletes / sizeof deletes[0]; i++) {
		sqlite3_stmt *st = db_stmt(c, deletes[i]);
		db_bind_int(st, 1, id);
		rc = db_exec_stmt(st, err);
	}
	if (!rc && !sqlite3_changes(db_handle(c)))
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "endpoint not found");
	if (!rc)
		kept_blobs_unnamed(c, images, a->let_go);
	json_decref(images);
	return rc;
}

int store_endpoint_delete(db *d, int64_t id, const char *data_dir, cl_error *err)
{
	struct endpoint_delete a = {id, json_array()};
	int rc = db_write(d, endpoint_delete_job, &a, err);
	if (!rc)
		kept_blobs_let_go(d, data_dir, a.let_go);
	json_decref(a.let_go);
	return rc;
}

/* ---- keys ---- */

#define KEY_COLUMNS "id, endpoint_id, name, prefix, rate_limit, created_by, created_at, revoked_at"

static json_t *key_json(sqlite3_stmt *st)
{
	char created[32], revoked[32];
	clock_iso8601(sqlite3_column_int64(st, 6), created);
	bool live = sqlite3_column_type(st, 7) == SQLITE_NULL;
	if (!live)
		clock_iso8601(sqlite3_column_int64(st, 7), revoked);
	return json_pack("{s:I,s:I,s:s,s:s,s:f,s:I,s:s,s:o}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "endpoint_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "name", db_col_text(st, 2),
			 "prefix", db_col_text(st, 3), "rate_limit", sqlite3_column_double(st, 4),
			 "created_by", (json_int_t)sqlite3_column_int64(st, 5), "created_at",
			 created, "revoked_at", live ? json_null() : json_string(revoked));
}

struct key_create {
	int64_t endpoint_id, user_id, id;
	const char *name, *prefix, *digest;
	double rate;
};

static int key_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct key_create *k = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO endpoint_keys(endpoint_id, name, prefix,"
				      " key_hash, rate_limit, created_by, created_at)"
				      " VALUES (?,?,?,?,?,?,?)");
	db_bind(st, DB_INT(k->endpoint_id), DB_TEXT(k->name), DB_TEXT(k->prefix),
		DB_TEXT(k->digest), DB_REAL(k->rate), DB_INT(k->user_id), DB_INT(clock_now_ms()));
	int rc = db_exec_stmt(st, err);
	k->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_key_create(db *d, int64_t endpoint_id, int64_t user_id, const char *name,
		     const char *prefix, const char *digest, double rate, json_t **out,
		     cl_error *err)
{
	struct key_create k = {endpoint_id, user_id, 0, name, prefix, digest, rate};
	*out = NULL;
	int rc = db_write(d, key_create_job, &k, err);
	if (rc)
		return rc;
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " KEY_COLUMNS " FROM endpoint_keys WHERE id = ?");
	db_bind_int(st, 1, k.id);
	if (db_step(st) == SQLITE_ROW)
		*out = key_json(st);
	sqlite3_reset(st);
	return *out ? 0 : cl_fail(err, CL_EINTERNAL, NULL, "the new key cannot be read");
}

#define KEY_LIST_QUERY "SELECT " KEY_COLUMNS " FROM endpoint_keys WHERE endpoint_id = ?1"

json_t *store_keys_list(db *d, int64_t endpoint_id, int64_t cursor, int limit, bool desc,
			int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, KEY_LIST_QUERY, "id"));
	return db_owned_page(st, endpoint_id, cursor, limit, desc, key_json, next);
}

struct key_revoke {
	int64_t endpoint_id, key_id;
};

static int key_revoke_job(db_conn *c, void *ctx, cl_error *err)
{
	struct key_revoke *k = ctx;
	sqlite3_stmt *st =
	    db_stmt(c, "UPDATE endpoint_keys SET revoked_at ="
		       " coalesce(revoked_at, ?3) WHERE id = ?1 AND endpoint_id = ?2");
	db_bind(st, DB_INT(k->key_id), DB_INT(k->endpoint_id), DB_INT(clock_now_ms()));
	int rc = db_exec_stmt(st, err);
	if (!rc && !sqlite3_changes(db_handle(c)))
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "key not found");
	return rc;
}

int store_key_revoke(db *d, int64_t endpoint_id, int64_t key_id, cl_error *err)
{
	struct key_revoke k = {endpoint_id, key_id};
	return db_write(d, key_revoke_job, &k, err);
}

/* Live keys by digest, memoized per connection (db_access_epoch: keys and endpoints are
 * access tables), as a session's token is: a key is checked on every prediction. */
#define KEY_MEMO_SLOTS 128
struct key_memo {
	struct {
		uint64_t epoch;
		char digest[65];
		endpoint_key k;
	} slot[KEY_MEMO_SLOTS];
};

int store_key_find(db *d, const char *digest, endpoint_key *out)
{
	db_conn *c = db_reader(d);
	uint64_t epoch = db_access_epoch(c);
	struct key_memo *m = db_conn_memo(c, DB_MEMO_KEYS, sizeof *m, NULL);
	unsigned i = text_hash(digest, 0) % KEY_MEMO_SLOTS;
	if (m && epoch && m->slot[i].epoch == epoch && !strcmp(m->slot[i].digest, digest)) {
		*out = m->slot[i].k;
		return 0;
	}
	sqlite3_stmt *st = db_stmt(c, "SELECT k.id, k.endpoint_id, e.org_id,"
				      " k.rate_limit FROM endpoint_keys k JOIN endpoints e"
				      " ON e.id = k.endpoint_id WHERE k.key_hash = ?"
				      " AND k.revoked_at IS NULL");
	db_bind_text(st, 1, digest);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		out->id = sqlite3_column_int64(st, 0);
		out->endpoint_id = sqlite3_column_int64(st, 1);
		out->org_id = sqlite3_column_int64(st, 2);
		out->rate = sqlite3_column_double(st, 3);
		rc = 0;
	}
	sqlite3_reset(st);
	if (!rc && m && epoch && strlen(digest) < sizeof m->slot[i].digest) {
		m->slot[i].epoch = epoch;
		snprintf(m->slot[i].digest, sizeof m->slot[i].digest, "%s", digest);
		m->slot[i].k = *out;
	}
	return rc;
}

/* ---- predictions ---- */

struct prediction_log {
	const prediction_record *p, *shadow;
	int64_t id;
	json_t *let_go;	   /* the kept images its commit leaves unnamed */
	bool usage_merged; /* its key's usage is counted with its group's (usage_merge) */
};

static int prediction_insert(db_conn *c, const prediction_record *p, int64_t now, int64_t *id,
			     cl_error *err)
{
	/* As the answer wrote it (util/json_write.h: json_dumps' text without its cycle checks). */
	buf text;
	buf_init(&text, 0);
	const char *out = p->output ? p->output_text : NULL;
	size_t out_len = p->output_len;
	if (!out && p->output) {
		if (json_write(&text, p->output)) {
			buf_release(&text);
			return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
		}
		out = text.data;
		out_len = text.len;
	}
	/* A member's session calls without a key: key_id 0 is stored as NULL. */
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO predictions(endpoint_id, key_id, target, shadow,"
		       " request_id, input_sha256, input_bytes, output, error,"
		       " latency_us, created_at, input_text, input_blob, input_mime, input_width,"
		       " input_height, input_blob_bytes)"
		       " VALUES (?1, NULLIF(?2, 0), ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13,"
		       " ?14, ?15, ?16, ?17)");
	db_bind(st, DB_INT(p->endpoint_id), DB_INT(p->key_id), DB_TEXT(p->target),
		DB_INT(p->shadow), DB_TEXT(p->request_id), DB_TEXT(p->input_sha256),
		DB_INT(p->input_bytes), DB_TEXT(NULL), DB_TEXT(p->error), DB_INT(p->latency_us),
		DB_INT(now));
	/* The output and the kept input text are bound where they are (both outlive the statement's
	 * run; db_stmt clears the bindings before its next use): SQLite copies each straight into
	 * the row, not first into a copy of its own. */
	if (out)
		sqlite3_bind_text(st, 8, out, (int)out_len, SQLITE_STATIC);
	if (p->input_text && !p->shadow)
		sqlite3_bind_text(st, 12, p->input_text, -1, SQLITE_STATIC);
	if (p->keep_blob && !p->shadow) {
		db_bind_text(st, 13, p->keep_blob);
		db_bind_text(st, 14, p->keep_mime);
		db_bind_int(st, 15, p->keep_width);
		db_bind_int(st, 16, p->keep_height);
		db_bind_int(st, 17, p->keep_bytes);
	}
	if (!p->key_id) /* made by the server itself (an OCR pre-fill), with no key */
		sqlite3_bind_null(st, 2);
	int rc = db_exec_stmt(st, err);
	buf_release(&text);
	*id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

/* Keeps the endpoint's newest log_limit predictions, trimmed once every trim_step() of its
 * inserts: its log overshoots the limit by at most that step (two after a trim a failed job
 * undid). The cut (the newest id to delete) is found once a trim and, after the first, from the
 * last trim's (below), so a trim walks the index entries of the rows it deletes, not log_limit of
 * them: at the default 10,000, two walks of the limit every 156th insert were a fifth of a
 * prediction's instructions. The step grows with the limit, to a sixteenth of it between 16 and
 * 64 rows: each trim rewrites the pages at the log's old end (the table's and the index's leaf
 * and parent, the free list, the file's header), which at every 16th insert was a third of the
 * WAL a group wrote; larger steps would gather more deletes into one group's commit. */
#define PREDICTION_TRIM_MIN 16
#define PREDICTION_TRIM_MAX 64

static int64_t trim_step(int64_t log_limit)
{
	int64_t step = log_limit / 16;
	if (step < PREDICTION_TRIM_MIN)
		return PREDICTION_TRIM_MIN;
	return step > PREDICTION_TRIM_MAX ? PREDICTION_TRIM_MAX : step;
}

/* The writer's trims, per endpoint: the inserts since the last (a trigger: an insert undone by a
 * rollback trims a row early, a trim undone a step late; a group's shared savepoint undone moves
 * the epoch, and the next insert trims), and what the last left: every row up to `cut` gone,
 * exactly `kept` rows (at most the limit) in (cut, newest]. Only inserts (with higher ids) and
 * trims change an endpoint's rows, so the next count is `kept` plus the rows inserted past
 * `newest`, and the next cut as many rows past `cut` as that count is over the limit: a log still
 * under its limit is counted from the memo too, not walked whole each trim. The access epoch
 * stamps it: it moves at a rollback and at a change of an endpoint (its deletion takes its rows
 * and may give its id to the next); a transaction that did not commit leaves a row at or under
 * `cut` or takes `newest`, checked too before the memo is trusted (two seeks). An endpoint looks
 * in TRIM_PROBES slots from its own; one that finds none evicts the first and trims at once, so
 * endpoints sharing slots still trim. */
#define TRIM_MEMO_SLOTS 64
#define TRIM_PROBES 4
typedef struct trim_slot {
	uint64_t epoch;
	int64_t endpoint_id, since, kept, cut, newest;
} trim_slot;
struct trim_memo {
	trim_slot slot[TRIM_MEMO_SLOTS];
};

/* The endpoint's slot, taken (its trigger set to trim now) when it had none; NULL without
 * memory. */
static trim_slot *trim_slot_of(db_conn *c, int64_t endpoint_id, int64_t every)
{
	struct trim_memo *m = db_conn_memo(c, DB_MEMO_TRIMS, sizeof *m, NULL);
	if (!m)
		return NULL;
	unsigned home = (unsigned)((uint64_t)endpoint_id % TRIM_MEMO_SLOTS);
	trim_slot *free_slot = NULL;
	for (unsigned k = 0; k < TRIM_PROBES; k++) {
		trim_slot *t = &m->slot[(home + k) % TRIM_MEMO_SLOTS];
		if (t->endpoint_id == endpoint_id)
			return t;
		if (!t->endpoint_id && !free_slot)
			free_slot = t;
	}
	trim_slot *t = free_slot ? free_slot : &m->slot[home];
	*t = (trim_slot){.endpoint_id = endpoint_id, .since = every - 1};
	return t;
}

/* Whether what the last trim left (`t`, may be NULL) still describes the endpoint's rows. */
static bool trim_memo_holds(db_conn *c, const trim_slot *t)
{
	uint64_t epoch = db_access_epoch(c);
	if (!t || !t->newest || !epoch || t->epoch != epoch)
		return false;
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT NOT EXISTS (SELECT 1 FROM predictions WHERE endpoint_id = ?1 AND id <= ?2)"
	       " AND EXISTS (SELECT 1 FROM predictions WHERE id = ?3 AND endpoint_id = ?1)");
	db_bind(st, DB_INT(t->endpoint_id), DB_INT(t->cut), DB_INT(t->newest));
	return db_one_int(st) != 0;
}

/* The id of the `n`th row (from 1) of the endpoint after `after`, 0 when there are fewer. */
static int64_t trim_nth_after(db_conn *c, int64_t endpoint_id, int64_t after, int64_t n)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id FROM predictions WHERE endpoint_id = ?1 AND id > ?2"
		       " ORDER BY id LIMIT 1 OFFSET ?3");
	db_bind(st, DB_INT(endpoint_id), DB_INT(after), DB_INT(n - 1));
	return db_one_int(st);
}

/* How many rows the endpoint has after id `after`. */
static int64_t trim_count_after(db_conn *c, int64_t endpoint_id, int64_t after)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT count(*) FROM predictions WHERE endpoint_id = ?1 AND id > ?2");
	db_bind(st, DB_INT(endpoint_id), DB_INT(after));
	return db_one_int(st);
}

/* What this trim leaves (`next`: its cut, the rows it keeps, the endpoint's newest id), from what
 * the last left (`t`, may be NULL) when that still holds (true), else from the log itself: a walk
 * of at most its limit from the newest, then a count when the log is under it. */
static bool trim_next(db_conn *c, const prediction_record *p, const trim_slot *t, trim_slot *next)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT max(id) FROM predictions WHERE endpoint_id = ?1");
	db_bind(st, DB_INT(p->endpoint_id));
	next->newest = db_one_int(st);
	if (trim_memo_holds(c, t)) {
		int64_t rows = t->kept + trim_count_after(c, p->endpoint_id, t->newest);
		next->cut = t->cut;
		next->kept = rows;
		if (rows <= p->log_limit)
			return true;
		next->cut = trim_nth_after(c, p->endpoint_id, t->cut, rows - p->log_limit);
		next->kept = p->log_limit;
		if (!next->cut) /* fewer rows than counted: forget the memo, trim from the log */
			next->newest = 0;
		return next->cut != 0;
	}
	st = db_stmt(c, "SELECT id FROM predictions WHERE endpoint_id = ?1"
			" ORDER BY id DESC LIMIT 1 OFFSET ?2");
	db_bind(st, DB_INT(p->endpoint_id), DB_INT(p->log_limit));
	next->cut = db_one_int(st);
	next->kept = next->cut ? p->log_limit : trim_count_after(c, p->endpoint_id, 0);
	return false;
}

/* The kept images of the predictions up to `cut`, to remove after the trim (when data_dir says
 * where blobs are: an endpoint that keeps images). */
static json_t *trimmed_images(db_conn *c, int64_t endpoint_id, const char *data_dir, int64_t cut)
{
	json_t *out = json_array();
	sqlite3_stmt *st = db_stmt(c, "SELECT input_blob FROM predictions WHERE endpoint_id = ?1"
				      " AND input_blob IS NOT NULL AND id <= ?2");
	db_bind(st, DB_INT(endpoint_id), DB_INT(cut));
	while (data_dir && db_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_string(db_col_text(st, 0)));
	sqlite3_reset(st);
	return out;
}

/* Deletes the endpoint's predictions up to id `cut` with their feedback and their ties to the
 * items they made; their kept images go to `let_go` when nothing else names them. The items
 * stay (the loop holds them). Nothing is left naming a deleted prediction: an id SQLite gives
 * again (the table's largest plus one) starts clean. */
static int log_cut(db_conn *c, int64_t endpoint_id, const char *data_dir, int64_t cut,
		   json_t *let_go, int *deleted, cl_error *err)
{
	static const char *const deletes[] = {
	    "DELETE FROM prediction_feedback WHERE prediction_id IN (SELECT id FROM predictions"
	    " WHERE endpoint_id = ?1 AND id <= ?2)",
	    "DELETE FROM prediction_items WHERE prediction_id IN (SELECT id FROM predictions"
	    " WHERE endpoint_id = ?1 AND id <= ?2)",
	    "DELETE FROM predictions WHERE endpoint_id = ?1 AND id <= ?2",
	};
	int rc = 0;
	json_t *images = trimmed_images(c, endpoint_id, data_dir, cut);
	for (size_t i = 0; !rc && i < 3; i++) {
		sqlite3_stmt *st = db_stmt(c, deletes[i]);
		db_bind(st, DB_INT(endpoint_id), DB_INT(cut));
		rc = db_exec_stmt(st, err);
	}
	if (!rc && deleted)
		*deleted += sqlite3_changes(db_handle(c));
	if (!rc)
		kept_blobs_unnamed(c, images, let_go);
	json_decref(images);
	return rc;
}

static int prediction_trim(db_conn *c, const prediction_record *p, int64_t id, json_t *let_go,
			   cl_error *err)
{
	const int64_t every = trim_step(p->log_limit);
	trim_slot *t = trim_slot_of(c, p->endpoint_id, every);
	/* A moved epoch may be a rollback that undid the last trim: trim now. */
	if (t ? ++t->since < every && t->epoch == db_access_epoch(c) : id % every)
		return 0;
	if (t)
		t->since = 0;
	trim_slot next = {.epoch = db_access_epoch(c), .endpoint_id = p->endpoint_id};
	/* Nothing past the last cut: nothing to delete, the count remembered. */
	int64_t last_cut = trim_next(c, p, t, &next) ? t->cut : 0;
	if (next.cut <= last_cut) {
		if (t)
			*t = next;
		return 0;
	}
	int rc = log_cut(c, p->endpoint_id, p->data_dir, next.cut, let_go, NULL, err);
	if (!rc && t)
		*t = next;
	return rc;
}

/* Forgets what the endpoint's last trim left, once other rows of its log went: the next trim
 * counts from the log itself. */
static void trim_forget(db_conn *c, int64_t endpoint_id)
{
	struct trim_memo *m = db_conn_memo(c, DB_MEMO_TRIMS, sizeof *m, NULL);
	unsigned home = (unsigned)((uint64_t)endpoint_id % TRIM_MEMO_SLOTS);
	for (unsigned k = 0; m && k < TRIM_PROBES; k++)
		if (m->slot[(home + k) % TRIM_MEMO_SLOTS].endpoint_id == endpoint_id)
			m->slot[(home + k) % TRIM_MEMO_SLOTS].newest = 0;
}

static int usage_count(db_conn *c, const prediction_record *p, int64_t now, cl_error *err)
{
	char day[32];
	clock_iso8601(now, day);
	day[10] = '\0';
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO endpoint_usage(key_id, day, requests, errors)"
				      " VALUES (?1, ?2, 1, ?3) ON CONFLICT (key_id, day) DO UPDATE"
				      " SET requests = requests + 1, errors = errors + ?3");
	db_bind(st, DB_INT(p->key_id), DB_TEXT(day), DB_INT(p->error != NULL));
	return db_exec_stmt(st, err);
}

/* ---- the input images kept for feedback ---- */

#define BLOB_NAMED_SQL                                                                             \
	"SELECT EXISTS (SELECT 1 FROM items WHERE blob = ?1)"                                      \
	" OR EXISTS (SELECT 1 FROM predictions WHERE input_blob = ?1)"

/* Appends to `let_go` the blobs of `images` (hashes) that no item and no kept prediction names
 * any more in this transaction: the decision. Their files go after its commit. */
static void kept_blobs_unnamed(db_conn *c, const json_t *images, json_t *let_go)
{
	size_t i;
	json_t *h;
	json_array_foreach(images, i, h)
	{
		sqlite3_stmt *st = db_stmt(c, BLOB_NAMED_SQL);
		db_bind_text(st, 1, json_string_value(h));
		if (!db_one_int(st))
			json_array_append(let_go, h);
	}
}

/* Whether a committed row names blob `hash` (store/blobs.h's blob_named_fn; ctx the db). */
static bool blob_named(void *ctx, const char *hash)
{
	sqlite3_stmt *st = db_stmt(db_reader(ctx), BLOB_NAMED_SQL);
	db_bind_text(st, 1, hash);
	return db_one_int(st) != 0;
}

/* Removes the files of `let_go` after the commit that left them unnamed, unless a reference
 * came meanwhile or is on its way (blob_let_go, store/blobs.h). A failed commit removes
 * nothing: its rows still name them. */
static void kept_blobs_let_go(db *d, const char *data_dir, const json_t *let_go)
{
	size_t i;
	json_t *h;
	if (!data_dir)
		return;
	json_array_foreach(let_go, i, h) blob_let_go(data_dir, json_string_value(h), blob_named, d);
}

/* The endpoint's kept images older than its days, and the oldest of those past its budget
 * counted from the newest: [[id, blob]]. */
static json_t *kept_images_over(db_conn *c, const prediction_record *p, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id, input_blob FROM (SELECT id, input_blob, created_at,"
		       " sum(input_blob_bytes) OVER (ORDER BY id DESC) AS newer FROM predictions"
		       " WHERE endpoint_id = ?1 AND input_blob IS NOT NULL)"
		       " WHERE newer > ?3 OR created_at < ?2");
	db_bind(st, DB_INT(p->endpoint_id), DB_INT(now - p->image_days * 86400000),
		DB_INT(p->image_budget));
	json_t *over = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(over,
				      json_pack("[I,s]", (json_int_t)sqlite3_column_int64(st, 0),
						db_col_text(st, 1)));
	sqlite3_reset(st);
	return over;
}

/* Lets go of the endpoint's kept images older than its days, then of the oldest while they
 * weigh more than its budget: a prediction keeps its row, its input_blob goes, and so does
 * the blob when nothing else names it. */
static int kept_images_trim(db_conn *c, const prediction_record *p, int64_t now, json_t *let_go,
			    cl_error *err)
{
	json_t *over = kept_images_over(c, p, now), *images = json_array(), *v;
	size_t i;
	int rc = 0;
	json_array_foreach(over, i, v)
	{
		sqlite3_stmt *st =
		    db_stmt(c, "UPDATE predictions SET input_blob = NULL WHERE id = ?");
		db_bind_int(st, 1, json_integer_value(json_array_get(v, 0)));
		if ((rc = db_exec_stmt(st, err)))
			break;
		json_array_append(images, json_array_get(v, 1));
	}
	if (!rc)
		kept_blobs_unnamed(c, images, let_go);
	json_decref(images);
	json_decref(over);
	return rc;
}

/* ---- the sweep of kept images ---- */

/* Whether endpoint ?1's kept image (in a query over predictions) is to go at time ?2: past the
 * endpoint's days, or the endpoint keeps none any more (no feedback project, no budget). */
#define KEPT_IMAGE_PAST                                                                            \
	"(SELECT e.feedback_project_id IS NULL OR e.feedback_image_budget <= 0"                    \
	" OR predictions.created_at < ?2 - e.feedback_image_days * 86400000"                       \
	" FROM endpoints e WHERE e.id = ?1)"

/* The endpoints with a kept image to let go at `now`, read cheaply each tick: their oldest kept
 * image (ids grow with time) tells. */
static json_t *kept_images_due(db_conn *c, int64_t now)
{
	sqlite3_stmt *st = db_stmt(
	    c,
	    "SELECT e.id FROM endpoints e JOIN predictions p ON p.id = (SELECT id FROM predictions"
	    " WHERE endpoint_id = e.id AND input_blob IS NOT NULL ORDER BY id LIMIT 1)"
	    " WHERE e.feedback_project_id IS NULL OR e.feedback_image_budget <= 0"
	    " OR p.created_at < ?1 - e.feedback_image_days * 86400000");
	db_bind_int(st, 1, now);
	return db_ints(st);
}

struct kept_sweep {
	int64_t now;
	const json_t *due;
	json_t *let_go; /* the blobs the commit leaves unnamed */
	int n;		/* the images let go */
};

/* Lets go of an endpoint's kept images that are to go, as decided in this transaction. */
static int kept_images_expire(db_conn *c, struct kept_sweep *a, int64_t endpoint_id, cl_error *err)
{
	json_t *images = json_array();
	sqlite3_stmt *st = db_stmt(c, "SELECT DISTINCT input_blob FROM predictions"
				      " WHERE endpoint_id = ?1 AND input_blob IS NOT NULL"
				      " AND " KEPT_IMAGE_PAST);
	db_bind(st, DB_INT(endpoint_id), DB_INT(a->now));
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(images, json_string(db_col_text(st, 0)));
	sqlite3_reset(st);
	st = db_stmt(c, "UPDATE predictions SET input_blob = NULL WHERE endpoint_id = ?1"
			" AND input_blob IS NOT NULL AND " KEPT_IMAGE_PAST);
	db_bind(st, DB_INT(endpoint_id), DB_INT(a->now));
	int rc = db_exec_stmt(st, err);
	if (!rc) {
		a->n += sqlite3_changes(db_handle(c));
		kept_blobs_unnamed(c, images, a->let_go);
	}
	json_decref(images);
	return rc;
}

static int kept_sweep_job(db_conn *c, void *ctx, cl_error *err)
{
	struct kept_sweep *a = ctx;
	size_t i;
	json_t *id;
	int rc = 0;
	json_array_foreach(a->due, i, id)
	{
		if ((rc = kept_images_expire(c, a, json_integer_value(id), err)))
			break;
	}
	return rc;
}

int store_kept_images_sweep(db *d, const char *data_dir, int64_t now, int *n, cl_error *err)
{
	json_t *due = kept_images_due(db_reader(d), now);
	struct kept_sweep a = {now, due, json_array(), 0};
	int rc = json_array_size(due) ? db_write(d, kept_sweep_job, &a, err) : 0;
	if (!rc)
		kept_blobs_let_go(d, data_dir, a.let_go);
	*n = rc ? 0 : a.n;
	json_decref(a.let_go);
	json_decref(due);
	return rc;
}

/* ---- the log's age ---- */

/* The rows of an endpoint's log a sweep looks at, oldest first: its deletes stay a short job. */
#define LOG_AGE_SLICE 4096
#define LOG_DAY_MS 86400000

/* The endpoints whose oldest prediction is older than their log_days at `now`. */
static json_t *log_age_due(db_conn *c, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT e.id FROM endpoints e WHERE e.log_days > 0"
		       " AND (SELECT p.created_at FROM predictions p WHERE p.endpoint_id = e.id"
		       "  ORDER BY p.id LIMIT 1) < ?1 - e.log_days * ?2");
	db_bind(st, DB_INT(now), DB_INT(LOG_DAY_MS));
	return db_ints(st);
}

struct age_sweep {
	int64_t now;
	const json_t *due;
	const char *data_dir;
	json_t *let_go; /* the blobs the commit leaves unnamed */
	int n;		/* the predictions deleted */
};

static int age_sweep_job(db_conn *c, void *ctx, cl_error *err)
{
	struct age_sweep *a = ctx;
	size_t i;
	json_t *id;
	json_array_foreach(a->due, i, id)
	{
		int64_t endpoint_id = json_integer_value(id);
		/* The newest old row among the oldest of the slice (ids grow with time), short of the
		 * table's newest row: kept, it keeps SQLite from giving its id again. */
		sqlite3_stmt *st = db_stmt(
		    c, "SELECT max(id) FROM (SELECT id, created_at FROM predictions"
		       " WHERE endpoint_id = ?1 ORDER BY id LIMIT ?3)"
		       " WHERE created_at < ?2 - (SELECT log_days FROM endpoints WHERE id = ?1) * ?4"
		       " AND id < (SELECT max(id) FROM predictions)");
		db_bind(st, DB_INT(endpoint_id), DB_INT(a->now), DB_INT(LOG_AGE_SLICE),
			DB_INT(LOG_DAY_MS));
		int64_t cut = db_one_int(st);
		int rc = cut ? log_cut(c, endpoint_id, a->data_dir, cut, a->let_go, &a->n, err) : 0;
		if (rc)
			return rc;
		/* The count its last trim left is no longer the log's. */
		trim_forget(c, endpoint_id);
	}
	return 0;
}

int store_log_age_sweep(db *d, const char *data_dir, int64_t now, int *n, cl_error *err)
{
	json_t *due = log_age_due(db_reader(d), now);
	struct age_sweep a = {now, due, data_dir, json_array(), 0};
	int rc = json_array_size(due) ? db_write(d, age_sweep_job, &a, err) : 0;
	if (!rc)
		kept_blobs_let_go(d, data_dir, a.let_go);
	*n = rc ? 0 : a.n;
	json_decref(a.let_go);
	json_decref(due);
	return rc;
}

/* ---- the loop: a prediction's item ---- */

struct loop_item {
	int64_t project_id, endpoint_id, prediction_id;
	const char *text;
	json_t *meta;		 /* the prediction's id is added here */
	const char *blob, *mime; /* an image item's, else NULL */
	int width, height;
};

/* Inserts the item, text or image, unless the project has its content: 0 and no change then. */
static int loop_item_row(db_conn *c, const struct loop_item *l, const char *hash, const char *meta,
			 int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO items(project_id, type, content_hash, text,"
				      " blob, mime, width, height, meta, created_at)"
				      " VALUES (?,?,?,?,?,?,?,?,?,?)"
				      " ON CONFLICT(project_id, content_hash) DO NOTHING");
	db_bind(st, DB_INT(l->project_id), DB_TEXT(l->blob ? "image" : "text"), DB_TEXT(hash),
		DB_TEXT(l->blob ? NULL : l->text), DB_TEXT(l->blob), DB_TEXT(l->mime));
	if (l->blob) {
		db_bind_int(st, 7, l->width);
		db_bind_int(st, 8, l->height);
	}
	db_bind_text(st, 9, meta);
	db_bind_int(st, 10, now);
	return db_exec_stmt(st, err);
}

/* The text item of the loop's project, made with its tasks when new (*made then); *id its id. */
static int loop_item_insert(db_conn *c, const struct loop_item *l, int64_t now, int64_t *id,
			    bool *made, cl_error *err)
{
	char hash[65], *meta = NULL;
	/* Deduplicated by content: a text's hash, an image's bytes' (its blob's name). */
	if (l->blob)
		snprintf(hash, sizeof hash, "%s", l->blob);
	else
		blob_hash(l->text, strlen(l->text), hash);
	json_object_set_new(json_object_get(l->meta, "prediction"), "prediction_id",
			    json_integer(l->prediction_id));
	meta = json_dumps(l->meta, JSON_COMPACT);
	int rc = loop_item_row(c, l, hash, meta, now, err);
	free(meta);
	if (rc)
		return rc;
	sqlite3_stmt *st;
	if (!sqlite3_changes(db_handle(c))) {
		/* The project has this text already: the prediction is tied to that item. */
		st = db_stmt(c, "SELECT id FROM items WHERE project_id = ? AND content_hash = ?");
		db_bind(st, DB_INT(l->project_id), DB_TEXT(hash));
		*id = db_one_int(st);
		*made = false;
		return 0;
	}
	*id = sqlite3_last_insert_rowid(db_handle(c));
	*made = true;
	/* The project's overlap of tasks, slots 0 to overlap - 1. */
	st = db_stmt(c, "WITH RECURSIVE s(slot) AS (SELECT 0 UNION ALL SELECT slot + 1 FROM s"
			" WHERE slot + 1 < (SELECT overlap FROM projects WHERE id = ?1))"
			" INSERT INTO tasks(project_id, item_id, slot, state, updated_at)"
			" SELECT ?1, ?2, slot, 'open', ?3 FROM s");
	db_bind(st, DB_INT(l->project_id), DB_INT(*id), DB_INT(now));
	rc = db_exec_stmt(st, err);
	int64_t tasks = rc ? 0 : sqlite3_changes(db_handle(c));
	return rc ? rc : store_project_counted(c, l->project_id, 1, tasks, err);
}

#define DAY_MS 86400000

/* Whether rule `reason` made its endpoint's daily cap of items on `day` (its first millisecond,
 * UTC). The day's count is kept in prediction_loop_days: counting the day's prediction_items rows
 * walked up to the cap's index entries for every doubtful prediction. */
static bool loop_day_capped(db_conn *c, int64_t endpoint_id, const char *reason, int64_t day)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT coalesce((SELECT made FROM prediction_loop_days"
		       "  WHERE endpoint_id = ?1 AND reason = ?2 AND day = ?3), 0)"
		       " >= coalesce((SELECT feedback_daily_cap FROM endpoints WHERE id = ?1), 0)");
	db_bind(st, DB_INT(endpoint_id), DB_TEXT(reason), DB_INT(day));
	return db_one_int(st) != 0;
}

static bool loop_capped(db_conn *c, const struct loop_item *l, const char *reason, int64_t now)
{
	return loop_day_capped(c, l->endpoint_id, reason, now - now % DAY_MS);
}

/* The rules seen at their daily cap, memoized per read connection: a day's count only grows, so
 * once a committed count has reached the cap, the rest of the day's doubtful predictions skip
 * their item without a lookup. The stamp (db_access_epoch: endpoints are an access table)
 * forgets it when an endpoint changes (its cap, its rule, its deletion, which takes its counts);
 * the key holds the day, so the next day asks the store again; a restart starts from an empty
 * memo. A rule under its cap is never memoized: its count moves with every item. */
#define LOOP_CAP_MEMO_SLOTS 32
struct loop_cap_memo {
	struct {
		uint64_t epoch;
		int64_t endpoint_id, day;
		char reason[24];
	} slot[LOOP_CAP_MEMO_SLOTS];
};

bool store_loop_capped(db *d, int64_t endpoint_id, const char *reason, int64_t now)
{
	db_conn *c = db_reader(d);
	uint64_t epoch = db_access_epoch(c);
	int64_t day = now - now % DAY_MS;
	struct loop_cap_memo *m = db_conn_memo(c, DB_MEMO_LOOP_CAPS, sizeof *m, NULL);
	unsigned i = text_hash(reason, (uint64_t)endpoint_id) % LOOP_CAP_MEMO_SLOTS;
	if (m && epoch && m->slot[i].epoch == epoch && m->slot[i].endpoint_id == endpoint_id &&
	    m->slot[i].day == day && !strcmp(m->slot[i].reason, reason))
		return true;
	bool capped = loop_day_capped(c, endpoint_id, reason, day);
	if (capped && m && epoch && strlen(reason) < sizeof m->slot[i].reason) {
		m->slot[i].epoch = epoch;
		m->slot[i].endpoint_id = endpoint_id;
		m->slot[i].day = day;
		snprintf(m->slot[i].reason, sizeof m->slot[i].reason, "%s", reason);
	}
	return capped;
}

/* The contents found held, memoized per read connection: items are never deleted, so once
 * committed a project holds its content for good, and a popular doubtful input is looked up
 * once. A content not held is asked again each time: its item may be made meanwhile. */
#define LOOP_HELD_MEMO_SLOTS 4096
struct loop_held_memo {
	struct {
		int64_t project_id;
		char hash[65];
	} slot[LOOP_HELD_MEMO_SLOTS];
};

bool store_loop_holds(db *d, int64_t project_id, const char *hash)
{
	db_conn *c = db_reader(d);
	struct loop_held_memo *m = db_conn_memo(c, DB_MEMO_LOOP_HELD, sizeof *m, NULL);
	unsigned i = text_hash(hash, (uint64_t)project_id) % LOOP_HELD_MEMO_SLOTS;
	if (m && m->slot[i].project_id == project_id && !strcmp(m->slot[i].hash, hash))
		return true;
	sqlite3_stmt *st = db_stmt(c, "SELECT EXISTS (SELECT 1 FROM items"
				      " WHERE project_id = ?1 AND content_hash = ?2)");
	db_bind(st, DB_INT(project_id), DB_TEXT(hash));
	bool held = db_one_int(st) != 0;
	if (held && m && strlen(hash) < sizeof m->slot[i].hash) {
		m->slot[i].project_id = project_id;
		snprintf(m->slot[i].hash, sizeof m->slot[i].hash, "%s", hash);
	}
	return held;
}

/* Counts a row of prediction_items in its rule's day, in the same transaction. */
static int loop_day_count(db_conn *c, const struct loop_item *l, const char *reason, int64_t now,
			  cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO prediction_loop_days(endpoint_id, reason, day,"
				      " made) VALUES (?1, ?2, ?3, 1) ON CONFLICT"
				      " (endpoint_id, reason, day) DO UPDATE SET made = made + 1");
	db_bind(st, DB_INT(l->endpoint_id), DB_TEXT(reason), DB_INT(now - now % DAY_MS));
	return db_exec_stmt(st, err);
}

/* Makes the prediction's item unless it made one already (at most once per prediction) or the
 * rule's daily cap is reached (*capped then, when capped is not NULL); an input the project
 * holds already ties the prediction to that item and counts nothing against the cap. */
static int loop_item_make(db_conn *c, const struct loop_item *l, const char *reason, bool *capped,
			  cl_error *err)
{
	int64_t now = clock_now_ms(), item_id = 0;
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM prediction_items WHERE prediction_id = ?");
	db_bind_int(st, 1, l->prediction_id);
	if (db_one_int(st) || (!l->text && !l->blob))
		return 0;
	if (loop_capped(c, l, reason, now)) {
		if (capped)
			*capped = true;
		return 0;
	}
	bool made = false;
	int rc = loop_item_insert(c, l, now, &item_id, &made, err);
	if (rc)
		return rc;
	st = db_stmt(c, "INSERT INTO prediction_items(prediction_id, endpoint_id, item_id, reason,"
			" created_at) VALUES (?,?,?,?,?)");
	db_bind(st, DB_INT(l->prediction_id), DB_INT(l->endpoint_id), DB_INT(item_id),
		DB_TEXT(reason), DB_INT(now));
	rc = db_exec_stmt(st, err);
	/* The cap bounds the work a rule makes: an input the project holds already makes none. */
	return rc || !made ? rc : loop_day_count(c, l, reason, now, err);
}

static const char *loop_reason_of(const json_t *meta)
{
	return json_string_value(json_object_get(json_object_get(meta, "prediction"), "reason"));
}

static int prediction_log_job(db_conn *c, void *ctx, cl_error *err)
{
	struct prediction_log *a = ctx;
	int64_t now = clock_now_ms(), shadow_id;
	int rc = prediction_insert(c, a->p, now, &a->id, err);
	if (!rc && a->shadow && a->shadow->target && a->shadow->target[0])
		rc = prediction_insert(c, a->shadow, now, &shadow_id, err);
	if (!rc && a->p->key_id && !a->p->shadow && !a->usage_merged)
		rc = usage_count(c, a->p, now, err);
	if (!rc && a->p->loop_meta) {
		struct loop_item l = {a->p->loop_project_id, a->p->endpoint_id, a->id,
				      a->p->input_text,	     a->p->loop_meta,	a->p->loop_blob,
				      a->p->loop_mime,	     a->p->loop_width,	a->p->loop_height};
		rc = loop_item_make(c, &l, loop_reason_of(a->p->loop_meta), NULL, err);
	}
	/* After the item: a blob an item names stays. */
	if (!rc && a->p->keep_blob)
		rc = kept_images_trim(c, a->p, now, a->let_go, err);
	if (!rc)
		rc = prediction_trim(c, a->p, a->id, a->let_go, err);
	return rc;
}

int store_prediction_log(db *d, const prediction_record *p, const prediction_record *shadow,
			 int64_t *id, cl_error *err)
{
	struct prediction_log a = {p, shadow, 0, json_array(), false};
	int rc = db_write(d, prediction_log_job, &a, err);
	*id = a.id;
	/* The image blob_put stored for this record is named (or not) for good now. */
	blob_release(p->keep_blob ? p->keep_blob : p->loop_blob);
	if (!rc)
		kept_blobs_let_go(d, p->data_dir, a.let_go);
	json_decref(a.let_go);
	return rc;
}

static json_t *prediction_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 10), at);
	json_t *fb =
	    sqlite3_column_type(st, 11) == SQLITE_NULL
		? json_null()
		: json_pack("{s:b,s:s?,s:o}", "correct", sqlite3_column_int(st, 11), "comment",
			    sqlite3_column_type(st, 12) == SQLITE_NULL ? NULL : db_col_text(st, 12),
			    "correction",
			    sqlite3_column_type(st, 13) == SQLITE_NULL ? json_null()
								       : db_col_json(st, 13));
	/* The item it became in the endpoint's feedback project, and why. */
	json_t *item = sqlite3_column_type(st, 14) == SQLITE_NULL
			   ? json_null()
			   : json_pack("{s:I,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 14),
				       "reason", db_col_text(st, 15));
	/* A member's session calls without a key. */
	json_t *key = sqlite3_column_type(st, 1) == SQLITE_NULL
			  ? json_null()
			  : json_integer(sqlite3_column_int64(st, 1));
	return json_pack("{s:I,s:o,s:s,s:b,s:s?,s:s,s:I,s:o,s:s?,s:I,s:s,s:o,s:o}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "key_id", key, "target",
			 db_col_text(st, 2), "shadow", sqlite3_column_int(st, 3), "request_id",
			 sqlite3_column_type(st, 4) == SQLITE_NULL ? NULL : db_col_text(st, 4),
			 "input_sha256", db_col_text(st, 5), "input_bytes",
			 (json_int_t)sqlite3_column_int64(st, 6), "output", db_col_json(st, 7),
			 "error",
			 sqlite3_column_type(st, 8) == SQLITE_NULL ? NULL : db_col_text(st, 8),
			 "latency_us", (json_int_t)sqlite3_column_int64(st, 9), "created_at", at,
			 "feedback", fb, "item", item);
}

/* What prediction_json reads, from predictions p and the joins that follow it. */
#define PREDICTION_COLUMNS                                                                         \
	"SELECT p.id, p.key_id, p.target, p.shadow, p.request_id, p.input_sha256,"                 \
	" p.input_bytes, p.output, p.error, p.latency_us, p.created_at, f.correct, f.comment,"     \
	" f.correction, pi.item_id, pi.reason"
#define PREDICTION_JOINS                                                                           \
	" LEFT JOIN prediction_feedback f ON f.prediction_id = p.id"                               \
	" LEFT JOIN prediction_items pi ON pi.prediction_id = p.id"
#define PREDICTION_LIST_QUERY                                                                      \
	PREDICTION_COLUMNS " FROM predictions p" PREDICTION_JOINS " WHERE p.endpoint_id = ?1"

/* The records of a batch in one transaction, in order; ids[i] the id of recs[i]. Rerunnable:
 * all it hands back (ids, let_go, logged_at) is set anew each run. The keys' usage is counted
 * by usage_merge, once for the writer's whole group. */
static int prediction_batch_job(db_conn *c, void *ctx, cl_error *err)
{
	prediction_batch *b = ctx;
	int rc = 0;
	json_array_clear(b->let_go);
	b->logged_at = clock_now_ms();
	for (int i = 0; !rc && i < b->n; i++) {
		struct prediction_log a = {b->recs[i], NULL, 0, b->let_go, true};
		rc = prediction_log_job(c, &a, err);
		b->ids[i] = a.id;
	}
	return rc;
}

/* A key's requests and errors of a day, from a group's batches. */
struct usage_count {
	int64_t key_id, day; /* day: its first millisecond (UTC) */
	int64_t requests, errors;
};

static int usage_count_order(const void *x, const void *y)
{
	const struct usage_count *a = x, *b = y;
	if (a->key_id != b->key_id)
		return a->key_id < b->key_id ? -1 : 1;
	return a->day < b->day ? -1 : a->day > b->day;
}

/* Adds one key's day to endpoint_usage; a key deleted in the same group counts nothing. */
static int usage_add(db_conn *c, const struct usage_count *u, cl_error *err)
{
	char day[32];
	clock_iso8601(u->day, day);
	day[10] = '\0';
	sqlite3_stmt *st = db_stmt(
	    c, "INSERT INTO endpoint_usage(key_id, day, requests, errors)"
	       " SELECT ?1, ?2, ?3, ?4 WHERE EXISTS (SELECT 1 FROM endpoint_keys WHERE id = ?1)"
	       " ON CONFLICT (key_id, day) DO UPDATE"
	       " SET requests = requests + ?3, errors = errors + ?4");
	db_bind(st, DB_INT(u->key_id), DB_TEXT(day), DB_INT(u->requests), DB_INT(u->errors));
	return db_exec_stmt(st, err);
}

/* The usage of every key that a group's logged batches called with: one row written per key and
 * day instead of one per prediction. */
static int usage_merge(db_conn *c, void *const *ctxs, int n, cl_error *err)
{
	size_t cap = 0, m = 0;
	for (int i = 0; i < n; i++)
		cap += (size_t)((const prediction_batch *)ctxs[i])->n;
	struct usage_count *u = malloc((cap ? cap : 1) * sizeof *u);
	if (!u)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (int i = 0; i < n; i++) {
		const prediction_batch *b = ctxs[i];
		for (int k = 0; k < b->n; k++) {
			const prediction_record *p = b->recs[k];
			if (p->key_id && !p->shadow)
				u[m++] = (struct usage_count){
				    p->key_id, b->logged_at - b->logged_at % 86400000, 1,
				    p->error != NULL};
		}
	}
	qsort(u, m, sizeof *u, usage_count_order);
	int rc = 0;
	for (size_t i = 0, j; !rc && i < m; i = j) {
		struct usage_count sum = u[i];
		for (j = i + 1; j < m && !usage_count_order(&u[j], &sum); j++) {
			sum.requests += u[j].requests;
			sum.errors += u[j].errors;
		}
		rc = usage_add(c, &sum, err);
	}
	free(u);
	return rc;
}

int store_predictions_log_async(db *d, prediction_batch *b, cl_error *err, db_done_fn done,
				void *arg)
{
	b->let_go = json_array();
	return db_write_async_merged(d, prediction_batch_job, usage_merge, b, err, done, arg);
}

void store_predictions_logged(db *d, prediction_batch *b, int rc)
{
	const char *data_dir = NULL;
	for (int i = 0; i < b->n; i++) {
		const prediction_record *p = b->recs[i];
		/* The image blob_put stored for this record is named (or not) for good now. */
		blob_release(p->keep_blob ? p->keep_blob : p->loop_blob);
		data_dir = p->data_dir ? p->data_dir : data_dir;
	}
	if (!rc)
		kept_blobs_let_go(d, data_dir, b->let_go);
	json_decref(b->let_go);
	b->let_go = NULL;
}

json_t *store_predictions_list(db *d, int64_t endpoint_id, int64_t cursor, int limit, bool desc,
			       int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, PREDICTION_LIST_QUERY, "p.id"));
	return db_owned_page(st, endpoint_id, cursor, limit, desc, prediction_json, next);
}

/* An inbox page's predictions p, past cursor ?2 in the page's order (`cmp` "<" and `order`
 * "DESC" for newest first, else ">" and "ASC"): at most a page (?3) of endpoint ?1's predictions
 * with feedback, and as many that became an item, each read in id order from its own table,
 * never from the log, which on a busy endpoint holds many times more rows (CROSS JOIN keeps
 * SQLite from driving them from the log's index). Both start at the endpoint's oldest kept
 * prediction: the items of trimmed predictions stay (the loop holds them); the join drops them. */
#define PREDICTION_INBOX_FROM(cmp, order)                                                          \
	" FROM (SELECT id FROM (SELECT f.prediction_id AS id FROM prediction_feedback f"           \
	" CROSS JOIN predictions q ON q.id = f.prediction_id"                                      \
	" WHERE f.prediction_id >= (SELECT min(id) FROM predictions WHERE endpoint_id = ?1)"       \
	" AND f.prediction_id " cmp " ?2 AND q.endpoint_id = ?1"                                   \
	" ORDER BY f.prediction_id " order " LIMIT ?3)"                                            \
	" UNION SELECT id FROM (SELECT i.prediction_id AS id FROM prediction_items i NOT INDEXED"  \
	" CROSS JOIN predictions q ON q.id = i.prediction_id"                                      \
	" WHERE i.prediction_id >= (SELECT min(id) FROM predictions WHERE endpoint_id = ?1)"       \
	" AND i.prediction_id " cmp " ?2 AND i.endpoint_id = ?1"                                   \
	" ORDER BY i.prediction_id " order " LIMIT ?3)) x"                                         \
	" CROSS JOIN predictions p ON p.id = x.id"
#define PREDICTION_INBOX_QUERY(cmp, order)                                                         \
	PREDICTION_COLUMNS PREDICTION_INBOX_FROM(cmp, order) PREDICTION_JOINS                      \
	    " WHERE p.endpoint_id = ?1"

json_t *store_predictions_inbox(db *d, int64_t endpoint_id, int64_t cursor, int limit, bool desc,
				int64_t *next)
{
	const char *sql = desc ? DB_PAGE_SQL(true, PREDICTION_INBOX_QUERY("<", "DESC"), "p.id")
			       : DB_PAGE_SQL(false, PREDICTION_INBOX_QUERY(">", "ASC"), "p.id");
	sqlite3_stmt *st = db_stmt(db_reader(d), sql);
	return db_owned_page(st, endpoint_id, cursor, limit, desc, prediction_json, next);
}

int64_t store_prediction_endpoint(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(
	    db_reader(d), "SELECT endpoint_id FROM predictions WHERE id = ? AND shadow = 0");
	db_bind_int(st, 1, id);
	return db_one_int(st);
}

/* ---- feedback ---- */

struct feedback_put {
	int64_t prediction_id;
	bool correct;
	const char *comment, *correction;
	json_t *loop_meta;
	int64_t loop_project_id;
	bool capped; /* the rule made its daily cap: no item */
};

int store_prediction_input(db *d, int64_t id, json_t **output, char **text)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT output, input_text FROM predictions WHERE id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	*output = NULL;
	*text = NULL;
	if (db_step(st) == SQLITE_ROW) {
		*output = sqlite3_column_type(st, 0) == SQLITE_NULL ? NULL : db_col_json(st, 0);
		*text =
		    sqlite3_column_type(st, 1) == SQLITE_NULL ? NULL : strdup(db_col_text(st, 1));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int store_prediction_image(db *d, int64_t id, prediction_image *out)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT input_blob, input_mime, input_width,"
						 " input_height, input_blob_bytes IS NOT NULL,"
						 " created_at FROM predictions WHERE id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	memset(out, 0, sizeof *out);
	if (db_step(st) == SQLITE_ROW) {
		snprintf(out->blob, sizeof out->blob, "%s", db_col_text(st, 0));
		snprintf(out->mime, sizeof out->mime, "%s", db_col_text(st, 1));
		out->width = sqlite3_column_int(st, 2);
		out->height = sqlite3_column_int(st, 3);
		out->had_image = sqlite3_column_int(st, 4);
		out->created_at = sqlite3_column_int64(st, 5);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* The prediction's item for negative feedback, from its kept input text or image. */
static int feedback_loop(db_conn *c, struct feedback_put *f, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT endpoint_id, input_text, input_blob, input_mime,"
				      " input_width, input_height FROM predictions WHERE id = ?"
				      " AND (input_text IS NOT NULL OR input_blob IS NOT NULL)");
	db_bind_int(st, 1, f->prediction_id);
	int rc = 0;
	if (db_step(st) == SQLITE_ROW) {
		bool image = sqlite3_column_type(st, 1) == SQLITE_NULL;
		char *text = strdup(db_col_text(st, image ? 2 : 1));
		char *mime = strdup(db_col_text(st, 3));
		struct loop_item l = {f->loop_project_id,
				      sqlite3_column_int64(st, 0),
				      f->prediction_id,
				      image ? NULL : text,
				      f->loop_meta,
				      image ? text : NULL,
				      image ? mime : NULL,
				      sqlite3_column_int(st, 4),
				      sqlite3_column_int(st, 5)};
		sqlite3_reset(st);
		rc = text && mime
			 ? loop_item_make(c, &l, loop_reason_of(f->loop_meta), &f->capped, err)
			 : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
		free(text);
		free(mime);
		return rc;
	}
	sqlite3_reset(st);
	return rc;
}

static int feedback_put_job(db_conn *c, void *ctx, cl_error *err)
{
	struct feedback_put *f = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO prediction_feedback(prediction_id, correct,"
				      " comment, correction, created_at) SELECT id, ?2, ?3, ?4, ?5"
				      " FROM predictions WHERE id = ?1"
				      " ON CONFLICT (prediction_id) DO UPDATE SET"
				      " correct = excluded.correct, comment = excluded.comment,"
				      " correction = excluded.correction,"
				      " created_at = excluded.created_at");
	db_bind(st, DB_INT(f->prediction_id), DB_INT(f->correct), DB_TEXT(f->comment),
		DB_TEXT(f->correction), DB_INT(clock_now_ms()));
	int rc = db_exec_stmt(st, err);
	if (!rc && !sqlite3_changes(db_handle(c)))
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "prediction not found");
	if (!rc && f->loop_meta)
		rc = feedback_loop(c, f, err);
	return rc;
}

/* {"id","reason"}: the item prediction `id` became, or JSON null. */
static json_t *prediction_item_json(db *d, int64_t id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT item_id, reason FROM prediction_items"
						 " WHERE prediction_id = ?");
	db_bind_int(st, 1, id);
	json_t *item = db_step(st) == SQLITE_ROW
			   ? json_pack("{s:I,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
				       "reason", db_col_text(st, 1))
			   : json_null();
	sqlite3_reset(st);
	return item;
}

int store_feedback_put(db *d, int64_t prediction_id, bool correct, const char *comment,
		       const json_t *correction, json_t *loop_meta, int64_t loop_project_id,
		       json_t **out, bool *capped, cl_error *err)
{
	char *corr = json_text_or_null(correction);
	struct feedback_put f = {prediction_id, correct,	 comment, corr,
				 loop_meta,	loop_project_id, false};
	int rc = db_write(d, feedback_put_job, &f, err);
	free(corr);
	*capped = !rc && f.capped;
	*out = rc ? NULL
		  : json_pack("{s:I,s:b,s:s?,s:O?,s:o}", "prediction_id", (json_int_t)prediction_id,
			      "correct", correct, "comment", comment, "correction",
			      correction && !json_is_null(correction) ? correction : NULL, "item",
			      prediction_item_json(d, prediction_id));
	return rc;
}

/* ---- usage ---- */

static json_t *usage_json(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:s,s:s,s:I,s:I}", "key_id", (json_int_t)sqlite3_column_int64(st, 0),
			 "key_name", db_col_text(st, 1), "day", db_col_text(st, 2), "requests",
			 (json_int_t)sqlite3_column_int64(st, 3), "errors",
			 (json_int_t)sqlite3_column_int64(st, 4));
}

json_t *store_endpoint_usage(db *d, int64_t endpoint_id, int days)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT u.key_id, k.name, u.day, u.requests, u.errors"
				  " FROM endpoint_usage u JOIN endpoint_keys k ON k.id = u.key_id"
				  " WHERE k.endpoint_id = ?1 AND u.day >= date('now', ?2)"
				  " ORDER BY u.day DESC, u.key_id");
	char since[32];
	snprintf(since, sizeof since, "-%d days", days);
	db_bind(st, DB_INT(endpoint_id), DB_TEXT(since));
	json_t *list = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(list, usage_json(st));
	sqlite3_reset(st);
	return list;
}
