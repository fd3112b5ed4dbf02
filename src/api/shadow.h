/* The shadow off the request path (api/shadow.c): a prediction whose endpoint has a shadow
 * target queues the shadow's answer on the server's shadow queue (util/work_queue.h), whose
 * thread answers and logs it (a prediction with "shadow": true). The request never waits for
 * it and never returns it; when the queue is full the shadow's answer is dropped and counted
 * (crowdloop_shadow_dropped_total in /metrics). */
#ifndef CROWDLOOP_API_SHADOW_H
#define CROWDLOOP_API_SHADOW_H

#include "api/api.h"
#include "core/serving.h"
#include "store/store_endpoints.h"

/* Shadow answers waiting at most, and the bytes of their inputs together: past either they
 * are dropped, so a burst of large images cannot hold the server's memory. */
#define SHADOW_QUEUE_MAX 256
#define SHADOW_QUEUE_MAX_BYTES (64u << 20)

/* The server's shadow queue, its thread started; NULL on failure. */
struct work_queue *shadow_queue_new(app *a);

/* Queues the shadow's answer to `input` (borrowed) for deployment `d` (a reference is taken),
 * logged like `primary` (its endpoint, key, request id, input digest). False when dropped. */
bool shadow_queue_push(app *a, serving_deployment *d, const json_t *input,
		       const prediction_record *primary);

#endif
