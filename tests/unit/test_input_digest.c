/* The prediction log's input digest (api_input_digest): an input of one string member is
 * written without json_dumps, and must hash to the very bytes json_dumps sorted and compact
 * writes, escapes and all, as every other input does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

/* What the digest was before the shortcut: SHA-256 of json_dumps(in, sorted, compact). */
static void reference(const json_t *in, char hex[65], int64_t *bytes)
{
	char *text = json_dumps(in, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)text, strlen(text));
	sodium_bin2hex(hex, 65, d, sizeof d);
	*bytes = (int64_t)strlen(text);
	free(text);
}

static void digest_equals_reference(json_t *in)
{
	char got[65], want[65];
	int64_t got_n = -1, want_n = -2;
	api_input_digest(in, got, &got_n);
	reference(in, want, &want_n);
	assert_string_equal(got, want);
	assert_int_equal(got_n, want_n);
	json_decref(in);
}

static void test_text_inputs(void **state)
{
	(void)state;
	static const char *const texts[] = {
	    "",
	    "plain words",
	    "quote \" and backslash \\ and slash /",
	    "tab\there, newline\nthere, cr\r, bs\b, ff\f, nul-free \x01\x1f\x7f",
	    "한국어 텍스트 and emoji \xf0\x9f\x98\x80, line sep \xe2\x80\xa8",
	};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		digest_equals_reference(json_pack("{s:s}", "text", texts[i]));
}

static void test_every_control_character(void **state)
{
	(void)state;
	char s[128];
	for (int c = 1; c < 128; c++)
		s[c - 1] = (char)c;
	s[127] = 0;
	digest_equals_reference(json_pack("{s:s}", "text", s));
	digest_equals_reference(json_pack("{s:s}", "image_bytes_b64", "iVBORw0KGgo+/="));
}

static void test_other_inputs_take_json_dumps(void **state)
{
	(void)state;
	digest_equals_reference(json_pack("{s:s,s:s}", "text", "b", "image_bytes_b64", "a"));
	digest_equals_reference(json_pack("{s:i}", "text", 3));
	digest_equals_reference(json_pack("{}"));
	digest_equals_reference(json_pack("{s:{s:s}}", "text", "k", "v"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_inputs),
	    cmocka_unit_test(test_every_control_character),
	    cmocka_unit_test(test_other_inputs_take_json_dumps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
