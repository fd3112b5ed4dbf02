/* One-vs-rest logistic regression by Newton-CG, every class at once (ml/newton.h).
 *
 * The classes' numbers sit side by side in blocks of 8 floats (v8f): a row's scores, a column's
 * weights, a row's curvature. A pass over the rows (X v) or over the columns (X^T u) thus reads
 * each stored feature once for 8 classes; the passes are the only work split between threads
 * (rows or columns in contiguous ranges, each result written by one thread), and every sum over
 * many terms runs on one thread in a fixed order, so the weights do not depend on the thread
 * count. The method is liblinear's: Newton steps solved by conjugate gradients preconditioned by
 * the Hessian's diagonal (mixed with the identity, 0.01 of it), the same stopping rule, and
 * liblinear 2.4's backtracking line search in place of the trust region. */
#include "ml/newton.h"

#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

typedef float v8f __attribute__((vector_size(32)));
#define LANES 8
#define MAX_THREADS 64
#define MAX_NEWTON 200
#define MAX_CG 500
#define MAX_LINE_SEARCH 20
#define CG_TOLERANCE 0.1
#define PRECONDITION 0.01f
#define ARMIJO 0.01
/* Products by X^T are made from the rows, in this many fixed blocks of rows (so that the sums
 * do not depend on the threads), when the blocks' sums take at most FUSED_MAX blocks of 8. */
#define ROW_BLOCKS 32
#define FUSED_MAX (1u << 19)

/* The passes over the data are compiled twice on x86-64: for AVX2 machines and for any. */
#if defined(__x86_64__) && defined(__has_attribute)
#if __has_attribute(target_clones)
#define NEWTON_SIMD __attribute__((target_clones("arch=x86-64-v3", "default")))
#endif
#endif
#ifndef NEWTON_SIMD
#define NEWTON_SIMD
#endif

/* A sparse matrix by rows (or by columns): entries at[i]..at[i + 1] of idx and val. */
typedef struct sparse {
	size_t *at;
	int *idx;
	float *val;
} sparse;

typedef struct solver {
	sparse byrow, bycol;
	size_t l;
	int d, B, lanes, threads;
	float C;
	v8f *y, *z, *dc, *u, *xs;	 /* by row: label, X w, C * curvature, scratch, X s */
	v8f *w, *g, *m, *s, *r, *p, *hp; /* by column (m: 1 / the preconditioner) */
	v8f *sp;			 /* by column: the packed classes' steps */
	v8f *blocks;			 /* B: one number a class */
	v8f *partial;			 /* chunks of columns * B: their sums */
	int *column;			 /* d: each used column's original number - 1 */
	bool fused;   /* X^T products from the rows into ROW_BLOCKS sums (few columns) */
	v8f *scatter; /* fused: ROW_BLOCKS * d * B sums */
	double *f, *gnorm, *tol, *rz, *step; /* by class */
	unsigned char *done, *cg;	     /* by class */
} solver;

static const v8f zero8;

/* ---- the matrices ---- */

static void sparse_release(sparse *a)
{
	free(a->at);
	free(a->idx);
	free(a->val);
}

static int sparse_alloc(sparse *a, size_t n, size_t nnz)
{
	a->at = calloc(n + 1, sizeof *a->at);
	a->idx = malloc((nnz + 1) * sizeof *a->idx);
	a->val = malloc((nnz + 1) * sizeof *a->val);
	return a->at && a->idx && a->val ? 0 : -1;
}

typedef struct column_count {
	int column, count;
} column_count;

static int by_count(const void *a, const void *b)
{
	const column_count *x = a, *y = b;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	return (x->column > y->column) - (x->column < y->column);
}

/* The columns the rows use, numbered 0..d-1 from the most used (column[] their original
 * numbers - 1): hashed features leave most columns empty, the work on weights grows with the
 * columns, and the frequent ones side by side share the cache's lines. */
static int columns_number(solver *s, struct feature_node *const *x, int cols, int **renumber,
			  size_t *nnz)
{
	column_count *used = NULL;
	*renumber = calloc((size_t)cols + 1, sizeof **renumber);
	if (!*renumber)
		return -1;
	*nnz = 0;
	for (size_t i = 0; i < s->l; i++)
		for (const struct feature_node *f = x[i]; f->index != -1; f++)
			if (f->index >= 1 && f->index <= cols)
				(*renumber)[f->index]++, ++*nnz;
	for (int j = 1; j <= cols; j++)
		s->d += (*renumber)[j] > 0;
	if (!(s->column = malloc(((size_t)s->d + 1) * sizeof *s->column)) ||
	    !(used = malloc(((size_t)s->d + 1) * sizeof *used)))
		return -1;
	for (int j = 1, o = 0; j <= cols; j++)
		if ((*renumber)[j])
			used[o++] = (column_count){j, (*renumber)[j]};
	qsort(used, (size_t)s->d, sizeof *used, by_count);
	for (int o = 0; o < s->d; o++) {
		s->column[o] = used[o].column - 1;
		(*renumber)[used[o].column] = o + 1;
	}
	free(used);
	return 0;
}

