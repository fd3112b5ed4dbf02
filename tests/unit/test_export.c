/* Unit tests of core/export: every case under tests/data/export/<case>/ holds rows.json (the
 * project's kind and labels and the approved rows) and one expected.<format> per format the kind
 * supports; each is written by the streaming writer and compared byte for byte. Zip formats are
 * compared as a listing of their entries ("== name ==" then the text, or the size of a binary).
 * Set CROWDLOOP_UPDATE_EXPECTED=1 to rewrite the expected files from the output (then review
 * them). Hand-written cases cover a source that fails mid-way, a missing image, the format
 * table and the UTF-16 offset helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <archive.h>
#include <archive_entry.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "core/export.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- a source over a JSON array of rows ---- */

typedef struct json_rows {
	json_t *rows;
	size_t next;
	size_t fail_at; /* 1-based row whose read fails; 0: none */
	char *annotation;
	bool missing_blob;
} json_rows;

static const char *str(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

static int rows_next(void *ctx, export_row *r)
{
	json_rows *x = ctx;
	if (x->next >= json_array_size(x->rows))
		return 0;
	if (x->fail_at && x->next + 1 == x->fail_at)
		return CL_EINTERNAL;
	json_t *o = json_array_get(x->rows, x->next++);
	free(x->annotation);
	x->annotation = json_dumps(json_object_get(o, "annotation"), JSON_COMPACT);
	r->task_id = json_integer_value(json_object_get(o, "task_id"));
	r->item_id = json_integer_value(json_object_get(o, "item_id"));
	r->slot = (int)json_integer_value(json_object_get(o, "slot"));
	r->text = str(o, "text");
	r->type = r->text ? ITEM_TEXT : ITEM_IMAGE;
	r->mime = str(o, "mime");
	r->blob = r->text ? NULL : "blob";
	r->width = json_integer_value(json_object_get(o, "width"));
	r->height = json_integer_value(json_object_get(o, "height"));
	r->content_hash = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
	r->annotation = x->annotation;
	r->worker_id = json_integer_value(json_object_get(o, "worker_id"));
	r->reviewer_id = json_integer_value(json_object_get(o, "reviewer_id"));
	r->round = 1;
	r->approved_at = 1795000000000LL + r->task_id * 1000;
	r->split = str(o, "split");
	return 1;
}

static int rows_rewind(void *ctx)
{
	((json_rows *)ctx)->next = 0;
	return 0;
}

/* Stands for an image file: a few bytes naming the item. */
static int rows_blob(void *ctx, const export_row *r, buf *out)
{
	json_rows *x = ctx;
	if (x->missing_blob)
		return CL_ENOTFOUND;
	out->len = 0;
	return buf_printf(out, "IMAGE-%lld", (long long)r->item_id);
}

/* ---- zip listing ---- */

static void zip_listing(const buf *zip, buf *out)
{
	struct archive *a = archive_read_new();
	archive_read_support_format_zip(a);
	assert_int_equal(archive_read_open_memory(a, zip->data, zip->len), ARCHIVE_OK);
	struct archive_entry *e;
	while (archive_read_next_header(a, &e) == ARCHIVE_OK) {
		buf data;
		buf_init(&data, 0);
		char chunk[4096];
		la_ssize_t n;
		while ((n = archive_read_data(a, chunk, sizeof chunk)) > 0)
			buf_append(&data, chunk, (size_t)n);
		assert_true(n == 0);
		buf_printf(out, "== %s ==\n", archive_entry_pathname(e));
		if (data.len >= 6 && !memcmp(data.data, "IMAGE-", 6))
			buf_printf(out, "(image %.*s)\n", (int)data.len, data.data);
		else if (data.len)
			buf_append(out, data.data, data.len);
		buf_release(&data);
	}
	archive_read_free(a);
}

/* Runs a writer to the end; returns its last step's code. */
static int run_writer(const export_options *o, json_rows *rows, buf *out)
{
	export_source src = {rows_next, rows_rewind, rows_blob, rows};
	export_writer *w;
	int rc = export_writer_new(o, &src, &w);
	if (rc)
		return rc;
	while ((rc = export_writer_step(w, out)) == 1)
		;
	if (rc < 0)
		assert_true(export_writer_error(w)[0] != '\0');
	export_writer_free(w);
	return rc;
}

static void test_case(void **state)
{
	const char *name = *state;
	char rel[256];
	snprintf(rel, sizeof rel, "%s/rows.json", name);
	json_t *doc = cases_load_json("export", rel);
	task_kind kind;
	assert_int_equal(task_kind_parse(str(doc, "kind"), &kind), 0);
	for (int f = 0; f < EXPORT_FORMAT_COUNT; f++) {
		if (!export_format_supports((export_format)f, kind))
			continue;
		json_rows rows = {.rows = json_object_get(doc, "rows")};
		export_options o = {.format = (export_format)f,
				    .kind = kind,
				    .labels = json_object_get(doc, "labels"),
				    .with_images = export_format_is_archive((export_format)f)};
		buf out, got;
		buf_init(&out, 0);
		buf_init(&got, 0);
		assert_int_equal(run_writer(&o, &rows, &out), 0);
		free(rows.annotation);
		if (export_format_is_archive((export_format)f))
			zip_listing(&out, &got);
		else
			buf_append(&got, out.data ? out.data : "", out.len);
		snprintf(rel, sizeof rel, "%s/expected.%s", name,
			 export_format_name((export_format)f));
		char *exp_path = cases_path("export", rel);
		assert_true(cases_expect(name, exp_path, got.data ? got.data : "", got.len));
		free(exp_path);
		buf_release(&out);
		buf_release(&got);
	}
	json_decref(doc);
}

/* A source that fails mid-way fails the writer; it never ends as if complete. */
static void test_source_failure(void **state)
{
	(void)state;
	json_t *rows = json_pack("[{s:I,s:I,s:s,s:{s:[s]}},{s:I,s:I,s:s,s:{s:[s]}}]", "task_id",
				 (json_int_t)1, "item_id", (json_int_t)1, "text", "a", "annotation",
				 "labels", "x", "task_id", (json_int_t)2, "item_id", (json_int_t)2,
				 "text", "b", "annotation", "labels", "x");
	json_t *labels = json_pack("[s]", "x");
	for (int f = 0; f < EXPORT_FORMAT_COUNT; f++) {
		if (!export_format_supports((export_format)f, KIND_TEXT_CLASS))
			continue;
		json_rows src = {.rows = rows, .fail_at = 2};
		export_options o = {
		    .format = (export_format)f, .kind = KIND_TEXT_CLASS, .labels = labels};
		buf out;
		buf_init(&out, 0);
		assert_true(run_writer(&o, &src, &out) < 0);
		free(src.annotation);
		buf_release(&out);
	}
	json_decref(rows);
	json_decref(labels);
}

/* preference_pairs with all_pairs: a tie gives every pair marked "tie", a low-agreement
 * consolidated pair is kept; without it neither is written. */
static void test_all_pairs(void **state)
{
	(void)state;
	json_t *rows = json_loads(
	    "[{\"task_id\":1,\"item_id\":1,\"text\":\"{\\\"prompt\\\":\\\"p\\\",\\\"responses\\\":"
	    "[{\\\"id\\\":\\\"a\\\",\\\"text\\\":\\\"A\\\"},{\\\"id\\\":\\\"b\\\",\\\"text\\\":"
	    "\\\"B\\\"}]}\","
	    "\"annotation\":{\"best\":null,\"tie\":true,\"order\":[\"a\",\"b\"]}},"
	    "{\"task_id\":2,\"item_id\":2,\"text\":\"{\\\"prompt\\\":\\\"q\\\",\\\"responses\\\":"
	    "[{\\\"id\\\":\\\"a\\\",\\\"text\\\":\\\"A\\\"},{\\\"id\\\":\\\"b\\\",\\\"text\\\":"
	    "\\\"B\\\"}]}\","
	    "\"annotation\":{\"best\":\"b\",\"ranking\":[\"b\",\"a\"],\"tie\":false,"
	    "\"pairs\":[{\"chosen\":\"b\",\"rejected\":\"a\",\"agreement\":0.5}]}}]",
	    0, NULL);
	assert_non_null(rows);
	for (int all = 0; all < 2; all++) {
		json_rows src = {.rows = rows};
		export_options o = {.format = EXPORT_PREFERENCE_PAIRS,
				    .kind = KIND_LLM_PREFERENCE,
				    .all_pairs = all};
		buf out;
		buf_init(&out, 0);
		assert_int_equal(run_writer(&o, &src, &out), 0);
		free(src.annotation);
		const char *want =
		    all ? "{\"prompt\":\"p\",\"chosen\":\"A\",\"rejected\":\"B\",\"item_id\":1,"
			  "\"task_id\":1,\"tie\":true}\n"
			  "{\"prompt\":\"q\",\"chosen\":\"B\",\"rejected\":\"A\",\"item_id\":2,"
			  "\"task_id\":2,\"agreement\":0.5}\n"
			: "";
		assert_string_equal(out.data ? out.data : "", want);
		buf_release(&out);
	}
	json_decref(rows);
}

static void test_missing_image(void **state)
{
	(void)state;
	json_t *rows = json_pack("[{s:I,s:I,s:i,s:i,s:s,s:{s:[]}}]", "task_id", (json_int_t)1,
				 "item_id", (json_int_t)1, "width", 4, "height", 4, "mime",
				 "image/png", "annotation", "boxes");
	json_t *labels = json_pack("[s]", "x");
	json_rows src = {.rows = rows, .missing_blob = true};
	export_options o = {
	    .format = EXPORT_YOLO, .kind = KIND_IMAGE_BBOX, .labels = labels, .with_images = true};
	buf out;
	buf_init(&out, 0);
	assert_true(run_writer(&o, &src, &out) < 0);
	/* Without the images the same rows export whole. */
	free(src.annotation);
	src = (json_rows){.rows = rows, .missing_blob = true};
	o.with_images = false;
	out.len = 0;
	assert_int_equal(run_writer(&o, &src, &out), 0);
	free(src.annotation);
	buf_release(&out);
	json_decref(rows);
	json_decref(labels);
}

static void test_formats(void **state)
{
	(void)state;
	export_format f;
	assert_int_equal(export_format_parse("coco", &f), 0);
	assert_int_equal(f, EXPORT_COCO);
	assert_int_equal(export_format_parse("COCO", &f), CL_EINVAL);
	assert_int_equal(export_format_parse(NULL, &f), CL_EINVAL);
	assert_true(export_format_supports(EXPORT_COCO, KIND_IMAGE_CLASS));
	assert_false(export_format_supports(EXPORT_COCO, KIND_TEXT_SPANS));
	assert_false(export_format_supports(EXPORT_CONLL, KIND_TEXT_CLASS));
	assert_true(export_format_supports(EXPORT_LABELSTUDIO, KIND_TEXT_SPANS));
	assert_string_equal(export_content_type(EXPORT_YOLO), "application/zip");
	export_options o = {.format = EXPORT_YOLO, .kind = KIND_TEXT_CLASS};
	export_source s = {rows_next, rows_rewind, rows_blob, NULL};
	export_writer *w;
	assert_int_equal(export_writer_new(&o, &s, &w), CL_EINVAL);
}

static void test_utf16(void **state)
{
	(void)state;
	const char *t = "a\xf0\x9f\x8e\x89"
			"b\xed\x95\x9c"; /* a 🎉 b 한 */
	assert_int_equal(export_cp_to_utf16(t, 0), 0);
	assert_int_equal(export_cp_to_utf16(t, 2), 3);
	assert_int_equal(export_cp_to_utf16(t, 4), 5);
	assert_int_equal(export_cp_to_utf16(t, 99), 5);
	assert_int_equal(export_utf16_to_cp(t, 3), 2);
	assert_int_equal(export_utf16_to_cp(t, 5), 4);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_source_failure), cmocka_unit_test(test_missing_image),
	    cmocka_unit_test(test_all_pairs),	   cmocka_unit_test(test_formats),
	    cmocka_unit_test(test_utf16),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	/* One case per folder: rows.json and an expected file per format that supports its kind. */
	failed += cases_run("export", NULL, test_case, 5);
	return failed ? 1 : 0;
}
