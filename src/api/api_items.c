/* Items: importing raw data (JSONL, CSV, files, archives) into a project with an import report,
 * listing and reading items, and serving their assets with a server-chosen Content-Type. */
#include "api/api.h"
#include "api/prefill.h"
#include "core/import_job.h"
#include "store/blobs.h"
#include "util/json.h"
#include "util/json_read.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* The OCR pre-fill of imported images (api/prefill.c), as core's import opens it for each
 * upload it writes. */
typedef struct import_prefill_ctx {
	app *a;
	const project *p;
	prefill pf;
} import_prefill_ctx;

static void prefill_start(void *ctx, char *why, size_t why_size)
{
	import_prefill_ctx *c = ctx;
	prefill_open(&c->pf, c->a, c->p, why, why_size);
}

static json_t *prefill_entry(void *ctx, const import_entry *e, char *why, size_t why_size)
{
	return prefill_image(&((import_prefill_ctx *)ctx)->pf, e, why, why_size);
}

static void prefill_end(void *ctx)
{
	prefill_close(&((import_prefill_ctx *)ctx)->pf);
}

static const import_prefill api_prefill = {prefill_start, prefill_entry, prefill_end};

/* Where an import into p goes, pre-filling through c. */
static import_target import_target_of(app *a, const project *p, import_prefill_ctx *c)
{
	*c = (import_prefill_ctx){.a = a, .p = p};
	return (import_target){.s = &a->store,
			       .data_dir = a->data_dir,
			       .p = p,
			       .max_image_pixels = a->max_image_pixels,
			       .prefill = &api_prefill,
			       .prefill_ctx = c};
}

int api_import(app *a, const project *p, const char *content_type, const char *source,
	       const void *data, size_t len, json_t *report, cl_error *err)
{
	import_prefill_ctx c;
	import_target t = import_target_of(a, p, &c);
	return import_write(&t, content_type, source, data, len, report, err);
}

int api_import_whole(app *a, const project *p, const import_file *files, size_t n,
		     import_progress *pr, int (*before_store)(void *arg, cl_error *err), void *arg,
		     const import_record *record, json_t *report, cl_error *err)
{
	import_prefill_ctx c;
	import_target t = import_target_of(a, p, &c);
	t.record = record;
	return import_whole(&t, files, n, pr, before_store, arg, report, err);
}

/* The request's files as core's import reads them: a new array of *n (NULL when out of
 * memory). */
static import_file *request_files(const http_request *r, size_t *n)
{
	*n = 0;
	for (const http_file *f = r->files; f; f = f->next)
		(*n)++;
	import_file *files = calloc(*n ? *n : 1, sizeof *files);
	size_t i = 0;
	for (const http_file *f = r->files; files && f; f = f->next)
		files[i++] = (import_file){f->filename, f->data.data, f->data.len, NULL};
	return files;
}

void api_body_type_and_source(const http_request *r, char type[128], char source[256])
{
	type[0] = '\0';
	if (r->content_type) {
		snprintf(type, 128, "%s", r->content_type);
		type[strcspn(type, "; ")] = '\0';
	}
	snprintf(source, 256, "body");
	const char *fn =
	    r->content_disposition ? strstr(r->content_disposition, "filename=\"") : NULL;
	if (fn) {
		snprintf(source, 256, "%s", fn + 10);
		source[strcspn(source, "\"")] = '\0';
		if (!source[0])
			snprintf(source, 256, "body");
	}
}

/* Imports what the request carries into t's project, adding to report. */
static int import_request(http_request *r, const import_target *t, json_t *report)
{
	if (r->files) {
		/* Parts are typed by their names and bytes, never by what the client claimed. */
		size_t n;
		import_file *files = request_files(r, &n);
		int rc = files ? import_files(t, files, n, report, &r->err)
			       : http_fail(r, CL_ENOMEM, NULL, "out of memory");
		free(files);
		return rc;
	}
	if (r->content_type && !strncasecmp(r->content_type, "multipart/", 10))
		return http_fail(r, CL_EINVAL, NULL, "the multipart body holds no files");
	if (!r->upload.len)
		return http_fail(r, CL_EINVAL, NULL, "the request body is empty");
	char type[128], source[256];
	api_body_type_and_source(r, type, source);
	if (!type[0])
		return http_fail(r, CL_EMEDIA, NULL, "say what the body is with Content-Type");
	return import_upload(t, type, source, r->upload.data, r->upload.len, report, &r->err);
}

int api_items_import(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	int rc = import_project_open(p, &r->err);
	if (rc)
		return rc;
	if (api_imports_wanted(r))
		return api_imports_start(r);
	json_t *report = import_report_new();
	import_prefill_ctx c;
	import_target t = import_target_of(api_app(r), p, &c);
	rc = import_request(r, &t, report);
	if (!rc)
		http_json(r, 200, report);
	else
		json_decref(report);
	return rc;
}

int api_items_list(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	const char *type = http_query(r, "type");
	if (!rc && type && strcmp(type, "text") && strcmp(type, "image"))
		rc = http_fail(r, CL_EINVAL, NULL, "unknown type filter \"%.32s\"", type);
	/* A project holds items of its kind's one type alone (imports refuse the other; a kind
	 * never changes): the other type's filter finds nothing, without reading every item to
	 * be sure of it. */
	if (!rc && type && strcmp(type, item_type_name(task_kind_item_type(p->kind)))) {
		next = 0;
		http_json_page(r, json_array(), &next);
	} else if (!rc) {
		json_t *items =
		    store_items_list(api_app(r)->db, p->id, type, cursor, limit, desc, &next);
		http_json_page(r, items, &next);
	}
	return rc;
}

/* Items are readable by the project's staff and by anyone who may label or review in it: the
 * route's declaration (ITEM_VISIBLE in api/authorize.c). */
int api_items_get(http_request *r)
{
	http_json(r, 200, json_incref(api_scope_of(r)->object));
	return 0;
}

int api_items_asset(http_request *r)
{
	return api_item_asset_send(r, r->ids[0]);
}

int api_item_asset_send(http_request *r, int64_t item_id)
{
	app *a = api_app(r);
	int64_t project_id;
	char type[8], blob[80], mime[40];
	char *text = NULL;
	if (store_item_asset(a->db, item_id, &project_id, type, blob, mime, &text))
		return http_fail(r, CL_ENOTFOUND, NULL, "item not found");
	if (!strcmp(type, "text")) {
		http_bytes(r, 200, "text/plain; charset=utf-8", text ? text : "",
			   text ? strlen(text) : 0);
		free(text);
	} else {
		free(text);
		char path[4096];
		int fd = -1;
		struct stat sb;
		if (blob_path(a->data_dir, blob, path, sizeof path) ||
		    (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &sb)) {
			if (fd >= 0)
				close(fd);
			return http_fail(r, CL_EINTERNAL, NULL, "the item's file is missing");
		}
		r->response = MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
		r->status = 200;
		/* The type was found from the bytes at import; never what a client claimed. */
		http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, mime);
	}
	http_header(r, "Cache-Control", "private, max-age=86400");
	http_header(r, "Content-Security-Policy", "sandbox; default-src 'none'");
	http_header(r, "Content-Disposition", "inline");
	return 0;
}
