/* Production's figure on a run's test items when production was trained on a version with
 * other test items: its model (a built-in one: a text classifier, single- or multi-label, an
 * image classifier or a span tagger) answers each test row of the run's version, in process on
 * the runner's thread, and the answers are scored as the trainers score their own test split
 * (ml/evaluate.h): one label's confusion matrix, a multi-label model's sets (accuracy: the
 * share of rows whose whole set is right), or spans' entity matches. */
#include "core/pipeline.h"
#include "ml/evaluate.h"
#include "ml/runtime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct scoring {
	const ml_runtime *rt;
	ml_model *model;
	char **labels;
	int n;
	bool multi; /* a multi-label model: sets of labels, not one */
	bool image; /* the model reads images: rows give their blob's file */
	bool spans; /* a span tagger: entity matches per label */
	const store *s;
	const char *data_dir;
	ml_confusion confusion; /* one label */
	uint8_t *truth, *pred;	/* multi-label: rows × n flags */
	ml_counts *per_label;	/* spans: n counts */
	size_t cap;
	long rows;
} scoring;

static int label_index(const scoring *sc, const char *label)
{
	for (int i = 0; label && i < sc->n; i++)
		if (!strcmp(sc->labels[i], label))
			return i;
	return -1;
}

/* The model's input for a row: its text, or its image's file; NULL when it has none. */
static json_t *row_input(const scoring *sc, const export_row *row)
{
	char path[4096];
	if (!sc->image)
		return row->text ? json_pack("{s:s}", "text", row->text) : NULL;
	if (!row->blob || sc->s->ops->blob_file(sc->data_dir, row->blob, path, sizeof path))
		return NULL;
	return json_pack("{s:s}", "image_path", path);
}

/* Flags of the labels in `labels` (a JSON array) into flags[n]. */
static void flags_of(const scoring *sc, const json_t *labels, uint8_t *flags)
{
	size_t i;
	json_t *v;
	memset(flags, 0, (size_t)sc->n);
	json_array_foreach(labels, i, v)
	{
		int k = label_index(sc, json_string_value(v));
		if (k >= 0)
			flags[k] = 1;
	}
}

/* Adds a multi-label row: its true set and the model's. */
static void add_sets(scoring *sc, const json_t *truth, const json_t *out)
{
	size_t n = (size_t)sc->n;
	if ((size_t)sc->rows == sc->cap) {
		size_t cap = sc->cap ? sc->cap * 2 : 64;
		uint8_t *t = realloc(sc->truth, cap * n),
			*p = t ? realloc(sc->pred, cap * n) : NULL;
		if (t)
			sc->truth = t;
		if (!p)
			return;
		sc->pred = p;
		sc->cap = cap;
	}
	flags_of(sc, truth, sc->truth + (size_t)sc->rows * n);
	flags_of(sc, json_object_get(out, "labels"), sc->pred + (size_t)sc->rows * n);
	sc->rows++;
}

/* Adds a one-label row; rows whose labels the model does not know are left out. */
static void add_label(scoring *sc, const json_t *truth, const json_t *out)
{
	int t = label_index(sc, json_string_value(json_array_get(truth, 0)));
	int p = label_index(sc, json_string_value(json_object_get(out, "label")));
	if (t >= 0 && p >= 0) {
		ml_confusion_add(&sc->confusion, t, p);
		sc->rows++;
	}
}

/* Spans {start,end,label} of the model's labels as ml_spans (new array, *n of them). */
static ml_span *spans_of(const scoring *sc, const json_t *spans, size_t *n)
{
	ml_span *out = calloc(json_array_size(spans) + 1, sizeof *out);
	size_t i;
	json_t *v;
	*n = 0;
	json_array_foreach(spans, i, v)
	{
		int k = label_index(sc, json_string_value(json_object_get(v, "label")));
		if (out && k >= 0)
			out[(*n)++] =
			    (ml_span){(int)json_integer_value(json_object_get(v, "start")),
				      (int)json_integer_value(json_object_get(v, "end")), k};
	}
	return out;
}

/* Adds a row's entity matches: its true spans and the model's. */
static void add_spans(scoring *sc, const json_t *truth, const json_t *out)
{
	size_t ngold, npred;
	ml_span *gold = spans_of(sc, truth, &ngold);
	ml_span *pred = spans_of(sc, json_object_get(out, "spans"), &npred);
	if (gold && pred) {
		ml_spans_count(gold, ngold, pred, npred, sc->per_label);
		sc->rows++;
	}
	free(gold);
	free(pred);
}

