/* Project permission rules: who may see, label, review, read data and manage. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/access.h"

static const unsigned ALL = ACCESS_SEE | ACCESS_LABEL | ACCESS_REVIEW | ACCESS_READ_DATA |
			    ACCESS_MANAGE;

static void test_roles(void **state)
{
	(void)state;
	assert_int_equal(access_project(true, NULL, NULL, false, "draft"), ALL);
	assert_int_equal(access_project(false, "owner", NULL, false, "draft"), ALL);
	assert_int_equal(access_project(false, "manager", NULL, false, "open"), ALL);
	assert_int_equal(access_project(false, "engineer", NULL, false, "open"),
			 ACCESS_SEE | ACCESS_READ_DATA);
	assert_int_equal(access_project(false, NULL, "worker", false, "open"),
			 ACCESS_SEE | ACCESS_LABEL);
	assert_int_equal(access_project(false, NULL, "reviewer", false, "open"),
			 ACCESS_SEE | ACCESS_LABEL | ACCESS_REVIEW);
}

static void test_strangers(void **state)
{
	(void)state;
	/* A private project is invisible to someone with no role in it. */
	assert_int_equal(access_project(false, NULL, NULL, false, "open"), 0);
	/* A public project lets anyone see and label while it runs, never review or manage. */
	assert_int_equal(access_project(false, NULL, NULL, true, "open"), ACCESS_SEE | ACCESS_LABEL);
	assert_int_equal(access_project(false, NULL, NULL, true, "paused"), ACCESS_SEE | ACCESS_LABEL);
	assert_int_equal(access_project(false, NULL, NULL, true, "draft"), 0);
	assert_int_equal(access_project(false, NULL, NULL, true, "closed"), 0);
	/* An unknown role grants nothing. */
	assert_int_equal(access_project(false, "intern", "spectator", false, "open"), 0);
}

static void test_role_names(void **state)
{
	(void)state;
	assert_string_equal(access_role_name(true, "engineer", NULL), "admin");
	assert_string_equal(access_role_name(false, "manager", "reviewer"), "manager");
	assert_string_equal(access_role_name(false, NULL, "reviewer"), "reviewer");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roles),
		cmocka_unit_test(test_strangers),
		cmocka_unit_test(test_role_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
