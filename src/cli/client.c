/* The API client shared by the API subcommands: the choice of server and token, one reusable
 * curl handle per command, JSON requests whose failures are printed once here with the
 * server's error code and message, and streaming uploads and downloads. A stored token is only
 * ever sent to the server it was issued by, and redirects are never followed. */
#include "cli/client.h"
#include "cli/terminal.h"
#include "util/buf.h"
#include "util/json.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#define ANSWER_MAX ((size_t)64 << 20) /* largest JSON answer kept in memory */
#define ERROR_BODY_MAX ((size_t)64 << 10)

/* ---- connection ---- */

static int curl_users;

static void print_no_memory(void)
{
	fprintf(stderr, "crowdloop: out of memory\n");
}

/* "http://h:1/" and "http://h:1" are the same server. */
static char *normalize_url(const char *url)
{
	size_t len = strlen(url);
	while (len && url[len - 1] == '/')
		len--;
	return strndup(url, len);
}

static int valid_token(const char *t)
{
	if (!*t)
		return 0;
	for (; *t; t++)
		if (*t <= ' ' || *t > '~')
			return 0;
	return 1;
}

/* --server, else $CROWDLOOP_SERVER, else the stored server, else the default. */
static int choose_server(client *c, const char *server_override)
{
	const char *env_server = getenv("CROWDLOOP_SERVER");
	const char *server = server_override && *server_override ? server_override
			     : env_server && *env_server	 ? env_server
			     : c->cfg.server			 ? c->cfg.server
								 : CLIENT_DEFAULT_SERVER;
	if (strncasecmp(server, "http://", 7) && strncasecmp(server, "https://", 8)) {
		fprintf(stderr, "crowdloop: the server URL must start with http:// or https:// "
				"(got \"");
		terminal_fput_text(stderr, server);
		fprintf(stderr, "\")\n");
		return -1;
	}
	c->server = normalize_url(server);
	if (!c->server)
		print_no_memory();
	return c->server ? 0 : -1;
}

/* $CROWDLOOP_TOKEN, else the stored token when it was issued by the chosen server. */
static int choose_token(client *c)
{
	const char *env_token = getenv("CROWDLOOP_TOKEN");
	if (env_token && *env_token) {
		c->token = strdup(env_token);
		c->token_from_env = 1;
	} else if (c->cfg.token && c->cfg.server) {
		/* Never hand a token to a server other than the one that issued it. */
		char *stored = normalize_url(c->cfg.server);
		if (!stored) {
			print_no_memory();
			return -1;
		}
		if (!strcmp(stored, c->server))
			c->token = strdup(c->cfg.token);
		free(stored);
	}
	if (c->token && !valid_token(c->token)) {
		fprintf(stderr, "crowdloop: the %s token holds characters a token cannot have\n",
			c->token_from_env ? "CROWDLOOP_TOKEN" : "stored");
		return -1;
	}
	return 0;
}

static int start_curl(client *c)
{
	if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "crowdloop: cannot start libcurl\n");
		return -1;
	}
	curl_users++;
	c->curl_global = 1;
	c->curl = curl_easy_init();
	if (!c->curl)
		print_no_memory();
	return c->curl ? 0 : -1;
}

int client_need_token(const client *c)
{
	if (c->token)
		return 0;
	fprintf(stderr,
		"crowdloop: not logged in to %s; run `crowdloop login --server %s "
		"--username NAME` or set CROWDLOOP_TOKEN\n",
		c->server, c->server);
	return -1;
}

int client_open(client *c, const char *server_override, int need_token)
{
	memset(c, 0, sizeof *c);
	if (config_load(&c->cfg) || choose_server(c, server_override) || choose_token(c))
		return -1;
	if (need_token && client_need_token(c))
		return -1;
	return start_curl(c);
}

void client_drop_token(client *c)
{
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
		c->token = NULL;
	}
}

void client_close(client *c)
{
	if (c->curl) {
		curl_easy_cleanup(c->curl);
		c->curl = NULL;
	}
	client_drop_token(c);
	config_release(&c->cfg);
	free(c->server);
	c->server = NULL;
	if (c->curl_global && --curl_users == 0)
		curl_global_cleanup();
	c->curl_global = 0;
}

char *client_escape(client *c, const char *s)
{
	char *e = curl_easy_escape(c->curl, s, 0);
	char *copy = e ? strdup(e) : NULL;
	curl_free(e);
	return copy;
}

/* ---- requests ---- */

/* Adds the header "<name>: <value>" to the list; -1 without memory. `secret` values are wiped
 * from the temporary line. */
