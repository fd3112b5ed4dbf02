/* The web app's files: any GET outside /api/ that is not a route is a file of the built front
 * end, or index.html so the browser app can route itself. Hashed files under /assets/ are
 * cached for a year; index.html is revalidated every time. */
#include "api/api.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
	const char *ext, *type;
} types[] = {
	{".html", "text/html; charset=utf-8"}, {".js", "text/javascript; charset=utf-8"},
	{".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
	{".json", "application/json"}, {".svg", "image/svg+xml"}, {".png", "image/png"},
	{".ico", "image/x-icon"}, {".woff2", "font/woff2"}, {".map", "application/json"},
	{".txt", "text/plain; charset=utf-8"},
};

static const char *type_of(const char *path)
{
	const char *dot = strrchr(path, '.');
	for (size_t i = 0; dot && i < sizeof types / sizeof types[0]; i++)
		if (!strcmp(dot, types[i].ext))
			return types[i].type;
	return "application/octet-stream";
}

static int serve_file(http_request *r, const char *path, bool immutable)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0)
		return CL_ENOTFOUND;
	if (fstat(fd, &sb) || !S_ISREG(sb.st_mode)) {
		close(fd);
		return CL_ENOTFOUND;
	}
	r->response = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
	r->status = 200;
	http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type_of(path));
	http_header(r, "Cache-Control",
		    immutable ? "public, max-age=31536000, immutable" : "no-cache");
	return 0;
}

/* Whether `path` is `prefix` or under it: the API's own paths, never the browser app's. */
static bool under_api(const char *path, const char *prefix)
{
	size_t n = strlen(prefix);
	return !strncmp(path, prefix, n) && (!path[n] || path[n] == '/');
}

int api_static(http_request *r)
{
	app *a = api_app(r);
	if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
		return http_fail(r, CL_ENOTFOUND, NULL, "no route for %s %s", r->method, r->path);
	if (under_api(r->path, "/api") || under_api(r->path, "/v2"))
		return http_fail(r, CL_ENOTFOUND, NULL, "no route for %s %s", r->method, r->path);
	/* Only plain names: no "..", no hidden files, no backslashes. */
	if (strstr(r->path, "..") || strstr(r->path, "/.") || strchr(r->path, '\\'))
		return http_fail(r, CL_ENOTFOUND, NULL, "not found");
	char path[4096];
	bool asset = !strncmp(r->path, "/assets/", 8);
	if (strcmp(r->path, "/")) {
		snprintf(path, sizeof path, "%s%s", a->web_dir, r->path);
		if (!serve_file(r, path, asset))
			return 0;
		if (asset)
			return http_fail(r, CL_ENOTFOUND, NULL, "no such asset");
	}
	snprintf(path, sizeof path, "%s/index.html", a->web_dir);
	if (!serve_file(r, path, false))
		return 0;
	static const char page[] =
		"<!doctype html><meta charset=utf-8><title>crowdloop</title>"
		"<p>The web app is not built. Run <code>make run</code>, or use the API at /api/v1.";
	http_bytes(r, 200, "text/html; charset=utf-8", page, sizeof page - 1);
	return 0;
}
