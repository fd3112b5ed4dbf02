/* Unit tests of ml/evaluate: accuracy, per-class precision and recall, macro-F1, the confusion
 * matrix and entity-level span matching, each against figures worked out by hand. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "ml/evaluate.h"

#define NEAR(a, b) assert_true((a) > (b)-1e-9 && (a) < (b) + 1e-9)

/* truth 0 0 0 1 1 2, predicted 0 0 1 1 2 2: four right of six.
 * class 0: tp 2, fp 0, fn 1 -> P 1, R 2/3, F1 0.8
 * class 1: tp 1, fp 1, fn 1 -> P 1/2, R 1/2, F1 1/2
 * class 2: tp 1, fp 1, fn 0 -> P 1/2, R 1, F1 2/3 */
static void fill(ml_confusion *c, int nclass)
{
	static const int truth[] = {0, 0, 0, 1, 1, 2}, pred[] = {0, 0, 1, 1, 2, 2};
	assert_int_equal(ml_confusion_init(c, nclass), 0);
	for (int i = 0; i < 6; i++)
		ml_confusion_add(c, truth[i], pred[i]);
}

static void test_accuracy_and_classes(void **state)
{
	(void)state;
	ml_confusion c;
	fill(&c, 3);
	NEAR(ml_accuracy(&c), 4.0 / 6);
	ml_prf p0 = ml_prf_of(ml_class_counts(&c, 0)), p1 = ml_prf_of(ml_class_counts(&c, 1)),
	       p2 = ml_prf_of(ml_class_counts(&c, 2));
	NEAR(p0.precision, 1);
	NEAR(p0.recall, 2.0 / 3);
	NEAR(p0.f1, 0.8);
	NEAR(p1.precision, 0.5);
	NEAR(p1.recall, 0.5);
	NEAR(p2.precision, 0.5);
	NEAR(p2.recall, 1);
	NEAR(p2.f1, 2.0 / 3);
	NEAR(ml_macro_f1(&c), (0.8 + 0.5 + 2.0 / 3) / 3);
	ml_confusion_release(&c);
}

/* A class that is neither true nor predicted leaves the macro-F1 as it was. */
static void test_macro_skips_absent_class(void **state)
{
	(void)state;
	ml_confusion c;
	fill(&c, 4);
	NEAR(ml_macro_f1(&c), (0.8 + 0.5 + 2.0 / 3) / 3);
	ml_confusion_release(&c);
}

static void test_empty_denominators(void **state)
{
	(void)state;
	ml_prf r = ml_prf_of((ml_counts){0, 0, 0});
	NEAR(r.precision, 0);
	NEAR(r.recall, 0);
	NEAR(r.f1, 0);
	ml_confusion c;
	assert_int_equal(ml_confusion_init(&c, 2), 0);
	NEAR(ml_accuracy(&c), 0);
	ml_confusion_release(&c);
}

static void test_classes_json(void **state)
{
	(void)state;
	char *labels[] = {"a", "b", "c"};
	ml_confusion c;
	fill(&c, 3);
	json_t *j = ml_eval_classes_json(&c, labels);
	assert_non_null(j);
	NEAR(json_number_value(json_object_get(j, "accuracy")), 4.0 / 6);
	json_t *a = json_object_get(json_object_get(j, "per_class"), "a");
	assert_int_equal(json_integer_value(json_object_get(a, "support")), 3);
	NEAR(json_number_value(json_object_get(a, "recall")), 2.0 / 3);
	json_t *m = json_object_get(json_object_get(j, "confusion"), "matrix");
	assert_int_equal(json_integer_value(json_array_get(json_array_get(m, 0), 1)), 1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(m, 1), 2)), 1);
	assert_int_equal(json_integer_value(json_array_get(json_array_get(m, 2), 0)), 0);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(j, "confusion"), "labels"), 2)),
			    "c");
	json_decref(j);
	ml_confusion_release(&c);
}

/* gold PER[0,5) LOC[10,15); predicted PER[0,5) (right), LOC[10,14) (a wrong end), PER[20,25)
 * (not there), and LOC[0,5) (the right offsets with the wrong label):
 * PER tp 1 fp 1 fn 0; LOC tp 0 fp 2 fn 1; in all tp 1 fp 3 fn 1 -> P 1/4, R 1/2, F1 1/3. */
static void test_entity_matching(void **state)
{
	(void)state;
	const ml_span gold[] = {{0, 5, 0}, {10, 15, 1}};
	const ml_span pred[] = {{0, 5, 0}, {10, 14, 1}, {20, 25, 0}, {0, 5, 1}};
	ml_counts per[2] = {{0, 0, 0}, {0, 0, 0}};
	ml_spans_count(gold, 2, pred, 4, per);
	assert_int_equal(per[0].tp, 1);
	assert_int_equal(per[0].fp, 1);
	assert_int_equal(per[0].fn, 0);
	assert_int_equal(per[1].tp, 0);
	assert_int_equal(per[1].fp, 2);
	assert_int_equal(per[1].fn, 1);
	char *labels[] = {"PER", "LOC"};
	json_t *j = ml_eval_spans_json(per, labels, 2);
	json_t *e = json_object_get(j, "entity");
	NEAR(json_number_value(json_object_get(e, "precision")), 0.25);
	NEAR(json_number_value(json_object_get(e, "recall")), 0.5);
	NEAR(json_number_value(json_object_get(e, "f1")), 1.0 / 3);
	NEAR(json_number_value(json_object_get(
		 json_object_get(json_object_get(j, "per_class"), "PER"), "precision")),
	     0.5);
	json_decref(j);
}

/* Three rows of labels {a}, {a,b}, {b}; predicted {a}, {a}, {b,c}: one set wrong by a missing b,
 * one by an extra c, so one row of three is exactly right. a: tp 2; b: tp 1 fn 1 (F1 2/3);
 * c: fp 1 (F1 0). */
static void test_multi_label(void **state)
{
	(void)state;
	const uint8_t truth[] = {1, 0, 0, 1, 1, 0, 0, 1, 0};
	const uint8_t pred[] = {1, 0, 0, 1, 0, 0, 0, 1, 1};
	char *labels[] = {"a", "b", "c"};
	json_t *j = ml_eval_multi_json(truth, pred, 3, labels, 3);
	NEAR(json_number_value(json_object_get(j, "accuracy")), 1.0 / 3);
	NEAR(json_number_value(json_object_get(j, "macro_f1")), (1 + 2.0 / 3 + 0) / 3);
	json_decref(j);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accuracy_and_classes),
	    cmocka_unit_test(test_macro_skips_absent_class),
	    cmocka_unit_test(test_empty_denominators),
	    cmocka_unit_test(test_classes_json),
	    cmocka_unit_test(test_entity_matching),
	    cmocka_unit_test(test_multi_label),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
