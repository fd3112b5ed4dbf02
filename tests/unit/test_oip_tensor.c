/* Unit tests of api/oip_tensor: a shape's element count, a BYTES tensor's JSON strings and its
 * binary data split into elements, and every datatype's JSON data written as the binary tensor
 * data extension's bytes (little-endian, a BYTES element's 4-byte length first), with the
 * values each datatype cannot hold refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "api/oip_tensor.h"

static json_t *parse(const char *text)
{
	json_error_t je;
	json_t *v = json_loads(text, 0, &je);
	assert_non_null(v);
	return v;
}

static void test_shape_elements(void **state)
{
	(void)state;
	static const struct {
		const char *shape;
		int rc;
		size_t count;
	} cases[] = {
	    {"[1]", 0, 1},
	    {"[3]", 0, 3},
	    {"[2, 3]", 0, 6},
	    {"[16]", 0, 16},
	    {"[]", 0, 1},
	    {"[0]", 0, 0},
	    {"[4, 0]", 0, 0},
	    {"[17]", CL_EINVAL, 0},
	    {"[5, 4]", CL_EINVAL, 0},
	    {"[-1]", CL_EINVAL, 0},
	    {"[\"2\"]", CL_EINVAL, 0},
	    {"{}", CL_EINVAL, 0},
	    {"[1,1,1,1,1,1,1,1,1]", CL_EINVAL, 0},
	    /* A product past size_t refused, not wrapped. */
	    {"[4294967296, 4294967296, 4294967296]", CL_EINVAL, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *shape = parse(cases[i].shape);
		size_t count = 99;
		cl_error err = {0};
		int rc = oip_shape_elements(shape, 16, &count, &err);
		assert_int_equal(rc, cases[i].rc);
		if (!rc)
			assert_int_equal(count, cases[i].count);
		else
			assert_true(err.message[0]);
		json_decref(shape);
	}
}

static void test_strings_flat_and_nested(void **state)
{
	(void)state;
	const json_t *el[4];
	size_t n;
	cl_error err = {0};
	json_t *flat = parse("[\"a\", \"bc\"]");
	assert_int_equal(oip_strings(flat, 4, el, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(json_string_value(el[1]), "bc");
	/* Row-major order through nested arrays, as a [2, 2] tensor may be sent. */
	json_t *nested = parse("[[\"a\", \"b\"], [\"c\", \"d\"]]");
	assert_int_equal(oip_strings(nested, 4, el, &n, &err), 0);
	assert_int_equal(n, 4);
	assert_string_equal(json_string_value(el[2]), "c");
	json_t *bad[] = {parse("[\"a\", 1]"), parse("[\"a\",\"b\",\"c\",\"d\",\"e\"]"),
			 parse("{\"a\": 1}"), parse("[[[[[[[[[\"deep\"]]]]]]]]]")};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(oip_strings(bad[i], 4, el, &n, &err), CL_EINVAL);
		json_decref(bad[i]);
	}
	json_decref(flat);
	json_decref(nested);
}

static void test_bytes_split(void **state)
{
	(void)state;
	/* "hi", "" and "안" (3 bytes), each after its little-endian length. */
	static const char data[] = "\x02\x00\x00\x00hi"
				   "\x00\x00\x00\x00"
				   "\x03\x00\x00\x00\xec\x95\x88";
	size_t len = sizeof data - 1;
	oip_element el[3];
	cl_error err = {0};
	assert_int_equal(oip_bytes_split(data, len, 3, el, &err), 0);
	assert_int_equal(el[0].len, 2);
	assert_memory_equal(el[0].data, "hi", 2);
	assert_int_equal(el[1].len, 0);
	assert_int_equal(el[2].len, 3);
	assert_memory_equal(el[2].data, "\xec\x95\x88", 3);
	/* Fewer elements than the data holds, more, a cut length and a length past the end. */
	assert_int_equal(oip_bytes_split(data, len, 2, el, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "bytes after"));
	oip_element more[4];
	assert_int_equal(oip_bytes_split(data, len, 4, more, &err), CL_EINVAL);
	assert_int_equal(oip_bytes_split(data, 3, 1, el, &err), CL_EINVAL);
	static const char past[] = "\xff\xff\xff\x7f"
				   "abc";
	assert_int_equal(oip_bytes_split(past, sizeof past - 1, 1, el, &err), CL_EINVAL);
	/* The raw bytes of a whole image, without lengths, are not one element. */
	static const char png[] = "\x89PNG\r\n\x1a\n";
	assert_int_equal(oip_bytes_split(png, sizeof png - 1, 1, el, &err), CL_EINVAL);
}

/* Writes the tensor's data as binary and checks the bytes and the tensor left. */
static void binary_is(const char *tensor_json, const char *want, size_t want_len)
{
	json_t *t = parse(tensor_json);
	buf out;
	buf_init(&out, 0);
	assert_int_equal(buf_append(&out, "HEAD", 4), 0);
	cl_error err = {0};
	assert_int_equal(oip_tensor_to_binary(t, &out, &err), 0);
	assert_int_equal(out.len, 4 + want_len);
	assert_memory_equal(out.data + 4, want, want_len);
	assert_null(json_object_get(t, "data"));
	const json_t *size = json_object_get(json_object_get(t, "parameters"), "binary_data_size");
	assert_int_equal(json_integer_value(size), (json_int_t)want_len);
	assert_string_equal(json_string_value(json_object_get(t, "name")), "x");
	buf_release(&out);
	json_decref(t);
}

static void test_every_datatype_to_binary(void **state)
{
	(void)state;
	binary_is("{\"name\":\"x\",\"datatype\":\"BOOL\",\"shape\":[3],\"data\":[true,false,true]}",
		  "\x01\x00\x01", 3);
	binary_is("{\"name\":\"x\",\"datatype\":\"INT8\",\"shape\":[2],\"data\":[-128,127]}",
		  "\x80\x7f", 2);
	binary_is("{\"name\":\"x\",\"datatype\":\"INT16\",\"shape\":[1],\"data\":[-2]}", "\xfe\xff",
		  2);
	binary_is("{\"name\":\"x\",\"datatype\":\"INT32\",\"shape\":[2,2],\"data\":[[1,2],[3,"
		  "-1]]}",
		  "\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\xff\xff\xff\xff", 16);
	binary_is("{\"name\":\"x\",\"datatype\":\"INT64\",\"shape\":[1],\"data\":[258]}",
		  "\x02\x01\x00\x00\x00\x00\x00\x00", 8);
	binary_is("{\"name\":\"x\",\"datatype\":\"UINT8\",\"shape\":[1],\"data\":[255]}", "\xff",
		  1);
	binary_is("{\"name\":\"x\",\"datatype\":\"UINT16\",\"shape\":[1],\"data\":[65535]}",
		  "\xff\xff", 2);
	binary_is("{\"name\":\"x\",\"datatype\":\"UINT32\",\"shape\":[1],\"data\":[4294967295]}",
		  "\xff\xff\xff\xff", 4);
	binary_is("{\"name\":\"x\",\"datatype\":\"UINT64\",\"shape\":[1],\"data\":[1]}",
		  "\x01\x00\x00\x00\x00\x00\x00\x00", 8);
	/* 1.5f is 0x3fc00000; an integer in an FP tensor is its number. */
	binary_is("{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2],\"data\":[1.5, 2]}",
		  "\x00\x00\xc0\x3f\x00\x00\x00\x40", 8);
	binary_is("{\"name\":\"x\",\"datatype\":\"FP64\",\"shape\":[1],\"data\":[-2.0]}",
		  "\x00\x00\x00\x00\x00\x00\x00\xc0", 8);
	binary_is("{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[2],\"data\":[\"ok\",\"\"]}",
		  "\x02\x00\x00\x00ok\x00\x00\x00\x00", 10);
	/* An existing parameter is kept beside the size. */
	json_t *t = parse("{\"name\":\"x\",\"datatype\":\"BYTES\",\"shape\":[1],\"data\":[\"a\"],"
			  "\"parameters\":{\"kept\":1}}");
	buf out;
	buf_init(&out, 0);
	cl_error err = {0};
	assert_int_equal(oip_tensor_to_binary(t, &out, &err), 0);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(t, "parameters"), "kept")), 1);
	buf_release(&out);
	json_decref(t);
}

