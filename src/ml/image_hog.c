/* image-hog: images decoded to grayscale with stb_image, scaled to a square with
 * stb_image_resize, described by vlfeat's HOG (the UoCTTI variant: 31 numbers a cell), and
 * classified by one-vs-rest logistic regression (ml/linear.h); and its runtime, image_hog. The
 * model directory holds model.json (labels, image_size, cell_size) and weights.bin. */
#include <limits.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <vl/hog.h>

#include "ml/linear.h"
#include "ml/builtin.h"
#include "ml/label_check.h"
#include "ml/runtime.h"
#include "ml/train.h"

#define STB_IMAGE_STATIC
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_BMP
#define STBI_ONLY_PNM
#define STBI_ONLY_GIF
/* stb declares functions this file does not use; their warnings stay off for the whole file. */
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wsign-compare"
#include <stb_image.h>
#define STB_IMAGE_RESIZE_STATIC
#define STB_IMAGE_RESIZE_IMPLEMENTATION
#include <stb_image_resize.h>
#pragma GCC diagnostic pop

/* Bounds on an image to describe: its file and its pixels, checked before decoding. */
#define HOG_MAX_BYTES (20u << 20)
#define HOG_MAX_PIXELS (40u << 20)

typedef struct hog_opts {
	int image_size, cell_size;
} hog_opts;

/* The columns of a vector: HOG cells across and down, 31 numbers each. */
static int hog_dim(const hog_opts *o)
{
	int cells = (o->image_size + o->cell_size / 2) / o->cell_size;
	return cells * cells * 31;
}

/* The finished vector of decoded gray pixels into v; -1 when out of memory. */
static int hog_features(const unsigned char *px, int w, int h, const hog_opts *o, ml_fvec *v)
{
	int s = o->image_size, dim = hog_dim(o), rc = -1;
	unsigned char *scaled = malloc((size_t)s * (size_t)s);
	float *img = malloc((size_t)s * (size_t)s * sizeof *img), *f = NULL;
	VlHog *hog = vl_hog_new(VlHogVariantUoctti, 9, VL_FALSE);
	v->n = 0;
	if (!scaled || !img || !hog)
		goto out;
	if (w == s && h == s)
		memcpy(scaled, px, (size_t)s * (size_t)s);
	else
		stbir_resize_uint8(px, w, h, 0, scaled, s, s, 0, 1);
	for (int i = 0; i < s * s; i++)
		img[i] = scaled[i] / 255.0f;
	vl_hog_put_image(hog, img, (vl_size)s, (vl_size)s, 1, (vl_size)o->cell_size);
	if ((int)(vl_hog_get_width(hog) * vl_hog_get_height(hog) * vl_hog_get_dimension(hog)) !=
		dim ||
	    !(f = malloc((size_t)dim * sizeof *f)))
		goto out;
	vl_hog_extract(hog, f);
	size_t nonzero = 0;
	for (int j = 0; j < dim; j++)
		nonzero += f[j] != 0;
	rc = ml_fvec_reserve(v, nonzero); /* one allocation of the size it needs */
	for (int j = 0; !rc && j < dim; j++)
		if (f[j] != 0)
			rc = ml_fvec_add(v, j + 1, f[j]);
	if (!rc)
		rc = ml_fvec_finish(v, dim, true);
out:
	free(f);
	free(scaled);
	free(img);
	if (hog)
		vl_hog_delete(hog);
	return rc;
}

/* Decodes image bytes to gray and describes them. CL_EINVAL for what is not an image. */
static int hog_of_bytes(const unsigned char *data, size_t len, const hog_opts *o, ml_fvec *v,
			cl_error *err)
{
	int w, h, comp;
	if (len > HOG_MAX_BYTES)
		return cl_fail(err, CL_ETOOBIG, "too_big", "the image is over %u bytes",
			       HOG_MAX_BYTES);
	if (!stbi_info_from_memory(data, (int)len, &w, &h, &comp))
		return cl_fail(err, CL_EINVAL, "bad_image", "not an image stb_image decodes");
	if ((size_t)w * (size_t)h > HOG_MAX_PIXELS)
		return cl_fail(err, CL_ETOOBIG, "too_big", "the image has over %u pixels",
			       HOG_MAX_PIXELS);
	unsigned char *px = stbi_load_from_memory(data, (int)len, &w, &h, &comp, 1);
	if (!px)
		return cl_fail(err, CL_EINVAL, "bad_image", "the image cannot be decoded");
	int rc = hog_features(px, w, h, o, v);
	stbi_image_free(px);
	return rc ? cl_fail(err, CL_ENOMEM, NULL, "out of memory") : CL_OK;
}

