/* One-vs-rest logistic regression (liblinear's problem, solved by ml/newton.h), its
 * probabilities and its file. */
#include "ml/linear.h"

#include "ml/newton.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ml_fvec_reserve(ml_fvec *v, size_t n)
{
	if (n + 2 <= v->cap)
		return 0;
	struct feature_node *x = realloc(v->x, (n + 2) * sizeof *x);
	if (!x)
		return -1;
	v->x = x;
	v->cap = n + 2;
	return 0;
}

int ml_fvec_add(ml_fvec *v, int index, double value)
{
	if (v->n + 2 >= v->cap && ml_fvec_reserve(v, v->cap ? v->cap * 2 : 64))
		return -1;
	v->x[v->n++] = (struct feature_node){index, value};
	return 0;
}

static int by_index(const void *a, const void *b)
{
	int i = ((const struct feature_node *)a)->index,
	    j = ((const struct feature_node *)b)->index;
	return (i > j) - (i < j);
}

/* Sums the values of repeated indices of a sorted vector; returns the sum of squares. */
static double merge_repeats(ml_fvec *v)
{
	size_t o = 0;
	double norm = 0;
	for (size_t i = 0; i < v->n; i++) {
		if (o && v->x[o - 1].index == v->x[i].index)
			v->x[o - 1].value += v->x[i].value;
		else
			v->x[o++] = v->x[i];
	}
	v->n = o;
	for (size_t i = 0; i < o; i++)
		norm += v->x[i].value * v->x[i].value;
	return norm;
}

static bool sorted(const ml_fvec *v)
{
	for (size_t i = 1; i < v->n; i++)
		if (v->x[i - 1].index > v->x[i].index)
			return false;
	return true;
}

/* Up to this many features are sorted in place by insertion (a text's few dozen n-grams: a
 * fraction of qsort's calls through a comparison function); more by qsort. Both are stable, so
 * repeated indices are summed in the same order either way. */
#define FVEC_INSERTION_MAX 64

static void insertion_sort(struct feature_node *x, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		struct feature_node f = x[i];
		size_t j = i;
		for (; j > 0 && x[j - 1].index > f.index; j--)
			x[j] = x[j - 1];
		x[j] = f;
	}
}

int ml_fvec_finish(ml_fvec *v, int dim, bool normalize)
{
	if (v->n <= FVEC_INSERTION_MAX)
		insertion_sort(v->x, v->n);
	else if (!sorted(v)) /* dense features (HOG) come in order: no sort */
		qsort(v->x, v->n, sizeof *v->x, by_index);
	double norm = sqrt(merge_repeats(v));
	for (size_t i = 0; normalize && norm > 0 && i < v->n; i++)
		v->x[i].value /= norm;
	if (ml_fvec_add(v, dim + 1, 1.0))
		return -1;
	v->x[v->n] = (struct feature_node){-1, 0};
	return 0;
}

void ml_fvec_release(ml_fvec *v)
{
	free(v->x);
	*v = (ml_fvec){0};
}

/* ---- training ---- */

/* Row i's label for class k of the problem: +1 or -1. Counts each class's positives. */
static signed char *labels_of(const ml_linear *m, size_t l, const uint8_t *truth, size_t *pos)
{
	signed char *y = malloc(l * (size_t)m->nclass + 1);
	for (size_t i = 0; y && i < l * (size_t)m->nclass; i++) {
		y[i] = truth[i] ? 1 : -1;
		pos[i % (size_t)m->nclass] += truth[i] != 0;
	}
	return y;
}

/* With m->cols, the bias column among them even when no row used it (no rows at all). */
static int used_with_bias(ml_linear *m)
{
	if (m->ncols && m->cols[m->ncols - 1] == m->dim)
		return 0;
	size_t n = (size_t)m->ncols + 1;
	int *cols = realloc(m->cols, n * sizeof *cols);
	float *w = cols ? calloc((size_t)m->nclass * n, sizeof *w) : NULL;
	if (cols)
		m->cols = cols;
	if (!w)
		return -1;
	cols[n - 1] = m->dim;
	for (size_t k = 0; k < (size_t)m->nclass; k++)
		memcpy(w + k * n, m->w + k * (n - 1), (n - 1) * sizeof *w);
	free(m->w);
	m->w = w;
	m->ncols = (int)n;
	return 0;
}

/* The weights of every class, dense or of the used columns only. */
static int weights_train(ml_linear *m, const ml_newton_problem *p, bool used)
{
	if (!used)
		return (m->w = calloc((size_t)m->nclass * (size_t)(m->dim + 1), sizeof *m->w)) &&
			       !ml_newton_train(p, m->w)
			   ? 0
			   : -1;
	return ml_newton_train_used(p, &m->cols, &m->ncols, &m->w) || used_with_bias(m) ? -1 : 0;
}