static void test_what_a_datatype_cannot_hold(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "{\"name\":\"x\",\"datatype\":\"INT8\",\"data\":[128]}",
	    "{\"name\":\"x\",\"datatype\":\"INT8\",\"data\":[-129]}",
	    "{\"name\":\"x\",\"datatype\":\"UINT8\",\"data\":[256]}",
	    "{\"name\":\"x\",\"datatype\":\"UINT32\",\"data\":[-1]}",
	    "{\"name\":\"x\",\"datatype\":\"UINT64\",\"data\":[-1]}",
	    "{\"name\":\"x\",\"datatype\":\"INT32\",\"data\":[1.5]}",
	    "{\"name\":\"x\",\"datatype\":\"BOOL\",\"data\":[1]}",
	    "{\"name\":\"x\",\"datatype\":\"FP32\",\"data\":[\"1\"]}",
	    "{\"name\":\"x\",\"datatype\":\"FP32\",\"data\":[1e300]}",
	    "{\"name\":\"x\",\"datatype\":\"BYTES\",\"data\":[1]}",
	    "{\"name\":\"x\",\"datatype\":\"FP16\",\"data\":[1.0]}",
	    "{\"name\":\"x\",\"datatype\":\"BF16\",\"data\":[1.0]}",
	    "{\"name\":\"x\",\"data\":[1]}",
	    "{\"name\":\"x\",\"datatype\":\"INT32\",\"data\":3}",
	    "{\"name\":\"x\",\"datatype\":\"INT32\",\"data\":[[[[[[[[[1]]]]]]]]]}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *t = parse(bad[i]);
		buf out;
		buf_init(&out, 0);
		cl_error err = {0};
		assert_int_equal(oip_tensor_to_binary(t, &out, &err), CL_EINVAL);
		assert_true(err.message[0]);
		/* The tensor keeps its data. */
		assert_non_null(json_object_get(t, "data"));
		assert_null(json_object_get(t, "parameters"));
		buf_release(&out);
		json_decref(t);
	}
	/* Past the buffer's cap: too big, the data kept. */
	json_t *t = parse("{\"name\":\"x\",\"datatype\":\"BYTES\",\"data\":[\"0123456789\"]}");
	buf out;
	buf_init(&out, 8);
	cl_error err = {0};
	assert_int_equal(oip_tensor_to_binary(t, &out, &err), CL_ETOOBIG);
	assert_non_null(json_object_get(t, "data"));
	buf_release(&out);
	json_decref(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shape_elements),
	    cmocka_unit_test(test_strings_flat_and_nested),
	    cmocka_unit_test(test_bytes_split),
	    cmocka_unit_test(test_every_datatype_to_binary),
	    cmocka_unit_test(test_what_a_datatype_cannot_hold),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