/* The rows by column, from the rows by row. */
static int by_column(solver *s, size_t nnz)
{
	if (sparse_alloc(&s->bycol, (size_t)s->d, nnz))
		return -1;
	for (size_t n = 0; n < nnz; n++)
		s->bycol.at[s->byrow.idx[n] + 1]++;
	for (int j = 0; j < s->d; j++)
		s->bycol.at[j + 1] += s->bycol.at[j];
	size_t *next = malloc(((size_t)s->d + 1) * sizeof *next);
	if (!next)
		return -1;
	memcpy(next, s->bycol.at, ((size_t)s->d + 1) * sizeof *next);
	for (size_t i = 0; i < s->l; i++)
		for (size_t n = s->byrow.at[i]; n < s->byrow.at[i + 1]; n++) {
			size_t c = next[s->byrow.idx[n]]++;
			s->bycol.idx[c] = (int)i;
			s->bycol.val[c] = s->byrow.val[n];
		}
	free(next);
	return 0;
}

/* The rows as floats by row, and by column unless the products by X^T are made from the rows
 * (s->fused), in the used columns' numbers. */
static int matrices_make(solver *s, struct feature_node *const *x, int cols)
{
	size_t nnz;
	int *renumber = NULL;
	if (columns_number(s, x, cols, &renumber, &nnz) || sparse_alloc(&s->byrow, s->l, nnz))
		return free(renumber), -1;
	s->fused = (size_t)s->d * (size_t)s->B * ROW_BLOCKS <= FUSED_MAX;
	size_t o = 0;
	for (size_t i = 0; i < s->l; i++) {
		for (const struct feature_node *f = x[i]; f->index != -1; f++)
			if (f->index >= 1 && f->index <= cols) {
				s->byrow.idx[o] = renumber[f->index] - 1;
				s->byrow.val[o++] = (float)f->value;
			}
		s->byrow.at[i + 1] = o;
	}
	free(renumber);
	return s->fused ? 0 : by_column(s, nnz);
}

/* ---- the passes, split between threads ---- */

/* What a pass reads and writes: the data passes use in, plus, out and squares; the sweeps over
 * the weights use the rest. */
typedef struct pass {
	const v8f *in;	 /* by column for X v, by row for X^T u */
	const v8f *plus; /* optional, added to X^T u */
	v8f *out;
	bool squares;	  /* X^T u with each entry squared (the Hessian's diagonal) */
	bool hessian;	  /* fused: X^T (dc X in), in by column */
	const v8f *a, *b; /* sweeps: the vectors of a dot product */
	const v8f *step;  /* sweeps: B blocks, one number a class */
	v8f *partial;	  /* sweeps: each chunk's B blocks of sums */
	const int *keep;  /* packing: the old lane of each new one */
	int B0, B1;	  /* packing: blocks a row before and after */
} pass;

typedef void range_fn(const solver *s, const pass *a, size_t begin, size_t end);

typedef struct part {
	const solver *s;
	const pass *a;
	range_fn *fn;
	size_t begin, end;
} part;

static void *part_run(void *arg)
{
	part *p = arg;
	p->fn(p->s, p->a, p->begin, p->end);
	return NULL;
}

