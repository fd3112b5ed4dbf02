/* Label Studio and COCO imports. The JSON is read whole (an upload is in memory already), its
 * tasks or images turned into item entries that go through import_parse itself (so text and
 * images meet exactly the checks of any other import), and each item's result is carried beside
 * it as meta.preannotation once it is mapped onto the project's kind and checked with
 * annotation_validate. In an archive, the JSON is found first, then every other entry is
 * imported, images matched to the JSON's records by base name. */
#include "core/import_tools.h"
#include "core/annotation.h"
#include "core/export.h"
#include "core/upload_type.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json.h"
#include "util/json_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <locale.h>
#include <sodium.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* TOOL_LINES: a JSONL of transcription pre-fills, {"image","lines"} a line, beside the images. */
enum tool { TOOL_NONE, TOOL_LABELSTUDIO, TOOL_COCO, TOOL_LINES };

/* One import in progress: the records of the JSON, and the outer sink. */
typedef struct tools_run {
	const import_limits *lim;
	const import_sink *out;
	enum tool tool;
	json_t *doc;          /* the parsed JSON */
	/* Image records waiting for their file in the archive, each a slot
	 * {"record","line","name","used"}: all of them in order, and indexes from a base name and
	 * from a content hash (meta.content_hash, as crowdloop's own export writes it) to the
	 * slots that carry it, so records sharing a name are matched in turn, never overwritten. */
	json_t *pending, *by_name, *by_hash;
	json_t *coco_names;   /* COCO: category id (as text) -> name */
	json_t *coco_anns;    /* COCO: image id (as text) -> [annotations] */
	/* The record whose item is being parsed now. */
	const json_t *record;
	const char *source;
	long line;
	size_t entries;
} tools_run;

static const char *base_name(const char *path)
{
	const char *b = strrchr(path, '/');
	const char *b2 = strrchr(path, '\\');
	if (b2 && (!b || b2 > b))
		b = b2;
	return b ? b + 1 : path;
}

static bool type_is(const char *ct, const char *want)
{
	if (!ct)
		return false;
	size_t n = strcspn(ct, "; \t");
	return n == strlen(want) && !strncasecmp(ct, want, n);
}

/* An archive by its Content-Type, its name, or (with no type or a generic one) its first
 * bytes. */
static bool is_archive(const char *ct, const char *source, const unsigned char *d, size_t n)
{
	const upload_type *by_type = upload_type_of_content_type(ct);
	const upload_type *by_name = upload_type_of_name(source);
	if ((by_type && by_type->parser == UPLOAD_ARCHIVE) ||
	    (by_name && by_name->parser == UPLOAD_ARCHIVE))
		return true;
	if (ct && !type_is(ct, "application/octet-stream"))
		return false;
	return (n >= 4 && !memcmp(d, "PK\x03\x04", 4)) || (n >= 2 && d[0] == 0x1f && d[1] == 0x8b) ||
	       (n >= 262 && !memcmp(d + 257, "ustar", 5));
}

/* A JSONL file by its name. */
static bool is_jsonl_name(const char *source)
{
	const upload_type *t = upload_type_of_name(source);
	return t && t->parser == UPLOAD_JSONL;
}

/* A Label Studio or COCO file by its Content-Type, or (with no type or a generic one) its
 * name. */
static bool is_tool_json(const char *ct, const char *source)
{
	const upload_type *t = ct && !type_is(ct, "application/octet-stream")
				   ? upload_type_of_content_type(ct)
				   : upload_type_of_name(source);
	return t && t->parser == UPLOAD_TOOL_JSON;
}

static enum tool tool_of(const json_t *doc)
{
	if (json_is_array(doc))
		return TOOL_LABELSTUDIO;
	if (json_is_object(doc) && json_is_array(json_object_get(doc, "images")) &&
	    json_is_array(json_object_get(doc, "annotations")))
		return TOOL_COCO;
	/* One Label Studio task on its own. */
	if (json_is_object(doc) && json_is_object(json_object_get(doc, "data")))
		return TOOL_LABELSTUDIO;
	return TOOL_NONE;
}

