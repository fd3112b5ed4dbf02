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
#include <unistd.h>

#include "ml/features.h"
#include "ml/linear.h"
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

/* A deterministic generator for the cases below (no state shared with other tests). */
static uint32_t next_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A vector of n random features (indices from 1 to dim, repeats among them, values that sum
 * differently in another order), finished; *expect the same finished as before: a stable sort
 * by index, repeats summed in their order, unit length, the bias and the end mark. */
static void random_vector(uint32_t *seed, size_t n, int dim, ml_fvec *v, ml_fvec *expect)
{
	*v = (ml_fvec){0};
	*expect = (ml_fvec){0};
	for (size_t i = 0; i < n; i++) {
		int index = 1 + (int)(next_rand(seed) % (uint32_t)dim);
		double value = 0.1 + (double)(next_rand(seed) % 1000) / 7.0;
		assert_int_equal(ml_fvec_add(v, index, value), 0);
		assert_int_equal(ml_fvec_add(expect, index, value), 0);
	}
	/* The reference: a stable sort by index (glibc's qsort is a merge sort, stable). */
	for (size_t i = 1; i < expect->n; i++)
		for (size_t j = i; j > 0 && expect->x[j - 1].index > expect->x[j].index; j--) {
			struct feature_node t = expect->x[j];
			expect->x[j] = expect->x[j - 1];
			expect->x[j - 1] = t;
		}
	size_t o = 0;
	double norm = 0;
	for (size_t i = 0; i < expect->n; i++) {
		if (o && expect->x[o - 1].index == expect->x[i].index)
			expect->x[o - 1].value += expect->x[i].value;
		else
			expect->x[o++] = expect->x[i];
	}
	expect->n = o;
	for (size_t i = 0; i < o; i++)
		norm += expect->x[i].value * expect->x[i].value;
	for (size_t i = 0; i < o; i++)
		expect->x[i].value /= sqrt(norm);
	assert_int_equal(ml_fvec_add(expect, dim + 1, 1.0), 0);
	expect->x[expect->n] = (struct feature_node){-1, 0};
	assert_int_equal(ml_fvec_finish(v, dim, true), 0);
}

/* Finishing sorts by index and sums repeats exactly as a stable sort would, for vectors short
 * enough to be sorted in place and longer ones. */
static void test_finished_vectors_are_sorted_and_merged(void **state)
{
	(void)state;
	uint32_t seed = 7;
	for (size_t n = 0; n <= 200; n += (n < 80 ? 1 : 20)) {
		ml_fvec v, expect;
		random_vector(&seed, n, n < 40 ? 50 : 4000, &v, &expect);
		assert_int_equal(v.n, expect.n);
		for (size_t i = 0; i <= v.n; i++) {
			assert_int_equal(v.x[i].index, expect.x[i].index);
			assert_true(v.x[i].value == expect.x[i].value);
		}
		ml_fvec_release(&v);
		ml_fvec_release(&expect);
	}
}

/* A model that keeps only its used columns scores a vector as the same model with every
 * weight: each feature's column is found, or weighs 0; also for a vector out of order and one
 * with a repeated index, which a finished vector never is; and so does the same model saved
 * and loaded again, which finds its columns through its index. */
static void test_used_columns_score_as_every_weight(void **state)
{
	(void)state;
	enum { dim = 300, nclass = 3 };
	uint32_t seed = 11;
	ml_linear full = {.dim = dim, .nclass = nclass}, used = {.dim = dim, .nclass = nclass};
	full.w = calloc((size_t)nclass * (dim + 1), sizeof *full.w);
	used.cols = calloc(dim + 1, sizeof *used.cols);
	used.w = calloc((size_t)nclass * (dim + 1), sizeof *used.w);
	assert_non_null(full.w);
	for (int j = 0; j <= dim; j++)
		if (j == dim || next_rand(&seed) % 8 == 0) /* an eighth of them, and the bias */
			used.cols[used.ncols++] = j;
	for (int c = 0; c < used.ncols; c++)
		for (int k = 0; k < nclass; k++) {
			float w = (float)((int)(next_rand(&seed) % 2001) - 1000) / 250.0f;
			full.w[k * (dim + 1) + used.cols[c]] = w;
			used.w[k * used.ncols + c] = w;
		}
	char path[] = "/tmp/crowdloop-test-linear-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	cl_error err = {0};
	ml_linear loaded;
	assert_int_equal(ml_linear_save(&used, path, &err), 0);
	assert_int_equal(ml_linear_load(&loaded, path, &err), 0);
	unlink(path);
	assert_non_null(loaded.cols);
	assert_non_null(loaded.index);
	for (int round = 0; round < 60; round++) {
		ml_fvec v, expect;
		random_vector(&seed, (size_t)round, dim, &v, &expect);
		if (round % 10 == 9 && v.n > 3) { /* out of order, then a repeat */
			struct feature_node t = v.x[0];
			v.x[0] = v.x[v.n - 2];
			v.x[v.n - 2] = t;
			v.x[2] = v.x[1];
		}
		double p_full[nclass], p_used[nclass], p_loaded[nclass];
		ml_linear_scores(&full, v.x, p_full);
		ml_linear_scores(&used, v.x, p_used);
		ml_linear_scores(&loaded, v.x, p_loaded);
		for (int k = 0; k < nclass; k++) {
			assert_true(fabs(p_full[k] - p_used[k]) < 1e-12);
			assert_true(p_loaded[k] == p_used[k]);
		}
		ml_fvec_release(&v);
		ml_fvec_release(&expect);
	}
	free(full.w);
	free(used.w);
	free(used.cols);
	ml_linear_release(&loaded);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_hash_is_fnv1a),
	    cmocka_unit_test(test_tokens_have_code_point_offsets),
	    cmocka_unit_test(test_lower_case_and_bad_bytes),
	    cmocka_unit_test(test_char_ngrams_count_code_points),
	    cmocka_unit_test(test_features_ignore_case_and_are_stable),
	    cmocka_unit_test(test_finished_vectors_are_sorted_and_merged),
	    cmocka_unit_test(test_used_columns_score_as_every_weight),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
