/* A trainer's dataset directory read into memory (the contract is in ml/trainer.h):
 * project.json's kind, labels and multi_label, and the rows of rows.jsonl with their split,
 * their text or image path and their annotation as class indices or spans. */
#ifndef CROWDLOOP_ML_DATASET_H
#define CROWDLOOP_ML_DATASET_H

#include <stdbool.h>
#include <stddef.h>

#include "util/err.h"

/* Bounds on what a dataset may hold, checked while reading. */
#define ML_DATASET_MAX_LABELS 1000
#define ML_DATASET_MAX_ROWS 5000000
#define ML_DATASET_MAX_LINE (16u << 20)

typedef enum ml_split { ML_TRAIN, ML_VALIDATION, ML_TEST, ML_SPLITS } ml_split;

/* A span of a text_spans annotation: code-point offsets [start, end) and a label index. */
typedef struct ml_span {
	int start, end, label;
} ml_span;

typedef struct ml_row {
	ml_split split;
	long long item_id; /* the row's "item_id", 0 when it has none */
	char *text;  /* owned; NULL for image kinds */
	char *image; /* owned: the image's path joined to the directory; NULL for text kinds */
	int *labels; /* owned: class indices of a class annotation, in the order given */
	size_t nlabels;
	ml_span *spans; /* owned: a text_spans annotation */
	size_t nspans;
} ml_row;

typedef struct ml_dataset {
	char kind[32]; /* "text_class", "image_class", "text_spans" */
	char **labels; /* owned */
	size_t nlabels;
	bool multi_label;
	ml_row *rows; /* owned: the rows of the train, validation and test splits */
	size_t nrows;
	size_t count[ML_SPLITS];
} ml_dataset;

/* Reads <dir>/project.json and <dir>/rows.jsonl into `d`. CL_EINVAL naming the file, the line
 * and the problem (a missing file, bad JSON, a label outside the project's set, an image path
 * leaving the directory); CL_ETOOBIG past a bound above. Rows of other splits are skipped. */
int ml_dataset_load(const char *dir, ml_dataset *d, cl_error *err);
/* Frees what `d` holds; a zeroed dataset is fine. */
void ml_dataset_release(ml_dataset *d);
/* The index of label `name` in `d`, or -1. */
int ml_dataset_label(const ml_dataset *d, const char *name);

#endif
