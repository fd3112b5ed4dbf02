/* Dataset versions: the snapshot job that copies a project's approved annotations into sealed
 * rows (split by item hash, canonical annotation text, content hash, counts), reading versions,
 * their diff and deletion, and the row cursor every export reads from. */
#include "store/store.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATASET_COLUMNS                                                                         \
	"id, project_id, version, kind, labels, ratio_train, ratio_validation, ratio_test,"     \
	" content_hash, rows, items, counts, note, created_by, created_at"

static json_t *json_text_col(sqlite3_stmt *st, int col, json_t *fallback)
{
	json_t *v = json_loads(db_col_text(st, col), 0, NULL);
	if (v) {
		json_decref(fallback);
		return v;
	}
	return fallback;
}

static json_t *dataset_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 14), at);
	return json_pack("{s:I,s:I,s:i,s:s,s:o,s:{s:f,s:f,s:f},s:s,s:I,s:I,s:o,s:s,s:I,s:s}",
			 "id", (json_int_t)sqlite3_column_int64(st, 0), "project_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "version",
			 sqlite3_column_int(st, 2), "kind", db_col_text(st, 3), "labels",
			 json_text_col(st, 4, json_array()), "split", "train",
			 sqlite3_column_double(st, 5), "validation", sqlite3_column_double(st, 6),
			 "test", sqlite3_column_double(st, 7), "content_hash", db_col_text(st, 8),
			 "rows", (json_int_t)sqlite3_column_int64(st, 9), "items",
			 (json_int_t)sqlite3_column_int64(st, 10), "counts",
			 json_text_col(st, 11, json_object()), "note", db_col_text(st, 12),
			 "created_by", (json_int_t)sqlite3_column_int64(st, 13), "created_at", at);
}

/* ---- the snapshot ---- */

struct dataset_create {
	const project *p;
	const dataset_ratios *ratios;
	const char *note;
	int64_t user_id;
	int64_t id;
};

/* counts = {"train":{"rows","items","labels":{}},"validation":…,"test":…,"labels":{}} */
static json_t *counts_new(void)
{
	json_t *c = json_object();
	for (int s = 0; s < SPLIT_COUNT; s++)
		json_object_set_new(c, dataset_split_name((dataset_split)s),
				    json_pack("{s:i,s:i,s:{}}", "rows", 0, "items", 0, "labels"));
	json_object_set_new(c, "labels", json_object());
	return c;
}

static void counts_bump(json_t *split, const char *key)
{
	json_object_set_new(split, key,
			    json_integer(json_integer_value(json_object_get(split, key)) + 1));
}

