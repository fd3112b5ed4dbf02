/* Dataset versions without SQL: the deterministic train/validation/test split of an item by its
 * content hash, the canonical content hash of a version's rows, and the per-label counts of an
 * annotation. A version's hash depends only on its rows' item contents, slots, splits and
 * annotations (canonical JSON), never on ids or times, so equal data gives an equal hash. */
#ifndef CROWDLOOP_CORE_DATASET_H
#define CROWDLOOP_CORE_DATASET_H

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>

#include "core/project.h"
#include "util/err.h"

typedef enum dataset_split {
	SPLIT_TRAIN,
	SPLIT_VALIDATION,
	SPLIT_TEST,
	SPLIT_COUNT,
} dataset_split;

/* The fractions of items in each split; they sum to 1 (within 1e-9). */
typedef struct dataset_ratios {
	double train, validation, test;
} dataset_ratios;

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

#endif
