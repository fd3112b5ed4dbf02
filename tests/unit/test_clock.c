/* Unit tests of util/clock: ISO 8601 times from epoch milliseconds, checked at known instants
 * (the epoch, leap days, century years, the end of a year) and against the C library's gmtime_r
 * over a spread of times from 1970 to 9999. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/clock.h"

static void test_known_instants(void **state)
{
	(void)state;
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
		{0, "1970-01-01T00:00:00.000Z"},
		{-5, "1970-01-01T00:00:00.000Z"},
		{951782400123, "2000-02-29T00:00:00.123Z"},
		{951868799999, "2000-02-29T23:59:59.999Z"},
		{4107456000000, "2100-02-28T00:00:00.000Z"},
		{4107542400000, "2100-03-01T00:00:00.000Z"},
		{1798761599999, "2026-12-31T23:59:59.999Z"},
		{1798761600000, "2027-01-01T00:00:00.000Z"},
		{253402300799999, "9999-12-31T23:59:59.999Z"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		char got[32];
		clock_iso8601(cases[i].ms, got);
		assert_string_equal(got, cases[i].want);
	}
}

static void test_matches_gmtime(void **state)
{
	(void)state;
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t ms = (int64_t)(x % 253402300800000ULL);
		time_t s = (time_t)(ms / 1000);
		struct tm tm;
		gmtime_r(&s, &tm);
		char want[64], got[32];
		snprintf(want, sizeof want, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
		clock_iso8601(ms, got);
		assert_string_equal(got, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_instants),
		cmocka_unit_test(test_matches_gmtime),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