static int dataset_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct dataset_create *a = ctx;
	const project *p = a->p;
	int64_t now = clock_now_ms();
	char *labels = json_dumps(p->labels, JSON_COMPACT);
	json_t *counts = counts_new();
	char *counts_text = NULL;
	int rc = labels ? 0 : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (rc)
		goto out;

	sqlite3_stmt *st = db_stmt(c, "SELECT coalesce(max(version), 0) + 1 FROM dataset_versions"
				      " WHERE project_id = ?");
	db_bind_int(st, 1, p->id);
	int version = db_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
	sqlite3_reset(st);

	st = db_stmt(c, "INSERT INTO dataset_versions(project_id, version, kind, labels, ratio_train,"
			" ratio_validation, ratio_test, note, created_by, created_at)"
			" VALUES (?,?,?,?,?,?,?,?,?,?)");
	db_bind_int(st, 1, p->id);
	db_bind_int(st, 2, version);
	db_bind_text(st, 3, task_kind_name(p->kind));
	db_bind_text(st, 4, labels);
	sqlite3_bind_double(st, 5, a->ratios->train);
	sqlite3_bind_double(st, 6, a->ratios->validation);
	sqlite3_bind_double(st, 7, a->ratios->test);
	db_bind_text(st, 8, a->note ? a->note : "");
	db_bind_int(st, 9, a->user_id);
	db_bind_int(st, 10, now);
	if ((rc = db_exec_stmt(st, err)))
		goto out;
	a->id = sqlite3_last_insert_rowid(db_handle(c));

	/* Rows in (item hash, slot) order, the order the content hash is defined over. */
	dataset_hasher h;
	dataset_hasher_init(&h, p->kind, labels);
	int64_t rows = 0, items = 0;
	char last_hash[65] = "";
	sqlite3_stmt *q = db_stmt(c, "SELECT t.id, t.item_id, t.slot, i.content_hash, a.data,"
				     " t.worker_id, t.reviewer_id, t.round, t.approved_at"
				     " FROM tasks t JOIN items i ON i.id = t.item_id"
				     " JOIN annotations a ON a.id = t.annotation_id"
				     " WHERE t.project_id = ? AND t.state = 'approved'"
				     " ORDER BY i.content_hash, t.slot");
	db_bind_int(q, 1, p->id);
	int step;
	while ((step = db_step(q)) == SQLITE_ROW) {
		const char *item_hash = db_col_text(q, 3);
		char *canon = dataset_canonical_json(db_col_text(q, 4));
		if (!canon) {
			rc = cl_fail(err, CL_EINTERNAL, NULL, "task %lld has an unreadable annotation",
				     (long long)sqlite3_column_int64(q, 0));
			break;
		}
		dataset_split split = dataset_split_of(item_hash, a->ratios);
		dataset_hasher_row(&h, item_hash, sqlite3_column_int(q, 2), split, canon);
		json_t *sc = json_object_get(counts, dataset_split_name(split));
		counts_bump(sc, "rows");
		if (strcmp(last_hash, item_hash)) {
			counts_bump(sc, "items");
			items++;
			snprintf(last_hash, sizeof last_hash, "%s", item_hash);
		}
		json_t *ann = json_loads(canon, 0, NULL);
		dataset_count_labels(ann, json_object_get(sc, "labels"));
		dataset_count_labels(ann, json_object_get(counts, "labels"));
		json_decref(ann);

		st = db_stmt(c, "INSERT INTO dataset_rows(dataset_id, task_id, item_id, slot, item_hash,"
				" split, annotation, worker_id, reviewer_id, round, approved_at)"
				" VALUES (?,?,?,?,?,?,?,?,?,?,?)");
		db_bind_int(st, 1, a->id);
		db_bind_int(st, 2, sqlite3_column_int64(q, 0));
		db_bind_int(st, 3, sqlite3_column_int64(q, 1));
		db_bind_int(st, 4, sqlite3_column_int(q, 2));
		db_bind_text(st, 5, item_hash);
		db_bind_text(st, 6, dataset_split_name(split));
		db_bind_text(st, 7, canon);
		if (sqlite3_column_type(q, 5) != SQLITE_NULL)
			db_bind_int(st, 8, sqlite3_column_int64(q, 5));
		if (sqlite3_column_type(q, 6) != SQLITE_NULL)
			db_bind_int(st, 9, sqlite3_column_int64(q, 6));
		db_bind_int(st, 10, sqlite3_column_int(q, 7));
		db_bind_int(st, 11, sqlite3_column_int64(q, 8));
		rc = db_exec_stmt(st, err);
		free(canon);
		if (rc)
			break;
		rows++;
	}
	sqlite3_reset(q);
	if (!rc && step != SQLITE_DONE)
		rc = cl_fail(err, CL_EINTERNAL, NULL, "reading the approved tasks failed");
	if (rc)
		goto out;

	char digest[65];
	dataset_hasher_final(&h, digest);
	counts_text = json_dumps(counts, JSON_COMPACT);
	st = db_stmt(c, "UPDATE dataset_versions SET content_hash = ?, rows = ?, items = ?,"
			" counts = ? WHERE id = ?");
	db_bind_text(st, 1, digest);
	db_bind_int(st, 2, rows);
	db_bind_int(st, 3, items);
	db_bind_text(st, 4, counts_text);
	db_bind_int(st, 5, a->id);
	rc = db_exec_stmt(st, err);
out:
	free(labels);
	free(counts_text);
	json_decref(counts);
	return rc;
}

int store_dataset_create(db *d, const project *p, const dataset_ratios *ratios,
			 const char *note, int64_t user_id, json_t **out, cl_error *err)
{
	struct dataset_create a = {p, ratios, note, user_id, 0};
	*out = NULL;
	int rc = db_write(d, dataset_create_job, &a, err);
	if (rc)
		return rc;
	int64_t project_id;
	*out = store_dataset_get(d, a.id, &project_id);
	return *out ? 0 : cl_fail(err, CL_EINTERNAL, NULL, "the new version cannot be read");
}

json_t *store_dataset_get(db *d, int64_t id, int64_t *project_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " DATASET_COLUMNS " FROM dataset_versions"
						 " WHERE id = ? AND content_hash IS NOT NULL");
	db_bind_int(st, 1, id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW) {
		o = dataset_json(st);
		*project_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return o;
}

