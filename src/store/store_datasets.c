/* Dataset versions: the rows core's seal (core/dataset.c) writes, reading versions, their diff
 * and deletion, and the row cursor every export and every seal reads from. */
#include "store/store_datasets.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DATASET_COLUMNS                                                                            \
	"id, project_id, version, kind, labels, ratio_train, ratio_validation, ratio_test,"        \
	" content_hash, rows, items, counts, note, created_by, created_at, test_from"

static json_t *json_text_col(sqlite3_stmt *st, int col, json_t *fallback)
{
	json_t *v = json_loads(db_col_text(st, col), 0, NULL);
	if (v) {
		json_decref(fallback);
		return v;
	}
	return fallback;
}

/* A version's answer; test_from names the version whose test split it keeps (the retraining
 * pipeline's), null when its split is by hash. */
static json_t *dataset_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 14), at);
	json_t *o = json_pack("{s:I,s:I,s:i,s:s,s:o,s:{s:f,s:f,s:f},s:s,s:I,s:I,s:o,s:s,s:I,s:s}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "project_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "version",
			 sqlite3_column_int(st, 2), "kind", db_col_text(st, 3), "labels",
			 json_text_col(st, 4, json_array()), "split", "train",
			 sqlite3_column_double(st, 5), "validation", sqlite3_column_double(st, 6),
			 "test", sqlite3_column_double(st, 7), "content_hash", db_col_text(st, 8),
			 "rows", (json_int_t)sqlite3_column_int64(st, 9), "items",
			 (json_int_t)sqlite3_column_int64(st, 10), "counts",
			 json_text_col(st, 11, json_object()), "note", db_col_text(st, 12),
			 "created_by", (json_int_t)sqlite3_column_int64(st, 13), "created_at", at);
	json_object_set_new(o, "test_from", sqlite3_column_type(st, 15) == SQLITE_NULL
						? json_null()
						: json_integer(sqlite3_column_int64(st, 15)));
	return o;
}

/* ---- reading approved rows ----
 *
 * Every reader of approved work (the live export, the snapshot that seals a version) gets its
 * rows from one statement with the columns below, and through one reader that leaves out gold
 * items (their answers are the platform's, not the crowd's work) and, when a project asks for k
 * annotations per item, turns the approved annotations of each finished item into one
 * consolidated row. */

#define ROW_COLUMNS                                                                                \
	"t.id, t.item_id, t.slot, i.type, i.text, i.blob, i.mime, i.width, i.height,"              \
	" i.content_hash, a.data, t.worker_id, t.reviewer_id, t.round, t.approved_at"
#define ROW_FROM_TASKS                                                                             \
	" FROM tasks t JOIN items i ON i.id = t.item_id JOIN annotations a ON a.id = "             \
	"t.annotation_id"
#define ROW_FROM_ITEMS                                                                             \
	" FROM items i CROSS JOIN tasks t ON t.item_id = i.id"                                     \
	" JOIN annotations a ON a.id = t.annotation_id"
#define ROW_NOT_GOLD " AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = t.item_id)"
/* An item is finished when none of its tasks is still being worked on or reviewed. */
#define ROW_FINISHED                                                                               \
	" AND NOT EXISTS (SELECT 1 FROM tasks u WHERE u.item_id = t.item_id"                       \
	" AND u.state NOT IN ('approved', 'discarded'))"

typedef struct row_reader {
	sqlite3_stmt *st;
} row_reader;

static const char *text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		   ? NULL
		   : (const char *)sqlite3_column_text(st, col);
}

/* Fills r from the statement's current row; strings borrowed from the statement. */
static void row_from_stmt(sqlite3_stmt *st, export_row *r)
{
	r->task_id = sqlite3_column_int64(st, 0);
	r->item_id = sqlite3_column_int64(st, 1);
	r->slot = sqlite3_column_int(st, 2);
	r->type = !strcmp(db_col_text(st, 3), "image") ? ITEM_IMAGE : ITEM_TEXT;
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
	r->split = sqlite3_column_count(st) > 15 ? text_or_null(st, 15) : NULL;
	r->annotators = 1;
	r->agreement = -1;
	if (sqlite3_column_count(st) > 17) {
		r->annotators = sqlite3_column_int(st, 16);
		if (sqlite3_column_type(st, 17) != SQLITE_NULL)
			r->agreement = sqlite3_column_double(st, 17);
	}
}

