/* The label check (ml/label_check.h): out-of-fold predictions of a built-in trainer and the rows
 * they contradict. For the linear class trainers the features of every row are computed once
 * and each fold trains one model on the other folds' vectors and scores its own rows; fastText
 * trains a model per fold; spans-linear guesses every token (ml/spans_linear.c). */
#include "ml/label_check.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

typedef int (*vectors_fn)(const ml_train_job *job, ml_fvec *v, int *dim, cl_error *err);

/* The trainers a check runs: the linear ones by their vectors, the others by their own folds. */
static const struct {
	const char *name;
	vectors_fn vectors;
} checkers[] = {
    {"text-linear", ml_text_linear_vectors},
    {"image-hog", ml_image_hog_vectors},
    {"text-fasttext", NULL},
    {"spans-linear", NULL},
};

static bool checks_with(const ml_trainer *t)
{
	for (size_t i = 0; t && i < sizeof checkers / sizeof checkers[0]; i++)
		if (!strcmp(checkers[i].name, t->name))
			return true;
	return false;
}

static vectors_fn vectors_of(const ml_trainer *t)
{
	for (size_t i = 0; t && i < sizeof checkers / sizeof checkers[0]; i++)
		if (!strcmp(checkers[i].name, t->name))
			return checkers[i].vectors;
	return NULL;
}

static bool is_spans(const ml_trainer *t)
{
	return !strcmp(t->name, "spans-linear");
}
static bool is_fasttext(const ml_trainer *t)
{
	return !strcmp(t->name, "text-fasttext");
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
	ml_linear m = {dim, (int)nc, d->multi_label, NULL, NULL, 0, NULL};
	struct feature_node **x = calloc(d->nrows + 1, sizeof *x);
	uint8_t *truth = calloc(d->nrows * nc + 1, 1);
	int rc = x && truth ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < d->nrows; i++) {
		if (fold[i] == f)
			continue;
		for (size_t k = 0; k < d->rows[i].nlabels; k++)
			truth[l * nc + (size_t)d->rows[i].labels[k]] = 1;
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
	bool fasttext = is_fasttext(job->trainer);
	if (!vectors && !fasttext)
		return cl_fail(err, CL_EINVAL, "bad_trainer",
			       "out-of-fold class probabilities come from text-linear, "
			       "text-fasttext or image-hog, not %s",
			       job->trainer->name);
	ml_fvec *v = calloc(d->nrows + 1, sizeof *v);
	int *fold = calloc(d->nrows + 1, sizeof *fold), dim = 0;
	int rc = v && fold ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < d->nrows; i++)
		fold[i] = ml_fold_of(d->rows[i].item_id, i, folds);
	if (!rc && vectors)
		rc = vectors(job, v, &dim, err);
	for (int f = 0; !rc && f < folds; f++)
		rc = fasttext ? ml_text_fasttext_fold(job, fold, f, p, err)
			      : fold_run(job, v, fold, f, dim, p, err);
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

static bool has_label(const ml_row *r, int k)
{
	for (size_t i = 0; i < r->nlabels; i++)
		if (r->labels[i] == k)
			return true;
	return false;
}

/* A multi-label row's contradictions: each label whose own probability says otherwise, into
 * out (or only counted in *n when out is NULL). */
static void multi_flags(const ml_dataset *d, size_t i, const double *pi, double threshold,
			ml_flag *out, size_t *n)
{
	for (int k = 0; k < (int)d->nlabels; k++) {
		bool given = has_label(&d->rows[i], k);
		if (given && pi[k] < 1 - threshold && out)
			out[*n] = (ml_flag){i, k, -1, 1 - pi[k], 0, 0};
		else if (!given && pi[k] >= threshold && out)
			out[*n] = (ml_flag){i, -1, k, pi[k], 0, 0};
		*n += given ? pi[k] < 1 - threshold : pi[k] >= threshold;
	}
}

/* How many contradictions ml_flags_of will find: a multi-label row may have several. */
static size_t flags_count(const ml_dataset *d, const double *p, double threshold)
{
	size_t n = d->multi_label ? 0 : d->nrows;
	for (size_t i = 0; d->multi_label && i < d->nrows; i++)
		multi_flags(d, i, p + i * d->nlabels, threshold, NULL, &n);
	return n;
}

