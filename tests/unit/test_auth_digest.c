/* Unit tests of core/auth's token digest: whatever a thread hashed before (the same token, one
 * of the same length, a longer one than its memo keeps, an empty one), the digest is the
 * token's SHA-256 in hex. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <string.h>

#include "core/auth.h"

static void sha256_hex(const char *token, char out[AUTH_DIGEST_HEX])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, AUTH_DIGEST_HEX, d, sizeof d);
}

static void test_every_digest_is_the_tokens_sha256(void **state)
{
	(void)state;
	char long_a[301], long_b[301];
	memset(long_a, 'a', 300);
	memset(long_b, 'a', 300);
	long_a[300] = long_b[300] = '\0';
	long_b[299] = 'b';
	const char *tokens[] = {"clk_first",	"clk_first", "clk_fjrst", "clk_first", "",
				"clk_first",	long_a,	     long_b,	  long_a,      "x",
				"clk_first_2", "clk_first", "clk_first"};
	for (size_t i = 0; i < sizeof tokens / sizeof *tokens; i++) {
		char got[AUTH_DIGEST_HEX], want[AUTH_DIGEST_HEX];
		auth_token_digest(tokens[i], got);
		sha256_hex(tokens[i], want);
		assert_string_equal(got, want);
	}
}

int main(void)
{
	if (sodium_init() < 0)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_digest_is_the_tokens_sha256),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
