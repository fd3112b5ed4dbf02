/* Unit tests of the label check: the folds (stable by item id, every fold used, about equal),
 * the flags (a contradiction at or over the threshold, ordered by confidence, an agreement
 * never; a multi-label row's labels each; contiguous tokens as one span disagreement), the
 * trainer a task kind checks with, which jobs are checks; and whole checks of small data sets
 * (multi-label text-linear, text-fasttext, spans-linear) whose planted errors must be found. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/label_check.h"
#include "ml/label_check.h"
#include "tmpdir.h"

static void test_folds_stable_and_balanced(void **state)
{
	(void)state;
	int count[5] = {0};
	for (long long id = 1; id <= 5000; id++) {
		int f = ml_fold_of(id, 0, 5);
		assert_true(f >= 0 && f < 5);
		assert_int_equal(f, ml_fold_of(id, (size_t)id * 7, 5)); /* the id decides */
		count[f]++;
	}
	for (int f = 0; f < 5; f++)
		assert_true(count[f] > 900 && count[f] < 1100);
	/* Rows without an id fall back to their index, still spread over the folds. */
	int seen[3] = {0};
	for (size_t i = 0; i < 30; i++)
		seen[ml_fold_of(0, i, 3)]++;
	assert_true(seen[0] && seen[1] && seen[2]);
}

static void test_flags_contradictions_over_threshold(void **state)
{
	(void)state;
	int labels[4] = {0, 1, 0, 1};
	ml_row rows[4];
	for (int i = 0; i < 4; i++)
		rows[i] = (ml_row){.item_id = 10 + i, .labels = &labels[i], .nlabels = 1};
	ml_dataset d = {.nlabels = 2, .rows = rows, .nrows = 4};
	/* row 0: label 0, model 1 at 0.95 (flag); row 1: label 1, model 1 (agrees);
	 * row 2: label 0, model 1 at 0.85 (under 0.9 later); row 3: label 1, model 0 at 0.99. */
	double p[8] = {0.05, 0.95, 0.02, 0.98, 0.15, 0.85, 0.99, 0.01};
	ml_flag *f;
	size_t n;
	assert_int_equal(ml_flags_of(&d, p, 0.9, &f, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].row, 3); /* the surest first */
	assert_int_equal(f[0].model_label, 0);
	assert_int_equal(f[0].label, 1);
	assert_int_equal(f[1].row, 0);
	free(f);
	assert_int_equal(ml_flags_of(&d, p, 0.8, &f, &n), 0);
	assert_int_equal(n, 3);
	free(f);
}

