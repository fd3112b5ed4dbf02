/* The serving registry and the key limiter (core/serving.h). One mutex guards the registry's
 * lists; loading a model (hundreds of milliseconds for OCR) happens outside it, so requests on
 * other endpoints, and on this one's old deployment, go on meanwhile. */
#include "core/serving.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/endpoint.h"
#include "core/model_servers.h"
#include "ml/builtin.h"
#include "ml/ocr_tesseract.h"
#include "util/clock.h"

/* A loaded model, shared by every deployment whose target has its key. */
typedef struct loaded_model {
	char key[160];
	const ml_runtime *rt;
	ml_model *model;
	int refs; /* under the registry's lock */
	struct loaded_model *next;
} loaded_model;

typedef struct deployed_target {
	loaded_model *m;
	int weight;
} deployed_target;

struct serving_deployment {
	serving_registry *g;
	atomic_int refs;
	int n;
	deployed_target targets[ENDPOINT_MAX_TARGETS];
	loaded_model *shadow;
};

/* An endpoint's installed deployment, the revision a request is loading, if any, and its
 * figures. */
typedef struct endpoint_slot {
	int64_t endpoint_id, revision, loading;
	serving_deployment *d;
	serving_stats stats;
	struct endpoint_slot *next;
} endpoint_slot;

struct serving_registry {
	pthread_mutex_t lock;
	pthread_cond_t loaded; /* a slot's loading ended: installed or failed */
	int64_t max_pixels;
	char langid_dir[1024];	/* the langid service's model folder; "" when none */
	model_servers *servers; /* custom model servers' supervisor; NULL: none run here */
	loaded_model *models;
	endpoint_slot *slots;
};

serving_registry *serving_registry_new(int64_t max_pixels)
{
	serving_registry *g = calloc(1, sizeof *g);
	if (!g)
		return NULL;
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->loaded, NULL);
	g->max_pixels = max_pixels;
	return g;
}

void serving_registry_set_langid_dir(serving_registry *g, const char *dir)
{
	snprintf(g->langid_dir, sizeof g->langid_dir, "%s", dir ? dir : "");
}

void serving_registry_set_servers(serving_registry *g, model_servers *servers)
{
	g->servers = servers;
}

json_t *serving_server_status(serving_registry *g, const json_t *target)
{
	char key[160];
	if (!g->servers || !endpoint_target_is_server(target))
		return NULL;
	endpoint_target_key(target, key, sizeof key);
	return model_servers_status(g->servers, key);
}

void serving_registry_free(serving_registry *g)
{
	if (!g)
		return;
	while (g->slots) {
		endpoint_slot *s = g->slots;
		g->slots = s->next;
		serving_release(s->d);
		free(s);
	}
	pthread_cond_destroy(&g->loaded);
	pthread_mutex_destroy(&g->lock);
	free(g);
}

/* ---- models ---- */

/* The language-id service: lid.176.ftz in the folder scripts/fetch-langid.sh fills. */
static int langid_open(serving_registry *g, const ml_runtime **rt, ml_model **m, cl_error *err)
{
	char path[1100];
	snprintf(path, sizeof path, "%s/model.json", g->langid_dir);
	if (!g->langid_dir[0] || access(path, R_OK))
		return cl_fail(err, CL_EINVAL, "target_unavailable",
			       "the langid model is not installed (scripts/fetch-langid.sh %s)",
			       g->langid_dir[0] ? g->langid_dir : "DATA/models/langid");
	*rt = &ml_runtime_langid_fasttext;
	return (*rt)->load(g->langid_dir, m, err);
}

/* A custom model server behind the runtime table: its "model" is the managed server. */
static int server_predict(ml_model *m, const json_t *input, json_t **out, cl_error *err)
{
	return model_servers_infer((managed_server *)m, input, out, err);
}

static void server_free(ml_model *m)
{
	model_servers_close((managed_server *)m);
}

static const ml_runtime server_runtime = {"model_server", NULL, server_predict, server_free, false};

