/* Error codes: their names, HTTP statuses, and the helper that fills a cl_error. */
#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cl_fail(cl_error *e, int code, const char *name, const char *fmt, ...)
{
	if (e) {
		e->code = code;
		snprintf(e->name, sizeof e->name, "%s", name ? name : "");
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof e->message, fmt, ap);
		va_end(ap);
	}
	return code;
}

static const struct {
	int code;
	const char *name;
	int status;
} err_table[] = {
	{CL_OK, "ok", 200},
	{CL_EINVAL, "bad_request", 400},
	{CL_EUNAUTH, "unauthorized", 401},
	{CL_EFORBIDDEN, "forbidden", 403},
	{CL_ENOTFOUND, "not_found", 404},
	{CL_ECONFLICT, "conflict", 409},
	{CL_ETOOBIG, "too_large", 413},
	{CL_EMEDIA, "unsupported_media_type", 415},
	{CL_EANNOTATION, "invalid_annotation", 422},
	{CL_ERATE, "too_many_requests", 429},
	{CL_EINTERNAL, "internal", 500},
	{CL_EUNAVAIL, "unavailable", 503},
	{CL_ENOMEM, "internal", 500},
	{CL_EURI, "uri_too_long", 414},
	{CL_EHEADERS, "headers_too_large", 431},
};

const char *cl_err_name(int code)
{
	for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
		if (err_table[i].code == code)
			return err_table[i].name;
	return "internal";
}

int cl_err_http_status(int code)
{
	for (size_t i = 0; i < sizeof err_table / sizeof err_table[0]; i++)
		if (err_table[i].code == code)
			return err_table[i].status;
	return 500;
}
