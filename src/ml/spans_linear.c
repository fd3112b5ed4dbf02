/* spans-linear: token classification for text_spans. The text is cut into tokens (ml/text.h),
 * each token gets a BIO tag (O, B-label, I-label) from the spans, and one-vs-rest logistic
 * regression (ml/linear.h) learns the tag from hashed window features: the token lower-cased,
 * its shape ("Xxxx", "dd"), prefixes and suffixes up to three characters, and the words and
 * shapes of its neighbours. Predicted tags are decoded back to spans in code points; and its
 * runtime, spans_linear. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ml/features.h"
#include "ml/builtin.h"
#include "ml/label_check.h"
#include "ml/runtime.h"
#include "ml/train.h"
#include "ml/text.h"

/* The most tokens of one text that are tagged; the longest text a prediction reads. */
#define SPANS_MAX_TOKENS 5000
#define SPANS_MAX_TEXT (256u << 10)

typedef struct spans_opts {
	int window, hash_bits;
} spans_opts;

/* A text's tokens with their lower case and shape, as the features read them. */
typedef struct tagged_text {
	ml_token *t;
	size_t n;
	char **lower, **shape; /* n each, owned */
} tagged_text;

/* "Xxxx" for "Seoul", "dd" for "42", "x" for "세계" in lower case (letters with no case are
 * lower), "." for a mark: runs of one kind longer than two are cut to two. */
static char *shape_of(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t i = 0, o = 0;
	while (out && i < len) {
		uint32_t c = ml_utf8_next(s, len, &i);
		char k = !ml_is_alnum(c)	  ? '.'
			 : (c >= '0' && c <= '9') ? 'd'
			 : ml_lower(c) != c	  ? 'X'
						  : 'x';
		if (!(o >= 2 && out[o - 1] == k && out[o - 2] == k))
			out[o++] = k;
	}
	if (out)
		out[o] = '\0';
	return out;
}

static void tagged_release(tagged_text *tt)
{
	for (size_t i = 0; i < tt->n; i++) {
		free(tt->lower ? tt->lower[i] : NULL);
		free(tt->shape ? tt->shape[i] : NULL);
	}
	free(tt->lower);
	free(tt->shape);
	free(tt->t);
	*tt = (tagged_text){0};
}

static int tagged_read(const char *text, tagged_text *tt)
{
	*tt = (tagged_text){0};
	if (ml_tokenize(text, strlen(text), SPANS_MAX_TOKENS, &tt->t, &tt->n))
		return -1;
	tt->lower = calloc(tt->n + 1, sizeof *tt->lower);
	tt->shape = calloc(tt->n + 1, sizeof *tt->shape);
	if (!tt->lower || !tt->shape)
		return tagged_release(tt), -1;
	for (size_t i = 0; i < tt->n; i++) {
		const char *s = text + tt->t[i].byte_start;
		size_t len = tt->t[i].byte_end - tt->t[i].byte_start;
		tt->lower[i] = malloc(4 * len + 1);
		tt->shape[i] = shape_of(s, len);
		if (!tt->lower[i] || !tt->shape[i])
			return tagged_release(tt), -1;
		tt->lower[i][ml_lower_utf8(s, len, tt->lower[i])] = '\0';
	}
	return 0;
}

/* ---- features ---- */

static int put(ml_fvec *v, const spans_opts *o, const char *kind, int at, const char *value,
	       size_t len)
{
	uint64_t h = ml_hash(ML_HASH_SEED, kind, strlen(kind) + 1);
	h = ml_hash(h, &at, sizeof at);
	h = ml_hash(h, value, len);
	return ml_fvec_add(v, (int)(h & ((1ULL << o->hash_bits) - 1)) + 1, 1.0);
}

/* The bytes of the first (or last) n code points of s. */
static size_t affix_len(const char *s, int n, bool suffix)
{
	size_t len = strlen(s), i = 0, cuts[4] = {0}, nc = 0;
	while (i < len) {
		ml_utf8_next(s, len, &i);
		if (!suffix && ++nc == (size_t)n)
			return i;
		if (suffix) {
			memmove(cuts, cuts + 1, 3 * sizeof *cuts);
			cuts[3] = i;
			nc++;
		}
	}
	if (!suffix || nc < (size_t)n)
		return len;
	return len - cuts[3 - n];
}

