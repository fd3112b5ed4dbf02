/* The quality arithmetic of the LLM and transcription kinds against hand-worked cases in
 * tests/data/quality/kinds.json: Kendall's tau and pairwise agreement of preferences, the
 * majority over pairs, character error rates and gold scores; plus the banded edit distance on
 * long texts and the position-bias count. */
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

static json_t *data;

static void assert_near(double got, double want, const char *what, size_t i)
{
	if (fabs(got - want) > 1e-6)
		fail_msg("%s case %zu: got %.10f, want %.10f", what, i, got, want);
}

static double num(const json_t *c, const char *key)
{
	return json_number_value(json_object_get(c, key));
}

static task_kind kind_of(const json_t *c)
{
	task_kind k = KIND_TEXT_CLASS;
	assert_int_equal(task_kind_parse(json_string_value(json_object_get(c, "kind")), &k), 0);
	return k;
}

static void test_preference_pairs(void **state)
{
	(void)state;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(data, "preference_pairs"), i, c)
	{
		const json_t *a = json_object_get(c, "a"), *b = json_object_get(c, "b");
		assert_near(quality_kendall_tau(a, b), num(c, "tau"), "tau", i);
		assert_near(quality_kendall_tau(b, a), num(c, "tau"), "tau reversed", i);
		assert_near(quality_pair_agreement(a, b), num(c, "agreement"), "agreement", i);
		assert_near(quality_similarity(KIND_LLM_PREFERENCE, a, b), num(c, "agreement"),
			    "similarity", i);
	}
}

static void test_consolidate(void **state)
{
	(void)state;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(data, "consolidate"), i, c)
	{
		json_t *anns = json_object_get(c, "annotations");
		json_t *arr[8];
		size_t n = json_array_size(anns);
		for (size_t k = 0; k < n; k++)
			arr[k] = json_array_get(anns, k);
		double agreement = -1;
		json_t *got = quality_consolidate(kind_of(c), false, arr, n, &agreement);
		if (!got || !json_equal(got, json_object_get(c, "expected"))) {
			char *s = got ? json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
			fail_msg("%s: got %s", json_string_value(json_object_get(c, "name")),
				 s ? s : "NULL");
		}
		assert_near(agreement, num(c, "agreement"), "consolidation agreement", i);
		json_decref(got);
	}
}

static void test_cer(void **state)
{
	(void)state;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(data, "cer"), i, c)
	{
		const char *hyp = json_string_value(json_object_get(c, "hyp"));
		const char *ref = json_string_value(json_object_get(c, "ref"));
		assert_near(quality_cer(hyp, ref), num(c, "cer"), "cer", i);
	}
}

static void test_gold(void **state)
{
	(void)state;
	size_t i;
	json_t *c;
	json_array_foreach(json_object_get(data, "gold"), i, c)
	    assert_near(quality_gold_score(kind_of(c), json_object_get(c, "gold"),
					   json_object_get(c, "answer")),
			num(c, "score"), "gold", i);
}

/* Texts too long for the full table (10,000 x 10,000 cells) go through the band around the
 * diagonal, which is exact when the distance fits it. */
static void test_long_edit_distance(void **state)
{
	(void)state;
	size_t n = 10000;
	char *a = malloc(n + 1), *b = malloc(n + 2);
	for (size_t i = 0; i < n; i++)
		a[i] = b[i] = (char)('a' + i % 26);
	a[n] = b[n] = '\0';
	b[10] = '#';
	b[5000] = '#';
	memmove(b + 9001, b + 9000, n - 9000 + 1); /* an insertion */
	b[9000] = '+';
	assert_int_equal(quality_edit_distance(a, b), 3);
	assert_int_equal(quality_edit_distance(b, a), 3);
	free(a);
	free(b);
}

static void test_first_shown(void **state)
{
	(void)state;
	json_t *a = json_loads("{\"best\":\"b\",\"order\":[\"b\",\"a\"]}", 0, NULL);
	assert_int_equal(quality_first_shown_chosen(a), 1);
	json_object_set_new(a, "best", json_string("a"));
	assert_int_equal(quality_first_shown_chosen(a), 0);
	json_object_set_new(a, "best", json_null());
	json_object_set_new(a, "ranking", json_pack("[s,s]", "b", "a"));
	assert_int_equal(quality_first_shown_chosen(a), 1);
	json_object_del(a, "ranking");
	json_object_set_new(a, "tie", json_true());
	assert_int_equal(quality_first_shown_chosen(a), -1);
	json_decref(a);
}

int main(void)
{
	data = cases_load_json("quality", "kinds.json");
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_preference_pairs),
	    cmocka_unit_test(test_consolidate),
	    cmocka_unit_test(test_cer),
	    cmocka_unit_test(test_gold),
	    cmocka_unit_test(test_long_edit_distance),
	    cmocka_unit_test(test_first_shown),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	json_decref(data);
	return failed ? 1 : 0;
}
