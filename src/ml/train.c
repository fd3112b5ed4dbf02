/* The trainer driver: dataset in, model and evaluation out. The test split is predicted through
 * the model's own runtime, so the figures measure the model as it will be served. */
#include "ml/train.h"

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ml/evaluate.h"
#include "ml/runtime.h"
#include "util/fs.h"

static const struct {
	const char *name;
	int (*train)(const ml_train_job *job, cl_error *err);
} trainers[] = {
    {"text-linear", ml_text_linear_train},
    {"text-fasttext", ml_text_fasttext_train},
    {"image-hog", ml_image_hog_train},
    {"spans-linear", ml_spans_linear_train},
};

double ml_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

uint8_t *ml_train_truth(const ml_dataset *d, ml_split split, size_t *n)
{
	uint8_t *truth = calloc(d->count[split] ? d->count[split] * d->nlabels : 1, 1);
	size_t o = 0;
	for (size_t i = 0; truth && i < d->nrows; i++) {
		if (d->rows[i].split != split)
			continue;
		for (size_t k = 0; k < d->rows[i].nlabels; k++)
			truth[o * d->nlabels + (size_t)d->rows[i].labels[k]] = 1;
		o++;
	}
	*n = o;
	return truth;
}

int ml_train_write_meta(const char *dir, json_t *meta, cl_error *err)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s/model.json", dir);
	int rc = meta ? json_dump_file(meta, path, JSON_INDENT(1) | JSON_SORT_KEYS) : -1;
	json_decref(meta);
	if (rc)
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	return CL_OK;
}

/* ---- predicting the test split ---- */

/* One test row's answer, read back from the runtime's JSON. */
typedef struct answer {
	int label;	/* one-label classes */
	uint8_t *flags; /* multi-label: nlabels flags */
	ml_span *spans; /* spans */
	size_t nspans;
} answer;

typedef struct eval_pool {
	const ml_dataset *d;
	const ml_runtime *rt;
	ml_model *m;
	const ml_row **rows; /* the test rows */
	answer *answers;
	size_t n;
	atomic_size_t next;
	atomic_int failed;
	cl_error err;
} eval_pool;

static json_t *row_input(const ml_row *r)
{
	return r->text ? json_pack("{s:s}", "text", r->text)
		       : json_pack("{s:s}", "image_path", r->image);
}

static void read_spans(const ml_dataset *d, const json_t *spans, answer *a)
{
	size_t i;
	json_t *s;
	a->spans = calloc(json_array_size(spans) + 1, sizeof *a->spans);
	json_array_foreach(spans, i, s)
	{
		int k = ml_dataset_label(d, json_string_value(json_object_get(s, "label")));
		if (a->spans && k >= 0)
			a->spans[a->nspans++] =
			    (ml_span){(int)json_integer_value(json_object_get(s, "start")),
				      (int)json_integer_value(json_object_get(s, "end")), k};
	}
}

static void read_answer(const ml_dataset *d, const json_t *out, answer *a)
{
	size_t i;
	json_t *v;
	if (!strcmp(d->kind, "text_spans")) {
		read_spans(d, json_object_get(out, "spans"), a);
	} else if (d->multi_label) {
		a->flags = calloc(d->nlabels, 1);
		json_array_foreach(json_object_get(out, "labels"), i, v)
		{
			int k = ml_dataset_label(d, json_string_value(v));
			if (a->flags && k >= 0)
				a->flags[k] = 1;
		}
	} else {
		a->label = ml_dataset_label(d, json_string_value(json_object_get(out, "label")));
	}
}

static void *eval_worker(void *arg)
{
	eval_pool *p = arg;
	cl_error err;
	for (size_t i; !atomic_load(&p->failed) && (i = atomic_fetch_add(&p->next, 1)) < p->n;) {
		json_t *in = row_input(p->rows[i]), *out = NULL;
		int rc = in ? p->rt->predict(p->m, in, &out, &err) : CL_ENOMEM;
		if (!rc)
			read_answer(p->d, out, &p->answers[i]);
		else if (!atomic_exchange(&p->failed, rc))
			p->err = err;
		json_decref(in);
		json_decref(out);
	}
	return NULL;
}

