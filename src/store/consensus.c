/* Consensus rows in SQL: the approved annotations of each item, walked for core's agreement
 * report (core/agreement.c), and the consolidated answer of each item for the consensus page. */
#include "store/consensus.h"
#include "core/quality.h"
#include "store/store_accounts.h"

#include <math.h>
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

json_t *store_consensus(db *d, const project *p, int64_t cursor, int limit, int64_t *next)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = approved_items(c, p->id, cursor, limit + 1);
	sqlite3_stmt *text = db_stmt(c, "SELECT text FROM items WHERE id = ?");
	int64_t *ids = calloc((size_t)limit + 1, sizeof *ids);
	int64_t last_task = 0;
	int n = 0;
	while (ids && n <= limit && db_step(st) == SQLITE_ROW) {
		if (n < limit)
			last_task = sqlite3_column_int64(st, 0);
		ids[n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	*next = 0;
	if (n > limit) {
		n = limit;
		*next = last_task;
	}
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *anns[MAX_PER_ITEM];
		int64_t workers[MAX_PER_ITEM];
		size_t k = item_annotations(c, ids[i], anns, workers, MAX_PER_ITEM);
		double agreement = 0;
		json_t *cons = quality_consolidate(p->kind, p->multi_label, anns, k, &agreement);
		json_t *who = json_array();
		for (size_t q = 0; q < k; q++)
			json_array_append_new(who, json_integer(workers[q]));
		json_t *o =
		    json_pack("{s:I,s:I,s:b,s:o,s:o}", "item_id", (json_int_t)ids[i], "annotations",
			      (json_int_t)k, "complete", (int)k >= p->overlap, "workers", who,
			      "consolidated", cons ? cons : json_null());
		json_object_set_new(o, "agreement", k > 1 ? json_real(agreement) : json_null());
		db_bind_int(text, 1, ids[i]);
		json_object_set_new(o, "text",
				    db_step(text) == SQLITE_ROW &&
					    sqlite3_column_type(text, 0) != SQLITE_NULL
					? json_string(db_col_text(text, 0))
					: json_null());
		sqlite3_reset(text);
		json_array_append_new(items, o);
		for (size_t q = 0; q < k; q++)
			json_decref(anns[q]);
	}
	free(ids);
	db_read_end(c);
	return items;
}

void store_each_approved_item(db *d, int64_t project_id, bool with_meta, approved_item_fn *fn,
			      void *ctx)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = approved_items(c, project_id, 0, -1);
	sqlite3_stmt *meta = with_meta ? db_stmt(c, "SELECT meta FROM items WHERE id = ?") : NULL;
	while (db_step(st) == SQLITE_ROW) {
		json_t *anns[MAX_PER_ITEM];
		int64_t who[MAX_PER_ITEM];
		approved_item it = {.item_id = sqlite3_column_int64(st, 1), .anns = anns,
				    .workers = who};
		it.k = item_annotations(c, it.item_id, anns, who, MAX_PER_ITEM);
		json_t *m = NULL;
		if (meta) {
			db_bind_int(meta, 1, it.item_id);
			if (db_step(meta) == SQLITE_ROW && sqlite3_column_type(meta, 0) != SQLITE_NULL)
				m = json_loads(db_col_text(meta, 0), 0, NULL);
			sqlite3_reset(meta);
		}
		it.meta = m;
		fn(&it, ctx);
		json_decref(m);
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
