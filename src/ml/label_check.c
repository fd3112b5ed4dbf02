/* The label check (ml/label_check.h): out-of-fold predictions of a linear trainer and the rows
 * they contradict. The features of every row are computed once; each fold trains one model on
 * the other folds' vectors and scores its own rows. */
#include "ml/label_check.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

typedef int (*vectors_fn)(const ml_train_job *job, ml_fvec *v, int *dim, cl_error *err);

static const struct {
	const char *name;
	vectors_fn vectors;
} checkers[] = {
    {"text-linear", ml_text_linear_vectors},
    {"image-hog", ml_image_hog_vectors},
};

static vectors_fn vectors_of(const ml_trainer *t)
{
	for (size_t i = 0; t && i < sizeof checkers / sizeof checkers[0]; i++)
		if (!strcmp(checkers[i].name, t->name))
			return checkers[i].vectors;
	return NULL;
}

int ml_fold_of(long long item_id, size_t index, int folds)
{
	/* splitmix64's finaliser: neighbouring ids land in unrelated folds. */
	uint64_t z = item_id > 0 ? (uint64_t)item_id : (uint64_t)index + 0x9e3779b97f4a7c15ULL;
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return (int)((z ^ (z >> 31)) % (uint64_t)folds);
}

/* Trains on the rows outside fold `f` and scores the rows inside it into p. */
static int fold_run(const ml_train_job *job, const ml_fvec *v, const int *fold, int f, int dim,
		    double *p, cl_error *err)
{
	const ml_dataset *d = job->data;
	size_t nc = d->nlabels, l = 0;
	ml_linear m = {dim, (int)nc, false, NULL};
	struct feature_node **x = calloc(d->nrows + 1, sizeof *x);
	uint8_t *truth = calloc(d->nrows * nc + 1, 1);
	int rc = x && truth ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < d->nrows; i++) {
		if (fold[i] == f)
			continue;
		truth[l * nc + (size_t)d->rows[i].labels[0]] = 1;
		x[l++] = v[i].x;
	}
	if (!rc)
		rc = ml_linear_train(&m, x, l, truth, ml_param(job->trainer, job->params, "C"),
				     job->cpus, err);
	for (size_t i = 0; !rc && i < d->nrows; i++)
		if (fold[i] == f)
			ml_linear_scores(&m, v[i].x, p + i * nc);
	ml_linear_release(&m);
	free(x);
	free(truth);
	return rc;
}

int ml_out_of_fold(const ml_train_job *job, int folds, double *p, cl_error *err)
{
	const ml_dataset *d = job->data;
	vectors_fn vectors = vectors_of(job->trainer);
	if (!vectors)
		return cl_fail(err, CL_EINVAL, "bad_trainer",
			       "the label check takes text-linear or image-hog, not %s",
			       job->trainer->name);
	ml_fvec *v = calloc(d->nrows + 1, sizeof *v);
	int *fold = calloc(d->nrows + 1, sizeof *fold), dim = 0;
	int rc = v && fold ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < d->nrows; i++)
		fold[i] = ml_fold_of(d->rows[i].item_id, i, folds);
	if (!rc)
		rc = vectors(job, v, &dim, err);
	for (int f = 0; !rc && f < folds; f++)
		rc = fold_run(job, v, fold, f, dim, p, err);
	for (size_t i = 0; v && i < d->nrows; i++)
		ml_fvec_release(&v[i]);
	free(v);
	free(fold);
	return rc;
}

static int by_confidence(const void *a, const void *b)
{
	const ml_flag *x = a, *y = b;
	if (x->confidence != y->confidence)
		return x->confidence < y->confidence ? 1 : -1;
	return x->row < y->row ? -1 : x->row > y->row;
}

int ml_flags_of(const ml_dataset *d, const double *p, double threshold, ml_flag **out, size_t *n)
{
	*n = 0;
	*out = calloc(d->nrows + 1, sizeof **out);
	if (!*out)
		return -1;
	for (size_t i = 0; i < d->nrows; i++) {
		const double *pi = p + i * d->nlabels;
		int model = ml_argmax(pi, (int)d->nlabels), label = d->rows[i].labels[0];
		if (model != label && pi[model] >= threshold)
			(*out)[(*n)++] = (ml_flag){i, label, model, pi[model]};
	}
	qsort(*out, *n, sizeof **out, by_confidence);
	return 0;
}

/* ---- the command's work ---- */

static int check_dataset(const ml_trainer *t, const ml_dataset *d, cl_error *err)
{
	if (!ml_trainer_takes(t, d->kind))
		return cl_fail(err, CL_EINVAL, "bad_dataset", "%s does not train on %s projects",
			       t->name, d->kind);
	if (d->multi_label)
		return cl_fail(err, CL_EINVAL, "bad_dataset",
			       "the label check takes one-label projects only");
	for (size_t i = 0; i < d->nrows; i++)
		if (d->rows[i].nlabels != 1)
			return cl_fail(err, CL_EINVAL, "bad_dataset",
				       "row %zu has %zu labels, not one", i + 1,
				       d->rows[i].nlabels);
	if (d->nrows < 10)
		return cl_fail(err, CL_EINVAL, "bad_dataset",
			       "the label check needs at least 10 rows, not %zu", d->nrows);
	return CL_OK;
}

