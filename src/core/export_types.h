/* An export's row as a plain type: the store reads rows into it, core/export.h writes files
 * from it. */
#ifndef CROWDLOOP_CORE_EXPORT_TYPES_H
#define CROWDLOOP_CORE_EXPORT_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"

/* A project's approved tasks as the store counts them for an export's summary: all of them, those
 * of gold items, those of other items still worked on (unfinished), and the finished items (not
 * gold) they are of. */
typedef struct export_counts {
	int64_t approved, gold, unfinished, items;
} export_counts;

/* What an export or a dataset version would hold (core/dataset.c, dataset_export_summary):
 * its rows, whether an item's answers are consolidated into one, and the approved tasks it leaves
 * out, gold and (when only finished items go in) unfinished. */
typedef struct export_summary {
	int64_t rows, approved, gold_left_out, unfinished_left_out;
	bool consolidated, finished_only;
} export_summary;

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
