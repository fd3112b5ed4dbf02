/* The export writers. Each format is a small state machine driven by export_writer_step():
 * a head, one piece per row (a second pass over the rows for COCO, whose annotations follow
 * all images), and a tail. Zip formats go through libarchive's archive_write with a write
 * callback that appends to the caller's buffer, so nothing touches the disk. Text writers
 * (JSONL, CSV) print the stored annotation text as it is instead of parsing it: the store only
 * holds validated, compact JSON, and skipping the parse is most of their speed. */
#include "core/export.h"
#include "core/export_kinds.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/json_write.h"

#include <archive.h>
#include <archive_entry.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIND_BIT(k) (1u << (k))
#define LABEL_KINDS                                                                                \
	(KIND_BIT(KIND_TEXT_CLASS) | KIND_BIT(KIND_IMAGE_CLASS) | KIND_BIT(KIND_IMAGE_BBOX) |      \
	 KIND_BIT(KIND_TEXT_SPANS))
#define LLM_KINDS (KIND_BIT(KIND_LLM_PREFERENCE) | KIND_BIT(KIND_LLM_RESPONSE))
#define EVERY_KIND (LABEL_KINDS | LLM_KINDS | KIND_BIT(KIND_IMAGE_TRANSCRIPTION))

const export_format_info export_formats[EXPORT_FORMAT_COUNT] = {
    [EXPORT_JSONL] = {"jsonl", "application/x-ndjson", "jsonl", EVERY_KIND, false,
		      "one JSON object a row"},
    [EXPORT_CSV] = {"csv", "text/csv; charset=utf-8", "csv", EVERY_KIND, false,
		    "RFC 4180 CSV, the annotation as JSON and its labels joined"},
    [EXPORT_COCO] = {"coco", "application/json", "json",
		     KIND_BIT(KIND_IMAGE_BBOX) | KIND_BIT(KIND_IMAGE_CLASS), false,
		     "COCO: categories, images and their annotations"},
    [EXPORT_YOLO] = {"yolo", "application/zip", "zip", KIND_BIT(KIND_IMAGE_BBOX), true,
		     "YOLO (Ultralytics) labels and data.yaml, with the images"},
    [EXPORT_VOC] = {"voc", "application/zip", "zip", KIND_BIT(KIND_IMAGE_BBOX), true,
		    "Pascal VOC XML annotations, with the images"},
    [EXPORT_CONLL] = {"conll", "text/plain; charset=utf-8", "conll", KIND_BIT(KIND_TEXT_SPANS),
		      false, "CoNLL-2003 BIO tags, one token a line"},
    [EXPORT_LABELSTUDIO] = {"labelstudio", "application/json", "json", LABEL_KINDS, false,
			    "a Label Studio task array"},
    [EXPORT_PREFERENCE_PAIRS] = {"preference_pairs", "application/x-ndjson", "jsonl",
				 KIND_BIT(KIND_LLM_PREFERENCE), false,
				 "prompt/chosen/rejected JSON lines for DPO and reward models"},
    [EXPORT_CHAT] = {"chat", "application/x-ndjson", "jsonl", LLM_KINDS, false,
		     "chat-format {\"messages\"} JSON lines for supervised fine-tuning"},
    [EXPORT_OCR_TSV] = {"ocr_tsv", "text/tab-separated-values; charset=utf-8", "tsv",
			KIND_BIT(KIND_IMAGE_TRANSCRIPTION), false,
			"OCR ground truth: image path, line number and text, one line each"},
};

int export_format_parse(const char *name, export_format *out)
{
	for (int i = 0; i < EXPORT_FORMAT_COUNT; i++)
		if (name && !strcmp(name, export_formats[i].name)) {
			*out = (export_format)i;
			return 0;
		}
	return CL_EINVAL;
}

const char *export_format_name(export_format f)
{
	return f < EXPORT_FORMAT_COUNT ? export_formats[f].name : "";
}

const char *export_content_type(export_format f)
{
	return f < EXPORT_FORMAT_COUNT ? export_formats[f].content_type
				       : "application/octet-stream";
}

const char *export_extension(export_format f)
{
	return f < EXPORT_FORMAT_COUNT ? export_formats[f].extension : "bin";
}

bool export_format_supports(export_format f, task_kind kind)
{
	return f < EXPORT_FORMAT_COUNT && (export_formats[f].kinds & KIND_BIT(kind));
}

bool export_format_is_archive(export_format f)
{
	return f < EXPORT_FORMAT_COUNT && export_formats[f].archive;
}

/* ---- small writers ---- */

/* Decodes one code point of valid UTF-8; returns its length in bytes (0 at the end). */
static size_t utf8_next(const char *s, uint32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	if (!u[0])
		return 0;
	if (u[0] < 0x80) {
		*cp = u[0];
		return 1;
	}
	if (u[0] < 0xe0 && u[1]) {
		*cp = (uint32_t)(u[0] & 0x1f) << 6 | (u[1] & 0x3f);
		return 2;
	}
	if (u[0] < 0xf0 && u[1] && u[2]) {
		*cp = (uint32_t)(u[0] & 0x0f) << 12 | (uint32_t)(u[1] & 0x3f) << 6 | (u[2] & 0x3f);
		return 3;
	}
	if (u[1] && u[2] && u[3]) {
		*cp = (uint32_t)(u[0] & 0x07) << 18 | (uint32_t)(u[1] & 0x3f) << 12 |
		      (uint32_t)(u[2] & 0x3f) << 6 | (u[3] & 0x3f);
		return 4;
	}
	*cp = 0xfffd;
	return 1;
}

