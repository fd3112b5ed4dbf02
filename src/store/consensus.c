/* Consensus rows in SQL: the approved annotations of each item, walked for core's agreement
 * report (core/agreement.c) and consensus page (core/consensus.c), which consolidate them. */
#include "store/consensus.h"
#include "store/store_accounts.h"

#include <stdlib.h>

/* The approved annotations of one item, with their workers. */
static size_t item_annotations(db_conn *c, int64_t item_id, json_t **anns, int64_t *workers,
			       size_t max)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT a.data, coalesce(t.worker_id, 0) FROM tasks t"
		       " JOIN annotations a ON a.id = t.annotation_id"
		       " WHERE t.item_id = ? AND t.state = 'approved' ORDER BY t.slot");
	db_bind_int(st, 1, item_id);
	size_t n = 0;
	while (n < max && db_step(st) == SQLITE_ROW) {
		json_t *a = json_loads(db_col_text(st, 0), 0, NULL);
		if (!a)
			continue;
		anns[n] = a;
		workers[n] = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_reset(st);
	return n;
}

#define MAX_PER_ITEM 64

/* The project's items with an approved annotation (gold left out), in item order, after the
 * approved task `after`, at most `limit` (-1: all): column 0 is the item's first approved task,
 * column 1 the item. Each item is met at its first approved task, walking the approved tasks'
 * index, so a page reads only its own rows. An item's tasks are made with it: task order is
 * item order. */
static sqlite3_stmt *approved_items(db_conn *c, int64_t project_id, int64_t after, int limit)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT t.id, t.item_id FROM tasks t WHERE t.project_id = ?1"
		       " AND t.state = 'approved' AND t.id > ?2"
		       " AND NOT EXISTS (SELECT 1 FROM tasks s WHERE s.item_id = t.item_id"
		       " AND s.state = 'approved' AND s.id < t.id)"
		       " AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = t.item_id)"
		       " ORDER BY t.id LIMIT ?3");
	db_bind(st, DB_INT(project_id), DB_INT(after), DB_INT(limit));
	return st;
}

/* An item's text or meta column into a new JSON value (meta) or a borrowed string (text) of
 * statement st bound to the item; NULL when the column is. */
static const char *item_column(sqlite3_stmt *st, int64_t item_id)
{
	sqlite3_reset(st);
	db_bind_int(st, 1, item_id);
	if (db_step(st) != SQLITE_ROW || sqlite3_column_type(st, 0) == SQLITE_NULL)
		return NULL;
	return db_col_text(st, 0);
}

void store_each_approved_item(db *d, int64_t project_id, const approved_walk *w,
			      approved_item_fn *fn, void *ctx)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = approved_items(c, project_id, w->after, w->limit);
	sqlite3_stmt *meta = w->with_meta ? db_stmt(c, "SELECT meta FROM items WHERE id = ?") : NULL;
	sqlite3_stmt *text = w->with_text ? db_stmt(c, "SELECT text FROM items WHERE id = ?") : NULL;
	while (db_step(st) == SQLITE_ROW) {
		json_t *anns[MAX_PER_ITEM];
		int64_t who[MAX_PER_ITEM];
		approved_item it = {.item_id = sqlite3_column_int64(st, 1),
				    .first_task = sqlite3_column_int64(st, 0),
				    .anns = anns,
				    .workers = who};
		it.k = item_annotations(c, it.item_id, anns, who, MAX_PER_ITEM);
		const char *m = meta ? item_column(meta, it.item_id) : NULL;
		json_t *mj = m ? json_loads(m, 0, NULL) : NULL;
		it.meta = mj;
		it.text = text ? item_column(text, it.item_id) : NULL;
		fn(&it, ctx);
		json_decref(mj);
		if (meta)
			sqlite3_reset(meta);
		if (text)
			sqlite3_reset(text);
		for (size_t a = 0; a < it.k; a++)
			json_decref(anns[a]);
	}
	sqlite3_reset(st);
	db_read_end(c);
}

void store_user_name(db *d, int64_t user_id, char *out, size_t size)
{
	json_t *u = store_user_get(d, user_id);
	const char *name = u ? json_string_value(json_object_get(u, "username")) : NULL;
	snprintf(out, size, "%s", name ? name : "");
	json_decref(u);
}