static int predict_tests(eval_pool *p, int cpus)
{
	pthread_t tid[64];
	int started = 0;
	for (int t = 1; t < cpus && t < 64; t++)
		if (!pthread_create(&tid[started], NULL, eval_worker, p))
			started++;
	eval_worker(p);
	for (int t = 0; t < started; t++)
		pthread_join(tid[t], NULL);
	return atomic_load(&p->failed);
}

/* ---- the figures ---- */

static json_t *classes_figures(const eval_pool *p)
{
	const ml_dataset *d = p->d;
	ml_confusion c;
	if (ml_confusion_init(&c, (int)d->nlabels))
		return NULL;
	for (size_t i = 0; i < p->n; i++) {
		int pred = p->answers[i].label;
		/* A label the model does not know cannot be right: count it as the next class. */
		ml_confusion_add(&c, p->rows[i]->labels[0],
				 pred >= 0 ? pred : (p->rows[i]->labels[0] + 1) % (int)d->nlabels);
	}
	json_t *j = ml_eval_classes_json(&c, d->labels);
	ml_confusion_release(&c);
	return j;
}

static json_t *multi_figures(const eval_pool *p)
{
	size_t n, L = p->d->nlabels;
	uint8_t *truth = ml_train_truth(p->d, ML_TEST, &n), *pred = calloc(n * L + 1, 1);
	json_t *j = NULL;
	if (truth && pred) {
		for (size_t i = 0; i < n; i++)
			if (p->answers[i].flags)
				memcpy(pred + i * L, p->answers[i].flags, L);
		j = ml_eval_multi_json(truth, pred, n, p->d->labels, (int)L);
	}
	free(truth);
	free(pred);
	return j;
}

static json_t *spans_figures(const eval_pool *p)
{
	ml_counts *per = calloc(p->d->nlabels, sizeof *per);
	if (!per)
		return NULL;
	for (size_t i = 0; i < p->n; i++)
		ml_spans_count(p->rows[i]->spans, p->rows[i]->nspans, p->answers[i].spans,
			       p->answers[i].nspans, per);
	json_t *j = ml_eval_spans_json(per, p->d->labels, (int)p->d->nlabels);
	free(per);
	return j;
}

static json_t *figures(const eval_pool *p)
{
	if (!strcmp(p->d->kind, "text_spans"))
		return spans_figures(p);
	return p->d->multi_label ? multi_figures(p) : classes_figures(p);
}

static void print_metrics(FILE *log, const json_t *fig)
{
	const json_t *entity = json_object_get(fig, "entity");
	static const char *const keys[] = {"accuracy", "macro_f1", NULL};
	for (size_t i = 0; !entity && keys[i]; i++)
		fprintf(log, "CROWDLOOP_METRIC test_%s=%.6f step=0\n", keys[i],
			json_number_value(json_object_get(fig, keys[i])));
	static const char *const ekeys[] = {"precision", "recall", "f1", NULL};
	for (size_t i = 0; entity && ekeys[i]; i++)
		fprintf(log, "CROWDLOOP_METRIC test_entity_%s=%.6f step=0\n", ekeys[i],
			json_number_value(json_object_get(entity, ekeys[i])));
}

static void answers_free(answer *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++) {
		free(a[i].flags);
		free(a[i].spans);
	}
	free(a);
}

/* Predicts the test split with the model in `output`; *fig gets its figures. */
static int evaluate_model(const ml_dataset *d, const char *output, int cpus, json_t **fig,
			  cl_error *err)
{
	eval_pool p = {.d = d, .n = d->count[ML_TEST]};
	int rc = ml_model_open(output, &p.rt, &p.m, err);
	if (rc)
		return rc;
	p.rows = calloc(p.n + 1, sizeof *p.rows);
	p.answers = calloc(p.n + 1, sizeof *p.answers);
	rc = p.rows && p.answers ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0, o = 0; !rc && i < d->nrows; i++)
		if (d->rows[i].split == ML_TEST)
			p.rows[o++] = &d->rows[i];
	atomic_init(&p.next, 0);
	atomic_init(&p.failed, 0);
	if (!rc && (rc = predict_tests(&p, cpus)))
		*err = p.err;
	if (!rc && !(*fig = figures(&p)))
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	answers_free(p.answers, p.n);
	free(p.rows);
	p.rt->free(p.m);
	return rc;
}

/* ---- the run ---- */

