/* How well a model does on the test split: accuracy, per-class precision, recall and F1,
 * macro-F1 and the confusion matrix for classes; entity-level precision, recall and F1 for spans
 * (a predicted span counts only when its start, end and label all match a true one). */
#ifndef CROWDLOOP_ML_EVALUATE_H
#define CROWDLOOP_ML_EVALUATE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "ml/dataset.h"

/* Counts of one class (or one entity label): true positives, false positives, false negatives. */
typedef struct ml_counts {
	long tp, fp, fn;
} ml_counts;

typedef struct ml_prf {
	double precision, recall, f1; /* 0 where the denominator is 0 */
} ml_prf;

/* Precision, recall and F1 of counts c. */
ml_prf ml_prf_of(ml_counts c);

/* A confusion matrix of `nclass` classes: counts[truth * nclass + predicted]. */
typedef struct ml_confusion {
	int nclass;
	long *counts; /* owned */
	long total;
} ml_confusion;

/* Starts an all-zero matrix; -1 when out of memory. */
int ml_confusion_init(ml_confusion *c, int nclass);
void ml_confusion_add(ml_confusion *c, int truth, int predicted);
void ml_confusion_release(ml_confusion *c);
/* The share of rows predicted right (0 for no rows). */
double ml_accuracy(const ml_confusion *c);
/* Class k's counts read from the matrix. */
ml_counts ml_class_counts(const ml_confusion *c, int k);
/* The mean F1 over the classes that occur in the truth or the predictions. */
double ml_macro_f1(const ml_confusion *c);

/* Adds to per_label[nlabels] the entity matches of one text: gold and predicted spans. */
void ml_spans_count(const ml_span *gold, size_t ngold, const ml_span *pred, size_t npred,
		    ml_counts *per_label);

/* evaluation.json's figures for one-label classes, {"accuracy","macro_f1","per_class",
 * "confusion"}, from `c` and the label names; a new object, NULL when out of memory. */
json_t *ml_eval_classes_json(const ml_confusion *c, char *const *labels);
/* The same for multi-label classes: truth and pred are n rows of nlabels flags; accuracy is
 * the share of rows whose whole set is right. */
json_t *ml_eval_multi_json(const uint8_t *truth, const uint8_t *pred, size_t n, char *const *labels,
			   int nlabels);
/* The same for spans, {"entity":{"precision","recall","f1"},"per_class":{...}}. */
json_t *ml_eval_spans_json(const ml_counts *per_label, char *const *labels, int nlabels);

#endif
