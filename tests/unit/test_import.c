/* Unit tests of core/import: every input file under tests/data/import/ is parsed as an upload
 * named after the file, each entry written as one line ("item text source=... line=... len=...",
 * "item image source=... WxH mime len=...", "reject source=... line=... reason") and compared
 * with the file's `.expected` beside it; make_fixtures.py there writes the binary inputs. Set
 * CROWDLOOP_UPDATE_EXPECTED=1 to rewrite the expected files from the output (then review them).
 * Hand-written cases cover the UTF-8 checker, format choice by content type, extension and
 * signature, the limits, and a sink that stops the parse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "core/import.h"
#include "util/buf.h"
#include "util/err.h"

static unsigned char *read_fixture(const char *name, size_t *len)
{
	char *path = cases_path("import", name);
	unsigned char *d = (unsigned char *)cases_read(path, len);
	if (!d)
		fail_msg("cannot read %s", path);
	free(path);
	return d;
}

/* ---- a sink that writes one line per entry ---- */

typedef struct recorder {
	buf out;
	size_t items, rejects;
	int stop_at; /* return 42 from the Nth callback (1-based); 0: never */
	size_t calls;
	bool whole_text; /* print every text whole (LLM documents), not "(long)" past 100 bytes */
} recorder;

static void recorder_init(recorder *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->out, 0);
}

static int record_item(void *ctx, const import_entry *e)
{
	recorder *r = ctx;
	r->items++;
	assert_non_null(e->source);
	if (e->type == ITEM_TEXT) {
		/* What the header promises of a text entry. */
		assert_non_null(e->text);
		assert_int_equal(strlen(e->text), e->text_len);
		assert_true(e->text_len > 0);
		assert_true(import_utf8_valid(e->text, e->text_len));
		assert_true(e->meta == NULL || json_is_object(e->meta));
		buf_printf(&r->out, "item text source=%s line=%ld len=%zu", e->source, e->line,
			   e->text_len);
		if (e->text_len <= 100 || r->whole_text) {
			json_t *s = json_stringn(e->text, e->text_len);
			char *q = json_dumps(s, JSON_ENCODE_ANY);
			buf_printf(&r->out, " text=%s", q);
			free(q);
			json_decref(s);
		} else {
			buf_puts(&r->out, " text=(long)");
		}
		if (e->meta) {
			char *m = json_dumps(e->meta, JSON_COMPACT | JSON_SORT_KEYS);
			buf_printf(&r->out, " meta=%s", m);
			free(m);
		}
	} else {
		assert_non_null(e->bytes);
		assert_non_null(e->mime);
		assert_true(e->width > 0 && e->height > 0);
		assert_int_equal(e->line, 0);
		buf_printf(&r->out, "item image source=%s %dx%d %s len=%zu", e->source, e->width,
			   e->height, e->mime, e->bytes_len);
		if (e->meta) {
			char *m = json_dumps(e->meta, JSON_COMPACT | JSON_SORT_KEYS);
			buf_printf(&r->out, " meta=%s", m);
			free(m);
		}
	}
	buf_puts(&r->out, "\n");
	return ++r->calls == (size_t)r->stop_at ? 42 : 0;
}

static int record_reject(void *ctx, const char *source, long line, const char *reason)
{
	recorder *r = ctx;
	r->rejects++;
	assert_non_null(source);
	assert_non_null(reason);
	buf_printf(&r->out, "reject source=%s line=%ld %s\n", source, line, reason);
	return ++r->calls == (size_t)r->stop_at ? 42 : 0;
}

static int run(recorder *r, const char *content_type, const char *source, const unsigned char *d,
	       size_t len, const import_limits *lim)
{
	import_sink sink = {record_item, record_reject, r};
	int rc = import_parse(content_type, source, d, len, lim, &sink);
	if (rc)
		buf_printf(&r->out, "return %d\n", rc);
	return rc;
}

static const char *out_text(recorder *r)
{
	return r->out.data ? r->out.data : "";
}