static int check_job(const ml_trainer *t, const char *name, const json_t *params,
		     const ml_dataset *d, cl_error *err)
{
	if (!t)
		return cl_fail(err, CL_EINVAL, "bad_trainer", "no trainer named %.60s", name);
	int rc = ml_trainer_check(t, params, err);
	if (rc)
		return rc;
	if (d && !ml_trainer_takes(t, d->kind))
		return cl_fail(err, CL_EINVAL, "bad_dataset", "%s does not train on %s projects",
			       t->name, d->kind);
	if (d && !d->count[ML_TRAIN])
		return cl_fail(err, CL_EINVAL, "bad_dataset", "the dataset has no train rows");
	return CL_OK;
}

static int write_evaluation(const ml_train_job *job, json_t *fig, cl_error *err)
{
	char path[PATH_MAX];
	json_t *params = json_object();
	for (const ml_param_spec *s = job->trainer->params; s->name; s++) {
		double v = ml_param(job->trainer, job->params, s->name);
		json_object_set_new(params, s->name,
				    s->integer ? json_integer((json_int_t)v) : json_real(v));
	}
	json_object_set_new(fig, "trainer", json_string(job->trainer->name));
	json_object_set_new(fig, "params", params);
	json_object_set_new(fig, "rows",
			    json_pack("{s:I,s:I}", "train", (json_int_t)job->data->count[ML_TRAIN],
				      "test", (json_int_t)job->data->count[ML_TEST]));
	snprintf(path, sizeof path, "%s/evaluation.json", job->output);
	if (json_dump_file(fig, path, JSON_INDENT(1) | JSON_SORT_KEYS))
		return cl_fail(err, CL_EINTERNAL, NULL, "%s: cannot be written", path);
	return CL_OK;
}

static double cpu_seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int train_and_evaluate(const ml_train_job *job,
			      int (*train)(const ml_train_job *, cl_error *), FILE *log,
			      cl_error *err)
{
	json_t *fig = NULL;
	double t0 = ml_seconds(), cpu0 = cpu_seconds();
	int rc = train(job, err);
	if (rc)
		return rc;
	double t1 = ml_seconds();
	fprintf(log, "CROWDLOOP_METRIC train_seconds=%.3f step=0\n", t1 - t0);
	/* The CPU time of all the job's threads: on a shared machine, steadier than the wall's. */
	fprintf(log, "CROWDLOOP_METRIC train_cpu_seconds=%.3f step=0\n", cpu_seconds() - cpu0);
	fflush(log);
	rc = evaluate_model(job->data, job->output, job->cpus, &fig, err);
	if (!rc && !job->data->count[ML_TEST]) {
		/* No test rows measure nothing: the figures say so rather than 0. */
		json_decref(fig);
		fig = json_pack("{s:n,s:n,s:{},s:n}", "accuracy", "macro_f1", "per_class",
				"confusion");
		rc = fig ? CL_OK : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	} else if (!rc) {
		fprintf(log, "CROWDLOOP_METRIC eval_seconds=%.3f step=0\n", ml_seconds() - t1);
		print_metrics(log, fig);
	}
	if (!rc)
		rc = write_evaluation(job, fig, err);
	json_decref(fig);
	fflush(log);
	return rc;
}

int ml_train_run(const char *name, const char *data, const char *output, const json_t *params,
		 int cpus, FILE *log, cl_error *err)
{
	const ml_trainer *t = ml_trainer_find(name);
	ml_dataset d;
	int rc = check_job(t, name, params, NULL, err);
	if (rc || (rc = ml_dataset_load(data, &d, err)))
		return rc;
	if (!(rc = check_job(t, name, params, &d, err)) && fs_make_dirs(output))
		rc = cl_fail(err, CL_EINVAL, NULL, "%s: cannot make the output directory", output);
	fprintf(log,
		"CROWDLOOP_METRIC train_rows=%zu step=0\nCROWDLOOP_METRIC test_rows=%zu "
		"step=0\n",
		d.count[ML_TRAIN], d.count[ML_TEST]);
	ml_train_job job = {t, params, &d, output, cpus < 1 ? 1 : cpus};
	for (size_t i = 0; !rc && i < sizeof trainers / sizeof trainers[0]; i++)
		if (!strcmp(trainers[i].name, t->name))
			rc = train_and_evaluate(&job, trainers[i].train, log, err);
	ml_dataset_release(&d);
	return rc;
}