int64_t export_cp_to_utf16(const char *s, int64_t cp)
{
	int64_t u16 = 0;
	uint32_t c;
	size_t n;
	for (int64_t i = 0; i < cp && (n = utf8_next(s, &c)); i++, s += n)
		u16 += c >= 0x10000 ? 2 : 1;
	return u16;
}

int64_t export_utf16_to_cp(const char *s, int64_t u16)
{
	int64_t cp = 0, at = 0;
	uint32_t c;
	size_t n;
	while (at < u16 && (n = utf8_next(s, &c))) {
		at += c >= 0x10000 ? 2 : 1;
		s += n;
		cp++;
	}
	return cp;
}

/* Unicode White_Space, the separators of CoNLL tokens. */
static bool is_space(uint32_t c)
{
	return (c >= 0x09 && c <= 0x0d) || c == 0x20 || c == 0x85 || c == 0xa0 || c == 0x1680 ||
	       (c >= 0x2000 && c <= 0x200a) || c == 0x2028 || c == 0x2029 || c == 0x202f ||
	       c == 0x205f || c == 0x3000;
}

static int xml_text(buf *out, const char *s)
{
	int rc = 0;
	for (; !rc && *s; s++) {
		switch (*s) {
		case '&': rc = buf_puts(out, "&amp;"); break;
		case '<': rc = buf_puts(out, "&lt;"); break;
		case '>': rc = buf_puts(out, "&gt;"); break;
		case '"': rc = buf_puts(out, "&quot;"); break;
		case '\'': rc = buf_puts(out, "&apos;"); break;
		default:
			/* Control characters are not allowed in XML 1.0 at all. */
			rc = (unsigned char)*s < 0x20 && *s != '\t' && *s != '\n' && *s != '\r'
				     ? buf_append(out, "?", 1)
				     : buf_append(out, s, 1);
		}
	}
	return rc;
}

/* RFC 4180: a field of `len` bytes with a comma, quote or line break is quoted, quotes doubled.
 * A field a spreadsheet would read as a formula (it begins with '=', '+', '-', '@', a tab or a
 * carriage return) is quoted and starts with a ' (OWASP's advice on CSV injection). */
static int csv_field_n(buf *out, const char *s, size_t len)
{
	bool formula = len && s[0] && strchr("=+-@\t\r", s[0]);
	bool quote = formula;
	for (size_t i = 0; i < len && !quote; i++)
		quote = s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
	if (!quote)
		return buf_append(out, s, len);
	int rc = buf_append(out, formula ? "\"'" : "\"", formula ? 2 : 1);
	const char *end = s + len;
	for (const char *q; !rc && (q = memchr(s, '"', (size_t)(end - s))); s = q + 1) {
		rc = buf_append(out, s, (size_t)(q - s + 1));
		if (!rc)
			rc = buf_append(out, "\"", 1);
	}
	if (!rc)
		rc = buf_append(out, s, (size_t)(end - s));
	return rc ? rc : buf_append(out, "\"", 1);
}

static int csv_field(buf *out, const char *s)
{
	return csv_field_n(out, s, strlen(s));
}

const char *export_image_extension(const char *mime)
{
	static const char *const known[][2] = {{"image/png", "png"},   {"image/jpeg", "jpg"},
					       {"image/gif", "gif"},   {"image/bmp", "bmp"},
					       {"image/webp", "webp"}};
	for (size_t i = 0; mime && i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(mime, known[i][0]))
			return known[i][1];
	return "bin";
}

/* The file name stem of a row in archives: the item id, with the slot when it is not 0. */
static void row_stem(const export_row *r, char out[48])
{
	if (r->slot)
		snprintf(out, 48, "%lld_%d", (long long)r->item_id, r->slot);
	else
		snprintf(out, 48, "%lld", (long long)r->item_id);
}

/* ---- the writer ---- */

enum phase { PH_HEAD, PH_ROWS, PH_MID, PH_ROWS2, PH_TAIL, PH_DONE, PH_FAILED };

struct export_writer {
	export_options o;
	export_source src;
	json_t *labels;       /* own reference */
	json_t *label_index;  /* {"label": index} */
	enum phase phase;
	int64_t rows, pieces, ann_id;
	struct archive *ar;
	buf *out;             /* where the archive callback appends during a step */
	buf blob, entry;
	char error[256];
};

static int fail(export_writer *w, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int fail(export_writer *w, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->error, sizeof w->error, fmt, ap);
	va_end(ap);
	w->phase = PH_FAILED;
	return code;
}

static la_ssize_t archive_out(struct archive *a, void *ctx, const void *data, size_t n)
{
	(void)a;
	export_writer *w = ctx;
	return w->out && !buf_append(w->out, data, n) ? (la_ssize_t)n : -1;
}

static int archive_start(export_writer *w)
{
	w->ar = archive_write_new();
	if (!w->ar)
		return fail(w, CL_ENOMEM, "out of memory");
	if (archive_write_set_format_zip(w->ar) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(w->ar, 0) != ARCHIVE_OK ||
	    archive_write_open(w->ar, w, NULL, archive_out, NULL) != ARCHIVE_OK)
		return fail(w, CL_EINTERNAL, "cannot start the archive: %s",
			    archive_error_string(w->ar));
	return 0;
}

