/* Error codes shared by every layer: 0 is success, negative values are errors. Only the HTTP
 * edge turns them into a status and a JSON body (see http/response.h). */
#ifndef CROWDLOOP_UTIL_ERR_H
#define CROWDLOOP_UTIL_ERR_H

enum cl_err {
	CL_OK = 0,
	CL_EINVAL = -1,        /* malformed or wrong input: 400 */
	CL_EUNAUTH = -2,       /* no or bad credentials: 401 */
	CL_EFORBIDDEN = -3,    /* known, visible object, but the role is too low: 403 */
	CL_ENOTFOUND = -4,     /* missing, or not visible to the caller: 404 */
	CL_ECONFLICT = -5,     /* state does not allow the action: 409 */
	CL_ETOOBIG = -6,       /* over a size limit: 413 */
	CL_EMEDIA = -7,        /* unsupported content type: 415 */
	CL_EANNOTATION = -8,   /* annotation fails validation: 422 */
	CL_ERATE = -9,         /* too many attempts: 429 */
	CL_EINTERNAL = -10,    /* bug or I/O failure: 500 */
	CL_EUNAVAIL = -11,     /* shutting down or overloaded: 503 */
	CL_ENOMEM = -12,       /* out of memory: 500 */
	CL_EURI = -13,         /* request target over the server's limit: 414 */
	CL_EHEADERS = -14,     /* request header fields over the server's limit: 431 */
};

/* A failure with its machine code ("lease_expired") and a message for people. Functions that
 * can fail for several reasons fill one of these; the HTTP edge sends it as is. */
typedef struct cl_error {
	int code;          /* enum cl_err */
	char name[48];     /* machine code; empty means the default for `code` */
	char message[256];
} cl_error;

/* Fills `e` (when not NULL) and returns `code`, so callers can `return cl_fail(e, ...)`. */
int cl_fail(cl_error *e, int code, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The default machine code ("not_found") and HTTP status (404) of an error code. */
const char *cl_err_name(int code);
int cl_err_http_status(int code);

#endif
