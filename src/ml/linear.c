/* One-vs-rest logistic regression over liblinear, its probabilities and its file. */
#include "ml/linear.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ml_fvec_add(ml_fvec *v, int index, double value)
{
	if (v->n + 2 >= v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		struct feature_node *x = realloc(v->x, cap * sizeof *x);
		if (!x)
			return -1;
		v->x = x;
		v->cap = cap;
	}
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

int ml_fvec_finish(ml_fvec *v, int dim, bool normalize)
{
	if (v->n)
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

/* The rows with their columns renumbered 1..used (the bias used + 1): hashed features leave
 * most of 2^bits columns empty, and liblinear's work per step grows with the columns it is
 * given, so it sees only the used ones. */
typedef struct compact {
	struct feature_node **x; /* owned, with their nodes in `nodes` */
	struct feature_node *nodes;
	int *column; /* owned: the original column of each new one, 1-based */
	int used;
} compact;

static void compact_release(compact *c)
{
	free(c->x);
	free(c->nodes);
	free(c->column);
}

static int compact_make(compact *c, struct feature_node *const *x, size_t l, int dim)
{
	size_t nnz = 0;
	int *renumber = calloc((size_t)dim + 2, sizeof *renumber);
	*c = (compact){0};
	for (size_t i = 0; renumber && i < l; i++)
		for (const struct feature_node *f = x[i]; f->index != -1; f++, nnz++)
			if (f->index <= dim)
				renumber[f->index] = 1;
	c->x = malloc((l + 1) * sizeof *c->x);
	c->nodes = malloc((nnz + l + 1) * sizeof *c->nodes);
	c->column = malloc(((size_t)dim + 2) * sizeof *c->column);
	if (!renumber || !c->x || !c->nodes || !c->column)
		return free(renumber), compact_release(c), -1;
	for (int j = 1; j <= dim; j++)
		if (renumber[j]) {
			renumber[j] = ++c->used;
			c->column[c->used] = j;
		}
	renumber[dim + 1] = c->used + 1; /* the bias */
	c->column[c->used + 1] = dim + 1;
	struct feature_node *o = c->nodes;
	for (size_t i = 0; i < l; i++) {
		c->x[i] = o;
		for (const struct feature_node *f = x[i]; f->index != -1; f++)
			*o++ = (struct feature_node){renumber[f->index], f->value};
		*o++ = (struct feature_node){-1, 0};
	}
	free(renumber);
	return 0;
}

typedef struct train_pool {
	ml_linear *m;
	const compact *c;
	size_t l;
	const uint8_t *truth;
	double C;
	int first;	   /* the first class to train: 1 when class 0 mirrors class 1 */
	atomic_int next;   /* the next class a thread takes */
	atomic_int failed; /* a CL_ code, 0 while all is well */
} train_pool;

static void quiet(const char *s)
{
	(void)s;
}

/* Trains class k against the rest into row k of the weights. */
static int train_class(train_pool *p, int k)
{
	int dim = p->m->dim, positives = 0, used = p->c->used;
	float *w = p->m->w + (size_t)k * (size_t)(dim + 1);
	double *y = malloc(p->l * sizeof *y);
	if (!y)
		return CL_ENOMEM;
	for (size_t i = 0; i < p->l; i++)
		positives += (y[i] = p->truth[i * (size_t)p->m->nclass + (size_t)k] ? 1 : -1) > 0;
	if (positives == 0 || (size_t)positives == p->l) {
		/* One side only: liblinear learns nothing; the bias alone says which. */
		w[dim] = positives ? 8.0f : -8.0f;
		return free(y), CL_OK;
	}
	struct problem prob = {(int)p->l, used + 1, y, p->c->x, 1.0};
	struct parameter param = {.solver_type = L2R_LR, .eps = 0.01, .C = p->C};
	struct model *model = train(&prob, &param);
	free(y);
	if (!model)
		return CL_ENOMEM;
	/* liblinear's single weight vector favours its first label. */
	float sign = model->label[0] == 1 ? 1.0f : -1.0f;
	for (int j = 0; j <= used; j++)
		w[p->c->column[j + 1] - 1] = sign * (float)model->w[j];
	free_and_destroy_model(&model);
	return CL_OK;
}

static void *train_worker(void *arg)
{
	train_pool *p = arg;
	for (int k;
	     !atomic_load(&p->failed) && (k = atomic_fetch_add(&p->next, 1)) < p->m->nclass;) {
		int rc = train_class(p, k);
		if (rc)
			atomic_store(&p->failed, rc);
	}
	return NULL;
}

static int run_pool(train_pool *p, int threads)
{
	pthread_t tid[64];
	int started = 0, todo = p->m->nclass - p->first;
	if (threads > todo)
		threads = todo;
	if (threads > 64)
		threads = 64;
	for (int t = 1; t < threads; t++)
		if (!pthread_create(&tid[started], NULL, train_worker, p))
			started++;
	train_worker(p);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	return atomic_load(&p->failed);
}

int ml_linear_train(ml_linear *m, struct feature_node *const *x, size_t l, const uint8_t *truth,
		    double C, int threads, cl_error *err)
{
	size_t row = (size_t)m->dim + 1;
	compact c;
	if (!(m->w = calloc((size_t)m->nclass * row, sizeof *m->w)) ||
	    compact_make(&c, x, l, m->dim))
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory for %d x %zu weights",
			       m->nclass, row);
	set_print_string_function(quiet);
	train_pool p = {.m = m, .c = &c, .l = l, .truth = truth, .C = C};
	/* Two exclusive classes need one model: class 0's weights are class 1's negated. */
	p.first = m->nclass == 2 && !m->multi_label;
	atomic_init(&p.next, p.first);
	atomic_init(&p.failed, 0);
	int rc = run_pool(&p, threads < 1 ? 1 : threads);
	compact_release(&c);
	if (rc)
		return cl_fail(err, rc, NULL, "training ran out of memory");
	for (size_t j = 0; p.first && j < row; j++)
		m->w[j] = -m->w[row + j];
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
	int ok = fwrite(magic, sizeof magic, 1, f) == 1 && fwrite(head, sizeof head, 1, f) == 1;
	for (int k = 0; ok && k < m->nclass; k++) {
		const float *w = m->w + (size_t)k * (size_t)(m->dim + 1);
		uint32_t nnz = 0;
		for (int j = 0; j <= m->dim; j++)
			nnz += w[j] != 0;
		ok = fwrite(&nnz, sizeof nnz, 1, f) == 1;
		for (uint32_t j = 0; ok && j <= (uint32_t)m->dim; j++)
			if (w[j] != 0)
				ok = fwrite(&j, sizeof j, 1, f) == 1 &&
				     fwrite(&w[j], sizeof *w, 1, f) == 1;
	}
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