static int report(tools_run *x, const char *source, long line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int report(tools_run *x, const char *source, long line, const char *fmt, ...)
{
	if (x->entries >= x->lim->max_entries)
		return CL_ETOOBIG;
	x->entries++;
	char why[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	return x->out->reject(x->out->ctx, source, line, why);
}

/* ---- mapping results onto the project ---- */

static double round6(double v)
{
	return round(v * 1e6) / 1e6;
}

/* The label list of a Label Studio value: "choices", "rectanglelabels" or "labels". */
static json_t *ls_labels(const json_t *value, const char *key)
{
	json_t *l = json_object_get(value, key);
	return json_is_array(l) ? l : NULL;
}

/* The lines of a Label Studio OCR region (a "textarea" result: "text" a list of strings, the
 * region's box in percent of the image when it has one), appended to `lines`. */
static void ls_lines(const json_t *v, const import_entry *e, json_t *lines)
{
	const json_t *x = json_object_get(v, "x"), *y = json_object_get(v, "y");
	const json_t *w = json_object_get(v, "width"), *h = json_object_get(v, "height");
	bool boxed = json_is_number(x) && json_is_number(y) && json_is_number(w) &&
		     json_is_number(h) && e->width > 0 && e->height > 0;
	size_t i;
	const json_t *t;
	json_array_foreach(json_object_get(v, "text"), i, t)
	{
		json_t *line = json_pack("{s:O}", "text", t);
		if (line && boxed)
			json_object_set_new(
			    line, "box",
			    json_pack("{s:f,s:f,s:f,s:f}", "x",
				      round6(json_number_value(x) * e->width / 100), "y",
				      round6(json_number_value(y) * e->height / 100), "w",
				      round6(json_number_value(w) * e->width / 100), "h",
				      round6(json_number_value(h) * e->height / 100)));
		json_array_append_new(lines, line);
	}
}

/* Builds crowdloop's annotation for `kind` from a Label Studio result list; NULL with `why`
 * when a result cannot be mapped. */
static json_t *from_labelstudio(const json_t *results, task_kind kind, const import_entry *e,
				char *why, size_t why_size)
{
	json_t *labels = json_array(), *boxes = json_array(), *spans = json_array();
	json_t *lines = json_array();
	json_t *out = NULL;
	size_t i;
	json_t *r;
	json_array_foreach(results, i, r)
	{
		const char *type = json_string_value(json_object_get(r, "type"));
		json_t *v = json_object_get(r, "value");
		if (!type || !json_is_object(v)) {
			snprintf(why, why_size, "result %zu has no type or value", i);
			goto out;
		}
		bool cls = kind == KIND_TEXT_CLASS || kind == KIND_IMAGE_CLASS;
		json_t *names;
		if (!strcmp(type, "choices") && cls && (names = ls_labels(v, "choices"))) {
			json_array_extend(labels, names);
		} else if (!strcmp(type, "rectanglelabels") && kind == KIND_IMAGE_BBOX &&
			   (names = ls_labels(v, "rectanglelabels")) && json_array_size(names) == 1) {
			double w = e->width, h = e->height;
			json_array_append_new(
				boxes,
				json_pack("{s:f,s:f,s:f,s:f,s:O}", "x",
					  round6(json_number_value(json_object_get(v, "x")) * w / 100),
					  "y", round6(json_number_value(json_object_get(v, "y")) * h / 100),
					  "w",
					  round6(json_number_value(json_object_get(v, "width")) * w / 100),
					  "h",
					  round6(json_number_value(json_object_get(v, "height")) * h / 100),
					  "label", json_array_get(names, 0)));
		} else if (!strcmp(type, "labels") && kind == KIND_TEXT_SPANS &&
			   (names = ls_labels(v, "labels")) && json_array_size(names) == 1 && e->text) {
			/* Label Studio's offsets count UTF-16 units. */
			json_int_t s = json_integer_value(json_object_get(v, "start"));
			json_int_t en = json_integer_value(json_object_get(v, "end"));
			json_array_append_new(spans,
					      json_pack("{s:I,s:I,s:O}", "start",
							(json_int_t)export_utf16_to_cp(e->text, s), "end",
							(json_int_t)export_utf16_to_cp(e->text, en),
							"label", json_array_get(names, 0)));
		} else if (kind == KIND_IMAGE_TRANSCRIPTION && !strcmp(type, "textarea")) {
			ls_lines(v, e, lines);
		} else if (kind == KIND_IMAGE_TRANSCRIPTION &&
			   (!strcmp(type, "rectangle") || !strcmp(type, "rectanglelabels") ||
			    !strcmp(type, "labels"))) {
			continue; /* the region's textarea carries its box */
		} else {
			snprintf(why, why_size, "a Label Studio \"%.40s\" result does not fit a %s project",
				 type, task_kind_name(kind));
			goto out;
		}
	}
	switch (kind) {
	case KIND_TEXT_CLASS:
	case KIND_IMAGE_CLASS: out = json_pack("{s:O}", "labels", labels); break;
	case KIND_IMAGE_BBOX: out = json_pack("{s:O}", "boxes", boxes); break;
	case KIND_TEXT_SPANS: out = json_pack("{s:O}", "spans", spans); break;
	case KIND_IMAGE_TRANSCRIPTION: out = json_pack("{s:O}", "lines", lines); break;
	case KIND_LLM_PREFERENCE:
	case KIND_LLM_RESPONSE:
		snprintf(why, why_size, "Label Studio pre-annotations do not fit a %s project",
			 task_kind_name(kind));
		break;
	}
out:
	json_decref(lines);
	json_decref(labels);
	json_decref(boxes);
	json_decref(spans);
	return out;
}

static json_t *from_coco(tools_run *x, const json_t *anns, task_kind kind, char *why,
			 size_t why_size)
{
	json_t *labels = json_array(), *boxes = json_array(), *out = NULL;
	size_t i;
	json_t *a;
	json_array_foreach(anns, i, a)
	{
		char key[32];
		snprintf(key, sizeof key, "%lld",
			 (long long)json_integer_value(json_object_get(a, "category_id")));
		json_t *name = json_object_get(x->coco_names, key);
		if (!name) {
			snprintf(why, why_size, "annotation %lld names no known category",
				 (long long)json_integer_value(json_object_get(a, "id")));
			goto out;
		}
		json_t *bbox = json_object_get(a, "bbox");
		if (kind == KIND_IMAGE_BBOX && json_array_size(bbox) == 4) {
			json_array_append_new(
				boxes, json_pack("{s:f,s:f,s:f,s:f,s:O}", "x",
						 json_number_value(json_array_get(bbox, 0)), "y",
						 json_number_value(json_array_get(bbox, 1)), "w",
						 json_number_value(json_array_get(bbox, 2)), "h",
						 json_number_value(json_array_get(bbox, 3)), "label", name));
		} else if (kind == KIND_IMAGE_CLASS) {
			bool seen = false;
			size_t k;
			json_t *l;
			json_array_foreach(labels, k, l)
				seen = seen || json_equal(l, name);
			if (!seen)
				json_array_append(labels, name);
		} else {
			snprintf(why, why_size, "COCO annotations without a bbox do not fit a %s project",
				 task_kind_name(kind));
			goto out;
		}
	}
	if (kind == KIND_IMAGE_BBOX)
		out = json_pack("{s:O}", "boxes", boxes);
	else if (kind == KIND_IMAGE_CLASS)
		out = json_pack("{s:O}", "labels", labels);
	else
		snprintf(why, why_size, "COCO annotations do not fit a %s project", task_kind_name(kind));
out:
	json_decref(labels);
	json_decref(boxes);
	return out;
}

/* The first finished annotation of a Label Studio task, else its first prediction. */
static const json_t *ls_results(const json_t *task)
{
	const char *lists[] = {"annotations", "completions", "predictions"};
	for (int k = 0; k < 3; k++) {
		size_t i;
		json_t *a;
		json_array_foreach(json_object_get(task, lists[k]), i, a)
			if (!json_is_true(json_object_get(a, "was_cancelled")) &&
			    json_is_array(json_object_get(a, "result")))
				return json_object_get(a, "result");
	}
	return NULL;
}

/* The pre-annotation of the current record for item `e`, or NULL (with `why` when something
 * was there but could not be kept). */
static json_t *record_annotation(tools_run *x, const import_entry *e, char *why, size_t n)
{
	const project *p = x->lim->project;
	why[0] = '\0';
	if (!p) {
		snprintf(why, n, "no project to map it onto");
		return NULL;
	}
	json_t *ann = NULL;
	if (x->tool == TOOL_LINES) {
		if (p->kind != KIND_IMAGE_TRANSCRIPTION) {
			snprintf(why, n, "transcription pre-fills do not fit a %s project",
				 task_kind_name(p->kind));
			return NULL;
		}
		ann = json_pack("{s:O}", "lines", json_object_get(x->record, "lines"));
	} else if (x->tool == TOOL_LABELSTUDIO) {
		const json_t *res = ls_results(x->record);
		/* An empty result is an answer for boxes and spans (nothing to mark), none for a
		 * classification. */
		if (!res || (!json_array_size(res) &&
			     (p->kind == KIND_TEXT_CLASS || p->kind == KIND_IMAGE_CLASS)))
			return NULL;
		ann = from_labelstudio(res, p->kind, e, why, n);
	} else {
		char key[32];
		snprintf(key, sizeof key, "%lld",
			 (long long)json_integer_value(json_object_get(x->record, "id")));
		json_t *anns = json_object_get(x->coco_anns, key);
		/* A COCO image without annotations is a labeled image with nothing on it. */
		if (!anns && p->kind != KIND_IMAGE_BBOX)
			return NULL;
		if (!anns)
			return json_pack("{s:[]}", "boxes");
		ann = from_coco(x, anns, p->kind, why, n);
	}
	if (!ann)
		return NULL;
	item_facts facts = {e->type, e->type == ITEM_TEXT ? e->text : NULL, e->width, e->height, 0};
	cl_error err;
	if (annotation_validate(p, &facts, ann, &err)) {
		snprintf(why, n, "%s", err.message);
		json_decref(ann);
		return NULL;
	}
	return ann;
}

/* ---- the sink the inner import_parse calls feed ---- */

static int inner_item(void *ctx, const import_entry *e)
{
	tools_run *x = ctx;
	if (x->entries >= x->lim->max_entries)
		return CL_ETOOBIG;
	json_t *meta = e->meta ? json_deep_copy(e->meta) : json_object();
	if (x->record) {
		char why[300];
		json_t *ann = record_annotation(x, e, why, sizeof why);
		if (ann)
			json_object_set_new(meta, "preannotation", ann);
		else if (why[0]) {
			/* An archive's image is reported under its own name. */
			int rc = report(x, x->source ? x->source : e->source,
					x->source ? x->line : e->line, IMPORT_TOOLS_PRE_DROPPED "%s",
					why);
			if (rc) {
				json_decref(meta);
				return rc;
			}
		}
	}
	x->entries++;
	import_entry copy = *e;
	copy.meta = json_object_size(meta) ? meta : NULL;
	if (x->source)
		copy.source = x->source;
	if (x->line)
		copy.line = x->line;
	int rc = x->out->item(x->out->ctx, &copy);
	json_decref(meta);
	return rc;
}

static int inner_reject(void *ctx, const char *source, long line, const char *reason)
{
	tools_run *x = ctx;
	return report(x, x->source ? x->source : source, x->line ? x->line : line, "%s", reason);
}

/* Imports bytes through import_parse with the current record attached. */
static int inner_parse(tools_run *x, const char *content_type, const char *source,
		       const unsigned char *d, size_t n)
{
	import_sink s = {inner_item, inner_reject, x};
	import_limits lim = *x->lim;
	return import_parse(content_type, source, d, n, &lim, &s);
}

/* ---- image records waiting for their files ---- */

static int index_add(json_t *index, const char *key, json_t *slot)
{
	json_t *list = json_object_get(index, key);
	if (!list && json_object_set_new(index, key, list = json_array()))
		return CL_ENOMEM;
	return json_array_append(list, slot) ? CL_ENOMEM : 0;
}

/* The first slot under `key` whose file has not come yet, now marked used; NULL if none. */
static json_t *index_take(json_t *index, const char *key)
{
	size_t i;
	json_t *slot;
	json_array_foreach(json_object_get(index, key), i, slot)
	{
		if (!json_is_true(json_object_get(slot, "used"))) {
			json_object_set_new(slot, "used", json_true());
			return slot;
		}
	}
	return NULL;
}

static int pending_add(tools_run *x, const char *name, const char *hash, const json_t *record,
		       long line)
{
	json_t *slot =
	    json_pack("{s:O,s:I,s:s}", "record", record, "line", (json_int_t)line, "name", name);
	int rc = !slot || json_array_append(x->pending, slot) ? CL_ENOMEM : 0;
	if (!rc)
		rc = index_add(x->by_name, name, slot);
	if (!rc && hash && strlen(hash) == 64)
		rc = index_add(x->by_hash, hash, slot);
	json_decref(slot);
	return rc;
}

/* The record an archive entry's file belongs to: the first waiting one with its content hash,
 * else the first waiting one with its base name. */
static const json_t *pending_take(tools_run *x, const char *path, const buf *data)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[65];
	crypto_hash_sha256(d, (const unsigned char *)(data->data ? data->data : ""), data->len);
	sodium_bin2hex(hex, sizeof hex, d, sizeof d);
	json_t *slot = index_take(x->by_hash, hex);
	if (!slot)
		slot = index_take(x->by_name, base_name(path));
	return slot ? json_object_get(slot, "record") : NULL;
}

/* ---- Label Studio ---- */

static int ls_task(tools_run *x, const json_t *task, const char *source, long line)
{
	json_t *data = json_object_get(task, "data");
	json_t *text = json_object_get(data, "text");
	json_t *image = json_object_get(data, "image");
	x->record = task;
	x->source = source;
	x->line = line;
	int rc = 0;
	if (json_is_string(text)) {
		/* Through the JSONL parser, for the same text checks as any import. */
		json_t *o = json_pack("{s:O}", "text", text);
		char *s = json_dumps(o, JSON_OUT);
		json_decref(o);
		if (!s)
			return CL_ENOMEM;
		rc = inner_parse(x, "application/x-ndjson", source, (const unsigned char *)s,
				 strlen(s));
		free(s);
	} else if (json_is_string(image)) {
		const char *name = base_name(json_string_value(image));
		/* Imported when its file comes by in the archive. */
		if (!x->by_name)
			rc = report(x, source, line,
				    "image \"%.100s\" is not in the upload (send the JSON and the "
				    "images in one archive)",
				    name);
		else
			rc = pending_add(x, name,
					 json_string_value(json_object_get(
					     json_object_get(task, "meta"), "content_hash")),
					 task, line);
	} else {
		rc = report(x, source, line, "a Label Studio task needs data.text or data.image");
	}
	x->record = NULL;
	x->source = NULL;
	x->line = 0;
	return rc;
}

/* Text tasks are imported now; image tasks are remembered by file name for the archive. */
static int ls_parse(tools_run *x, const char *source)
{
	int rc = 0;
	if (json_is_object(x->doc))
		return ls_task(x, x->doc, source, 1);
	size_t i;
	json_t *task;
	json_array_foreach(x->doc, i, task)
	{
		if ((rc = ls_task(x, task, source, (long)i + 1)))
			break;
	}
	return rc;
}

/* ---- COCO ---- */

static int coco_index(tools_run *x, const char *source)
{
	x->coco_names = json_object();
	x->coco_anns = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(x->doc, "categories"), i, v)
	{
		char key[32];
		snprintf(key, sizeof key, "%lld", (long long)json_integer_value(json_object_get(v, "id")));
		if (json_is_string(json_object_get(v, "name")))
			json_object_set(x->coco_names, key, json_object_get(v, "name"));
	}
	json_array_foreach(json_object_get(x->doc, "annotations"), i, v)
	{
		char key[32];
		snprintf(key, sizeof key, "%lld",
			 (long long)json_integer_value(json_object_get(v, "image_id")));
		json_t *list = json_object_get(x->coco_anns, key);
		if (!list) {
			list = json_array();
			json_object_set_new(x->coco_anns, key, list);
		}
		json_array_append(list, v);
	}
	int rc = 0;
	json_array_foreach(json_object_get(x->doc, "images"), i, v)
	{
		const char *file = json_string_value(json_object_get(v, "file_name"));
		if (!file) {
			rc = report(x, source, (long)i + 1, "COCO image %zu has no file_name", i);
		} else if (!x->by_name) {
			rc = report(x, source, (long)i + 1,
				    "image \"%.100s\" is not in the upload (send the JSON and the "
				    "images in one archive)",
				    base_name(file));
		} else {
			rc = pending_add(x, base_name(file), NULL, v, (long)i + 1);
		}
		if (rc)
			break;
	}
	return rc;
}