/* ---- the data-driven cases ---- */

static void test_fixture(void **state)
{
	const char *name = *state;
	size_t len;
	unsigned char *d = read_fixture(name, &len);
	recorder r;
	recorder_init(&r);
	/* A file named after an LLM kind or image_transcription is imported into a project of
	 * that kind. */
	project p;
	project_init(&p);
	import_limits lim;
	import_limits_default(&lim);
	bool llm = !strncmp(name, "llm_preference", 14) || !strncmp(name, "llm_response", 12);
	if (llm) {
		p.kind = name[4] == 'p' ? KIND_LLM_PREFERENCE : KIND_LLM_RESPONSE;
		lim.project = &p;
		r.whole_text = true;
	}
	bool lines = !strncmp(name, "image_transcription", 19);
	if (lines) {
		p.kind = KIND_IMAGE_TRANSCRIPTION;
		lim.project = &p;
	}
	run(&r, NULL, name, d, len, llm || lines ? &lim : NULL);
	project_release(&p);

	char expected[512];
	snprintf(expected, sizeof expected, "%s.expected", name);
	char *path = cases_path("import", expected);
	const char *got = out_text(&r);
	bool same = cases_expect(name, path, got, strlen(got));
	free(path);
	free(d);
	buf_release(&r.out);
	assert_true(same);
}

static bool is_input(const char *name)
{
	size_t n = strlen(name);
	if (name[0] == '.')
		return false;
	if (n >= 9 && strcmp(name + n - 9, ".expected") == 0)
		return false;
	if (n >= 3 && strcmp(name + n - 3, ".py") == 0)
		return false;
	return strncmp(name, "README", 6) != 0;
}

/* ---- hand-written cases ---- */

static void test_utf8(void **state)
{
	(void)state;
	static const struct {
		const char *s;
		size_t len;
		int valid;
	} cases[] = {
	    {"", 0, 1},
	    {"plain ascii", 11, 1},
	    {"caf\xc3\xa9", 5, 1},
	    {"\xed\x95\x9c\xea\xb8\x80", 6, 1}, /* 한글 */
	    {"\xf0\x9f\x98\x80", 4, 1},		/* U+1F600 */
	    {"\xf4\x8f\xbf\xbf", 4, 1},		/* U+10FFFF */
	    {"\xed\x9f\xbf", 3, 1},		/* U+D7FF */
	    {"\xee\x80\x80", 3, 1},		/* U+E000 */
	    {"a\0b", 3, 1},			/* NUL is a character */
	    {"\xc0\xaf", 2, 0},			/* overlong "/" */
	    {"\xc1\xbf", 2, 0},			/* overlong */
	    {"\xe0\x80\xaf", 3, 0},		/* overlong in 3 */
	    {"\xe0\x9f\xbf", 3, 0},		/* overlong U+07FF */
	    {"\xf0\x8f\xbf\xbf", 4, 0},		/* overlong U+FFFF */
	    {"\xed\xa0\x80", 3, 0},		/* U+D800 */
	    {"\xed\xbf\xbf", 3, 0},		/* U+DFFF */
	    {"\xf4\x90\x80\x80", 4, 0},		/* U+110000 */
	    {"\xf5\x80\x80\x80", 4, 0},		/* lead past f4 */
	    {"\xff", 1, 0},
	    {"\x80", 1, 0},	    /* lone continuation */
	    {"\xe2\x82", 2, 0},	    /* cut short */
	    {"\xe2\x28\xa1", 3, 0}, /* bad continuation */
	    {"ok\xc3", 3, 0},	    /* cut at the end */
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (import_utf8_valid(cases[i].s, cases[i].len) != cases[i].valid)
			fail_msg("case %zu: want %d", i, cases[i].valid);
	}
}

