/* Turning an upload into items. One upload is picked a format (content type, then file
 * extension, then the bytes' signature) and parsed: JSONL line by line with jansson, CSV with
 * an RFC 4180 reader (quoted fields may hold commas, doubled quotes and line breaks), a text
 * file as one item, an image decoded with stb_image to prove it is whole, and zip/tar archives
 * (optionally gzipped) entry by entry with libarchive, from memory. Every entry ends either in
 * the sink's item callback or in its reject callback with one of the reasons of docs/API.md;
 * the caller hashes, dedupes and stores. */
#include "core/import.h"
#include "core/import_tools.h"
#include "core/llm_item.h"
#include "core/upload_type.h"
#include "util/buf.h"
#include "util/err.h"
#include "util/json_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <limits.h>
#include <locale.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_PNG
#define STBI_ONLY_JPEG
#define STBI_ONLY_GIF
#define STBI_ONLY_BMP
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#pragma GCC diagnostic ignored "-Wunused-function"
#pragma GCC diagnostic ignored "-Wunused-but-set-variable"
#pragma GCC diagnostic ignored "-Wsign-compare"
#pragma GCC diagnostic ignored "-Wtype-limits"
#pragma GCC diagnostic ignored "-Wimplicit-fallthrough"
#pragma GCC diagnostic ignored "-Wmissing-field-initializers"
/* stb_image copies 0 bytes to a NULL buffer when a PNG's first IDAT chunk is empty; memcpy
 * with a NULL pointer is undefined even then, so inside stb_image copies go through a wrapper
 * that skips empty ones. */
static void *stb_copy(void *dst, const void *src, size_t n)
{
	return n ? memcpy(dst, src, n) : dst;
}
#define memcpy(dst, src, n) stb_copy(dst, src, n)
#include <stb_image.h>
#undef memcpy
#pragma GCC diagnostic pop

void import_limits_default(import_limits *lim)
{
	lim->max_text_bytes = 64 * 1024;
	lim->max_image_bytes = 32 * 1024 * 1024;
	lim->max_image_side = 16384;
	lim->max_image_pixels = IMPORT_MAX_IMAGE_PIXELS;
	lim->max_entry_bytes = 256 * 1024 * 1024;
	lim->max_entries = 2000000;
	lim->max_inflate_ratio = 200;
	lim->max_cpu_ns = 60LL * 1000000000;
	lim->check_only = false;
	lim->project = NULL;
	lim->progress = NULL;
}

