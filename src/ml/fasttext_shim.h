/* A C face on Debian's libfasttext (C++): supervised training from a file in fastText's
 * format, loading a model (.bin or the quantized .ftz), and predicting with probabilities.
 * Every C++ exception stops at this boundary and comes back as a message. A loaded model is
 * read-only: ml_fasttext_predict may run on several threads at once. */
#ifndef CROWDLOOP_ML_FASTTEXT_SHIM_H
#define CROWDLOOP_ML_FASTTEXT_SHIM_H

#include <stdbool.h>
#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct ml_fasttext ml_fasttext;

typedef struct ml_fasttext_args {
	int epoch, dim, word_ngrams, bucket, min_count, threads;
	double lr;
	bool one_vs_all; /* multi-label: a sigmoid per label rather than one softmax */
} ml_fasttext_args;

/* One answer: a label as the model names it ("__label__3") and its probability. */
typedef struct ml_fasttext_label {
	char label[64];
	double p;
} ml_fasttext_label;

/* Trains on `input` (lines "__label__x ... text") and saves the model to `model_path`.
 * 0, or -1 with the reason in why[size]. */
int ml_fasttext_train(const char *input, const char *model_path, const ml_fasttext_args *a,
		      char *why, size_t size);
/* Loads a model; NULL with the reason in why[size]. */
ml_fasttext *ml_fasttext_load(const char *path, char *why, size_t size);
/* The `max` most likely labels of `text` (whitespace-separated words) at or above
 * `threshold`, most likely first, into out; returns how many, or -1 on a failure. */
int ml_fasttext_predict(const ml_fasttext *m, const char *text, double threshold,
			ml_fasttext_label *out, int max);
/* How many labels the model has. */
int ml_fasttext_labels(const ml_fasttext *m);
/* Frees the model; NULL is fine. */
void ml_fasttext_free(ml_fasttext *m);

#ifdef __cplusplus
}
#endif

#endif