static int reader_next(row_reader *x, export_row *r)
{
	int rc = db_step(x->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return CL_EINTERNAL;
	row_from_stmt(x->st, r);
	return 1;
}

static void reader_rewind(row_reader *x)
{
	sqlite3_reset(x->st);
}

static void reader_close(row_reader *x)
{
	/* db_stmt hands out statements reset and cleared; leave this one reset for reuse. */
	if (x->st)
		sqlite3_reset(x->st);
}

/* Whether a project's items carry gold answers: when none do, the export statement skips the
 * check for each row. */
static bool project_has_gold(db_conn *c, int64_t project_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM gold_items WHERE project_id = ? LIMIT 1");
	db_bind_int(st, 1, project_id);
	bool yes = db_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return yes;
}

/* Opens the approved rows of project `project_id` on connection c in `order`. */
static void reader_open_project(row_reader *x, db_conn *c, int64_t project_id, rows_order order)
{
	memset(x, 0, sizeof *x);
	/* Items first (CROSS JOIN fixes the order: an index of items gives it), then each item's
	 * tasks by slot: the rows arrive grouped without a sort, however many there are. */
	if (order == ROWS_BY_HASH)
		x->st = db_stmt(c, "SELECT " ROW_COLUMNS ROW_FROM_ITEMS " WHERE i.project_id = ?"
				   " AND t.state = 'approved'" ROW_NOT_GOLD ROW_FINISHED
				   " ORDER BY i.content_hash, t.slot");
	else if (order == ROWS_BY_ITEM)
		x->st = db_stmt(c, "SELECT " ROW_COLUMNS ROW_FROM_ITEMS " WHERE i.project_id = ?"
				   " AND t.state = 'approved'" ROW_NOT_GOLD ROW_FINISHED
				   " ORDER BY i.id, t.slot");
	else if (project_has_gold(c, project_id))
		x->st = db_stmt(c, "SELECT " ROW_COLUMNS ROW_FROM_TASKS " WHERE t.project_id = ?"
				   " AND t.state = 'approved'" ROW_NOT_GOLD " ORDER BY t.id");
	else
		x->st = db_stmt(c, "SELECT " ROW_COLUMNS ROW_FROM_TASKS " WHERE t.project_id = ?"
				   " AND t.state = 'approved' ORDER BY t.id");
	db_bind_int(x->st, 1, project_id);
}

/* ---- what an export holds, before it is made ---- */

void store_export_counts(db *d, int64_t project_id, export_counts *out)
{
	db_conn *c = db_reader(d);
	/* The same conditions as the reader's: gold items, and items one of whose tasks is still
	 * worked on (an export of finished items only leaves their tasks out). */
	sqlite3_stmt *st = db_stmt(
	    c,
	    "WITH a AS (SELECT t.item_id, EXISTS (SELECT 1 FROM gold_items g"
	    "  WHERE g.item_id = t.item_id) AS gold,"
	    "  NOT EXISTS (SELECT 1 FROM tasks u WHERE u.item_id = t.item_id"
	    "  AND u.state NOT IN ('approved', 'discarded')) AS finished"
	    "  FROM tasks t INDEXED BY tasks_approved WHERE t.project_id = ?"
	    "  AND t.state = 'approved')"
	    " SELECT count(*), coalesce(sum(gold), 0), coalesce(sum(NOT gold AND NOT finished), 0),"
	    " count(DISTINCT iif(NOT gold AND finished, item_id, NULL)) FROM a");
	db_bind_int(st, 1, project_id);
	*out = (export_counts){0};
	if (db_step(st) == SQLITE_ROW) {
		out->approved = sqlite3_column_int64(st, 0);
		out->gold = sqlite3_column_int64(st, 1);
		out->unfinished = sqlite3_column_int64(st, 2);
		out->items = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
}

/* ---- the snapshot's rows (core/dataset.c seals a version through them) ---- */

int store_dataset_version_add(db_conn *c, const dataset_version *v, int64_t now, int64_t *id,
			      cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT coalesce(max(version), 0) + 1 FROM dataset_versions"
				      " WHERE project_id = ?");
	db_bind_int(st, 1, v->project_id);
	int version = db_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : 1;
	sqlite3_reset(st);

	st = db_stmt(c,
		     "INSERT INTO dataset_versions(project_id, version, kind, labels, ratio_train,"
		     " ratio_validation, ratio_test, note, created_by, created_at, test_from)"
		     " VALUES (?,?,?,?,?,?,?,?,?,?,?)");
	db_bind(st, DB_INT(v->project_id), DB_INT(version), DB_TEXT(v->kind), DB_TEXT(v->labels),
		DB_REAL(v->ratios.train), DB_REAL(v->ratios.validation), DB_REAL(v->ratios.test),
		DB_TEXT(v->note ? v->note : ""), DB_INT(v->user_id), DB_INT(now));
	if (v->test_from) /* else NULL: a version of its own splits */
		db_bind_int(st, 11, v->test_from);
	int rc = db_exec_stmt(st, err);
	if (!rc)
		*id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_dataset_row_add(db_conn *c, int64_t dataset_id, const export_row *r, const char *split,
			  const char *canon, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO dataset_rows(dataset_id, task_id, item_id, slot, item_hash,"
		       " split, annotation, worker_id, reviewer_id, round, approved_at,"
		       " annotators, agreement) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)");
	db_bind(st, DB_INT(dataset_id), DB_INT(r->task_id), DB_INT(r->item_id), DB_INT(r->slot),
		DB_TEXT(r->content_hash), DB_TEXT(split), DB_TEXT(canon));
	if (r->worker_id)
		db_bind_int(st, 8, r->worker_id);
	if (r->reviewer_id)
		db_bind_int(st, 9, r->reviewer_id);
	db_bind_int(st, 10, r->round);
	db_bind_int(st, 11, r->approved_at);
	db_bind_int(st, 12, r->annotators);
	if (r->agreement >= 0)
		sqlite3_bind_double(st, 13, r->agreement);
	return db_exec_stmt(st, err);
}

bool store_dataset_row_split(db_conn *c, int64_t dataset_id, const char *item_hash,
			     char split[16])
{
	sqlite3_stmt *st = db_stmt(c, "SELECT split FROM dataset_rows WHERE dataset_id = ?"
				      " AND item_hash = ? LIMIT 1");
	db_bind(st, DB_INT(dataset_id), DB_TEXT(item_hash));
	bool found = db_step(st) == SQLITE_ROW;
	snprintf(split, 16, "%s", found ? db_col_text(st, 0) : "");
	sqlite3_reset(st);
	return found;
}

int store_dataset_version_seal(db_conn *c, int64_t id, const char *digest, int64_t rows,
			       int64_t items, const char *counts, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE dataset_versions SET content_hash = ?, rows = ?,"
				      " items = ?, counts = ? WHERE id = ?");
	db_bind(st, DB_TEXT(digest), DB_INT(rows), DB_INT(items), DB_TEXT(counts), DB_INT(id));
	return db_exec_stmt(st, err);
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

#define DATASET_LIST_QUERY                                                                         \
	"SELECT " DATASET_COLUMNS " FROM dataset_versions"                                         \
	" WHERE project_id = ?1 AND content_hash IS NOT NULL"

json_t *store_datasets_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			    int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, DATASET_LIST_QUERY, "id"));
	return db_owned_page(st, project_id, cursor, limit, desc, dataset_json, next);
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
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT x.task_id, x.item_id, x.slot FROM dataset_rows x"
		       " WHERE x.dataset_id = ?1 AND NOT EXISTS (SELECT 1 FROM"
		       " dataset_rows y WHERE y.dataset_id = ?2 AND y.task_id = x.task_id)"
		       " ORDER BY x.task_id");
	db_bind(st, DB_INT(a), DB_INT(b));
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
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT x.task_id, x.item_id, x.slot, y.annotation,"
		       " x.annotation, y.split, x.split FROM dataset_rows x"
		       " JOIN dataset_rows y ON y.dataset_id = ?2 AND y.task_id = x.task_id"
		       " WHERE x.dataset_id = ?1 AND (x.annotation != y.annotation"
		       " OR x.split != y.split) ORDER BY x.task_id");
	db_bind(st, DB_INT(id), DB_INT(against));
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
	return json_pack("{s:I,s:I,s:o,s:o,s:o,s:{s:I,s:I,s:I},s:b}", "dataset_id", (json_int_t)id,
			 "against", (json_int_t)against, "added", added, "removed", removed,
			 "changed", changed, "counts", "added", (json_int_t)n_added, "removed",
			 (json_int_t)n_removed, "changed", (json_int_t)n_changed, "truncated",
			 n_added > limit || n_removed > limit || n_changed > limit);
}

