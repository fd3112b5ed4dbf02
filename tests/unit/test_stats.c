/* core/stats.c: the first-pass approval rate over a project's counted workers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/stats.h"

static void test_rate_over_every_decided_task(void **state)
{
	(void)state;
	stats_worker w[] = {{.user_id = 1, .first_pass = 3, .decided = 4},
			    {.user_id = 2, .first_pass = 1, .decided = 4},
			    {.user_id = 3, .reviews = 9}}; /* a reviewer: no work of their own */
	project_stats s = {.workers = w, .n_workers = 3};
	double rate = -1;
	assert_true(project_stats_first_pass_rate(&s, &rate));
	assert_true(rate > 0.4999 && rate < 0.5001);
}

static void test_no_decision_is_unknown_not_zero(void **state)
{
	(void)state;
	stats_worker w[] = {{.user_id = 1, .submitted = 5}};
	project_stats s = {.workers = w, .n_workers = 1};
	double rate = -1;
	assert_false(project_stats_first_pass_rate(&s, &rate));
	assert_true(rate == -1);
	s.n_workers = 0;
	assert_false(project_stats_first_pass_rate(&s, &rate));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rate_over_every_decided_task),
	    cmocka_unit_test(test_no_decision_is_unknown_not_zero),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
