/* The HTTP edge: libmicrohttpd with an epoll thread pool for I/O and a pool of handler threads
 * that run route handlers (which may block on the store), a route table checked centrally for
 * authentication, access and body limits, and the helpers handlers answer with. */
#ifndef CROWDLOOP_HTTP_HTTP_H
#define CROWDLOOP_HTTP_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json_fields.h"
#include "util/json_read.h"

#define HTTP_JSON_MAX_BYTES (1u << 20)      /* 1 MiB */
#define HTTP_UPLOAD_MAX_BYTES (256u << 20)  /* 256 MiB */
/* A ROUTE_LARGE_BODY route's body: an image of 32 MiB, as base64 in JSON. */
#define HTTP_LARGE_BODY_MAX_BYTES (48u << 20)
#define HTTP_JSON_MAX_DEPTH JSON_READ_MAX_DEPTH /* one limit for every JSON read */
#define HTTP_MAX_QUERY 16
/* A request's target (path and query) and its header fields together: over them the server
 * answers 414 and 431 itself, in JSON, before anything reads them. MHD's per-connection pool
 * (server.c) holds more, so that these limits, not MHD's, are met first. What real clients need:
 * a 4 KiB target is common, and nginx's default holds a header line to 8 KiB. */
#define HTTP_URI_MAX (4 * 1024)
#define HTTP_HEADERS_MAX (8 * 1024)
#define HTTP_HEADER_FIELDS_MAX 100 /* header fields, however short */
#define HTTP_NAME_MAX 64 /* a {name} path segment's bytes, with its NUL */
#define HTTP_REMOTE_MAX 64 /* a client address as text, with its NUL */
#define HTTP_MAX_CONNECTIONS 4096
#define HTTP_PER_ADDRESS_DEFAULT 128 /* connections per client address */
#define HTTP_HEADER_TIMEOUT_DEFAULT 30 /* seconds for a request's whole header */

typedef struct http_request http_request;
typedef int (*http_handler)(http_request *r);

enum route_flags {
	ROUTE_PUBLIC = 1 << 0,	      /* no authentication */
	ROUTE_UPLOAD = 1 << 2,	      /* body up to HTTP_UPLOAD_MAX_BYTES, multipart parsed */
	ROUTE_INLINE = 1 << 3,	      /* cheap and non-blocking: runs on the I/O thread */
	ROUTE_OPTIONAL_AUTH = 1 << 4, /* authenticates when credentials come, else anonymous */
	ROUTE_ASYNC = 1 << 6,	      /* runs on the I/O thread and never blocks: work it waits for
				       * ends through http_defer/http_wake */
	ROUTE_MLFLOW = 1 << 7,	      /* errors in MLflow's shape: {"error_code", "message"} */
	ROUTE_OIP = 1 << 8,	      /* errors in the Open Inference Protocol's: {"error": "..."} */
	ROUTE_LARGE_BODY = 1 << 9,    /* a body whose Content-Length is over HTTP_JSON_MAX_BYTES,
				       * up to HTTP_LARGE_BODY_MAX_BYTES, goes to a spool as an
				       * upload's (http_body reads either) */
};

typedef struct route {
	const char *method;
	const char *pattern; /* "/api/v1/tasks/{id}/submit": each {..} is a decimal id, but
			      * {name}: 1-63 of [A-Za-z0-9._-] (one per route) */
	http_handler handler;
	/* What the path's first id names and the access the route needs, in the application's
	 * terms: http only hands them to http_config.authorize, which runs before the handler. */
	int object;
	unsigned access;
	unsigned flags;
	const char *summary; /* one line for the OpenAPI document */
	/* The query parameters it takes (NULL-ended), which the OpenAPI document lists and
	 * http_query_check(r, NULL) allows; the handler checks them after its access checks, so
	 * another tenant's object answers 404 whatever the query. NULL: none, refused at once. */
	const char *const *query;
	/* The fields of its JSON body (ended by a NULL name), which the OpenAPI document describes
	 * and http_body_json checks (required ones except on a PATCH). NULL: no JSON body. */
	const json_field *body;
	/* The status and schema of its answer in the OpenAPI document: "200 Task", or "200 Task[]"
	 * for a page of them (components.schemas, api/openapi_schemas.c). NULL: not described. */
	const char *answer;
} route;

/* An upload's bytes, written to an unnamed 0600 file in the spool directory as they arrive
 * and mapped read-only once the body is complete (spool.c). */
typedef struct http_spool {
	int fd;		  /* -1 until the first byte */
	size_t len, max;
	const char *data; /* the mapping, NUL-terminated, once complete; NULL when empty */
} http_spool;

/* One uploaded file of a multipart body. */
typedef struct http_file {
	char *field;
	char *filename;     /* as sent; never used as a path */
	char *content_type;
	http_spool data;
	struct http_file *next;
} http_file;

