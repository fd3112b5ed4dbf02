/* Evaluation figures of classifiers and span taggers. */
#include "ml/evaluate.h"

#include <stdlib.h>

static double ratio(long a, long b)
{
	return b ? (double)a / (double)b : 0;
}

ml_prf ml_prf_of(ml_counts c)
{
	ml_prf r = {ratio(c.tp, c.tp + c.fp), ratio(c.tp, c.tp + c.fn), 0};
	if (r.precision + r.recall > 0)
		r.f1 = 2 * r.precision * r.recall / (r.precision + r.recall);
	return r;
}

int ml_confusion_init(ml_confusion *c, int nclass)
{
	*c = (ml_confusion){nclass, calloc((size_t)nclass * (size_t)nclass, sizeof(long)), 0};
	return c->counts ? 0 : -1;
}

void ml_confusion_add(ml_confusion *c, int truth, int predicted)
{
	c->counts[truth * c->nclass + predicted]++;
	c->total++;
}

void ml_confusion_release(ml_confusion *c)
{
	free(c->counts);
	c->counts = NULL;
}

double ml_accuracy(const ml_confusion *c)
{
	long right = 0;
	for (int k = 0; k < c->nclass; k++)
		right += c->counts[k * c->nclass + k];
	return ratio(right, c->total);
}

ml_counts ml_class_counts(const ml_confusion *c, int k)
{
	ml_counts r = {c->counts[k * c->nclass + k], 0, 0};
	for (int j = 0; j < c->nclass; j++)
		if (j != k) {
			r.fp += c->counts[j * c->nclass + k];
			r.fn += c->counts[k * c->nclass + j];
		}
	return r;
}

double ml_macro_f1(const ml_confusion *c)
{
	double sum = 0;
	int seen = 0;
	for (int k = 0; k < c->nclass; k++) {
		ml_counts n = ml_class_counts(c, k);
		if (n.tp + n.fp + n.fn == 0)
			continue; /* a class neither true nor predicted says nothing */
		sum += ml_prf_of(n).f1;
		seen++;
	}
	return seen ? sum / seen : 0;
}

void ml_spans_count(const ml_span *gold, size_t ngold, const ml_span *pred, size_t npred,
		    ml_counts *per_label)
{
	for (size_t i = 0; i < npred; i++) {
		int hit = 0;
		for (size_t j = 0; !hit && j < ngold; j++)
			hit = gold[j].start == pred[i].start && gold[j].end == pred[i].end &&
			      gold[j].label == pred[i].label;
		if (hit)
			per_label[pred[i].label].tp++;
		else
			per_label[pred[i].label].fp++;
	}
	for (size_t j = 0; j < ngold; j++) {
		int hit = 0;
		for (size_t i = 0; !hit && i < npred; i++)
			hit = gold[j].start == pred[i].start && gold[j].end == pred[i].end &&
			      gold[j].label == pred[i].label;
		if (!hit)
			per_label[gold[j].label].fn++;
	}
}

static json_t *prf_json(ml_counts c, int with_support)
{
	ml_prf r = ml_prf_of(c);
	json_t *o =
	    json_pack("{s:f,s:f,s:f}", "precision", r.precision, "recall", r.recall, "f1", r.f1);
	if (o && with_support)
		json_object_set_new(o, "support", json_integer(c.tp + c.fn));
	return o;
}

static json_t *confusion_json(const ml_confusion *c, char *const *labels)
{
	json_t *names = json_array(), *matrix = json_array();
	for (int t = 0; t < c->nclass; t++) {
		json_t *row = json_array();
		for (int p = 0; p < c->nclass; p++)
			json_array_append_new(row, json_integer(c->counts[t * c->nclass + p]));
		json_array_append_new(matrix, row);
		json_array_append_new(names, json_string(labels[t]));
	}
	return json_pack("{s:o,s:o}", "labels", names, "matrix", matrix);
}

json_t *ml_eval_classes_json(const ml_confusion *c, char *const *labels)
{
	json_t *per = json_object();
	for (int k = 0; per && k < c->nclass; k++)
		json_object_set_new(per, labels[k], prf_json(ml_class_counts(c, k), 1));
	return json_pack("{s:f,s:f,s:o,s:o}", "accuracy", ml_accuracy(c), "macro_f1",
			 ml_macro_f1(c), "per_class", per, "confusion", confusion_json(c, labels));
}

json_t *ml_eval_multi_json(const uint8_t *truth, const uint8_t *pred, size_t n, char *const *labels,
			   int nlabels)
{
	long exact = 0;
	double f1 = 0;
	int seen = 0;
	json_t *per = json_object();
	for (size_t i = 0; i < n; i++) {
		int same = 1;
		for (int k = 0; k < nlabels; k++)
			same &= truth[i * (size_t)nlabels + (size_t)k] ==
				pred[i * (size_t)nlabels + (size_t)k];
		exact += same;
	}
	for (int k = 0; k < nlabels; k++) {
		ml_counts c = {0, 0, 0};
		for (size_t i = 0; i < n; i++) {
			int t = truth[i * (size_t)nlabels + (size_t)k],
			    p = pred[i * (size_t)nlabels + (size_t)k];
			c.tp += t && p;
			c.fp += !t && p;
			c.fn += t && !p;
		}
		if (c.tp + c.fp + c.fn)
			f1 += ml_prf_of(c).f1, seen++;
		json_object_set_new(per, labels[k], prf_json(c, 1));
	}
	return json_pack("{s:f,s:f,s:o,s:n}", "accuracy", ratio(exact, (long)n), "macro_f1",
			 seen ? f1 / seen : 0, "per_class", per, "confusion");
}

json_t *ml_eval_spans_json(const ml_counts *per_label, char *const *labels, int nlabels)
{
	ml_counts all = {0, 0, 0};
	json_t *per = json_object();
	for (int k = 0; k < nlabels; k++) {
		all.tp += per_label[k].tp;
		all.fp += per_label[k].fp;
		all.fn += per_label[k].fn;
		json_object_set_new(per, labels[k], prf_json(per_label[k], 1));
	}
	return json_pack("{s:o,s:o}", "entity", prf_json(all, 0), "per_class", per);
}
