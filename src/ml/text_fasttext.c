/* text-fasttext: fastText supervised (through ml/fasttext_shim.h) on the lower-cased tokens of
 * ml/text.h, and its runtime, text_fasttext; and langid_fasttext, fastText's language
 * identification model lid.176.ftz (scripts/fetch-langid.sh) served by the same shim. Labels go
 * to fastText as "__label__<index>", so a label may hold any character. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ml/fasttext_shim.h"
#include "ml/builtin.h"
#include "ml/label_check.h"
#include "ml/runtime.h"
#include "ml/text.h"
#include "ml/train.h"

/* The longest text a prediction reads; the most scores langid answers with. */
#define FASTTEXT_MAX_TEXT (1u << 20)
#define LANGID_TOP 5

/* The text as fastText reads it: lower-cased tokens parted by single spaces. NULL when out of
 * memory. */
static char *fasttext_words(const char *text)
{
	size_t len = strlen(text), n, o = 0;
	ml_token *t;
	if (ml_tokenize(text, len, 100000, &t, &n))
		return NULL;
	char *out = malloc(4 * len + n + 1);
	for (size_t i = 0; out && i < n; i++) {
		if (i)
			out[o++] = ' ';
		o +=
		    ml_lower_utf8(text + t[i].byte_start, t[i].byte_end - t[i].byte_start, out + o);
	}
	if (out)
		out[o] = '\0';
	free(t);
	return out;
}

/* Writes the rows to train on: the train split, or with `fold` the rows outside fold `skip`. */
static int write_train_file(const ml_dataset *d, const int *fold, int skip, const char *path,
			    cl_error *err)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	int ok = 1;
	for (size_t i = 0; ok && i < d->nrows; i++) {
		const ml_row *r = &d->rows[i];
		if (fold ? fold[i] == skip : r->split != ML_TRAIN)
			continue;
		char *words = fasttext_words(r->text);
		for (size_t k = 0; words && k < r->nlabels; k++)
			fprintf(f, "__label__%d ", r->labels[k]);
		ok = words && fprintf(f, "%s\n", words) >= 0;
		free(words);
	}
	if (fclose(f) || !ok)
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	return CL_OK;
}

static json_t *fasttext_meta(const ml_dataset *d)
{
	json_t *labels = json_array();
	for (size_t i = 0; i < d->nlabels; i++)
		json_array_append_new(labels, json_string(d->labels[i]));
	return json_pack("{s:s,s:s,s:o,s:b,s:[s]}", "runtime", "text_fasttext", "kind", d->kind,
			 "labels", labels, "multi_label", d->multi_label, "files", "model.bin");
}

/* Trains fastText on job's rows (the train split, or those outside fold f) into `model`. */
static int fasttext_fit(const ml_train_job *job, const int *fold, int f, const char *model,
			cl_error *err)
{
	const ml_trainer *t = job->trainer;
	const json_t *p = job->params;
	char input[PATH_MAX], why[200];
	ml_fasttext_args a = {(int)ml_param(t, p, "epoch"),
			      (int)ml_param(t, p, "dim"),
			      (int)ml_param(t, p, "word_ngrams"),
			      (int)ml_param(t, p, "bucket"),
			      (int)ml_param(t, p, "min_count"),
			      job->cpus,
			      ml_param(t, p, "lr"),
			      job->data->multi_label};
	snprintf(input, sizeof input, "%s/train.txt", job->output);
	int rc = write_train_file(job->data, fold, f, input, err);
	if (!rc && ml_fasttext_train(input, model, &a, why, sizeof why))
		rc = cl_fail(err, CL_EINVAL, "train_failed", "%s", why);
	unlink(input);
	return rc;
}

int ml_text_fasttext_train(const ml_train_job *job, cl_error *err)
{
	char model[PATH_MAX];
	snprintf(model, sizeof model, "%s/model.bin", job->output);
	int rc = fasttext_fit(job, NULL, 0, model, err);
	return rc ? rc : ml_train_write_meta(job->output, fasttext_meta(job->data), err);
}

