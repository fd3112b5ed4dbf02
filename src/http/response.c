/* Building answers: JSON bodies, list pages, raw bytes and the uniform error body. */
#include "http/internal.h"
#include "util/json.h"
#include "util/json_write.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_response(http_request *r, int status, struct MHD_Response *resp)
{
	if (r->response)
		MHD_destroy_response(r->response);
	r->response = resp;
	r->status = status;
}

void http_json_text(http_request *r, int status, buf *body)
{
	size_t len = 0;
	char *text = buf_detach(body, &len);
	if (!text) {
		http_error_reply(r, CL_ENOMEM);
		return;
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
	set_response(r, status, resp);
}

void http_json(http_request *r, int status, json_t *body)
{
	buf b;
	buf_init(&b, 0);
	int rc = body ? json_write(&b, body) : CL_EINTERNAL;
	json_decref(body);
	if (rc)
		http_error_reply(r, rc == CL_EINTERNAL ? CL_EINTERNAL : CL_ENOMEM);
	else
		http_json_text(r, status, &b);
	buf_release(&b);
}

void http_json_page(http_request *r, json_t *items, const int64_t *next)
{
	if (!items) {
		/* The store could not make the page: 500, as http_json answers a missing body. */
		http_json(r, 200, NULL);
		return;
	}
	json_t *o = json_object();
	json_object_set_new(o, "items", items);
	if (next && *next) {
		char cur[24];
		snprintf(cur, sizeof cur, "%lld", (long long)*next);
		json_object_set_new(o, "next_cursor", json_string(cur));
	} else {
		json_object_set_new(o, "next_cursor", json_null());
	}
	http_json(r, 200, o);
}

void http_bytes(http_request *r, int status, const char *content_type, const void *data,
		size_t len)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
	set_response(r, status, resp);
}

void http_no_content(http_request *r)
{
	set_response(r, 204, MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT));
}

int http_fail(http_request *r, int code, const char *name, const char *fmt, ...)
{
	r->err.code = code;
	snprintf(r->err.name, sizeof r->err.name, "%s", name ? name : "");
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err.message, sizeof r->err.message, fmt, ap);
	va_end(ap);
	return code;
}

/* MLflow's error code for ours: its clients branch on these names. */
static const char *mlflow_error_code(int code)
{
	switch (code) {
	case CL_ENOTFOUND: return "RESOURCE_DOES_NOT_EXIST";
	case CL_EUNAUTH: return "UNAUTHENTICATED";
	case CL_EFORBIDDEN: return "PERMISSION_DENIED";
	case CL_ECONFLICT: return "RESOURCE_ALREADY_EXISTS";
	case CL_ETOOBIG: return "RESOURCE_LIMIT_EXCEEDED";
	case CL_ERATE: return "REQUEST_LIMIT_EXCEEDED";
	case CL_EUNAVAIL: return "TEMPORARILY_UNAVAILABLE";
	case CL_EINTERNAL:
	case CL_ENOMEM: return "INTERNAL_ERROR";
	default: return "INVALID_PARAMETER_VALUE";
	}
}

/* Whether r's errors take the Open Inference Protocol's shape: its routes', and a path under
 * /v2 that no route matched. */
static bool oip_errors(const http_request *r)
{
	if (r->route)
		return r->route->flags & ROUTE_OIP;
	return !strncmp(r->path, "/v2", 3) && (!r->path[3] || r->path[3] == '/');
}

json_t *http_error_body(const http_request *r, int code, const char *name, const char *message)
{
	if (r->route && (r->route->flags & ROUTE_MLFLOW))
		return json_pack("{s:s,s:s}", "error_code", mlflow_error_code(code), "message",
				 message);
	if (oip_errors(r))
		return json_pack("{s:s}", "error", message);
	return json_pack("{s:{s:s,s:s}}", "error", "code", name, "message", message);
}

void http_error_reply(http_request *r, int code)
{
	const char *name = r->err.code == code && r->err.name[0] ? r->err.name : cl_err_name(code);
	const char *message = r->err.code == code && r->err.message[0] ? r->err.message : NULL;
	if (!message) {
		switch (code) {
		case CL_EUNAUTH: message = "authentication required"; break;
		case CL_ENOTFOUND: message = "not found"; break;
		case CL_EFORBIDDEN: message = "not allowed"; break;
		case CL_ETOOBIG: message = "too large"; break;
		case CL_ECONFLICT: message = "conflicts with the current state"; break;
		case CL_EUNAVAIL: message = "unavailable for now; try again later"; break;
		default: message = "internal error"; break;
		}
	}
	json_t *body = http_error_body(r, code, name, message);
	if (r->err.code == code && r->err_detail && json_is_object(json_object_get(body, "error")))
		json_object_update_missing(json_object_get(body, "error"), r->err_detail);
	http_json(r, cl_err_http_status(code), body);
	if ((code == CL_ERATE || code == CL_EUNAVAIL) && r->response &&
	    !MHD_get_response_header(r->response, "Retry-After")) {
		/* The real wait when the error says it (a key's rate), else a minute for a rate and
		 * half a minute for unavailability. */
		const json_t *wait = r->err.code == code
					 ? json_object_get(r->err_detail, "retry_after_s")
					 : NULL;
		char secs[24];
		snprintf(secs, sizeof secs, "%lld",
			 wait ? (long long)json_integer_value(wait) : code == CL_ERATE ? 60LL : 30LL);
		MHD_add_response_header(r->response, "Retry-After", secs);
	}
	if (code == CL_EUNAUTH && r->response)
		MHD_add_response_header(r->response, "WWW-Authenticate", "Bearer");
}

void http_header(http_request *r, const char *name, const char *value)
{
	if (r->response)
		MHD_add_response_header(r->response, name, value);
}