/* ---- transcription pre-fills: {"image","lines"} a line ---- */

static bool line_blank(const char *p, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
			return false;
	return true;
}

/* Whether the first non-blank line of d (the head of a file) is a pre-fill record: an object
 * with "image" (a string) and "lines" (an array). Only that line is parsed. */
static bool prefill_head(const char *d, size_t n)
{
	const char *p = d, *end = d + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (!line_blank(p, len)) {
			json_t *rec = json_read(p, len, JSON_REJECT_DUPLICATES, NULL);
			bool yes = json_is_string(json_object_get(rec, "image")) &&
				   json_is_array(json_object_get(rec, "lines"));
			json_decref(rec);
			return yes;
		}
		p += len + 1;
	}
	return false;
}

/* The records of a pre-fill JSONL: [{"line": number, "rec": object, or false when the line
 * is not JSON}], blank lines left out; NULL when it holds more than `max` records. */
static json_t *lines_doc(const char *d, size_t n, size_t max)
{
	json_t *doc = json_array();
	const char *p = d, *end = d + n;
	long line = 0;
	while (doc && p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		line++;
		if (!line_blank(p, len)) {
			json_t *rec = json_read(p, len, JSON_REJECT_DUPLICATES, NULL);
			json_array_append_new(doc, json_pack("{s:I,s:o}", "line", (json_int_t)line,
							     "rec", rec ? rec : json_false()));
		}
		if (json_array_size(doc) > max) {
			json_decref(doc);
			return NULL;
		}
		p += len + 1;
	}
	return doc;
}

