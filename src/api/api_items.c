/* Items: importing raw data (JSONL, CSV, files, archives) into a project with an import report,
 * listing and reading items, and serving their assets with a server-chosen Content-Type. */
#include "api/api.h"
#include "api/prefill.h"
#include "core/import.h"
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

/* Request bodies and imported files share one nesting limit. */

#define IMPORT_BATCH 10000

/* An import in progress: entries are batched into store transactions. */
typedef struct import_run {
	app *a;
	const project *p;
	item_new *batch;
	size_t n, cap;
	bool hold; /* every item held until the end, stored in one transaction */
	json_t *report;
	cl_error *err;
	prefill pf; /* OCR pre-fill of transcription images */
} import_run;

static void batch_clear(import_run *x)
{
	for (size_t i = 0; i < x->n; i++) {
		free((char *)x->batch[i].text);
		free((char *)x->batch[i].blob);
		free((char *)x->batch[i].mime);
		free((char *)x->batch[i].meta);
		free((char *)x->batch[i].source);
	}
	x->n = 0;
}

static int batch_flush(import_run *x)
{
	if (!x->n)
		return 0;
	int rc = store_items_insert(x->a->db, x->p->id, x->p->overlap, x->batch, x->n, x->report,
				    x->err);
	batch_clear(x);
	return rc;
}

static void report_reject(json_t *report, const char *source, long line, const char *reason)
{
	json_t *o = json_pack("{s:s,s:s}", "source", source ? source : "body", "reason", reason);
	if (line > 0)
		json_object_set_new(o, "line", json_integer(line));
	json_t *list = json_object_get(report, "rejections");
	json_array_append_new(list, o);
	json_object_set_new(report, "rejected", json_integer((json_int_t)json_array_size(list)));
}

static int on_reject(void *ctx, const char *source, long line, const char *reason)
{
	report_reject(((import_run *)ctx)->report, source, line, reason);
	return 0;
}

/* The entry's meta (a new reference, NULL when none), with the OCR pre-fill of an image
 * that brought no pre-annotation of its own. */
static json_t *with_prefill(import_run *x, const import_entry *e)
{
	json_t *meta = e->meta ? json_deep_copy(e->meta) : NULL;
	if (e->type != ITEM_IMAGE || json_object_get(meta, "preannotation"))
		return meta;
	char why[400];
	json_t *ann = prefill_image(&x->pf, e, why, sizeof why);
	if (why[0])
		report_reject(x->report, e->source, e->line, why);
	if (ann && !meta)
		meta = json_object();
	if (ann)
		json_object_set_new(meta, "preannotation", ann);
	return meta;
}

static int batch_grow(import_run *x)
{
	size_t cap = x->cap ? x->cap * 2 : 1024;
	item_new *b = realloc(x->batch, cap * sizeof *b);
	if (!b)
		return CL_ENOMEM;
	x->batch = b;
	x->cap = cap;
	return 0;
}

static int on_item(void *ctx, const import_entry *e)
{
	import_run *x = ctx;
	if (e->type != task_kind_item_type(x->p->kind)) {
		char reason[96];
		snprintf(reason, sizeof reason, "wrong item type for project (%s in a %s project)",
			 item_type_name(e->type), task_kind_name(x->p->kind));
		return on_reject(ctx, e->source, e->line, reason);
	}
	if (x->n == x->cap && batch_grow(x))
		return cl_fail(x->err, CL_ENOMEM, NULL, "out of memory");
	item_new *it = &x->batch[x->n];
	memset(it, 0, sizeof *it);
	it->type = e->type;
	it->line = e->line;
	if (e->type == ITEM_TEXT) {
		blob_hash(e->text, e->text_len, it->hash);
		it->text = strndup(e->text, e->text_len);
	} else {
		blob_hash(e->bytes, e->bytes_len, it->hash);
		int rc = blob_put(x->a->data_dir, it->hash, e->bytes, e->bytes_len);
		if (rc == CL_EUNAVAIL)
			db_disk_full(x->a->db);
		if (rc == CL_EUNAVAIL)
			return cl_fail(x->err, rc, "store_full",
				       "the store cannot write: its disk is full; try again later");
		if (rc)
			return cl_fail(x->err, CL_EINTERNAL, NULL, "cannot store an image");
		it->blob = strdup(it->hash);
		it->mime = strdup(e->mime);
		it->width = e->width;
		it->height = e->height;
	}
	it->source = strdup(e->source ? e->source : "body");
	json_t *meta = with_prefill(x, e);
	it->meta = meta && json_object_size(meta) ? json_dumps(meta, JSON_OUT) : NULL;
	json_decref(meta);
	x->n++;
	return !x->hold && x->n == IMPORT_BATCH ? batch_flush(x) : 0;
}

json_t *api_import_report_new(void)
{
	return json_pack("{s:i,s:i,s:i,s:[],s:[],s:[]}", "accepted", 0, "duplicates", 0,
			 "rejected", 0, "item_ids", "duplicate_entries", "rejections");
}