static int hog_of_file(const char *path, const hog_opts *o, ml_fvec *v, cl_error *err)
{
	struct stat st;
	FILE *f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &st) || !S_ISREG(st.st_mode)) {
		if (f)
			fclose(f);
		return cl_fail(err, CL_EINVAL, "bad_image", "%.200s: cannot be read", path);
	}
	if ((size_t)st.st_size > HOG_MAX_BYTES) {
		fclose(f);
		return cl_fail(err, CL_ETOOBIG, "too_big", "%.200s: over %u bytes", path,
			       HOG_MAX_BYTES);
	}
	unsigned char *data = malloc((size_t)st.st_size + 1);
	size_t len = data ? fread(data, 1, (size_t)st.st_size, f) : 0;
	fclose(f);
	int rc = data ? hog_of_bytes(data, len, o, v, err)
		      : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	free(data);
	if (rc) {
		char why[sizeof err->message];
		snprintf(why, sizeof why, "%s", err->message);
		cl_fail(err, rc, err->name, "%.200s: %s", path, why);
	}
	return rc;
}

/* ---- training: the train rows described on `cpus` threads ---- */

typedef struct describe_pool {
	const ml_row **rows;
	ml_fvec *v;
	size_t n;
	const hog_opts *o;
	atomic_size_t next;
	atomic_int failed;
	cl_error err;
} describe_pool;

static void *describe_worker(void *arg)
{
	describe_pool *p = arg;
	cl_error err;
	for (size_t i; !atomic_load(&p->failed) && (i = atomic_fetch_add(&p->next, 1)) < p->n;) {
		int rc = hog_of_file(p->rows[i]->image, p->o, &p->v[i], &err);
		if (rc && !atomic_exchange(&p->failed, rc))
			p->err = err;
	}
	return NULL;
}

static int describe_all(describe_pool *p, int cpus, cl_error *err)
{
	pthread_t tid[64];
	int started = 0;
	atomic_init(&p->next, 0);
	atomic_init(&p->failed, 0);
	for (int t = 1; t < cpus && t < 64; t++)
		if (!pthread_create(&tid[started], NULL, describe_worker, p))
			started++;
	describe_worker(p);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	int rc = atomic_load(&p->failed);
	if (rc)
		*err = p->err;
	return rc;
}

static json_t *hog_meta(const ml_dataset *d, const hog_opts *o)
{
	json_t *labels = json_array();
	for (size_t i = 0; i < d->nlabels; i++)
		json_array_append_new(labels, json_string(d->labels[i]));
	return json_pack("{s:s,s:s,s:o,s:b,s:i,s:i,s:[s]}", "runtime", "image_hog", "kind", d->kind,
			 "labels", labels, "multi_label", d->multi_label, "image_size",
			 o->image_size, "cell_size", o->cell_size, "files", "weights.bin");
}

static int train_on(const ml_train_job *job, describe_pool *p, const hog_opts *o, cl_error *err)
{
	const ml_dataset *d = job->data;
	size_t n;
	char path[PATH_MAX];
	ml_linear m = {hog_dim(o), (int)d->nlabels, d->multi_label, NULL, NULL, 0, NULL};
	uint8_t *truth = ml_train_truth(d, ML_TRAIN, &n);
	struct feature_node **x = calloc(n + 1, sizeof *x);
	int rc = truth && x ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; !rc && i < n; i++)
		x[i] = p->v[i].x;
	if (!rc)
		rc = ml_linear_train(&m, x, n, truth, ml_param(job->trainer, job->params, "C"),
				     job->cpus, err);
	snprintf(path, sizeof path, "%s/weights.bin", job->output);
	if (!rc && !(rc = ml_linear_save(&m, path, err)))
		rc = ml_train_write_meta(job->output, hog_meta(d, o), err);
	free(truth);
	free(x);
	ml_linear_release(&m);
	return rc;
}

int ml_image_hog_train(const ml_train_job *job, cl_error *err)
{
	const ml_dataset *d = job->data;
	hog_opts o = {(int)ml_param(job->trainer, job->params, "image_size"),
		      (int)ml_param(job->trainer, job->params, "cell_size")};
	describe_pool p = {.n = d->count[ML_TRAIN], .o = &o};
	if (o.cell_size * 2 > o.image_size)
		return cl_fail(err, CL_EINVAL, "bad_params",
			       "params.cell_size must be at most half of image_size");
	p.rows = calloc(p.n + 1, sizeof *p.rows);
	p.v = calloc(p.n + 1, sizeof *p.v);
	int rc = p.rows && p.v ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0, k = 0; !rc && i < d->nrows; i++)
		if (d->rows[i].split == ML_TRAIN)
			p.rows[k++] = &d->rows[i];
	if (!rc)
		rc = describe_all(&p, job->cpus, err);
	if (!rc)
		rc = train_on(job, &p, &o, err);
	for (size_t i = 0; p.v && i < p.n; i++)
		ml_fvec_release(&p.v[i]);
	free(p.v);
	free(p.rows);
	return rc;
}