/* Each pre-fill waits for its image in the archive; a bad line is reported by number. */
static int lines_index(tools_run *x, const char *source)
{
	size_t i;
	json_t *slot;
	int rc = 0;
	json_array_foreach(x->doc, i, slot)
	{
		const json_t *rec = json_object_get(slot, "rec");
		long line = (long)json_integer_value(json_object_get(slot, "line"));
		const char *image = json_string_value(json_object_get(rec, "image"));
		if (json_is_false(rec))
			rc = report(x, source, line, "malformed JSON");
		else if (!image || !json_is_array(json_object_get(rec, "lines")))
			rc = report(x, source, line,
				    "a pre-fill line needs \"image\" (a file name) and \"lines\"");
		else
			rc = pending_add(x, base_name(image), NULL, rec, line);
		if (rc)
			break;
	}
	return rc;
}

/* ---- the JSON ---- */

static int json_load(tools_run *x, const char *source, const unsigned char *d, size_t n)
{
	if (is_jsonl_name(source)) {
		x->doc = lines_doc((const char *)d, n, x->lim->max_entries);
		x->tool = TOOL_LINES;
		return x->doc ? 0 : CL_ETOOBIG;
	}
	json_error_t e;
	x->doc = json_read((const char *)d, n, JSON_REJECT_DUPLICATES, &e);
	if (!x->doc && !json_depth_ok((const char *)d, n, JSON_READ_MAX_DEPTH))
		return report(x, source, 0, JSON_READ_TOO_DEEP);
	if (!x->doc)
		return report(x, source, e.line > 0 ? e.line : 0, "malformed JSON");
	x->tool = tool_of(x->doc);
	if (x->tool == TOOL_NONE)
		return report(x, source, 0, "JSON that is neither a Label Studio nor a COCO export");
	return 0;
}