json_t *store_datasets_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			    int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st =
		desc ? db_stmt(c, "SELECT " DATASET_COLUMNS " FROM dataset_versions"
				  " WHERE project_id = ?1 AND content_hash IS NOT NULL AND id < ?2"
				  " ORDER BY id DESC LIMIT ?3")
		     : db_stmt(c, "SELECT " DATASET_COLUMNS " FROM dataset_versions"
				  " WHERE project_id = ?1 AND content_hash IS NOT NULL AND id > ?2"
				  " ORDER BY id LIMIT ?3");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, cursor ? cursor : (desc ? INT64_MAX : 0));
	db_bind_int(st, 3, limit + 1);
	json_t *items = json_array();
	int64_t last = 0;
	int n = 0;
	*next = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			*next = last;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(items, dataset_json(st));
	}
	sqlite3_reset(st);
	return items;
}

/* ---- deletion ---- */

static int dataset_delete_job(db_conn *c, void *ctx, cl_error *err)
{
	int64_t id = *(int64_t *)ctx;
	sqlite3_stmt *st = db_stmt(c, "SELECT v.version, (SELECT max(version) FROM dataset_versions"
				      " WHERE project_id = v.project_id)"
				      " FROM dataset_versions v WHERE v.id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND, version = 0, latest = 0;
	if (db_step(st) == SQLITE_ROW) {
		version = sqlite3_column_int(st, 0);
		latest = sqlite3_column_int(st, 1);
		rc = 0;
	}
	sqlite3_reset(st);
	if (rc)
		return cl_fail(err, rc, NULL, "dataset not found");
	/* The latest version is what the next one is compared with and what training picks by
	 * default: it stays until a newer one exists. */
	if (version == latest)
		return cl_fail(err, CL_ECONFLICT, "dataset_in_use",
			       "version %d is the project's latest; create a newer one first",
			       version);
	st = db_stmt(c, "DELETE FROM dataset_rows WHERE dataset_id = ?");
	db_bind_int(st, 1, id);
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	st = db_stmt(c, "DELETE FROM dataset_versions WHERE id = ?");
	db_bind_int(st, 1, id);
	return db_exec_stmt(st, err);
}

int store_dataset_delete(db *d, int64_t id, cl_error *err)
{
	return db_write(d, dataset_delete_job, &id, err);
}

/* ---- diff ---- */

static json_t *diff_ref(sqlite3_stmt *st)
{
	return json_pack("{s:I,s:I,s:i}", "task_id", (json_int_t)sqlite3_column_int64(st, 0),
			 "item_id", (json_int_t)sqlite3_column_int64(st, 1), "slot",
			 sqlite3_column_int(st, 2));
}

/* Rows of version a that version b lacks. */
static json_t *diff_missing(db_conn *c, int64_t a, int64_t b, int limit, int64_t *count)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT x.task_id, x.item_id, x.slot FROM dataset_rows x"
				      " WHERE x.dataset_id = ?1 AND NOT EXISTS (SELECT 1 FROM"
				      " dataset_rows y WHERE y.dataset_id = ?2 AND y.task_id = x.task_id)"
				      " ORDER BY x.task_id");
	db_bind_int(st, 1, a);
	db_bind_int(st, 2, b);
	json_t *list = json_array();
	*count = 0;
	while (db_step(st) == SQLITE_ROW)
		if ((*count)++ < limit)
			json_array_append_new(list, diff_ref(st));
	sqlite3_reset(st);
	return list;
}

