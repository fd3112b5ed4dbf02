/* Label error detection: k-fold cross-validation of a built-in linear trainer (text-linear,
 * image-hog) over every row of a dataset directory, so that each row is predicted by a model
 * that never saw it; a row whose label the model contradicts with a probability of at least the
 * threshold is flagged. One-label class projects only. `crowdloop trainer check` runs it as a
 * job's process and writes OUTPUT/evaluation.json:
 *
 *   {"check": "labels", "trainer": ..., "params": {...}, "folds": 5, "threshold": 0.9,
 *    "rows": N, "agreement": share of rows whose out-of-fold prediction is their label,
 *    "flagged": M, "flags": [{"item_id", "label", "model_label", "confidence"}, ...]}
 *
 * the flags ordered by confidence, at most ML_CHECK_MAX_FLAGS of them (`flagged` counts all). */
#ifndef CROWDLOOP_ML_LABEL_CHECK_H
#define CROWDLOOP_ML_LABEL_CHECK_H

#include <stdio.h>

#include "ml/linear.h"
#include "ml/train.h"

#define ML_CHECK_MIN_FOLDS 2
#define ML_CHECK_MAX_FOLDS 20
#define ML_CHECK_DEFAULT_FOLDS 5
#define ML_CHECK_DEFAULT_THRESHOLD 0.9
#define ML_CHECK_MAX_FLAGS 5000

/* One flagged row: its index in the dataset, its label, the model's label and probability. */
typedef struct ml_flag {
	size_t row;
	int label, model_label;
	double confidence;
} ml_flag;

/* Every row's finished vector into v[data->nrows] (released by the caller) and the vectors'
 * dimension, by the trainer's own features. */
int ml_text_linear_vectors(const ml_train_job *job, ml_fvec *v, int *dim, cl_error *err);
int ml_image_hog_vectors(const ml_train_job *job, ml_fvec *v, int *dim, cl_error *err);

/* The fold (0..folds-1) of a row: a hash of its item id (of its index when it has none), so a
 * row keeps its fold whatever the order of the rows. */
int ml_fold_of(long long item_id, size_t index, int folds);

/* Out-of-fold class probabilities of job->data's rows into p[nrows * nlabels]: each row's from
 * a model trained on the other folds. CL_EINVAL for a trainer without a linear model. */
int ml_out_of_fold(const ml_train_job *job, int folds, double *p, cl_error *err);

/* The rows whose label the probabilities p contradict with at least `threshold`, into *out (to
 * free()), ordered by confidence; *n of them. -1 when out of memory. */
int ml_flags_of(const ml_dataset *d, const double *p, double threshold, ml_flag **out, size_t *n);

/* Runs the check of trainer `name` (params borrowed) on dataset directory `data` into
 * `output`/evaluation.json, with `folds` folds and `threshold`, on at most `cpus` threads;
 * metric lines on `log`. CL_EINVAL naming the problem. */
int ml_label_check_run(const char *name, const char *data, const char *output, const json_t *params,
		       int folds, double threshold, int cpus, FILE *log, cl_error *err);

#endif