static int server_open(serving_registry *g, const json_t *target, const ml_runtime **rt,
		       ml_model **m, cl_error *err)
{
	char key[160];
	if (!g->servers)
		return cl_fail(err, CL_EINVAL, "target_unavailable",
			       "this server runs no custom model servers");
	endpoint_target_key(target, key, sizeof key);
	*rt = &server_runtime;
	return model_servers_open(g->servers, key, target, (managed_server **)m, err);
}

static int model_open(serving_registry *g, const json_t *target, const ml_runtime **rt,
		      ml_model **m, cl_error *err)
{
	const char *service = json_string_value(json_object_get(target, "service"));
	if (endpoint_target_is_server(target))
		return server_open(g, target, rt, m, err);
	if (service && !strcmp(service, "langid"))
		return langid_open(g, rt, m, err);
	if (service) {
		ocr_options o;
		ocr_options_default(&o);
		snprintf(o.languages, sizeof o.languages, "%s",
			 json_string_value(
			     json_object_get(json_object_get(target, "options"), "languages")));
		if (g->max_pixels > 0)
			o.max_pixels = g->max_pixels;
		*rt = &ml_runtime_ocr_tesseract;
		return ocr_tesseract_open(&o, m, err);
	}
	*rt = ml_runtime_find(json_string_value(json_object_get(target, "runtime")));
	if (!*rt)
		return cl_fail(err, CL_EINVAL, NULL, "the target names no model runtime");
	return (*rt)->load(json_string_value(json_object_get(target, "model_dir")), m, err);
}

static loaded_model *model_find(serving_registry *g, const char *key)
{
	for (loaded_model *m = g->models; m; m = m->next)
		if (!strcmp(m->key, key))
			return m;
	return NULL;
}

/* The loaded model of a target, loading it when no deployment holds it. */
static int model_ref(serving_registry *g, const json_t *target, loaded_model **out, cl_error *err)
{
	char key[160];
	endpoint_target_key(target, key, sizeof key);
	pthread_mutex_lock(&g->lock);
	loaded_model *m = model_find(g, key);
	if (m)
		m->refs++;
	pthread_mutex_unlock(&g->lock);
	if ((*out = m))
		return 0;
	loaded_model *fresh = calloc(1, sizeof *fresh);
	if (!fresh)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	snprintf(fresh->key, sizeof fresh->key, "%s", key);
	int rc = model_open(g, target, &fresh->rt, &fresh->model, err);
	if (rc) {
		free(fresh);
		return rc;
	}
	pthread_mutex_lock(&g->lock);
	/* Another request may have loaded the same model meanwhile: one copy stays. */
	m = model_find(g, key);
	if (m) {
		m->refs++;
	} else {
		m = fresh;
		m->refs = 1;
		m->next = g->models;
		g->models = m;
		fresh = NULL;
	}
	pthread_mutex_unlock(&g->lock);
	if (fresh) {
		fresh->rt->free(fresh->model);
		free(fresh);
	}
	*out = m;
	return 0;
}

static void model_unref(serving_registry *g, loaded_model *m)
{
	if (!m)
		return;
	pthread_mutex_lock(&g->lock);
	bool last = --m->refs == 0;
	if (last)
		for (loaded_model **p = &g->models; *p; p = &(*p)->next)
			if (*p == m) {
				*p = m->next;
				break;
			}
	pthread_mutex_unlock(&g->lock);
	if (last) {
		m->rt->free(m->model);
		free(m);
	}
}

/* ---- deployments ---- */

int serving_load(serving_registry *g, const json_t *targets, const json_t *shadow,
		 serving_deployment **out, cl_error *err)
{
	serving_deployment *d = calloc(1, sizeof *d);
	if (!d)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	d->g = g;
	atomic_init(&d->refs, 1);
	int rc = 0;
	for (size_t i = 0; !rc && i < json_array_size(targets) && i < ENDPOINT_MAX_TARGETS; i++) {
		const json_t *t = json_array_get(targets, i);
		rc = model_ref(g, t, &d->targets[i].m, err);
		d->targets[i].weight = (int)json_integer_value(json_object_get(t, "weight"));
		d->n += !rc;
	}
	if (!rc && shadow && !json_is_null(shadow))
		rc = model_ref(g, shadow, &d->shadow, err);
	if (rc) {
		serving_release(d);
		d = NULL;
	}
	*out = d;
	return rc;
}