static int token_features(const tagged_text *tt, size_t i, const spans_opts *o, ml_fvec *v)
{
	const char *w = tt->lower[i];
	int rc = put(v, o, "w", 0, w, strlen(w)) ||
		 put(v, o, "s", 0, tt->shape[i], strlen(tt->shape[i])) ||
		 put(v, o, "bias", 0, "", 0);
	for (int n = 1; !rc && n <= 3; n++) {
		size_t p = affix_len(w, n, false), s = affix_len(w, n, true);
		rc = put(v, o, "p", n, w, p) || put(v, o, "x", n, w + strlen(w) - s, s);
	}
	for (int d = -o->window; !rc && d <= o->window; d++) {
		long j = (long)i + d;
		if (d == 0)
			continue;
		if (j < 0 || j >= (long)tt->n)
			rc = put(v, o, "edge", d, "", 0);
		else
			rc = put(v, o, "w", d, tt->lower[j], strlen(tt->lower[j])) ||
			     put(v, o, "s", d, tt->shape[j], strlen(tt->shape[j]));
	}
	return rc ? -1 : ml_fvec_finish(v, 1 << o->hash_bits, false);
}

/* ---- tags: 0 is O, 1 + 2k is B of label k, 2 + 2k is I of label k ---- */

/* The tag of each token from the spans: a token inside a span is B at its start, I after. */
static void tags_of(const tagged_text *tt, const ml_span *spans, size_t nspans, int *tags)
{
	for (size_t i = 0; i < tt->n; i++) {
		tags[i] = 0;
		for (size_t s = 0; s < nspans && !tags[i]; s++)
			if (tt->t[i].start >= spans[s].start && tt->t[i].end <= spans[s].end)
				tags[i] =
				    (tt->t[i].start == spans[s].start ? 1 : 2) + 2 * spans[s].label;
	}
}

/* Spans from predicted tags: a B opens a span, an I of the open span's label goes on with it
 * (an I without one opens a span too), anything else closes it. */
static size_t spans_of_tags(const tagged_text *tt, const int *tags, const double *score,
			    ml_span *out, double *out_score)
{
	size_t n = 0, len = 0;
	for (size_t i = 0; i < tt->n; i++) {
		int label = tags[i] ? (tags[i] - 1) / 2 : -1;
		bool inside = tags[i] && tags[i] % 2 == 0;
		if (inside && n && len && out[n - 1].label == label) {
			out[n - 1].end = tt->t[i].end;
			out_score[n - 1] += score[i];
			len++;
			continue;
		}
		if (n && len)
			out_score[n - 1] /= (double)len;
		len = 0;
		if (label >= 0) {
			out[n] = (ml_span){tt->t[i].start, tt->t[i].end, label};
			out_score[n++] = score[i];
			len = 1;
		}
	}
	if (n && len)
		out_score[n - 1] /= (double)len;
	return n;
}

/* ---- training ---- */

typedef struct token_rows {
	ml_fvec *v;
	int *tags;
	ml_token_guess *g; /* with `guesses` (the label check): each token's row and offsets */
	bool guesses;
	size_t n, cap;
} token_rows;

static int rows_grow(token_rows *r, size_t more)
{
	if (r->n + more <= r->cap)
		return 0;
	size_t cap = r->cap ? r->cap : 4096;
	while (cap < r->n + more)
		cap *= 2;
	ml_fvec *v = realloc(r->v, cap * sizeof *v);
	if (v)
		r->v = v;
	int *tags = v ? realloc(r->tags, cap * sizeof *tags) : NULL;
	if (!tags)
		return -1;
	r->tags = tags;
	ml_token_guess *g = r->guesses ? realloc(r->g, cap * sizeof *g) : NULL;
	if (r->guesses && !g)
		return -1;
	r->g = g;
	memset(r->v + r->cap, 0, (cap - r->cap) * sizeof *v);
	r->cap = cap;
	return 0;
}

/* The label of tag `tag` (-1 for O). */
static int label_of_tag(int tag)
{
	return tag ? (tag - 1) / 2 : -1;
}

static int add_text(token_rows *r, const ml_row *row, size_t index, const spans_opts *o)
{
	tagged_text tt;
	if (tagged_read(row->text, &tt))
		return -1;
	int rc = rows_grow(r, tt.n);
	if (!rc)
		tags_of(&tt, row->spans, row->nspans, r->tags + r->n);
	for (size_t i = 0; !rc && r->guesses && i < tt.n; i++)
		r->g[r->n + i] = (ml_token_guess){
		    index, tt.t[i].start, tt.t[i].end, label_of_tag(r->tags[r->n + i]), -1, 0};
	for (size_t i = 0; !rc && i < tt.n; i++)
		rc = token_features(&tt, i, o, &r->v[r->n + i]);
	if (!rc)
		r->n += tt.n;
	tagged_release(&tt);
	return rc;
}

static void token_rows_release(token_rows *r)
{
	for (size_t i = 0; i < r->cap; i++)
		ml_fvec_release(&r->v[i]);
	free(r->v);
	free(r->tags);
	free(r->g);
	*r = (token_rows){0};
}