static void test_limits_default(void **state)
{
	(void)state;
	import_limits lim;
	import_limits_default(&lim);
	assert_int_equal(lim.max_text_bytes, 64 * 1024);
	assert_int_equal(lim.max_image_bytes, 32 * 1024 * 1024);
	assert_int_equal(lim.max_image_side, 16384);
	assert_int_equal(lim.max_entry_bytes, 256 * 1024 * 1024);
	assert_int_equal(lim.max_entries, 2000000);
}

static void expect(const char *content_type, const char *source, const void *d, size_t len,
		   const import_limits *lim, const char *want)
{
	recorder r;
	recorder_init(&r);
	run(&r, content_type, source, d, len, lim);
	bool same = strcmp(out_text(&r), want) == 0;
	if (!same)
		fprintf(stderr, "%s %s:\nwant:\n%sgot:\n%s", content_type ? content_type : "(none)",
			source ? source : "(none)", want, out_text(&r));
	buf_release(&r.out);
	assert_true(same);
}

static void test_format_choice(void **state)
{
	(void)state;
	const char *csv = "text\nhi\n";
	const char *jsonl = "{\"text\":\"hi\"}\n";
	/* The content type wins over the name; parameters and case do not matter. */
	expect("Text/CSV; charset=utf-8", "body", csv, strlen(csv), NULL,
	       "item text source=body line=2 len=2 text=\"hi\"\n");
	expect("application/x-ndjson", "upload.csv", jsonl, strlen(jsonl), NULL,
	       "item text source=upload.csv line=1 len=2 text=\"hi\"\n");
	expect("application/jsonl", "body", jsonl, strlen(jsonl), NULL,
	       "item text source=body line=1 len=2 text=\"hi\"\n");
	expect("text/plain", "body", csv, strlen(csv), NULL,
	       "item text source=body line=0 len=7 text=\"text\\nhi\"\n");
	/* A generic type falls back to the extension, then to the signature. */
	expect("application/octet-stream", "rows.JSONL", jsonl, strlen(jsonl), NULL,
	       "item text source=rows.JSONL line=1 len=2 text=\"hi\"\n");
	expect(NULL, "body", "hello", 5, NULL, "return -7\n");
	expect("application/pdf", "body", jsonl, strlen(jsonl), NULL, "return -7\n");
	expect(NULL, NULL, "hello", 5, NULL, "return -7\n");

	size_t len;
	unsigned char *png = read_fixture("tiny.png", &len);
	expect(NULL, "body", png, len, NULL, "item image source=body 2x3 image/png len=85\n");
	expect("image/png", "photo", png, len, NULL,
	       "item image source=photo 2x3 image/png len=85\n");
	/* The extension picks "image", the bytes pick the MIME type. */
	expect(NULL, "wrong.gif", png, len, NULL,
	       "item image source=wrong.gif 2x3 image/png len=85\n");
	/* Only a name without an extension is sniffed. */
	expect(NULL, "photo.bak", png, len, NULL, "return -7\n");
	expect(NULL, "photo", png, len, NULL, "item image source=photo 2x3 image/png len=85\n");
	free(png);

	unsigned char *tgz = read_fixture("bundle.tgz", &len);
	expect("application/gzip", "body", tgz, len, NULL,
	       "item text source=body/lines.jsonl line=1 len=8 text=\"in a tgz\" "
	       "meta={\"k\":\"v\"}\n");
	expect(NULL, "body", tgz, len, NULL,
	       "item text source=body/lines.jsonl line=1 len=8 text=\"in a tgz\" "
	       "meta={\"k\":\"v\"}\n");
	free(tgz);

	/* Empty bodies of a known format are read and yield nothing. */
	expect("application/x-ndjson", "body", NULL, 0, NULL, "");
	expect("text/plain", "body", "", 0, NULL, "reject source=body line=0 empty text\n");
}