/* Writes one whole zip entry. Images are stored as they are (they are compressed already);
 * text entries are deflated. */
static int archive_put(export_writer *w, const char *name, const void *data, size_t len,
		       int64_t mtime_ms, bool store)
{
	struct archive_entry *e = archive_entry_new();
	if (!e)
		return fail(w, CL_ENOMEM, "out of memory");
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, (time_t)(mtime_ms / 1000), 0);
	if (store)
		archive_write_zip_set_compression_store(w->ar);
	else
		archive_write_zip_set_compression_deflate(w->ar);
	int rc = 0;
	if (archive_write_header(w->ar, e) != ARCHIVE_OK ||
	    (len && archive_write_data(w->ar, data, len) != (la_ssize_t)len) ||
	    archive_write_finish_entry(w->ar) != ARCHIVE_OK)
		rc = fail(w, CL_EINTERNAL, "cannot write %s to the archive: %s", name,
			  archive_error_string(w->ar));
	archive_entry_free(e);
	return rc;
}

int export_writer_new(const export_options *o, const export_source *src, export_writer **out)
{
	*out = NULL;
	if (o->format >= EXPORT_FORMAT_COUNT || !export_format_supports(o->format, o->kind))
		return CL_EINVAL;
	export_writer *w = calloc(1, sizeof *w);
	if (!w)
		return CL_ENOMEM;
	w->o = *o;
	w->src = *src;
	w->labels = o->labels ? json_incref((json_t *)o->labels) : json_array();
	w->o.labels = w->labels;
	w->label_index = json_object();
	size_t i;
	json_t *v;
	json_array_foreach(w->labels, i, v)
		if (json_is_string(v))
			json_object_set_new(w->label_index, json_string_value(v),
					    json_integer((json_int_t)i));
	buf_init(&w->blob, 0);
	buf_init(&w->entry, 0);
	*out = w;
	return 0;
}

void export_writer_free(export_writer *w)
{
	if (!w)
		return;
	if (w->ar) {
		w->out = NULL;
		archive_write_free(w->ar);
	}
	json_decref(w->labels);
	json_decref(w->label_index);
	buf_release(&w->blob);
	buf_release(&w->entry);
	free(w);
}

const char *export_writer_error(const export_writer *w)
{
	return w->error;
}

int64_t export_writer_rows(const export_writer *w)
{
	return w->rows;
}

/* The label's index in the project's list, or -1. */
static int64_t label_index(const export_writer *w, const json_t *label)
{
	json_t *v = json_is_string(label) ? json_object_get(w->label_index, json_string_value(label))
					  : NULL;
	return v ? json_integer_value(v) : -1;
}

static json_t *row_annotation(export_writer *w, const export_row *r)
{
	json_t *a = json_loads(r->annotation ? r->annotation : "", 0, NULL);
	if (!json_is_object(a)) {
		json_decref(a);
		fail(w, CL_EINTERNAL, "task %lld has an unreadable annotation",
		     (long long)r->task_id);
		return NULL;
	}
	return a;
}

/* ---- JSONL ---- */

static int jsonl_row(export_writer *w, const export_row *r, buf *out)
{
	/* The hottest export: built with appends, not printf, since it runs once a row. */
	int rc = buf_puts(out, "{\"task_id\":");
	rc = rc ? rc : buf_put_int(out, r->task_id);
	rc = rc ? rc : buf_puts(out, ",\"item_id\":");
	rc = rc ? rc : buf_put_int(out, r->item_id);
	rc = rc ? rc : buf_puts(out, ",\"slot\":");
	rc = rc ? rc : buf_put_int(out, r->slot);
	if (!rc && (w->o.kind == KIND_LLM_PREFERENCE || w->o.kind == KIND_LLM_RESPONSE)) {
		rc = export_llm_data(w->o.kind, r, out);
	} else if (!rc && r->type == ITEM_TEXT) {
		rc = buf_puts(out, ",\"text\":");
		const char *text = r->text ? r->text : "";
		rc = rc ? rc : json_write_string(out, text, strlen(text));
	} else if (!rc) {
		rc = buf_puts(out, ",\"asset\":\"/api/v1/items/");
		rc = rc ? rc : buf_put_int(out, r->item_id);
		rc = rc ? rc : buf_puts(out, "/asset\",\"width\":");
		rc = rc ? rc : buf_put_int(out, r->width);
		rc = rc ? rc : buf_puts(out, ",\"height\":");
		rc = rc ? rc : buf_put_int(out, r->height);
	}
	rc = rc ? rc : buf_puts(out, ",\"annotation\":");
	rc = rc ? rc : buf_puts(out, r->annotation && *r->annotation ? r->annotation : "null");
	rc = rc ? rc : buf_puts(out, ",\"worker_id\":");
	if (!rc)
		rc = r->worker_id ? buf_put_int(out, r->worker_id) : buf_puts(out, "null");
	rc = rc ? rc : buf_puts(out, ",\"reviewer_id\":");
	if (!rc)
		rc = r->reviewer_id ? buf_put_int(out, r->reviewer_id) : buf_puts(out, "null");
	if (!rc && r->annotators > 1) {
		rc = buf_puts(out, ",\"annotators\":");
		rc = rc ? rc : buf_put_int(out, r->annotators);
		rc = rc ? rc : buf_puts(out, ",\"agreement\":");
		rc = rc ? rc : (r->agreement >= 0 ? json_write_number(out, r->agreement)
						  : buf_puts(out, "null"));
	}
	char at[32];
	clock_iso8601(r->approved_at, at);
	rc = rc ? rc : buf_puts(out, ",\"round\":");
	rc = rc ? rc : buf_put_int(out, r->round);
	rc = rc ? rc : buf_puts(out, ",\"approved_at\":\"");
	rc = rc ? rc : buf_puts(out, at);
	rc = rc ? rc : buf_puts(out, "\"");
	if (!rc && r->split) {
		rc = buf_puts(out, ",\"split\":\"");
		rc = rc ? rc : buf_puts(out, r->split);
		rc = rc ? rc : buf_puts(out, "\"");
	}
	return rc ? rc : buf_puts(out, "}\n");
}

