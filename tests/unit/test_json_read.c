/* Unit tests of util/json_read's plain reader: for every text it takes, the tree is jansson's
 * (json_loadb with JSON_REJECT_DUPLICATES), members in the same order; every text outside its
 * subset (valid or not) it leaves to jansson; and random documents of its subset are read the
 * same as jansson reads them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/json_read.h"

/* The same tree as jansson's, and the same members in the same order. */
static void assert_same_tree(const json_t *a, const json_t *b)
{
	assert_true(json_equal(a, b));
	char *da = json_dumps(a, JSON_COMPACT | JSON_ENCODE_ANY);
	char *db = json_dumps(b, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_string_equal(da, db);
	free(da);
	free(db);
}

static void assert_read_as_jansson(const char *text)
{
	json_t *mine = json_read_simple(text, strlen(text), 32);
	json_t *theirs = json_loadb(text, strlen(text), JSON_REJECT_DUPLICATES, NULL);
	assert_non_null(mine);
	assert_non_null(theirs);
	assert_same_tree(mine, theirs);
	json_decref(mine);
	json_decref(theirs);
}

static void test_plain_texts_read_as_jansson_reads_them(void **state)
{
	(void)state;
	const char *texts[] = {
	    "{}",
	    "{\"inputs\":[{\"text\":\"a fine phone, it works.\"}]}",
	    " \n{ \"inputs\" : [ { \"text\" : \"x\" } , {\"text\":\"\"} ] }\t\r\n",
	    "{\"b\":\"1\",\"a\":\"2\",\"c\":{\"z\":[],\"y\":{}}}",
	    "{\"a\":[[[\"deep\"]],[]],\"k\":\"~ !#$%&'()*+,-./:;<=>?@[]^_`{|}\"}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		assert_read_as_jansson(texts[i]);
}

/* Outside the subset, valid JSON or not: left to jansson (NULL), never a different tree. */
static void test_other_texts_are_left_to_jansson(void **state)
{
	(void)state;
	const char *texts[] = {
	    "",
	    "   ",
	    "[\"a\"]",
	    "\"a\"",
	    "{\"n\":1}",
	    "{\"t\":true}",
	    "{\"z\":null}",
	    "{\"e\":\"a\\\"b\"}",
	    "{\"u\":\"caf\xc3\xa9\"}",
	    "{\"c\":\"a\tb\"}",
	    "{\"a\":\"1\",\"a\":\"2\"}",
	    "{\"a\":\"1\",}",
	    "{\"a\":[\"1\",]}",
	    "{\"a\" \"1\"}",
	    "{\"a\":\"1\"",
	    "{\"a\":\"1\"}x",
	    "{\"a\":\"1\"}{}",
	    "{\"a\":\"1}",
	    "{\"a\":[\"1\"}",
	    "{a:\"1\"}",
	};
	for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
		assert_null(json_read_simple(texts[i], strlen(texts[i]), 32));
	/* The nesting limit: at most `max` containers deep. */
	assert_non_null(json_read_simple("{\"a\":[[\"x\"]]}", 13, 3));
	assert_null(json_read_simple("{\"a\":[[\"x\"]]}", 13, 2));
	/* The length given, not the NUL: a text cut short is not read whole. */
	assert_null(json_read_simple("{\"a\":\"1\"}", 7, 32));
}

static uint32_t next_rand(uint32_t *s)
{
	*s = *s * 1103515245u + 12345u;
	return *s >> 8;
}

/* A random member string: printable ASCII (no quote or backslash), sometimes a repeat. */
static void random_string(uint32_t *seed, buf *b)
{
	static const char chars[] = "abcxyz 0129.,:;[]{}'!?-_/";
	size_t n = next_rand(seed) % 6;
	buf_append(b, "\"", 1);
	for (size_t i = 0; i < n; i++)
		buf_append(b, &chars[next_rand(seed) % (sizeof chars - 1)], 1);
	buf_append(b, "\"", 1);
}

static void random_space(uint32_t *seed, buf *b)
{
	static const char *const spaces[] = {"", "", "", " ", "\n", " \t ", "\r\n"};
	buf_puts(b, spaces[next_rand(seed) % 7]);
}

static void random_value(uint32_t *seed, buf *b, int depth);

static void random_container(uint32_t *seed, buf *b, int depth, bool object)
{
	size_t n = next_rand(seed) % 4;
	buf_puts(b, object ? "{" : "[");
	for (size_t i = 0; i < n; i++) {
		random_space(seed, b);
		if (i)
			buf_puts(b, ",");
		random_space(seed, b);
		if (object) {
			random_string(seed, b);
			random_space(seed, b);
			buf_puts(b, ":");
			random_space(seed, b);
		}
		random_value(seed, b, depth + 1);
	}
	random_space(seed, b);
	buf_puts(b, object ? "}" : "]");
}

static void random_value(uint32_t *seed, buf *b, int depth)
{
	unsigned kind = depth > 4 ? 0 : next_rand(seed) % 3;
	if (kind == 0)
		random_string(seed, b);
	else
		random_container(seed, b, depth, kind == 1);
}

/* Random documents of the subset (duplicate keys among them, which both refuse): either both
 * readers refuse a text or both read the same tree. */
static void test_random_plain_documents_read_alike(void **state)
{
	(void)state;
	uint32_t seed = 3;
	int read = 0;
	for (int round = 0; round < 3000; round++) {
		buf b;
		buf_init(&b, 0);
		random_space(&seed, &b);
		random_container(&seed, &b, 0, true);
		random_space(&seed, &b);
		json_t *mine = json_read_simple(b.data, b.len, 32);
		json_t *theirs = json_loadb(b.data, b.len, JSON_REJECT_DUPLICATES, NULL);
		assert_true((mine == NULL) == (theirs == NULL));
		if (mine) {
			assert_same_tree(mine, theirs);
			read++;
		}
		json_decref(mine);
		json_decref(theirs);
		buf_release(&b);
	}
	assert_true(read > 2000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_plain_texts_read_as_jansson_reads_them),
	    cmocka_unit_test(test_other_texts_are_left_to_jansson),
	    cmocka_unit_test(test_random_plain_documents_read_alike),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
