/* Unit tests of the loop's rules (core/prediction_loop.c) through tables of plain fields: the
 * feedback settings checked against the project and the model's kind, which answers are
 * doubtful, and the model's answer as a pre-annotation valid for the project (or none). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/prediction_loop.h"
#include "core/preannotation_stats.h"

static project text_project(task_kind kind)
{
	project p = {.id = 5, .org_id = 2, .kind = kind, .overlap = 1};
	p.labels = json_pack("[ss]", "pos", "neg");
	return p;
}

static const struct {
	const char *settings, *model_kind;
	int64_t org;
	bool project;
	int rc;
	double threshold;
	int64_t cap;
	double share;
} settings_cases[] = {
    {"{\"project_id\":5,\"threshold\":0.7}", "text_class", 2, true, 0, 0.7, 1000, 0},
    {"{\"project_id\":5}", "text_class", 2, true, 0, 0.5, 1000, 0},
    {"{\"project_id\":5,\"daily_cap\":3}", "text_class", 2, true, 0, 0.5, 3, 0},
    {"{\"project_id\":5,\"daily_cap\":0}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5,\"daily_cap\":1.5}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5}", "text_class", 3, true, CL_ENOTFOUND, 0, 0, 0},
    {"{\"project_id\":5}", "text_class", 2, false, CL_ENOTFOUND, 0, 0, 0},
    {"{\"project_id\":5}", "image_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5}", NULL, 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5,\"threshold\":1.5}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5,\"threshold\":\"high\"}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5,\"rule\":1}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":\"5\"}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5,\"canary_share\":0.25}", "text_class", 2, true, 0, 0.5, 1000, 0.25},
    {"{\"project_id\":5,\"canary_share\":1}", "text_class", 2, true, 0, 0.5, 1000, 1},
    {"{\"project_id\":5,\"canary_share\":1.1}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
    {"{\"project_id\":5,\"canary_share\":\"all\"}", "text_class", 2, true, CL_EINVAL, 0, 0, 0},
};

static void test_settings(void **state)
{
	(void)state;
	project p = text_project(KIND_TEXT_CLASS);
	for (size_t i = 0; i < sizeof settings_cases / sizeof *settings_cases; i++) {
		json_t *s = json_loads(settings_cases[i].settings, 0, NULL);
		loop_settings ls = {0};
		cl_error err = {0};
		int rc = loop_settings_check(s, settings_cases[i].project ? &p : NULL,
					     settings_cases[i].org, settings_cases[i].model_kind,
					     &ls, &err);
		if (rc != settings_cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, err.message);
		if (!rc) {
			assert_int_equal(ls.project_id, 5);
			assert_true(ls.threshold == settings_cases[i].threshold);
			assert_int_equal(ls.daily_cap, settings_cases[i].cap);
			assert_true(ls.canary_share == settings_cases[i].share);
		}
		json_decref(s);
	}
	json_decref(p.labels);
}

/* How much of its input images an endpoint keeps: KiB from 0 (none) and days from 1. */
static const struct {
	const char *settings;
	int rc;
	int64_t kb, days;
} image_cases[] = {
    {"{\"project_id\":5}", 0, LOOP_IMAGE_BUDGET_KB_DEFAULT, LOOP_IMAGE_DAYS_DEFAULT},
    {"{\"project_id\":5,\"image_budget_kb\":0,\"image_days\":1}", 0, 0, 1},
    {"{\"project_id\":5,\"image_budget_kb\":67108864,\"image_days\":365}", 0, 67108864, 365},
    {"{\"project_id\":5,\"image_budget_kb\":67108865}", CL_EINVAL, 0, 0},
    {"{\"project_id\":5,\"image_budget_kb\":-1}", CL_EINVAL, 0, 0},
    {"{\"project_id\":5,\"image_budget_kb\":1.5}", CL_EINVAL, 0, 0},
    {"{\"project_id\":5,\"image_days\":0}", CL_EINVAL, 0, 0},
    {"{\"project_id\":5,\"image_days\":366}", CL_EINVAL, 0, 0},
};

static void test_image_settings(void **state)
{
	(void)state;
	project p = text_project(KIND_TEXT_CLASS);
	for (size_t i = 0; i < sizeof image_cases / sizeof *image_cases; i++) {
		json_t *s = json_loads(image_cases[i].settings, 0, NULL);
		loop_settings ls = {0};
		cl_error err = {0};
		int rc = loop_settings_check(s, &p, 2, "text_class", &ls, &err);
		if (rc != image_cases[i].rc)
			fail_msg("case %zu: rc %d (%s)", i, rc, err.message);
		if (rc)
			assert_non_null(strstr(err.message, "image_"));
		else if (ls.image_budget_kb != image_cases[i].kb ||
			 ls.image_days != image_cases[i].days)
			fail_msg("case %zu: %lld KiB, %lld days", i, (long long)ls.image_budget_kb,
				 (long long)ls.image_days);
		json_decref(s);
	}
	json_decref(p.labels);
}

