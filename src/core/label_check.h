/* Label error detection as a use case (core/label_check.c). A label check is a job of the
 * runner: `crowdloop trainer check` cross-validates a built-in trainer over a dataset version's
 * approved annotations (ml/label_check.h) and lists the items whose annotation the model
 * contradicts with at least the threshold's probability (a one-label or multi-label class
 * project's labels, a text_spans project's token labels). When the job succeeds, the same
 * transaction that records its end puts each flagged item's approved task in an audit of the
 * project (reason `model_disagrees`, with the model's label and probability), an item never twice.
 * The job's params carry the check's settings beside the trainer's: check_folds and
 * check_threshold. */
#ifndef CROWDLOOP_CORE_LABEL_CHECK_H
#define CROWDLOOP_CORE_LABEL_CHECK_H

#include <jansson.h>
#include <stdbool.h>

#include "core/runs.h"
#include "store/ops.h"

#define LABEL_CHECK_DEFAULT_FOLDS 5
#define LABEL_CHECK_DEFAULT_THRESHOLD 0.9
#define LABEL_CHECK_MAX_FLAGS 5000 /* flags read from one check's evaluation */

/* A check, as the API read it. Borrowed. folds 0 and threshold 0 mean the defaults. */
typedef struct label_check_request {
	int64_t org_id, user_id, project_id, dataset_id;
	const char *org_role;
	const char *kind;    /* the project's task kind */
	const char *trainer; /* NULL: the kind's (text-linear, image-hog, spans-linear) */
	const json_t *params;
	int folds, cpus;
	double threshold;
} label_check_request;

/* The built-in trainer a check of task kind `kind` uses by default, or NULL when none. */
const char *label_check_trainer(const char *kind);
/* The settings' check that label_check_start makes first, for a caller with work to do before
 * it (making the version to check): 400 as below. */
int label_check_validate(const label_check_request *req, cl_error *err);
/* Checks and queues a check of dataset version req->dataset_id (of req->project_id, else 404);
 * *job_id its job. 400 naming a bad field: folds (2 to 20), threshold (0.5 to 1), a trainer
 * without cross-validation (bad_trainer) or of another kind (trainer_kind), a kind without a
 * check. */
int label_check_start(const store *s, const run_limits *lim, const label_check_request *req,
		      int64_t *job_id, cl_error *err);
/* Whether job `j` is a label check (its params carry check_folds). */
bool label_check_is(const run_row *j);
/* Inside the transaction that records a check's success: its evaluation's flags into an audit
 * of the job's project. Bad evaluation text records nothing. */
int label_check_record(store_tx *tx, const store_ops *ops, const run_row *j, const char *evaluation,
		       cl_error *err);

#endif