/* ---- the runtimes ---- */

typedef struct fasttext_model {
	ml_fasttext *ft;
	char **labels; /* text_fasttext: the project's labels, by "__label__<index>" */
	int nlabels;
	bool multi_label;
} fasttext_model;

static void fasttext_model_free(ml_model *mm)
{
	fasttext_model *m = (fasttext_model *)(void *)mm;
	if (!m)
		return;
	ml_fasttext_free(m->ft);
	ml_model_labels_free(m->labels, m->nlabels);
	free(m);
}

/* Loads <dir>/<file> for `runtime`; labels too when `with_labels`. */
static int fasttext_model_load(const char *dir, const char *runtime, const char *file,
			       bool with_labels, ml_model **out, cl_error *err)
{
	char path[PATH_MAX], why[200];
	json_t *meta = ml_model_meta(dir, runtime, err);
	fasttext_model *m = meta ? calloc(1, sizeof *m) : NULL;
	int rc = !meta ? err->code : m ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc && with_labels && !(m->labels = ml_model_labels(meta, &m->nlabels, err)))
		rc = err->code;
	if (!rc) {
		m->multi_label = json_is_true(json_object_get(meta, "multi_label"));
		snprintf(path, sizeof path, "%s/%s", dir, file);
		if (!(m->ft = ml_fasttext_load(path, why, sizeof why)))
			rc = cl_fail(err, CL_EINVAL, "bad_model", "%s: %s", path, why);
	}
	json_decref(meta);
	if (rc)
		fasttext_model_free((ml_model *)(void *)m);
	else
		*out = (ml_model *)(void *)m;
	return rc;
}

static int text_fasttext_load(const char *dir, ml_model **out, cl_error *err)
{
	return fasttext_model_load(dir, "text_fasttext", "model.bin", true, out, err);
}

/* The input's text as fastText reads it (to free()), checked against the limit. */
static int input_words(const json_t *in, bool tokenize, char **words, cl_error *err)
{
	const json_t *t = json_object_get(in, "text");
	if (!json_is_string(t))
		return cl_fail(err, CL_EINVAL, "bad_input", "input.text must be a string");
	if (json_string_length(t) > FASTTEXT_MAX_TEXT)
		return cl_fail(err, CL_ETOOBIG, "too_big", "input.text is longer than %u bytes",
			       FASTTEXT_MAX_TEXT);
	*words = tokenize ? fasttext_words(json_string_value(t)) : strdup(json_string_value(t));
	for (char *c = *words; c && *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' '; /* fastText reads one line */
	return *words ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
}

/* fastText answers exp(log(p + 1e-5)): the probability it meant. */
static double fasttext_p(double got)
{
	return got > 1e-5 ? (got < 1 + 1e-5 ? got - 1e-5 : 1) : 0;
}

/* fastText's answers as probabilities of the project's labels, summing to 1 unless the model is
 * multi-label. */
static void project_scores(const fasttext_model *m, const ml_fasttext_label *got, int n, double *p)
{
	double sum = 0;
	for (int k = 0; k < m->nlabels; k++)
		p[k] = 0;
	for (int i = 0; i < n; i++) {
		int k = atoi(got[i].label + strlen("__label__"));
		if (!strncmp(got[i].label, "__label__", 9) && k >= 0 && k < m->nlabels)
			sum += p[k] = fasttext_p(got[i].p);
	}
	for (int k = 0; !m->multi_label && sum > 0 && k < m->nlabels; k++)
		p[k] /= sum;
}

static int text_fasttext_predict(ml_model *mm, const json_t *in, json_t **out, cl_error *err)
{
	fasttext_model *m = (fasttext_model *)(void *)mm;
	char *words;
	int rc = input_words(in, true, &words, err);
	if (rc)
		return rc;
	ml_fasttext_label *got = calloc((size_t)m->nlabels, sizeof *got);
	double *p = calloc((size_t)m->nlabels, sizeof *p);
	int n = got && p ? ml_fasttext_predict(m->ft, words, 0, got, m->nlabels) : -1;
	if (n < 0) {
		rc = cl_fail(err, CL_ENOMEM, NULL, "fastText could not predict");
	} else {
		project_scores(m, got, n, p);
		*out = ml_scores_json(m->labels, p, m->nlabels, m->multi_label);
	}
	free(words);
	free(got);
	free(p);
	return rc;
}

/* The probabilities of row r's labels by model m (the project's labels) into p. */
static int fasttext_row_scores(fasttext_model *m, const ml_row *r, ml_fasttext_label *got,
			       double *p)
{
	char *words = fasttext_words(r->text);
	for (char *c = words; c && *c; c++)
		if (*c == '\n' || *c == '\r')
			*c = ' ';
	int n = words ? ml_fasttext_predict(m->ft, words, 0, got, m->nlabels) : -1;
	free(words);
	if (n < 0)
		return -1;
	project_scores(m, got, n, p);
	return 0;
}

int ml_text_fasttext_fold(const ml_train_job *job, const int *fold, int f, double *p, cl_error *err)
{
	const ml_dataset *d = job->data;
	char path[PATH_MAX], why[200];
	snprintf(path, sizeof path, "%s/fold.bin", job->output);
	int rc = fasttext_fit(job, fold, f, path, err);
	fasttext_model m = {NULL, NULL, (int)d->nlabels, d->multi_label};
	if (!rc && !(m.ft = ml_fasttext_load(path, why, sizeof why)))
		rc = cl_fail(err, CL_EINVAL, "train_failed", "%s", why);
	unlink(path);
	ml_fasttext_label *got = rc ? NULL : calloc(d->nlabels + 1, sizeof *got);
	if (!rc && !got)
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < d->nrows; i++)
		if (fold[i] == f && fasttext_row_scores(&m, &d->rows[i], got, p + i * d->nlabels))
			rc = cl_fail(err, CL_ENOMEM, NULL, "fastText could not predict");
	free(got);
	ml_fasttext_free(m.ft);
	return rc;
}

