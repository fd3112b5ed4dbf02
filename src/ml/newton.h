/* One-vs-rest L2-regularised logistic regression, every class trained at once: liblinear's
 * primal problem (-s 0: min 0.5 w.w + C sum log(1 + exp(-y w.x)), the bias a feature like the
 * others) solved by a preconditioned Newton-CG method with a line search, as liblinear's own
 * solver does, but over float copies of the rows (one by rows, one by columns) where each pass
 * over the data serves all classes (their numbers side by side, so the compiler's vector
 * instructions work on 8 classes at a time) and is split between threads. Every number is
 * computed by one thread in a fixed order, so a model is the same whatever the thread count. */
#ifndef CROWDLOOP_ML_NEWTON_H
#define CROWDLOOP_ML_NEWTON_H

#include <linear.h>
#include <stddef.h>

typedef struct ml_newton_problem {
	struct feature_node *const *x; /* l rows, columns 1..cols, each ended by index -1 */
	size_t l;
	int cols;
	int classes;
	const signed char *y;	   /* l * classes: +1 when row i has class k, else -1 */
	const unsigned char *skip; /* classes: 1 for a class not to train (its weights stay 0) */
	double C;
	double eps; /* liblinear's: stop at |grad| <= eps * max(min(pos, neg), 1) / l * |grad0| */
	int threads;
} ml_newton_problem;

/* Trains every class not skipped into w (classes rows of cols weights, column j + 1's weight
 * at w[k * cols + j]). -1 when out of memory, else 0. */
int ml_newton_train(const ml_newton_problem *p, float *w);
/* The same training, with the weights of the columns some row uses only: *used (to free) holds
 * those *n_used columns, 0-based and ascending, and *w (to free) classes rows of *n_used
 * weights, column used[j]'s at w[k * *n_used + j]; hashed text uses a tenth of its columns, and
 * a dense matrix of all of them was a large part of its training. -1 when out of memory. */
int ml_newton_train_used(const ml_newton_problem *p, int **used, int *n_used, float **w);

#endif
