/* An export's row as a plain type: the store reads rows into it, core/export.h writes files
 * from it. */
#ifndef CROWDLOOP_CORE_EXPORT_TYPES_H
#define CROWDLOOP_CORE_EXPORT_TYPES_H

#include <stdint.h>

#include "core/project_types.h"

/* One approved annotation with its item. Strings are borrowed until the next row. */
typedef struct export_row {
	int64_t task_id;
	int64_t item_id;
	int slot;
	item_type type;
	const char *text;          /* text items, else NULL */
	const char *blob;          /* image items: the blob name, else NULL */
	const char *mime;          /* image items */
	int64_t width, height;     /* image items */
	const char *content_hash;  /* the item's SHA-256 hex */
	const char *annotation;    /* JSON text of the approved annotation */
	int64_t worker_id;         /* 0 when none */
	int64_t reviewer_id;       /* 0 when none */
	int round;
	int64_t approved_at;       /* ms since the epoch */
	const char *split;         /* "train"/"validation"/"test" for a version, NULL live */
	int annotators;            /* annotations consolidated into this row (1: the task's own) */
	double agreement;          /* their mean agreement with the result, < 0 when none */
} export_row;

#endif