struct http_request {
	struct MHD_Connection *conn;
	const route *route;
	int route_index;          /* -1 when no route matched */
	const char *method;       /* borrowed from MHD for the request's life */
	char path[1024];	  /* a longer path is refused (414) */
	int64_t ids[2];
	int n_ids;
	char name[HTTP_NAME_MAX]; /* the route's {name} segment, "" when it has none */
	char *authorization;      /* copied headers, owned */
	char *session_cookie;
	char *csrf_header;
	char *content_type;
	char *content_encoding;
	char *content_disposition;
	char remote[HTTP_REMOTE_MAX];
	struct {
		char *key, *value;
	} query[HTTP_MAX_QUERY];
	int n_query;
	bool query_overflow;
	buf body;		  /* the body of a route without ROUTE_UPLOAD (read it with http_body) */
	http_spool upload;	  /* the body of a ROUTE_UPLOAD route that is not multipart, or a
				   * large one of a ROUTE_LARGE_BODY route */
	size_t body_read;	  /* bytes of the body read so far, whatever holds them */
	http_file *files, *files_tail;
	struct MHD_PostProcessor *pp;
	size_t body_limit;
	int early_error;          /* found while reading the body (CL_ETOOBIG) */
	bool head_refused;        /* target or header fields over their limits (early_error) */

	principal user;           /* valid when authed */
	bool authed;
	bool via_cookie;

	struct MHD_Response *response;
	int status;
	cl_error err;
	json_t *err_detail;       /* extra members of the error object, owned; NULL when none */
	int phase;                /* private to server.c */
	bool queued;              /* private to server.c */
	bool admitted;		  /* private to server.c: authenticated and authorized */
	bool held;		  /* private to server.c: counted in the server's suspended */
	struct conn_watch *watch; /* private to server.c: its connection's header deadline */
	http_handler finish;      /* set by http_defer */
	http_handler pooled;	  /* set by http_pool: what the handler pool runs instead */
	void *defer_ctx;
	void (*defer_free)(void *ctx);
	int wake_rc;
	_Atomic bool woken;
	int64_t start_ns;
	void *app;                /* the application context from http_server_start */
	void *scope;		  /* what http_config.authorize loaded for the handler, or NULL;
				   * http_config.release frees it when the request ends */
	const struct http_server *server;
};

/* ---- work that ends on another thread (server.c) ---- */

/* What a ROUTE_ASYNC handler returns after http_defer. */
#define HTTP_DEFERRED 1
/* For a ROUTE_ASYNC handler about to start work that ends on another thread: holds the
 * connection's answer back. The handler then starts the work and returns HTTP_DEFERRED; when
 * starting fails, it calls http_wake itself. `ctx` is freed with `free_ctx` (may be NULL) when
 * the request ends. */
void http_defer(http_request *r, http_handler finish, void *ctx, void (*free_ctx)(void *ctx));
/* From any thread once the work is done (`rc` is kept in r->wake_rc): finish(r) then runs on
 * an I/O thread, and its result answers the request as a handler's would. */
void http_wake(void *r, int rc);
/* For a ROUTE_ASYNC handler that finds its work may block after all (a slow model, a large
 * body): the request goes to the handler pool, where `handler` runs instead of the route's
 * handler, as a pooled route's would. Returns HTTP_DEFERRED for the handler to return; without
 * a pool, runs `handler` here and returns its result. */
int http_pool(http_request *r, http_handler handler);
/* For a streamed answer's content reader that has nothing to send yet: suspends r's connection
 * for `ms` milliseconds, after which MHD calls the reader again; the reader returns 0. No I/O
 * thread waits meanwhile. CL_EUNAVAIL when the server is stopping: end the stream. */
int http_stream_wait(http_request *r, int ms);

/* ---- answering (response.c) ---- */

/* Answers `body` (stolen) as JSON with `status`. */
void http_json(http_request *r, int status, json_t *body);
/* Answers JSON text already written into `body`, whose bytes it takes (the buffer is left
 * empty). */
void http_json_text(http_request *r, int status, buf *body);
/* Answers a list page: {"items": items (stolen), "next_cursor": *next, or null when next is
 * NULL or 0}. A pointer, so a call may fill *next in its own arguments: it is read here, after
 * they were all evaluated. NULL items (the store failed) answer 500. */
void http_json_page(http_request *r, json_t *items, const int64_t *next);
/* Answers raw bytes (copied) with a content type. */
void http_bytes(http_request *r, int status, const char *content_type, const void *data,
		size_t len);
