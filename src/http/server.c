/* libmicrohttpd glue: reads each request (headers, query, body with limits, multipart parts),
 * matches the route, then either runs the handler on the I/O thread (ROUTE_INLINE, and
 * ROUTE_ASYNC, whose handler may suspend the connection until work on another thread is done:
 * http_defer/http_wake, or hand the request to the pool after all: http_pool) or suspends the
 * connection and hands the request to the handler pool, whose threads may block on the store's
 * group commit; the finished request resumes its connection and MHD sends the answer. The
 * first call for a request only sets *req_cls, which keeps connections alive. */
#include "http/http.h"
#include "http/internal.h"
#include "util/clock.h"
#include "util/log.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* MHD's per-connection pool: request line, headers and read buffer (bodies stream through it).
 * MHD answers a request line or header that does not fit with its own HTML 414 or 431, so the
 * pool holds more than the server's limits (HTTP_URI_MAX, HTTP_HEADERS_MAX, and MHD's own
 * bookkeeping of each header) and the server meets them first, in JSON (test_framing.py sends
 * each at and over them). Each KiB of pool is a KiB resident per kept-alive connection
 * (docs/SECURITY.md); MHD 0.9.75 would also zero a KiB and a half of it per request, which the
 * server's own pool functions skip (mhd_pool.c). */
#define CONNECTION_MEMORY (16 * 1024)

enum phase { PHASE_READING, PHASE_RUNNING, PHASE_DONE };

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* A {name} segment: 1 to HTTP_NAME_MAX - 1 of [A-Za-z0-9._-], copied into name. */
static bool name_match(const char **path, char name[HTTP_NAME_MAX])
{
	size_t n = 0;
	const char *p = *path;
	for (; *p && *p != '/'; p++, n++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			  (*p >= '0' && *p <= '9') || *p == '.' || *p == '_' || *p == '-';
		if (!ok || n + 1 >= HTTP_NAME_MAX)
			return false;
		name[n] = *p;
	}
	name[n] = '\0';
	*path = p;
	return n > 0;
}

/* Matches "/api/v1/tasks/{id}" against a path; ids go to r->ids, a {name} to r->name. */
static bool route_match(const char *pattern, const char *path, int64_t ids[2], int *n_ids,
			char name[HTTP_NAME_MAX])
{
	int n = 0;
	while (*pattern && *path) {
		/* Literal bytes first: this runs over every route tried, for every request. */
		if (*pattern != '{') {
			if (*pattern++ != *path++)
				return false;
			continue;
		}
		if (!strncmp(pattern, "{name}", 6)) {
			pattern += 6;
			if (!name_match(&path, name))
				return false;
			continue;
		}
		while (*pattern && *pattern != '}')
			pattern++;
		if (*pattern)
			pattern++;
		int64_t v = 0;
		int digits = 0;
		while (*path >= '0' && *path <= '9') {
			if (v > (INT64_MAX - 9) / 10)
				return false;
			v = v * 10 + (*path++ - '0');
			digits++;
		}
		if (!digits || v <= 0 || (*path && *path != '/') || n >= 2)
			return false;
		ids[n++] = v;
	}
	*n_ids = n;
	return !*pattern && !*path;
}

/* The first query key given twice, NULL when none: `limit=1&limit=2` is ambiguous. */
static const char *repeated_key(const http_request *r)
{
	for (int i = 0; i < r->n_query; i++)
		for (int j = 0; j < i; j++)
			if (!strcmp(r->query[i].key, r->query[j].key))
				return r->query[i].key;
	return NULL;
}

static enum MHD_Result collect_query(void *cls, enum MHD_ValueKind kind, const char *key,
				     const char *value)
{
	(void)kind;
	http_request *r = cls;
	if (r->n_query >= HTTP_MAX_QUERY) {
		r->query_overflow = true;
		return MHD_NO;
	}
	r->query[r->n_query].key = strdup(key);
	r->query[r->n_query].value = strdup(value ? value : "");
	r->n_query++;
	return MHD_YES;
}

static void copy_cookie(http_request *r)
{
	const char *cookie = MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, "cl_session");
	r->session_cookie = dup_or_null(cookie);
}