struct ml_linear_index;
static struct ml_linear_index *index_build(const ml_linear *m);
static void index_free(struct ml_linear_index *ix);

static int linear_train(ml_linear *m, struct feature_node *const *x, size_t l, const uint8_t *truth,
			double C, int threads, bool used, cl_error *err)
{
	size_t *pos = calloc((size_t)m->nclass, sizeof *pos);
	unsigned char *skip = calloc((size_t)m->nclass, 1);
	signed char *y = pos ? labels_of(m, l, truth, pos) : NULL;
	/* Two exclusive classes need one model: class 0's weights are class 1's negated. */
	bool mirror = m->nclass == 2 && !m->multi_label;
	int rc = skip && y ? CL_OK : CL_ENOMEM;
	/* A class with one side only learns nothing; its bias alone says which side. */
	for (int k = 0; !rc && k < m->nclass; k++)
		skip[k] = (mirror && k == 0) || pos[k] == 0 || pos[k] == l;
	ml_newton_problem p = {x, l, m->dim + 1, m->nclass, y, skip, C, 0.01, threads};
	if (!rc && weights_train(m, &p, used))
		rc = CL_ENOMEM;
	size_t row = used ? (size_t)m->ncols : (size_t)m->dim + 1; /* the bias last either way */
	for (int k = 0; !rc && k < m->nclass; k++)
		if (pos[k] == 0 || pos[k] == l)
			m->w[(size_t)k * row + row - 1] = pos[k] ? 8.0f : -8.0f;
	for (size_t j = 0; !rc && mirror && j < row; j++)
		m->w[j] = -m->w[row + j];
	free(pos);
	free(skip);
	free(y);
	if (rc)
		return cl_fail(err, rc, NULL, "out of memory for %d x %d weights", m->nclass,
			       m->dim + 1);
	if (used) {
		index_free(m->index);
		m->index = index_build(m);
	}
	return CL_OK;
}

int ml_linear_train(ml_linear *m, struct feature_node *const *x, size_t l, const uint8_t *truth,
		    double C, int threads, cl_error *err)
{
	return linear_train(m, x, l, truth, C, threads, false, err);
}

int ml_linear_train_used(ml_linear *m, struct feature_node *const *x, size_t l,
			 const uint8_t *truth, double C, int threads, cl_error *err)
{
	return linear_train(m, x, l, truth, C, threads, true, err);
}

/* ---- prediction ---- */

static double dot(const float *w, const struct feature_node *x, int dim)
{
	double s = 0;
	for (; x->index != -1; x++)
		if (x->index >= 1 && x->index <= dim + 1)
			s += w[x->index - 1] * x->value;
	return s;
}

/* The position of column j in cols[0, n) (ascending), or -1: a binary search without a
 * comparison function's call a step. */