/* ---- CSV ---- */

static const char csv_header[] = "task_id,item_id,slot,split,text,asset,labels,annotation,"
				 "worker_id,reviewer_id,round,approved_at\r\n";

/* The labels of an annotation joined with ';' (classes, or each box's or span's label). */
static int joined_labels(const json_t *a, buf *out)
{
	int rc = 0;
	bool first = true;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(a, "labels"), i, v)
	{
		if (!first)
			rc = rc ? rc : buf_append(out, ";", 1);
		rc = rc ? rc : buf_puts(out, json_is_string(v) ? json_string_value(v) : "");
		first = false;
	}
	const char *parts[] = {"boxes", "spans"};
	for (int k = 0; k < 2; k++)
		json_array_foreach(json_object_get(a, parts[k]), i, v)
		{
			const char *l = json_string_value(json_object_get(v, "label"));
			if (!first)
				rc = rc ? rc : buf_append(out, ";", 1);
			rc = rc ? rc : buf_puts(out, l ? l : "");
			first = false;
		}
	return rc;
}

static int csv_row(export_writer *w, const export_row *r, buf *out)
{
	json_t *a = row_annotation(w, r);
	if (!a)
		return CL_EINTERNAL;
	buf *tmp = &w->entry;
	tmp->len = 0;
	int rc = buf_printf(out, "%lld,%lld,%d,%s,", (long long)r->task_id, (long long)r->item_id,
			    r->slot, r->split ? r->split : "");
	if (!rc)
		rc = csv_field(out, r->type == ITEM_TEXT && r->text ? r->text : "");
	if (!rc && r->type == ITEM_IMAGE)
		rc = buf_printf(out, ",/api/v1/items/%lld/asset,", (long long)r->item_id);
	else if (!rc)
		rc = buf_puts(out, ",,");
	if (!rc)
		rc = joined_labels(a, tmp);
	if (!rc)
		rc = csv_field_n(out, tmp->data ? tmp->data : "", tmp->len);
	if (!rc)
		rc = buf_append(out, ",", 1);
	if (!rc)
		rc = csv_field(out, r->annotation ? r->annotation : "");
	char at[32];
	clock_iso8601(r->approved_at, at);
	if (!rc)
		rc = buf_puts(out, ",");
	if (!rc && r->worker_id)
		rc = buf_printf(out, "%lld", (long long)r->worker_id);
	if (!rc)
		rc = buf_puts(out, ",");
	if (!rc && r->reviewer_id)
		rc = buf_printf(out, "%lld", (long long)r->reviewer_id);
	if (!rc)
		rc = buf_printf(out, ",%d,%s\r\n", r->round, at);
	json_decref(a);
	return rc;
}

/* ---- COCO ---- */

static int coco_head(export_writer *w, buf *out)
{
	int rc = buf_puts(out, "{\"info\":{\"description\":\"crowdloop export\",\"version\":\"1.0\"},"
			       "\"licenses\":[],\"categories\":[");
	size_t i;
	json_t *v;
	json_array_foreach(w->labels, i, v)
	{
		if (!rc)
			rc = buf_printf(out, "%s{\"id\":%zu,\"name\":", i ? "," : "", i + 1);
		if (!rc)
			rc = json_write_string(out, json_string_value(v), json_string_length(v));
		if (!rc)
			rc = buf_puts(out, ",\"supercategory\":\"\"}");
	}
	return rc ? rc : buf_puts(out, "],\"images\":[");
}

/* Images are one per row (task), so with overlap each annotator's boxes stay apart. */
static int coco_image(export_writer *w, const export_row *r, buf *out)
{
	int rc = buf_puts(out, w->pieces++ ? ",{\"id\":" : "{\"id\":");
	rc = rc ? rc : buf_put_int(out, r->task_id);
	rc = rc ? rc : buf_puts(out, ",\"file_name\":\"");
	rc = rc ? rc : buf_put_int(out, r->item_id);
	rc = rc ? rc : buf_append(out, ".", 1);
	rc = rc ? rc : buf_puts(out, export_image_extension(r->mime));
	rc = rc ? rc : buf_puts(out, "\",\"width\":");
	rc = rc ? rc : buf_put_int(out, r->width);
	rc = rc ? rc : buf_puts(out, ",\"height\":");
	rc = rc ? rc : buf_put_int(out, r->height);
	return rc ? rc : buf_append(out, "}", 1);
}