void peer_text(struct MHD_Connection *conn, char out[HTTP_REMOTE_MAX])
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(out, HTTP_REMOTE_MAX, "?");
	if (!ci || !ci->client_addr)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out,
			  HTTP_REMOTE_MAX);
	else if (sa->sa_family == AF_INET6) {
		/* An IPv4 client of a dual-stack socket ([::]) as its IPv4 address, so the login
		 * throttle and the log name it as they do on an IPv4 socket. */
		const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, HTTP_REMOTE_MAX);
		else
			inet_ntop(AF_INET6, a, out, HTTP_REMOTE_MAX);
	}
}

/* The connection's record has the address already; without one it is made again. */
static void copy_remote(http_request *r)
{
	if (r->watch)
		memcpy(r->remote, deadline_remote(r->watch), sizeof r->remote);
	else
		peer_text(r->conn, r->remote);
}

static const char *spool_dir(const http_request *r)
{
	return r->server->cfg.spool_dir ? r->server->cfg.spool_dir : "/tmp";
}

/* A spool's error ends the request's reading; a full disk is also the store's news. */
static void spool_failed(http_request *r, int rc)
{
	r->early_error = rc;
	if (rc == CL_EUNAVAIL && r->server->cfg.disk_full)
		r->server->cfg.disk_full(r->server->cfg.app);
}

static enum MHD_Result on_part(void *cls, enum MHD_ValueKind kind, const char *key,
			       const char *filename, const char *content_type,
			       const char *transfer_encoding, const char *data, uint64_t off,
			       size_t size)
{
	(void)kind;
	(void)transfer_encoding;
	http_request *r = cls;
	if (!filename) /* plain form fields are not used by any route */
		return MHD_YES;
	http_file *f = r->files_tail;
	if (off == 0 || !f) {
		f = calloc(1, sizeof *f);
		if (!f)
			return MHD_NO;
		f->field = dup_or_null(key);
		f->filename = dup_or_null(filename);
		f->content_type = dup_or_null(content_type);
		http_spool_init(&f->data, HTTP_UPLOAD_MAX_BYTES);
		if (r->files_tail)
			r->files_tail->next = f;
		else
			r->files = f;
		r->files_tail = f;
	}
	int rc = size ? http_spool_append(&f->data, spool_dir(r), data, size) : 0;
	if (rc) {
		spool_failed(r, rc);
		return MHD_NO;
	}
	return MHD_YES;
}

static void request_free(http_request *r)
{
	if (r->scope && r->server->cfg.release)
		r->server->cfg.release(r);
	json_decref(r->err_detail);
	free(r->authorization);
	free(r->session_cookie);
	free(r->csrf_header);
	free(r->content_type);
	free(r->content_encoding);
	free(r->content_disposition);
	for (int i = 0; i < r->n_query; i++) {
		free(r->query[i].key);
		free(r->query[i].value);
	}
	buf_release(&r->body);
	http_spool_release(&r->upload);
	for (http_file *f = r->files, *nx; f; f = nx) {
		nx = f->next;
		free(f->field);
		free(f->filename);
		free(f->content_type);
		http_spool_release(&f->data);
		free(f);
	}
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	if (r->response)
		MHD_destroy_response(r->response);
	if (r->defer_free)
		r->defer_free(r->defer_ctx);
	free(r);
}

/* Security headers every answer carries. */
static void add_common_headers(http_request *r)
{
	struct MHD_Response *resp = r->response;
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	if (!MHD_get_response_header(resp, "Content-Security-Policy"))
		MHD_add_response_header(
			resp, "Content-Security-Policy",
			"default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
			"img-src 'self' data: blob:; connect-src 'self'; object-src 'none'; "
			"base-uri 'none'; frame-ancestors 'none'; form-action 'self'");
	if (!MHD_get_response_header(resp, "Cache-Control"))
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	/* A browser that met the server over TLS never tries it in the clear again. */
	if (r->server->tls)
		MHD_add_response_header(resp, "Strict-Transport-Security",
					"max-age=31536000; includeSubDomains");
}

static void finish_request(http_request *r, int rc);

