/* A project's figures, and the export of its approved annotations streamed in constant memory:
 * rows are read from a snapshot and written as they go. A failure mid-stream aborts the
 * chunked answer, so a client never mistakes a cut export for a whole one. */
#include "api/api.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

int api_stats(http_request *r)
{
	static const char *const keys[] = {NULL};
	project p;
	project_init(&p);
	int rc = api_project_access(r, r->ids[0], ACCESS_READ_DATA, &p, NULL);
	if (!rc)
		rc = http_query_check(r, keys);
	if (!rc)
		http_json(r, 200, store_project_stats(api_app(r)->db, p.id, clock_now_ms()));
	project_release(&p);
	return rc;
}

typedef struct export_stream {
	export_cursor *cur;
	buf pending;
	size_t sent;
	bool done;
} export_stream;

static ssize_t export_read(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	export_stream *x = cls;
	while (x->pending.len - x->sent < max && !x->done) {
		int rc = store_export_next(x->cur, &x->pending);
		if (rc < 0)
			return MHD_CONTENT_READER_END_WITH_ERROR;
		if (rc == 0)
			x->done = true;
	}
	size_t avail = x->pending.len - x->sent;
	if (!avail)
		return MHD_CONTENT_READER_END_OF_STREAM;
	size_t n = avail < max ? avail : max;
	memcpy(out, x->pending.data + x->sent, n);
	x->sent += n;
	if (x->sent == x->pending.len) {
		x->pending.len = 0;
		x->sent = 0;
	}
	return (ssize_t)n;
}

static void export_free(void *cls)
{
	export_stream *x = cls;
	store_export_close(x->cur);
	buf_release(&x->pending);
	free(x);
}

int api_export(http_request *r)
{
	static const char *const keys[] = {"format", NULL};
	project p;
	project_init(&p);
	int rc = api_project_access(r, r->ids[0], ACCESS_READ_DATA, &p, NULL);
	if (!rc)
		rc = http_query_check(r, keys);
	const char *format = http_query(r, "format");
	if (!rc && format && strcmp(format, "jsonl"))
		rc = http_fail(r, CL_EINVAL, "unknown_format", "unknown export format \"%.32s\"",
			       format);
	export_stream *x = NULL;
	if (!rc) {
		x = calloc(1, sizeof *x);
		buf_init(&x->pending, 0);
		x->cur = store_export_open(api_app(r)->db, p.id);
		if (!x->cur) {
			free(x);
			rc = http_fail(r, CL_EINTERNAL, NULL, "cannot open the export");
		}
	}
	if (!rc) {
		r->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64 * 1024,
								 export_read, x, export_free);
		r->status = 200;
		http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/x-ndjson");
		char disp[96];
		snprintf(disp, sizeof disp, "attachment; filename=\"project-%lld.jsonl\"",
			 (long long)p.id);
		http_header(r, "Content-Disposition", disp);
	}
	project_release(&p);
	return rc;
}
