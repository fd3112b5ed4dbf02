/* Background imports' records in SQL (store_imports.c): what GET /projects/{id}/imports/{id}
 * answers once the import is no longer in the server's memory (a restart, or a thousand later
 * imports). An import's record turns "done" in the transaction that stores its items
 * (store_import_items_insert, store_items.c), so a record never says done without its items
 * nor the items stay without it. */
#ifndef CROWDLOOP_STORE_STORE_IMPORTS_H
#define CROWDLOOP_STORE_STORE_IMPORTS_H

#include <jansson.h>
#include <stdint.h>

#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

/* A new record, queued, of an import of `bytes_total` bytes into project `project_id`; *id is
 * the import's id. */
int store_import_insert(db *d, int64_t project_id, int64_t bytes_total, int64_t created_at,
			int64_t *id, cl_error *err);
/* Writes the record's state (not "done": store_import_items_insert's), progress (JSON text),
 * error (code and message, NULL when none) and end (0: not ended). */
int store_import_update(db *d, const import_record *rec, cl_error *err);
/* Within a transaction: the record turns done with its report and progress. */
int store_import_row_done(db_conn *c, const import_record *rec, const json_t *report,
			  cl_error *err);
/* The Import object of project `project_id`'s import `id` from its record; NULL when none. */
json_t *store_import_get(db *d, int64_t project_id, int64_t id);
/* Every import still queued, running or storing (a server stopped by a kill, or a crash, left
 * it so; its items were not stored) is failed with `code` and `message`, ended at `now`.
 * *n: how many. */
int store_imports_interrupted(db *d, const char *code, const char *message, int64_t now,
			      int *n, cl_error *err);

#endif