static void test_small_limits(void **state)
{
	(void)state;
	import_limits lim;
	import_limits_default(&lim);
	lim.max_text_bytes = 5;
	const char *jsonl = "{\"text\":\"12345\"}\n{\"text\":\"123456\"}\n"
			    "{\"text\":\"\xc3\xa9\xc3\xa9\xc3\xa9\"}\n";
	expect(NULL, "t.jsonl", jsonl, strlen(jsonl), &lim,
	       "item text source=t.jsonl line=1 len=5 text=\"12345\"\n"
	       "reject source=t.jsonl line=2 text too long\n"
	       "reject source=t.jsonl line=3 text too long\n");

	size_t len;
	unsigned char *png = read_fixture("tiny.png", &len);
	import_limits_default(&lim);
	lim.max_image_side = 2;
	expect(NULL, "tiny.png", png, len, &lim, "reject source=tiny.png line=0 image too large\n");
	lim.max_image_side = 3;
	expect(NULL, "tiny.png", png, len, &lim,
	       "item image source=tiny.png 2x3 image/png len=85\n");
	import_limits_default(&lim);
	lim.max_image_bytes = len - 1;
	expect(NULL, "tiny.png", png, len, &lim, "reject source=tiny.png line=0 image too large\n");
	lim.max_image_bytes = len;
	expect(NULL, "tiny.png", png, len, &lim,
	       "item image source=tiny.png 2x3 image/png len=85\n");
	free(png);

	unsigned char *tgz = read_fixture("archive.tar.gz", &len);
	import_limits_default(&lim);
	lim.max_entry_bytes = 13;
	expect(NULL, "archive.tar.gz", tgz, len, &lim,
	       "item text source=archive.tar.gz/a.txt line=0 len=5 text=\"alpha\"\n"
	       "reject source=archive.tar.gz/img/x.bmp line=0 entry too large\n"
	       "item text source=archive.tar.gz/data.csv line=2 len=3 text=\"one\"\n"
	       "item text source=archive.tar.gz/data.csv line=3 len=3 text=\"two\"\n");
	free(tgz);

	/* The same cap for zip entries. */
	unsigned char *zip = read_fixture("images.zip", &len);
	lim.max_entry_bytes = 20;
	recorder r;
	recorder_init(&r);
	assert_int_equal(run(&r, NULL, "images.zip", zip, len, &lim), 0);
	assert_non_null(
	    strstr(out_text(&r), "reject source=images.zip/a.png line=0 entry too large"));
	assert_non_null(strstr(out_text(&r), "item text source=images.zip/notes/readme.txt"));
	buf_release(&r.out);
	free(zip);
}

static void test_max_entries(void **state)
{
	(void)state;
	size_t len;
	unsigned char *d = read_fixture("mixed.jsonl", &len);
	import_limits lim;
	import_limits_default(&lim);
	lim.max_entries = 3;
	recorder r;
	recorder_init(&r);
	assert_int_equal(run(&r, NULL, "mixed.jsonl", d, len, &lim), CL_ETOOBIG);
	assert_int_equal(r.items + r.rejects, 3);
	buf_release(&r.out);
	free(d);
}

static void test_sink_stops(void **state)
{
	(void)state;
	static const char *const files[] = {"mixed.jsonl", "quoted.csv", "images.zip",
					    "symlink.tar"};
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
		size_t len;
		unsigned char *d = read_fixture(files[i], &len);
		recorder r;
		recorder_init(&r);
		r.stop_at = 2;
		import_sink sink = {record_item, record_reject, &r};
		assert_int_equal(import_parse(NULL, files[i], d, len, NULL, &sink), 42);
		assert_int_equal(r.calls, 2);
		buf_release(&r.out);
		free(d);
	}
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_utf8),	  cmocka_unit_test(test_limits_default),
	    cmocka_unit_test(test_format_choice), cmocka_unit_test(test_small_limits),
	    cmocka_unit_test(test_max_entries),	  cmocka_unit_test(test_sink_stops),
	};
	int failed = cmocka_run_group_tests(fixed, NULL, NULL);

	failed += cases_run("import", is_input, test_fixture, 1);
	return failed ? 1 : 0;
}