void serving_release(serving_deployment *d)
{
	if (!d || atomic_fetch_sub(&d->refs, 1) != 1)
		return;
	for (int i = 0; i < d->n; i++)
		model_unref(d->g, d->targets[i].m);
	model_unref(d->g, d->shadow);
	free(d);
}

static endpoint_slot *slot_find(serving_registry *g, int64_t endpoint_id)
{
	for (endpoint_slot *s = g->slots; s; s = s->next)
		if (s->endpoint_id == endpoint_id)
			return s;
	return NULL;
}

/* The endpoint's slot, made when missing; NULL without memory. Under the lock. */
static endpoint_slot *slot_get(serving_registry *g, int64_t endpoint_id)
{
	endpoint_slot *s = slot_find(g, endpoint_id);
	if (!s && (s = calloc(1, sizeof *s))) {
		s->endpoint_id = endpoint_id;
		s->next = g->slots;
		g->slots = s;
	}
	return s;
}

void serving_install(serving_registry *g, int64_t endpoint_id, int64_t revision,
		     serving_deployment *d)
{
	serving_deployment *old = NULL;
	pthread_mutex_lock(&g->lock);
	endpoint_slot *s = slot_get(g, endpoint_id);
	if (s && (!s->d || s->revision < revision)) {
		old = s->d;
		s->d = d;
		s->revision = revision;
		d = NULL;
	}
	if (s && s->loading <= revision)
		s->loading = 0;
	pthread_cond_broadcast(&g->loaded);
	pthread_mutex_unlock(&g->lock);
	serving_release(old);
	serving_release(d);
}

/* The installed deployment if it serves (a reference), else NULL; *load says whether this
 * caller is the one to load `revision`. With nothing installed yet, the requests that come while
 * one loads wait for it rather than load the same models again. */
static serving_deployment *installed(serving_registry *g, int64_t endpoint_id, int64_t revision,
				     bool *load)
{
	serving_deployment *d = NULL;
	pthread_mutex_lock(&g->lock);
	endpoint_slot *s;
	/* The slot is looked up again after each wait: a deleted endpoint's slot is freed. */
	while ((s = slot_get(g, endpoint_id)) && !s->d && s->loading >= revision)
		pthread_cond_wait(&g->loaded, &g->lock);
	*load = true;
	if (s && s->d && (s->revision >= revision || s->loading >= revision)) {
		d = s->d;
		*load = false;
	} else if (s) {
		/* Stale or missing: this request loads it, the others keep the old one or wait. */
		s->loading = revision;
		d = s->d;
	}
	if (d)
		atomic_fetch_add(&d->refs, 1);
	pthread_mutex_unlock(&g->lock);
	return d;
}

/* A load that failed: the next request tries again. */
static void loading_failed(serving_registry *g, int64_t endpoint_id, int64_t revision)
{
	pthread_mutex_lock(&g->lock);
	endpoint_slot *s = slot_find(g, endpoint_id);
	if (s && s->loading == revision)
		s->loading = 0;
	pthread_cond_broadcast(&g->loaded);
	pthread_mutex_unlock(&g->lock);
}

int serving_acquire(serving_registry *g, int64_t endpoint_id, int64_t revision,
		    const json_t *targets, const json_t *shadow, serving_deployment **out,
		    cl_error *err)
{
	bool load;
	serving_deployment *old = installed(g, endpoint_id, revision, &load);
	if (!load) {
		*out = old;
		return 0;
	}
	serving_deployment *d = NULL;
	int rc = serving_load(g, targets, shadow, &d, err);
	if (rc) {
		/* The old deployment answers until the new one loads. */
		loading_failed(g, endpoint_id, revision);
		*out = old;
		return old ? 0 : rc;
	}
	serving_release(old);
	atomic_fetch_add(&d->refs, 1);
	serving_install(g, endpoint_id, revision, d);
	*out = d;
	return 0;
}