static void test_reason(void **state)
{
	(void)state;
	json_t *sure =
	    json_pack("{s:s,s:{s:f,s:f}}", "label", "pos", "scores", "pos", 0.9, "neg", 0.1);
	json_t *unsure =
	    json_pack("{s:s,s:{s:f,s:f}}", "label", "pos", "scores", "pos", 0.55, "neg", 0.45);
	json_t *spans = json_pack("{s:[{s:i,s:i,s:s,s:f}]}", "spans", "start", 0, "end", 2, "label",
				  "pos", "score", 0.3);
	assert_null(loop_reason(sure, 0.8));
	assert_string_equal(loop_reason(unsure, 0.8), LOOP_LOW_CONFIDENCE);
	assert_null(loop_reason(unsure, 0.5));
	assert_string_equal(loop_reason(spans, 0.5), LOOP_LOW_CONFIDENCE);
	assert_null(loop_reason(NULL, 0.9));
	/* OCR: the least confident line decides; a page with no line is doubtful. */
	json_t *page = json_pack("{s:[{s:s,s:f},{s:s,s:f}]}", "lines", "text", "a", "confidence",
				 0.95, "text", "b", "confidence", 0.4);
	assert_string_equal(loop_reason(page, 0.5), LOOP_LOW_CONFIDENCE);
	assert_null(loop_reason(page, 0.3));
	json_decref(page);
	page = json_pack("{s:[]}", "lines");
	assert_string_equal(loop_reason(page, 0.1), LOOP_LOW_CONFIDENCE);
	json_decref(page);
	json_decref(sure);
	json_decref(unsure);
	json_decref(spans);
}

/* Production's answer, the canary's, and whether they disagree. */
static const struct {
	const char *production, *canary;
	bool disagree;
} canary_cases[] = {
    {"{\"label\":\"pos\",\"scores\":{\"pos\":0.9}}", "{\"label\":\"pos\"}", false},
    {"{\"label\":\"pos\"}", "{\"label\":\"neg\"}", true},
    {"{\"scores\":{\"pos\":0.6,\"neg\":0.4}}", "{\"scores\":{\"pos\":0.3,\"neg\":0.7}}",
     true},
    {"{\"labels\":[\"neg\"]}", "{\"scores\":{\"pos\":0.3,\"neg\":0.7}}", false},
    {"{\"label\":\"pos\"}", "{\"spans\":[]}", true},
    {"{\"spans\":[{\"start\":0,\"end\":2,\"label\":\"A\",\"score\":0.9}]}",
     "{\"spans\":[{\"start\":0,\"end\":2,\"label\":\"A\",\"score\":0.4}]}", false},
    {"{\"spans\":[{\"start\":0,\"end\":2,\"label\":\"A\"}]}",
     "{\"spans\":[{\"start\":0,\"end\":3,\"label\":\"A\"}]}", true},
    {"{\"label\":\"pos\"}", NULL, false},
    {"{\"lines\":[{\"text\":\"Hello\",\"confidence\":0.9}]}",
     "{\"lines\":[{\"text\":\"Hello\",\"confidence\":0.5}]}", false},
    {"{\"lines\":[{\"text\":\"Hello\"}]}", "{\"lines\":[{\"text\":\"Hell0\"}]}", true},
    {"{\"lines\":[{\"text\":\"Hello\"}]}", "{\"lines\":[]}", true},
};

static void test_canary(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof canary_cases / sizeof *canary_cases; i++) {
		json_t *prod = json_loads(canary_cases[i].production, 0, NULL);
		json_t *can = canary_cases[i].canary ? json_loads(canary_cases[i].canary, 0, NULL)
						     : NULL;
		const char *reason = loop_canary_reason(prod, can);
		if (canary_cases[i].disagree != (reason != NULL))
			fail_msg("case %zu: %s", i, reason ? reason : "agree");
		if (reason)
			assert_string_equal(reason, LOOP_CANARY_DISAGREEMENT);
		json_decref(prod);
		json_decref(can);
	}
	/* The share samples draws out of a million: none at 0, all at 1. */
	assert_false(loop_canary_sampled(0, 0));
	assert_true(loop_canary_sampled(1, 999999));
	assert_true(loop_canary_sampled(0.25, 249999));
	assert_false(loop_canary_sampled(0.25, 250000));
}

