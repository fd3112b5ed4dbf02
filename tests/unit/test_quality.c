/* Quality arithmetic against hand-computed, data-driven cases in tests/data/quality/: Wilson
 * intervals against published values, consolidation and agreement per kind, Krippendorff's
 * alpha, gold scores; plus planted honeypot errors, settings and the promotion rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "core/quality.h"

static json_t *load(const char *name)
{
	return cases_load_json("quality", name);
}

static void assert_near(double got, double want, double tol, const char *what)
{
	if (fabs(got - want) > tol)
		fail_msg("%s: got %.10f, want %.10f", what, got, want);
}

/* JSON equality with numbers compared to 1e-6 (consolidated boxes are means). */
static bool json_near(const json_t *a, const json_t *b)
{
	if (json_is_number(a) && json_is_number(b))
		return fabs(json_number_value(a) - json_number_value(b)) < 1e-6;
	if (json_is_array(a) && json_is_array(b)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_near(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	if (json_is_object(a) && json_is_object(b)) {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)a, k, v)
		{
			if (!json_near(v, json_object_get(b, k)))
				return false;
		}
		return true;
	}
	return json_equal((json_t *)a, (json_t *)b);
}

static task_kind kind_of(json_t *c)
{
	task_kind k;
	assert_int_equal(task_kind_parse(json_string_value(json_object_get(c, "kind")), &k), 0);
	return k;
}

static void test_wilson(void **state)
{
	(void)state;
	json_t *d = load("wilson.json");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(d, "cases"), i, c)
	{
		long k = (long)json_integer_value(json_object_get(c, "k"));
		long n = (long)json_integer_value(json_object_get(c, "n"));
		quality_interval q = quality_wilson(k, n, QUALITY_Z95);
		char what[64];
		snprintf(what, sizeof what, "wilson %ld/%ld lo", k, n);
		assert_near(q.lo, json_number_value(json_object_get(c, "lo")), 5e-5, what);
		snprintf(what, sizeof what, "wilson %ld/%ld hi", k, n);
		assert_near(q.hi, json_number_value(json_object_get(c, "hi")), 5e-5, what);
		if (n)
			assert_true(q.lo <= q.p && q.p <= q.hi);
	}
	json_decref(d);
	json_t *j = quality_interval_json(&(quality_interval){.n = 0});
	assert_true(json_is_null(json_object_get(j, "p")));
	json_decref(j);
}

static void test_consolidate(void **state)
{
	(void)state;
	json_t *d = load("consolidate.json");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(d, "cases"), i, c)
	{
		json_t *anns = json_object_get(c, "annotations");
		size_t n = json_array_size(anns);
		json_t *arr[16];
		for (size_t k = 0; k < n; k++)
			arr[k] = json_array_get(anns, k);
		double agreement = -1;
		json_t *got =
		    quality_consolidate(kind_of(c), json_is_true(json_object_get(c, "multi_label")),
					arr, n, &agreement);
		const char *name = json_string_value(json_object_get(c, "name"));
		if (!got || !json_near(got, json_object_get(c, "expected"))) {
			char *s = got ? json_dumps(got, JSON_COMPACT) : NULL;
			fail_msg("%s: got %s", name, s ? s : "NULL");
		}
		assert_near(agreement, json_number_value(json_object_get(c, "agreement")), 1e-4,
			    name);
		json_decref(got);
	}
	assert_null(quality_consolidate(KIND_TEXT_CLASS, false, NULL, 0, NULL));
	json_decref(d);
}

static void test_similarity_and_gold(void **state)
{
	(void)state;
	json_t *d = load("similarity.json");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(d, "similarity"), i, c)
	{
		double got = quality_similarity(kind_of(c), json_object_get(c, "a"),
						json_object_get(c, "b"));
		char what[64];
		snprintf(what, sizeof what, "similarity case %zu", i);
		assert_near(got, json_number_value(json_object_get(c, "expected")), 1e-9, what);
		/* Agreement is symmetric. */
		assert_near(quality_similarity(kind_of(c), json_object_get(c, "b"),
					       json_object_get(c, "a")),
			    got, 1e-9, what);
	}
	json_array_foreach(json_object_get(d, "gold"), i, c)
	{
		double got = quality_gold_score(kind_of(c), json_object_get(c, "gold"),
						json_object_get(c, "answer"));
		char what[64];
		snprintf(what, sizeof what, "gold case %zu", i);
		assert_near(got, json_number_value(json_object_get(c, "score")), 1e-9, what);
	}
	json_decref(d);
}

static void test_alpha(void **state)
{
	(void)state;
	json_t *d = load("alpha.json");
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(d, "cases"), i, c)
	{
		json_t *units = json_object_get(c, "values");
		size_t nu = json_array_size(units);
		size_t nc = json_array_size(json_array_get(units, 0));
		const char **v = calloc(nu * nc, sizeof *v);
		for (size_t u = 0; u < nu; u++)
			for (size_t k = 0; k < nc; k++)
				v[u * nc + k] =
				    json_string_value(json_array_get(json_array_get(units, u), k));
		double got = quality_alpha_nominal(v, nu, nc);
		json_t *want = json_object_get(c, "alpha");
		char what[64];
		snprintf(what, sizeof what, "alpha case %zu", i);
		if (json_is_null(want))
			assert_true(isnan(got));
		else
			assert_near(got, json_number_value(want), 1e-9, what);
		free(v);
	}
	json_decref(d);
	json_t *a = json_pack("{s:[s,s]}", "labels", "b", "a");
	char *s = quality_class_value(a);
	assert_string_equal(s, "a|b");
	free(s);
	json_decref(a);
}