static ptrdiff_t col_at(const int *cols, ptrdiff_t n, int j)
{
	ptrdiff_t lo = 0, hi = n;
	while (lo < hi) {
		ptrdiff_t mid = lo + (hi - lo) / 2;
		if (cols[mid] < j)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && cols[lo] == j ? lo : -1;
}

/* The used columns by hash (open addressing, at most half full), and their weights in the
 * order of the slots' `at`: nclass of them side by side, so that a feature's are one read. */
struct ml_linear_index {
	uint32_t shift;
	struct {
		int32_t col, at; /* col -1: an empty slot */
	} *slot;
	float *w;
};

static uint32_t index_home(const struct ml_linear_index *ix, int col)
{
	return ((uint32_t)col * 2654435761u) >> ix->shift;
}

/* Column col's place among the used ones (its weights at w[at * nclass]), or -1. */
static int32_t index_at(const struct ml_linear_index *ix, int col)
{
	uint32_t mask = (UINT32_MAX >> ix->shift);
	for (uint32_t h = index_home(ix, col);; h = (h + 1) & mask) {
		if (ix->slot[h].col == col)
			return ix->slot[h].at;
		if (ix->slot[h].col < 0)
			return -1;
	}
}

static void index_free(struct ml_linear_index *ix)
{
	if (ix) {
		free(ix->slot);
		free(ix->w);
		free(ix);
	}
}

/* The index of a model of used columns; NULL without memory (cols is searched then). */
static struct ml_linear_index *index_build(const ml_linear *m)
{
	uint32_t bits = 1;
	while (bits < 30 && (1u << bits) < 2u * (uint32_t)m->ncols)
		bits++;
	struct ml_linear_index *ix = calloc(1, sizeof *ix);
	if (!ix)
		return NULL;
	ix->shift = 32 - bits;
	ix->slot = malloc(((size_t)1 << bits) * sizeof *ix->slot);
	ix->w = malloc((size_t)m->ncols * (size_t)m->nclass * sizeof *ix->w + 1);
	if (!ix->slot || !ix->w) {
		index_free(ix);
		return NULL;
	}
	for (size_t h = 0; h < ((size_t)1 << bits); h++)
		ix->slot[h].col = -1;
	uint32_t mask = UINT32_MAX >> ix->shift;
	for (int32_t c = 0; c < m->ncols; c++) {
		uint32_t h = index_home(ix, m->cols[c]);
		while (ix->slot[h].col >= 0)
			h = (h + 1) & mask;
		ix->slot[h].col = m->cols[c];
		ix->slot[h].at = c;
		for (size_t k = 0; k < (size_t)m->nclass; k++)
			ix->w[(size_t)c * (size_t)m->nclass + k] = m->w[k * (size_t)m->ncols + (size_t)c];
	}
	return ix;
}

/* dots_used through the model's index: the same sums in the same order. */
static void dots_indexed(const ml_linear *m, const struct feature_node *x, double *z)
{
	const struct ml_linear_index *ix = m->index;
	for (; x->index != -1; x++) {
		int32_t at = index_at(ix, x->index - 1);
		if (at < 0)
			continue;
		const float *w = ix->w + (size_t)at * (size_t)m->nclass;
		for (size_t k = 0; k < (size_t)m->nclass; k++)
			z[k] += w[k] * x->value;
	}
}

/* Every class's w.x over the used columns' weights (a column not among them weighs 0): each
 * feature's column found once for all classes, the sums in the order of dot's. */
static void dots_used(const ml_linear *m, const struct feature_node *x, double *z)
{
	for (int k = 0; k < m->nclass; k++)
		z[k] = 0;
	if (m->index) {
		dots_indexed(m, x, z);
		return;
	}
	for (; x->index != -1; x++) {
		ptrdiff_t at = col_at(m->cols, m->ncols, x->index - 1);
		if (at < 0)
			continue;
		for (size_t k = 0; k < (size_t)m->nclass; k++)
			z[k] += m->w[k * (size_t)m->ncols + (size_t)at] * x->value;
	}
}

void ml_linear_scores(const ml_linear *m, const struct feature_node *x, double *p)
{
	double sum = 0;
	if (m->cols)
		dots_used(m, x, p);
	for (int k = 0; k < m->nclass; k++) {
		double z = m->cols ? p[k] : dot(m->w + (size_t)k * (size_t)(m->dim + 1), x, m->dim);
		p[k] = 1 / (1 + exp(-z));
		sum += p[k];
	}
	for (int k = 0; !m->multi_label && sum > 0 && k < m->nclass; k++)
		p[k] /= sum;
}

int ml_argmax(const double *p, int nclass)
{
	int best = 0;
	for (int k = 1; k < nclass; k++)
		if (p[k] > p[best])
			best = k;
	return best;
}

/* ---- the file: magic, dim, nclass, multi_label, then per class its count and (index, w) ---- */

static const char magic[8] = "CLLIN01";

/* Class k's non-zero weights as (index, weight) pairs; returns how many. */
static uint32_t class_pairs(const ml_linear *m, int k, uint32_t *pairs)
{
	uint32_t nnz = 0;
	size_t row = m->cols ? (size_t)m->ncols : (size_t)m->dim + 1;
	const float *w = m->w + (size_t)k * row;
	for (size_t j = 0; j < row; j++)
		if (w[j] != 0) {
			pairs[2 * nnz] = m->cols ? (uint32_t)m->cols[j] : (uint32_t)j;
			memcpy(&pairs[2 * nnz++ + 1], &w[j], sizeof *w);
		}
	return nnz;
}

int ml_linear_save(const ml_linear *m, const char *path, cl_error *err)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	int32_t head[3] = {m->dim, m->nclass, m->multi_label};
	size_t row = m->cols ? (size_t)m->ncols : (size_t)m->dim + 1;
	/* A class's (index, weight) pairs are written at once: one call a weight was most of the
	 * time of saving a text model's millions. */
	uint32_t *pairs = malloc(row * 2 * sizeof *pairs);
	int ok =
	    pairs && fwrite(magic, sizeof magic, 1, f) == 1 && fwrite(head, sizeof head, 1, f) == 1;
	for (int k = 0; ok && k < m->nclass; k++) {
		uint32_t nnz = class_pairs(m, k, pairs);
		ok = fwrite(&nnz, sizeof nnz, 1, f) == 1 &&
		     fwrite(pairs, 2 * sizeof *pairs, nnz, f) == nnz;
	}
	free(pairs);
	if (fclose(f) || !ok)
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	return CL_OK;
}

