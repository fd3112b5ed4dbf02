/* Items: imported raw data and the tasks each one starts with. */
#include "store/store_items.h"
#include "store/store_imports.h"
#include "store/id_holes.h"
#include "store/store_ledger.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ITEM_COLUMNS                                                                               \
	"id, project_id, type, content_hash, text, mime, width, height, meta, created_at"

static json_t *item_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 9), at);
	json_t *o =
	    json_pack("{s:I,s:I,s:s,s:s,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
		      "project_id", (json_int_t)sqlite3_column_int64(st, 1), "type",
		      db_col_text(st, 2), "content_hash", db_col_text(st, 3), "created_at", at);
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		json_object_set_new(o, "text", json_string(db_col_text(st, 4)));
	if (sqlite3_column_type(st, 5) != SQLITE_NULL) {
		json_object_set_new(o, "mime", json_string(db_col_text(st, 5)));
		json_object_set_new(o, "width", json_integer(sqlite3_column_int64(st, 6)));
		json_object_set_new(o, "height", json_integer(sqlite3_column_int64(st, 7)));
	}
	json_t *meta = sqlite3_column_type(st, 8) != SQLITE_NULL
			   ? json_loads(db_col_text(st, 8), 0, NULL)
			   : NULL;
	json_object_set_new(o, "meta", meta ? meta : json_object());
	return o;
}

struct items_insert {
	int64_t project_id;
	int overlap;
	const item_new *items;
	size_t n;
	json_t *report;
	id_holes item_ids, task_ids; /* ids with places left free for gold between them */
};

static json_t *entry_ref(const item_new *it, int64_t item_id)
{
	json_t *o = json_pack("{s:s,s:I}", "source", it->source ? it->source : "body", "item_id",
			      (json_int_t)item_id);
	if (it->line > 0)
		json_object_set_new(o, "line", json_integer(it->line));
	return o;
}

int store_project_counted(db_conn *c, int64_t project_id, int64_t items, int64_t tasks,
			  cl_error *err)
{
	return db_count(c,
			"UPDATE project_counts SET items = items + ?2, tasks = tasks + ?3"
			" WHERE project_id = ?1",
			"INSERT INTO project_counts(project_id, items, tasks) VALUES (?1,?2,?3)",
			(int64_t[]){project_id, items, tasks}, 3, err);
}

/* Inserts item `it` of the job's project; *item_id its id, or 0 when an item with its content
 * hash is there already. */
static int item_insert(db_conn *c, struct items_insert *a, const item_new *it, int64_t now,
		       int64_t *item_id, cl_error *err)
{
	int64_t reserved, id = id_holes_next(&a->item_ids, &reserved);
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO items(project_id, type, content_hash, text,"
				      " blob, mime, width, height, meta, created_at, id)"
				      " VALUES (?,?,?,?,?,?,?,?,?,?,?)"
				      " ON CONFLICT(project_id, content_hash) DO NOTHING");
	db_bind(st, DB_INT(a->project_id), DB_TEXT(it->type == ITEM_IMAGE ? "image" : "text"), DB_TEXT(it->hash),
		DB_TEXT(it->text), DB_TEXT(it->blob), DB_TEXT(it->mime));
	if (it->type == ITEM_IMAGE) {
		db_bind_int(st, 7, it->width);
		db_bind_int(st, 8, it->height);
	}
	db_bind_text(st, 9, it->meta);
	db_bind_int(st, 10, now);
	db_bind_int(st, 11, id);
	int rc = db_exec_stmt(st, err);
	*item_id = !rc && sqlite3_changes(db_handle(c)) ? id : 0;
	if (*item_id)
		rc = id_holes_keep(c, &a->item_ids, id, reserved, err);
	return rc;
}