static json_t *spans_meta(const ml_dataset *d, const spans_opts *o)
{
	json_t *labels = json_array();
	for (size_t i = 0; i < d->nlabels; i++)
		json_array_append_new(labels, json_string(d->labels[i]));
	return json_pack("{s:s,s:s,s:o,s:i,s:i,s:[s]}", "runtime", "spans_linear", "kind", d->kind,
			 "labels", labels, "window", o->window, "hash_bits", o->hash_bits, "files",
			 "weights.bin");
}

static int train_tokens(const ml_train_job *job, const token_rows *r, const spans_opts *o,
			cl_error *err)
{
	int nclass = 1 + 2 * (int)job->data->nlabels;
	char path[PATH_MAX];
	ml_linear m = {1 << o->hash_bits, nclass, false, NULL, NULL, 0, NULL};
	uint8_t *truth = calloc(r->n * (size_t)nclass + 1, 1);
	struct feature_node **x = calloc(r->n + 1, sizeof *x);
	int rc = truth && x ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < r->n; i++) {
		x[i] = r->v[i].x;
		truth[i * (size_t)nclass + (size_t)r->tags[i]] = 1;
	}
	if (!rc)
		rc = ml_linear_train(&m, x, r->n, truth, ml_param(job->trainer, job->params, "C"),
				     job->cpus, err);
	snprintf(path, sizeof path, "%s/weights.bin", job->output);
	if (!rc && !(rc = ml_linear_save(&m, path, err)))
		rc = ml_train_write_meta(job->output, spans_meta(job->data, o), err);
	free(truth);
	free(x);
	ml_linear_release(&m);
	return rc;
}

int ml_spans_linear_train(const ml_train_job *job, cl_error *err)
{
	const ml_dataset *d = job->data;
	spans_opts o = {(int)ml_param(job->trainer, job->params, "window"),
			(int)ml_param(job->trainer, job->params, "hash_bits")};
	token_rows r = {0};
	int rc = CL_OK;
	for (size_t i = 0; !rc && i < d->nrows; i++)
		if (d->rows[i].split == ML_TRAIN && add_text(&r, &d->rows[i], i, &o))
			rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc && !r.n)
		rc = cl_fail(err, CL_EINVAL, "bad_dataset", "the train rows hold no tokens");
	if (!rc)
		rc = train_tokens(job, &r, &o, err);
	token_rows_release(&r);
	return rc;
}

/* ---- the label check's out-of-fold guesses (ml/label_check.h) ---- */

/* Token i's guess from the tag probabilities p: a label's is its B's and its I's together. */
static void guess_of(const double *p, int nlabels, ml_token_guess *g)
{
	g->model_label = -1;
	g->confidence = p[0];
	for (int k = 0; k < nlabels; k++)
		if (p[1 + 2 * k] + p[2 + 2 * k] > g->confidence) {
			g->model_label = k;
			g->confidence = p[1 + 2 * k] + p[2 + 2 * k];
		}
}

/* Trains on the tokens of rows outside fold f and guesses the tokens of the rows inside it. */
static int spans_fold(const ml_train_job *job, token_rows *r, const int *fold, int f, cl_error *err)
{
	int nlabels = (int)job->data->nlabels, nclass = 1 + 2 * nlabels,
	    bits = (int)ml_param(job->trainer, job->params, "hash_bits");
	ml_linear m = {1 << bits, nclass, false, NULL, NULL, 0, NULL};
	uint8_t *truth = calloc(r->n * (size_t)nclass + 1, 1);
	struct feature_node **x = calloc(r->n + 1, sizeof *x);
	double *p = calloc((size_t)nclass, sizeof *p);
	size_t l = 0;
	int rc = truth && x && p ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < r->n; i++)
		if (fold[r->g[i].row] != f) {
			truth[l * (size_t)nclass + (size_t)r->tags[i]] = 1;
			x[l++] = r->v[i].x;
		}
	if (!rc && l)
		rc = ml_linear_train(&m, x, l, truth, ml_param(job->trainer, job->params, "C"),
				     job->cpus, err);
	for (size_t i = 0; !rc && l && i < r->n; i++)
		if (fold[r->g[i].row] == f) {
			ml_linear_scores(&m, r->v[i].x, p);
			guess_of(p, nlabels, &r->g[i]);
		}
	ml_linear_release(&m);
	free(truth);
	free(x);
	free(p);
	return rc;
}

int ml_spans_out_of_fold(const ml_train_job *job, int folds, ml_token_guess **out, size_t *n,
			 cl_error *err)
{
	const ml_dataset *d = job->data;
	spans_opts o = {(int)ml_param(job->trainer, job->params, "window"),
			(int)ml_param(job->trainer, job->params, "hash_bits")};
	token_rows r = {.guesses = true};
	int *fold = calloc(d->nrows + 1, sizeof *fold);
	int rc = fold ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < d->nrows; i++) {
		fold[i] = ml_fold_of(d->rows[i].item_id, i, folds);
		if (add_text(&r, &d->rows[i], i, &o))
			rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	for (int f = 0; !rc && f < folds; f++)
		rc = spans_fold(job, &r, fold, f, err);
	*out = rc ? NULL : r.g;
	*n = rc ? 0 : r.n;
	if (!rc)
		r.g = NULL;
	token_rows_release(&r);
	free(fold);
	return rc;
}

