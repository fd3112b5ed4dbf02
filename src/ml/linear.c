/* One-vs-rest logistic regression (liblinear's problem, solved by ml/newton.h), its
 * probabilities and its file. */
#include "ml/linear.h"

#include "ml/newton.h"

#include <math.h>
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

int ml_fvec_finish(ml_fvec *v, int dim, bool normalize)
{
	if (!sorted(v)) /* dense features (HOG) come in order: no sort */
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

int ml_linear_train(ml_linear *m, struct feature_node *const *x, size_t l, const uint8_t *truth,
		    double C, int threads, cl_error *err)
{
	size_t row = (size_t)m->dim + 1, *pos = calloc((size_t)m->nclass, sizeof *pos);
	unsigned char *skip = calloc((size_t)m->nclass, 1);
	signed char *y = pos ? labels_of(m, l, truth, pos) : NULL;
	/* Two exclusive classes need one model: class 0's weights are class 1's negated. */
	bool mirror = m->nclass == 2 && !m->multi_label;
	int rc = CL_OK;
	if (!(m->w = calloc((size_t)m->nclass * row, sizeof *m->w)) || !skip || !y)
		rc = CL_ENOMEM;
	/* A class with one side only learns nothing; its bias alone says which side. */
	for (int k = 0; !rc && k < m->nclass; k++)
		skip[k] = (mirror && k == 0) || pos[k] == 0 || pos[k] == l;
	ml_newton_problem p = {x, l, m->dim + 1, m->nclass, y, skip, C, 0.01, threads};
	if (!rc && ml_newton_train(&p, m->w))
		rc = CL_ENOMEM;
	for (int k = 0; !rc && k < m->nclass; k++)
		if (pos[k] == 0 || pos[k] == l)
			m->w[(size_t)k * row + (size_t)m->dim] = pos[k] ? 8.0f : -8.0f;
	for (size_t j = 0; !rc && mirror && j < row; j++)
		m->w[j] = -m->w[row + j];
	free(pos);
	free(skip);
	free(y);
	if (rc)
		return cl_fail(err, rc, NULL, "out of memory for %d x %zu weights", m->nclass, row);
	return CL_OK;
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

void ml_linear_scores(const ml_linear *m, const struct feature_node *x, double *p)
{
	double sum = 0;
	for (int k = 0; k < m->nclass; k++) {
		p[k] = 1 / (1 + exp(-dot(m->w + (size_t)k * (size_t)(m->dim + 1), x, m->dim)));
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

int ml_linear_save(const ml_linear *m, const char *path, cl_error *err)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	int32_t head[3] = {m->dim, m->nclass, m->multi_label};
	/* A class's (index, weight) pairs are written at once: one call a weight was most of the
	 * time of saving a text model's millions. */
	uint32_t *pairs = malloc(((size_t)m->dim + 1) * 2 * sizeof *pairs);
	int ok =
	    pairs && fwrite(magic, sizeof magic, 1, f) == 1 && fwrite(head, sizeof head, 1, f) == 1;
	for (int k = 0; ok && k < m->nclass; k++) {
		const float *w = m->w + (size_t)k * (size_t)(m->dim + 1);
		uint32_t nnz = 0;
		for (uint32_t j = 0; j <= (uint32_t)m->dim; j++)
			if (w[j] != 0) {
				pairs[2 * nnz] = j;
				memcpy(&pairs[2 * nnz++ + 1], &w[j], sizeof *w);
			}
		ok = fwrite(&nnz, sizeof nnz, 1, f) == 1 &&
		     fwrite(pairs, 2 * sizeof *pairs, nnz, f) == nnz;
	}
	free(pairs);
	if (fclose(f) || !ok)
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	return CL_OK;
}

static int read_class(FILE *f, float *w, int dim)
{
	uint32_t nnz, j;
	float v;
	if (fread(&nnz, sizeof nnz, 1, f) != 1 || nnz > (uint32_t)dim + 1)
		return -1;
	for (uint32_t i = 0; i < nnz; i++) {
		if (fread(&j, sizeof j, 1, f) != 1 || fread(&v, sizeof v, 1, f) != 1 ||
		    j > (uint32_t)dim)
			return -1;
		w[j] = v;
	}
	return 0;
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
		*m = (ml_linear){head[0], head[1], head[2] != 0, NULL};
		ok =
		    (m->w = calloc((size_t)m->nclass * (size_t)(m->dim + 1), sizeof *m->w)) != NULL;
	}
	for (int k = 0; ok && k < m->nclass; k++)
		ok = !read_class(f, m->w + (size_t)k * (size_t)(m->dim + 1), m->dim);
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
	m->w = NULL;
}
