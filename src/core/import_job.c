/* The import use case (core/import_job.h): entries parsed by core/import.c become items in
 * batches of store transactions, images blobs first. */
#include "core/import_job.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT_BATCH 10000

/* An import in progress: entries are batched into store transactions, or all held for one. */
typedef struct import_run {
	const import_target *t;
	item_new *batch;
	size_t n, cap;
	bool hold; /* every item held until the end, written in one transaction */
	json_t *report;
	cl_error *err;
} import_run;

json_t *import_report_new(void)
{
	return json_pack("{s:i,s:i,s:i,s:[],s:[],s:[]}", "accepted", 0, "duplicates", 0,
			 "rejected", 0, "item_ids", "duplicate_entries", "rejections");
}

void import_report_reject(json_t *report, const char *source, long line, const char *reason)
{
	json_t *o = json_pack("{s:s,s:s}", "source", source ? source : "body", "reason", reason);
	if (line > 0)
		json_object_set_new(o, "line", json_integer(line));
	json_t *list = json_object_get(report, "rejections");
	json_array_append_new(list, o);
	json_object_set_new(report, "rejected", json_integer((json_int_t)json_array_size(list)));
}

int import_project_open(const project *p, cl_error *err)
{
	if (!strcmp(p->status, "closed"))
		return cl_fail(err, CL_ECONFLICT, NULL, "the project is closed");
	return 0;
}