static int json_records(tools_run *x, const char *source)
{
	if (x->tool == TOOL_LABELSTUDIO)
		return ls_parse(x, source);
	if (x->tool == TOOL_COCO)
		return coco_index(x, source);
	if (x->tool == TOOL_LINES)
		return lines_index(x, source);
	return 0;
}

/* ---- archives ---- */

typedef struct archive_walk {
	struct archive *a;
	locale_t utf8, old;
} archive_walk;

static int walk_open(archive_walk *w, const unsigned char *d, size_t n)
{
	/* Entry names convert through the thread's locale: a UTF-8 one keeps them intact. */
	w->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	w->old = w->utf8 ? uselocale(w->utf8) : (locale_t)0;
	w->a = archive_read_new();
	if (!w->a)
		return CL_ENOMEM;
	archive_read_support_format_zip(w->a);
	archive_read_support_format_tar(w->a);
	archive_read_support_filter_gzip(w->a);
	return archive_read_open_memory(w->a, d, n) == ARCHIVE_OK ? 0 : CL_EINVAL;
}

static void walk_close(archive_walk *w)
{
	if (w->a)
		archive_read_free(w->a);
	if (w->utf8) {
		uselocale(w->old);
		freelocale(w->utf8);
	}
}

static const char *entry_path(struct archive_entry *e)
{
	const char *p = archive_entry_pathname_utf8(e);
	if (!p)
		p = archive_entry_pathname(e);
	return p ? p : "";
}

