/* Unit tests of ml/text and ml/features: the hash is FNV-1a (fixed, so a model's columns keep
 * their meaning), tokens carry code-point offsets, lower case is Unicode's, and character
 * n-grams count code points, not bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ml/features.h"
#include "ml/text.h"

static void test_hash_is_fnv1a(void **state)
{
	(void)state;
	/* The published FNV-1a 64 values of "" and "a", and a fixed one for "hello". */
	assert_true(ml_hash(ML_HASH_SEED, "", 0) == 0xcbf29ce484222325ULL);
	assert_true(ml_hash(ML_HASH_SEED, "a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(ml_hash(ML_HASH_SEED, "hello", 5) == 0xa430d84680aabd0bULL);
	/* Hashing in two parts is hashing the whole. */
	assert_true(ml_hash(ml_hash(ML_HASH_SEED, "he", 2), "llo", 3) ==
		    ml_hash(ML_HASH_SEED, "hello", 5));
}

static void test_tokens_have_code_point_offsets(void **state)
{
	(void)state;
	const char *text = "Hello, 세계! x";
	ml_token *t;
	size_t n;
	assert_int_equal(ml_tokenize(text, strlen(text), 100, &t, &n), 0);
	assert_int_equal(n, 5);
	static const struct {
		int start, end;
		bool word;
	} want[] = {{0, 5, true}, {5, 6, false}, {7, 9, true}, {9, 10, false}, {11, 12, true}};
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(t[i].start, want[i].start);
		assert_int_equal(t[i].end, want[i].end);
		assert_int_equal(t[i].word, want[i].word);
	}
	assert_int_equal(t[2].byte_start, 7);
	assert_int_equal(t[2].byte_end, 13); /* two syllables of three bytes */
	free(t);
	assert_int_equal(ml_tokenize(text, strlen(text), 2, &t, &n), 0);
	assert_int_equal(n, 2); /* the cap holds */
	free(t);
}

static void test_lower_case_and_bad_bytes(void **state)
{
	(void)state;
	char out[64];
	size_t n = ml_lower_utf8("ÄÖÜ ΣΑΣ Straße ABC", strlen("ÄÖÜ ΣΑΣ Straße ABC"), out);
	out[n] = '\0';
	assert_string_equal(out, "äöü σασ straße abc");
	size_t i = 0;
	assert_int_equal(ml_utf8_next("\xff"
				      "a",
				      2, &i),
			 0xFFFD);
	assert_int_equal(i, 1);
	i = 0;
	assert_int_equal(ml_utf8_next("\xe4\xb8", 2, &i), 0xFFFD); /* cut short */
	assert_int_equal(i, 1);
	i = 0;
	assert_int_equal(ml_utf8_next("\xc0\xaf", 2, &i), 0xFFFD); /* overlong */
}

/* The features of a text without the bias: how many, and their sum of squares. */
static size_t count_features(const char *text, ml_text_opts o, double *norm)
{
	ml_fvec v = {0};
	assert_int_equal(ml_text_features(text, &o, &v), 0);
	size_t n = 0;
	*norm = 0;
	for (; v.x[n].index != -1; n++)
		if (v.x[n].index != (1 << o.hash_bits) + 1)
			*norm += v.x[n].value * v.x[n].value;
	ml_fvec_release(&v);
	return n - 1;
}

static void test_char_ngrams_count_code_points(void **state)
{
	(void)state;
	double norm;
	/* "ab": its word, then "<ab>" has 3 bigrams and 2 trigrams. */
	assert_int_equal(count_features("ab", (ml_text_opts){20, 1, 3}, &norm), 6);
	assert_true(fabs(norm - 1) < 1e-9);
	/* "세계" is two characters: "<세계>" has 3 bigrams, as "ab" has; bytes would give 7. */
	assert_int_equal(count_features("세계", (ml_text_opts){20, 1, 2}, &norm), 4);
	/* Two words and their bigram, no character n-grams. */
	assert_int_equal(count_features("good phone", (ml_text_opts){20, 2, 0}, &norm), 3);
}

static void test_features_ignore_case_and_are_stable(void **state)
{
	(void)state;
	ml_text_opts o = {16, 2, 4};
	ml_fvec a = {0}, b = {0};
	assert_int_equal(ml_text_features("Great PHONE, Ça va", &o, &a), 0);
	assert_int_equal(ml_text_features("great phone, ça va", &o, &b), 0);
	assert_int_equal(a.n, b.n);
	for (size_t i = 0; i < a.n; i++) {
		assert_int_equal(a.x[i].index, b.x[i].index);
		assert_true(a.x[i].value == b.x[i].value);
		assert_true(a.x[i].index >= 1 && a.x[i].index <= (1 << 16) + 1);
		assert_true(i == 0 || a.x[i].index > a.x[i - 1].index); /* sorted, merged */
	}
	assert_int_equal(a.x[a.n - 1].index, (1 << 16) + 1); /* the bias comes last */
	assert_int_equal(a.x[a.n].index, -1);
	ml_fvec_release(&a);
	ml_fvec_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_is_fnv1a),
	    cmocka_unit_test(test_tokens_have_code_point_offsets),
	    cmocka_unit_test(test_lower_case_and_bad_bytes),
	    cmocka_unit_test(test_char_ngrams_count_code_points),
	    cmocka_unit_test(test_features_ignore_case_and_are_stable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
