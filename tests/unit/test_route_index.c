/* Unit tests of http/route_index: a request's candidates are every route whose method and
 * literal start could take its path, in the table's order (so the first that matches is the
 * table's first match), and no route of another method or another literal start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "http/internal.h"

static const route table[] = {
    {.method = "GET", .pattern = "/healthz"},			       /* 0 */
    {.method = "GET", .pattern = "/v2"},			       /* 1 */
    {.method = "GET", .pattern = "/v2/models/{name}"},		       /* 2 */
    {.method = "GET", .pattern = "/v2/models/{name}/ready"},	       /* 3 */
    {.method = "POST", .pattern = "/api/v1/tasks/{id}/submit"},	       /* 4 */
    {.method = "GET", .pattern = "/api/v1/tasks/{id}"},		       /* 5 */
    {.method = "POST", .pattern = "/api/v1/endpoints/{name}/predict"}, /* 6 */
    {.method = "GET", .pattern = "/"},				       /* 7 */
    {.method = "HEAD", .pattern = "/healthz"},			       /* 8 */
    {.method = "GET", .pattern = "/{name}"},			       /* 9 */
    {.method = "POST", .pattern = "/api/v1/tasks/{id}/release"},       /* 10 */
    {.method = "GET", .pattern = "/api/v1/tasks"},		       /* 11 */
};
#define N_ROUTES (sizeof table / sizeof table[0])

/* The candidates of a request, into out (ended by -1); checks they ascend. */
static void candidates(const route_index *ix, const char *method, const char *path, int out[16])
{
	route_candidates c;
	route_candidates_start(&c, ix, method, path, !strcmp(method, "HEAD"));
	int n = 0;
	for (int i; (i = route_candidates_next(&c)) >= 0;) {
		assert_true(n < 15);
		if (n)
			assert_true(i > out[n - 1]);
		out[n++] = i;
	}
	out[n] = -1;
}

static bool has(const int *list, int route)
{
	for (; *list >= 0; list++)
		if (*list == route)
			return true;
	return false;
}

static void test_candidates_are_the_routes_that_could_match(void **state)
{
	(void)state;
	route_index ix;
	assert_int_equal(route_index_build(&ix, table, N_ROUTES), 0);
	int got[16];

	candidates(&ix, "GET", "/v2/models/m/ready", got);
	assert_true(has(got, 2) && has(got, 3));
	assert_false(has(got, 4) || has(got, 5) || has(got, 6) || has(got, 11));

	candidates(&ix, "POST", "/api/v1/tasks/5/submit", got);
	assert_true(has(got, 4) && has(got, 10));
	assert_false(has(got, 5) || has(got, 6) || has(got, 11));

	candidates(&ix, "POST", "/api/v1/endpoints/sentiment/predict", got);
	assert_int_equal(got[0], 6);
	assert_int_equal(got[1], -1);

	/* A route whose first segment is a placeholder is a candidate for any path. */
	candidates(&ix, "GET", "/anything", got);
	assert_true(has(got, 9));
	candidates(&ix, "GET", "/", got);
	assert_true(has(got, 7) && has(got, 9));

	/* Nothing for another method, a path without its leading slash, or no route. */
	candidates(&ix, "DELETE", "/api/v1/tasks/5", got);
	assert_int_equal(got[0], -1);
	candidates(&ix, "GET", "healthz", got);
	assert_int_equal(got[0], -1);
	route_index_release(&ix);
}

/* HEAD takes its own routes and the GET ones, merged in the table's order. */
static void test_head_takes_get_routes_in_order(void **state)
{
	(void)state;
	route_index ix;
	assert_int_equal(route_index_build(&ix, table, N_ROUTES), 0);
	int got[16];
	candidates(&ix, "HEAD", "/healthz", got);
	assert_int_equal(got[0], 0);
	assert_int_equal(got[1], 8);
	assert_true(has(got, 9));
	candidates(&ix, "GET", "/healthz", got);
	assert_int_equal(got[0], 0);
	assert_false(has(got, 8));
	route_index_release(&ix);
}

/* A literal start longer than a key holds is refused when the table is indexed, not skipped. */
static void test_too_long_a_pattern_is_refused(void **state)
{
	(void)state;
	route long_one[] = {
	    {.method = "GET",
	     .pattern = "/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
			"bbbbbbbbbbbb/cccccccccccccccccccccccc"}};
	route_index ix;
	assert_int_equal(route_index_build(&ix, long_one, 1), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_candidates_are_the_routes_that_could_match),
	    cmocka_unit_test(test_head_takes_get_routes_in_order),
	    cmocka_unit_test(test_too_long_a_pattern_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
