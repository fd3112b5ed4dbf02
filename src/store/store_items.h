/* Items in SQL (store_items.c): inserting imported items with their tasks, reading them back, and
 * the project totals every job that adds items or tasks counts into. */
#ifndef CROWDLOOP_STORE_STORE_ITEMS_H
#define CROWDLOOP_STORE_STORE_ITEMS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

/* Inserts items of a project with `overlap` tasks each, skipping ones whose hash exists; one
 * transaction. Appends to report: item_ids and duplicate_entries, and bumps accepted/duplicates. */
int store_items_insert(db *d, int64_t project_id, int overlap, const item_new *items, size_t n,
		       json_t *report, cl_error *err);
/* store_items_insert for background import `rec` (store/store_imports.h): its record turns
 * done in the same transaction. */
int store_import_items_insert(db *d, const import_record *rec, int overlap, const item_new *items,
			      size_t n, json_t *report, cl_error *err);
/* An Item object; *project_id set. NULL when missing. */
json_t *store_item_get(db *d, int64_t id, int64_t *project_id);
/* What the asset route needs; CL_ENOTFOUND when missing. Strings copied into the buffers. */
int store_item_asset(db *d, int64_t id, int64_t *project_id, char type[8], char blob[80],
		     char mime[40], char **text);
json_t *store_items_list(db *d, int64_t project_id, const char *type, int64_t cursor, int limit,
			 bool desc, int64_t *next);

/* Counts `items` new items and `tasks` new tasks into a project's totals (project_counts),
 * which statistics read. Every job that adds items or tasks goes through here. */
int store_project_counted(db_conn *c, int64_t project_id, int64_t items, int64_t tasks,
			  cl_error *err);


#endif
