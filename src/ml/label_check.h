/* Label error detection: k-fold cross-validation of a built-in trainer (text-linear,
 * text-fasttext, image-hog, spans-linear) over every row of a dataset directory, so that each
 * row is predicted by a model that never saw it; a row whose annotation the model contradicts
 * with a probability of at least the threshold is flagged:
 *   - one label: the model's label is another one;
 *   - multi-label: a label given that the model gives under 1 - threshold, or one not given
 *     that it gives at least threshold (each such label reported);
 *   - spans: tokens whose label (a span's, or none) is not the model's, contiguous ones of the
 *     same pair reported as one span disagreement.
 * `crowdloop trainer check` runs it as a job's process and writes OUTPUT/evaluation.json:
 *
 *   {"check": "labels", "trainer": ..., "params": {...}, "folds": 5, "threshold": 0.9,
 *    "rows": N, "agreement": share of rows (of tokens, for spans) whose out-of-fold prediction
 *    is their label, "flagged": M, "flags": [{"item_id", "label", "model_label",
 *    "confidence"}, ...]}
 *
 * one flag per item, ordered by confidence (its surest disagreement's), at most
 * ML_CHECK_MAX_FLAGS of them in ML_CHECK_MAX_FLAG_BYTES (`flagged` counts all). A one-label flag
 * names the two labels; a multi-label flag's "label" is the given set ("a, b"), its "model_label"
 * what the model would change ("c; not a"), and "labels": [{"label","given","confidence"}]; a spans
 * flag's "label" and "model_label" sum up its "spans":
 * [{"start","end","label","model_label","confidence"}] (code points; a label null where there is no
 * span). */
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
/* The most labels or spans one flag lists, and the most bytes the flags take in
 * evaluation.json: the runner keeps an evaluation of up to 1 MiB. */
#define ML_CHECK_MAX_DETAILS 20
#define ML_CHECK_MAX_FLAG_BYTES (900u << 10)

/* One contradiction in a row: what the annotation says and what the model says (label indices,
 * -1 for none: a multi-label label absent, a token outside every span), the model's
 * probability, and for spans the code points [start, end) it covers. */
typedef struct ml_flag {
	size_t row;
	int label, model_label;
	double confidence;
	int start, end;
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
 * free()), ordered by confidence; *n of them. Multi-label datasets: one flag per label
 * contradicted. -1 when out of memory. */
int ml_flags_of(const ml_dataset *d, const double *p, double threshold, ml_flag **out, size_t *n);

/* One token of a text_spans row as the check saw it: its code points, its label in the
 * annotation and the out-of-fold model's (-1: outside every span), and that probability. */
typedef struct ml_token_guess {
	size_t row;
	int start, end;
	int label, model_label;
	double confidence;
} ml_token_guess;

/* Every token of job->data's rows with its out-of-fold guess (spans-linear), into *out (to
 * free()), in row and text order; *n of them. */
int ml_spans_out_of_fold(const ml_train_job *job, int folds, ml_token_guess **out, size_t *n,
			 cl_error *err);
/* The span disagreements of the guesses g[n] at `threshold`: contiguous tokens of a row with
 * the same pair of labels merged, their confidence the mean of theirs; into *out (to free()),
 * ordered by confidence, *nout of them. -1 when out of memory. */
int ml_span_flags_of(const ml_token_guess *g, size_t n, double threshold, ml_flag **out,
		     size_t *nout);
/* The probabilities of fastText trained on job->data's rows outside fold `f` for the rows in it,
 * into p[nrows * nlabels]; fold[nrows] is each row's fold. */
int ml_text_fasttext_fold(const ml_train_job *job, const int *fold, int f, double *p,
			  cl_error *err);

/* Runs the check of trainer `name` (params borrowed) on dataset directory `data` into
 * `output`/evaluation.json, with `folds` folds and `threshold`, on at most `cpus` threads;
 * metric lines on `log`. CL_EINVAL naming the problem. */
int ml_label_check_run(const char *name, const char *data, const char *output, const json_t *params,
		       int folds, double threshold, int cpus, FILE *log, cl_error *err);

#endif