static bool entry_skipped(struct archive_entry *e, const char *path)
{
	const char *b = base_name(path);
	return archive_entry_filetype(e) != AE_IFREG || !strncmp(path, "__MACOSX/", 9) ||
	       !strncmp(b, "._", 2);
}

static int entry_bytes(struct archive *a, buf *out)
{
	char chunk[64 * 1024];
	out->len = 0;
	for (;;) {
		la_ssize_t got = archive_read_data(a, chunk, sizeof chunk);
		if (got == 0)
			return buf_append(out, "", 0);
		if (got < 0)
			return CL_EINVAL;
		int rc = buf_append(out, chunk, (size_t)got);
		if (rc)
			return rc;
	}
}

/* The first chunk of the current entry (up to 64 KiB) into out. */
static int entry_head(struct archive *a, buf *out)
{
	char chunk[64 * 1024];
	out->len = 0;
	la_ssize_t got = archive_read_data(a, chunk, sizeof chunk);
	if (got < 0)
		return CL_EINVAL;
	return buf_append(out, chunk, (size_t)got);
}

/* The rest of the current entry appended to out, `max` bytes in all at most. */
static int entry_rest(struct archive *a, buf *out, size_t max)
{
	char chunk[64 * 1024];
	for (;;) {
		la_ssize_t got = archive_read_data(a, chunk, sizeof chunk);
		if (got == 0)
			return buf_append(out, "", 0);
		if (got < 0 || out->len + (size_t)got > max)
			return got < 0 ? CL_EINVAL : CL_ETOOBIG;
		int rc = buf_append(out, chunk, (size_t)got);
		if (rc)
			return rc;
	}
}

