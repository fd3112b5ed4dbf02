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
/* A request ended: the next header's deadline runs from now. NULL does nothing. */
void deadline_request_done(conn_watch *c);
/* Starts the watcher, which closes connections whose header takes over `seconds`; 0 or -1. */
int deadline_start(header_watch *w, int seconds);
/* Stops the watcher (records are freed as MHD closes their connections). */
void deadline_stop(header_watch *w);

#endif