serving_deployment *serving_loaded(serving_registry *g, int64_t endpoint_id, int64_t revision)
{
	serving_deployment *d = NULL;
	pthread_mutex_lock(&g->lock);
	endpoint_slot *s = slot_find(g, endpoint_id);
	if (s && s->d && (s->revision >= revision || s->loading >= revision)) {
		d = s->d;
		atomic_fetch_add(&d->refs, 1);
	}
	pthread_mutex_unlock(&g->lock);
	return d;
}

bool serving_quick(const serving_deployment *d)
{
	for (int i = 0; i < d->n; i++)
		if (!d->targets[i].m->rt->quick)
			return false;
	return true;
}

void serving_forget(serving_registry *g, int64_t endpoint_id)
{
	serving_deployment *old = NULL;
	pthread_mutex_lock(&g->lock);
	for (endpoint_slot **p = &g->slots; *p; p = &(*p)->next)
		if ((*p)->endpoint_id == endpoint_id) {
			endpoint_slot *s = *p;
			*p = s->next;
			old = s->d;
			free(s);
			break;
		}
	pthread_cond_broadcast(&g->loaded);
	pthread_mutex_unlock(&g->lock);
	serving_release(old);
}

/* Calls `fn` on each of the deployment's custom model servers until one answers false. */
static bool servers_all(serving_deployment *d, bool (*fn)(managed_server *s))
{
	bool ok = true;
	for (int i = 0; ok && i < d->n; i++)
		if (d->targets[i].m->rt == &server_runtime)
			ok = fn((managed_server *)d->targets[i].m->model);
	if (ok && d->shadow && d->shadow->rt == &server_runtime)
		ok = fn((managed_server *)d->shadow->model);
	return ok;
}

bool serving_ready(serving_deployment *d)
{
	return servers_all(d, model_servers_ready);
}

int serving_wait_ready(serving_deployment *d, cl_error *err)
{
	if (servers_all(d, model_servers_wait_ready))
		return 0;
	return cl_fail(err, CL_EUNAVAIL, "model_not_ready",
		       "a model server of the new targets did not become ready in its "
		       "ready_timeout_s; the endpoint is unchanged");
}

/* ---- answering ---- */

static void answer(loaded_model *m, const json_t *input, serving_answer *a)
{
	memset(a, 0, sizeof *a);
	snprintf(a->target, sizeof a->target, "%s", m->key);
	int64_t t0 = clock_mono_ns();
	a->rc = m->rt->predict(m->model, input, &a->output, &a->err);
	a->latency_us = (clock_mono_ns() - t0) / 1000;
}

int serving_draw(const serving_deployment *d, unsigned draw)
{
	int i = 0;
	for (int acc = 0; i < d->n - 1; i++) {
		acc += d->targets[i].weight;
		if ((int)draw < acc)
			break;
	}
	return i;
}

int serving_production(const serving_deployment *d)
{
	int best = 0;
	for (int i = 1; i < d->n; i++)
		if (d->targets[i].weight > d->targets[best].weight)
			best = i;
	return best;
}

int serving_target_count(const serving_deployment *d)
{
	return d->n;
}

bool serving_has_shadow(const serving_deployment *d)
{
	return d->shadow != NULL;
}

void serving_retain(serving_deployment *d)
{
	atomic_fetch_add(&d->refs, 1);
}

void serving_answer_target(serving_deployment *d, int i, const json_t *input, serving_answer *a)
{
	answer(d->targets[i < 0 || i >= d->n ? 0 : i].m, input, a);
}

int serving_answer_shadow(serving_deployment *d, const json_t *input, serving_answer *a)
{
	if (!d->shadow) {
		memset(a, 0, sizeof *a);
		return CL_ENOTFOUND;
	}
	answer(d->shadow, input, a);
	return a->rc;
}

int serving_predict(serving_deployment *d, const json_t *input, unsigned draw,
		    serving_answer *primary)
{
	answer(d->targets[serving_draw(d, draw)].m, input, primary);
	return primary->rc;
}

/* ---- figures ---- */