/* The answer of an error found while reading the request. */
static int early_answer(http_request *r)
{
	if (r->early_error == CL_ETOOBIG)
		return http_fail(r, CL_ETOOBIG, NULL, "the request body is over %zu bytes",
				 r->body_limit);
	if (r->early_error == CL_EINVAL && !r->err.message[0])
		return http_fail(r, CL_EINVAL, NULL, "malformed multipart body");
	if (r->early_error == CL_EUNAVAIL && !r->err.message[0])
		return http_fail(r, CL_EUNAVAIL, "store_full",
				 "the upload cannot be kept: the disk is full; try again later");
	return r->early_error;
}

/* What a request passes before its handler runs: no error found while reading it, a query the
 * route may take, credentials, and the route's access (http_config.authorize). 0 when the
 * handler may run. A request that announces a body passes it on its headers alone, before any
 * of the body is read (on_request), and is not checked again. */
static int admit(http_server *s, http_request *r)
{
	const route *rt = r->route;
	int rc = 0;
	if (r->early_error)
		return early_answer(r);
	if (r->admitted)
		return 0;
	if (r->query_overflow)
		return http_fail(r, CL_EINVAL, NULL, "too many query parameters");
	const char *twice = repeated_key(r);
	if (twice)
		return http_fail(r, CL_EINVAL, "repeated_parameter",
				 "query parameter \"%.64s\" is given more than once", twice);
	if (r->n_query && !rt->query)
		return http_fail(r, CL_EINVAL, "unknown_parameter",
				 "this route takes no query parameter (got \"%.64s\")",
				 r->query[0].key);
	if (r->n_query && (rc = http_query_check(r, rt->query)))
		return rc;
	if (!(rt->flags & ROUTE_PUBLIC)) {
		rc = s->cfg.authenticate(r);
		if (rc && (rt->flags & ROUTE_OPTIONAL_AUTH) && !r->authorization &&
		    !r->session_cookie)
			rc = 0;
	}
	if (!rc && s->cfg.authorize)
		rc = s->cfg.authorize(r);
	r->admitted = !rc;
	return rc;
}

/* Admission and the handler: what both the inline and the pooled paths run. A deferred
 * handler's answer is made later, by its finish function (http_defer). */
static void dispatch(http_server *s, http_request *r)
{
	int rc;
	if (!r->route && !r->early_error) {
		rc = s->cfg.fallback ? s->cfg.fallback(r) : CL_ENOTFOUND;
		if (rc == CL_ENOTFOUND && !r->response)
			rc = http_fail(r, CL_ENOTFOUND, NULL, "no route for %s %s", r->method,
				       r->path);
	} else {
		rc = admit(s, r);
		if (!rc)
			rc = (r->pooled ? r->pooled : r->route->handler)(r);
		if (rc == HTTP_DEFERRED)
			return;
	}
	finish_request(r, rc);
}

/* The answer of a handler's result: its error, or an internal error when it made none. */
static void finish_request(http_request *r, int rc)
{
	if (rc && r->response) {
		MHD_destroy_response(r->response);
		r->response = NULL;
	}
	if (rc)
		http_error_reply(r, rc);
	if (!r->response)
		http_error_reply(r, CL_EINTERNAL);
	add_common_headers(r);
}

/* ---- suspended connections ---- */

/* A stop waits until no connection is counted as suspended. Each request counts once and is
 * uncounted once: on the call that answers it after its resumption, or, when the client went
 * away while it was suspended and MHD closes the connection without calling again, when it
 * completes. Both run on the connection's I/O thread. */
static void hold_count(http_server *s, http_request *r)
{
	r->held = true;
	__atomic_add_fetch(&s->suspended, 1, __ATOMIC_SEQ_CST);
}

static void hold_uncount(http_server *s, http_request *r)
{
	if (!r->held)
		return;
	r->held = false;
	__atomic_sub_fetch(&s->suspended, 1, __ATOMIC_SEQ_CST);
}

/* ---- handler pool ---- */

static void *pool_main(void *arg)
{
	http_server *s = arg;
	prctl(PR_SET_NAME, "cl-handler");
	for (;;) {
		pthread_mutex_lock(&s->pool_lock);
		while (!s->queue_head && !s->pool_stop)
			pthread_cond_wait(&s->pool_wake, &s->pool_lock);
		if (!s->queue_head) {
			pthread_mutex_unlock(&s->pool_lock);
			break;
		}
		struct queued *q = s->queue_head;
		s->queue_head = q->next;
		if (!s->queue_head)
			s->queue_tail = NULL;
		pthread_mutex_unlock(&s->pool_lock);

		http_request *r = q->r;
		free(q);
		dispatch(s, r);
		r->phase = PHASE_DONE;
		MHD_resume_connection(r->conn);
	}
	return NULL;
}

