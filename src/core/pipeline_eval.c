/* Production's figure on a run's test items when production was trained on a version with
 * other test items: its model (a single-label text classifier's) answers each test row of the
 * run's version, in process on the runner's thread, and the answers are scored as the trainers
 * score their own test split (ml/evaluate.h). */
#include "core/pipeline.h"
#include "ml/evaluate.h"
#include "ml/runtime.h"

#include <stdlib.h>
#include <string.h>

typedef struct scoring {
	const ml_runtime *rt;
	ml_model *model;
	char **labels;
	int n;
	ml_confusion confusion;
	long rows;
} scoring;

static int label_index(const scoring *sc, const char *label)
{
	for (int i = 0; label && i < sc->n; i++)
		if (!strcmp(sc->labels[i], label))
			return i;
	return -1;
}

/* Scores one test row; rows of another shape are left out. */
static void score_row(scoring *sc, const export_row *row)
{
	json_t *ann = json_loads(row->annotation, 0, NULL);
	int truth =
	    label_index(sc, json_string_value(json_array_get(json_object_get(ann, "labels"), 0)));
	json_decref(ann);
	json_t *input = json_pack("{s:s}", "text", row->text), *out = NULL;
	cl_error err = {0};
	if (truth >= 0 && input && !sc->rt->predict(sc->model, input, &out, &err)) {
		int predicted = label_index(sc, json_string_value(json_object_get(out, "label")));
		if (predicted >= 0) {
			ml_confusion_add(&sc->confusion, truth, predicted);
			sc->rows++;
		}
	}
	json_decref(out);
	json_decref(input);
}

/* Opens the model in `dir` when it is a single-label text classifier (of a built-in trainer). */
static bool scoring_open(scoring *sc, const char *dir)
{
	cl_error err = {0};
	json_t *meta = ml_model_meta(dir, NULL, &err);
	const char *runtime = json_string_value(json_object_get(meta, "runtime"));
	bool fits = runtime && !json_is_true(json_object_get(meta, "multi_label")) &&
		    (!strcmp(runtime, "text_linear") || !strcmp(runtime, "text_fasttext"));
	if (fits)
		sc->labels = ml_model_labels(meta, &sc->n, &err);
	json_decref(meta);
	if (!fits || !sc->labels)
		return false;
	return !ml_confusion_init(&sc->confusion, sc->n) &&
	       !ml_model_open(dir, &sc->rt, &sc->model, &err);
}

static void scoring_close(scoring *sc)
{
	if (sc->rt)
		sc->rt->free(sc->model);
	ml_confusion_release(&sc->confusion);
	ml_model_labels_free(sc->labels, sc->n);
}

bool pipeline_evaluate_on(const store *s, const char *dir, int64_t dataset_id, const char *metric,
			  double *figure)
{
	scoring sc = {0};
	void *rows = scoring_open(&sc, dir) ? s->ops->dataset_rows_open(s->db, dataset_id) : NULL;
	export_row row;
	while (rows && s->ops->dataset_rows_next(rows, &row) == 1)
		if (row.split && !strcmp(row.split, "test") && row.text)
			score_row(&sc, &row);
	if (rows)
		s->ops->dataset_rows_close(rows);
	bool ok = sc.rows > 0;
	if (ok)
		*figure = strcmp(metric, "macro_f1") ? ml_accuracy(&sc.confusion)
						     : ml_macro_f1(&sc.confusion);
	scoring_close(&sc);
	return ok;
}
