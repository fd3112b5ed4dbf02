/* text-linear: logistic regression (liblinear) over hashed word and character n-grams
 * (ml/features.h), one class against the rest; and its runtime, text_linear. The model
 * directory holds model.json (labels, multi_label, the feature options) and weights.bin. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/features.h"
#include "ml/builtin.h"
#include "ml/label_check.h"
#include "ml/runtime.h"
#include "ml/train.h"

/* The longest text a prediction reads. */
#define TEXT_LINEAR_MAX_TEXT (1u << 20)

static ml_text_opts opts_of(const ml_trainer *t, const json_t *params)
{
	return (ml_text_opts){(int)ml_param(t, params, "hash_bits"),
			      (int)ml_param(t, params, "word_ngrams"),
			      (int)ml_param(t, params, "char_ngrams")};
}

/* The pool's first size: 64 features a row, more than the package descriptions' rows take
 * (about 16). The pages past the end of the rows are never touched, so the room costs
 * address space only, and the pool seldom has to move as it grows. */
#define POOL_PER_ROW 64

/* Appends the finished vector v (its end mark too) to the pool; -1 when out of memory. */
static int pool_add(struct feature_node **pool, size_t *used, size_t *cap, size_t rows,
		    const ml_fvec *v)
{
	size_t len = v->n + 1;
	if (*used + len > *cap) {
		size_t want = *cap ? *cap * 2 : (rows + 1) * POOL_PER_ROW;
		while (want < *used + len)
			want *= 2;
		struct feature_node *p = realloc(*pool, want * sizeof *p);
		if (!p)
			return -1;
		*pool = p;
		*cap = want;
	}
	memcpy(*pool + *used, v->x, len * sizeof **pool);
	*used += len;
	return 0;
}

/* The n train rows' vectors into x[], in order, one after another in the returned block (to
 * free): each row's made in one scratch vector and copied at its size, rather than a vector
 * of its own grown by doubling. NULL when out of memory. */
static struct feature_node *train_vectors(const ml_dataset *d, const ml_text_opts *o,
					  struct feature_node **x, size_t n)
{
	ml_fvec v = {0};
	struct feature_node *pool = NULL;
	size_t used = 0, cap = 0, r = 0, *at = malloc((n + 1) * sizeof *at);
	int rc = at ? 0 : -1;
	for (size_t i = 0; !rc && i < d->nrows && r < n; i++) {
		if (d->rows[i].split != ML_TRAIN)
			continue;
		at[r++] = used;
		rc =
		    ml_text_features(d->rows[i].text, o, &v) || pool_add(&pool, &used, &cap, n, &v);
	}
	for (size_t j = 0; !rc && j < r; j++)
		x[j] = pool + at[j];
	ml_fvec_release(&v);
	free(at);
	if (!rc && !pool) /* no train rows */
		pool = malloc(sizeof *pool);
	if (rc) {
		free(pool);
		return NULL;
	}
	return pool;
}

static json_t *text_meta(const ml_dataset *d, const ml_text_opts *o)
{
	json_t *labels = json_array();
	for (size_t i = 0; i < d->nlabels; i++)
		json_array_append_new(labels, json_string(d->labels[i]));
	return json_pack("{s:s,s:s,s:o,s:b,s:{s:i,s:i,s:i},s:[s]}", "runtime", "text_linear",
			 "kind", d->kind, "labels", labels, "multi_label", d->multi_label,
			 "features", "hash_bits", o->hash_bits, "word_ngrams", o->word_ngrams,
			 "char_ngrams", o->char_ngrams, "files", "weights.bin");
}

int ml_text_linear_train(const ml_train_job *job, cl_error *err)
{
	const ml_dataset *d = job->data;
	ml_text_opts o = opts_of(job->trainer, job->params);
	size_t n;
	char path[PATH_MAX];
	ml_linear m = {1 << o.hash_bits, (int)d->nlabels, d->multi_label, NULL, NULL, 0, NULL};
	uint8_t *truth = ml_train_truth(d, ML_TRAIN, &n);
	struct feature_node **x = calloc(n + 1, sizeof *x);
	struct feature_node *pool = truth && x ? train_vectors(d, &o, x, n) : NULL;
	int rc = pool ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		rc = ml_linear_train_used(&m, x, n, truth, ml_param(job->trainer, job->params, "C"),
					  job->cpus, err);
	snprintf(path, sizeof path, "%s/weights.bin", job->output);
	if (!rc && !(rc = ml_linear_save(&m, path, err)))
		rc = ml_train_write_meta(job->output, text_meta(d, &o), err);
	free(pool);
	free(x);
	free(truth);
	ml_linear_release(&m);
	return rc;
}