const double serving_bucket_bounds[SERVING_BUCKETS] = {0.005, 0.01, 0.025, 0.05, 0.1,
						       0.25,  0.5,  1,	   2.5,	 10};

void serving_observe(serving_registry *g, int64_t endpoint_id, int rc, int64_t latency_us)
{
	double s = (double)latency_us / 1e6;
	pthread_mutex_lock(&g->lock);
	endpoint_slot *slot = slot_get(g, endpoint_id);
	if (slot) {
		slot->stats.requests++;
		slot->stats.errors += rc != 0;
		slot->stats.seconds += s;
		for (int i = 0; i < SERVING_BUCKETS; i++)
			slot->stats.buckets[i] += s <= serving_bucket_bounds[i];
	}
	pthread_mutex_unlock(&g->lock);
}

void serving_stats_of(serving_registry *g, int64_t endpoint_id, serving_stats *out)
{
	*out = (serving_stats){0};
	pthread_mutex_lock(&g->lock);
	for (endpoint_slot *s = g->slots; s; s = s->next)
		if (s->endpoint_id == endpoint_id)
			*out = s->stats;
	pthread_mutex_unlock(&g->lock);
}

void serving_stats_each(serving_registry *g,
			void (*fn)(void *ctx, int64_t endpoint_id, const serving_stats *st),
			void *ctx)
{
	/* Copied under the lock, reported outside it. */
	pthread_mutex_lock(&g->lock);
	size_t n = 0;
	for (endpoint_slot *s = g->slots; s; s = s->next)
		n += s->stats.requests > 0;
	struct {
		int64_t id;
		serving_stats st;
	} *copy = n ? calloc(n, sizeof *copy) : NULL;
	size_t i = 0;
	for (endpoint_slot *s = g->slots; copy && s; s = s->next)
		if (s->stats.requests)
			copy[i].id = s->endpoint_id, copy[i++].st = s->stats;
	pthread_mutex_unlock(&g->lock);
	for (size_t j = 0; j < i; j++)
		fn(ctx, copy[j].id, &copy[j].st);
	free(copy);
}

/* ---- key rate limits: a token bucket per key ---- */

#define LIMITER_BUCKETS 1024

typedef struct bucket {
	int64_t key_id;
	double tokens;
	int64_t at_ms;
	struct bucket *next;
} bucket;

struct serving_limiter {
	pthread_mutex_t lock;
	bucket *heads[LIMITER_BUCKETS];
};

serving_limiter *serving_limiter_new(void)
{
	serving_limiter *l = calloc(1, sizeof *l);
	if (l)
		pthread_mutex_init(&l->lock, NULL);
	return l;
}

void serving_limiter_free(serving_limiter *l)
{
	if (!l)
		return;
	for (int i = 0; i < LIMITER_BUCKETS; i++)
		while (l->heads[i]) {
			bucket *b = l->heads[i];
			l->heads[i] = b->next;
			free(b);
		}
	pthread_mutex_destroy(&l->lock);
	free(l);
}

static bucket *bucket_of(serving_limiter *l, int64_t key_id, double burst, int64_t now_ms)
{
	bucket **head = &l->heads[(uint64_t)key_id % LIMITER_BUCKETS];
	for (bucket *b = *head; b; b = b->next)
		if (b->key_id == key_id)
			return b;
	bucket *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	*b = (bucket){key_id, burst, now_ms, *head};
	*head = b;
	return b;
}

int64_t serving_limiter_take(serving_limiter *l, int64_t key_id, double rate, int64_t now_ms)
{
	double burst = rate < 1 ? 1 : rate;
	int64_t wait = 0;
	pthread_mutex_lock(&l->lock);
	bucket *b = bucket_of(l, key_id, burst, now_ms);
	if (b) {
		b->tokens += (double)(now_ms - b->at_ms) * rate / 1000.0;
		if (b->tokens > burst)
			b->tokens = burst;
		b->at_ms = now_ms;
		if (b->tokens >= 1)
			b->tokens -= 1;
		else
			wait = (int64_t)((1 - b->tokens) * 1000.0 / rate) + 1;
	}
	pthread_mutex_unlock(&l->lock);
	return wait;
}