static json_t *params_json(const ml_train_job *job)
{
	json_t *params = json_object();
	for (const ml_param_spec *s = job->trainer->params; s->name; s++) {
		double v = ml_param(job->trainer, job->params, s->name);
		json_object_set_new(params, s->name,
				    s->integer ? json_integer((json_int_t)v) : json_real(v));
	}
	return params;
}

static json_t *flags_json(const ml_dataset *d, const ml_flag *f, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; i < n && i < ML_CHECK_MAX_FLAGS; i++)
		json_array_append_new(a, json_pack("{s:I,s:s,s:s,s:f}", "item_id",
						   (json_int_t)d->rows[f[i].row].item_id, "label",
						   d->labels[f[i].label], "model_label",
						   d->labels[f[i].model_label], "confidence",
						   f[i].confidence));
	return a;
}

/* The share of rows whose out-of-fold prediction is their own label. */
static double agreement_of(const ml_dataset *d, const double *p)
{
	size_t same = 0;
	for (size_t i = 0; i < d->nrows; i++)
		same += ml_argmax(p + i * d->nlabels, (int)d->nlabels) == d->rows[i].labels[0];
	return d->nrows ? (double)same / (double)d->nrows : 0;
}

static int write_result(const ml_train_job *job, int folds, double threshold, const double *p,
			FILE *log, cl_error *err)
{
	const ml_dataset *d = job->data;
	ml_flag *f;
	size_t n;
	char path[PATH_MAX];
	if (ml_flags_of(d, p, threshold, &f, &n))
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	double agreement = agreement_of(d, p);
	json_t *out =
	    json_pack("{s:s,s:s,s:o,s:i,s:f,s:I,s:f,s:I,s:o}", "check", "labels", "trainer",
		      job->trainer->name, "params", params_json(job), "folds", folds, "threshold",
		      threshold, "rows", (json_int_t)d->nrows, "agreement", agreement, "flagged",
		      (json_int_t)n, "flags", flags_json(d, f, n));
	free(f);
	fprintf(log,
		"CROWDLOOP_METRIC check_rows=%zu step=0\nCROWDLOOP_METRIC check_agreement=%.6f "
		"step=0\nCROWDLOOP_METRIC check_flagged=%zu step=0\n",
		d->nrows, agreement, n);
	snprintf(path, sizeof path, "%s/evaluation.json", job->output);
	/* Compact: the runner keeps an evaluation of up to 1 MiB, and the flags must fit in it. */
	int rc = out ? json_dump_file(out, path, JSON_COMPACT) : -1;
	json_decref(out);
	return rc ? cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path) : CL_OK;
}

static int check_args(const ml_trainer *t, const char *name, const json_t *params, int folds,
		      double threshold, cl_error *err)
{
	if (!t)
		return cl_fail(err, CL_EINVAL, "bad_trainer", "no trainer named %.60s", name);
	if (!vectors_of(t))
		return cl_fail(err, CL_EINVAL, "bad_trainer",
			       "the label check takes text-linear or image-hog, not %s", t->name);
	if (folds < ML_CHECK_MIN_FOLDS || folds > ML_CHECK_MAX_FOLDS)
		return cl_fail(err, CL_EINVAL, "bad_folds", "folds must be %d to %d",
			       ML_CHECK_MIN_FOLDS, ML_CHECK_MAX_FOLDS);
	if (!(threshold >= 0.5 && threshold <= 1))
		return cl_fail(err, CL_EINVAL, "bad_threshold", "threshold must be 0.5 to 1");
	return ml_trainer_check(t, params, err);
}

int ml_label_check_run(const char *name, const char *data, const char *output, const json_t *params,
		       int folds, double threshold, int cpus, FILE *log, cl_error *err)
{
	const ml_trainer *t = ml_trainer_find(name);
	ml_dataset d;
	int rc = check_args(t, name, params, folds, threshold, err);
	if (rc || (rc = ml_dataset_load(data, &d, err)))
		return rc;
	if (!(rc = check_dataset(t, &d, err)) && fs_make_dirs(output))
		rc = cl_fail(err, CL_EINVAL, NULL, "%s: cannot make the output directory", output);
	ml_train_job job = {t, params, &d, output, cpus < 1 ? 1 : cpus};
	double *p = rc ? NULL : calloc(d.nrows * d.nlabels + 1, sizeof *p);
	if (!rc && !p)
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		rc = ml_out_of_fold(&job, folds, p, err);
	if (!rc)
		rc = write_result(&job, folds, threshold, p, log, err);
	free(p);
	ml_dataset_release(&d);
	return rc;
}
