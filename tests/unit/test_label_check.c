/* Unit tests of the label check's pure parts: the folds (stable by item id, every fold used,
 * about equal), the flags (a contradiction at or over the threshold, ordered by confidence, an
 * agreement never), the trainer a task kind checks with, and which jobs are checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/label_check.h"
#include "ml/label_check.h"

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

static void test_kinds_and_jobs(void **state)
{
	(void)state;
	assert_string_equal(label_check_trainer("text_class"), "text-linear");
	assert_string_equal(label_check_trainer("image_class"), "image-hog");
	assert_null(label_check_trainer("text_spans"));
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
	    cmocka_unit_test(test_kinds_and_jobs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
