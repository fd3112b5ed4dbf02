/* Unit tests of core/dataset: split ratios parsed and refused, the split of an item fixed by its
 * content hash (same hash, same split; shares close to the ratios over many items; growing the
 * train share only moves items into train), the content hash independent of key order in the
 * annotations but not of their values, and label counts per kind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dataset.h"

static void hash_of(int i, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char s[32];
	snprintf(s, sizeof s, "item %d", i);
	crypto_hash_sha256(d, (const unsigned char *)s, strlen(s));
	sodium_bin2hex(out, 65, d, sizeof d);
}

static void test_ratios(void **state)
{
	(void)state;
	dataset_ratios r;
	cl_error err;
	assert_int_equal(dataset_ratios_parse(NULL, &r, &err), 0);
	assert_true(r.train == 0.8 && r.validation == 0.1 && r.test == 0.1);
	json_t *in = json_pack("{s:f,s:f}", "train", 0.7, "test", 0.3);
	assert_int_equal(dataset_ratios_parse(in, &r, &err), 0);
	assert_true(r.train == 0.7 && r.validation == 0 && r.test == 0.3);
	json_decref(in);
	const char *bad[] = {"{\"train\":0.5}", "{\"train\":1.5,\"test\":-0.5}",
			     "{\"train\":\"1\"}", "{\"other\":1}", "[1]"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		in = json_loads(bad[i], JSON_DECODE_ANY, NULL);
		assert_int_equal(dataset_ratios_parse(in, &r, &err), CL_EINVAL);
		json_decref(in);
	}
}

static void test_split(void **state)
{
	(void)state;
	dataset_ratios r, more;
	dataset_ratios_default(&r);
	more = (dataset_ratios){0.9, 0.05, 0.05};
	int counts[SPLIT_COUNT] = {0};
	for (int i = 0; i < 20000; i++) {
		char h[65];
		hash_of(i, h);
		dataset_split s = dataset_split_of(h, &r);
		assert_int_equal(dataset_split_of(h, &r), s);
		counts[s]++;
		if (s == SPLIT_TRAIN)
			assert_int_equal(dataset_split_of(h, &more), SPLIT_TRAIN);
	}
	assert_in_range(counts[SPLIT_TRAIN], 15700, 16300);
	assert_in_range(counts[SPLIT_VALIDATION], 1800, 2200);
	assert_in_range(counts[SPLIT_TEST], 1800, 2200);
	dataset_ratios all_test = {0, 0, 1}, no_test = {0.5, 0.5, 0};
	char h[65];
	hash_of(1, h);
	assert_int_equal(dataset_split_of(h, &all_test), SPLIT_TEST);
	assert_true(dataset_split_of(h, &no_test) != SPLIT_TEST);
	assert_string_equal(dataset_split_name(SPLIT_VALIDATION), "validation");
	dataset_split s;
	assert_int_equal(dataset_split_parse("test", &s), 0);
	assert_int_equal(s, SPLIT_TEST);
	assert_int_equal(dataset_split_parse("val", &s), CL_EINVAL);
}

static void digest(const char *ann, char out[65])
{
	dataset_hasher h;
	dataset_hasher_init(&h, KIND_IMAGE_BBOX, "[\"cat\"]");
	char *canon = dataset_canonical_json(ann);
	assert_non_null(canon);
	dataset_hasher_row(&h, "ab", 0, SPLIT_TRAIN, canon);
	free(canon);
	dataset_hasher_final(&h, out);
}

static void test_hash(void **state)
{
	(void)state;
	char a[65], b[65], c[65];
	digest("{\"boxes\":[{\"x\":1,\"y\":2,\"w\":3,\"h\":4,\"label\":\"cat\"}]}", a);
	digest("{ \"boxes\": [ {\"label\":\"cat\",\"h\":4,\"w\":3,\"y\":2,\"x\":1} ] }", b);
	digest("{\"boxes\":[{\"x\":1,\"y\":2,\"w\":3,\"h\":5,\"label\":\"cat\"}]}", c);
	assert_string_equal(a, b);
	assert_string_not_equal(a, c);
	assert_int_equal(strlen(a), 64);
	assert_null(dataset_canonical_json("{not json"));
}

static void test_counts(void **state)
{
	(void)state;
	json_t *counts = json_object();
	const char *anns[] = {"{\"labels\":[\"a\",\"b\"]}",
			      "{\"boxes\":[{\"label\":\"a\"},{\"label\":\"a\"}]}",
			      "{\"spans\":[{\"label\":\"c\"}]}", "{\"boxes\":[]}"};
	for (size_t i = 0; i < 4; i++) {
		json_t *a = json_loads(anns[i], 0, NULL);
		dataset_count_labels(a, counts);
		json_decref(a);
	}
	char *s = json_dumps(counts, JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(s, "{\"a\":3,\"b\":1,\"c\":1}");
	free(s);
	json_decref(counts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratios),
		cmocka_unit_test(test_split),
		cmocka_unit_test(test_hash),
		cmocka_unit_test(test_counts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