/* ---- the runtime ---- */

typedef struct spans_model {
	spans_opts opts;
	ml_linear linear;
	char **labels;
	int nlabels;
} spans_model;

static void spans_free(ml_model *mm)
{
	spans_model *m = (spans_model *)(void *)mm;
	if (!m)
		return;
	ml_linear_release(&m->linear);
	ml_model_labels_free(m->labels, m->nlabels);
	free(m);
}

static int spans_load(const char *dir, ml_model **out, cl_error *err)
{
	char path[PATH_MAX];
	json_t *meta = ml_model_meta(dir, "spans_linear", err);
	spans_model *m = meta ? calloc(1, sizeof *m) : NULL;
	int rc = !meta ? err->code : m ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc) {
		m->opts.window = (int)json_integer_value(json_object_get(meta, "window"));
		m->opts.hash_bits = (int)json_integer_value(json_object_get(meta, "hash_bits"));
		if (m->opts.window < 0 || m->opts.window > 4 || m->opts.hash_bits < 12 ||
		    m->opts.hash_bits > 24)
			rc = cl_fail(err, CL_EINVAL, "bad_model",
				     "model.json: bad window or hash_bits");
	}
	if (!rc && !(m->labels = ml_model_labels(meta, &m->nlabels, err)))
		rc = err->code;
	snprintf(path, sizeof path, "%s/weights.bin", dir);
	if (!rc)
		rc = ml_linear_load(&m->linear, path, err);
	if (!rc &&
	    (m->linear.nclass != 1 + 2 * m->nlabels || m->linear.dim != 1 << m->opts.hash_bits))
		rc = cl_fail(err, CL_EINVAL, "bad_model", "%s does not match model.json", path);
	json_decref(meta);
	if (rc)
		spans_free((ml_model *)(void *)m);
	else
		*out = (ml_model *)(void *)m;
	return rc;
}

/* The tag and its probability of each token of tt. */
static int tag_tokens(const spans_model *m, const tagged_text *tt, int *tags, double *score)
{
	double *p = malloc((size_t)m->linear.nclass * sizeof *p);
	ml_fvec v = {0};
	int rc = p ? 0 : -1;
	for (size_t i = 0; !rc && i < tt->n; i++) {
		v.n = 0;
		if ((rc = token_features(tt, i, &m->opts, &v)))
			break;
		ml_linear_scores(&m->linear, v.x, p);
		tags[i] = ml_argmax(p, m->linear.nclass);
		score[i] = p[tags[i]];
	}
	ml_fvec_release(&v);
	free(p);
	return rc;
}

static json_t *spans_json(const spans_model *m, const ml_span *s, const double *score, size_t n)
{
	json_t *list = json_array();
	for (size_t i = 0; list && i < n; i++)
		json_array_append_new(list, json_pack("{s:i,s:i,s:s,s:f}", "start", s[i].start,
						      "end", s[i].end, "label",
						      m->labels[s[i].label], "score", score[i]));
	return json_pack("{s:o}", "spans", list);
}

static int spans_predict(ml_model *mm, const json_t *in, json_t **out, cl_error *err)
{
	spans_model *m = (spans_model *)(void *)mm;
	const json_t *text = json_object_get(in, "text");
	tagged_text tt;
	if (!json_is_string(text))
		return cl_fail(err, CL_EINVAL, "bad_input", "input.text must be a string");
	if (json_string_length(text) > SPANS_MAX_TEXT)
		return cl_fail(err, CL_ETOOBIG, "too_big", "input.text is longer than %u bytes",
			       SPANS_MAX_TEXT);
	if (tagged_read(json_string_value(text), &tt))
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	size_t n = tt.n + 1;
	int *tags = calloc(n, sizeof *tags);
	double *score = calloc(n, sizeof *score), *span_score = calloc(n, sizeof *span_score);
	ml_span *spans = calloc(n, sizeof *spans);
	int rc = tags && score && span_score && spans && !tag_tokens(m, &tt, tags, score)
		     ? CL_OK
		     : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc) {
		size_t ns = spans_of_tags(&tt, tags, score, spans, span_score);
		if (!(*out = spans_json(m, spans, span_score, ns)))
			rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	free(tags);
	free(score);
	free(span_score);
	free(spans);
	tagged_release(&tt);
	return rc;
}

const ml_runtime ml_runtime_spans_linear = {"spans_linear", spans_load, spans_predict, spans_free,
					    true};