int ml_flags_of(const ml_dataset *d, const double *p, double threshold, ml_flag **out, size_t *n)
{
	*n = 0;
	*out = calloc(flags_count(d, p, threshold) + 1, sizeof **out);
	if (!*out)
		return -1;
	for (size_t i = 0; i < d->nrows; i++) {
		const double *pi = p + i * d->nlabels;
		if (d->multi_label) {
			multi_flags(d, i, pi, threshold, *out, n);
			continue;
		}
		int model = ml_argmax(pi, (int)d->nlabels), label = d->rows[i].labels[0];
		if (model != label && pi[model] >= threshold)
			(*out)[(*n)++] = (ml_flag){i, label, model, pi[model], 0, 0};
	}
	qsort(*out, *n, sizeof **out, by_confidence);
	return 0;
}

/* Whether guess b goes on the disagreement a: the next token of the same row, the same pair. */
static bool continues(const ml_flag *a, const ml_token_guess *b, const ml_token_guess *prev)
{
	return prev->row == b->row && prev->label == a->label &&
	       prev->model_label == a->model_label && b->label == a->label &&
	       b->model_label == a->model_label;
}

int ml_span_flags_of(const ml_token_guess *g, size_t n, double threshold, ml_flag **out,
		     size_t *nout)
{
	size_t tokens = 0;
	*nout = 0;
	*out = calloc(n + 1, sizeof **out);
	if (!*out)
		return -1;
	for (size_t i = 0; i < n; i++) {
		bool wrong = g[i].label != g[i].model_label && g[i].confidence >= threshold;
		ml_flag *last = *nout ? &(*out)[*nout - 1] : NULL;
		if (wrong && last && tokens && continues(last, &g[i], &g[i - 1])) {
			last->end = g[i].end;
			last->confidence += g[i].confidence;
			tokens++;
			continue;
		}
		if (last && tokens)
			last->confidence /= (double)tokens;
		tokens = 0;
		if (wrong) {
			(*out)[(*nout)++] = (ml_flag){g[i].row,	       g[i].label, g[i].model_label,
						      g[i].confidence, g[i].start, g[i].end};
			tokens = 1;
		}
	}
	if (*nout && tokens)
		(*out)[*nout - 1].confidence /= (double)tokens;
	qsort(*out, *nout, sizeof **out, by_confidence);
	return 0;
}

/* ---- the command's work ---- */

