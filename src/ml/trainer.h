/* The built-in trainers: their names, the task kinds they train on and the params they take,
 * checked before a job is queued so that a bad param answers 400 naming it. Training itself runs
 * in a job's own process (`crowdloop trainer run`), over the dataset directory a job is given:
 *
 *   <dir>/project.json  {"kind":"text_class","labels":["neg","pos"],"multi_label":false}
 *   <dir>/rows.jsonl    one approved row per line:
 *                       {"item_id":7,"split":"train","text":"...","annotation":{...}} or, for
 *                       image kinds, "image":"images/7.png" (a path relative to <dir>) in place
 *                       of "text"; annotations have the shapes of docs/API.md.
 *
 * A trainer writes into its output directory a model (model.json naming its runtime, see
 * ml/runtime.h, and the runtime's files) and evaluation.json, and prints its progress as
 * `CROWDLOOP_METRIC key=value step=N` lines on stdout. */
#ifndef CROWDLOOP_ML_TRAINER_H
#define CROWDLOOP_ML_TRAINER_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

/* One numeric param of a trainer: its range and its default. Integer params refuse fractions. */
typedef struct ml_param_spec {
	const char *name;
	double min, max, fallback;
	bool integer;
	const char *about; /* one line for people */
} ml_param_spec;

typedef struct ml_trainer {
	const char *name;	 /* "text-linear", "text-fasttext", "image-hog", "spans-linear" */
	const char *kinds[3];	 /* the task kinds it trains on, NULL-ended */
	const ml_param_spec *params; /* ended by a spec with a NULL name */
	const char *about;
} ml_trainer;

/* The trainer named `name`, or NULL. */
const ml_trainer *ml_trainer_find(const char *name);
/* Every trainer, ended by NULL, for listings. */
const ml_trainer *const *ml_trainers(void);

/* Checks `params` ({"name": number}, borrowed; NULL means none) against `t`: CL_EINVAL naming
 * the first unknown param, a value that is not a number, a fraction for an integer param, or a
 * value out of range. */
int ml_trainer_check(const ml_trainer *t, const json_t *params, cl_error *err);
/* Whether `t` trains on projects of kind `kind` ("text_class"). */
bool ml_trainer_takes(const ml_trainer *t, const char *kind);
/* The value of param `name` from `params`, or its default. */
double ml_param(const ml_trainer *t, const json_t *params, const char *name);

#endif