/* Scores one test row; rows of another shape are left out. */
static void score_row(scoring *sc, const export_row *row)
{
	json_t *ann = json_loads(row->annotation, 0, NULL);
	const json_t *truth = json_object_get(ann, sc->spans ? "spans" : "labels");
	json_t *input = json_is_array(truth) ? row_input(sc, row) : NULL, *out = NULL;
	cl_error err = {0};
	if (input && !sc->rt->predict(sc->model, input, &out, &err)) {
		if (sc->spans)
			add_spans(sc, truth, out);
		else if (sc->multi)
			add_sets(sc, truth, out);
		else
			add_label(sc, truth, out);
	}
	json_decref(out);
	json_decref(input);
	json_decref(ann);
}

/* Whether a model of `runtime` is a classifier the run can score. */
static bool scorable(const char *runtime)
{
	static const char *const classifiers[] = {"text_linear", "text_fasttext", "image_hog",
						  "spans_linear"};
	for (size_t i = 0; runtime && i < sizeof classifiers / sizeof *classifiers; i++)
		if (!strcmp(runtime, classifiers[i]))
			return true;
	return false;
}

/* Opens the model in `dir` when it is a built-in classifier. */
static bool scoring_open(scoring *sc, const char *dir)
{
	cl_error err = {0};
	json_t *meta = ml_model_meta(dir, NULL, &err);
	const char *runtime = json_string_value(json_object_get(meta, "runtime"));
	bool fits = scorable(runtime);
	if (fits) {
		sc->multi = json_is_true(json_object_get(meta, "multi_label"));
		sc->image = !strcmp(runtime, "image_hog");
		sc->spans = !strcmp(runtime, "spans_linear");
		sc->labels = ml_model_labels(meta, &sc->n, &err);
	}
	json_decref(meta);
	if (!fits || !sc->labels)
		return false;
	sc->per_label = calloc((size_t)sc->n, sizeof *sc->per_label);
	return sc->per_label && !ml_confusion_init(&sc->confusion, sc->n) &&
	       !ml_model_open(dir, &sc->rt, &sc->model, &err);
}

static void scoring_close(scoring *sc)
{
	if (sc->rt)
		sc->rt->free(sc->model);
	ml_confusion_release(&sc->confusion);
	ml_model_labels_free(sc->labels, sc->n);
	free(sc->truth);
	free(sc->pred);
	free(sc->per_label);
}

/* The figure `metric` of the scored rows, as the trainers' evaluation.json has it. */
static bool scoring_figure(const scoring *sc, const char *metric, double *figure)
{
	bool accuracy = !strcmp(metric, "accuracy"), macro_f1 = !strcmp(metric, "macro_f1");
	if (!sc->multi && !sc->spans) {
		if (accuracy || macro_f1)
			*figure =
			    accuracy ? ml_accuracy(&sc->confusion) : ml_macro_f1(&sc->confusion);
		return accuracy || macro_f1;
	}
	json_t *e = sc->spans ? ml_eval_spans_json(sc->per_label, sc->labels, sc->n)
			      : ml_eval_multi_json(sc->truth, sc->pred, (size_t)sc->rows,
						   sc->labels, sc->n);
	const json_t *v = pipeline_figure_in(e, metric);
	bool ok = json_is_number(v);
	if (ok)
		*figure = json_number_value(v);
	json_decref(e);
	return ok;
}

bool pipeline_evaluate_on(const store *s, const char *data_dir, const char *dir, int64_t dataset_id,
			  const char *metric, double *figure)
{
	scoring sc = {.s = s, .data_dir = data_dir};
	void *rows = scoring_open(&sc, dir) ? s->ops->dataset_rows_open(s->db, dataset_id) : NULL;
	export_row row;
	while (rows && s->ops->dataset_rows_next(rows, &row) == 1)
		if (row.split && !strcmp(row.split, "test"))
			score_row(&sc, &row);
	if (rows)
		s->ops->dataset_rows_close(rows);
	bool ok = sc.rows > 0 && scoring_figure(&sc, metric, figure);
	scoring_close(&sc);
	return ok;
}