/* Frees the batch's items, after their transaction (or without one): their blobs' holds go. */
static void batch_clear(import_run *x)
{
	for (size_t i = 0; i < x->n; i++) {
		if (x->batch[i].blob && x->t->s->ops->blob_release)
			x->t->s->ops->blob_release(x->batch[i].blob);
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
	const import_target *t = x->t;
	int rc = t->s->ops->items_insert(t->s->db, t->p->id, t->p->overlap, x->batch, x->n,
					 x->report, x->err);
	batch_clear(x);
	return rc;
}

/* The held items and the import's record turned done, in one transaction (even with no
 * item: the record ends all the same). */
static int record_flush(import_run *x)
{
	const import_target *t = x->t;
	int rc = t->s->ops->import_items_insert(t->s->db, t->record, t->p->overlap, x->batch, x->n,
						x->report, x->err);
	batch_clear(x);
	return rc;
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

static int on_reject(void *ctx, const char *source, long line, const char *reason)
{
	import_report_reject(((import_run *)ctx)->report, source, line, reason);
	return 0;
}

/* The entry's meta (a new reference, NULL when none), with the pre-fill of an image that
 * brought no pre-annotation of its own. */
static json_t *with_prefill(import_run *x, const import_entry *e)
{
	json_t *meta = e->meta ? json_deep_copy(e->meta) : NULL;
	if (!x->t->prefill || e->type != ITEM_IMAGE || json_object_get(meta, "preannotation"))
		return meta;
	char why[400] = "";
	json_t *ann = x->t->prefill->image(x->t->prefill_ctx, e, why, sizeof why);
	if (why[0])
		import_report_reject(x->report, e->source, e->line, why);
	if (ann && !meta)
		meta = json_object();
	if (ann)
		json_object_set_new(meta, "preannotation", ann);
	return meta;
}

/* An image entry's bytes stored as a blob, named in `it`. */
static int image_stored(import_run *x, const import_entry *e, item_new *it)
{
	const store *s = x->t->s;
	s->ops->content_hash(e->bytes, e->bytes_len, it->hash);
	int rc = s->ops->blob_put(s->db, x->t->data_dir, it->hash, e->bytes, e->bytes_len);
	if (rc == CL_EUNAVAIL)
		return cl_fail(x->err, rc, "store_full",
			       "the store cannot write: its disk is full; try again later");
	if (rc)
		return cl_fail(x->err, CL_EINTERNAL, NULL, "cannot store an image");
	it->blob = strdup(it->hash);
	it->mime = strdup(e->mime);
	it->width = e->width;
	it->height = e->height;
	return 0;
}

static int on_item(void *ctx, const import_entry *e)
{
	import_run *x = ctx;
	const project *p = x->t->p;
	if (e->type != task_kind_item_type(p->kind)) {
		char reason[96];
		snprintf(reason, sizeof reason, "wrong item type for project (%s in a %s project)",
			 item_type_name(e->type), task_kind_name(p->kind));
		return on_reject(ctx, e->source, e->line, reason);
	}
	if (x->n == x->cap && batch_grow(x))
		return cl_fail(x->err, CL_ENOMEM, NULL, "out of memory");
	item_new *it = &x->batch[x->n];
	memset(it, 0, sizeof *it);
	it->type = e->type;
	it->line = e->line;
	if (e->type == ITEM_TEXT) {
		x->t->s->ops->content_hash(e->text, e->text_len, it->hash);
		it->text = strndup(e->text, e->text_len);
	} else {
		int rc = image_stored(x, e, it);
		if (rc)
			return rc;
	}
	it->source = strdup(e->source ? e->source : "body");
	json_t *meta = with_prefill(x, e);
	it->meta = meta && json_object_size(meta) ? json_dumps(meta, JSON_OUT) : NULL;
	json_decref(meta);
	x->n++;
	return !x->hold && x->n == IMPORT_BATCH ? batch_flush(x) : 0;
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

/* The limits of an import into t's project; `check_only` for the pass that writes nothing. */
static void limits_for(const import_target *t, bool check_only, import_limits *lim)
{
	import_limits_default(lim);
	lim->project = t->p; /* Label Studio and COCO pre-annotations are mapped onto it */
	if (t->max_image_pixels)
		lim->max_image_pixels = t->max_image_pixels;
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

/* Parses one upload without writing anything: 0 when writing it would not stop at a limit
 * (entries, archive expansion, CPU time). */
static int import_check(const import_target *t, const char *content_type, const char *source,
			const void *data, size_t len, cl_error *err)
{
	import_limits lim;
	limits_for(t, true, &lim);
	import_sink sink = {count_nothing, reject_nothing, NULL};
	return parse_failed(import_parse(content_type, source, data, len, &lim, &sink),
			    content_type, err);
}

static import_run *run_open(const import_target *t, bool hold, json_t *report, cl_error *err)
{
	import_run *x = calloc(1, sizeof *x);
	if (!x)
		return NULL;
	*x = (import_run){.t = t, .hold = hold, .report = report, .err = err};
	if (t->prefill) {
		char why[200] = "";
		t->prefill->open(t->prefill_ctx, why, sizeof why);
		if (why[0])
			import_report_reject(report, "prefill_endpoint", 0, why);
	}
	return x;
}

static void run_close(import_run *x)
{
	batch_clear(x);
	if (x->t->prefill)
		x->t->prefill->close(x->t->prefill_ctx);
	free(x->batch);
	free(x);
}

/* Parses one upload into x, reporting to pr (may be NULL). */
static int run_part(import_run *x, const import_file *f, import_progress *pr)
{
	import_limits lim;
	limits_for(x->t, false, &lim);
	lim.progress = pr;
	import_sink sink = {on_item, on_reject, x};
	return parse_failed(import_parse(f->content_type, f->name, f->data, f->len, &lim, &sink),
			    f->content_type, x->err);
}

int import_write(const import_target *t, const char *content_type, const char *source,
		 const void *data, size_t len, json_t *report, cl_error *err)
{
	import_run *x = run_open(t, false, report, err);
	if (!x)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	import_file f = {source, data, len, content_type};
	int rc = run_part(x, &f, NULL);
	if (!rc)
		rc = batch_flush(x);
	run_close(x);
	return rc;
}

int import_whole(const import_target *t, const import_file *files, size_t n,
		 import_progress *pr, int (*before_store)(void *arg, cl_error *err), void *arg,
		 json_t *report, cl_error *err)
{
	import_run *x = run_open(t, true, report, err);
	if (!x)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		if (import_path_unsafe(files[i].name))
			import_report_reject(report, files[i].name, 0, "unsafe path");
		else
			rc = run_part(x, &files[i], pr);
	}
	if (!rc && before_store)
		rc = before_store(arg, err);
	if (!rc)
		rc = t->record ? record_flush(x) : batch_flush(x);
	run_close(x);
	return rc;
}

int import_upload(const import_target *t, const char *content_type, const char *source,
		  const void *data, size_t len, json_t *report, cl_error *err)
{
	if (import_path_unsafe(source)) {
		import_report_reject(report, source, 0, "unsafe path");
		return 0;
	}
	int rc = import_check(t, content_type, source, data, len, err);
	return rc ? rc : import_write(t, content_type, source, data, len, report, err);
}

int import_files(const import_target *t, const import_file *files, size_t n, json_t *report,
		 cl_error *err)
{
	int rc = 0;
	for (size_t i = 0; i < n && !rc; i++)
		if (!import_path_unsafe(files[i].name))
			rc = import_check(t, files[i].content_type, files[i].name, files[i].data,
					  files[i].len, err);
	for (size_t i = 0; i < n && !rc; i++) {
		if (import_path_unsafe(files[i].name))
			import_report_reject(report, files[i].name, 0, "unsafe path");
		else
			rc = import_write(t, files[i].content_type, files[i].name, files[i].data,
					  files[i].len, report, err);
	}
	return rc;
}