static int add_header(struct curl_slist **headers, const char *name, const char *value, int secret)
{
	buf line;
	struct curl_slist *more = NULL;
	buf_init(&line, 8192);
	if (buf_printf(&line, "%s: %s", name, value) == 0)
		more = curl_slist_append(*headers, line.data);
	if (secret && line.data)
		explicit_bzero(line.data, line.len);
	buf_release(&line);
	if (more)
		*headers = more;
	return more ? 0 : -1;
}

static int request_headers(client *c, struct curl_slist **headers, const char *content_type)
{
	int rc = add_header(headers, "Accept", "application/json", 0);
	if (!rc && c->token) {
		buf value;
		buf_init(&value, 4096);
		rc = buf_printf(&value, "Bearer %s", c->token)
			 ? -1
			 : add_header(headers, "Authorization", value.data, 1);
		if (value.data)
			explicit_bzero(value.data, value.len);
		buf_release(&value);
	}
	if (!rc && content_type)
		rc = add_header(headers, "Content-Type", content_type, 0);
	return rc;
}

static void set_transport_options(client *c, const char *url)
{
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, 15L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "crowdloop-cli/1");
	/* Redirects are not followed: the bearer token must not travel elsewhere. */
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
	curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
}

/* Options every request starts from; the handle keeps its connection across resets. */
static int prepare(client *c, const char *path, struct curl_slist **headers,
		   const char *content_type)
{
	buf url;
	int rc = -1;

	buf_init(&url, 8192);
	curl_easy_reset(c->curl);
	c->errbuf[0] = '\0';
	if (buf_printf(&url, "%s/api/v1%s", c->server, path) == 0 &&
	    request_headers(c, headers, content_type) == 0) {
		set_transport_options(c, url.data);
		curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, *headers);
		rc = 0;
	}
	if (rc)
		print_no_memory();
	buf_release(&url);
	return rc;
}

/* Prints the start of a body that is not the server's error object, on one line. */
static void print_body_head(const char *body, size_t len)
{
	char head[201];
	size_t n = len < sizeof head - 1 ? len : sizeof head - 1;
	memcpy(head, body, n);
	head[n] = '\0';
	for (char *p = head; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	fputs(": ", stderr);
	terminal_fput_text(stderr, head);
}

/* Prints a non-2xx answer: the server's {"error":{"code","message"}}, else the body's start. */
static void print_http_error(client *c, long status, json_t *answer, const char *body, size_t len)
{
	json_t *err = json_object_get(answer, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *message = json_string_value(json_object_get(err, "message"));

	fprintf(stderr, "crowdloop: the server answered %ld", status);
	if (code || message) {
		fputc(' ', stderr);
		terminal_fput_text(stderr, code ? code : "error");
		if (message) {
			fputs(": ", stderr);
			terminal_fput_text(stderr, message);
		}
	} else if (body && len) {
		print_body_head(body, len);
	}
	fputc('\n', stderr);
	if (status == 401 && c->token)
		fprintf(stderr, "crowdloop: %s\n",
			c->token_from_env
			    ? "the token in CROWDLOOP_TOKEN was not accepted"
			    : "the stored token was not accepted; run `crowdloop login` again");
}

static void print_transport_error(client *c, CURLcode res)
{
	fprintf(stderr, "crowdloop: request to %s failed: %s\n", c->server,
		c->errbuf[0] ? c->errbuf : curl_easy_strerror(res));
}

static size_t collect_cb(char *data, size_t size, size_t n, void *arg)
{
	buf *b = arg;
	return buf_append(b, data, size * n) ? 0 : size * n;
}

/* Parses a complete answer body, printing it when it is an error; see client_get_json. */
static void take_answer(client *c, long status, const buf *body, json_t **answer)
{
	json_t *json = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	if (!client_status_ok(status))
		print_http_error(c, status, json, body->data, body->len);
	if (answer)
		*answer = json;
	else
		json_decref(json);
}

/* Runs the prepared request, collecting the answer; see client_get_json. */
static long perform_json(client *c, json_t **answer)
{
	buf body;
	long status = 0;

	if (answer)
		*answer = NULL;
	buf_init(&body, ANSWER_MAX);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, collect_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &body);
	CURLcode res = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	/* A server may answer (413, 401) before it has read the whole upload and close the
	 * connection; the answer is still the one to show. */
	if (res == CURLE_OK || (status >= 400 && body.len)) {
		take_answer(c, status, &body, answer);
	} else {
		if (res == CURLE_WRITE_ERROR)
			fprintf(stderr, "crowdloop: the answer from %s is over %zu MiB\n",
				c->server, ANSWER_MAX >> 20);
		else
			print_transport_error(c, res);
		status = 0;
	}
	buf_release(&body);
	return status;
}

/* A GET (body_text NULL) or a POST of JSON text; see client_get_json. */
/* A GET without a body, else a POST, or `method` (not NULL) with POST's body. */
static long request_json(client *c, const char *method, const char *path, const char *body_text,
			 json_t **answer)
{
	struct curl_slist *headers = NULL;
	long status = 0;
	if (answer)
		*answer = NULL;
	if (prepare(c, path, &headers, body_text ? "application/json" : NULL) == 0) {
		curl_easy_setopt(c->curl, body_text ? CURLOPT_POST : CURLOPT_HTTPGET, 1L);
		if (method)
			curl_easy_setopt(c->curl, CURLOPT_CUSTOMREQUEST, method);
		if (body_text) {
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, body_text);
			curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
					 (curl_off_t)strlen(body_text));
		}
		status = perform_json(c, answer);
	}
	curl_slist_free_all(headers);
	return status;
}