const ml_runtime ml_runtime_text_fasttext = {"text_fasttext", text_fasttext_load,
					     text_fasttext_predict, fasttext_model_free, true};

/* langid: model.json {"runtime":"langid_fasttext","file":"lid.176.ftz"}. */
static int langid_load(const char *dir, ml_model **out, cl_error *err)
{
	json_t *meta = ml_model_meta(dir, "langid_fasttext", err);
	if (!meta)
		return err->code;
	const char *file = json_string_value(json_object_get(meta, "file"));
	char name[128];
	snprintf(name, sizeof name, "%s", file && !strchr(file, '/') ? file : "lid.176.ftz");
	json_decref(meta);
	return fasttext_model_load(dir, "langid_fasttext", name, false, out, err);
}

static int langid_predict(ml_model *mm, const json_t *in, json_t **out, cl_error *err)
{
	fasttext_model *m = (fasttext_model *)(void *)mm;
	ml_fasttext_label got[LANGID_TOP];
	char *words;
	int rc = input_words(in, false, &words, err);
	if (rc)
		return rc;
	int n = ml_fasttext_predict(m->ft, words, 0, got, LANGID_TOP);
	free(words);
	if (n < 0)
		return cl_fail(err, CL_ENOMEM, NULL, "fastText could not predict");
	json_t *scores = json_object();
	for (int i = 0; i < n; i++) {
		const char *lang = got[i].label;
		lang += strncmp(lang, "__label__", 9) ? 0 : 9;
		json_object_set_new(scores, lang, json_real(fasttext_p(got[i].p)));
	}
	const char *best = n ? got[0].label + (strncmp(got[0].label, "__label__", 9) ? 0 : 9) : "";
	*out = json_pack("{s:s,s:o}", "label", best, "scores", scores);
	return *out ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
}

const ml_runtime ml_runtime_langid_fasttext = {"langid_fasttext", langid_load, langid_predict,
					       fasttext_model_free, true};