static int count_nothing(void *ctx, const import_entry *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

static int reject_nothing(void *ctx, const char *source, long line, const char *reason)
{
	(void)ctx;
	(void)source;
	(void)line;
	(void)reason;
	return 0;
}

/* The limits of an import into p; `check_only` for the pass that writes nothing. */
static void limits_for(const app *a, const project *p, bool check_only, import_limits *lim)
{
	import_limits_default(lim);
	lim->project = p; /* Label Studio and COCO pre-annotations are mapped onto it */
	if (a->max_image_pixels)
		lim->max_image_pixels = a->max_image_pixels;
	lim->check_only = check_only;
}

static int parse_failed(int rc, const char *content_type, cl_error *err)
{
	if (rc == CL_EMEDIA)
		return cl_fail(err, CL_EMEDIA, NULL, "unsupported Content-Type \"%s\" for an import",
			       content_type ? content_type : "");
	if (rc == CL_ETOOBIG && !err->message[0])
		return cl_fail(err, CL_ETOOBIG, "import_too_large",
			       "the import is over its limits (2,000,000 entries, archives that "
			       "expand to at most 200 times their size, 60 s of processing): "
			       "nothing was imported");
	return rc;
}

int api_import_check(app *a, const project *p, const char *content_type, const char *source,
		     const void *data, size_t len, cl_error *err)
{
	import_limits lim;
	limits_for(a, p, true, &lim);
	import_sink sink = {count_nothing, reject_nothing, NULL};
	return parse_failed(import_parse(content_type, source, data, len, &lim, &sink),
			    content_type, err);
}

static import_run *run_open(app *a, const project *p, bool hold, json_t *report, cl_error *err)
{
	import_run *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	x->a = a;
	x->p = p;
	x->hold = hold;
	x->report = report;
	x->err = err;
	char why[200];
	prefill_open(&x->pf, a, p, why, sizeof why);
	if (why[0])
		report_reject(report, "prefill_endpoint", 0, why);
	return x;
}

static void run_close(import_run *x)
{
	batch_clear(x);
	prefill_close(&x->pf);
	free(x->batch);
	free(x);
}

static int run_part(import_run *x, const import_part *part, import_progress *pr)
{
	import_limits lim;
	limits_for(x->a, x->p, false, &lim);
	lim.progress = pr;
	import_sink sink = {on_item, on_reject, x};
	return parse_failed(import_parse(part->content_type, part->source, part->data, part->len,
					 &lim, &sink),
			    part->content_type, x->err);
}

int api_import(app *a, const project *p, const char *content_type, const char *source,
	       const void *data, size_t len, json_t *report, cl_error *err)
{
	import_run *x = run_open(a, p, false, report, err);
	if (!x)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	import_part part = {content_type, source, data, len};
	int rc = run_part(x, &part, NULL);
	if (!rc)
		rc = batch_flush(x);
	run_close(x);
	return rc;
}

int api_import_whole(app *a, const project *p, const import_part *parts, size_t n,
		     struct import_progress *pr, int (*before_store)(void *arg, cl_error *err),
		     void *arg, json_t *report, cl_error *err)
{
	import_run *x = run_open(a, p, true, report, err);
	if (!x)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (import_path_unsafe(parts[i].source))
			report_reject(report, parts[i].source, 0, "unsafe path");
		else
			rc = run_part(x, &parts[i], pr);
	}
	if (!rc && before_store)
		rc = before_store(arg, err);
	if (!rc)
		rc = batch_flush(x);
	run_close(x);
	return rc;
}

int api_items_import(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	json_t *report = NULL;
	int rc = 0;
	if (!strcmp(p->status, "closed")) {
		rc = http_fail(r, CL_ECONFLICT, NULL, "the project is closed");
		goto out;
	}
	if (api_imports_wanted(r)) {
		rc = api_imports_start(r);
		goto out;
	}
	report = api_import_report_new();
	if (r->files) {
		/* Parts are typed by their names and bytes, never by what the client claimed. All
		 * of them are checked against the limits before any is written. */
		for (http_file *f = r->files; f && !rc; f = f->next)
			if (!import_path_unsafe(f->filename))
				rc = api_import_check(api_app(r), p, NULL, f->filename, f->data.data,
						      f->data.len, &r->err);
		for (http_file *f = r->files; f && !rc; f = f->next) {
			if (import_path_unsafe(f->filename))
				report_reject(report, f->filename, 0, "unsafe path");
			else
				rc = api_import(api_app(r), p, NULL, f->filename, f->data.data,
						f->data.len, report, &r->err);
		}
	} else if (r->content_type && !strncasecmp(r->content_type, "multipart/", 10)) {
		rc = http_fail(r, CL_EINVAL, NULL, "the multipart body holds no files");
	} else if (!r->upload.len) {
		rc = http_fail(r, CL_EINVAL, NULL, "the request body is empty");
	} else {
		char type[128] = "";
		if (r->content_type) {
			snprintf(type, sizeof type, "%s", r->content_type);
			type[strcspn(type, "; ")] = '\0';
		}
		/* `Content-Disposition: attachment; filename="x.jsonl"` names the source in the
		 * report; the name is only a label, and an unsafe one is refused like an upload's. */
		char source[256] = "body";
		const char *fn = r->content_disposition ? strstr(r->content_disposition, "filename=\"")
							: NULL;
		if (fn) {
			snprintf(source, sizeof source, "%s", fn + 10);
			source[strcspn(source, "\"")] = '\0';
			if (!source[0])
				snprintf(source, sizeof source, "body");
		}
		if (!type[0])
			rc = http_fail(r, CL_EMEDIA, NULL, "say what the body is with Content-Type");
		else if (import_path_unsafe(source))
			report_reject(report, source, 0, "unsafe path");
		else if (!(rc = api_import_check(api_app(r), p, type, source, r->upload.data,
						 r->upload.len, &r->err)))
			rc = api_import(api_app(r), p, type, source, r->upload.data, r->upload.len,
					report, &r->err);
	}
	if (!rc) {
		http_json(r, 200, report);
		report = NULL;
	}
out:
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
