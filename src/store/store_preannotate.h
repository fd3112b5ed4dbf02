/* Batch pre-annotation runs in SQL (store_preannotate.c): a run predicts every open item of a
 * project with an endpoint's model, a slice at a time on the job runner's thread
 * (api/preannotate.c), and keeps its progress. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_PREANNOTATE_H
#define CROWDLOOP_STORE_STORE_PREANNOTATE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

/* What a run predicts with: an endpoint, or a model version's checked targets (JSON text). */
typedef struct preannotation_model {
	int64_t endpoint_id; /* 0 when a model version */
	int64_t model_version_id;
	const char *targets;
} preannotation_model;
/* A new queued run of project `project_id` with model `m`; its total is the project's open
 * items now. *out its PreannotationRun object. */
int store_preannotation_run_create(db *d, int64_t project_id, const preannotation_model *m,
				   int64_t user_id, json_t **out, cl_error *err);
/* A project's runs, newest first (at most 100). */
json_t *store_preannotation_runs(db *d, int64_t project_id);

/* The oldest run still to do. */
typedef struct preannotation_run {
	int64_t id, project_id, endpoint_id, cursor;
	json_t *targets; /* a model version's checked targets (owned), NULL with an endpoint */
} preannotation_run;
/* 0 and *run (json_decref its targets), or CL_ENOTFOUND when no run waits. */
int store_preannotation_run_next(db *d, preannotation_run *run);

/* An open item of the run's project after its cursor. */
typedef struct preannotation_item {
	int64_t id;
	bool text;	       /* a text item */
	bool image;	       /* an image item: content is its blob's name */
	char *content;	       /* the text or the blob's name, malloc'd; NULL for other types */
	int64_t width, height; /* an image's */
} preannotation_item;
/* Up to `max` open items of `project_id` with ids above `after`, in id order; *n how many. */
int store_preannotation_items(db *d, int64_t project_id, int64_t after, preannotation_item *out,
			      int max, int *n);

/* One item's answer: its pre-annotation (borrowed; NULL: skipped, nothing written). */
typedef struct preannotation_result {
	int64_t item_id;
	const json_t *preannotation;
} preannotation_result;
/* Writes a slice in one transaction: each answer as its item's meta.preannotation, the run's
 * cursor moved to `cursor`, its counts, and its state: "done" when `finished`, else
 * "running". */
int store_preannotation_apply(db *d, int64_t run_id, const preannotation_result *results, int n,
			      int64_t cursor, bool finished, cl_error *err);
/* Ends a run as "failed" with `why`. */
int store_preannotation_fail(db *d, int64_t run_id, const char *why, cl_error *err);

#endif
