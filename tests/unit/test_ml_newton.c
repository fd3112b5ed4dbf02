/* Unit tests of ml/newton: the weights it returns solve liblinear's problem (the gradient is as
 * small as the stopping rule asks, and they lie as near liblinear's own solution as that
 * gradient allows), they do not depend on the thread count, and a skipped class stays 0. The
 * data: rows of 19 classes (3 blocks of 8, the last one partly padding), sparse, from a fixed
 * generator. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "ml/newton.h"

#define ROWS 600
#define FEATURES 40
#define COLS (FEATURES + 1) /* the bias last, as ml/linear gives it */
#define CLASSES 19
#define C_COST 4.0

typedef struct data {
	struct feature_node *nodes;
	struct feature_node *x[ROWS];
	signed char y[ROWS * CLASSES];
} data;

static uint64_t next_random(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s >> 33;
}

/* Row i has class i % CLASSES: features near its class's centre, about half of them kept. */
static void data_make(data *d)
{
	uint64_t seed = 42;
	d->nodes = malloc(ROWS * (COLS + 1) * sizeof *d->nodes);
	assert_non_null(d->nodes);
	struct feature_node *o = d->nodes;
	for (int i = 0; i < ROWS; i++) {
		int c = i % CLASSES;
		d->x[i] = o;
		for (int j = 1; j <= FEATURES; j++) {
			double noise = (double)(next_random(&seed) % 1000) / 1000.0 - 0.5;
			double centre = ((j * 7 + c * 13) % 11) / 10.0;
			if (next_random(&seed) % 2)
				*o++ = (struct feature_node){j, centre + noise};
		}
		*o++ = (struct feature_node){COLS, 1.0};
		*o++ = (struct feature_node){-1, 0};
		for (int k = 0; k < CLASSES; k++)
			d->y[i * CLASSES + k] = k == c ? 1 : -1;
	}
}

/* The norm of the gradient of 0.5 w.w + C sum log(1 + exp(-y w.x)) at w (in double). */
static double gradient_norm(const data *d, const double *w, int k)
{
	double g[COLS] = {0}, n = 0;
	for (int j = 0; j < COLS; j++)
		g[j] = w[j];
	for (int i = 0; i < ROWS; i++) {
		double z = 0, y = d->y[i * CLASSES + k];
		for (const struct feature_node *f = d->x[i]; f->index != -1; f++)
			z += w[f->index - 1] * f->value;
		double u = C_COST * (1 / (1 + exp(-y * z)) - 1) * y;
		for (const struct feature_node *f = d->x[i]; f->index != -1; f++)
			g[f->index - 1] += u * f->value;
	}
	for (int j = 0; j < COLS; j++)
		n += g[j] * g[j];
	return sqrt(n);
}

static void newton_train(const data *d, int threads, const unsigned char *skip, float *w)
{
	ml_newton_problem p = {d->x, ROWS, COLS, CLASSES, d->y, skip, C_COST, 0.01, threads};
	assert_int_equal(ml_newton_train(&p, w), 0);
}

static void quiet(const char *s)
{
	(void)s;
}

/* liblinear's solution of class k's problem, to a tight tolerance. */
static void liblinear_solution(const data *d, int k, double *out)
{
	double y[ROWS];
	for (int i = 0; i < ROWS; i++)
		y[i] = d->y[i * CLASSES + k];
	struct problem prob = {ROWS, COLS, y, (struct feature_node **)d->x, -1};
	struct parameter param = {.solver_type = L2R_LR, .eps = 1e-6, .C = C_COST};
	set_print_string_function(quiet);
	struct model *m = train(&prob, &param);
	assert_non_null(m);
	double sign = m->label[0] == 1 ? 1 : -1;
	for (int j = 0; j < COLS; j++)
		out[j] = sign * m->w[j];
	free_and_destroy_model(&m);
}

static void test_solves_liblinears_problem(void **state)
{
	(void)state;
	data d;
	data_make(&d);
	float *w = calloc(CLASSES * COLS, sizeof *w);
	newton_train(&d, 2, NULL, w);
	for (int k = 0; k < CLASSES; k++) {
		double mine[COLS], theirs[COLS], g0[COLS] = {0}, dist = 0;
		for (int j = 0; j < COLS; j++)
			mine[j] = w[k * COLS + j];
		/* The stopping rule: |g| <= 0.01 * min(pos, neg) / l * |g at 0| (float's slack). */
		double at0 = gradient_norm(&d, g0, k), g = gradient_norm(&d, mine, k);
		double pos = ROWS / CLASSES;
		assert_true(g <= 2 * 0.01 * pos / ROWS * at0);
		/* f is 1-strongly convex: |w - w*| <= |grad f(w)|. */
		liblinear_solution(&d, k, theirs);
		for (int j = 0; j < COLS; j++)
			dist += (mine[j] - theirs[j]) * (mine[j] - theirs[j]);
		assert_true(sqrt(dist) <= g + gradient_norm(&d, theirs, k) + 1e-4);
		/* And they learnt something: the class's own rows score above the others. */
		double own = 0, other = 0;
		for (int i = 0; i < ROWS; i++) {
			double z = 0;
			for (const struct feature_node *f = d.x[i]; f->index != -1; f++)
				z += mine[f->index - 1] * f->value;
			*(i % CLASSES == k ? &own : &other) += z;
		}
		assert_true(own / (ROWS / CLASSES) > other / (ROWS - ROWS / CLASSES) + 1);
	}
	free(w);
	free(d.nodes);
}