/* Makes the job's `overlap` open tasks of a new item. */
static int item_tasks(db_conn *c, struct items_insert *a, int64_t item_id, int64_t now,
		      cl_error *err)
{
	for (int slot = 0; slot < a->overlap; slot++) {
		int64_t reserved, id = id_holes_next(&a->task_ids, &reserved);
		sqlite3_stmt *st =
		    db_stmt(c, "INSERT INTO tasks(id, project_id, item_id, slot, state, updated_at)"
			       " VALUES (?,?,?,?,'open',?)");
		db_bind(st, DB_INT(id), DB_INT(a->project_id), DB_INT(item_id), DB_INT(slot),
			DB_INT(now));
		int rc = db_exec_stmt(st, err);
		if (!rc)
			rc = id_holes_keep(c, &a->task_ids, id, reserved, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Adds n to the report's count `key`. */
static void report_add(json_t *report, const char *key, int64_t n)
{
	json_object_set_new(report, key,
			    json_integer(json_integer_value(json_object_get(report, key)) + n));
}

static int items_insert_job(db_conn *c, void *ctx, cl_error *err)
{
	struct items_insert *a = ctx;
	int64_t now = clock_now_ms();
	int64_t accepted = 0, duplicates = 0;
	/* Report arrays are appended to only after the whole job succeeded, so a rollback leaves
	 * no ids of rows that do not exist. */
	json_t *new_ids = json_array(), *new_dups = json_array();
	if (id_holes_start(c, &a->item_ids, a->project_id, ID_HOLE_ITEM, err) ||
	    id_holes_start(c, &a->task_ids, a->project_id, ID_HOLE_TASK, err))
		goto fail;
	for (size_t i = 0; i < a->n; i++) {
		const item_new *it = &a->items[i];
		int64_t item_id;
		if (item_insert(c, a, it, now, &item_id, err))
			goto fail;
		if (!item_id) {
			sqlite3_stmt *st = db_stmt(
			    c, "SELECT id FROM items WHERE project_id = ? AND content_hash = ?");
			db_bind(st, DB_INT(a->project_id), DB_TEXT(it->hash));
			json_array_append_new(new_dups, entry_ref(it, db_one_int(st)));
			duplicates++;
			continue;
		}
		if (item_tasks(c, a, item_id, now, err))
			goto fail;
		json_array_append_new(new_ids, json_integer(item_id));
		accepted++;
	}
	if (accepted &&
	    store_project_counted(c, a->project_id, accepted, accepted * (int64_t)a->overlap, err))
		goto fail;
	json_array_extend(json_object_get(a->report, "item_ids"), new_ids);
	json_array_extend(json_object_get(a->report, "duplicate_entries"), new_dups);
	json_decref(new_ids);
	json_decref(new_dups);
	report_add(a->report, "accepted", accepted);
	report_add(a->report, "duplicates", duplicates);
	return 0;
fail:
	json_decref(new_ids);
	json_decref(new_dups);
	return cl_fail(err, CL_EINTERNAL, NULL, "could not store the items");
}

int store_items_insert(db *d, int64_t project_id, int overlap, const item_new *items, size_t n,
		       json_t *report, cl_error *err)
{
	struct items_insert a = {
	    .project_id = project_id, .overlap = overlap, .items = items, .n = n, .report = report};
	return db_write(d, items_insert_job, &a, err);
}

struct import_items {
	struct items_insert items;
	const import_record *rec;
};

static int import_items_job(db_conn *c, void *ctx, cl_error *err)
{
	struct import_items *a = ctx;
	int rc = items_insert_job(c, &a->items, err);
	return rc ? rc : store_import_row_done(c, a->rec, a->items.report, err);
}

int store_import_items_insert(db *d, const import_record *rec, int overlap, const item_new *items,
			      size_t n, json_t *report, cl_error *err)
{
	struct import_items a = {{.project_id = rec->project_id,
				  .overlap = overlap,
				  .items = items,
				  .n = n,
				  .report = report},
				 rec};
	return db_write(d, import_items_job, &a, err);
}

json_t *store_item_get(db *d, int64_t id, int64_t *project_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " ITEM_COLUMNS " FROM items WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW) {
		o = item_json(st);
		*project_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return o;
}

int store_item_asset(db *d, int64_t id, int64_t *project_id, char type[8], char blob[80],
		     char mime[40], char **text)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT project_id, type, blob, mime, text "
						 "FROM items WHERE id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*project_id = sqlite3_column_int64(st, 0);
		snprintf(type, 8, "%s", db_col_text(st, 1));
		snprintf(blob, 80, "%s", db_col_text(st, 2));
		snprintf(mime, 40, "%s", db_col_text(st, 3));
		*text =
		    sqlite3_column_type(st, 4) != SQLITE_NULL ? strdup(db_col_text(st, 4)) : NULL;
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

json_t *store_items_list(db *d, int64_t project_id, const char *type, int64_t cursor, int limit,
			 bool desc, int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st =
	    desc
		? db_stmt(c, "SELECT " ITEM_COLUMNS " FROM items WHERE project_id = ?1"
			     " AND (?2 IS NULL OR type = ?2) AND id < ?3 ORDER BY id DESC LIMIT ?4")
		: db_stmt(c, "SELECT " ITEM_COLUMNS " FROM items WHERE project_id = ?1"
			     " AND (?2 IS NULL OR type = ?2) AND id > ?3 ORDER BY id LIMIT ?4");
	db_bind(st, DB_INT(project_id), DB_TEXT(type),
		DB_INT(cursor ? cursor : (desc ? INT64_MAX : 0)), DB_INT(limit + 1));
	return db_page(st, limit, item_json, next);
}