int import_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + len;
	while (p < end) {
		unsigned c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t n;
		uint32_t cp, min;
		if (c >= 0xc2 && c <= 0xdf) {
			n = 2, cp = c & 0x1f, min = 0x80;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 3, cp = c & 0x0f, min = 0x800;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 4, cp = c & 0x07, min = 0x10000;
		} else {
			return 0; /* a continuation byte, an overlong lead (c0, c1) or past f4 */
		}
		if ((size_t)(end - p) < n)
			return 0;
		for (size_t i = 1; i < n; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (p[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		p += n;
	}
	return 1;
}

/* ---- entries, limits and the sink ---- */

typedef struct import_ctx {
	import_limits lim;
	const import_sink *sink;
	size_t entries;	      /* items and rejections so far */
	uint64_t inflated;    /* bytes archives' entries expanded to */
	uint64_t inflate_max; /* what they may: the archive's size times the ratio */
	int64_t cpu_start;    /* the thread's CPU time when the parse began */
} import_ctx;

static int64_t thread_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/* Every entry counts against the entry limit and the parse's CPU time. */
static int count_entry(import_ctx *c)
{
	if (c->lim.progress && atomic_load(&c->lim.progress->cancel))
		return CL_ECONFLICT;
	if (c->entries >= c->lim.max_entries)
		return CL_ETOOBIG;
	c->entries++;
	if (c->lim.max_cpu_ns > 0 && !(c->entries & 1023) &&
	    thread_cpu_ns() - c->cpu_start > c->lim.max_cpu_ns)
		return CL_ETOOBIG;
	return 0;
}

/* Counts an entry of `line`, an item or a rejection, in the watched progress. */
static void progress_entry(import_ctx *c, long line, bool item)
{
	import_progress *pr = c->lim.progress;
	if (!pr)
		return;
	if (line > 0)
		atomic_store_explicit(&pr->lines_read, line, memory_order_relaxed);
	atomic_fetch_add_explicit(item ? &pr->items : &pr->rejected, 1, memory_order_relaxed);
}

static void progress_bytes(import_ctx *c, size_t pos)
{
	if (c->lim.progress)
		atomic_store_explicit(&c->lim.progress->bytes_read, (long long)pos,
				      memory_order_relaxed);
}

static int emit_reject(import_ctx *c, const char *source, long line, const char *reason)
{
	int rc = count_entry(c);
	if (rc)
		return rc;
	progress_entry(c, line, false);
	return c->sink->reject(c->sink->ctx, source, line, reason);
}

static int emit_item(import_ctx *c, const import_entry *e)
{
	int rc = count_entry(c);
	if (rc)
		return rc;
	progress_entry(c, e->line, true);
	return c->sink->item(c->sink->ctx, e);
}

/* ---- text ---- */

/* Decodes the character at s[0] of valid UTF-8; returns its length. */
static size_t utf8_decode(const unsigned char *s, uint32_t *cp)
{
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xe0) {
		*cp = (uint32_t)(s[0] & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (s[0] < 0xf0) {
		*cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3f);
		return 3;
	}
	*cp = (uint32_t)(s[0] & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
	      (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
	return 4;
}

/* White space, and the invisible characters that make a text look empty. */
static bool is_space(uint32_t cp)
{
	switch (cp) {
	case ' ':
	case '\t':
	case '\n':
	case '\v':
	case '\f':
	case '\r':
	case 0x85:
	case 0xa0:
	case 0x1680:
	case 0x2028:
	case 0x2029:
	case 0x202f:
	case 0x205f:
	case 0x3000:
	case 0xfeff: return true;
	default: return cp >= 0x2000 && cp <= 0x200b;
	}
}

/* True when valid UTF-8 text holds nothing but white space. */
static bool text_blank(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < len) {
		uint32_t cp;
		i += utf8_decode(p + i, &cp);
		if (!is_space(cp))
			return false;
	}
	return true;
}

/* Why a text cannot be an item, or NULL when it can. A NUL byte is not text either. */
static const char *text_problem(const import_ctx *c, const char *s, size_t len)
{
	if (!import_utf8_valid(s, len) || memchr(s, '\0', len))
		return "invalid UTF-8";
	if (text_blank(s, len))
		return "empty text";
	if (len > c->lim.max_text_bytes)
		return "text too long";
	return NULL;
}

static void skip_bom(const unsigned char **d, size_t *n)
{
	if (*n >= 3 && memcmp(*d, "\xef\xbb\xbf", 3) == 0) {
		*d += 3;
		*n -= 3;
	}
}

static int plain_item(import_ctx *c, const char *source, long line, const char *text, size_t len,
		      const json_t *meta)
{
	import_entry e = {
	    .source = source,
	    .line = line,
	    .type = ITEM_TEXT,
	    .text = text,
	    .text_len = len,
	    .meta = meta,
	};
	return emit_item(c, &e);
}

static bool llm_project(const import_ctx *c)
{
	return c->lim.project && project_is_llm(c->lim.project);
}

/* An LLM project's item: the document built from `in` (core/llm_item.h), stored as its
 * canonical JSON text, which must fit the text limit like any text. */
static int llm_item(import_ctx *c, const char *source, long line, const json_t *in,
		    const json_t *meta)
{
	const char *why;
	json_t *doc = llm_item_from_json(in, c->lim.project->kind, &why);
	if (!doc)
		return emit_reject(c, source, line, why);
	char *text = json_dumps(doc, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(doc);
	if (!text)
		return CL_ENOMEM;
	size_t len = strlen(text);
	why = text_problem(c, text, len);
	int rc =
	    why ? emit_reject(c, source, line, why) : plain_item(c, source, line, text, len, meta);
	free(text);
	return rc;
}

/* A text item; in an LLM project the text is the prompt. */
static int text_item(import_ctx *c, const char *source, long line, const char *text, size_t len,
		     const json_t *meta)
{
	if (!llm_project(c))
		return plain_item(c, source, line, text, len, meta);
	json_t *in = json_pack("{s:s%}", "prompt", text, len);
	if (!in)
		return CL_ENOMEM;
	int rc = llm_item(c, source, line, in, meta);
	json_decref(in);
	return rc;
}

/* A text file: the whole file, less trailing line breaks, is one item. */
static int parse_txt(import_ctx *c, const char *source, const unsigned char *d, size_t n)
{
	skip_bom(&d, &n);
	while (n && (d[n - 1] == '\n' || d[n - 1] == '\r'))
		n--;
	const char *why = text_problem(c, (const char *)d, n);
	if (why)
		return emit_reject(c, source, 0, why);
	char *text = malloc(n + 1);
	if (!text)
		return CL_ENOMEM;
	memcpy(text, d, n);
	text[n] = '\0';
	int rc = text_item(c, source, 0, text, n, NULL);
	free(text);
	return rc;
}

/* ---- JSONL ---- */

static bool ascii_blank(const unsigned char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (!strchr(" \t\r\v\f", s[i]) || s[i] == '\0')
			return false;
	return true;
}

static int jsonl_line(import_ctx *c, const char *source, long line, const unsigned char *s,
		      size_t len)
{
	if (!import_utf8_valid((const char *)s, len))
		return emit_reject(c, source, line, "invalid UTF-8");
	json_error_t jerr;
	json_t *o = json_read((const char *)s, len, JSON_REJECT_DUPLICATES, &jerr);
	const char *why = NULL;
	const json_t *text = NULL, *meta = NULL;
	if (!json_is_object(o)) {
		why = !o && !json_depth_ok((const char *)s, len, JSON_READ_MAX_DEPTH)
			  ? JSON_READ_TOO_DEEP
			  : "malformed JSON";
	} else {
		text = json_object_get(o, "text");
		meta = json_object_get(o, "meta");
		if (json_is_null(meta))
			meta = NULL;
		if (llm_project(c)) /* the document's own checks follow */
			why = meta && !json_is_object(meta) ? "\"meta\" must be an object" : NULL;
		else if (!json_is_string(text))
			why = "missing \"text\"";
		else if (meta && !json_is_object(meta))
			why = "\"meta\" must be an object";
		else
			why = text_problem(c, json_string_value(text), json_string_length(text));
	}
	int rc = why		  ? emit_reject(c, source, line, why)
		 : llm_project(c) ? llm_item(c, source, line, o, meta)
				  : text_item(c, source, line, json_string_value(text),
					      json_string_length(text), meta);
	json_decref(o);
	return rc;
}

/* One JSON object a line; blank lines are skipped, "\r\n" line ends are fine. */
static int parse_jsonl(import_ctx *c, const char *source, const unsigned char *d, size_t n)
{
	skip_bom(&d, &n);
	size_t pos = 0;
	long line = 0;
	while (pos < n) {
		line++;
		const unsigned char *s = d + pos;
		const unsigned char *nl = memchr(s, '\n', n - pos);
		size_t len = nl ? (size_t)(nl - s) : n - pos;
		pos += len + (nl ? 1 : 0);
		progress_bytes(c, pos);
		if (len && s[len - 1] == '\r')
			len--;
		if (ascii_blank(s, len))
			continue;
		int rc = jsonl_line(c, source, line, s, len);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- CSV (RFC 4180) ---- */

typedef struct csv_reader {
	const unsigned char *d;
	size_t n, pos;
	long line; /* the physical line at pos, 1-based */
} csv_reader;

typedef struct csv_field {
	size_t off, len; /* in csv_record.data, followed there by a NUL */
} csv_field;

typedef struct csv_record {
	buf data;
	csv_field *fields;
	size_t count, cap;
	long line;	/* where the record starts */
	bool blank;	/* an empty line */
	bool malformed; /* an unterminated quote, or text after a closing quote */
} csv_record;

static bool is_eol(unsigned char ch)
{
	return ch == '\n' || ch == '\r';
}

/* Consumes the line end at r->pos: "\r\n", "\n" or a lone "\r". */
static void csv_eol(csv_reader *r)
{
	if (r->d[r->pos] == '\r' && r->pos + 1 < r->n && r->d[r->pos + 1] == '\n')
		r->pos++;
	r->pos++;
	r->line++;
}

static int csv_push(csv_record *rec, size_t off)
{
	if (rec->count == rec->cap) {
		size_t cap = rec->cap ? rec->cap * 2 : 16;
		csv_field *f = realloc(rec->fields, cap * sizeof *f);
		if (!f)
			return CL_ENOMEM;
		rec->fields = f;
		rec->cap = cap;
	}
	rec->fields[rec->count].off = off;
	rec->fields[rec->count].len = rec->data.len - off;
	rec->count++;
	return buf_append(&rec->data, "", 1);
}

/* A quoted field, the opening quote consumed: up to the closing quote, with "" as a quote. */
static int csv_quoted(csv_reader *r, csv_record *rec)
{
	for (;;) {
		const unsigned char *q = memchr(r->d + r->pos, '"', r->n - r->pos);
		size_t end = q ? (size_t)(q - r->d) : r->n;
		for (size_t i = r->pos; i < end; i++)
			if (r->d[i] == '\n' ||
			    (r->d[i] == '\r' && (i + 1 >= r->n || r->d[i + 1] != '\n')))
				r->line++;
		int rc = buf_append(&rec->data, r->d + r->pos, end - r->pos);
		if (rc)
			return rc;
		r->pos = end;
		if (!q) {
			rec->malformed = true;
			return 0;
		}
		if (r->pos + 1 < r->n && r->d[r->pos + 1] == '"') {
			rc = buf_append(&rec->data, "\"", 1);
			if (rc)
				return rc;
			r->pos += 2;
			continue;
		}
		r->pos++;
		/* After the closing quote: a separator, a line end or the end of the data. */
		if (r->pos < r->n && r->d[r->pos] != ',' && !is_eol(r->d[r->pos])) {
			rec->malformed = true;
			while (r->pos < r->n && !is_eol(r->d[r->pos]))
				r->pos++;
		}
		return 0;
	}
}

/* Reads the next record: 1 when there was one, 0 at the end, or an error. */
static int csv_read(csv_reader *r, csv_record *rec)
{
	rec->data.len = 0;
	rec->count = 0;
	rec->blank = rec->malformed = false;
	if (r->pos >= r->n)
		return 0;
	rec->line = r->line;
	if (is_eol(r->d[r->pos])) {
		csv_eol(r);
		rec->blank = true;
		return 1;
	}
	for (;;) {
		size_t off = rec->data.len;
		int rc;
		if (r->pos < r->n && r->d[r->pos] == '"') {
			r->pos++;
			rc = csv_quoted(r, rec);
		} else {
			size_t start = r->pos;
			while (r->pos < r->n && r->d[r->pos] != ',' && !is_eol(r->d[r->pos]))
				r->pos++;
			rc = buf_append(&rec->data, r->d + start, r->pos - start);
		}
		if (!rc)
			rc = csv_push(rec, off);
		if (rc)
			return rc;
		if (r->pos >= r->n)
			return 1;
		if (r->d[r->pos] != ',') {
			csv_eol(r);
			return 1;
		}
		r->pos++;
	}
}

static const char *csv_str(const csv_record *rec, size_t i)
{
	return rec->data.data + rec->fields[i].off;
}

/* A header name without surrounding ASCII white space, as a new string. */
static char *csv_name(const csv_record *hdr, size_t i)
{
	const char *s = csv_str(hdr, i);
	size_t len = strlen(s);
	while (len && strchr(" \t", s[len - 1]))
		len--;
	while (len && strchr(" \t", *s))
		s++, len--;
	if (len == 0) {
		char tmp[32];
		snprintf(tmp, sizeof tmp, "column_%zu", i + 1);
		return strdup(tmp);
	}
	return strndup(s, len);
}

static int csv_row(import_ctx *c, const char *source, const csv_record *rec, char **names,
		   size_t ncols, size_t text_col)
{
	const char *why = NULL;
	if (rec->malformed)
		why = "malformed CSV";
	else if (!import_utf8_valid(rec->data.data, rec->data.len))
		why = "invalid UTF-8";
	for (size_t i = ncols; !why && i < rec->count; i++)
		if (rec->fields[i].len)
			why = "too many fields";
	if (!why && text_col >= rec->count)
		why = "missing \"text\"";
	if (!why)
		why = text_problem(c, csv_str(rec, text_col), rec->fields[text_col].len);
	if (why)
		return emit_reject(c, source, rec->line, why);

	json_t *meta = NULL;
	for (size_t i = 0; i < rec->count && i < ncols; i++) {
		if (i == text_col || (meta && json_object_get(meta, names[i])))
			continue;
		if (!meta && !(meta = json_object()))
			return CL_ENOMEM;
		if (json_object_set_new(meta, names[i],
					json_stringn(csv_str(rec, i), rec->fields[i].len))) {
			json_decref(meta);
			return CL_ENOMEM;
		}
	}
	int rc = text_item(c, source, rec->line, csv_str(rec, text_col), rec->fields[text_col].len,
			   meta);
	json_decref(meta);
	return rc;
}

/* A header row naming a `text` column, then one item a record; other columns are meta. */
static int parse_csv(import_ctx *c, const char *source, const unsigned char *d, size_t n)
{
	skip_bom(&d, &n);
	csv_reader r = {.d = d, .n = n, .pos = 0, .line = 1};
	csv_record hdr = {0}, rec = {0};
	buf_init(&hdr.data, 0);
	buf_init(&rec.data, 0);
	char **names = NULL;
	size_t text_col = SIZE_MAX;
	int rc;
	do
		rc = csv_read(&r, &hdr);
	while (rc == 1 && hdr.blank);
	if (rc < 0)
		goto out;
	if (rc == 0) {
		rc = emit_reject(c, source, 0, "CSV has no \"text\" column");
		goto out;
	}
	if (hdr.malformed || !import_utf8_valid(hdr.data.data, hdr.data.len)) {
		rc = emit_reject(c, source, hdr.line,
				 hdr.malformed ? "malformed CSV" : "invalid UTF-8");
		goto out;
	}
	names = calloc(hdr.count, sizeof *names);
	if (!names) {
		rc = CL_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < hdr.count; i++) {
		if (!(names[i] = csv_name(&hdr, i))) {
			rc = CL_ENOMEM;
			goto out;
		}
		if (text_col == SIZE_MAX && strcmp(names[i], "text") == 0)
			text_col = i;
	}
	if (text_col == SIZE_MAX) {
		rc = emit_reject(c, source, 0, "CSV has no \"text\" column");
		goto out;
	}
	while ((rc = csv_read(&r, &rec)) == 1) {
		progress_bytes(c, r.pos);
		if (rec.blank)
			continue;
		rc = csv_row(c, source, &rec, names, hdr.count, text_col);
		if (rc)
			break;
	}
out:
	if (names)
		for (size_t i = 0; i < hdr.count; i++)
			free(names[i]);
	free(names);
	free(hdr.fields);
	free(rec.fields);
	buf_release(&hdr.data);
	buf_release(&rec.data);
	return rc;
}

/* ---- images ---- */

/* The MIME type an image's first bytes announce, or NULL. */
static const char *image_mime(const unsigned char *d, size_t n)
{
	if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
		return "image/png";
	if (n >= 3 && d[0] == 0xff && d[1] == 0xd8 && d[2] == 0xff)
		return "image/jpeg";
	if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
		return "image/gif";
	/* "BM" alone starts too many texts: also ask for a known DIB header size. */
	if (n >= 18 && d[0] == 'B' && d[1] == 'M') {
		uint32_t dib =
		    d[14] | (uint32_t)d[15] << 8 | (uint32_t)d[16] << 16 | (uint32_t)d[17] << 24;
		if (dib == 12 || dib == 40 || dib == 52 || dib == 56 || dib == 108 || dib == 124)
			return "image/bmp";
	}
	return NULL;
}

static bool archive_signature(const unsigned char *d, size_t n)
{
	if (n >= 4 && (memcmp(d, "PK\x03\x04", 4) == 0 || memcmp(d, "PK\x05\x06", 4) == 0))
		return true;
	if (n >= 2 && d[0] == 0x1f && d[1] == 0x8b)
		return true;
	return n >= 262 && memcmp(d + 257, "ustar", 5) == 0;
}

/* The stb_image in use (2.27) trusts the code counts of a JPEG Huffman table: a table of more
 * than 256 codes writes past its arrays. Such a file is corrupt anyway, so it is refused before
 * decoding. The walk follows stb_image's: marker segments by their length, a DHT segment table
 * by table (reading past the end as zeros, as it does), entropy-coded data byte by byte. */
static bool jpeg_tables_sane(const unsigned char *d, size_t n)
{
	size_t i = 2;
	while (i + 1 < n) {
		if (d[i] != 0xff || d[i + 1] == 0xff) {
			i++;
			continue;
		}
		unsigned m = d[i + 1];
		if (m == 0x00 || m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
			i += 2; /* a stuffed byte or a marker without a length */
			continue;
		}
		if (m == 0xd9)
			return true;
		size_t len = i + 3 < n ? (size_t)d[i + 2] << 8 | d[i + 3] : 0;
		if (m == 0xc4) {
			size_t t = i + 4;
			long left = (long)len - 2;
			while (left > 0 && t < n) {
				size_t codes = 0;
				for (size_t k = 1; k <= 16 && t + k < n; k++)
					codes += d[t + k];
				if (codes > 256)
					return false;
				t += 17 + codes;
				left -= (long)(17 + codes);
			}
		}
		i += 2 + (len < 2 ? 2 : len);
	}
	return true;
}

static pthread_mutex_t heavy_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t heavy_done = PTHREAD_COND_INITIALIZER;
static int heavy_running;

/* Decodes the image to prove it whole. A large one waits for one of IMPORT_HEAVY_DECODES turns,
 * so that imports running together never hold more than that many large pixel buffers. */
static bool image_decodes(const unsigned char *d, size_t n, int64_t pixels)
{
	bool heavy = pixels >= IMPORT_HEAVY_PIXELS;
	if (heavy) {
		pthread_mutex_lock(&heavy_lock);
		while (heavy_running >= IMPORT_HEAVY_DECODES)
			pthread_cond_wait(&heavy_done, &heavy_lock);
		heavy_running++;
		pthread_mutex_unlock(&heavy_lock);
	}
	int w, h, comp;
	unsigned char *px = stbi_load_from_memory(d, (int)n, &w, &h, &comp, 0);
	stbi_image_free(px);
	if (heavy) {
		pthread_mutex_lock(&heavy_lock);
		heavy_running--;
		pthread_cond_signal(&heavy_done);
		pthread_mutex_unlock(&heavy_lock);
	}
	return px != NULL;
}

const char *import_image_facts(const import_limits *lim, const unsigned char *d, size_t n,
			       int *width, int *height)
{
	int comp;
	const char *mime = n <= lim->max_image_bytes && n <= INT_MAX ? image_mime(d, n) : NULL;
	if (!mime || !stbi_info_from_memory(d, (int)n, width, height, &comp) ||
	    *width > lim->max_image_side || *height > lim->max_image_side ||
	    (int64_t)*width * *height > lim->max_image_pixels)
		return NULL;
	return mime;
}

/* Size limits first (the header alone says how big the pixels are: a small file may hold a
 * huge image), then a full decode. */
static int parse_image(import_ctx *c, const char *source, const unsigned char *d, size_t n)
{
	if (n > c->lim.max_image_bytes || n > INT_MAX)
		return emit_reject(c, source, 0, "image too large");
	const char *mime = image_mime(d, n);
	int w, h, comp;
	if (mime && strcmp(mime, "image/jpeg") == 0 && !jpeg_tables_sane(d, n))
		return emit_reject(c, source, 0, "undecodable image");
	if (!mime || !stbi_info_from_memory(d, (int)n, &w, &h, &comp))
		return emit_reject(c, source, 0, "undecodable image");
	if (w > c->lim.max_image_side || h > c->lim.max_image_side ||
	    (int64_t)w * h > c->lim.max_image_pixels)
		return emit_reject(c, source, 0, "image too large");
	if (!c->lim.check_only && !image_decodes(d, n, (int64_t)w * h))
		return emit_reject(c, source, 0, "undecodable image");
	import_entry e = {
	    .source = source,
	    .type = ITEM_IMAGE,
	    .bytes = d,
	    .bytes_len = n,
	    .mime = mime,
	    .width = w,
	    .height = h,
	};
	return emit_item(c, &e);
}

/* ---- formats ---- */

/* The parser for a Content-Type or a file name, from core/upload_type.h's table. Label Studio
 * and COCO files are import_tools.c's: here they are no format (UPLOAD_NONE). */
static upload_parser own_parser(const upload_type *t)
{
	return t && t->parser != UPLOAD_TOOL_JSON ? t->parser : UPLOAD_NONE;
}

static upload_parser format_of_type(const char *ct)
{
	return own_parser(upload_type_of_content_type(ct));
}

static upload_parser format_of_name(const char *name)
{
	return own_parser(upload_type_of_name(name));
}

/* True when the last path component has an extension ("a.bin"; ".hidden" has none). Only
 * names without one are sniffed: "report.docx" is not taken for a zip archive. */
static bool has_extension(const char *name)
{
	const char *base = strrchr(name, '/');
	base = base ? base + 1 : name;
	const char *dot = strrchr(base, '.');
	return dot && dot != base;
}

static upload_parser format_of_bytes(const unsigned char *d, size_t n)
{
	if (image_mime(d, n))
		return UPLOAD_IMAGE;
	if (archive_signature(d, n))
		return UPLOAD_ARCHIVE;
	return UPLOAD_NONE;
}

static int parse_archive(import_ctx *c, const char *source, const unsigned char *d, size_t n);

static int parse_format(import_ctx *c, upload_parser f, const char *source, const unsigned char *d,
			size_t n)
{
	switch (f) {
	case UPLOAD_JSONL: return parse_jsonl(c, source, d, n);
	case UPLOAD_CSV: return parse_csv(c, source, d, n);
	case UPLOAD_TEXT: return parse_txt(c, source, d, n);
	case UPLOAD_IMAGE: return parse_image(c, source, d, n);
	case UPLOAD_ARCHIVE: return parse_archive(c, source, d, n);
	case UPLOAD_TOOL_JSON:
	case UPLOAD_NONE: break;
	}
	return CL_EMEDIA;
}

/* ---- archives ---- */

/* True for a path that could land outside the folder it is unpacked in: empty, absolute
 * (also "C:" or "\"), or with a ".." component ("/" and "\" both separate). */
bool import_path_unsafe(const char *p)
{
	if (!*p || *p == '/' || *p == '\\')
		return true;
	if (((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')) && p[1] == ':')
		return true;
	while (*p) {
		size_t n = strcspn(p, "/\\");
		if (n == 2 && p[0] == '.' && p[1] == '.')
			return true;
		p += n;
		if (*p)
			p++;
	}
	return false;
}

/* Files that archivers on macOS add beside the real ones: "__MACOSX/", "._name", ".DS_Store". */
static bool path_is_os_metadata(const char *p)
{
	if (strncmp(p, "__MACOSX/", 9) == 0)
		return true;
	const char *base = strrchr(p, '/');
	base = base ? base + 1 : p;
	return strncmp(base, "._", 2) == 0 || strcmp(base, ".DS_Store") == 0;
}

/* "archive.zip/inner/path.png": leading "./" dropped, bytes that are not valid UTF-8 or are
 * control characters shown as '?', so the name can go into a JSON report. */
static int entry_source(buf *out, const char *archive_source, const char *path)
{
	while (path[0] == '.' && path[1] == '/')
		path += 2;
	out->len = 0;
	int rc = buf_printf(out, "%s/", archive_source);
	for (const unsigned char *s = (const unsigned char *)path; !rc && *s;) {
		size_t n = *s < 0x80 ? 1 : *s >= 0xf0 ? 4 : *s >= 0xe0 ? 3 : 2;
		if (n > strnlen((const char *)s, 4) || !import_utf8_valid((const char *)s, n) ||
		    (n == 1 && (*s < 0x20 || *s == 0x7f))) {
			rc = buf_append(out, "?", 1);
			s++;
		} else {
			rc = buf_append(out, s, n);
			s += n;
		}
	}
	return rc;
}

/* Reads the current entry into `data`. Returns 0, or CL_ENOMEM; sets *why when the entry
 * cannot be read, and *fatal when the archive cannot go on either. */
/* Whether inflating `got` more bytes keeps the archive within its ratio and the parse within
 * its CPU time. */
static bool inflate_within(import_ctx *c, size_t got)
{
	c->inflated += got;
	if (c->inflated > c->inflate_max)
		return false;
	return c->lim.max_cpu_ns <= 0 || thread_cpu_ns() - c->cpu_start <= c->lim.max_cpu_ns;
}

static int entry_read(import_ctx *c, struct archive *a, buf *data, const char **why, bool *fatal)
{
	char chunk[64 * 1024];
	data->len = 0;
	for (;;) {
		la_ssize_t got = archive_read_data(a, chunk, sizeof chunk);
		if (got == 0)
			return 0;
		if (got < 0) {
			*why = "malformed archive";
			*fatal = got == ARCHIVE_FATAL;
			return 0;
		}
		if (!inflate_within(c, (size_t)got))
			return CL_ETOOBIG;
		int rc = buf_append(data, chunk, (size_t)got);
		if (rc == CL_ETOOBIG) {
			/* The rest is skipped by the next archive_read_next_header(). */
			*why = "entry too large";
			return 0;
		}
		if (rc)
			return rc;
	}
}

static int archive_entry_parse(import_ctx *c, struct archive *a, struct archive_entry *e,
			       const char *archive_source, buf *name, buf *data, bool *fatal)
{
	const char *path = archive_entry_pathname_utf8(e);
	if (!path)
		path = archive_entry_pathname(e);
	if (!path)
		path = "";
	if (entry_source(name, archive_source, path))
		return CL_ENOMEM;
	const char *source = name->data;
	if (import_path_unsafe(path))
		return emit_reject(c, source, 0, "unsafe path");
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFDIR)
		return 0;
	if (type == AE_IFLNK || archive_entry_hardlink(e))
		return emit_reject(c, source, 0, "link in archive");
	if (type != AE_IFREG)
		return emit_reject(c, source, 0, "unsupported file type");
	if (path_is_os_metadata(path))
		return 0;
	upload_parser f = format_of_name(path);
	if (f == UPLOAD_ARCHIVE)
		return emit_reject(c, source, 0, "nested archive");
	if (f == UPLOAD_NONE && has_extension(path))
		return emit_reject(c, source, 0, "unsupported file type");
	if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
	    (uint64_t)archive_entry_size(e) > c->lim.max_entry_bytes)
		return emit_reject(c, source, 0, "entry too large");
	const char *why = NULL;
	int rc = entry_read(c, a, data, &why, fatal);
	if (rc)
		return rc;
	if (why)
		return emit_reject(c, source, 0, why);
	const unsigned char *bytes =
	    data->data ? (const unsigned char *)data->data : (const unsigned char *)"";
	if (f == UPLOAD_NONE) {
		f = format_of_bytes(bytes, data->len);
		if (f == UPLOAD_ARCHIVE)
			return emit_reject(c, source, 0, "nested archive");
		if (f == UPLOAD_NONE)
			return emit_reject(c, source, 0, "unsupported file type");
	}
	return parse_format(c, f, source, bytes, data->len);
}

static int parse_archive(import_ctx *c, const char *source, const unsigned char *d, size_t n)
{
	/* libarchive converts entry names through the thread's locale; under the "C" locale a
	 * UTF-8 name does not convert and comes back empty. A UTF-8 locale for this thread alone
	 * keeps names intact without touching the process. */
	locale_t utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
	locale_t old = utf8 ? uselocale(utf8) : (locale_t)0;
	struct archive *a = archive_read_new();
	if (!a) {
		if (utf8) {
			uselocale(old);
			freelocale(utf8);
		}
		return CL_ENOMEM;
	}
	buf name, data;
	buf_init(&name, 0);
	buf_init(&data, c->lim.max_entry_bytes);
	archive_read_support_format_zip(a);
	archive_read_support_format_tar(a);
	archive_read_support_filter_gzip(a);
	c->inflate_max = (uint64_t)n * c->lim.max_inflate_ratio;
	int rc = 0;
	if (archive_read_open_memory(a, d, n) != ARCHIVE_OK) {
		rc = emit_reject(c, source, 0, "malformed archive");
		goto out;
	}
	for (;;) {
		struct archive_entry *e;
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN) {
			rc = emit_reject(c, source, 0, "malformed archive");
			break;
		}
		bool fatal = false;
		rc = archive_entry_parse(c, a, e, source, &name, &data, &fatal);
		if (rc || fatal)
			break;
	}
out:
	archive_read_free(a);
	if (utf8) {
		uselocale(old);
		freelocale(utf8);
	}
	buf_release(&name);
	buf_release(&data);
	return rc;
}

int import_parse(const char *content_type, const char *source, const unsigned char *data,
		 size_t len, const import_limits *lim, const import_sink *sink)
{
	import_ctx c = {.sink = sink, .cpu_start = thread_cpu_ns()};
	if (lim)
		c.lim = *lim;
	else
		import_limits_default(&c.lim);
	if (!source)
		source = "body";
	if (!data)
		data = (const unsigned char *)"";
	/* Label Studio and COCO imports, and archives that hold one, are import_tools.c's. */
	int tools = import_tools_parse(content_type, source, data, len, &c.lim, sink);
	if (tools != IMPORT_TOOLS_NOT_MINE) {
		if (!tools)
			progress_bytes(&c, len);
		return tools;
	}
	upload_parser f = format_of_type(content_type);
	if (f == UPLOAD_NONE)
		f = format_of_name(source);
	if (f == UPLOAD_NONE && !has_extension(source))
		f = format_of_bytes(data, len);
	if (f == UPLOAD_NONE)
		return CL_EMEDIA;
	int rc = parse_format(&c, f, source, data, len);
	if (!rc)
		progress_bytes(&c, len);
	return rc;
}