static void test_multi_label_flags_each_label(void **state)
{
	(void)state;
	int given[3] = {0, 1, 0}; /* row 0: {0}; row 1: {1}; row 2: {0} */
	ml_row rows[3];
	for (int i = 0; i < 3; i++)
		rows[i] = (ml_row){.item_id = 20 + i, .labels = &given[i], .nlabels = 1};
	ml_dataset d = {.nlabels = 2, .multi_label = true, .rows = rows, .nrows = 3};
	/* row 0 agrees; row 1: its label 1 at 0.05 (against, 0.95) and label 0 at 0.92 (for);
	 * row 2: its label 0 at 0.15 (0.85: under 0.9) and label 1 at 0.3. */
	double p[6] = {0.9, 0.1, 0.92, 0.05, 0.15, 0.3};
	ml_flag *f;
	size_t n;
	assert_int_equal(ml_flags_of(&d, p, 0.9, &f, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(f[0].row, 1); /* label 1 given, the model against it */
	assert_int_equal(f[0].label, 1);
	assert_int_equal(f[0].model_label, -1);
	assert_true(f[0].confidence > 0.949 && f[0].confidence < 0.951);
	assert_int_equal(f[1].row, 1); /* label 0 not given, the model for it */
	assert_int_equal(f[1].label, -1);
	assert_int_equal(f[1].model_label, 0);
	free(f);
	assert_int_equal(ml_flags_of(&d, p, 0.8, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(f[2].row, 2);
	free(f);
}

static void test_span_flags_merge_tokens(void **state)
{
	(void)state;
	/* Row 0: tokens 2 and 3 are PER (0) to the annotation, LOC (1) to the model; token 4 is
	 * outside every span, LOC to the model but under the threshold. Row 1: its first token is
	 * LOC (1) to the annotation and nothing to the model; the next continues in another row. */
	ml_token_guess g[] = {
	    {0, 0, 3, -1, -1, 0.9}, {0, 4, 8, 0, 0, 0.9},    {0, 9, 14, 0, 1, 0.96},
	    {0, 15, 20, 0, 1, 0.9}, {0, 21, 25, -1, 1, 0.6}, {1, 0, 5, 1, -1, 0.99},
	    {2, 0, 5, 1, -1, 0.97},
	};
	ml_flag *f;
	size_t n;
	assert_int_equal(ml_span_flags_of(g, 7, 0.8, &f, &n), 0);
	assert_int_equal(n, 3);
	assert_int_equal(f[0].row, 1);
	assert_int_equal(f[1].row, 2); /* rows apart are never merged */
	assert_int_equal(f[2].row, 0);
	assert_int_equal(f[2].start, 9);
	assert_int_equal(f[2].end, 20);
	assert_int_equal(f[2].label, 0);
	assert_int_equal(f[2].model_label, 1);
	assert_true(f[2].confidence > 0.929 && f[2].confidence < 0.931); /* the tokens' mean */
	free(f);
	assert_int_equal(ml_span_flags_of(g, 7, 0.5, &f, &n), 0);
	assert_int_equal(n, 4); /* token 4 is another pair: a disagreement of its own */
	free(f);
}

/* ---- whole checks on small data sets with planted errors ---- */

/* Writes project.json and rows.jsonl (rows: a JSON array, stolen) into dir. */
static void write_dataset(const char *dir, const char *project, json_t *rows)
{
	char path[512];
	snprintf(path, sizeof path, "%s/project.json", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(project, f);
	fclose(f);
	snprintf(path, sizeof path, "%s/rows.jsonl", dir);
	assert_non_null(f = fopen(path, "w"));
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		json_dumpf(row, f, JSON_COMPACT);
		fputc('\n', f);
	}
	fclose(f);
	json_decref(rows);
}

/* Runs trainer `name` over the data set in a new directory; its evaluation (to decref). */
static json_t *check_run(const char *name, const char *project, json_t *rows, const char *params,
			 double threshold)
{
	char dir[128], out[160];
	cl_error err = {0};
	assert_int_equal(tmpdir_make(dir, sizeof dir, "label-check"), 0);
	write_dataset(dir, project, rows);
	snprintf(out, sizeof out, "%s/out", dir);
	json_t *p = params ? json_loads(params, 0, NULL) : NULL;
	FILE *log = fopen("/dev/null", "w");
	int rc = ml_label_check_run(name, dir, out, p, 4, threshold, 1, log, &err);
	fclose(log);
	json_decref(p);
	if (rc)
		fail_msg("%s: %s", name, err.message);
	char path[200];
	snprintf(path, sizeof path, "%s/evaluation.json", out);
	json_t *ev = json_load_file(path, 0, NULL);
	assert_non_null(ev);
	tmpdir_remove(dir);
	return ev;
}

static json_int_t first_flag_item(const json_t *ev)
{
	return json_integer_value(
	    json_object_get(json_array_get(json_object_get(ev, "flags"), 0), "item_id"));
}

/* 60 texts of two topics, item `planted` given the other topic's label. Item ids are 1 up. */
static json_t *topic_rows(json_int_t planted)
{
	json_t *rows = json_array();
	for (json_int_t i = 1; i <= 60; i++) {
		bool sports = i % 2 == 0;
		char text[128];
		snprintf(text, sizeof text, "%s %lld",
			 sports ? "football goal match team" : "election vote parliament law",
			 (long long)i);
		const char *label = (sports != (i == planted)) ? "sports" : "politics";
		json_array_append_new(rows, json_pack("{s:I,s:s,s:s,s:{s:[s]}}", "item_id", i,
						      "split", "train", "text", text, "annotation",
						      "labels", label));
	}
	return rows;
}

/* A multi-label check by `trainer` of the topics with item 10 planted. */
static void check_multi_label(const char *trainer, const char *params)
{
	json_t *ev = check_run(
	    trainer,
	    "{\"kind\":\"text_class\",\"labels\":[\"sports\",\"politics\"],\"multi_label\":true}",
	    topic_rows(10), params, 0.7);
	const json_t *flags = json_object_get(ev, "flags");
	assert_int_equal(json_integer_value(json_object_get(ev, "flagged")), 1);
	assert_int_equal(first_flag_item(ev), 10);
	const json_t *flag = json_array_get(flags, 0);
	/* Item 10 is a sports text given politics: both labels are contradicted. */
	assert_string_equal(json_string_value(json_object_get(flag, "label")), "politics");
	const char *says = json_string_value(json_object_get(flag, "model_label"));
	assert_non_null(strstr(says, "not politics"));
	assert_non_null(strstr(says, "sports"));
	assert_int_equal(json_array_size(json_object_get(flag, "labels")), 2);
	assert_true(json_number_value(json_object_get(flag, "confidence")) >= 0.7);
	json_decref(ev);
}

static void test_check_multi_label_text(void **state)
{
	(void)state;
	check_multi_label("text-linear", NULL);
}

static void test_check_multi_label_fasttext(void **state)
{
	(void)state;
	check_multi_label("text-fasttext", "{\"epoch\":50,\"dim\":10}");
}

static void test_check_fasttext(void **state)
{
	(void)state;
	json_t *ev = check_run("text-fasttext",
			       "{\"kind\":\"text_class\",\"labels\":[\"sports\",\"politics\"]}",
			       topic_rows(7), "{\"epoch\":50,\"dim\":10}", 0.7);
	assert_string_equal(json_string_value(json_object_get(ev, "trainer")), "text-fasttext");
	assert_int_equal(json_integer_value(json_object_get(ev, "flagged")), 1);
	assert_int_equal(first_flag_item(ev), 7);
	const json_t *flag = json_array_get(json_object_get(ev, "flags"), 0);
	assert_string_equal(json_string_value(json_object_get(flag, "label")), "sports");
	assert_string_equal(json_string_value(json_object_get(flag, "model_label")), "politics");
	json_decref(ev);
}

/* "<name> went to <city> today": the name PER, the city LOC; item `planted`'s city is PER. */
static json_t *span_rows(json_int_t planted)
{
	static const char *const names[] = {"Kim", "Lee", "Park", "Choi", "Jung"};
	static const char *const cities[] = {"Seoul",	"Busan", "Daegu",
					     "Incheon", "Ulsan", "Gwangju"};
	json_t *rows = json_array();
	for (json_int_t i = 1; i <= 60; i++) {
		const char *name = names[i % 5], *city = cities[i % 6];
		char text[128];
		int n = (int)strlen(name), at = n + (int)strlen(" went to ");
		snprintf(text, sizeof text, "%s went to %s today", name, city);
		json_array_append_new(
		    rows, json_pack("{s:I,s:s,s:s,s:{s:[{s:i,s:i,s:s},{s:i,s:i,s:s}]}}", "item_id",
				    i, "split", "train", "text", text, "annotation", "spans",
				    "start", 0, "end", n, "label", "PER", "start", at, "end",
				    at + (int)strlen(city), "label", i == planted ? "PER" : "LOC"));
	}
	return rows;
}

static void test_check_spans(void **state)
{
	(void)state;
	json_t *ev =
	    check_run("spans-linear", "{\"kind\":\"text_spans\",\"labels\":[\"PER\",\"LOC\"]}",
		      span_rows(13), NULL, 0.7);
	assert_int_equal(json_integer_value(json_object_get(ev, "flagged")), 1);
	assert_int_equal(first_flag_item(ev), 13);
	const json_t *flag = json_array_get(json_object_get(ev, "flags"), 0);
	const json_t *span = json_array_get(json_object_get(flag, "spans"), 0);
	/* Item 13: "Choi went to Busan today"; Busan (13 to 18) is PER to the annotation. */
	assert_int_equal(json_integer_value(json_object_get(span, "start")), 13);
	assert_int_equal(json_integer_value(json_object_get(span, "end")), 18);
	assert_string_equal(json_string_value(json_object_get(span, "label")), "PER");
	assert_string_equal(json_string_value(json_object_get(span, "model_label")), "LOC");
	assert_string_equal(json_string_value(json_object_get(flag, "model_label")),
			    "LOC at 13-18");
	assert_true(json_number_value(json_object_get(ev, "agreement")) > 0.9);
	json_decref(ev);
}

static void test_kinds_and_jobs(void **state)
{
	(void)state;
	assert_string_equal(label_check_trainer("text_class"), "text-linear");
	assert_string_equal(label_check_trainer("image_class"), "image-hog");
	assert_string_equal(label_check_trainer("text_spans"), "spans-linear");
	assert_null(label_check_trainer("image_bbox"));
	char check[] = "{\"C\":10,\"check_folds\":5,\"check_threshold\":0.9}",
	     train[] = "{\"C\":10}";
	run_row j = {.params = check};
	assert_true(label_check_is(&j));
	j.params = train;
	assert_false(label_check_is(&j));
	j.params = NULL;
	assert_false(label_check_is(&j));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_folds_stable_and_balanced),
	    cmocka_unit_test(test_flags_contradictions_over_threshold),
	    cmocka_unit_test(test_multi_label_flags_each_label),
	    cmocka_unit_test(test_span_flags_merge_tokens),
	    cmocka_unit_test(test_kinds_and_jobs),
	    cmocka_unit_test(test_check_multi_label_text),
	    cmocka_unit_test(test_check_fasttext),
	    cmocka_unit_test(test_check_multi_label_fasttext),
	    cmocka_unit_test(test_check_spans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
