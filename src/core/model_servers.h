/* The custom model servers endpoints answer with (a target {"command":[...]}, core/endpoint.h),
 * run as managed processes (jobs/model_server.h) under a supervisor thread: it restarts a server
 * that dies (with backoff), asks a starting one /v2/health/ready until it answers 200 (only a
 * ready server takes traffic: before that, and after its deadline, requests answer 503
 * "model_not_ready"), and stops one that is closed (SIGTERM, SIGKILL after the grace period).
 * Serving (core/serving.c) opens one per loaded target and closes it when the last deployment
 * holding it is released, so in-flight requests have finished: a closed server is drained.
 * Requests reach it through ml/oip_remote.h. No HTTP routes, no SQL. */
#ifndef CROWDLOOP_CORE_MODEL_SERVERS_H
#define CROWDLOOP_CORE_MODEL_SERVERS_H

#include <jansson.h>
#include <stdbool.h>

#include "util/err.h"

typedef struct model_servers model_servers;
typedef struct managed_server managed_server;

/* The supervisor, its servers' folders under `data_dir`/serving; its thread started. NULL with
 * err filled when it cannot start. */
model_servers *model_servers_new(const char *data_dir, cl_error *err);
/* Stops every server (waiting up to their grace period) and the thread, then frees. */
void model_servers_free(model_servers *ms);

/* Starts the server of checked target `target` (borrowed), known by `key`
 * (endpoint_target_key); it takes traffic once ready. CL_EINVAL, CL_ENOMEM. */
int model_servers_open(model_servers *ms, const char *key, const json_t *target,
		       managed_server **out, cl_error *err);
/* Stops it; it is freed once its process is gone. No request may use it after. */
void model_servers_close(managed_server *s);

/* Answers `input` (borrowed) with the server: *out new. CL_EUNAVAIL "model_not_ready" while it
 * is not ready; else as oip_remote_infer. */
int model_servers_infer(managed_server *s, const json_t *input, json_t **out, cl_error *err);

/* Whether it takes traffic now. */
bool model_servers_ready(managed_server *s);
/* Blocks until it is ready (true), or until its readiness deadline has passed or it was
 * stopped (false). */
bool model_servers_wait_ready(managed_server *s);

/* What the endpoint's answer shows of the open server known by `key`: {"state","pid","port",
 * "restarts","log"} (new), or NULL when none is open. */
json_t *model_servers_status(model_servers *ms, const char *key);

#endif
