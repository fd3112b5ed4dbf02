/* `crowdloop trainer run`'s work: read the dataset directory, train the named trainer on the
 * train split into the output directory (model.json and the runtime's files), then load that
 * model through its runtime, as serving will, predict the test split and write
 * evaluation.json, printing CROWDLOOP_METRIC lines on the way. */
#ifndef CROWDLOOP_ML_TRAIN_H
#define CROWDLOOP_ML_TRAIN_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "ml/dataset.h"
#include "ml/trainer.h"
#include "util/err.h"

/* What one trainer is given. */
typedef struct ml_train_job {
	const ml_trainer *trainer;
	const json_t *params; /* checked by ml_trainer_check; NULL: the defaults */
	const ml_dataset *data;
	const char *output; /* an existing directory */
	int cpus;	    /* the most threads it may use */
} ml_train_job;

/* Runs trainer `name` on dataset directory `data` into directory `output` (made when missing),
 * with params (borrowed) and at most `cpus` threads; progress and metrics on `log`.
 * CL_EINVAL naming the problem: an unknown trainer, a bad param, a dataset of another kind or
 * without train rows, a missing file. */
int ml_train_run(const char *name, const char *data, const char *output, const json_t *params,
		 int cpus, FILE *log, cl_error *err);

/* The trainers themselves, one file each: each writes its model into job->output. */
int ml_text_linear_train(const ml_train_job *job, cl_error *err);
int ml_text_fasttext_train(const ml_train_job *job, cl_error *err);
int ml_image_hog_train(const ml_train_job *job, cl_error *err);
int ml_spans_linear_train(const ml_train_job *job, cl_error *err);

/* The rows of `split` as class flags: n rows of nlabels bytes (1: the row has the class), in
 * the dataset's order; *n is how many. NULL when out of memory. */
uint8_t *ml_train_truth(const ml_dataset *d, ml_split split, size_t *n);
/* Writes `meta` (stolen) as <dir>/model.json. */
int ml_train_write_meta(const char *dir, json_t *meta, cl_error *err);
/* Seconds of the monotonic clock, for the train time. */
double ml_seconds(void);

#endif
