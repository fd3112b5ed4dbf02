/* Linear models over sparse features, trained as liblinear's logistic regression (-s 0) one
 * class against the rest, so that every class has its own probability: classes of one-label
 * projects share their probabilities (the sigmoids normalised, as liblinear does), each class of
 * a multi-label project has its own. Training (ml/newton.h) takes every class at once on up to
 * `threads` threads; a trained model is read-only, so predicting is thread-safe. */
#ifndef CROWDLOOP_ML_LINEAR_H
#define CROWDLOOP_ML_LINEAR_H

#include <linear.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* A growable sparse vector in liblinear's form (1-based indices, ended by index -1). */
typedef struct ml_fvec {
	struct feature_node *x; /* owned */
	size_t n, cap;
} ml_fvec;

/* Makes room for n features (and the bias and end mark) at once; -1 when out of memory. */
int ml_fvec_reserve(ml_fvec *v, size_t n);
/* Appends feature `index` (1-based) with `value`; -1 when out of memory. */
int ml_fvec_add(ml_fvec *v, int index, double value);
/* Sorts by index, sums repeated indices, scales to unit length when `normalize`, appends the
 * bias feature (index dim + 1, value 1) and the end mark. -1 when out of memory. */
int ml_fvec_finish(ml_fvec *v, int dim, bool normalize);
/* Frees v's memory; the vector is empty again. */
void ml_fvec_release(ml_fvec *v);

typedef struct ml_linear {
	int dim; /* features 1..dim, the bias is dim + 1 */
	int nclass;
	bool multi_label; /* independent probabilities rather than shared ones */
	float *w;	  /* owned: nclass rows of dim + 1 weights, the bias last; or, with
			     cols, nclass rows of ncols weights */
	int *cols;	  /* owned, optional: the columns w holds (0-based, ascending, the bias
			     dim among them); every other weight is 0 */
	int ncols;
	/* Owned, optional: the used columns by hash, each with its classes' weights side by
	 * side, for scoring (a search of cols touches a dozen cache lines a feature, this one
	 * or two); made once the weights are final (trained or loaded), so they are not
	 * changed after; NULL: cols is searched. */
	struct ml_linear_index *index;
} ml_linear;

/* Trains `m` (dim, nclass, multi_label set by the caller) on `l` finished vectors x whose
 * classes are truth[i * nclass + k] (1: the row has class k). C is liblinear's cost, threads
 * the most threads the training uses. CL_ENOMEM when out of memory. */
int ml_linear_train(ml_linear *m, struct feature_node *const *x, size_t l, const uint8_t *truth,
		    double C, int threads, cl_error *err);
/* The same training with the weights of the used columns only (m->cols): for hashed features,
 * whose rows use few of the columns. */
int ml_linear_train_used(ml_linear *m, struct feature_node *const *x, size_t l,
			 const uint8_t *truth, double C, int threads, cl_error *err);
/* The probability of each class for finished vector x into p[nclass]. */
void ml_linear_scores(const ml_linear *m, const struct feature_node *x, double *p);
/* The class with the highest of p[nclass]. */
int ml_argmax(const double *p, int nclass);
/* Writes the weights to `path` (sparse: only the non-zero ones). */
int ml_linear_save(const ml_linear *m, const char *path, cl_error *err);
/* Reads weights written by ml_linear_save; CL_EINVAL when the file is not one. */
int ml_linear_load(ml_linear *m, const char *path, cl_error *err);
/* Frees m's weights. */
void ml_linear_release(ml_linear *m);

#endif
