/* What server.c, response.c and metrics.c share and nobody else sees. */
#ifndef CROWDLOOP_HTTP_INTERNAL_H
#define CROWDLOOP_HTTP_INTERNAL_H

#include "http/http.h"

#include <pthread.h>

#define METRICS_BUCKETS 13
#define METRICS_STATUSES 16

struct queued {
	http_request *r;
	struct queued *next;
};

typedef struct route_metrics {
	uint64_t by_status[METRICS_STATUSES];
	uint64_t buckets[METRICS_BUCKETS]; /* cumulative counts are made when rendering */
	uint64_t count;
	uint64_t sum_us;
} route_metrics;

struct http_server {
	http_config cfg;
	struct MHD_Daemon *daemon;
	int port;
	bool log_requests;
	pthread_t *pool;
	int n_pool;
	pthread_mutex_t pool_lock;
	pthread_cond_t pool_wake;
	struct queued *queue_head, *queue_tail;
	bool pool_stop;
	int in_flight;
	int suspended;  /* connections waiting on the handler pool */
	bool stopping;  /* new requests answer 503 and close */
	route_metrics *metrics; /* n_routes + 1: the last is "no route" */
};

void metrics_init(http_server *s);
void metrics_release(http_server *s);
void metrics_observe(http_server *s, int route_index, int status, double seconds);

#endif