static int pool_push(http_server *s, http_request *r)
{
	struct queued *q = malloc(sizeof *q);
	if (!q)
		return -1;
	q->r = r;
	q->next = NULL;
	pthread_mutex_lock(&s->pool_lock);
	if (s->queue_tail)
		s->queue_tail->next = q;
	else
		s->queue_head = q;
	s->queue_tail = q;
	pthread_cond_signal(&s->pool_wake);
	pthread_mutex_unlock(&s->pool_lock);
	return 0;
}

/* ---- deferred answers ---- */

void http_defer(http_request *r, http_handler finish, void *ctx, void (*free_ctx)(void *ctx))
{
	http_server *s = (http_server *)r->server;
	r->finish = finish;
	r->defer_ctx = ctx;
	r->defer_free = free_ctx;
	r->phase = PHASE_RUNNING;
	hold_count(s, r);
	MHD_suspend_connection(r->conn);
}

void http_wake(void *arg, int rc)
{
	http_request *r = arg;
	r->wake_rc = rc;
	atomic_store_explicit(&r->woken, true, memory_order_release);
	MHD_resume_connection(r->conn);
}

int http_pool(http_request *r, http_handler handler)
{
	const http_server *s = r->server;
	if (!s->n_pool)
		return handler(r);
	r->pooled = handler;
	return HTTP_DEFERRED;
}

/* ---- MHD callbacks ---- */

/* Suspends the request's connection and queues it for the handler pool: MHD_YES, or MHD_NO
 * (the connection closes) without memory. */
static enum MHD_Result pool_hand(http_server *s, struct MHD_Connection *conn, http_request *r)
{
	r->phase = PHASE_RUNNING;
	hold_count(s, r);
	MHD_suspend_connection(conn);
	if (pool_push(s, r)) {
		hold_uncount(s, r);
		MHD_resume_connection(conn);
		return MHD_NO;
	}
	return MHD_YES;
}

static enum MHD_Result add_size(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	size_t *n = cls;
	/* "key=value&" in a query, "Key: value\r\n" in a header: two bytes of framing. */
	*n += (key ? strlen(key) : 0) + (value ? strlen(value) : 0) + 2;
	return MHD_YES;
}

/* Bytes of the connection's values of `kind`, as sent (near enough: MHD unescaped them), and
 * their count in *count when not NULL. */
static size_t values_size(struct MHD_Connection *conn, enum MHD_ValueKind kind, int *count)
{
	size_t n = 0;
	int k = MHD_get_connection_values(conn, kind, add_size, &n);
	if (count)
		*count = k;
	return n;
}

/* The request's target and header fields against the server's limits, before anything reads
 * them (a longer path than r->path holds would otherwise be cut and routed). 0, or the error
 * (414, 431) in r->err. */
static int head_check(http_request *r, const char *url)
{
	size_t path = strlen(url);
	size_t target = path + values_size(r->conn, MHD_GET_ARGUMENT_KIND, NULL);
	if (path >= sizeof r->path || target > HTTP_URI_MAX)
		return http_fail(r, CL_EURI, NULL,
				 "the request target is over %d bytes (its path over %zu)",
				 HTTP_URI_MAX, sizeof r->path - 1);
	int fields = 0;
	size_t headers = values_size(r->conn, MHD_HEADER_KIND, &fields);
	if (headers > HTTP_HEADERS_MAX || fields > HTTP_HEADER_FIELDS_MAX)
		return http_fail(r, CL_EHEADERS, NULL,
				 "the request's header fields are over %d bytes together or over "
				 "%d in number",
				 HTTP_HEADERS_MAX, HTTP_HEADER_FIELDS_MAX);
	return 0;
}

