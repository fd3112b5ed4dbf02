/* Dataset versions without SQL: the deterministic train/validation/test split of an item by its
 * content hash, the canonical content hash of a version's rows, and the per-label counts of an
 * annotation. A version's hash depends only on its rows' item contents, slots, splits and
 * annotations (canonical JSON), never on ids or times, so equal data gives an equal hash. */
#ifndef CROWDLOOP_CORE_DATASET_H
#define CROWDLOOP_CORE_DATASET_H

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>

#include "core/dataset_types.h"
#include "core/project.h"
#include "store/ops.h"
#include "util/err.h"


/* 0.8 / 0.1 / 0.1. */
void dataset_ratios_default(dataset_ratios *r);
/* Reads {"train":x,"validation":y,"test":z} (each in [0,1], summing to 1; a missing member
 * counts as 0 when the others are given); NULL keeps the defaults. CL_EINVAL naming the
 * problem otherwise. */
int dataset_ratios_parse(const json_t *in, dataset_ratios *r, cl_error *err);

/* "train", "validation", "test". */
const char *dataset_split_name(dataset_split s);
int dataset_split_parse(const char *name, dataset_split *out);

/* The split of an item from its content hash (64 hex digits): the first 16 digits as a number
 * in [0,1) compared with the cumulative ratios. The same hash and ratios always give the same
 * split; growing the train share only moves items from validation/test into train. */
dataset_split dataset_split_of(const char *content_hash, const dataset_ratios *r);

/* The canonical text of an annotation (sorted keys, compact); a new string to free(), or NULL
 * when `json_text` does not parse. */
char *dataset_canonical_json(const char *json_text);

/* The running SHA-256 of a version's rows, fed in (item hash, slot) order. */
typedef struct dataset_hasher {
	crypto_hash_sha256_state st;
} dataset_hasher;

/* Starts a hash over the header "crowdloop-dataset-v1\n<kind>\n<labels JSON>\n". */
void dataset_hasher_init(dataset_hasher *h, task_kind kind, const char *labels_json);
/* Adds one row: "<item hash>\t<slot>\t<split>\t<canonical annotation>\n". */
void dataset_hasher_row(dataset_hasher *h, const char *item_hash, int slot, dataset_split split,
			const char *canonical_annotation);
/* Writes the hex digest (65 bytes with the NUL). */
void dataset_hasher_final(dataset_hasher *h, char out[65]);

/* Adds an annotation's labels to `counts` ({"label": n}, borrowed): one per chosen class, box or
 * span. Unknown shapes add nothing. */
void dataset_count_labels(const json_t *annotation, json_t *counts);

/* Project p's approved rows as an export reads them: `raw` gives the store's rows, and when
 * `group` (p asks for k > 1 annotations per item and the rows come an item at a time, in slot
 * order) an item's rows come out as one row with their consolidated answer. Strings are valid
 * until the next call. */
typedef struct dataset_rows {
	int (*next)(void *ctx, export_row *row); /* the store's rows */
	void *ctx;
	bool group;
	task_kind kind;
	bool multi_label;
	int ahead;	     /* 1: `next_row` holds the next item's first row; -1: no more */
	export_row next_row; /* its strings are the store's until `next` is called again */
	/* A group's item, copied since reading past it moves the store's rows on. */
	char *text, *blob, *mime, *hash, *split, *annotation;
} dataset_rows;

/* Whether a live export of p consolidates each finished item's rows into one: when p asks for
 * k > 1 annotations per item, unless every annotator's own answer is asked for. */
bool dataset_export_grouped(const project *p, bool all_answers);

/* What a live export (`snapshot` false) or a new version of p would hold, from the store's
 * counts: consolidated when dataset_export_grouped; only finished items when consolidated or a
 * snapshot; gold never. */
void dataset_export_summary(const export_counts *c, const project *p, bool snapshot,
			    bool all_answers, export_summary *out);
/* The same, counted now on the calling thread's connection. */
void dataset_export_summary_read(const store *s, const project *p, bool snapshot,
				 bool all_answers, export_summary *out);

void dataset_rows_init(dataset_rows *x, const project *p, bool group,
		       int (*next)(void *ctx, export_row *row), void *ctx);
/* Fills *r: 1, 0 at the end, or a negative code. */
int dataset_rows_next(dataset_rows *x, export_row *r);
/* Forgets the row read ahead: call it when the store's rows start again. */
void dataset_rows_rewind(dataset_rows *x);
void dataset_rows_release(dataset_rows *x);

/* Seals project p's approved work (gold left out, items still worked on left out) as its next
 * version in one transaction: each row gets its split from its item's content hash, an item's
 * rows one consolidated row when p asks for k > 1 annotations, the version its content hash and
 * counts. *id: the new version. */
int dataset_seal(const store *s, const project *p, const dataset_ratios *ratios,
		 const char *note, int64_t user_id, int64_t *id, cl_error *err);
/* The same with every item version `test_from` holds in the split it has there and new items in
 * train (0: by hash, default ratios), so that versions share one test split. */
int dataset_seal_pinned(const store *s, const project *p, int64_t test_from, const char *note,
			int64_t user_id, int64_t *id, cl_error *err);

#endif
