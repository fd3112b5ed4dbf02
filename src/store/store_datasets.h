/* Dataset versions in SQL (store_datasets.c). A version is a sealed snapshot of a project's
 * approved annotations: rows copy the annotation text (canonical JSON) at snapshot time, so later
 * reviews cannot change them. Also the export rows' read cursor. JSON answers are new
 * references. */
#ifndef CROWDLOOP_STORE_STORE_DATASETS_H
#define CROWDLOOP_STORE_STORE_DATASETS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

/* The rows core's seal writes (store/ops.h documents each as its slot). */
int store_dataset_version_add(db_conn *c, const dataset_version *v, int64_t now, int64_t *id,
			      cl_error *err);
int store_dataset_row_add(db_conn *c, int64_t dataset_id, const export_row *r, const char *split,
			  const char *canon, cl_error *err);
bool store_dataset_row_split(db_conn *c, int64_t dataset_id, const char *item_hash,
			     char split[16]);
int store_dataset_version_seal(db_conn *c, int64_t id, const char *digest, int64_t rows,
			       int64_t items, const char *counts, cl_error *err);
/* The Dataset object of a version and its project id; NULL when missing. */
json_t *store_dataset_get(db *d, int64_t id, int64_t *project_id);
/* A page of a project's versions by id. */
json_t *store_datasets_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			    int64_t *next);
/* Deletes a version and its rows; CL_ECONFLICT ("dataset_in_use") when it is its project's
 * latest version, CL_ENOTFOUND when missing. */
int store_dataset_delete(db *d, int64_t id, cl_error *err);
/* What changed from version `against` to version `id` (rows keyed by task): up to `limit`
 * entries in each of "added", "removed", "changed", with full counts. */
json_t *store_dataset_diff(db *d, int64_t id, int64_t against, int limit);

/* Project project_id's approved tasks counted for an export's summary (store_ops.export_counts;
 * core/dataset.c decides what they make). */
void store_export_counts(db *d, int64_t project_id, export_counts *out);

/* A read snapshot of export rows on a connection of its own: project p's approved work in
 * `order` (store/ops.h, rows_order), or a version's rows (store_dataset_rows_open); core's
 * dataset_rows consolidates an item's rows. */
typedef struct store_rows store_rows;
store_rows *store_rows_open(db *d, int64_t project_id, rows_order order);
store_rows *store_dataset_rows_open(db *d, int64_t dataset_id);
/* The same rows in a job's transaction on c (closing leaves c alone). */
store_rows *store_rows_open_tx(db_conn *c, int64_t project_id, rows_order order);
/* Fills *row (strings valid until the next call): 1, 0 at the end, or a negative code. */
int store_rows_next(store_rows *c, export_row *row);
/* Back to the first row of the same snapshot. */
int store_rows_rewind(store_rows *c);
void store_rows_close(store_rows *c);

#endif