long client_get_json(client *c, const char *path, json_t **answer)
{
	return request_json(c, NULL, path, NULL, answer);
}

long client_post_json(client *c, const char *path, const json_t *body, json_t **answer)
{
	return client_send_json(c, NULL, path, body, answer);
}

long client_send_json(client *c, const char *method, const char *path, const json_t *body,
		      json_t **answer)
{
	char *text = body ? json_dumps(body, JSON_OUT) : NULL;
	if (body && !text) {
		if (answer)
			*answer = NULL;
		print_no_memory();
		return 0;
	}
	long status = request_json(c, method, path, text ? text : "", answer);
	if (text) {
		/* Login bodies carry a password. */
		explicit_bzero(text, strlen(text));
		free(text);
	}
	return status;
}


int client_status_ok(long status)
{
	return status >= 200 && status <= 299;
}

/* ---- download ---- */

struct download {
	CURL *h;
	FILE *out;
	long status;	/* 0 until the first body bytes */
	buf error_body; /* a non-2xx answer's body */
	int write_errno;
	int64_t done, total;
	client_progress_fn progress;
	void *arg;
};

/* At the first bytes: the status and the announced length. */
static void download_start(struct download *d)
{
	curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &d->status);
	curl_off_t cl = -1;
	curl_easy_getinfo(d->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
	d->total = cl >= 0 ? (int64_t)cl : -1;
}

static size_t download_cb(char *data, size_t size, size_t n, void *arg)
{
	struct download *d = arg;
	size_t len = size * n;

	if (d->status == 0)
		download_start(d);
	if (!client_status_ok(d->status)) {
		/* Keep the start of an error body; drop the rest. */
		if (d->error_body.len < ERROR_BODY_MAX) {
			size_t room = ERROR_BODY_MAX - d->error_body.len;
			buf_append(&d->error_body, data, len < room ? len : room);
		}
		return len;
	}
	if (len && fwrite(data, 1, len, d->out) != len) {
		d->write_errno = errno ? errno : EIO;
		return 0;
	}
	d->done += (int64_t)len;
	if (d->progress)
		d->progress(d->arg, d->done, d->total);
	return len;
}

static void print_download_error(client *c, long status, const buf *body)
{
	json_t *json = body->len ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	print_http_error(c, status, json, body->data, body->len);
	json_decref(json);
}

/* Says why a transfer did not complete; returns the status to report (0 for a broken one). */
static long download_failed(client *c, const struct download *d, CURLcode res, long status)
{
	if (d->write_errno) {
		fprintf(stderr, "crowdloop: cannot write the download: %s\n",
			strerror(d->write_errno));
	} else if (client_status_ok(d->status)) {
		fprintf(stderr, "crowdloop: the download from %s broke off after %lld bytes: %s\n",
			c->server, (long long)d->done,
			c->errbuf[0] ? c->errbuf : curl_easy_strerror(res));
	} else if (status >= 400 && d->error_body.len) {
		/* The error answer came whole enough to show. */
		print_download_error(c, status, &d->error_body);
		return status;
	} else {
		print_transport_error(c, res);
	}
	return 0;
}

long client_download(client *c, const char *path, FILE *out, client_progress_fn progress, void *arg)
{
	struct curl_slist *headers = NULL;
	struct download d = {
	    .h = c->curl, .out = out, .total = -1, .progress = progress, .arg = arg};
	long status = 0;

	buf_init(&d.error_body, ERROR_BODY_MAX + 1);
	if (prepare(c, path, &headers, NULL) == 0) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, download_cb);
		curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &d);
		errno = 0;
		CURLcode res = curl_easy_perform(c->curl);
		curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
		if (res != CURLE_OK)
			status = download_failed(c, &d, res, status);
		else if (!client_status_ok(status))
			print_download_error(c, status, &d.error_body);
	}
	buf_release(&d.error_body);
	curl_slist_free_all(headers);
	return status;
}