/* Figures of first submissions: time with and without a suggestion, accepted vs changed. */
static void test_preannotation_stats(void **state)
{
	(void)state;
	preannotation_stats s = {0};
	json_t *o = preannotation_stats_finish(&s);
	assert_true(json_is_null(json_object_get(json_object_get(o, "with"), "mean_seconds")));
	assert_true(json_is_null(json_object_get(o, "changed_rate")));
	json_decref(o);
	/* Member order is no change; another label is; an unknown time still counts the choice. */
	preannotation_stats_add(&s, 1000, "{\"spans\":[{\"start\":0,\"end\":1,\"label\":\"A\"}]}",
				"{\"spans\":[{\"label\":\"A\",\"end\":1,\"start\":0}]}");
	preannotation_stats_add(&s, 3000, "{\"labels\":[\"pos\"]}", "{\"labels\":[\"neg\"]}");
	preannotation_stats_add(&s, -1, "{\"labels\":[\"pos\"]}", "{\"labels\":[\"pos\"]}");
	preannotation_stats_add(&s, 8000, NULL, "{\"labels\":[\"pos\"]}");
	preannotation_stats_add(&s, 2000, NULL, "{\"labels\":[\"neg\"]}");
	preannotation_stats_add(&s, 4000, NULL, "{\"labels\":[\"neg\"]}");
	o = preannotation_stats_finish(&s);
	const json_t *with = json_object_get(o, "with"), *without = json_object_get(o, "without");
	assert_int_equal(json_integer_value(json_object_get(with, "tasks")), 2);
	assert_true(json_real_value(json_object_get(with, "mean_seconds")) == 2.0);
	assert_true(json_real_value(json_object_get(with, "median_seconds")) == 2.0);
	assert_int_equal(json_integer_value(json_object_get(without, "tasks")), 3);
	assert_true(json_real_value(json_object_get(without, "median_seconds")) == 4.0);
	assert_int_equal(json_integer_value(json_object_get(o, "accepted")), 2);
	assert_int_equal(json_integer_value(json_object_get(o, "changed")), 1);
	assert_true(json_real_value(json_object_get(o, "changed_rate")) == 1.0 / 3.0);
	json_decref(o);
}

/* Image answers: OCR lines for a transcription project (boxes kept inside the image, blank
 * lines left out), a class for an image_class project, nothing for a label it lacks. */
static void test_preannotation_image(void **state)
{
	(void)state;
	project p = {.id = 5, .org_id = 2, .kind = KIND_IMAGE_TRANSCRIPTION, .overlap = 1};
	json_t *out = json_pack("{s:[{s:s,s:[iiii],s:f},{s:s,s:[iiii],s:f}]}", "lines", "text",
				"Hello", "box", 10, 5, 500, 40, "confidence", 0.9, "text", "  ", "box",
				0, 0, 5, 5, "confidence", 0.1);
	json_t *ann = loop_preannotation_image(&p, 200, 100, out);
	json_t *want = json_pack("{s:[{s:s,s:{s:i,s:i,s:i,s:i}}]}", "lines", "text", "Hello", "box",
				 "x", 10, "y", 5, "w", 190, "h", 40);
	assert_true(json_equal(ann, want));
	json_decref(ann);
	json_decref(want);
	json_decref(out);
	p = text_project(KIND_IMAGE_CLASS);
	out = json_pack("{s:s}", "label", "neg");
	ann = loop_preannotation_image(&p, 10, 10, out);
	want = json_pack("{s:[s]}", "labels", "neg");
	assert_true(json_equal(ann, want));
	json_decref(ann);
	json_decref(want);
	json_decref(out);
	out = json_pack("{s:s}", "label", "cat");
	assert_null(loop_preannotation_image(&p, 10, 10, out));
	json_decref(out);
	json_decref(p.labels);
}

static void test_preannotation(void **state)
{
	(void)state;
	project p = text_project(KIND_TEXT_CLASS);
	json_t *out = json_pack("{s:s,s:{}}", "label", "neg", "scores");
	json_t *ann = loop_preannotation(&p, "meh", out);
	json_t *want = json_pack("{s:[s]}", "labels", "neg");
	assert_true(json_equal(ann, want));
	json_decref(ann);
	json_decref(out);
	/* A label the project does not have makes no suggestion. */
	out = json_pack("{s:s}", "label", "maybe");
	assert_null(loop_preannotation(&p, "meh", out));
	json_decref(out);
	json_decref(p.labels);
	/* Spans lose their scores; a span past the text's end makes none. */
	p = text_project(KIND_TEXT_SPANS);
	out = json_pack("{s:[{s:i,s:i,s:s,s:f}]}", "spans", "start", 0, "end", 3, "label", "pos",
			"score", 0.4);
	ann = loop_preannotation(&p, "good day", out);
	json_decref(want);
	want = json_pack("{s:[{s:i,s:i,s:s}]}", "spans", "start", 0, "end", 3, "label", "pos");
	assert_true(json_equal(ann, want));
	json_decref(ann);
	assert_null(loop_preannotation(&p, "go", out));
	json_decref(out);
	json_decref(want);
	json_decref(p.labels);
	json_t *meta = loop_item_meta(NULL, 4, LOOP_NEGATIVE_FEEDBACK);
	assert_null(json_object_get(meta, "preannotation"));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(meta, "prediction"), "reason")),
	    LOOP_NEGATIVE_FEEDBACK);
	json_decref(meta);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_image_settings),
	    cmocka_unit_test(test_reason),
	    cmocka_unit_test(test_preannotation),
	    cmocka_unit_test(test_canary),
	    cmocka_unit_test(test_preannotation_stats),
	    cmocka_unit_test(test_preannotation_image),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