/* Finds the first .json entry that is a Label Studio or COCO file, or .jsonl entry of
 * transcription pre-fills; 1 when there is one. */
static int archive_find_json(tools_run *x, const unsigned char *d, size_t n, buf *name, buf *data)
{
	archive_walk w = {0};
	int found = 0;
	if (walk_open(&w, d, n))
		goto out;
	struct archive_entry *e;
	while (!found && archive_read_next_header(w.a, &e) == ARCHIVE_OK) {
		const char *path = entry_path(e);
		bool jsonl = is_jsonl_name(path);
		if (entry_skipped(e, path) || (!jsonl && !is_tool_json(NULL, path)) ||
		    import_path_unsafe(path))
			continue;
		if (archive_entry_size_is_set(e) &&
		    (uint64_t)archive_entry_size(e) > x->lim->max_entry_bytes)
			continue;
		/* A JSONL is read whole only when its head is a pre-fill record. */
		if (jsonl) {
			if (entry_head(w.a, data) || !prefill_head(data->data, data->len))
				continue;
			if (entry_rest(w.a, data, x->lim->max_entry_bytes))
				break;
		} else if (entry_bytes(w.a, data)) {
			break;
		}
		json_t *doc = jsonl ? json_true() : json_read(data->data, data->len, 0, NULL);
		if (jsonl || tool_of(doc) != TOOL_NONE) {
			name->len = 0;
			found = !buf_puts(name, path);
		}
		json_decref(doc);
	}
out:
	walk_close(&w);
	return found;
}