/* 204 No Content. */
void http_no_content(http_request *r);
/* Fills r->err and returns `code`, for `return http_fail(r, CL_ENOTFOUND, NULL, "...")`. */
int http_fail(http_request *r, int code, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Turns r->err (or `code` alone) into the JSON error answer, in the route's shape: this API's
 * {"error":{"code","message"}}, MLflow's or the Open Inference Protocol's. */
void http_error_reply(http_request *r, int code);
/* The error body of `code` in r's route's shape (new), `message` in it. */
json_t *http_error_body(const http_request *r, int code, const char *name, const char *message);
/* Adds a header to the answer already set. */
void http_header(http_request *r, const char *name, const char *value);

/* ---- reading (request.c) ---- */

/* The body of a route without ROUTE_UPLOAD, wherever it is held (its buffer, or a large one's
 * spool): its bytes (NUL-terminated; NULL when empty), their number in *len. */
const char *http_body(const http_request *r, size_t *len);
/* The query value for key, or NULL. */
const char *http_query(const http_request *r, const char *key);
/* 400 naming the first query key not in `allowed` (NULL-terminated; NULL: the route's). */
int http_query_check(http_request *r, const char *const *allowed);
/* The query of a list route: 400 naming the first key not in `allowed` (http_query_check),
 * then limit (1-500, default 50), cursor (an id) and sort (`id`/`-id`). */
int http_page(http_request *r, const char *const *allowed, int64_t *cursor, int *limit,
	      bool *desc);
/* An integer query value (0 when absent); 400 when not a positive integer. */
int http_query_id(http_request *r, const char *key, int64_t *out);
/* Parses the body as a JSON object (Content-Type must be JSON, depth <= 32) and checks it against
 * the route's declared fields (route.body); new reference. */
int http_body_json(http_request *r, json_t **out);
/* The value of a request header (looked up on the connection; valid during the request). */
const char *http_header_value(const http_request *r, const char *name);

/* ---- upload spools (spool.c) ---- */

/* An empty spool that takes up to `max` bytes. */
void http_spool_init(http_spool *sp, size_t max);
/* Appends to the spool's file (made in `dir` on the first byte): 0, CL_ETOOBIG past its max,
 * CL_EUNAVAIL when the disk is full, CL_EINTERNAL. */
int http_spool_append(http_spool *sp, const char *dir, const void *data, size_t n);
/* Maps what was written, for reading through sp->data: 0 or an error. */
int http_spool_finish(http_spool *sp);
/* Unmaps and closes; the file goes with its descriptor. */
void http_spool_release(http_spool *sp);

/* ---- the server (server.c) ---- */

typedef struct http_config {
	const char *listen;       /* "127.0.0.1:8080" */
	int io_threads;           /* MHD thread pool size; 0: the number of cores */
	int handler_threads;      /* blocking handler pool; 0: 8 per core; -1: none, handlers
	                           * run on the I/O threads (then size io_threads for it) */
	int max_per_address;      /* connections one client address may hold; 0: the default
	                           * (HTTP_PER_ADDRESS_DEFAULT), -1: no limit */
	int header_timeout_s;     /* seconds a request's whole header may take; 0: the default
	                           * (HTTP_HEADER_TIMEOUT_DEFAULT) */
	const route *routes;
	size_t n_routes;
	/* Fills r->user from credentials; returns 0, or CL_EUNAUTH. Runs before ROUTE handlers. */
	int (*authenticate)(http_request *r);
	/* Checks the caller's access to what the route names (route.object, route.access) after
	 * authentication and before the handler, and may leave what it loaded in r->scope.
	 * Returns 0, or the error to answer (401, 403, 404). */
	int (*authorize)(http_request *r);
	/* TLS: the certificate chain and the private key, PEM text (borrowed until start returns);
	 * NULL: plain HTTP. With TLS every answer carries Strict-Transport-Security. */
	const char *tls_cert_pem, *tls_key_pem;
	/* Where uploads are spooled (the data directory's uploads/, 0700); NULL: /tmp. */
	const char *spool_dir;
	/* Told (with `app`) when a spool met a full disk, which is the store's disk; may be NULL. */
	void (*disk_full)(void *app);
	/* Frees r->scope when a request that has one ends. */
	void (*release)(http_request *r);
	/* Answers a GET that matched no route (static files); 0 when it answered. */
	int (*fallback)(http_request *r);
	void *app;
} http_config;

typedef struct http_server http_server;

/* The threads a server started with `cfg` runs requests on (I/O and handlers). */
int http_config_threads(const http_config *cfg);
/* Starts listening; *out owns the daemon and the pools. */
int http_server_start(const http_config *cfg, http_server **out, cl_error *err);
/* The port actually bound (useful with port 0). */
int http_server_port(const http_server *s);
/* Stops accepting, waits up to `grace_ms` for requests in flight, then stops everything. */
void http_server_stop(http_server *s, int grace_ms);

/* ---- metrics (metrics.c) ---- */

/* Appends the Prometheus text of the request counters and latency histograms. */
void http_metrics_render(const http_server *s, buf *out);
/* The server a request belongs to (for the metrics route). */
const http_server *http_request_server(const http_request *r);

#endif