static int coco_annotations(export_writer *w, const export_row *r, buf *out)
{
	json_t *a = row_annotation(w, r);
	if (!a)
		return CL_EINTERNAL;
	int rc = 0;
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(a, "boxes"), i, v)
	{
		double x = json_number_value(json_object_get(v, "x"));
		double y = json_number_value(json_object_get(v, "y"));
		double bw = json_number_value(json_object_get(v, "w"));
		double bh = json_number_value(json_object_get(v, "h"));
		int64_t cat = label_index(w, json_object_get(v, "label"));
		if (rc)
			break;
		rc = buf_puts(out, w->pieces++ ? ",{\"id\":" : "{\"id\":");
		rc = rc ? rc : buf_put_int(out, ++w->ann_id);
		rc = rc ? rc : buf_puts(out, ",\"image_id\":");
		rc = rc ? rc : buf_put_int(out, r->task_id);
		rc = rc ? rc : buf_puts(out, ",\"category_id\":");
		rc = rc ? rc : buf_put_int(out, cat + 1);
		rc = rc ? rc : buf_puts(out, ",\"bbox\":[");
		rc = rc ? rc : json_write_number(out, x);
		rc = rc ? rc : buf_append(out, ",", 1);
		rc = rc ? rc : json_write_number(out, y);
		rc = rc ? rc : buf_append(out, ",", 1);
		rc = rc ? rc : json_write_number(out, bw);
		rc = rc ? rc : buf_append(out, ",", 1);
		rc = rc ? rc : json_write_number(out, bh);
		rc = rc ? rc : buf_puts(out, "],\"area\":");
		rc = rc ? rc : json_write_number(out, bw * bh);
		rc = rc ? rc : buf_puts(out, ",\"iscrowd\":0,\"segmentation\":[]}");
	}
	/* Classification: an annotation per chosen label, without a box. */
	json_array_foreach(json_object_get(a, "labels"), i, v)
	{
		if (rc)
			break;
		rc = buf_printf(out, "%s{\"id\":%lld,\"image_id\":%lld,\"category_id\":%lld}",
				w->pieces++ ? "," : "", (long long)++w->ann_id,
				(long long)r->task_id, (long long)(label_index(w, v) + 1));
	}
	json_decref(a);
	return rc;
}

/* ---- YOLO and Pascal VOC ---- */

static int yolo_head(export_writer *w)
{
	buf *b = &w->entry;
	b->len = 0;
	int rc = 0;
	size_t i;
	json_t *v;
	json_array_foreach(w->labels, i, v)
		rc = rc ? rc : buf_printf(b, "%s\n", json_string_value(v));
	if (!rc)
		rc = archive_put(w, "classes.txt", b->data ? b->data : "", b->len, 0, false);
	/* data.yaml for Ultralytics; names as JSON strings, which YAML reads as they are. */
	b->len = 0;
	rc = rc ? rc : buf_printf(b, "path: .\n");
	if (!rc && w->o.with_images)
		rc = buf_puts(b, "train: images/train\nval: images/validation\ntest: images/test\n");
	rc = rc ? rc : buf_printf(b, "nc: %zu\nnames: [", json_array_size(w->labels));
	json_array_foreach(w->labels, i, v)
	{
		rc = rc ? rc : buf_puts(b, i ? ", " : "");
		rc = rc ? rc : json_write_string(b, json_string_value(v), json_string_length(v));
	}
	rc = rc ? rc : buf_puts(b, "]\n");
	if (!rc)
		rc = archive_put(w, "data.yaml", b->data, b->len, 0, false);
	return rc;
}

/* "images/<split>/<stem>.png": rows of a live project (no split) all go to train. */
static int put_image(export_writer *w, const export_row *r, const char *dir, bool by_split)
{
	int rc = w->src.read_blob ? w->src.read_blob(w->src.ctx, r, &w->blob) : CL_ENOTFOUND;
	if (rc)
		return fail(w, rc, "the image of item %lld cannot be read", (long long)r->item_id);
	char stem[48], name[160];
	row_stem(r, stem);
	if (by_split)
		snprintf(name, sizeof name, "%s/%s/%s.%s", dir, r->split ? r->split : "train", stem,
			 export_image_extension(r->mime));
	else
		snprintf(name, sizeof name, "%s/%s.%s", dir, stem, export_image_extension(r->mime));
	return archive_put(w, name, w->blob.data, w->blob.len, r->approved_at, true);
}

