/* In-process serving (serving.c): the models endpoints answer with, loaded once and shared by
 * every handler thread, and the rate limit of endpoint keys. No HTTP, no SQL: the API hands in
 * what the store read (an endpoint's revision and checked targets, core/endpoint.h).
 *
 * A deployment is an endpoint's loaded targets at one revision. Requests hold a reference to
 * the deployment they started with; a new revision is loaded beside the old one and swapped in
 * only once it loaded, and the old one is freed when its last request ends, so no request fails
 * during a switch. Models are shared between deployments (and endpoints) by what identifies
 * them (endpoint_target_key), reference-counted. */
#ifndef CROWDLOOP_CORE_SERVING_H
#define CROWDLOOP_CORE_SERVING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

typedef struct serving_registry serving_registry;
typedef struct serving_deployment serving_deployment;

/* A registry whose OCR models keep images within `max_pixels` (0: the default). NULL without
 * memory. */
serving_registry *serving_registry_new(int64_t max_pixels);
/* Where the langid service finds its model (model.json and lid.176.ftz): the server's
 * DATA/models/langid. Without it, or without the files, a langid target does not load. */
void serving_registry_set_langid_dir(serving_registry *g, const char *dir);
/* The supervisor that runs custom model server targets (core/model_servers.h); without one, such
 * a target does not load. The caller frees it after the registry. */
struct model_servers;
void serving_registry_set_servers(serving_registry *g, struct model_servers *servers);
/* What the endpoint's answer shows of a custom model server target (borrowed): its process
 * (model_servers_status, new), or NULL for another target or none running. */
json_t *serving_server_status(serving_registry *g, const json_t *target);
/* Frees the registry; every deployment must have been released. */
void serving_registry_free(serving_registry *g);

/* Loads a deployment of checked targets and shadow (borrowed; shadow may be NULL), not yet
 * installed: CL_EINVAL naming a target that does not load. */
int serving_load(serving_registry *g, const json_t *targets, const json_t *shadow,
		 serving_deployment **out, cl_error *err);
/* Makes `d` (stolen) endpoint `endpoint_id`'s deployment at `revision`, unless one of that
 * revision or newer is there already (then `d` is released). */
void serving_install(serving_registry *g, int64_t endpoint_id, int64_t revision,
		     serving_deployment *d);
/* The endpoint's deployment for a request that read `revision` with these targets from the
 * store: the installed one when it is that revision or newer, or while another request loads
 * the newer one; else this request loads it and installs it. Release it with
 * serving_release. */
int serving_acquire(serving_registry *g, int64_t endpoint_id, int64_t revision,
		    const json_t *targets, const json_t *shadow, serving_deployment **out,
		    cl_error *err);
void serving_release(serving_deployment *d);
/* serving_acquire's deployment when it is loaded already (a reference), NULL when the request
 * would have to load it or wait for its load: never blocks on a model's loading. */
serving_deployment *serving_loaded(serving_registry *g, int64_t endpoint_id, int64_t revision);
/* Whether every target answers in microseconds without blocking (ml_runtime.quick): then a
 * request's thread that must not block may answer with it. The shadow does not count: it
 * never answers on a request's thread. */
bool serving_quick(const serving_deployment *d);
/* Whether every custom model server of the deployment is ready (true when it has none). */
bool serving_ready(serving_deployment *d);
/* Blocks until every custom model server of a loaded deployment is ready: 0, or CL_EUNAVAIL
 * "model_not_ready" once one passed its ready_timeout_s. A switch waits for it before the swap,
 * so the old targets answer meanwhile. */
int serving_wait_ready(serving_deployment *d, cl_error *err);
/* Drops an endpoint's deployment (a deleted endpoint). */
void serving_forget(serving_registry *g, int64_t endpoint_id);

/* One answer of a target: its output (new reference, NULL on error), its key
 * ("ocr:kor+eng"), and how long it took. */
typedef struct serving_answer {
	json_t *output;
	char target[160];
	int64_t latency_us;
	int rc;
	cl_error err;
} serving_answer;

/* The index of the target the traffic split draws (`draw` in [0, 100): callers pass a random
 * number). */
int serving_draw(const serving_deployment *d, unsigned draw);
/* The production target: the one with the most traffic (the first of equals); the others of a
 * split are canaries. */
int serving_production(const serving_deployment *d);
int serving_target_count(const serving_deployment *d);
bool serving_has_shadow(const serving_deployment *d);
/* Another reference to `d` (a job that outlives the request holds one); release it with
 * serving_release. */
void serving_retain(serving_deployment *d);
/* Answers `input` with target `i`. */
void serving_answer_target(serving_deployment *d, int i, const json_t *input, serving_answer *a);
/* Answers `input` with the shadow; CL_ENOTFOUND (a->target empty) when there is none. The
 * shadow never answers on a request's own thread (api/shadow.c queues it). */
int serving_answer_shadow(serving_deployment *d, const json_t *input, serving_answer *a);
/* Answers `input` with the target the traffic split draws. Returns the answer's result. */
int serving_predict(serving_deployment *d, const json_t *input, unsigned draw,
		    serving_answer *primary);

/* ---- per-endpoint figures for /metrics ---- */

#define SERVING_BUCKETS 10
/* The upper bounds, in seconds, of the latency histogram's buckets. */
extern const double serving_bucket_bounds[SERVING_BUCKETS];

typedef struct serving_stats {
	uint64_t requests, errors;
	uint64_t buckets[SERVING_BUCKETS]; /* cumulative: answers within each bound */
	double seconds;			   /* the sum of latencies */
} serving_stats;

/* Counts one answer of endpoint `endpoint_id` (an error when rc is not 0). */
void serving_observe(serving_registry *g, int64_t endpoint_id, int rc, int64_t latency_us);
/* Endpoint `endpoint_id`'s figures since the server started into *out (zeros when it has had
 * no request). */
void serving_stats_of(serving_registry *g, int64_t endpoint_id, serving_stats *out);
/* Calls fn for every endpoint this server answered for, with a copy of its figures. */
void serving_stats_each(serving_registry *g,
			void (*fn)(void *ctx, int64_t endpoint_id, const serving_stats *st),
			void *ctx);

/* ---- key rate limits ---- */

typedef struct serving_limiter serving_limiter;
serving_limiter *serving_limiter_new(void);
void serving_limiter_free(serving_limiter *l);
/* Takes one request from key `key_id`'s bucket (`rate` a second, a burst of max(1, rate)):
 * 0 when allowed, else the milliseconds until a request would be. */
int64_t serving_limiter_take(serving_limiter *l, int64_t key_id, double rate, int64_t now_ms);

#endif
