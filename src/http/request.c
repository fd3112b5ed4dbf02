/* Reading requests: query parameters (allow-listed), list paging, JSON bodies with depth and
 * type checks. */
#include "http/internal.h"
#include "util/json_read.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

const char *http_query(const http_request *r, const char *key)
{
	for (int i = 0; i < r->n_query; i++)
		if (!strcmp(r->query[i].key, key))
			return r->query[i].value;
	return NULL;
}

int http_query_check(http_request *r, const char *const *allowed)
{
	static const char *const none[] = {NULL};
	if (!allowed)
		allowed = r->route && r->route->query ? r->route->query : none;
	for (int i = 0; i < r->n_query; i++) {
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, r->query[i].key);
		if (!ok)
			return http_fail(r, CL_EINVAL, "unknown_parameter",
					 "unknown query parameter \"%.64s\"", r->query[i].key);
	}
	return 0;
}

static int parse_id(const char *s, int64_t *out)
{
	if (!s || !*s)
		return -1;
	errno = 0;
	char *end;
	long long v = strtoll(s, &end, 10);
	if (errno || *end || v <= 0)
		return -1;
	*out = v;
	return 0;
}

int http_query_id(http_request *r, const char *key, int64_t *out)
{
	const char *v = http_query(r, key);
	*out = 0;
	if (!v)
		return 0;
	if (parse_id(v, out))
		return http_fail(r, CL_EINVAL, NULL, "query parameter %s must be a positive integer",
				 key);
	return 0;
}

int http_page(http_request *r, const char *const *allowed, int64_t *cursor, int *limit,
	      bool *desc)
{
	*cursor = 0;
	*limit = 50;
	*desc = false;
	int rc = http_query_check(r, allowed);
	if (rc)
		return rc;
	const char *v = http_query(r, "limit");
	int64_t n;
	if (v) {
		if (parse_id(v, &n) || n > 500)
			return http_fail(r, CL_EINVAL, NULL, "limit must be an integer from 1 to 500");
		*limit = (int)n;
	}
	v = http_query(r, "cursor");
	if (v && parse_id(v, cursor))
		return http_fail(r, CL_EINVAL, NULL, "cursor is not one this server gave");
	v = http_query(r, "sort");
	if (v) {
		if (!strcmp(v, "-id"))
			*desc = true;
		else if (strcmp(v, "id"))
			return http_fail(r, CL_EINVAL, "unknown_sort",
					 "unknown sort key \"%.64s\" (use id or -id)", v);
	}
	return 0;
}

const char *http_body(const http_request *r, size_t *len)
{
	bool spooled = r->upload.len && !(r->route && (r->route->flags & ROUTE_UPLOAD));
	*len = spooled ? r->upload.len : r->body.len;
	return spooled ? r->upload.data : r->body.data;
}

int http_body_json(http_request *r, json_t **out)
{
	size_t len;
	const char *body = http_body(r, &len);
	*out = NULL;
	if (r->content_type && strncasecmp(r->content_type, "application/json", 16))
		return http_fail(r, CL_EMEDIA, NULL, "send the body as application/json");
	if (!len)
		return http_fail(r, CL_EINVAL, "malformed_json", "the request body is empty");
	if (!json_depth_ok(body, len, HTTP_JSON_MAX_DEPTH))
		return http_fail(r, CL_EINVAL, "too_deep", "JSON nesting is deeper than %d",
				 HTTP_JSON_MAX_DEPTH);
	json_error_t e;
	json_t *v = json_loadb(body, len, JSON_REJECT_DUPLICATES, &e);
	if (!v)
		return http_fail(r, CL_EINVAL, "malformed_json", "malformed JSON at line %d column %d: %s",
				 e.line, e.column, e.text);
	if (!json_is_object(v)) {
		json_decref(v);
		return http_fail(r, CL_EINVAL, "malformed_json", "the body must be a JSON object");
	}
	const json_field *fields = r->route ? r->route->body : NULL;
	int rc =
	    fields ? json_fields_check(v, fields, strcmp(r->method, "PATCH") != 0, &r->err) : 0;
	if (rc) {
		json_decref(v);
		return rc;
	}
	*out = v;
	return 0;
}

const char *http_header_value(const http_request *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}