/* ---- the export cursor ---- */

struct store_rows {
	db_conn *c;
	bool own; /* c is the cursor's own connection (else a job's transaction) */
	row_reader rd;
};

static store_rows *rows_new(db *d)
{
	store_rows *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->c = db_conn_open_reader(d);
	if (!x->c) {
		free(x);
		return NULL;
	}
	x->own = true;
	/* One read transaction for the cursor's life: a second pass sees the same rows. */
	db_read_begin(x->c);
	return x;
}

store_rows *store_rows_open(db *d, int64_t project_id, rows_order order)
{
	store_rows *x = rows_new(d);
	if (x)
		reader_open_project(&x->rd, x->c, project_id, order);
	return x;
}

store_rows *store_rows_open_tx(db_conn *c, int64_t project_id, rows_order order)
{
	store_rows *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->c = c;
	reader_open_project(&x->rd, c, project_id, order);
	return x;
}

store_rows *store_dataset_rows_open(db *d, int64_t dataset_id)
{
	store_rows *x = rows_new(d);
	if (!x)
		return NULL;
	/* A version's rows are already what it sealed: one per item when consolidated. */
	x->rd.st = db_stmt(x->c, "SELECT r.task_id, r.item_id, r.slot, i.type, i.text, i.blob,"
				 " i.mime, i.width, i.height, r.item_hash, r.annotation,"
				 " r.worker_id, r.reviewer_id, r.round, r.approved_at, r.split,"
				 " r.annotators, r.agreement"
				 " FROM dataset_rows r JOIN items i ON i.id = r.item_id"
				 " WHERE r.dataset_id = ? ORDER BY r.task_id");
	db_bind_int(x->rd.st, 1, dataset_id);
	return x;
}

int store_rows_next(store_rows *x, export_row *r)
{
	return reader_next(&x->rd, r);
}

int store_rows_rewind(store_rows *x)
{
	reader_rewind(&x->rd);
	return 0;
}

void store_rows_close(store_rows *x)
{
	if (!x)
		return;
	reader_close(&x->rd);
	if (x->own) {
		db_read_end(x->c);
		db_conn_close(x->c);
	}
	free(x);
}