static int yolo_row(export_writer *w, const export_row *r)
{
	json_t *a = row_annotation(w, r);
	if (!a)
		return CL_EINTERNAL;
	buf *b = &w->entry;
	b->len = 0;
	int rc = 0;
	size_t i;
	json_t *v;
	double iw = r->width > 0 ? (double)r->width : 1, ih = r->height > 0 ? (double)r->height : 1;
	json_array_foreach(json_object_get(a, "boxes"), i, v)
	{
		double x = json_number_value(json_object_get(v, "x"));
		double y = json_number_value(json_object_get(v, "y"));
		double bw = json_number_value(json_object_get(v, "w"));
		double bh = json_number_value(json_object_get(v, "h"));
		rc = rc ? rc : buf_printf(b, "%lld %.6f %.6f %.6f %.6f\n",
					  (long long)label_index(w, json_object_get(v, "label")),
					  (x + bw / 2) / iw, (y + bh / 2) / ih, bw / iw, bh / ih);
	}
	json_decref(a);
	if (rc)
		return fail(w, rc, "out of memory");
	if (w->o.with_images && (rc = put_image(w, r, "images", true)))
		return rc;
	char stem[48], name[160];
	row_stem(r, stem);
	if (w->o.with_images)
		snprintf(name, sizeof name, "labels/%s/%s.txt", r->split ? r->split : "train", stem);
	else
		snprintf(name, sizeof name, "labels/%s.txt", stem);
	return archive_put(w, name, b->data ? b->data : "", b->len, r->approved_at, false);
}

/* VOC pixel indices are 1-based and inclusive: a box from 0 to the width covers 1..width. */
static int voc_row(export_writer *w, const export_row *r)
{
	json_t *a = row_annotation(w, r);
	if (!a)
		return CL_EINTERNAL;
	char stem[48], file[96], name[160];
	row_stem(r, stem);
	snprintf(file, sizeof file, "%s.%s", stem, export_image_extension(r->mime));
	buf *b = &w->entry;
	b->len = 0;
	int rc = buf_printf(b, "<annotation>\n\t<folder>JPEGImages</folder>\n"
			       "\t<filename>%s</filename>\n\t<source><database>crowdloop</database>"
			       "</source>\n\t<size>\n\t\t<width>%lld</width>\n"
			       "\t\t<height>%lld</height>\n\t\t<depth>3</depth>\n\t</size>\n"
			       "\t<segmented>0</segmented>\n",
			    file, (long long)r->width, (long long)r->height);
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(a, "boxes"), i, v)
	{
		double x = json_number_value(json_object_get(v, "x"));
		double y = json_number_value(json_object_get(v, "y"));
		double bw = json_number_value(json_object_get(v, "w"));
		double bh = json_number_value(json_object_get(v, "h"));
		const char *label = json_string_value(json_object_get(v, "label"));
		rc = rc ? rc : buf_puts(b, "\t<object>\n\t\t<name>");
		rc = rc ? rc : xml_text(b, label ? label : "");
		rc = rc ? rc
			: buf_printf(b, "</name>\n\t\t<pose>Unspecified</pose>\n"
					"\t\t<truncated>0</truncated>\n\t\t<difficult>0</difficult>\n"
					"\t\t<bndbox>\n\t\t\t<xmin>%lld</xmin>\n\t\t\t<ymin>%lld</ymin>\n"
					"\t\t\t<xmax>%lld</xmax>\n\t\t\t<ymax>%lld</ymax>\n"
					"\t\t</bndbox>\n\t</object>\n",
				     (long long)llround(x) + 1, (long long)llround(y) + 1,
				     (long long)llround(x + bw), (long long)llround(y + bh));
	}
	rc = rc ? rc : buf_puts(b, "</annotation>\n");
	json_decref(a);
	if (rc)
		return fail(w, rc, "out of memory");
	if (w->o.with_images && (rc = put_image(w, r, "JPEGImages", false)))
		return rc;
	snprintf(name, sizeof name, "Annotations/%s.xml", stem);
	return archive_put(w, name, b->data, b->len, r->approved_at, false);
}

/* ---- CoNLL-2003 ---- */

typedef struct span_ref {
	int64_t start, end;
	const char *label;
	size_t order;
} span_ref;

/* Earlier start first, then the longer span, then the order given: the winner of a token that
 * several overlapping spans cover. */
static int span_cmp(const void *pa, const void *pb)
{
	const span_ref *a = pa, *b = pb;
	if (a->start != b->start)
		return a->start < b->start ? -1 : 1;
	if (a->end != b->end)
		return a->end > b->end ? -1 : 1;
	return a->order < b->order ? -1 : a->order > b->order;
}