/* ---- every row's vector, for the label check (ml/label_check.h) ---- */

int ml_image_hog_vectors(const ml_train_job *job, ml_fvec *v, int *dim, cl_error *err)
{
	const ml_dataset *d = job->data;
	hog_opts o = {(int)ml_param(job->trainer, job->params, "image_size"),
		      (int)ml_param(job->trainer, job->params, "cell_size")};
	if (o.cell_size * 2 > o.image_size)
		return cl_fail(err, CL_EINVAL, "bad_params",
			       "params.cell_size must be at most half of image_size");
	describe_pool p = {.n = d->nrows, .o = &o, .v = v};
	p.rows = calloc(p.n + 1, sizeof *p.rows);
	if (!p.rows)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < d->nrows; i++)
		p.rows[i] = &d->rows[i];
	*dim = hog_dim(&o);
	int rc = describe_all(&p, job->cpus, err);
	free(p.rows);
	return rc;
}

/* ---- the runtime ---- */

typedef struct image_hog_model {
	hog_opts opts;
	ml_linear linear;
	char **labels;
	int nlabels;
} image_hog_model;

static void image_hog_free(ml_model *mm)
{
	image_hog_model *m = (image_hog_model *)(void *)mm;
	if (!m)
		return;
	ml_linear_release(&m->linear);
	ml_model_labels_free(m->labels, m->nlabels);
	free(m);
}

static int image_hog_load(const char *dir, ml_model **out, cl_error *err)
{
	char path[PATH_MAX];
	json_t *meta = ml_model_meta(dir, "image_hog", err);
	image_hog_model *m = meta ? calloc(1, sizeof *m) : NULL;
	int rc = !meta ? err->code : m ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc) {
		m->opts.image_size = (int)json_integer_value(json_object_get(meta, "image_size"));
		m->opts.cell_size = (int)json_integer_value(json_object_get(meta, "cell_size"));
		if (m->opts.image_size < 16 || m->opts.image_size > 256 || m->opts.cell_size < 2 ||
		    m->opts.cell_size * 2 > m->opts.image_size)
			rc = cl_fail(err, CL_EINVAL, "bad_model",
				     "model.json: bad image_size or cell_size");
	}
	if (!rc && !(m->labels = ml_model_labels(meta, &m->nlabels, err)))
		rc = err->code;
	snprintf(path, sizeof path, "%s/weights.bin", dir);
	if (!rc)
		rc = ml_linear_load(&m->linear, path, err);
	if (!rc && (m->linear.nclass != m->nlabels || m->linear.dim != hog_dim(&m->opts)))
		rc = cl_fail(err, CL_EINVAL, "bad_model", "%s does not match model.json", path);
	json_decref(meta);
	if (rc)
		image_hog_free((ml_model *)(void *)m);
	else
		*out = (ml_model *)(void *)m;
	return rc;
}

/* The vector of an input: {"image_path"} or {"image_bytes_b64"}. */
static int input_features(const json_t *in, const hog_opts *o, ml_fvec *v, cl_error *err)
{
	const char *path = json_string_value(json_object_get(in, "image_path"));
	const json_t *b64 = json_object_get(in, "image_bytes_b64");
	if (path)
		return hog_of_file(path, o, v, err);
	if (!json_is_string(b64))
		return cl_fail(err, CL_EINVAL, "bad_input",
			       "input needs image_path or image_bytes_b64");
	size_t len = json_string_length(b64), n = 0;
	if (len / 4 * 3 > HOG_MAX_BYTES)
		return cl_fail(err, CL_ETOOBIG, "too_big", "the image is over %u bytes",
			       HOG_MAX_BYTES);
	unsigned char *bytes = malloc(len / 4 * 3 + 3);
	if (!bytes)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	int rc = sodium_base642bin(bytes, len / 4 * 3 + 3, json_string_value(b64), len, " \n", &n,
				   NULL, sodium_base64_VARIANT_ORIGINAL)
		     ? cl_fail(err, CL_EINVAL, "bad_input", "image_bytes_b64 is not base64")
		     : hog_of_bytes(bytes, n, o, v, err);
	free(bytes);
	return rc;
}

static int image_hog_predict(ml_model *mm, const json_t *in, json_t **out, cl_error *err)
{
	image_hog_model *m = (image_hog_model *)(void *)mm;
	ml_fvec v = {0};
	double *p = malloc((size_t)m->nlabels * sizeof *p);
	int rc = p ? input_features(in, &m->opts, &v, err)
		   : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	if (!rc) {
		ml_linear_scores(&m->linear, v.x, p);
		*out = ml_scores_json(m->labels, p, m->nlabels, m->linear.multi_label);
		rc = *out ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	free(p);
	ml_fvec_release(&v);
	return rc;
}

const ml_runtime ml_runtime_image_hog = {"image_hog", image_hog_load, image_hog_predict,
					 image_hog_free, false};