json_t *store_dataset_diff(db *d, int64_t id, int64_t against, int limit)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	int64_t n_added, n_removed, n_changed = 0;
	json_t *added = diff_missing(c, id, against, limit, &n_added);
	json_t *removed = diff_missing(c, against, id, limit, &n_removed);
	json_t *changed = json_array();
	sqlite3_stmt *st = db_stmt(c, "SELECT x.task_id, x.item_id, x.slot, y.annotation,"
				      " x.annotation, y.split, x.split FROM dataset_rows x"
				      " JOIN dataset_rows y ON y.dataset_id = ?2 AND y.task_id = x.task_id"
				      " WHERE x.dataset_id = ?1 AND (x.annotation != y.annotation"
				      " OR x.split != y.split) ORDER BY x.task_id");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, against);
	while (db_step(st) == SQLITE_ROW) {
		if (n_changed++ >= limit)
			continue;
		json_t *o = diff_ref(st);
		json_t *before = json_loads(db_col_text(st, 3), 0, NULL);
		json_t *after = json_loads(db_col_text(st, 4), 0, NULL);
		json_object_set_new(o, "before", before ? before : json_null());
		json_object_set_new(o, "after", after ? after : json_null());
		if (strcmp(db_col_text(st, 5), db_col_text(st, 6))) {
			json_object_set_new(o, "split_before", json_string(db_col_text(st, 5)));
			json_object_set_new(o, "split_after", json_string(db_col_text(st, 6)));
		}
		json_array_append_new(changed, o);
	}
	sqlite3_reset(st);
	db_read_end(c);
	return json_pack("{s:I,s:I,s:o,s:o,s:o,s:{s:I,s:I,s:I},s:b}", "dataset_id",
			 (json_int_t)id, "against", (json_int_t)against, "added", added, "removed",
			 removed, "changed", changed, "counts", "added", (json_int_t)n_added,
			 "removed", (json_int_t)n_removed, "changed", (json_int_t)n_changed,
			 "truncated", n_added > limit || n_removed > limit || n_changed > limit);
}

/* ---- the export cursor ---- */

struct store_rows {
	db_conn *c;
	sqlite3_stmt *st;
};

store_rows *store_rows_open(db *d, int64_t project_id, int64_t dataset_id)
{
	store_rows *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->c = db_conn_open_reader(d);
	if (!x->c) {
		free(x);
		return NULL;
	}
	/* One read transaction for the cursor's life: a second pass sees the same rows. */
	db_read_begin(x->c);
	if (dataset_id > 0) {
		x->st = db_stmt(x->c, "SELECT r.task_id, r.item_id, r.slot, i.type, i.text, i.blob,"
				      " i.mime, i.width, i.height, r.item_hash, r.annotation,"
				      " r.worker_id, r.reviewer_id, r.round, r.approved_at, r.split"
				      " FROM dataset_rows r JOIN items i ON i.id = r.item_id"
				      " WHERE r.dataset_id = ? ORDER BY r.task_id");
		db_bind_int(x->st, 1, dataset_id);
	} else {
		x->st = db_stmt(x->c, "SELECT t.id, t.item_id, t.slot, i.type, i.text, i.blob,"
				      " i.mime, i.width, i.height, i.content_hash, a.data,"
				      " t.worker_id, t.reviewer_id, t.round, t.approved_at, NULL"
				      " FROM tasks t JOIN items i ON i.id = t.item_id"
				      " JOIN annotations a ON a.id = t.annotation_id"
				      " WHERE t.project_id = ? AND t.state = 'approved' ORDER BY t.id");
		db_bind_int(x->st, 1, project_id);
	}
	return x;
}

static const char *text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		       ? NULL
		       : (const char *)sqlite3_column_text(st, col);
}

int store_rows_next(store_rows *x, export_row *r)
{
	int rc = db_step(x->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return CL_EINTERNAL;
	sqlite3_stmt *st = x->st;
	r->task_id = sqlite3_column_int64(st, 0);
	r->item_id = sqlite3_column_int64(st, 1);
	r->slot = sqlite3_column_int(st, 2);
	const char *type = db_col_text(st, 3);
	r->type = !strcmp(type, "image") ? ITEM_IMAGE : ITEM_TEXT;
	r->text = text_or_null(st, 4);
	r->blob = text_or_null(st, 5);
	r->mime = text_or_null(st, 6);
	r->width = sqlite3_column_int64(st, 7);
	r->height = sqlite3_column_int64(st, 8);
	r->content_hash = db_col_text(st, 9);
	r->annotation = db_col_text(st, 10);
	r->worker_id = sqlite3_column_int64(st, 11);
	r->reviewer_id = sqlite3_column_int64(st, 12);
	r->round = sqlite3_column_int(st, 13);
	r->approved_at = sqlite3_column_int64(st, 14);
	r->split = text_or_null(st, 15);
	return 1;
}

int store_rows_rewind(store_rows *x)
{
	sqlite3_reset(x->st);
	return 0;
}

void store_rows_close(store_rows *x)
{
	if (!x)
		return;
	/* db_stmt hands out statements reset and cleared; leave this one reset for reuse. */
	sqlite3_reset(x->st);
	db_read_end(x->c);
	db_conn_close(x->c);
	free(x);
}