static int check_dataset(const ml_trainer *t, const ml_dataset *d, cl_error *err)
{
	if (!ml_trainer_takes(t, d->kind))
		return cl_fail(err, CL_EINVAL, "bad_dataset", "%s does not train on %s projects",
			       t->name, d->kind);
	for (size_t i = 0; !d->multi_label && !is_spans(t) && i < d->nrows; i++)
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

/* The longest summary a flag's "label" or "model_label" grows to: the audit shows it. */
#define FLAG_SUMMARY_MAX 200

static json_t *name_json(const ml_dataset *d, int k)
{
	return k >= 0 ? json_string(d->labels[k]) : json_null();
}

/* Appends `part` to the string field `key` of o, "; " between parts, up to FLAG_SUMMARY_MAX. */
static void summary_add(json_t *o, const char *key, const char *part)
{
	const char *was = json_string_value(json_object_get(o, key));
	size_t len = was ? strlen(was) : 0;
	if (len >= FLAG_SUMMARY_MAX)
		return;
	char buf[FLAG_SUMMARY_MAX + 160];
	snprintf(buf, sizeof buf, "%s%s%.150s", len ? was : "", len ? "; " : "", part);
	json_object_set_new(o, key, json_string(buf));
}

/* "a, b": a multi-label row's given labels, up to FLAG_SUMMARY_MAX. */
static json_t *given_set(const ml_dataset *d, const ml_row *r)
{
	char buf[FLAG_SUMMARY_MAX + 160] = "";
	size_t len = 0;
	for (size_t k = 0; k < r->nlabels && len < FLAG_SUMMARY_MAX; k++)
		len += (size_t)snprintf(buf + len, sizeof buf - len, "%s%.150s", k ? ", " : "",
					d->labels[r->labels[k]]);
	return json_string(buf);
}

/* A row's flag as its surest contradiction f starts it; the others join it by flag_join. */
static json_t *row_flag(const ml_dataset *d, const ml_flag *f, bool spans)
{
	json_t *o = json_pack("{s:I,s:f}", "item_id", (json_int_t)d->rows[f->row].item_id,
			      "confidence", f->confidence);
	if (spans) {
		json_object_set_new(o, "spans", json_array());
	} else if (d->multi_label) {
		json_object_set_new(o, "label", given_set(d, &d->rows[f->row]));
		json_object_set_new(o, "labels", json_array());
	} else {
		json_object_set_new(o, "label", json_string(d->labels[f->label]));
		json_object_set_new(o, "model_label", json_string(d->labels[f->model_label]));
	}
	return o;
}

/* Adds contradiction f to its row's flag o: a span, or a label of a multi-label row. */
static void flag_join(const ml_dataset *d, json_t *o, const ml_flag *f, bool spans)
{
	char part[200];
	const char *list = spans ? "spans" : "labels";
	if ((spans || d->multi_label) &&
	    json_array_size(json_object_get(o, list)) >= ML_CHECK_MAX_DETAILS)
		return; /* the surest ones are in: the audit shows the whole annotation */
	if (spans) {
		json_array_append_new(json_object_get(o, "spans"),
				      json_pack("{s:i,s:i,s:o,s:o,s:f}", "start", f->start, "end",
						f->end, "label", name_json(d, f->label),
						"model_label", name_json(d, f->model_label),
						"confidence", f->confidence));
		snprintf(part, sizeof part, "%.150s at %d-%d",
			 f->label >= 0 ? d->labels[f->label] : "no span", f->start, f->end);
		summary_add(o, "label", part);
		snprintf(part, sizeof part, "%.150s at %d-%d",
			 f->model_label >= 0 ? d->labels[f->model_label] : "no span", f->start,
			 f->end);
		summary_add(o, "model_label", part);
	} else if (d->multi_label) {
		bool given = f->label >= 0;
		const char *name = d->labels[given ? f->label : f->model_label];
		json_array_append_new(json_object_get(o, "labels"),
				      json_pack("{s:s,s:b,s:f}", "label", name, "given", given,
						"confidence", f->confidence));
		snprintf(part, sizeof part, "%s%.150s", given ? "not " : "", name);
		summary_add(o, "model_label", part);
	}
}

/* The flags of the rows in `order` (surest first) while they fit the bounds, into a. */
static void flags_fitting(json_t *a, json_t *const *of_row, const size_t *order, size_t n)
{
	size_t bytes = 0;
	for (size_t i = 0; i < n && i < ML_CHECK_MAX_FLAGS; i++) {
		json_t *o = of_row[order[i]];
		bytes += json_dumpb(o, NULL, 0, JSON_COMPACT) + 1;
		if (bytes > ML_CHECK_MAX_FLAG_BYTES)
			break;
		json_array_append(a, o);
	}
}

/* One flag per row out of the contradictions f[n] (surest first): the rows' flags in that order,
 * as many as the bounds let in; *flagged counts the rows. */
static json_t *flags_json(const ml_dataset *d, const ml_flag *f, size_t n, bool spans,
			  size_t *flagged)
{
	json_t *a = json_array(), **of_row = calloc(d->nrows + 1, sizeof *of_row);
	size_t *order = calloc(d->nrows + 1, sizeof *order);
	*flagged = 0;
	for (size_t i = 0; of_row && order && i < n; i++) {
		json_t **o = &of_row[f[i].row];
		if (!*o) {
			*o = row_flag(d, &f[i], spans);
			order[(*flagged)++] = f[i].row;
		}
		flag_join(d, *o, &f[i], spans);
	}
	if (of_row && order)
		flags_fitting(a, of_row, order, *flagged);
	for (size_t i = 0; of_row && i < d->nrows; i++)
		json_decref(of_row[i]);
	free(of_row);
	free(order);
	return a;
}

static bool row_agrees(const ml_dataset *d, size_t i, const double *pi)
{
	if (!d->multi_label)
		return ml_argmax(pi, (int)d->nlabels) == d->rows[i].labels[0];
	for (int k = 0; k < (int)d->nlabels; k++)
		if ((pi[k] >= 0.5) != has_label(&d->rows[i], k))
			return false;
	return true;
}

/* The share of rows whose out-of-fold prediction is their own label (label set). */
static double agreement_of(const ml_dataset *d, const double *p)
{
	size_t same = 0;
	for (size_t i = 0; i < d->nrows; i++)
		same += row_agrees(d, i, p + i * d->nlabels);
	return d->nrows ? (double)same / (double)d->nrows : 0;
}

/* The share of tokens whose out-of-fold label is their own. */
static double token_agreement(const ml_token_guess *g, size_t n)
{
	size_t same = 0;
	for (size_t i = 0; i < n; i++)
		same += g[i].label == g[i].model_label;
	return n ? (double)same / (double)n : 0;
}

/* What a check found: the contradictions (surest first) and the agreement. */
typedef struct check_found {
	ml_flag *f;
	size_t n;
	double agreement;
} check_found;

static int write_result(const ml_train_job *job, int folds, double threshold,
			const check_found *found, FILE *log, cl_error *err)
{
	const ml_dataset *d = job->data;
	size_t flagged;
	char path[PATH_MAX];
	json_t *flags = flags_json(d, found->f, found->n, is_spans(job->trainer), &flagged);
	json_t *out =
	    json_pack("{s:s,s:s,s:o,s:i,s:f,s:I,s:f,s:I,s:o}", "check", "labels", "trainer",
		      job->trainer->name, "params", params_json(job), "folds", folds, "threshold",
		      threshold, "rows", (json_int_t)d->nrows, "agreement", found->agreement,
		      "flagged", (json_int_t)flagged, "flags", flags);
	fprintf(log,
		"CROWDLOOP_METRIC check_rows=%zu step=0\nCROWDLOOP_METRIC check_agreement=%.6f "
		"step=0\nCROWDLOOP_METRIC check_flagged=%zu step=0\n",
		d->nrows, found->agreement, flagged);
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
	if (!checks_with(t))
		return cl_fail(err, CL_EINVAL, "bad_trainer",
			       "the label check takes text-linear, text-fasttext, image-hog or "
			       "spans-linear, not %s",
			       t->name);
	if (folds < ML_CHECK_MIN_FOLDS || folds > ML_CHECK_MAX_FOLDS)
		return cl_fail(err, CL_EINVAL, "bad_folds", "folds must be %d to %d",
			       ML_CHECK_MIN_FOLDS, ML_CHECK_MAX_FOLDS);
	if (!(threshold >= 0.5 && threshold <= 1))
		return cl_fail(err, CL_EINVAL, "bad_threshold", "threshold must be 0.5 to 1");
	return ml_trainer_check(t, params, err);
}

/* The contradictions of a class check: out-of-fold probabilities, then their flags. */
static int find_classes(const ml_train_job *job, int folds, double threshold, check_found *found,
			cl_error *err)
{
	const ml_dataset *d = job->data;
	double *p = calloc(d->nrows * d->nlabels + 1, sizeof *p);
	int rc =
	    p ? ml_out_of_fold(job, folds, p, err) : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc && ml_flags_of(d, p, threshold, &found->f, &found->n))
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		found->agreement = agreement_of(d, p);
	free(p);
	return rc;
}

/* The contradictions of a spans check: every token guessed, then the span disagreements. */
static int find_spans(const ml_train_job *job, int folds, double threshold, check_found *found,
		      cl_error *err)
{
	ml_token_guess *g = NULL;
	size_t n = 0;
	int rc = ml_spans_out_of_fold(job, folds, &g, &n, err);
	if (!rc && ml_span_flags_of(g, n, threshold, &found->f, &found->n))
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		found->agreement = token_agreement(g, n);
	free(g);
	return rc;
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
	check_found found = {NULL, 0, 0};
	if (!rc)
		rc = is_spans(t) ? find_spans(&job, folds, threshold, &found, err)
				 : find_classes(&job, folds, threshold, &found, err);
	if (!rc)
		rc = write_result(&job, folds, threshold, &found, log, err);
	free(found.f);
	ml_dataset_release(&d);
	return rc;
}