static void test_same_weights_whatever_the_threads(void **state)
{
	(void)state;
	data d;
	data_make(&d);
	float *one = calloc(CLASSES * COLS, sizeof *one),
	      *three = calloc(CLASSES * COLS, sizeof *three);
	newton_train(&d, 1, NULL, one);
	newton_train(&d, 3, NULL, three);
	assert_memory_equal(one, three, CLASSES * COLS * sizeof *one);
	free(one);
	free(three);
	free(d.nodes);
}

static void test_skipped_class_stays_zero(void **state)
{
	(void)state;
	data d;
	data_make(&d);
	unsigned char skip[CLASSES] = {0};
	skip[5] = 1;
	float *w = calloc(CLASSES * COLS, sizeof *w), *all = calloc(CLASSES * COLS, sizeof *all);
	newton_train(&d, 2, skip, w);
	newton_train(&d, 2, NULL, all);
	for (int j = 0; j < COLS; j++)
		assert_true(w[5 * COLS + j] == 0.0f);
	/* The other classes are trained as they would be without the skip. */
	assert_memory_equal(w, all, 5 * COLS * sizeof *w);
	free(w);
	free(all);
	free(d.nodes);
}

/* Hashed text's shape: many columns (the products by X^T then go by columns, not through the
 * row blocks), each row a few of them, and most columns unused. */
#define WIDE_ROWS 1500
#define WIDE_COLS 60001 /* the bias last */
#define WIDE_PER_ROW 12

typedef struct wide {
	struct feature_node *nodes;
	struct feature_node *x[WIDE_ROWS];
	signed char y[WIDE_ROWS * CLASSES];
} wide;

static int by_index(const void *a, const void *b)
{
	const struct feature_node *x = a, *y = b;
	return (x->index > y->index) - (x->index < y->index);
}

/* Row i has class i % CLASSES: half its features from its class's own 500 columns, half from
 * anywhere in the even columns below 40,000 (so the odd ones and those above stay unused). */
static void wide_make(wide *d)
{
	uint64_t seed = 7;
	d->nodes = malloc(WIDE_ROWS * (WIDE_PER_ROW + 2) * sizeof *d->nodes);
	assert_non_null(d->nodes);
	struct feature_node *o = d->nodes;
	for (int i = 0; i < WIDE_ROWS; i++) {
		int c = i % CLASSES;
		d->x[i] = o;
		for (int j = 0; j < WIDE_PER_ROW; j++) {
			int col = j % 2 ? (int)(next_random(&seed) % 20000) * 2 + 2
					: 40001 + c * 500 + (int)(next_random(&seed) % 500);
			*o++ = (struct feature_node){
			    col, 0.25 + (double)(next_random(&seed) % 100) / 200};
		}
		qsort(d->x[i], WIDE_PER_ROW, sizeof *o, by_index);
		*o++ = (struct feature_node){WIDE_COLS, 1.0};
		*o++ = (struct feature_node){-1, 0};
		for (int k = 0; k < CLASSES; k++)
			d->y[i * CLASSES + k] = k == c ? 1 : -1;
	}
}

/* The used columns' weights are the dense weights of those columns, whatever the threads, and
 * every other column's dense weight is 0: the wide problem on 1 thread dense, on 3 used. */
static void test_used_columns_are_the_dense_weights(void **state)
{
	(void)state;
	wide d;
	wide_make(&d);
	float *dense = calloc((size_t)CLASSES * WIDE_COLS, sizeof *dense), *w = NULL;
	int *used = NULL, n = 0;
	ml_newton_problem p = {d.x, WIDE_ROWS, WIDE_COLS, CLASSES, d.y, NULL, C_COST, 0.01, 1};
	assert_int_equal(ml_newton_train(&p, dense), 0);
	p.threads = 3;
	assert_int_equal(ml_newton_train_used(&p, &used, &n, &w), 0);
	assert_true(n > 10000 && n < WIDE_COLS);
	assert_int_equal(used[n - 1], WIDE_COLS - 1); /* the bias */
	int next = 0, nonzero = 0;
	for (int j = 0; j < WIDE_COLS; j++) {
		bool is_used = next < n && used[next] == j;
		for (int k = 0; k < CLASSES; k++) {
			float want = dense[(size_t)k * WIDE_COLS + (size_t)j];
			if (is_used)
				assert_true(w[(size_t)k * (size_t)n + (size_t)next] == want);
			else
				assert_true(want == 0.0f);
			nonzero += want != 0.0f;
		}
		next += is_used;
	}
	assert_int_equal(next, n);
	assert_true(nonzero > 10000); /* and it learnt something */
	free(dense);
	free(used);
	free(w);
	free(d.nodes);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_solves_liblinears_problem),
	    cmocka_unit_test(test_same_weights_whatever_the_threads),
	    cmocka_unit_test(test_skipped_class_stays_zero),
	    cmocka_unit_test(test_used_columns_are_the_dense_weights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
