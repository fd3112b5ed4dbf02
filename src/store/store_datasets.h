/* Dataset versions in SQL (store_datasets.c). A version is a sealed snapshot of a project's
 * approved annotations: rows copy the annotation text (canonical JSON) at snapshot time, so later
 * reviews cannot change them. Also the export rows' read cursor. JSON answers are new
 * references. */
#ifndef CROWDLOOP_STORE_STORE_DATASETS_H
#define CROWDLOOP_STORE_STORE_DATASETS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/dataset.h"
#include "core/export.h"
#include "core/project.h"
#include "store/db.h"
#include "util/err.h"

/* Snapshots project p's approved tasks as its next version, in one write job: each row gets its
 * split from its item's content hash, the version its content hash and counts. *out: the
 * Dataset object (docs/API.md). */
int store_dataset_create(db *d, const project *p, const dataset_ratios *ratios, const char *note,
			 int64_t user_id, json_t **out, cl_error *err);
/* The same, with every item version `test_from` holds in the split it has there and new items
 * in train (0: by hash, default ratios), so that versions share one test split; *id the new
 * version. */
int store_dataset_create_pinned(db *d, const project *p, int64_t test_from, const char *note,
				int64_t user_id, int64_t *id, cl_error *err);
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

/* What project p's export would hold (`snapshot`: a new dataset version, else the live export
 * with `all_answers` or not), counted as the reader below reads it: {"rows","approved",
 * "consolidated","left_out":[{"reason":"gold"|"unfinished_overlap","tasks"}]} with only the
 * reasons that leave something out (new reference; NULL out of memory). */
json_t *store_export_summary(db *d, const project *p, bool snapshot, bool all_answers);

/* A read snapshot of export rows on a connection of its own: a version's rows when
 * dataset_id > 0, else project p's approved work without its gold items: one consolidated row
 * per finished item when p asks for k > 1 annotations per item (unless `all_answers`), else one
 * row per approved task. */
typedef struct store_rows store_rows;
store_rows *store_rows_open(db *d, const project *p, int64_t dataset_id, bool all_answers);
/* Fills *row (strings valid until the next call): 1, 0 at the end, or a negative code. */
int store_rows_next(store_rows *c, export_row *row);
/* Back to the first row of the same snapshot. */
int store_rows_rewind(store_rows *c);
void store_rows_close(store_rows *c);

#endif