/* Runs fn over 0..n in one contiguous range a thread; a thread that cannot start runs here. */
static void in_parallel(const solver *s, range_fn *fn, const pass *a, size_t n)
{
	part parts[MAX_THREADS];
	pthread_t tid[MAX_THREADS];
	bool started[MAX_THREADS] = {false};
	int t = n < (size_t)s->threads ? (int)(n ? n : 1) : s->threads;
	for (int i = 0; i < t; i++)
		parts[i] =
		    (part){s, a, fn, n * (size_t)i / (size_t)t, n * (size_t)(i + 1) / (size_t)t};
	for (int i = 1; i < t; i++)
		started[i] = !pthread_create(&tid[i], NULL, part_run, &parts[i]);
	part_run(&parts[0]);
	for (int i = 1; i < t; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
		else
			part_run(&parts[i]);
}

/* Up to 4 blocks of one row of X times in: the blocks stay in registers, and the row's entries
 * (and the columns they point at, 4 blocks side by side) are read once for all of them. */
static inline __attribute__((always_inline)) void
row_blocks(const sparse *x, size_t i, const v8f *in, size_t B, size_t b0, int nb, v8f *out)
{
	v8f acc[4] = {zero8, zero8, zero8, zero8};
	for (size_t n = x->at[i]; n < x->at[i + 1]; n++) {
		const v8f *v = in + (size_t)x->idx[n] * B + b0;
		for (int k = 0; k < nb; k++)
			acc[k] += x->val[n] * v[k];
	}
	for (int k = 0; k < nb; k++)
		out[k] = acc[k];
}

/* How many rows ahead a pass asks for the columns a row will read: the reads are at random
 * over megabytes, and asked early they are in the cache when the row comes. */
#define PREFETCH_ROWS 2

static inline __attribute__((always_inline)) void prefetch_row(const sparse *x, size_t i,
							       const v8f *in, size_t B)
{
	for (size_t n = x->at[i]; n < x->at[i + 1]; n++) {
		const char *v = (const char *)(in + (size_t)x->idx[n] * B);
		for (size_t c = 0; c < B * sizeof(v8f); c += 64)
			__builtin_prefetch(v + c);
	}
}

/* out (by row) = X in (by column), rows begin..end. */
NEWTON_SIMD static void rows_times(const solver *s, const pass *a, size_t begin, size_t end)
{
	size_t B = (size_t)s->B;
	for (size_t i = begin; i < end; i++) {
		if (i + PREFETCH_ROWS < end)
			prefetch_row(&s->byrow, i + PREFETCH_ROWS, a->in, B);
		for (size_t b0 = 0; b0 < B; b0 += 4) {
			v8f *out = a->out + i * B + b0;
			if (B - b0 >= 4)
				row_blocks(&s->byrow, i, a->in, B, b0, 4, out);
			else if (B - b0 == 3)
				row_blocks(&s->byrow, i, a->in, B, b0, 3, out);
			else if (B - b0 == 2)
				row_blocks(&s->byrow, i, a->in, B, b0, 2, out);
			else
				row_blocks(&s->byrow, i, a->in, B, b0, 1, out);
		}
	}
}

/* Column j's entries (squared when `squares`) times in, for up to 4 blocks. */
static inline __attribute__((always_inline)) void column_blocks(const sparse *x, size_t j,
								const v8f *in, size_t B, size_t b0,
								int nb, bool squares, v8f *acc)
{
	for (int k = 0; k < nb; k++)
		acc[k] = zero8;
	for (size_t n = x->at[j]; n < x->at[j + 1]; n++) {
		const v8f *v = in + (size_t)x->idx[n] * B + b0;
		float e = squares ? x->val[n] * x->val[n] : x->val[n];
		for (int k = 0; k < nb; k++)
			acc[k] += e * v[k];
	}
}

static inline __attribute__((always_inline)) void column_group(const sparse *x, size_t j,
							       const v8f *in, size_t B, size_t b0,
							       int nb, bool squares, v8f *acc)
{
	if (squares)
		column_blocks(x, j, in, B, b0, nb, true, acc);
	else
		column_blocks(x, j, in, B, b0, nb, false, acc);
}

/* out (by column) = plus + X^T in (in by row; each entry squared when a->squares). */
NEWTON_SIMD static void columns_times(const solver *s, const pass *a, size_t begin, size_t end)
{
	size_t B = (size_t)s->B;
	for (size_t j = begin; j < end; j++) {
		if (j + PREFETCH_ROWS < end) /* the rows of column j + 2, as for rows_times */
			prefetch_row(&s->bycol, j + PREFETCH_ROWS, a->in, B);
		for (size_t b0 = 0; b0 < B; b0 += 4) {
			v8f acc[4];
			int nb = B - b0 >= 4 ? 4 : (int)(B - b0), k = 0;
			if (nb == 4)
				k = 4, column_group(&s->bycol, j, a->in, B, b0, 4, a->squares, acc);
			else if (nb >= 2)
				k = 2, column_group(&s->bycol, j, a->in, B, b0, 2, a->squares, acc);
			for (; k < nb; k++)
				column_group(&s->bycol, j, a->in, B, b0 + (size_t)k, 1, a->squares,
					     &acc[k]);
			for (int k = 0; k < nb; k++) {
				size_t o = j * B + b0 + (size_t)k;
				a->out[o] = a->plus ? a->plus[o] + acc[k] : acc[k];
			}
		}
	}
}

static void rows_pass(const solver *s, const v8f *in, v8f *out)
{
	pass a = {.in = in, .out = out};
	in_parallel(s, rows_times, &a, s->l);
}

/* Row blocks begin..end of X^T in (or of X^T (dc X in) when a->hessian) into each block's own
 * sums in s->scatter: the weights of few columns stay in the cache while the rows stream by,
 * and the rows are read once for both products of the Hessian's. */
NEWTON_SIMD static void rows_scatter(const solver *s, const pass *a, size_t begin, size_t end)
{
	const sparse *x = &s->byrow;
	size_t B = (size_t)s->B, dB = (size_t)s->d * B;
	for (size_t rb = begin; rb < end; rb++) {
		v8f *acc = s->scatter + rb * dB;
		memset(acc, 0, dB * sizeof *acc);
		for (size_t i = s->l * rb / ROW_BLOCKS; i < s->l * (rb + 1) / ROW_BLOCKS; i++)
			for (size_t b = 0; b < B; b++) {
				v8f c = zero8; /* a->in is by column for the Hessian, else by row */
				for (size_t n = x->at[i]; a->hessian && n < x->at[i + 1]; n++)
					c += x->val[n] * a->in[(size_t)x->idx[n] * B + b];
				c = a->hessian ? c * s->dc[i * B + b] : a->in[i * B + b];
				for (size_t n = x->at[i]; n < x->at[i + 1]; n++) {
					float e = a->squares ? x->val[n] * x->val[n] : x->val[n];
					acc[(size_t)x->idx[n] * B + b] += e * c;
				}
			}
	}
}

/* out = plus + the row blocks' sums, added in the blocks' order. */
static void scatter_sum(const solver *s, const pass *a, size_t begin, size_t end)
{
	size_t dB = (size_t)s->d * (size_t)s->B;
	for (size_t o = begin; o < end; o++) {
		v8f t = a->plus ? a->plus[o] : zero8;
		for (size_t rb = 0; rb < ROW_BLOCKS; rb++)
			t += s->scatter[rb * dB + o];
		a->out[o] = t;
	}
}

static void scatter_pass(const solver *s, const pass *a)
{
	in_parallel(s, rows_scatter, a, ROW_BLOCKS);
	in_parallel(s, scatter_sum, a, (size_t)s->d * (size_t)s->B);
}

static void columns_pass(const solver *s, const v8f *in, const v8f *plus, v8f *out, bool squares)
{
	pass a = {.in = in, .plus = plus, .out = out, .squares = squares};
	if (s->fused)
		scatter_pass(s, &a);
	else
		in_parallel(s, columns_times, &a, (size_t)s->d);
}

/* ---- sweeps over the weights, in chunks of columns ---- */

/* The columns of a chunk: sums over a chunk are made in float, chunks are added in double
 * in their order, so a sum does not depend on which thread made which chunk. */
#define CHUNK 256

static size_t chunks(const solver *s)
{
	return ((size_t)s->d + CHUNK - 1) / CHUNK;
}

/* out[k] = the sum of the chunks' partial sums, class by class. */
static void partials_add(const solver *s, const v8f *partial, double *out)
{
	memset(out, 0, (size_t)s->lanes * sizeof *out);
	for (size_t c = 0; c < chunks(s); c++)
		for (int b = 0; b < s->B; b++)
			for (int q = 0; q < LANES; q++)
				out[b * LANES + q] += partial[c * (size_t)s->B + (size_t)b][q];
}

static void dots_chunks(const solver *s, const pass *a, size_t begin, size_t end)
{
	size_t B = (size_t)s->B, cols = (size_t)s->d * B;
	for (size_t c = begin; c < end; c++) {
		v8f *acc = a->partial + c * B;
		for (size_t b = 0; b < B; b++)
			acc[b] = zero8;
		for (size_t o = c * CHUNK * B; o < (c + 1) * CHUNK * B && o < cols; o++)
			acc[o % B] += a->a[o] * a->b[o];
	}
}

/* out[k] = a . b over the columns, class by class. */
static void lane_dots(const solver *s, const v8f *a, const v8f *b, double *out)
{
	pass p = {.a = a, .b = b, .partial = s->partial};
	in_parallel(s, dots_chunks, &p, chunks(s));
	partials_add(s, s->partial, out);
}

/* The step of conjugate gradients: s += alpha p, r -= alpha hp, with r . (r / preconditioner). */
static void cg_step_chunks(const solver *s, const pass *a, size_t begin, size_t end)
{
	size_t B = (size_t)s->B, cols = (size_t)s->d * B;
	for (size_t c = begin; c < end; c++) {
		v8f *acc = a->partial + c * B;
		for (size_t b = 0; b < B; b++)
			acc[b] = zero8;
		for (size_t o = c * CHUNK * B; o < (c + 1) * CHUNK * B && o < cols; o++) {
			v8f alpha = a->step[o % B];
			s->s[o] += alpha * s->p[o];
			s->r[o] -= alpha * s->hp[o];
			acc[o % B] += s->r[o] * (s->r[o] * s->m[o]);
		}
	}
}

/* p = r / preconditioner + beta p. */
static void direction_chunks(const solver *s, const pass *a, size_t begin, size_t end)
{
	size_t B = (size_t)s->B, cols = (size_t)s->d * B;
	for (size_t o = begin * CHUNK * B; o < end * CHUNK * B && o < cols; o++)
		s->p[o] = s->r[o] * s->m[o] + a->step[o % B] * s->p[o];
}

/* v (one number a class) as B blocks of floats, into s->blocks. */
static const v8f *blocks_of(solver *s, const double *v)
{
	for (int b = 0; b < s->B; b++)
		for (int q = 0; q < LANES; q++)
			s->blocks[b][q] = (float)v[b * LANES + q];
	return s->blocks;
}

/* log(1 + exp(-t)) and the sigmoid of t, without overflow. */
static float logistic_loss(float t, float *sigma)
{
	float e = expf(-fabsf(t));
	*sigma = t >= 0 ? 1 / (1 + e) : e / (1 + e);
	return (t >= 0 ? 0 : -t) + log1pf(e);
}

/* f = 0.5 w.w + C sum loss, with the row terms of the gradient (u) and the curvature (dc) at
 * the current scores z; then g = w + X^T u and the preconditioner m. Classes done are left
 * out (their terms 0): nothing reads their numbers again. */
static void function_gradient(solver *s)
{
	size_t rows = s->l * (size_t)s->B;
	double *loss = s->step; /* free here: only the line search uses it */
	memset(loss, 0, (size_t)s->lanes * sizeof *loss);
	for (size_t i = 0; i < rows; i++) {
		int blk = (int)(i % (size_t)s->B);
		for (int q = 0; q < LANES; q++) {
			float y = s->y[i][q], sigma;
			if (s->done[blk * LANES + q]) { /* padding, skipped or converged: unused */
				s->u[i][q] = s->dc[i][q] = 0;
				continue;
			}
			loss[blk * LANES + q] += logistic_loss(y * s->z[i][q], &sigma);
			s->u[i][q] = s->C * (sigma - 1) * y;
			s->dc[i][q] = s->C * sigma * (1 - sigma);
		}
	}
	lane_dots(s, s->w, s->w, s->f);
	for (int k = 0; k < s->lanes; k++)
		s->f[k] = 0.5 * s->f[k] + s->C * loss[k];
	columns_pass(s, s->u, s->w, s->g, false);
	columns_pass(s, s->dc, NULL, s->m, true);
	size_t cols = (size_t)s->d * (size_t)s->B;
	for (size_t o = 0; o < cols; o++)
		s->m[o] = 1 / ((1 - PRECONDITION) + PRECONDITION * (1 + s->m[o]));
	lane_dots(s, s->g, s->g, s->gnorm);
	for (int k = 0; k < s->lanes; k++)
		s->gnorm[k] = sqrt(s->gnorm[k]);
}

/* ---- the Newton step ---- */

/* hp = p + X^T (dc X p), the Hessian times p. */
static void hessian_times(solver *s)
{
	if (s->fused) {
		pass a = {.in = s->p, .plus = s->p, .out = s->hp, .hessian = true};
		scatter_pass(s, &a);
		return;
	}
	rows_pass(s, s->p, s->xs);
	size_t rows = s->l * (size_t)s->B;
	for (size_t i = 0; i < rows; i++)
		s->xs[i] *= s->dc[i];
	columns_pass(s, s->xs, s->p, s->hp, false);
}

/* ---- the classes still in conjugate gradients, packed ----
 *
 * Classes leave conjugate gradients at different steps (on package descriptions, 13 of the 25
 * classes on average were still working in a step), and a pass costs the same for a lane done
 * as for one still working. So when the classes left fit in fewer blocks, they move into them:
 * the vectors of conjugate gradients are rewritten with fewer blocks a row or column (into the
 * scratch vectors, whose buffers they then take), and the passes run on a copy of the solver
 * that has those fewer blocks. Each class's numbers are computed as before, lane by lane in the
 * same order, so the weights do not change. */

typedef struct packing {
	int *from; /* lanes: the class in each lane of the packed solver, -1 for padding */
	int *keep; /* lanes: scratch of classes_pack */
} packing;

/* Rows (or columns) begin..end of a->in, B0 blocks each, into a->out with the B1 blocks of
 * the lanes a->keep says (-1: zero). */
NEWTON_SIMD static void lanes_pack(const solver *s, const pass *a, size_t begin, size_t end)
{
	(void)s;
	size_t n0 = (size_t)a->B0 * LANES, n1 = (size_t)a->B1 * LANES;
	const float *in = (const float *)a->in;
	float *out = (float *)a->out;
	for (size_t i = begin; i < end; i++)
		for (size_t k = 0; k < n1; k++)
			out[i * n1 + k] = a->keep[k] < 0 ? 0 : in[i * n0 + (size_t)a->keep[k]];
}

/* Packs n rows of *v into the scratch *spare, which then holds *v's place (and *v becomes
 * the scratch): the vectors trade buffers rather than copy them back. */
static void vector_pack(const solver *q, v8f **v, v8f **spare, size_t n, int B1, const int *keep)
{
	pass a = {.in = *v, .out = *spare, .keep = keep, .B0 = q->B, .B1 = B1};
	in_parallel(q, lanes_pack, &a, n);
	v8f *t = *v;
	*v = *spare;
	*spare = t;
}

static void numbers_pack(double *x, int lanes, const int *keep)
{
	for (int k = 0; k < lanes; k++)
		x[k] = keep[k] < 0 ? 0 : x[keep[k]];
}

/* The packed solver's step directions into the whole one's (s->s) for its classes that no
 * longer work (all of them when `all`). */
static void steps_unpack(const solver *q, solver *s, const packing *pk, bool all)
{
	int *lanes = pk->keep, n = 0;
	for (int k = 0; k < q->lanes; k++)
		if (pk->from[k] >= 0 && (all || !q->cg[k]))
			lanes[n++] = k;
	for (size_t j = 0; n && j < (size_t)s->d; j++) {
		const float *from = (const float *)(q->s + j * (size_t)q->B);
		float *to = (float *)(s->s + j * (size_t)s->B);
		for (int i = 0; i < n; i++)
			to[pk->from[lanes[i]]] = from[lanes[i]];
	}
}

/* Moves the classes still working (q->cg) into the fewest blocks. */
static void classes_pack(solver *q, solver *s, packing *pk, double *cgtol)
{
	int active = 0;
	for (int k = 0; k < q->lanes; k++)
		active += q->cg[k];
	int B1 = (active + LANES - 1) / LANES;
	if (B1 >= q->B)
		return;
	steps_unpack(q, s, pk, false); /* the classes leaving have their final steps */
	int *keep = pk->keep;
	active = 0;
	for (int k = 0; k < q->lanes; k++)
		if (q->cg[k])
			keep[active++] = k;
	for (int k = active; k < B1 * LANES; k++)
		keep[k] = -1;
	v8f **by_col[] = {&q->s, &q->r, &q->p, &q->m};
	for (size_t i = 0; i < sizeof by_col / sizeof *by_col; i++)
		vector_pack(q, by_col[i], &q->hp, (size_t)q->d, B1, keep);
	vector_pack(q, &q->dc, &q->xs, q->l, B1, keep);
	for (int k = 0; k < B1 * LANES; k++) {
		pk->from[k] = keep[k] < 0 ? -1 : pk->from[keep[k]];
		q->cg[k] = keep[k] >= 0;
	}
	numbers_pack(q->rz, B1 * LANES, keep);
	numbers_pack(cgtol, B1 * LANES, keep);
	q->B = B1;
	q->lanes = B1 * LANES;
}

/* Conjugate gradients on H s = -g for the classes not done, until each one's preconditioned
 * residual is a tenth of where it began. The iterations run on q, a copy of s whose vectors
 * (s->dc and s->m among them, made again by function_gradient before their next use) shrink
 * as classes finish; the steps come back into s->s. */
static void newton_direction(solver *s, packing *pk)
{
	size_t cols = (size_t)s->d * (size_t)s->B;
	double *cgtol = malloc((size_t)s->lanes * sizeof *cgtol),
	       *php = malloc((size_t)s->lanes * sizeof *php);
	solver q = *s;
	q.s = s->sp;
	double *alpha = q.step, *rz_new = php;
	for (size_t o = 0; o < cols; o++) {
		q.s[o] = zero8;
		s->s[o] = zero8;
		q.r[o] = -q.g[o];
		q.p[o] = q.r[o] * q.m[o];
	}
	for (int k = 0; k < s->lanes; k++)
		pk->from[k] = k;
	lane_dots(&q, q.r, q.p, q.rz);
	for (int k = 0; k < q.lanes; k++) {
		cgtol[k] = CG_TOLERANCE * sqrt(q.rz[k]);
		q.cg[k] = !q.done[k];
	}
	for (int it = 0; it < MAX_CG; it++) {
		int any = 0;
		for (int k = 0; k < q.lanes; k++)
			any |= q.cg[k] = q.cg[k] && sqrt(q.rz[k]) > cgtol[k];
		if (!any)
			break;
		classes_pack(&q, s, pk, cgtol);
		hessian_times(&q);
		lane_dots(&q, q.p, q.hp, php);
		for (int k = 0; k < q.lanes; k++)
			alpha[k] = q.cg[k] && php[k] > 0 ? q.rz[k] / php[k] : 0;
		pass step = {.step = blocks_of(&q, alpha), .partial = q.partial};
		in_parallel(&q, cg_step_chunks, &step, chunks(&q));
		partials_add(&q, q.partial, rz_new);
		for (int k = 0; k < q.lanes; k++) {
			alpha[k] = q.cg[k] && q.rz[k] > 0 ? rz_new[k] / q.rz[k] : 0; /* beta */
			if (q.cg[k])
				q.rz[k] = rz_new[k];
		}
		pass beta = {.step = blocks_of(&q, alpha)};
		in_parallel(&q, direction_chunks, &beta, chunks(&q));
	}
	steps_unpack(&q, s, pk, true);
	free(cgtol);
	free(php);
}

/* Halves each class's step from 1 until f falls by at least ARMIJO of the slope; a class
 * whose step cannot is done. Moves w and z by the steps taken. */
static void line_search(solver *s, double *work)
{
	double *ww = work, *ws = ww + s->lanes, *ss = ws + s->lanes, *gs = ss + s->lanes,
	       *loss = gs + s->lanes;
	unsigned char *open = s->cg;
	rows_pass(s, s->s, s->xs);
	lane_dots(s, s->w, s->w, ww);
	lane_dots(s, s->w, s->s, ws);
	lane_dots(s, s->s, s->s, ss);
	lane_dots(s, s->g, s->s, gs);
	for (int k = 0; k < s->lanes; k++) {
		s->step[k] = s->done[k] ? 0 : 1;
		open[k] = !s->done[k];
	}
	for (int t = 0; t < MAX_LINE_SEARCH; t++) {
		int any = 0;
		memset(loss, 0, (size_t)s->lanes * sizeof *loss);
		for (size_t i = 0; i < s->l * (size_t)s->B; i++) {
			int blk = (int)(i % (size_t)s->B);
			for (int q = 0; q < LANES; q++) {
				int k = blk * LANES + q;
				float sigma, a = (float)s->step[k];
				if (open[k])
					loss[k] += logistic_loss(
					    s->y[i][q] * (s->z[i][q] + a * s->xs[i][q]), &sigma);
			}
		}
		for (int k = 0; k < s->lanes; k++) {
			double a = s->step[k];
			if (!open[k])
				continue;
			double f = 0.5 * (ww[k] + 2 * a * ws[k] + a * a * ss[k]) + s->C * loss[k];
			if (f - s->f[k] <= ARMIJO * a * gs[k])
				open[k] = 0;
			else
				s->step[k] = a / 2;
			any |= open[k];
		}
		if (!any)
			break;
	}
	for (int k = 0; k < s->lanes; k++)
		if (open[k]) /* no step lowers f enough: as good as it gets */
			s->step[k] = 0, s->done[k] = 1;
	size_t cols = (size_t)s->d * (size_t)s->B;
	const v8f *step = blocks_of(s, s->step);
	for (size_t o = 0; o < cols; o++)
		s->w[o] += step[o % (size_t)s->B] * s->s[o];
	for (size_t i = 0; i < s->l * (size_t)s->B; i++)
		s->z[i] += step[i % (size_t)s->B] * s->xs[i];
}

/* ---- the whole ---- */

static void solver_release(solver *s)
{
	sparse_release(&s->byrow);
	sparse_release(&s->bycol);
	v8f *vecs[] = {s->y, s->z, s->dc, s->u, s->xs, s->w, s->g,
		       s->m, s->s, s->r,  s->p, s->hp, s->sp};
	for (size_t i = 0; i < sizeof vecs / sizeof *vecs; i++)
		free(vecs[i]);
	double *nums[] = {s->f, s->gnorm, s->tol, s->rz, s->step};
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
		free(nums[i]);
	free(s->done);
	free(s->cg);
	free(s->blocks);
	free(s->partial);
	free(s->scatter);
	free(s->column);
}

/* Vectors of 2 MB or more sit on huge pages where the system offers them: a pass reads the
 * columns' weights at random, and with 4 KB pages most of its reads missed the TLB, besides one
 * page fault each 4 KB on first touch. */
#define HUGE_PAGE ((size_t)2 << 20)

static void *big_alloc(size_t bytes, size_t align)
{
	if (bytes < HUGE_PAGE)
		return aligned_alloc(align, (bytes + align - 1) / align * align);
	bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	void *p = aligned_alloc(HUGE_PAGE, bytes);
#ifdef MADV_HUGEPAGE
	if (p)
		madvise(p, bytes, MADV_HUGEPAGE);
#endif
	return p;
}

static v8f *vectors(size_t n)
{
	return big_alloc((n ? n : 1) * sizeof(v8f), sizeof(v8f));
}

static int solver_alloc(solver *s)
{
	size_t rows = s->l * (size_t)s->B, cols = (size_t)s->d * (size_t)s->B,
	       lanes = (size_t)s->lanes;
	v8f **byrow[] = {&s->y, &s->z, &s->dc, &s->u, &s->xs};
	v8f **bycol[] = {&s->w, &s->g, &s->m, &s->s, &s->r, &s->p, &s->hp, &s->sp};
	double **nums[] = {&s->f, &s->gnorm, &s->tol, &s->rz, &s->step};
	int ok = 1;
	for (size_t i = 0; i < sizeof byrow / sizeof *byrow; i++)
		ok &= (*byrow[i] = vectors(rows)) != NULL;
	for (size_t i = 0; i < sizeof bycol / sizeof *bycol; i++)
		ok &= (*bycol[i] = vectors(cols)) != NULL;
	for (size_t i = 0; i < sizeof nums / sizeof *nums; i++)
		ok &= (*nums[i] = calloc(lanes, sizeof(double))) != NULL;
	ok &= (s->done = calloc(lanes, 1)) != NULL;
	ok &= (s->cg = calloc(lanes, 1)) != NULL;
	ok &= (s->blocks = vectors((size_t)s->B)) != NULL;
	ok &= (s->partial = vectors(chunks(s) * (size_t)s->B)) != NULL;
	ok &= !s->fused || (s->scatter = vectors(ROW_BLOCKS * cols)) != NULL;
	return ok ? 0 : -1;
}

/* Labels by row (0 in the lanes of padding and skipped classes: they have no gradient), and
 * each class's stopping tolerance. */
static void labels_set(solver *s, const ml_newton_problem *p)
{
	for (int k = 0; k < s->lanes; k++) {
		size_t pos = 0;
		bool on = k < p->classes && !(p->skip && p->skip[k]);
		for (size_t i = 0; i < s->l; i++) {
			signed char y = on ? p->y[i * (size_t)p->classes + (size_t)k] : 0;
			s->y[i * (size_t)s->B + (size_t)(k / LANES)][k % LANES] = y;
			pos += y > 0;
		}
		size_t fewer = pos < s->l - pos ? pos : s->l - pos;
		s->tol[k] = p->eps * (double)(fewer > 1 ? fewer : 1) / (double)s->l;
		s->done[k] = !on;
	}
}

static void weights_out(const solver *s, const ml_newton_problem *p, float *w)
{
	for (int k = 0; k < p->classes; k++)
		for (int j = 0; j < s->d; j++)
			w[(size_t)k * (size_t)p->cols + (size_t)s->column[j]] =
			    s->w[(size_t)j * (size_t)s->B + (size_t)(k / LANES)][k % LANES];
}

/* The used columns in ascending order (used[], 0-based) and the solver's number of each
 * (solver_column[o] for used[o]): a walk over all the columns, cheaper than a sort. */
static int used_ascending(const solver *s, int cols, int *used, int *solver_column)
{
	int *place = calloc((size_t)cols + 1, sizeof *place);
	if (!place)
		return -1;
	for (int j = 0; j < s->d; j++)
		place[s->column[j]] = j + 1;
	for (int c = 0, o = 0; c < cols; c++)
		if (place[c]) {
			used[o] = c;
			solver_column[o++] = place[c] - 1;
		}
	free(place);
	return 0;
}

/* Column by column in the output's order: each column's classes are read together and every
 * class's row is written in order. */
static void weights_used_out(const solver *s, const ml_newton_problem *p, const int *solver_column,
			     float *w)
{
	for (size_t o = 0; o < (size_t)s->d; o++) {
		const float *col = (const float *)(s->w + (size_t)solver_column[o] * (size_t)s->B);
		for (size_t k = 0; k < (size_t)p->classes; k++)
			w[k * (size_t)s->d + o] = col[k];
	}
}

static int weights_used(const solver *s, const ml_newton_problem *p, int **used, int *n_used,
			float **w)
{
	int *order = malloc(((size_t)s->d + 1) * sizeof *order);
	*used = malloc(((size_t)s->d + 1) * sizeof **used);
	*w = malloc(((size_t)s->d * (size_t)p->classes + 1) * sizeof **w);
	if (!order || !*used || !*w || used_ascending(s, p->cols, *used, order)) {
		free(order);
		free(*used);
		free(*w);
		*used = NULL;
		*w = NULL;
		return -1;
	}
	weights_used_out(s, p, order, *w);
	*n_used = s->d;
	free(order);
	return 0;
}

/* The solve; the weights go out dense into w, or into the used columns' (*used, *w_used). */
static int newton_solve(const ml_newton_problem *p, float *w, int **used, int *n_used,
			float **w_used)
{
	solver s = {.l = p->l, .C = (float)p->C};
	s.B = (p->classes + LANES - 1) / LANES;
	s.lanes = s.B * LANES;
	s.threads = p->threads < 1 ? 1 : p->threads > MAX_THREADS ? MAX_THREADS : p->threads;
	double *work = malloc(5 * (size_t)s.lanes * sizeof *work), *gnorm0 = NULL;
	packing pk = {malloc((size_t)s.lanes * sizeof(int)), malloc((size_t)s.lanes * sizeof(int))};
	int rc = -1;
	if (!work || !pk.from || !pk.keep || matrices_make(&s, p->x, p->cols) || solver_alloc(&s) ||
	    !(gnorm0 = malloc((size_t)s.lanes * sizeof *gnorm0)))
		goto out;
	if (!s.l) { /* nothing to learn from: the weights stay 0 */
		rc = w ? 0 : weights_used(&s, p, used, n_used, w_used);
		goto out;
	}
	labels_set(&s, p);
	memset(s.w, 0, (size_t)s.d * (size_t)s.B * sizeof *s.w);
	memset(s.z, 0, s.l * (size_t)s.B * sizeof *s.z);
	function_gradient(&s);
	memcpy(gnorm0, s.gnorm, (size_t)s.lanes * sizeof *gnorm0);
	for (int it = 0; it < MAX_NEWTON; it++) {
		int any = 0;
		for (int k = 0; k < s.lanes; k++) {
			s.done[k] = s.done[k] || s.gnorm[k] <= s.tol[k] * gnorm0[k];
			any |= !s.done[k];
		}
		if (!any)
			break;
		newton_direction(&s, &pk);
		line_search(&s, work);
		function_gradient(&s);
	}
	if (w) {
		weights_out(&s, p, w);
		rc = 0;
	} else
		rc = weights_used(&s, p, used, n_used, w_used);
out:
	solver_release(&s);
	free(work);
	free(gnorm0);
	free(pk.from);
	free(pk.keep);
	return rc;
}

int ml_newton_train(const ml_newton_problem *p, float *w)
{
	return newton_solve(p, w, NULL, NULL, NULL);
}

int ml_newton_train_used(const ml_newton_problem *p, int **used, int *n_used, float **w)
{
	*used = NULL;
	*w = NULL;
	*n_used = 0;
	return newton_solve(p, NULL, used, n_used, w);
}