/* ---- the runtime ---- */

typedef struct text_linear_model {
	ml_text_opts opts;
	ml_linear linear;
	char **labels;
	int nlabels;
} text_linear_model;

static void text_linear_free(ml_model *mm)
{
	text_linear_model *m = (text_linear_model *)(void *)mm;
	if (!m)
		return;
	ml_linear_release(&m->linear);
	ml_model_labels_free(m->labels, m->nlabels);
	free(m);
}

static int read_opts(const json_t *meta, ml_text_opts *o, cl_error *err)
{
	const json_t *f = json_object_get(meta, "features");
	o->hash_bits = (int)json_integer_value(json_object_get(f, "hash_bits"));
	o->word_ngrams = (int)json_integer_value(json_object_get(f, "word_ngrams"));
	o->char_ngrams = (int)json_integer_value(json_object_get(f, "char_ngrams"));
	if (o->hash_bits < 12 || o->hash_bits > 24 || o->word_ngrams < 1 || o->word_ngrams > 3 ||
	    o->char_ngrams < 0 || o->char_ngrams > 6)
		return cl_fail(err, CL_EINVAL, "bad_model", "model.json: bad features");
	return CL_OK;
}

static int text_linear_load(const char *dir, ml_model **out, cl_error *err)
{
	char path[PATH_MAX];
	json_t *meta = ml_model_meta(dir, "text_linear", err);
	text_linear_model *m = meta ? calloc(1, sizeof *m) : NULL;
	int rc = !meta ? err->code : m ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		rc = read_opts(meta, &m->opts, err);
	if (!rc && !(m->labels = ml_model_labels(meta, &m->nlabels, err)))
		rc = err->code;
	snprintf(path, sizeof path, "%s/weights.bin", dir);
	if (!rc)
		rc = ml_linear_load(&m->linear, path, err);
	if (!rc && (m->linear.nclass != m->nlabels || m->linear.dim != 1 << m->opts.hash_bits))
		rc = cl_fail(err, CL_EINVAL, "bad_model", "%s does not match model.json", path);
	json_decref(meta);
	if (rc)
		text_linear_free((ml_model *)(void *)m);
	else
		*out = (ml_model *)(void *)m;
	return rc;
}

/* The text of a text model's input, checked against the limit. */
static int input_text(const json_t *in, const char **text, cl_error *err)
{
	const json_t *t = json_object_get(in, "text");
	if (!json_is_string(t))
		return cl_fail(err, CL_EINVAL, "bad_input", "input.text must be a string");
	if (json_string_length(t) > TEXT_LINEAR_MAX_TEXT)
		return cl_fail(err, CL_ETOOBIG, "too_big", "input.text is longer than %u bytes",
			       TEXT_LINEAR_MAX_TEXT);
	*text = json_string_value(t);
	return CL_OK;
}

static int text_linear_predict(ml_model *mm, const json_t *in, json_t **out, cl_error *err)
{
	text_linear_model *m = (text_linear_model *)(void *)mm;
	const char *text = NULL;
	ml_fvec v = {0};
	int rc = input_text(in, &text, err);
	if (rc)
		return rc;
	double *p = malloc((size_t)m->nlabels * sizeof *p);
	if (!p || ml_text_features(text, &m->opts, &v)) {
		free(p);
		ml_fvec_release(&v);
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	ml_linear_scores(&m->linear, v.x, p);
	*out = ml_scores_json(m->labels, p, m->nlabels, m->linear.multi_label);
	free(p);
	ml_fvec_release(&v);
	return *out ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
}

const ml_runtime ml_runtime_text_linear = {"text_linear", text_linear_load, text_linear_predict,
					   text_linear_free, true};

/* ---- every row's vector, for the label check (ml/label_check.h) ---- */

int ml_text_linear_vectors(const ml_train_job *job, ml_fvec *v, int *dim, cl_error *err)
{
	ml_text_opts o = opts_of(job->trainer, job->params);
	*dim = 1 << o.hash_bits;
	for (size_t i = 0; i < job->data->nrows; i++)
		if (ml_text_features(job->data->rows[i].text, &o, &v[i]))
			return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	return CL_OK;
}