static void test_plant_error(void **state)
{
	(void)state;
	json_t *labels = json_pack("[s,s,s]", "pos", "neg", "neu");
	json_t *gold = json_pack("{s:[s]}", "labels", "pos");
	for (uint32_t pick = 0; pick < 20; pick++) {
		json_t *bad = quality_plant_error(KIND_TEXT_CLASS, gold, labels, pick);
		assert_non_null(bad);
		assert_true(quality_gold_score(KIND_TEXT_CLASS, gold, bad) < 1.0);
		json_decref(bad);
	}
	json_t *one = json_pack("[s]", "pos");
	assert_null(quality_plant_error(KIND_TEXT_CLASS, gold, one, 3));
	json_decref(gold);

	gold = json_pack("{s:[{s:i,s:i,s:i,s:i,s:s}]}", "boxes", "x", 1, "y", 1, "w", 5, "h", 5,
			 "label", "pos");
	json_t *bad = quality_plant_error(KIND_IMAGE_BBOX, gold, labels, 7);
	assert_true(quality_gold_score(KIND_IMAGE_BBOX, gold, bad) < 1.0);
	json_decref(bad);
	bad = quality_plant_error(KIND_IMAGE_BBOX, gold, one, 7); /* one label: the box goes */
	assert_int_equal(json_array_size(json_object_get(bad, "boxes")), 0);
	json_decref(bad);
	json_decref(gold);
	gold = json_pack("{s:[]}", "spans");
	assert_null(quality_plant_error(KIND_TEXT_SPANS, gold, labels, 1));
	json_decref(gold);
	json_decref(one);
	json_decref(labels);
}

static void test_settings(void **state)
{
	(void)state;
	quality_settings s;
	quality_settings_init(&s);
	cl_error err;
	json_t *in = json_pack("{s:f,s:[i,i],s:i}", "gold_rate", 0.1, "required_courses", 3, 4,
			       "promote_min_approved", 10);
	assert_int_equal(quality_settings_apply_json(&s, in, &err), 0);
	assert_int_equal(s.n_required, 2);
	assert_int_equal(s.required_courses[1], 4);
	assert_int_equal(s.promote_min_approved, 10);
	json_decref(in);
	in = json_pack("{s:f,s:f}", "honeypot_rate", 0.5, "gold_rate", 1.5);
	assert_int_equal(quality_settings_apply_json(&s, in, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "gold_rate"));
	assert_true(s.honeypot_rate == 0); /* unchanged on failure */
	json_decref(in);
	in = json_pack("{s:b}", "bogus", 1);
	assert_int_equal(quality_settings_apply_json(&s, in, &err), CL_EINVAL);
	json_decref(in);
	json_t *out = quality_settings_to_json(&s);
	quality_settings t;
	quality_settings_init(&t);
	assert_int_equal(quality_settings_apply_json(&t, out, &err), 0);
	assert_memory_equal(&s, &t, sizeof s);
	json_decref(out);
}

static void test_promotion_rules(void **state)
{
	(void)state;
	quality_settings s;
	quality_settings_init(&s);
	s.promote_min_approved = 10;
	s.promote_min_first_pass = 0.9;
	s.promote_min_gold = 0.8;
	quality_worker_figures f = {.approved = 10, .first_pass = 9};
	assert_true(quality_should_promote(&s, &f)); /* exactly at both thresholds */
	f.approved = 9;
	assert_false(quality_should_promote(&s, &f)); /* one approval short */
	f = (quality_worker_figures){.approved = 10, .first_pass = 8};
	assert_false(quality_should_promote(&s, &f)); /* first pass 80% < 90% */
	f = (quality_worker_figures){
	    .approved = 10, .first_pass = 10, .gold_n = 5, .gold_correct = 4};
	assert_true(quality_should_promote(&s, &f)); /* gold 80% */
	f.gold_correct = 3;
	assert_false(quality_should_promote(&s, &f)); /* gold 60% */
	s.promote_min_gold_n = 6;
	f.gold_correct = 5;
	assert_false(quality_should_promote(&s, &f)); /* too few gold answers */
	s.promote_min_gold_n = 0;
	s.auto_promote = false;
	assert_false(quality_should_promote(&s, &f));

	s.demote_min_checks = 5;
	s.demote_below = 0.8;
	assert_false(quality_should_demote(&s, 4, 0)); /* too few checks */
	assert_true(quality_should_demote(&s, 5, 3));  /* 60% */
	assert_false(quality_should_demote(&s, 5, 4)); /* 80% is not under 80% */
	s.auto_demote = false;
	assert_false(quality_should_demote(&s, 10, 0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_wilson),
	    cmocka_unit_test(test_consolidate),
	    cmocka_unit_test(test_similarity_and_gold),
	    cmocka_unit_test(test_alpha),
	    cmocka_unit_test(test_plant_error),
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_promotion_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
