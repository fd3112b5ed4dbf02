/* The API client shared by the login, logout, projects, import, export and stats subcommands:
 * the credentials file (read, and replaced atomically with owner-only permissions), the choice
 * of server and token, one reusable curl handle per command, JSON requests whose failures are
 * printed once here with the server's error code and message, streaming uploads and downloads,
 * a terminal progress line, and printing of server text with control characters neutralised.
 * A stored token is only ever sent to the server it was issued by. */
#include "cli/client.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/json.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define ANSWER_MAX ((size_t)64 << 20)  /* largest JSON answer kept in memory */
#define ERROR_BODY_MAX ((size_t)64 << 10)

/* ---- credentials file ---- */

static int config_dir(char *out, size_t size)
{
	const char *xdg = getenv("XDG_CONFIG_HOME");
	int n;
	if (xdg && xdg[0] == '/') {
		n = snprintf(out, size, "%s/crowdloop", xdg);
	} else {
		const char *home = getenv("HOME");
		if (!home || home[0] != '/') {
			struct passwd *pw = getpwuid(getuid());
			home = pw ? pw->pw_dir : NULL;
		}
		if (!home || home[0] != '/')
			return -1;
		n = snprintf(out, size, "%s/.config/crowdloop", home);
	}
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

int client_config_path(char *out, size_t size)
{
	char dir[PATH_MAX];
	if (config_dir(dir, sizeof dir))
		return -1;
	int n = snprintf(out, size, "%s/credentials.json", dir);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

void client_config_release(client_config *cfg)
{
	free(cfg->server);
	free(cfg->token);
	free(cfg->username);
	cfg->server = cfg->token = cfg->username = NULL;
}

static char *dup_string_member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? strdup(s) : NULL;
}

int client_config_load(client_config *cfg)
{
	char path[PATH_MAX];
	cfg->server = cfg->token = cfg->username = NULL;
	if (client_config_path(path, sizeof path)) {
		fprintf(stderr, "crowdloop: cannot find a configuration directory "
				"(set HOME or XDG_CONFIG_HOME)\n");
		return -1;
	}
	FILE *f = fopen(path, "r");
	if (!f) {
		if (errno == ENOENT)
			return 0;
		fprintf(stderr, "crowdloop: cannot read %s: %s\n", path, strerror(errno));
		return -1;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077))
		fprintf(stderr, "crowdloop: warning: %s is readable by other users; "
				"run `chmod 600 %s`\n", path, path);
	json_error_t jerr;
	json_t *root = json_loadf(f, JSON_REJECT_DUPLICATES, &jerr);
	fclose(f);
	if (!root || !json_is_object(root)) {
		fprintf(stderr, "crowdloop: %s is not a JSON object (%s); remove it and log in again\n",
			path, root ? "wrong type" : jerr.text);
		json_decref(root);
		return -1;
	}
	cfg->server = dup_string_member(root, "server");
	cfg->token = dup_string_member(root, "token");
	cfg->username = dup_string_member(root, "username");
	json_decref(root);
	return 0;
}