/* One class's (index, weight) pairs as the file holds them, checked against dim. */
static int class_read(FILE *f, int dim, uint32_t *n, uint32_t **pairs)
{
	if (fread(n, sizeof *n, 1, f) != 1 || *n > (uint32_t)dim + 1)
		return -1;
	if (!(*pairs = malloc(((size_t)*n * 2 + 1) * sizeof **pairs)) ||
	    fread(*pairs, 2 * sizeof **pairs, *n, f) != *n)
		return -1;
	for (uint32_t i = 0; i < *n; i++)
		if ((*pairs)[2 * i] > (uint32_t)dim)
			return -1;
	return 0;
}

static void weight_put(float *w, const uint32_t *pair)
{
	memcpy(w, pair + 1, sizeof *w);
}

static int weights_dense(ml_linear *m, uint32_t *const *pairs, const uint32_t *n)
{
	size_t row = (size_t)m->dim + 1;
	if (!(m->w = calloc((size_t)m->nclass * row, sizeof *m->w)))
		return -1;
	for (size_t k = 0; k < (size_t)m->nclass; k++)
		for (uint32_t i = 0; i < n[k]; i++)
			weight_put(m->w + k * row + pairs[k][2 * i], pairs[k] + 2 * i);
	return 0;
}

/* The weights of the columns some class uses (m->cols), for a file whose classes use few. */
static int weights_of_used(ml_linear *m, uint32_t *const *pairs, const uint32_t *n)
{
	int *place = calloc((size_t)m->dim + 1, sizeof *place);
	if (!place)
		return -1;
	for (size_t k = 0; k < (size_t)m->nclass; k++)
		for (uint32_t i = 0; i < n[k]; i++)
			place[pairs[k][2 * i]] = 1;
	for (int c = 0; c <= m->dim; c++)
		if (place[c])
			place[c] = ++m->ncols;
	m->cols = malloc(((size_t)m->ncols + 1) * sizeof *m->cols);
	m->w = calloc((size_t)m->nclass * (size_t)m->ncols + 1, sizeof *m->w);
	for (int c = 0; m->cols && c <= m->dim; c++)
		if (place[c])
			m->cols[place[c] - 1] = c;
	for (size_t k = 0; m->cols && m->w && k < (size_t)m->nclass; k++)
		for (uint32_t i = 0; i < n[k]; i++)
			weight_put(m->w + k * (size_t)m->ncols + (size_t)place[pairs[k][2 * i]] - 1,
				   pairs[k] + 2 * i);
	free(place);
	return m->cols && m->w ? 0 : -1;
}

/* Every class's pairs, then the weights: dense, or of the used columns when the classes use
 * under a quarter of them (hashed text: 2^20 columns, a tenth used), so that a loaded text
 * model takes the memory of its file rather than of every column. */
static int classes_read(FILE *f, ml_linear *m)
{
	uint32_t *n = calloc((size_t)m->nclass, sizeof *n),
		 **pairs = calloc((size_t)m->nclass, sizeof *pairs);
	size_t total = 0;
	int rc = n && pairs ? 0 : -1;
	for (int k = 0; !rc && k < m->nclass; k++) {
		rc = class_read(f, m->dim, &n[k], &pairs[k]);
		total += n[k];
	}
	if (!rc)
		rc = total * 4 < (size_t)m->nclass * ((size_t)m->dim + 1)
			 ? weights_of_used(m, pairs, n)
			 : weights_dense(m, pairs, n);
	for (int k = 0; pairs && k < m->nclass; k++)
		free(pairs[k]);
	free(pairs);
	free(n);
	return rc;
}

int ml_linear_load(ml_linear *m, const char *path, cl_error *err)
{
	char got[8];
	int32_t head[3];
	*m = (ml_linear){0};
	FILE *f = fopen(path, "rb");
	if (!f)
		return cl_fail(err, CL_EINVAL, "bad_model", "%s: cannot be read", path);
	int ok = fread(got, sizeof got, 1, f) == 1 && !memcmp(got, magic, sizeof got) &&
		 fread(head, sizeof head, 1, f) == 1 && head[0] > 0 && head[0] <= (1 << 24) &&
		 head[1] > 0 && head[1] <= 4096;
	if (ok) {
		*m = (ml_linear){head[0], head[1], head[2] != 0, NULL, NULL, 0, NULL};
		ok = !classes_read(f, m);
	}
	if (ok && m->cols)
		m->index = index_build(m);
	fclose(f);
	if (!ok) {
		ml_linear_release(m);
		return cl_fail(err, CL_EINVAL, "bad_model", "%s: not a crowdloop linear model",
			       path);
	}
	return CL_OK;
}

void ml_linear_release(ml_linear *m)
{
	free(m->w);
	free(m->cols);
	index_free(m->index);
	m->w = NULL;
	m->cols = NULL;
	m->index = NULL;
	m->ncols = 0;
}
