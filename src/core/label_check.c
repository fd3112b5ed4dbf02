/* Label checks (core/label_check.h): a check is queued as a built-in job through run_submit, and
 * its flags become an audit when the job's success is recorded. */
#include "core/label_check.h"

#include <stdlib.h>
#include <string.h>

#include "ml/trainer.h"
#include "util/clock.h"

static const struct {
	const char *kind, *trainer;
} check_trainers[] = {
    {"text_class", "text-linear"},
    {"image_class", "image-hog"},
    {"text_spans", "spans-linear"},
};

/* The trainers that predict out of fold (ml/label_check.h): each kind's, and fastText for text. */
static const char *const check_with[] = {"text-linear", "text-fasttext", "image-hog",
					 "spans-linear"};

const char *label_check_trainer(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof check_trainers / sizeof check_trainers[0]; i++)
		if (!strcmp(check_trainers[i].kind, kind))
			return check_trainers[i].trainer;
	return NULL;
}

static bool checks_with(const char *trainer)
{
	for (size_t i = 0; i < sizeof check_with / sizeof check_with[0]; i++)
		if (!strcmp(check_with[i], trainer))
			return true;
	return false;
}

static int check_request(const label_check_request *req, const char *trainer, cl_error *err)
{
	if (!label_check_trainer(req->kind))
		return cl_fail(err, CL_EINVAL, "bad_kind",
			       "label checks take text_class, image_class and text_spans "
			       "projects, not %s",
			       req->kind);
	if (!checks_with(trainer))
		return cl_fail(err, CL_EINVAL, "bad_trainer",
			       "trainer must be text-linear, text-fasttext, image-hog or "
			       "spans-linear, not \"%.32s\"",
			       trainer);
	if (!ml_trainer_takes(ml_trainer_find(trainer), req->kind))
		return cl_fail(err, CL_EINVAL, "trainer_kind", "%s does not train %s projects",
			       trainer, req->kind);
	if (req->folds && (req->folds < 2 || req->folds > 20))
		return cl_fail(err, CL_EINVAL, "bad_folds", "folds must be 2 to 20");
	if (req->threshold != 0 && !(req->threshold >= 0.5 && req->threshold <= 1))
		return cl_fail(err, CL_EINVAL, "bad_threshold", "threshold must be 0.5 to 1");
	return CL_OK;
}

int label_check_validate(const label_check_request *req, cl_error *err)
{
	const char *trainer = req->trainer ? req->trainer : label_check_trainer(req->kind);
	return check_request(req, trainer ? trainer : "", err);
}

int label_check_start(const store *s, const run_limits *lim, const label_check_request *req,
		      int64_t *job_id, cl_error *err)
{
	const char *trainer = req->trainer ? req->trainer : label_check_trainer(req->kind);
	int rc = check_request(req, trainer ? trainer : "", err);
	if (rc)
		return rc;
	run_request run = {
	    .org_id = req->org_id,
	    .user_id = req->user_id,
	    .org_role = req->org_role,
	    .project_id = req->project_id,
	    .dataset_id = req->dataset_id,
	    .trainer = trainer,
	    .params = req->params,
	    .cpus = req->cpus,
	    .check_folds = req->folds ? req->folds : LABEL_CHECK_DEFAULT_FOLDS,
	    .check_threshold = req->threshold ? req->threshold : LABEL_CHECK_DEFAULT_THRESHOLD,
	};
	return run_submit(s, lim, &run, job_id, err);
}

bool label_check_is(const run_row *j)
{
	json_t *p = json_loads(j->params ? j->params : "{}", 0, NULL);
	bool is = json_object_get(p, "check_folds") != NULL;
	json_decref(p);
	return is;
}

/* The flags of an evaluation (borrowing its strings), at most LABEL_CHECK_MAX_FLAGS. */
static audit_flag *flags_of(const json_t *ev, size_t *n)
{
	const json_t *list = json_object_get(ev, "flags"), *f;
	size_t i;
	audit_flag *flags = calloc(json_array_size(list) + 1, sizeof *flags);
	*n = 0;
	json_array_foreach(list, i, f) {
		const char *label = json_string_value(json_object_get(f, "model_label"));
		json_int_t item = json_integer_value(json_object_get(f, "item_id"));
		if (!flags || *n == LABEL_CHECK_MAX_FLAGS || !label || item <= 0)
			continue;
		flags[(*n)++] =
		    (audit_flag){item, label, json_number_value(json_object_get(f, "confidence"))};
	}
	return flags;
}

int label_check_record(store_tx *tx, const store_ops *ops, const run_row *j, const char *evaluation,
		       cl_error *err)
{
	json_t *ev = json_loads(evaluation ? evaluation : "", 0, NULL);
	size_t n;
	audit_flag *flags = ev ? flags_of(ev, &n) : NULL;
	int64_t audit_id = 0;
	int added = 0, rc = CL_OK;
	if (flags && n)
		rc = ops->audit_flags_add(tx, j->project_id, j->id, j->created_by, clock_now_ms(),
					  flags, n, &audit_id, &added, err);
	free(flags);
	json_decref(ev);
	return rc;
}
