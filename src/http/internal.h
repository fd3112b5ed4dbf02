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

/* The header deadline (deadline.c): one record per connection, a watcher thread. */
typedef struct conn_watch conn_watch;
typedef struct header_watch {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	conn_watch *head;
	pthread_t thread;
	int64_t limit_ns;
	bool stop, started;
} header_watch;

/* Streamed answers waiting for more (stream_wait.c): their connections, suspended, and when
 * each wait is over; one thread resumes them. */
typedef struct stream_waits {
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct MHD_Connection **conn;
	int64_t *due; /* clock_mono_ns() */
	size_t n;
	int *suspended; /* the server's count of suspended connections */
	bool stop, started;
} stream_waits;

int stream_waits_start(stream_waits *w, int *suspended);
/* Resumes every waiting connection and ends the thread. */
void stream_waits_stop(stream_waits *w);

/* The route table by method and literal start (route_index.c). */
typedef struct route_bucket route_bucket;
typedef struct route_index {
	int *routes; /* the table's indices, grouped by bucket */
	route_bucket *buckets; /* sorted by key */
	size_t n_buckets;
} route_index;

/* 0, or -1 without memory or for a pattern whose literal start is too long to index. */
int route_index_build(route_index *ix, const route *routes, size_t n);
void route_index_release(route_index *ix);

/* The routes a request could match, from up to ROUTE_CANDIDATE_LISTS buckets: the table's
 * indices in ascending order, so the first that matches is the table's first match. */
#define ROUTE_CANDIDATE_LISTS 8
typedef struct route_candidates {
	const int *list[ROUTE_CANDIDATE_LISTS];
	size_t left[ROUTE_CANDIDATE_LISTS];
	int lists;
} route_candidates;

void route_candidates_start(route_candidates *c, const route_index *ix, const char *method,
			    const char *path, bool head);
/* The next candidate's index in the table, -1 after the last. */
int route_candidates_next(route_candidates *c);

struct http_server {
	http_config cfg;
	route_index routes;
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
	header_watch watch;
	bool tls; /* answers carry Strict-Transport-Security */
	stream_waits waits;
};

void metrics_init(http_server *s);
void metrics_release(http_server *s);
void metrics_observe(http_server *s, int route_index, int status, double seconds);

/* MHD's connection notification: makes and removes a connection's record. */
void deadline_on_connection(void *cls, struct MHD_Connection *conn, void **socket_context,
			    enum MHD_ConnectionNotificationCode code);
/* The whole header of a request arrived: no deadline until the request ends. The record, or
 * NULL when there is none. */
conn_watch *deadline_header_read(struct MHD_Connection *conn);
/* The record's peer address, as peer_text made it when the connection started. */
const char *deadline_remote(const conn_watch *c);
/* The connection's peer address as the log and the login throttle name it ("?" unknown). */
void peer_text(struct MHD_Connection *conn, char out[HTTP_REMOTE_MAX]);
/* A request ended: the next header's deadline runs from now. NULL does nothing. */
void deadline_request_done(conn_watch *c);
/* Starts the watcher, which closes connections whose header takes over `seconds`; 0 or -1. */
int deadline_start(header_watch *w, int seconds);
/* Stops the watcher (records are freed as MHD closes their connections). */
void deadline_stop(header_watch *w);

#endif