static http_request *request_new(http_server *s, struct MHD_Connection *conn, const char *url,
				 const char *method)
{
	http_request *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->conn = conn;
	r->method = method;
	r->app = s->cfg.app;
	r->server = s;
	r->start_ns = clock_mono_ns();
	r->route_index = -1;
	r->watch = deadline_header_read(conn);
	size_t path_len = strnlen(url, sizeof r->path - 1); /* a longer one is refused below */
	memcpy(r->path, url, path_len);
	r->path[path_len] = '\0';
	r->early_error = head_check(r, url);
	r->head_refused = r->early_error != 0;
	route_candidates c;
	route_candidates_start(&c, &s->routes, method, r->path, !strcmp(method, "HEAD"));
	for (int i; !r->head_refused && (i = route_candidates_next(&c)) >= 0;) {
		const route *rt = &s->cfg.routes[i];
		if (route_match(rt->pattern, r->path, r->ids, &r->n_ids, r->name)) {
			r->route = rt;
			r->route_index = i;
			break;
		}
	}
	r->authorization = dup_or_null(
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION));
	r->csrf_header = dup_or_null(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								 "X-CSRF-Token"));
	r->content_type = dup_or_null(MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
								  MHD_HTTP_HEADER_CONTENT_TYPE));
	r->content_encoding = dup_or_null(MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_ENCODING));
	r->content_disposition = dup_or_null(MHD_lookup_connection_value(
		conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_DISPOSITION));
	copy_cookie(r);
	copy_remote(r);
	MHD_get_connection_values(conn, MHD_GET_ARGUMENT_KIND, collect_query, r);

	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
						     MHD_HTTP_HEADER_CONTENT_LENGTH);
	r->body_limit = r->route && (r->route->flags & ROUTE_UPLOAD) ? HTTP_UPLOAD_MAX_BYTES
								     : HTTP_JSON_MAX_BYTES;
	/* A large body is announced by its length; it goes to a file, not the heap. */
	if (r->route && (r->route->flags & ROUTE_LARGE_BODY) && cl &&
	    strtoull(cl, NULL, 10) > HTTP_JSON_MAX_BYTES)
		r->body_limit = HTTP_LARGE_BODY_MAX_BYTES;
	buf_init(&r->body, r->body_limit);
	http_spool_init(&r->upload, r->body_limit);
	if (!r->early_error && cl && strtoull(cl, NULL, 10) > r->body_limit)
		r->early_error = CL_ETOOBIG;
	if (!r->early_error && r->route && (r->route->flags & ROUTE_UPLOAD) && r->content_type &&
	    !strncasecmp(r->content_type, "multipart/form-data", 19)) {
		r->pp = MHD_create_post_processor(conn, 64 * 1024, on_part, r);
		if (!r->pp)
			r->early_error = CL_EINVAL;
	}
	return r;
}

/* Whether the request's headers announce a body: a length over zero, or chunks. */
static bool body_announced(struct MHD_Connection *conn)
{
	const char *cl =
	    MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	return (cl && strtoull(cl, NULL, 10) > 0) ||
	       MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
					   MHD_HTTP_HEADER_TRANSFER_ENCODING);
}

/* Takes a piece of the body: to the multipart parser, the upload's spool or the body's buffer.
 * Whatever holds it, the body stops at the route's limit. */
static void read_body(http_request *r, const char *data, size_t n)
{
	if (n > r->body_limit - r->body_read) {
		r->early_error = CL_ETOOBIG;
		return;
	}
	r->body_read += n;
	if (r->pp) {
		if (MHD_post_process(r->pp, data, n) != MHD_YES && !r->early_error)
			r->early_error = CL_EINVAL;
	} else if (r->route && ((r->route->flags & ROUTE_UPLOAD) ||
				r->body_limit == HTTP_LARGE_BODY_MAX_BYTES)) {
		int rc = http_spool_append(&r->upload, spool_dir(r), data, n);
		if (rc)
			spool_failed(r, rc);
	} else if (buf_append(&r->body, data, n)) {
		r->early_error = CL_ETOOBIG;
	}
}

