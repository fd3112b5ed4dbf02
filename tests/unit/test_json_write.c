/* Unit tests of util/json_write: string literals and shortest numbers, and whole values written
 * byte for byte as json_dumps(v, JSON_OUT) writes them, on fixed cases and random trees. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/json.h"
#include "util/json_write.h"

static void test_string_escapes(void **state)
{
	(void)state;
	buf b;
	buf_init(&b, 0);
	assert_int_equal(json_write_number(&b, 10), 0);
	assert_int_equal(json_write_number(&b, 0.1), 0);
	assert_int_equal(json_write_string(&b, "q\"\\\n\x01\x1f", 6), 0);
	assert_string_equal(b.data, "100.1\"q\\\"\\\\\\n\\u0001\\u001F\"");
	/* The length is the string's, NUL bytes included. */
	b.len = 0;
	assert_int_equal(json_write_string(&b, "a\0b", 3), 0);
	assert_string_equal(b.data, "\"a\\u0000b\"");
	buf_release(&b);
}

/* Numbers print in the shortest form that reads back equal: known cases, then random values of
 * up to three decimals and arbitrary doubles, each read back with strtod and compared with the
 * shortest %.{1..17}g form. */
static void test_numbers(void **state)
{
	(void)state;
	static const struct {
		double v;
		const char *want;
	} cases[] = {
		{0, "0"},        {-0.0, "0"},     {12.5, "12.5"},   {-3.25, "-3.25"},
		{0.1, "0.1"},    {100.01, "100.01"}, {639.999, "639.999"}, {-0.005, "-0.005"},
		{1e15, "1e+15"}, {0.1 + 0.2, "0.30000000000000004"}, {1.0 / 3, "0.333333333333333"
									       "31"},
	};
	buf b;
	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
		b.len = 0;
		assert_int_equal(json_write_number(&b, cases[i].v), 0);
		assert_string_equal(b.data, cases[i].want);
	}
	uint64_t x = 0x9e3779b97f4a7c15ULL;
	for (int i = 0; i < 100000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		double v = i % 2 ? (double)(int64_t)(x % 20000001) / 1000.0 - 10000.0
				 : (double)(x >> 11) / (double)(1ULL << 53) * 1e6;
		b.len = 0;
		assert_int_equal(json_write_number(&b, v), 0);
		assert_true(strtod(b.data, NULL) == v);
		char shortest[40];
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(shortest, sizeof shortest, "%.*g", prec, v);
			if (strtod(shortest, NULL) == v)
				break;
		}
		/* Same digits count as the shortest %g form (which may use an exponent). */
		assert_true(strlen(b.data) <= strlen(shortest) + 1);
	}
	buf_release(&b);
}

/* Compares json_write with json_dumps(JSON_OUT) on `v`, then drops v. */
static void assert_same_as_jansson(json_t *v)
{
	char *want = json_dumps(v, JSON_OUT | JSON_ENCODE_ANY);
	assert_non_null(want);
	buf b;
	buf_init(&b, 0);
	assert_int_equal(json_write(&b, v), 0);
	assert_string_equal(b.data ? b.data : "", want);
	buf_release(&b);
	free(want);
	json_decref(v);
}

static void test_values_as_jansson_writes_them(void **state)
{
	(void)state;
	static const double reals[] = {0.1,    12.3,   -0.0,     3.0,    1e20,   1.5e-7,  -2.5e-300,
				       1e300,  123456789012345678.0, 0.1 + 0.2, 1.0 / 3, 1e15,
				       -1e-5, 100.0,  6.02214076e23};
	for (size_t i = 0; i < sizeof reals / sizeof *reals; i++)
		assert_same_as_jansson(json_real(reals[i]));
	assert_same_as_jansson(json_integer(INT64_MIN));
	assert_same_as_jansson(json_integer(INT64_MAX));
	assert_same_as_jansson(json_pack("{s:[],s:{},s:n,s:b,s:b,s:s}", "a", "o", "n", "t", 1, "f",
					 0, "s", "caf\xc3\xa9 \xe2\x98\x95 \xf0\x9f\x8e\x89 \"q\" \\"));
	assert_same_as_jansson(json_stringn("nul\0in", 6));
	assert_same_as_jansson(json_pack("[i,[i,[i,{s:[f]}]]]", 1, 2, 3, "deep", 0.5));
}

static uint64_t rng = 0x2545f4914f6cdd1dULL;
static uint64_t next_random(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static json_t *random_value(int depth)
{
	static const char *const pieces[] = {"a", "Z", " ", "\"", "\\", "\n", "\t", "\x01",
					     "\x1f", "/", "\xc3\xa9", "\xed\x95\x9c", "\xf0\x9f\x8e\x89",
					     "<b>", "\x7f"};
	switch (next_random() % (depth > 4 ? 5 : 7)) {
	case 0:
		return json_integer((json_int_t)next_random());
	case 1: {
		double v;
		do {
			uint64_t bits = next_random();
			memcpy(&v, &bits, sizeof v);
		} while (!isfinite(v));
		return json_real(next_random() % 2 ? v : (double)(int64_t)(next_random() % 2000001) / 1000.0);
	}
	case 2: {
		char s[256] = "";
		int n = (int)(next_random() % 12);
		for (int i = 0; i < n; i++)
			strcat(s, pieces[next_random() % (sizeof pieces / sizeof *pieces)]);
		return json_string(s);
	}
	case 3:
		return next_random() % 3 ? json_boolean(next_random() % 2) : json_null();
	case 4:
		return json_string("");
	case 5: {
		json_t *a = json_array();
		int n = (int)(next_random() % 5);
		for (int i = 0; i < n; i++)
			json_array_append_new(a, random_value(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		int n = (int)(next_random() % 5);
		for (int i = 0; i < n; i++) {
			char key[16];
			snprintf(key, sizeof key, "k%d\n%c", (int)(next_random() % 50), 'a' + i);
			json_object_set_new(o, key, random_value(depth + 1));
		}
		return o;
	}
	}
}

static void test_random_trees_as_jansson_writes_them(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++)
		assert_same_as_jansson(random_value(0));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_string_escapes),
		cmocka_unit_test(test_numbers),
		cmocka_unit_test(test_values_as_jansson_writes_them),
		cmocka_unit_test(test_random_trees_as_jansson_writes_them),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