static int archive_import(tools_run *x, const char *source, const unsigned char *d, size_t n,
			  const char *json_path)
{
	archive_walk w = {0};
	buf data, name;
	buf_init(&data, x->lim->max_entry_bytes);
	buf_init(&name, 0);
	int rc = walk_open(&w, d, n);
	if (rc) {
		rc = rc == CL_EINVAL ? report(x, source, 0, "malformed archive") : rc;
		goto out;
	}
	struct archive_entry *e;
	int r;
	while (!rc && (r = archive_read_next_header(w.a, &e)) != ARCHIVE_EOF) {
		if (r < ARCHIVE_WARN) {
			rc = report(x, source, 0, "malformed archive");
			break;
		}
		const char *path = entry_path(e);
		if (!strcmp(path, json_path) || entry_skipped(e, path))
			continue;
		name.len = 0;
		if ((rc = buf_printf(&name, "%s/%s", source, path)))
			break;
		if (import_path_unsafe(path)) {
			rc = report(x, name.data, 0, "unsafe path");
			continue;
		}
		if ((rc = entry_bytes(w.a, &data))) {
			rc = report(x, name.data, 0, rc == CL_ETOOBIG ? "entry too large"
								     : "malformed archive");
			continue;
		}
		x->record = pending_take(x, path, &data);
		/* The entry is imported under its own name, with the record's pre-annotation. */
		x->source = NULL;
		x->line = 0;
		rc = inner_parse(x, NULL, name.data, (const unsigned char *)data.data, data.len);
		x->record = NULL;
	}
	/* Records whose image never came: every one is reported, none is dropped unsaid. */
	size_t i;
	json_t *slot;
	json_array_foreach(x->pending, i, slot)
	{
		if (rc)
			break;
		if (!json_is_true(json_object_get(slot, "used")))
			rc = report(x, json_path, json_integer_value(json_object_get(slot, "line")),
				    "image \"%.100s\" is not in the upload",
				    json_string_value(json_object_get(slot, "name")));
	}
out:
	walk_close(&w);
	buf_release(&data);
	buf_release(&name);
	return rc;
}

int import_tools_parse(const char *content_type, const char *source, const unsigned char *data,
		       size_t len, const import_limits *lim, const import_sink *sink)
{
	import_limits defaults;
	if (!lim) {
		import_limits_default(&defaults);
		lim = &defaults;
	}
	bool json = is_tool_json(content_type, source);
	bool archive = !json && is_archive(content_type, source, data, len);
	if (!json && !archive)
		return IMPORT_TOOLS_NOT_MINE;

	tools_run x = {.lim = lim, .out = sink};
	buf json_name, json_data;
	buf_init(&json_name, 0);
	buf_init(&json_data, lim->max_entry_bytes);
	int rc = IMPORT_TOOLS_NOT_MINE;
	if (json) {
		rc = json_load(&x, source, data, len);
		if (!rc && x.doc && x.tool != TOOL_NONE)
			rc = json_records(&x, source);
	} else if (archive_find_json(&x, data, len, &json_name, &json_data)) {
		char *where = NULL;
		buf w;
		buf_init(&w, 0);
		rc = buf_printf(&w, "%s/%s", source, json_name.data);
		where = buf_detach(&w, NULL);
		x.pending = json_array();
		x.by_name = json_object();
		x.by_hash = json_object();
		if (!rc)
			rc = json_load(&x, where, (const unsigned char *)json_data.data, json_data.len);
		if (!rc)
			rc = json_records(&x, where);
		if (!rc)
			rc = archive_import(&x, source, data, len, json_name.data);
		free(where);
	}
	json_decref(x.doc);
	json_decref(x.pending);
	json_decref(x.by_name);
	json_decref(x.by_hash);
	json_decref(x.coco_names);
	json_decref(x.coco_anns);
	buf_release(&json_name);
	buf_release(&json_data);
	return rc;
}