/* The body is all read: the spools are mapped for the handler. 0 or an error. */
static int body_complete(http_request *r)
{
	int rc = http_spool_finish(&r->upload);
	for (http_file *f = r->files; f && !rc; f = f->next)
		rc = http_spool_finish(&f->data);
	if (rc)
		spool_failed(r, rc);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	(void)version;
	http_server *s = cls;
	http_request *r = *req_cls;
	if (!r) {
		r = request_new(s, conn, url, method);
		if (!r)
			return MHD_NO;
		*req_cls = r;
		__atomic_add_fetch(&s->in_flight, 1, __ATOMIC_SEQ_CST);
		/* A body is read only for a caller the route admits: a request that announces one
		 * is refused on its headers (a length over the route's limit, no credentials, no
		 * access), before `100 Continue` and before any of the body is read. The answer is
		 * queued now, so MHD closes the connection instead of reading the body. A request
		 * without a body waits for the second call, which keeps connections alive. */
		if (r->head_refused ||
		    (body_announced(conn) && !__atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST))) {
			/* A target or header over the limits is answered at once; no route takes a
			 * body here: nobody may send one. */
			int rc = r->head_refused ? r->early_error
				 : r->route	 ? admit(s, r)
						 : http_fail(r, CL_ENOTFOUND, NULL,
							     "no route for %s %s", r->method,
							     r->path);
			if (rc) {
				finish_request(r, rc);
				r->phase = PHASE_DONE;
				r->queued = true;
				return MHD_queue_response(conn, (unsigned)r->status, r->response);
			}
		}
		return MHD_YES;
	}
	if (r->queued) {
		/* Answered on its headers: a body MHD still reads (it stops reading only a POST's
		 * or a PUT's) is dropped, and the answer stays the one queued. */
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (*upload_data_size) {
		if (!r->early_error)
			read_body(r, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->phase == PHASE_READING) {
		if (!r->early_error)
			r->early_error = body_complete(r);
		if (r->early_error == CL_EINVAL)
			r->early_error = http_fail(r, CL_EINVAL, NULL, "malformed multipart body");
		bool stopping = __atomic_load_n(&s->stopping, __ATOMIC_SEQ_CST);
		if (stopping && !r->early_error)
			r->early_error = http_fail(r, CL_EUNAVAIL, NULL, "the server is shutting down");
		if ((r->route && (r->route->flags & (ROUTE_INLINE | ROUTE_ASYNC))) || r->early_error ||
		    !s->n_pool) {
			dispatch(s, r);
			if (r->finish)
				return MHD_YES; /* deferred: http_wake resumes the connection */
			/* It may block after all (http_pool): the handler pool runs it. */
			if (r->pooled)
				return pool_hand(s, conn, r);
			if (stopping)
				MHD_add_response_header(r->response, MHD_HTTP_HEADER_CONNECTION, "close");
			r->phase = PHASE_DONE;
			r->queued = true;
			return MHD_queue_response(conn, (unsigned)r->status, r->response);
		} else {
			return pool_hand(s, conn, r);
		}
	} else if (r->phase == PHASE_RUNNING && r->finish &&
		   atomic_load_explicit(&r->woken, memory_order_acquire)) {
		finish_request(r, r->finish(r));
		r->phase = PHASE_DONE;
		hold_uncount(s, r);
	} else if (r->phase == PHASE_DONE && !r->queued) {
		hold_uncount(s, r);
	}
	if (r->phase == PHASE_RUNNING)
		return MHD_YES;
	r->queued = true;
	return MHD_queue_response(conn, (unsigned)r->status, r->response);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **req_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)conn;
	http_server *s = cls;
	http_request *r = *req_cls;
	if (!r)
		return;
	uint64_t ns = clock_mono_ns() - r->start_ns;
	int status = r->response ? r->status : 0;
	metrics_observe(s, r->route_index, status, (double)ns / 1e9);
	/* Milliseconds with three decimals, in integers: printf's floating point is a measurable
	 * part of a line written for every request. */
	unsigned long long us = (unsigned long long)(ns / 1000);
	if (s->log_requests || status >= 500)
		log_line(
		    status >= 500 ? LOG_ERROR : LOG_INFO,
		    "method=%s path=\"%.200s\" route=\"%s\" status=%d dur_ms=%llu.%03llu user=%lld "
		    "remote=%s%s",
		    r->method, r->path, r->route ? r->route->pattern : "-", status, us / 1000,
		    us % 1000, r->authed ? (long long)r->user.id : 0LL, r->remote,
		    toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " aborted=1");
	/* The client went away while the request was suspended: no call answers it. */
	hold_uncount(s, r);
	deadline_request_done(r->watch);
	request_free(r);
	*req_cls = NULL;
	__atomic_sub_fetch(&s->in_flight, 1, __ATOMIC_SEQ_CST);
}