/* ---- upload ---- */

struct upload {
	FILE *in;
	int read_errno;
	int64_t done, total;
	client_progress_fn progress;
	void *arg;
};

static size_t upload_read_cb(char *data, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t got = fread(data, 1, size * n, u->in);
	if (got == 0 && ferror(u->in)) {
		u->read_errno = errno ? errno : EIO;
		return CURL_READFUNC_ABORT;
	}
	u->done += (int64_t)got;
	if (u->progress)
		u->progress(u->arg, u->done, u->total);
	return got;
}

static int upload_seek_cb(void *arg, curl_off_t offset, int origin)
{
	struct upload *u = arg;
	if (fseeko(u->in, (off_t)offset, origin))
		return CURL_SEEKFUNC_CANTSEEK;
	if (origin == SEEK_SET)
		u->done = (int64_t)offset;
	return CURL_SEEKFUNC_OK;
}

/* The file as one multipart/form-data part named "file"; *mime is the caller's to free. */
static int send_as_part(client *c, struct upload *u, const char *file, const char *content_type,
			curl_mime **mime)
{
	const char *base = strrchr(file, '/');
	base = base ? base + 1 : file;
	*mime = curl_mime_init(c->curl);
	curl_mimepart *part = *mime ? curl_mime_addpart(*mime) : NULL;
	if (!part || curl_mime_name(part, "file") || curl_mime_filename(part, base) ||
	    curl_mime_type(part, content_type) ||
	    curl_mime_data_cb(part, u->total, upload_read_cb, upload_seek_cb, NULL, u)) {
		print_no_memory();
		return -1;
	}
	curl_easy_setopt(c->curl, CURLOPT_MIMEPOST, *mime);
	return 0;
}

/* The file as the whole request body. */
static void send_as_body(client *c, struct upload *u)
{
	CURL *h = c->curl;
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, u);
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, upload_seek_cb);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, u);
	/* -1 (not a regular file) makes curl send the body chunked. */
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u->total);
}

long client_upload(client *c, const char *path, const char *file, const char *content_type,
		   int multipart, client_progress_fn progress, void *arg, json_t **answer)
{
	struct curl_slist *headers = NULL;
	curl_mime *mime = NULL;
	struct upload u = {.total = -1, .progress = progress, .arg = arg};
	struct stat st;
	long status = 0;

	if (answer)
		*answer = NULL;
	u.in = fopen(file, "rb");
	if (!u.in) {
		fprintf(stderr, "crowdloop: cannot open %s: %s\n", file, strerror(errno));
		return 0;
	}
	if (fstat(fileno(u.in), &st) == 0 && S_ISREG(st.st_mode))
		u.total = (int64_t)st.st_size;
	if (prepare(c, path, &headers, multipart ? NULL : content_type) == 0) {
		if (!multipart)
			send_as_body(c, &u);
		if (!multipart || send_as_part(c, &u, file, content_type, &mime) == 0)
			status = perform_json(c, answer);
	}
	if (status == 0 && u.read_errno)
		fprintf(stderr, "crowdloop: cannot read %s: %s\n", file, strerror(u.read_errno));
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	fclose(u.in);
	return status;
}

int client_default_org(client *c, const char *command, long long *org)
{
	if (*org)
		return 0;
	json_t *page = NULL;
	long status = client_get_json(c, "/orgs", &page);
	json_t *items = json_object_get(page, "items");
	if (client_status_ok(status) && json_array_size(items) == 1)
		*org = json_integer_value(json_object_get(json_array_get(items, 0), "id"));
	else if (client_status_ok(status))
		fprintf(stderr, "crowdloop %s: you are in %zu orgs: say which with --org ID\n",
			command, json_array_size(items));
	json_decref(page);
	return *org ? 0 : -1;
}

long long client_endpoint_id(client *c, long long org, const char *name)
{
	char path[96];
	json_t *page = NULL, *e;
	size_t i;
	snprintf(path, sizeof path, "/orgs/%lld/endpoints?limit=500", org);
	long long id = client_status_ok(client_get_json(c, path, &page)) ? 0 : -1;
	json_array_foreach(json_object_get(page, "items"), i, e) {
		if (!strcmp(json_string_value(json_object_get(e, "name")), name))
			id = json_integer_value(json_object_get(e, "id"));
	}
	json_decref(page);
	return id;
}