static int conll_row(export_writer *w, const export_row *r, buf *out)
{
	json_t *a = row_annotation(w, r);
	if (!a)
		return CL_EINTERNAL;
	json_t *spans = json_object_get(a, "spans");
	size_t n = json_array_size(spans);
	span_ref *sp = n ? calloc(n, sizeof *sp) : NULL;
	if (n && !sp) {
		json_decref(a);
		return fail(w, CL_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		json_t *s = json_array_get(spans, i);
		sp[i].start = json_integer_value(json_object_get(s, "start"));
		sp[i].end = json_integer_value(json_object_get(s, "end"));
		sp[i].label = json_string_value(json_object_get(s, "label"));
		if (!sp[i].label)
			sp[i].label = "";
		sp[i].order = i;
	}
	if (n > 1)
		qsort(sp, n, sizeof *sp, span_cmp);
	const char *t = r->text ? r->text : "";
	int64_t cp = 0, tok_start = 0;
	const char *tok = NULL;
	long prev = -1; /* the span that tagged the previous token */
	int rc = 0;
	uint32_t c;
	for (const char *s = t;; cp++) {
		size_t len = utf8_next(s, &c);
		bool end = len == 0 || is_space(c);
		if (end && tok) {
			long win = -1;
			for (size_t i = 0; i < n && win < 0; i++)
				if (sp[i].start < cp && sp[i].end > tok_start)
					win = (long)i;
			rc = rc ? rc : buf_append(out, tok, (size_t)(s - tok));
			if (win < 0)
				rc = rc ? rc : buf_puts(out, " -X- _ O\n");
			else
				rc = rc ? rc
					: buf_printf(out, " -X- _ %s-%s\n", win == prev ? "I" : "B",
						     sp[win].label);
			prev = win;
			tok = NULL;
		} else if (!end && !tok) {
			tok = s;
			tok_start = cp;
		}
		if (!len)
			break;
		s += len;
	}
	rc = rc ? rc : buf_append(out, "\n", 1);
	free(sp);
	json_decref(a);
	return rc;
}

/* ---- Label Studio ---- */

static json_t *ls_result(export_writer *w, const export_row *r, const json_t *a)
{
	const char *to = r->type == ITEM_TEXT ? "text" : "image";
	json_t *res = json_array();
	json_t *labels = json_object_get(a, "labels");
	if (json_is_array(labels))
		json_array_append_new(res, json_pack("{s:s,s:s,s:s,s:s,s:{s:O}}", "id", "choice",
						     "from_name", "label", "to_name", to, "type",
						     "choices", "value", "choices", labels));
	size_t i;
	json_t *v;
	double iw = r->width > 0 ? (double)r->width : 1, ih = r->height > 0 ? (double)r->height : 1;
	json_array_foreach(json_object_get(a, "boxes"), i, v)
	{
		char id[32];
		snprintf(id, sizeof id, "b%zu", i);
		json_t *value = json_pack(
			"{s:f,s:f,s:f,s:f,s:i,s:[O]}", "x",
			json_number_value(json_object_get(v, "x")) * 100 / iw, "y",
			json_number_value(json_object_get(v, "y")) * 100 / ih, "width",
			json_number_value(json_object_get(v, "w")) * 100 / iw, "height",
			json_number_value(json_object_get(v, "h")) * 100 / ih, "rotation", 0,
			"rectanglelabels", json_object_get(v, "label"));
		json_array_append_new(res, json_pack("{s:s,s:s,s:s,s:s,s:I,s:I,s:i,s:o}", "id", id,
						     "from_name", "label", "to_name", "image",
						     "type", "rectanglelabels", "original_width",
						     (json_int_t)r->width, "original_height",
						     (json_int_t)r->height, "image_rotation", 0,
						     "value", value));
	}
	/* Label Studio counts offsets in UTF-16 units, as JavaScript strings do. */
	const char *t = r->text ? r->text : "";
	json_array_foreach(json_object_get(a, "spans"), i, v)
	{
		int64_t s = json_integer_value(json_object_get(v, "start"));
		int64_t e = json_integer_value(json_object_get(v, "end"));
		int64_t s16 = export_cp_to_utf16(t, s), e16 = export_cp_to_utf16(t, e);
		/* The covered text: skip s code points, take e - s. */
		const char *from = t, *to_p;
		uint32_t c;
		size_t len;
		for (int64_t k = 0; k < s && (len = utf8_next(from, &c)); k++)
			from += len;
		to_p = from;
		for (int64_t k = s; k < e && (len = utf8_next(to_p, &c)); k++)
			to_p += len;
		char id[32];
		snprintf(id, sizeof id, "s%zu", i);
		json_t *value = json_pack("{s:I,s:I,s:s%,s:[O]}", "start", (json_int_t)s16, "end",
					  (json_int_t)e16, "text", from, (size_t)(to_p - from),
					  "labels", json_object_get(v, "label"));
		json_array_append_new(res, json_pack("{s:s,s:s,s:s,s:s,s:o}", "id", id, "from_name",
						     "label", "to_name", "text", "type", "labels",
						     "value", value));
	}
	(void)w;
	return res;
}

static int ls_row(export_writer *w, const export_row *r, buf *out)
{
	json_t *a = row_annotation(w, r);
	if (!a)
		return CL_EINTERNAL;
	char at[32], asset[64], file[96];
	clock_iso8601(r->approved_at, at);
	json_t *data;
	if (r->type == ITEM_TEXT) {
		data = json_pack("{s:s}", "text", r->text ? r->text : "");
	} else {
		/* The image's file name is its content hash: unique, and what an import of this
		 * JSON with the images beside it matches (the URL stays in meta.asset). */
		if (r->content_hash && r->content_hash[0])
			snprintf(file, sizeof file, "%.64s.%s", r->content_hash, export_image_extension(r->mime));
		else
			snprintf(file, sizeof file, "%lld.%s", (long long)r->item_id,
				 export_image_extension(r->mime));
		data = json_pack("{s:s}", "image", file);
	}
	json_t *meta = json_pack("{s:I,s:i,s:s}", "item_id", (json_int_t)r->item_id, "slot",
				 r->slot, "content_hash", r->content_hash ? r->content_hash : "");
	if (r->type != ITEM_TEXT) {
		snprintf(asset, sizeof asset, "/api/v1/items/%lld/asset", (long long)r->item_id);
		json_object_set_new(meta, "asset", json_string(asset));
	}
	if (r->split)
		json_object_set_new(meta, "split", json_string(r->split));
	/* A consolidated row has no one author. */
	json_t *ann = json_pack("{s:I}", "id", (json_int_t)r->task_id);
	if (r->worker_id)
		json_object_set_new(ann, "completed_by", json_integer(r->worker_id));
	json_object_set_new(ann, "result", ls_result(w, r, a));
	json_object_set_new(ann, "created_at", json_string(at));
	json_object_set_new(ann, "was_cancelled", json_false());
	if (r->reviewer_id)
		json_object_set_new(ann, "reviewed_by", json_integer(r->reviewer_id));
	json_t *task = json_pack("{s:I,s:o,s:o,s:[o]}", "id", (json_int_t)r->task_id, "data",
				 data, "meta", meta, "annotations", ann);
	char *s = task ? json_dumps(task, JSON_OUT) : NULL;
	json_decref(task);
	json_decref(a);
	if (!s)
		return fail(w, CL_ENOMEM, "out of memory");
	int rc = buf_puts(out, w->pieces++ ? ",\n" : "\n");
	rc = rc ? rc : buf_puts(out, s);
	free(s);
	return rc;
}

/* ---- the state machine ---- */

static int head(export_writer *w, buf *out)
{
	switch (w->o.format) {
	case EXPORT_CSV:
		return buf_puts(out, csv_header);
	case EXPORT_COCO:
		return coco_head(w, out);
	case EXPORT_YOLO:
		return archive_start(w) ? CL_EINTERNAL : yolo_head(w);
	case EXPORT_VOC:
		return archive_start(w);
	case EXPORT_CONLL:
		return buf_puts(out, "-DOCSTART- -X- -X- O\n\n");
	case EXPORT_LABELSTUDIO:
		return buf_puts(out, "[");
	default:
		return 0;
	}
}

/* The result of a kind's writer (core/export_kinds.h), with the reason of a failure. */
static int kind_row(export_writer *w, const export_row *r, int rc)
{
	if (rc == CL_EINTERNAL)
		return fail(w, rc, "task %lld has an unreadable annotation or item",
			    (long long)r->task_id);
	return rc;
}

static int row(export_writer *w, const export_row *r, buf *out, bool second)
{
	switch (w->o.format) {
	case EXPORT_JSONL:
		return jsonl_row(w, r, out);
	case EXPORT_CSV:
		return csv_row(w, r, out);
	case EXPORT_COCO:
		return second ? coco_annotations(w, r, out) : coco_image(w, r, out);
	case EXPORT_YOLO:
		return yolo_row(w, r);
	case EXPORT_VOC:
		return voc_row(w, r);
	case EXPORT_CONLL:
		return conll_row(w, r, out);
	case EXPORT_LABELSTUDIO:
		return ls_row(w, r, out);
	case EXPORT_PREFERENCE_PAIRS:
		return kind_row(w, r, export_preference_pairs_row(r, w->o.all_pairs, out));
	case EXPORT_CHAT:
		return kind_row(w, r, export_chat_row(w->o.kind, r, out));
	case EXPORT_OCR_TSV:
		return kind_row(w, r, export_ocr_tsv_row(r, out));
	default:
		return CL_EINVAL;
	}
}

static int tail(export_writer *w, buf *out)
{
	switch (w->o.format) {
	case EXPORT_COCO:
		return buf_puts(out, "]}\n");
	case EXPORT_YOLO:
	case EXPORT_VOC:
		if (archive_write_close(w->ar) != ARCHIVE_OK)
			return fail(w, CL_EINTERNAL, "cannot finish the archive: %s",
				    archive_error_string(w->ar));
		return 0;
	case EXPORT_LABELSTUDIO:
		return buf_puts(out, "\n]\n");
	default:
		return 0;
	}
}

int export_writer_step(export_writer *w, buf *out)
{
	int rc = 0;
	w->out = out;
	switch (w->phase) {
	case PH_HEAD:
		rc = head(w, out);
		if (!rc)
			w->phase = PH_ROWS;
		break;
	case PH_ROWS:
	case PH_ROWS2: {
		export_row r;
		memset(&r, 0, sizeof r);
		int got = w->src.next(w->src.ctx, &r);
		if (got < 0) {
			rc = fail(w, got, "reading the rows failed");
			break;
		}
		if (got == 0) {
			w->phase = w->phase == PH_ROWS && w->o.format == EXPORT_COCO ? PH_MID : PH_TAIL;
			break;
		}
		rc = row(w, &r, out, w->phase == PH_ROWS2);
		if (w->phase == PH_ROWS)
			w->rows++;
		break;
	}
	case PH_MID:
		/* COCO: annotations follow every image, from a second pass over the same rows. */
		w->pieces = 0;
		rc = buf_puts(out, "],\"annotations\":[");
		if (!rc && (rc = w->src.rewind(w->src.ctx)))
			rc = fail(w, rc, "cannot read the rows again");
		if (!rc)
			w->phase = PH_ROWS2;
		break;
	case PH_TAIL:
		rc = tail(w, out);
		if (!rc)
			w->phase = PH_DONE;
		break;
	case PH_DONE:
		w->out = NULL;
		return 0;
	case PH_FAILED:
		w->out = NULL;
		return CL_EINTERNAL;
	}
	w->out = NULL;
	if (rc) {
		if (w->phase != PH_FAILED)
			fail(w, rc, rc == CL_ETOOBIG ? "a row is too large" : "out of memory");
		return rc;
	}
	return 1;
}