/* ADDRESS:PORT, the address an IPv4 one, `localhost`, or an IPv6 one in brackets ([::1]). */
static int parse_listen(const char *listen, struct sockaddr_storage *sa, cl_error *err)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof host)
		return cl_fail(err, CL_EINVAL, NULL, "--listen wants ADDRESS:PORT, got \"%s\"", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	char *end;
	long port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || port < 0 || port > 65535)
		return cl_fail(err, CL_EINVAL, NULL, "bad port in \"%s\"", listen);
	memset(sa, 0, sizeof *sa);
	size_t n = strlen(host);
	if (host[0] == '[') {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		if (n < 3 || host[n - 1] != ']')
			return cl_fail(err, CL_EINVAL, NULL, "bad IPv6 address in \"%s\"", listen);
		host[n - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &in6->sin6_addr) != 1)
			return cl_fail(err, CL_EINVAL, NULL, "bad IPv6 address in \"%s\"", listen);
		return 0;
	}
	struct sockaddr_in *in = (struct sockaddr_in *)sa;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	if (!strcmp(host, "localhost"))
		snprintf(host, sizeof host, "127.0.0.1");
	if (strchr(host, ':'))
		return cl_fail(err, CL_EINVAL, NULL,
			       "an IPv6 address goes in brackets: \"[%s]:%ld\"", host, port);
	if (inet_pton(AF_INET, host, &in->sin_addr) != 1)
		return cl_fail(err, CL_EINVAL, NULL, "bad IPv4 address in \"%s\"", listen);
	return 0;
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	size_t n = strlen(msg);
	while (n && (msg[n - 1] == '\n' || msg[n - 1] == '"'))
		msg[--n] = '\0';
	log_warn("msg=\"http: %s\"", msg);
}

static long cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 2 : n;
}

/* Enough handlers that many writes meet in one group commit, few enough that the cores do not
 * spend their time switching between them (measured in bench/). */
static int handler_count(const http_config *cfg)
{
	return cfg->handler_threads > 0 ? cfg->handler_threads
	       : cfg->handler_threads < 0 ? 0 : (int)(8 * cores());
}

/* The labeling loop's routes run on the I/O threads (ROUTE_ASYNC). Two per core: they rarely
 * wait on the store now that a claimed task's submit or decision reads nothing, and more of
 * them switch more (measured in bench/, docs/BENCHMARKS.md run 11). */
static int io_count(const http_config *cfg)
{
	return cfg->io_threads > 0 ? cfg->io_threads : (int)(2 * cores());
}

int http_config_threads(const http_config *cfg)
{
	return handler_count(cfg) + io_count(cfg);
}

