/* Unit tests of core/auth's failed-login throttle: a lock lasts the window from the oldest of
 * the failures that set it, an account's lock survives any number of other keys failing (the
 * accounts' table grows, the shared one evicts), and a success or the window's end lifts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>

#include "core/auth.h"

#define T0 1795000000000LL

static void test_lock_and_wait(void **state)
{
	(void)state;
	for (int i = 0; i < AUTH_THROTTLE_LIMIT; i++) {
		assert_int_equal(auth_throttle_check("u:wait", T0 + i * 1000), 0);
		auth_throttle_fail_account("u:wait", T0 + i * 1000);
	}
	/* Locked until the first failure leaves the window, and the wait says so. */
	assert_int_equal(auth_throttle_check("u:wait", T0 + 10000),
			 AUTH_THROTTLE_WINDOW_MS - 10000);
	assert_int_equal(auth_throttle_check("u:wait", T0 + AUTH_THROTTLE_WINDOW_MS), 0);
	auth_throttle_reset("u:wait");
	assert_int_equal(auth_throttle_check("u:wait", T0 + 20000), 0);
}

static void test_account_lock_is_never_evicted(void **state)
{
	(void)state;
	for (int i = 0; i < AUTH_THROTTLE_LIMIT; i++)
		auth_throttle_fail_account("u:victim", T0);
	char key[32];
	/* Far more unknown names than the shared table holds, and many other accounts. */
	for (int i = 0; i < 200000; i++) {
		snprintf(key, sizeof key, "u:other%d", i);
		auth_throttle_fail(key, T0 + 1 + i);
	}
	for (int i = 0; i < 20000; i++) {
		snprintf(key, sizeof key, "u:account%d", i);
		auth_throttle_fail_account(key, T0 + 1 + i);
	}
	assert_true(auth_throttle_check("u:victim", T0 + 300000) > 0);
	/* The other accounts keep theirs too. */
	for (int i = 0; i < AUTH_THROTTLE_LIMIT; i++)
		auth_throttle_fail_account("u:account7", T0 + 30000);
	assert_true(auth_throttle_check("u:account7", T0 + 300000) > 0);
	/* Once the window has passed, growing the table drops what it no longer needs. */
	int64_t later = T0 + 2LL * AUTH_THROTTLE_WINDOW_MS;
	for (int i = 0; i < 40000; i++) {
		snprintf(key, sizeof key, "u:late%d", i);
		auth_throttle_fail_account(key, later);
	}
	assert_int_equal(auth_throttle_check("u:victim", later), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lock_and_wait),
	    cmocka_unit_test(test_account_lock_is_never_evicted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