static int write_all(int fd, const char *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

int client_config_save(const client_config *cfg)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX];
	json_t *root = NULL;
	char *text = NULL;
	int fd = -1, rc = -1, made_tmp = 0;

	if (config_dir(dir, sizeof dir) || client_config_path(path, sizeof path) ||
	    snprintf(tmp, sizeof tmp, "%s/.credentials.json.XXXXXX", dir) >= (int)sizeof tmp) {
		fprintf(stderr, "crowdloop: cannot find a configuration directory "
				"(set HOME or XDG_CONFIG_HOME)\n");
		return -1;
	}
	if (fs_make_dirs(dir)) {
		fprintf(stderr, "crowdloop: cannot create %s: %s\n", dir, strerror(errno));
		return -1;
	}
	/* The directory may predate us with looser permissions. */
	struct stat st;
	if (stat(dir, &st) == 0 && (st.st_mode & 077) && chmod(dir, 0700))
		fprintf(stderr, "crowdloop: warning: cannot make %s private: %s\n", dir,
			strerror(errno));

	root = json_object();
	if (!root)
		goto nomem;
	if (cfg->server && json_object_set_new(root, "server", json_string(cfg->server)))
		goto nomem;
	if (cfg->token && json_object_set_new(root, "token", json_string(cfg->token)))
		goto nomem;
	if (cfg->username && json_object_set_new(root, "username", json_string(cfg->username)))
		goto nomem;
	text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text)
		goto nomem;

	fd = mkstemp(tmp);  /* created 0600 */
	if (fd < 0) {
		fprintf(stderr, "crowdloop: cannot create a file in %s: %s\n", dir, strerror(errno));
		goto out;
	}
	made_tmp = 1;
	if (fchmod(fd, 0600) || write_all(fd, text, strlen(text)) || write_all(fd, "\n", 1) ||
	    fsync(fd)) {
		fprintf(stderr, "crowdloop: cannot write %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	if (close(fd)) {
		fd = -1;
		fprintf(stderr, "crowdloop: cannot write %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	fd = -1;
	if (rename(tmp, path)) {
		fprintf(stderr, "crowdloop: cannot replace %s: %s\n", path, strerror(errno));
		goto out;
	}
	made_tmp = 0;
	/* Make the rename itself durable. */
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	rc = 0;
	goto out;
nomem:
	fprintf(stderr, "crowdloop: out of memory\n");
out:
	if (fd >= 0)
		close(fd);
	if (made_tmp)
		unlink(tmp);
	if (text) {
		explicit_bzero(text, strlen(text));
		free(text);
	}
	json_decref(root);
	return rc;
}

/* ---- connection ---- */

static int curl_users;

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

int client_open(client *c, const char *server_override, int need_token)
{
	memset(c, 0, sizeof *c);
	if (client_config_load(&c->cfg))
		return -1;

	const char *env_server = getenv("CROWDLOOP_SERVER");
	const char *server = server_override && *server_override ? server_override
			     : env_server && *env_server ? env_server
			     : c->cfg.server ? c->cfg.server
					     : CLIENT_DEFAULT_SERVER;
	if (strncasecmp(server, "http://", 7) && strncasecmp(server, "https://", 8)) {
		fprintf(stderr, "crowdloop: the server URL must start with http:// or https:// "
				"(got \"");
		client_fput_text(stderr, server);
		fprintf(stderr, "\")\n");
		return -1;
	}
	c->server = normalize_url(server);
	if (!c->server)
		goto nomem;

	const char *env_token = getenv("CROWDLOOP_TOKEN");
	if (env_token && *env_token) {
		c->token = strdup(env_token);
		c->token_from_env = 1;
	} else if (c->cfg.token && c->cfg.server) {
		/* Never hand a token to a server other than the one that issued it. */
		char *stored = normalize_url(c->cfg.server);
		if (!stored)
			goto nomem;
		if (!strcmp(stored, c->server))
			c->token = strdup(c->cfg.token);
		free(stored);
	}
	if (c->token && !valid_token(c->token)) {
		fprintf(stderr, "crowdloop: the %s token holds characters a token cannot have\n",
			c->token_from_env ? "CROWDLOOP_TOKEN" : "stored");
		return -1;
	}
	if (need_token && !c->token) {
		fprintf(stderr, "crowdloop: not logged in to %s; run `crowdloop login --server %s "
				"--username NAME` or set CROWDLOOP_TOKEN\n", c->server, c->server);
		return -1;
	}

	if (curl_users == 0 && curl_global_init(CURL_GLOBAL_DEFAULT)) {
		fprintf(stderr, "crowdloop: cannot start libcurl\n");
		return -1;
	}
	curl_users++;
	c->curl_global = 1;
	c->curl = curl_easy_init();
	if (!c->curl)
		goto nomem;
	return 0;
nomem:
	fprintf(stderr, "crowdloop: out of memory\n");
	return -1;
}

void client_close(client *c)
{
	if (c->curl) {
		curl_easy_cleanup(c->curl);
		c->curl = NULL;
	}
	if (c->token) {
		explicit_bzero(c->token, strlen(c->token));
		free(c->token);
		c->token = NULL;
	}
	if (c->cfg.token)
		explicit_bzero(c->cfg.token, strlen(c->cfg.token));
	client_config_release(&c->cfg);
	free(c->server);
	c->server = NULL;
	if (c->curl_global && --curl_users == 0)
		curl_global_cleanup();
	c->curl_global = 0;
}

/* Options every request starts from; the handle keeps its connection across resets. */
static int prepare(client *c, const char *path, struct curl_slist **headers,
		   const char *content_type)
{
	CURL *h = c->curl;
	buf url;
	int rc = -1;

	buf_init(&url, 8192);
	curl_easy_reset(h);
	c->errbuf[0] = '\0';
	if (buf_printf(&url, "%s/api/v1%s", c->server, path))
		goto out;
	curl_easy_setopt(h, CURLOPT_URL, url.data);
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

	*headers = curl_slist_append(NULL, "Accept: application/json");
	if (!*headers)
		goto out;
	if (c->token) {
		buf auth;
		buf_init(&auth, 4096);
		struct curl_slist *more = NULL;
		if (buf_printf(&auth, "Authorization: Bearer %s", c->token) == 0)
			more = curl_slist_append(*headers, auth.data);
		if (auth.data)
			explicit_bzero(auth.data, auth.len);
		buf_release(&auth);
		if (!more)
			goto out;
		*headers = more;
	}
	if (content_type) {
		buf ct;
		buf_init(&ct, 1024);
		struct curl_slist *more = NULL;
		if (buf_printf(&ct, "Content-Type: %s", content_type) == 0)
			more = curl_slist_append(*headers, ct.data);
		buf_release(&ct);
		if (!more)
			goto out;
		*headers = more;
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *headers);
	rc = 0;
out:
	if (rc)
		fprintf(stderr, "crowdloop: out of memory\n");
	buf_release(&url);
	return rc;
}

/* Prints a non-2xx answer: the server's {"error":{"code","message"}}, else the body's start. */
static void print_http_error(client *c, long status, json_t *answer, const char *body,
			     size_t len)
{
	json_t *err = json_object_get(answer, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *message = json_string_value(json_object_get(err, "message"));

	fprintf(stderr, "crowdloop: the server answered %ld", status);
	if (code || message) {
		fputc(' ', stderr);
		client_fput_text(stderr, code ? code : "error");
		if (message) {
			fputs(": ", stderr);
			client_fput_text(stderr, message);
		}
	} else if (body && len) {
		char head[201];
		size_t n = len < sizeof head - 1 ? len : sizeof head - 1;
		memcpy(head, body, n);
		head[n] = '\0';
		for (char *p = head; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		fputs(": ", stderr);
		client_fput_text(stderr, head);
	}
	fputc('\n', stderr);
	if (status == 401 && c->token)
		fprintf(stderr, "crowdloop: %s\n", c->token_from_env
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

/* Runs the prepared request, collecting the answer; see client_get_json. */
static long perform_json(client *c, json_t **answer)
{
	CURL *h = c->curl;
	buf body;
	long status = 0;

	if (answer)
		*answer = NULL;
	buf_init(&body, ANSWER_MAX);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
	CURLcode res = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	/* A server may answer (413, 401) before it has read the whole upload and close the
	 * connection; the answer is still the one to show. */
	if (res != CURLE_OK && !(status >= 400 && body.len)) {
		if (res == CURLE_WRITE_ERROR)
			fprintf(stderr, "crowdloop: the answer from %s is over %zu MiB\n", c->server,
				ANSWER_MAX >> 20);
		else
			print_transport_error(c, res);
		status = 0;
		goto out;
	}
	json_t *json = NULL;
	if (body.len)
		json = json_loadb(body.data, body.len, 0, NULL);
	if (status < 200 || status > 299)
		print_http_error(c, status, json, body.data, body.len);
	if (answer)
		*answer = json;
	else
		json_decref(json);
out:
	buf_release(&body);
	return status;
}

long client_get_json(client *c, const char *path, json_t **answer)
{
	struct curl_slist *headers = NULL;
	long status = 0;
	if (answer)
		*answer = NULL;
	if (prepare(c, path, &headers, NULL) == 0) {
		curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
		status = perform_json(c, answer);
	}
	curl_slist_free_all(headers);
	return status;
}

long client_post_json(client *c, const char *path, const json_t *body, json_t **answer)
{
	struct curl_slist *headers = NULL;
	char *text = NULL;
	long status = 0;

	if (answer)
		*answer = NULL;
	if (body) {
		text = json_dumps(body, JSON_OUT);
		if (!text) {
			fprintf(stderr, "crowdloop: out of memory\n");
			return 0;
		}
	}
	if (prepare(c, path, &headers, "application/json") == 0) {
		curl_easy_setopt(c->curl, CURLOPT_POST, 1L);
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDS, text ? text : "");
		curl_easy_setopt(c->curl, CURLOPT_POSTFIELDSIZE_LARGE,
				 (curl_off_t)(text ? strlen(text) : 0));
		status = perform_json(c, answer);
	}
	curl_slist_free_all(headers);
	if (text) {
		/* Login bodies carry a password. */
		explicit_bzero(text, strlen(text));
		free(text);
	}
	return status;
}

/* ---- streaming ---- */

struct download {
	CURL *h;
	FILE *out;
	long status;       /* 0 until the first body bytes */
	buf error_body;    /* a non-2xx answer's body */
	int write_errno;
	int64_t done, total;
	client_progress_fn progress;
	void *arg;
};

static size_t download_cb(char *data, size_t size, size_t n, void *arg)
{
	struct download *d = arg;
	size_t len = size * n;

	if (d->status == 0) {
		curl_easy_getinfo(d->h, CURLINFO_RESPONSE_CODE, &d->status);
		curl_off_t cl = -1;
		curl_easy_getinfo(d->h, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
		d->total = cl >= 0 ? (int64_t)cl : -1;
	}
	if (d->status < 200 || d->status > 299) {
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

long client_download(client *c, const char *path, FILE *out, client_progress_fn progress,
		     void *arg)
{
	struct curl_slist *headers = NULL;
	struct download d = {.h = c->curl, .out = out, .total = -1, .progress = progress,
			     .arg = arg};
	long status = 0;

	buf_init(&d.error_body, ERROR_BODY_MAX + 1);
	if (prepare(c, path, &headers, NULL))
		goto out;
	curl_easy_setopt(c->curl, CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(c->curl, CURLOPT_WRITEFUNCTION, download_cb);
	curl_easy_setopt(c->curl, CURLOPT_WRITEDATA, &d);
	errno = 0;
	CURLcode res = curl_easy_perform(c->curl);
	curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &status);
	if (res != CURLE_OK) {
		if (d.write_errno)
			fprintf(stderr, "crowdloop: cannot write the download: %s\n",
				strerror(d.write_errno));
		else if (d.status >= 200 && d.status <= 299)
			fprintf(stderr, "crowdloop: the download from %s broke off after %lld "
					"bytes: %s\n", c->server, (long long)d.done,
				c->errbuf[0] ? c->errbuf : curl_easy_strerror(res));
		else if (status >= 400 && d.error_body.len)
			goto http_error;
		else
			print_transport_error(c, res);
		status = 0;
		goto out;
	}
	if (status >= 200 && status <= 299)
		goto out;
http_error:;
	json_t *json = d.error_body.len
			       ? json_loadb(d.error_body.data, d.error_body.len, 0, NULL)
			       : NULL;
	print_http_error(c, status, json, d.error_body.data, d.error_body.len);
	json_decref(json);
out:
	buf_release(&d.error_body);
	curl_slist_free_all(headers);
	return status;
}

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

long client_upload(client *c, const char *path, const char *file, const char *content_type,
		   int multipart, client_progress_fn progress, void *arg, json_t **answer)
{
	struct curl_slist *headers = NULL;
	curl_mime *mime = NULL;
	struct upload u = {.total = -1, .progress = progress, .arg = arg};
	long status = 0;

	if (answer)
		*answer = NULL;
	u.in = fopen(file, "rb");
	if (!u.in) {
		fprintf(stderr, "crowdloop: cannot open %s: %s\n", file, strerror(errno));
		return 0;
	}
	struct stat st;
	if (fstat(fileno(u.in), &st) == 0 && S_ISREG(st.st_mode))
		u.total = (int64_t)st.st_size;

	if (prepare(c, path, &headers, multipart ? NULL : content_type))
		goto out;
	CURL *h = c->curl;
	if (multipart) {
		const char *base = strrchr(file, '/');
		base = base ? base + 1 : file;
		mime = curl_mime_init(h);
		curl_mimepart *part = mime ? curl_mime_addpart(mime) : NULL;
		if (!part || curl_mime_name(part, "file") || curl_mime_filename(part, base) ||
		    curl_mime_type(part, content_type) ||
		    curl_mime_data_cb(part, u.total, upload_read_cb, upload_seek_cb, NULL, &u)) {
			fprintf(stderr, "crowdloop: out of memory\n");
			goto out;
		}
		curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
	} else {
		curl_easy_setopt(h, CURLOPT_POST, 1L);
		curl_easy_setopt(h, CURLOPT_READFUNCTION, upload_read_cb);
		curl_easy_setopt(h, CURLOPT_READDATA, &u);
		curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, upload_seek_cb);
		curl_easy_setopt(h, CURLOPT_SEEKDATA, &u);
		/* -1 (not a regular file) makes curl send the body chunked. */
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)u.total);
	}
	status = perform_json(c, answer);
	if (status == 0 && u.read_errno)
		fprintf(stderr, "crowdloop: cannot read %s: %s\n", file, strerror(u.read_errno));
out:
	curl_mime_free(mime);
	curl_slist_free_all(headers);
	fclose(u.in);
	return status;
}

/* ---- progress line ---- */

void client_progress_init(client_progress *p, const char *label, int enabled)
{
	p->label = label;
	p->enabled = enabled;
	p->drawn = 0;
	p->last_ns = 0;
}

static void human_bytes(int64_t n, char *out, size_t size)
{
	static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	double v = (double)n;
	size_t u = 0;
	while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(out, size, "%lld B", (long long)n);
	else
		snprintf(out, size, "%.1f %s", v, units[u]);
}

void client_progress_update(void *arg, int64_t done, int64_t total)
{
	client_progress *p = arg;
	if (!p->enabled)
		return;
	int64_t now = clock_mono_ns();
	int finished = total >= 0 && done >= total;
	if (p->drawn && !finished && now - p->last_ns < 100000000)
		return;
	p->last_ns = now;

	char d[32], t[32];
	human_bytes(done, d, sizeof d);
	fputs("\r\033[K", stderr);
	client_fput_cell(stderr, p->label ? p->label : "", 24, 0);
	if (total > 0) {
		enum { WIDTH = 30 };
		int64_t pct = done >= total ? 100 : done * 100 / total;
		int fill = (int)(pct * WIDTH / 100);
		human_bytes(total, t, sizeof t);
		fputs(" [", stderr);
		for (int i = 0; i < WIDTH; i++)
			fputc(i < fill ? '#' : '.', stderr);
		fprintf(stderr, "] %3d%%  %s / %s", (int)pct, d, t);
	} else {
		fprintf(stderr, " %s", d);
	}
	fflush(stderr);
	p->drawn = 1;
}

void client_progress_end(client_progress *p)
{
	if (p->enabled && p->drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	p->drawn = 0;
}

/* ---- text for the terminal ---- */

#define CP_BAD 0xFFFFFFFFu

/* Decodes one UTF-8 sequence; malformed input yields CP_BAD for one byte. */
static size_t utf8_next(const unsigned char *s, uint32_t *cp)
{
	unsigned char c = s[0];
	size_t n;
	uint32_t v, min;
	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		n = 2, v = c & 0x1F, min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3, v = c & 0x0F, min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4, v = c & 0x07, min = 0x10000;
	} else {
		*cp = CP_BAD;
		return 1;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) {
			*cp = CP_BAD;
			return 1;
		}
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) {
		*cp = CP_BAD;
		return 1;
	}
	*cp = v;
	return n;
}

/* Characters shown as '?': controls, and the invisible ones that reorder or hide text. */
static int cp_hidden(uint32_t cp)
{
	return cp == CP_BAD || cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
	       (cp >= 0x200B && cp <= 0x200F) || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2060 && cp <= 0x206F) || cp == 0xFEFF;
}

static int cp_width(uint32_t cp)
{
	if (cp_hidden(cp))
		return 1;
	if (cp >= 0x0300 && cp <= 0x036F)
		return 0;
	if ((cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0x303E) ||
	    (cp >= 0x3041 && cp <= 0xA4CF) || (cp >= 0xAC00 && cp <= 0xD7A3) ||
	    (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFE30 && cp <= 0xFE4F) ||
	    (cp >= 0xFF00 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6) ||
	    (cp >= 0x1F300 && cp <= 0x1F64F) || (cp >= 0x1F900 && cp <= 0x1F9FF) ||
	    (cp >= 0x20000 && cp <= 0x3FFFD))
		return 2;
	return 1;
}

/* Prints s up to `max` columns (max < 0: all); returns the columns printed. */
static int put_text(FILE *out, const char *s, int max)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;
	while (*p) {
		uint32_t cp;
		size_t n = utf8_next(p, &cp);
		int w = cp_width(cp);
		if (max >= 0 && cols + w > max)
			break;
		if (cp_hidden(cp))
			fputc('?', out);
		else
			fwrite(p, 1, n, out);
		cols += w;
		p += n;
	}
	return cols;
}

void client_fput_text(FILE *out, const char *s)
{
	put_text(out, s, -1);
}

int client_text_width(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	int cols = 0;
	while (*p) {
		uint32_t cp;
		p += utf8_next(p, &cp);
		cols += cp_width(cp);
	}
	return cols;
}

void client_fput_cell(FILE *out, const char *s, int width, int right)
{
	int w = client_text_width(s);
	if (w <= width) {
		if (right)
			fprintf(out, "%*s", width - w, "");
		put_text(out, s, -1);
		if (!right)
			fprintf(out, "%*s", width - w, "");
		return;
	}
	int cols = width > 0 ? put_text(out, s, width - 1) : 0;
	if (width > 0) {
		fputc('~', out);
		cols++;
	}
	fprintf(out, "%*s", width - cols, "");
}

long long client_parse_id(const char *s)
{
	if (!s || *s < '1' || *s > '9')
		return 0;
	for (const char *p = s; *p; p++)
		if (*p < '0' || *p > '9')
			return 0;
	errno = 0;
	long long v = strtoll(s, NULL, 10);
	return errno ? 0 : v;
}

const char *client_json_text(const json_t *v, char *tmp, size_t size)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v))
		snprintf(tmp, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(tmp, size, "%g", json_real_value(v));
	else if (json_is_boolean(v))
		snprintf(tmp, size, "%s", json_is_true(v) ? "true" : "false");
	else
		snprintf(tmp, size, "-");
	return tmp;
}

char *client_escape(client *c, const char *s)
{
	char *e = curl_easy_escape(c->curl, s, 0);
	char *copy = e ? strdup(e) : NULL;
	curl_free(e);
	return copy;
}