int http_server_start(const http_config *cfg, http_server **out, cl_error *err)
{
	http_server *s = calloc(1, sizeof *s);
	if (!s)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	s->cfg = *cfg;
	s->log_requests = true;
	const char *quiet = getenv("CROWDLOOP_QUIET_REQUESTS");
	if (quiet && *quiet == '1')
		s->log_requests = false;
	struct sockaddr_storage sa;
	int rc = parse_listen(cfg->listen, &sa, err);
	if (!rc && route_index_build(&s->routes, cfg->routes, cfg->n_routes))
		rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot index the route table");
	if (rc) {
		free(s);
		return rc;
	}
	metrics_init(s);
	pthread_mutex_init(&s->pool_lock, NULL);
	pthread_cond_init(&s->pool_wake, NULL);
	s->n_pool = handler_count(cfg);
	s->pool = calloc((size_t)s->n_pool, sizeof *s->pool);
	for (int i = 0; i < s->n_pool; i++)
		pthread_create(&s->pool[i], NULL, pool_main, s);
	unsigned io = (unsigned)io_count(cfg);
	/* [::] means every address, IPv4 ones too, as it does for most servers; an IPv6 socket
	 * is otherwise IPv6 alone. */
	unsigned family = 0;
	unsigned per_address = cfg->max_per_address < 0	   ? 0 /* MHD: no limit */
			       : cfg->max_per_address > 0 ? (unsigned)cfg->max_per_address
							   : HTTP_PER_ADDRESS_DEFAULT;
	if (stream_waits_start(&s->waits, &s->suspended)) {
		http_server_stop(s, 0);
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the streams' thread");
	}
	if (deadline_start(&s->watch, cfg->header_timeout_s > 0 ? cfg->header_timeout_s
								  : HTTP_HEADER_TIMEOUT_DEFAULT)) {
		http_server_stop(s, 0);
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the header deadline's thread");
	}
	if (sa.ss_family == AF_INET6)
		family = IN6_IS_ADDR_UNSPECIFIED(&((struct sockaddr_in6 *)&sa)->sin6_addr)
			     ? MHD_USE_DUAL_STACK
			     : MHD_USE_IPv6;
	s->tls = cfg->tls_cert_pem && cfg->tls_key_pem;
	if (s->tls && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
		http_server_stop(s, 0);
		return cl_fail(err, CL_EINVAL, NULL, "this libmicrohttpd was built without TLS");
	}
	/* Without TLS the key and certificate options are ended early: MHD reads options up to the
	 * first MHD_OPTION_END. */
	s->daemon = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG | MHD_USE_ITC | family | (s->tls ? MHD_USE_TLS : 0),
	    0, NULL, NULL, on_request, s, MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_THREAD_POOL_SIZE, io,
	    MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_NOTIFY_CONNECTION,
	    deadline_on_connection, &s->watch, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_MAX_CONNECTIONS,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_address,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONNECTION_MEMORY,
	    s->tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, cfg->tls_cert_pem,
	    MHD_OPTION_HTTPS_MEM_KEY, cfg->tls_key_pem, MHD_OPTION_END);
	if (!s->daemon) {
		http_server_stop(s, 0);
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot listen on %s", cfg->listen);
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	s->port = di ? di->port
		     : ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
						      : ((struct sockaddr_in *)&sa)->sin_port);
	*out = s;
	return 0;
}

int http_server_port(const http_server *s)
{
	return s->port;
}

void http_server_stop(http_server *s, int grace_ms)
{
	if (!s)
		return;
	bool clean = true;
	if (s->daemon) {
		MHD_socket fd = MHD_quiesce_daemon(s->daemon);
		if (fd != MHD_INVALID_SOCKET)
			close(fd);
		/* From here every new request answers 503 and closes its connection; the requests
		 * in flight finish, up to the grace period. */
		__atomic_store_n(&s->stopping, true, __ATOMIC_SEQ_CST);
		int64_t until = clock_mono_ns() + (int64_t)grace_ms * 1000000;
		while (__atomic_load_n(&s->in_flight, __ATOMIC_SEQ_CST) > 0 &&
		       clock_mono_ns() < until)
			usleep(10000);
	}
	/* The pool drains its queue before its threads exit, so every suspended connection is
	 * resumed; MHD must have taken each one back before it may stop. */
	pthread_mutex_lock(&s->pool_lock);
	s->pool_stop = true;
	pthread_cond_broadcast(&s->pool_wake);
	pthread_mutex_unlock(&s->pool_lock);
	for (int i = 0; i < s->n_pool; i++)
		pthread_join(s->pool[i], NULL);
	stream_waits_stop(&s->waits);
	if (s->daemon) {
		int64_t until = clock_mono_ns() + (int64_t)5000 * 1000000;
		while (__atomic_load_n(&s->suspended, __ATOMIC_SEQ_CST) > 0 &&
		       clock_mono_ns() < until)
			usleep(10000);
		int left = __atomic_load_n(&s->suspended, __ATOMIC_SEQ_CST);
		if (left > 0) {
			/* MHD aborts when stopped with suspended connections: leave it to the exit. */
			log_error("msg=\"connections still suspended at stop\" count=%d", left);
			clean = false;
		} else {
			MHD_stop_daemon(s->daemon);
		}
	}
	/* After MHD: its last notifications take the watcher's lock. */
	deadline_stop(&s->watch);
	if (clean) {
		free(s->pool);
		route_index_release(&s->routes);
		metrics_release(s);
		pthread_mutex_destroy(&s->pool_lock);
		pthread_cond_destroy(&s->pool_wake);
		if (s->watch.limit_ns) {
			pthread_mutex_destroy(&s->watch.lock);
			pthread_cond_destroy(&s->watch.wake);
		}
		free(s);
	}
}

const http_server *http_request_server(const http_request *r)
{
	return r->server;
}
