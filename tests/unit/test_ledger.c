/* Ledger rules: balanced transactions, refused moves, reserves without overflow, hourly
 * earnings, suggested prices and medians. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/ledger.h"
#include "util/err.h"

static void test_moves_balance(void **state)
{
	(void)state;
	ledger_txn t;
	ledger_txn_init(&t, "pay");
	assert_int_equal(ledger_check(&t), CL_EINVAL); /* empty */
	assert_int_equal(ledger_move(&t, 1, 2, 500), 0);
	assert_int_equal(ledger_move(&t, 1, 3, 50), 0);
	assert_int_equal(t.n, 4);
	assert_int_equal(ledger_check(&t), 0);
	int64_t sum = 0;
	for (int i = 0; i < t.n; i++)
		sum += t.e[i].amount;
	assert_int_equal(sum, 0);
	assert_int_equal(t.e[0].amount, -500);
	assert_int_equal(t.e[1].account, 2);

	assert_int_equal(ledger_move(&t, 1, 1, 5), CL_EINVAL);  /* same account */
	assert_int_equal(ledger_move(&t, 1, 2, 0), CL_EINVAL);  /* nothing */
	assert_int_equal(ledger_move(&t, 1, 2, -3), CL_EINVAL); /* backwards */
	assert_int_equal(ledger_move(&t, 1, 2, LEDGER_MAX_AMOUNT + 1), CL_EINVAL);
	assert_int_equal(ledger_move(&t, 4, 5, 1), 0);
	assert_int_equal(ledger_move(&t, 4, 5, 1), 0);
	assert_int_equal(ledger_move(&t, 4, 5, 1), CL_EINVAL); /* full */

	t.e[0].amount += 1; /* tampered: no longer sums to zero */
	assert_int_equal(ledger_check(&t), CL_EINVAL);
	ledger_txn_init(&t, "x");
	t.e[0] = (ledger_entry){1, 0};
	t.e[1] = (ledger_entry){2, 0};
	t.n = 2;
	assert_int_equal(ledger_check(&t), CL_EINVAL); /* zero entries */
}

static void test_reserve(void **state)
{
	(void)state;
	int64_t r;
	assert_int_equal(ledger_reserve(3, 7, 100, 10, &r), 0);
	assert_int_equal(r, 370);
	assert_int_equal(ledger_reserve(0, 0, 100, 10, &r), 0);
	assert_int_equal(r, 0);
	assert_int_equal(ledger_reserve(INT64_MAX / 2, 0, 3, 0, &r), CL_EINVAL);
	assert_int_equal(ledger_reserve(1, INT64_MAX, 1, 2, &r), CL_EINVAL);
	assert_int_equal(ledger_reserve(-1, 0, 1, 1, &r), CL_EINVAL);
}

static void test_fair_pay(void **state)
{
	(void)state;
	/* 100 per task, 60 s a task: 6000 an hour. */
	assert_int_equal(ledger_hourly(100, 60000), 6000);
	assert_int_equal(ledger_hourly(1000, 0), 0);
	assert_int_equal(ledger_hourly(7, 3600001), 6); /* floor */
	/* To earn 10320/h at 60 s a task: 172 a task exactly. */
	assert_int_equal(ledger_suggest_price(10320, 60000, 1), 172);
	/* 45 s a task: 129 exactly; 46 s: 131.87 -> 132. */
	assert_int_equal(ledger_suggest_price(10320, 45000, 1), 129);
	assert_int_equal(ledger_suggest_price(10320, 46000, 1), 132);
	assert_int_equal(ledger_suggest_price(10320, 460000, 10), 132);
	assert_int_equal(ledger_suggest_price(10320, 0, 10), 0);
	assert_int_equal(ledger_hourly(INT64_MAX, 1), INT64_MAX);

	int64_t v[] = {5, 1, 4, 2, 3};
	assert_int_equal(ledger_median(v, 5), 3);
	int64_t w[] = {10, 40, 20, 30};
	assert_int_equal(ledger_median(w, 4), 20);
	assert_int_equal(ledger_median(w, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_moves_balance),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_fair_pay),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
