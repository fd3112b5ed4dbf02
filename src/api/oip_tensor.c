/* The Open Inference Protocol's tensors on the wire (api/oip_tensor.h). The binary encoding is
 * written byte by byte, so it is little-endian whatever the machine. */
#include "api/oip_tensor.h"

#include <stdint.h>
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <string.h>

#define OIP_MAX_DIMS 8

int oip_shape_elements(const json_t *shape, size_t max, size_t *count, cl_error *err)
{
	size_t n = 1, i;
	const json_t *d;
	if (!json_is_array(shape) || json_array_size(shape) > OIP_MAX_DIMS)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a tensor's \"shape\" is an array of up to %d sizes", OIP_MAX_DIMS);
	json_array_foreach(shape, i, d)
	{
		if (!json_is_integer(d) || json_integer_value(d) < 0)
			return cl_fail(err, CL_EINVAL, NULL,
				       "a tensor's \"shape\" holds sizes of 0 or more");
		/* Checked before the product, so it never overflows. */
		if (json_integer_value(d) > (json_int_t)max ||
		    (n && (size_t)json_integer_value(d) > max / n))
			return cl_fail(err, CL_EINVAL, NULL,
				       "a tensor holds at most %zu elements here", max);
		n *= (size_t)json_integer_value(d);
	}
	*count = n;
	return 0;
}

/* Calls `leaf` on each element of a tensor's JSON "data", nested arrays in row-major order. */
typedef int (*leaf_fn)(const json_t *v, void *ctx, cl_error *err);

static int data_walk(const json_t *data, int depth, leaf_fn leaf, void *ctx, cl_error *err)
{
	size_t i;
	const json_t *v;
	if (depth > OIP_MAX_DIMS)
		return cl_fail(err, CL_EINVAL, NULL, "a tensor's \"data\" nests deeper than %d",
			       OIP_MAX_DIMS);
	json_array_foreach(data, i, v)
	{
		int rc =
		    json_is_array(v) ? data_walk(v, depth + 1, leaf, ctx, err) : leaf(v, ctx, err);
		if (rc)
			return rc;
	}
	return 0;
}

typedef struct strings_out {
	size_t max;
	const json_t **out;
	size_t *n;
} strings_out;

static int string_take(const json_t *v, void *ctx, cl_error *err)
{
	strings_out *o = ctx;
	if (!json_is_string(v))
		return cl_fail(err, CL_EINVAL, NULL, "a BYTES tensor's \"data\" holds strings");
	if (*o->n == o->max)
		return cl_fail(err, CL_EINVAL, NULL, "a tensor holds at most %zu elements here",
			       o->max);
	o->out[(*o->n)++] = v;
	return 0;
}

int oip_strings(const json_t *data, size_t max, const json_t **out, size_t *n, cl_error *err)
{
	*n = 0;
	if (!json_is_array(data))
		return cl_fail(err, CL_EINVAL, NULL, "a tensor's \"data\" is an array");
	strings_out o = {max, out, n};
	return data_walk(data, 1, string_take, &o, err);
}

static uint32_t le32_read(const char *p)
{
	const unsigned char *u = (const unsigned char *)p;
	return (uint32_t)u[0] | (uint32_t)u[1] << 8 | (uint32_t)u[2] << 16 | (uint32_t)u[3] << 24;
}

int oip_bytes_split(const char *data, size_t len, size_t n, oip_element *out, cl_error *err)
{
	size_t at = 0;
	for (size_t i = 0; i < n; i++) {
		if (len - at < 4 || le32_read(data + at) > len - at - 4)
			return cl_fail(err, CL_EINVAL, NULL,
				       "a BYTES tensor's binary data holds each of its %zu "
				       "elements as a 4-byte little-endian length and its bytes",
				       n);
		out[i] = (oip_element){data + at + 4, le32_read(data + at)};
		at += 4 + out[i].len;
	}
	if (at != len)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a BYTES tensor's binary data holds %zu bytes after its %zu "
			       "elements",
			       len - at, n);
	return 0;
}

/* ---- to binary ---- */

typedef enum { KIND_BOOL, KIND_INT, KIND_UINT, KIND_FLOAT, KIND_BYTES } dtype_kind;

typedef struct dtype {
	const char *name;
	dtype_kind kind;
	unsigned size; /* bytes an element; BYTES: its length's */
} dtype;

static const dtype dtypes[] = {
    {"BOOL", KIND_BOOL, 1},   {"INT8", KIND_INT, 1},	{"INT16", KIND_INT, 2},
    {"INT32", KIND_INT, 4},   {"INT64", KIND_INT, 8},	{"UINT8", KIND_UINT, 1},
    {"UINT16", KIND_UINT, 2}, {"UINT32", KIND_UINT, 4}, {"UINT64", KIND_UINT, 8},
    {"FP32", KIND_FLOAT, 4},  {"FP64", KIND_FLOAT, 8},	{"BYTES", KIND_BYTES, 4},
};

static const dtype *dtype_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof dtypes / sizeof dtypes[0]; i++)
		if (!strcmp(dtypes[i].name, name))
			return &dtypes[i];
	return NULL;
}

static int le_put(buf *out, uint64_t v, unsigned size)
{
	unsigned char b[8];
	for (unsigned i = 0; i < size; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	return buf_append(out, b, size);
}

/* Whether integer v fits `t`. */
static bool int_fits(const dtype *t, json_int_t v)
{
	if (t->size == 8)
		return t->kind == KIND_INT || v >= 0;
	int64_t span = (int64_t)1 << (8 * t->size);
	return t->kind == KIND_INT ? v >= -span / 2 && v < span / 2 : v >= 0 && v < span;
}

static int element_put(const dtype *t, const json_t *v, buf *out, cl_error *err)
{
	switch (t->kind) {
	case KIND_BOOL:
		if (json_is_boolean(v))
			return le_put(out, json_is_true(v), 1);
		break;
	case KIND_INT:
	case KIND_UINT:
		if (json_is_integer(v) && int_fits(t, json_integer_value(v)))
			return le_put(out, (uint64_t)json_integer_value(v), t->size);
		break;
	case KIND_FLOAT:
		/* A double past float's range has no FP32 (the conversion is undefined). */
		if (json_is_number(v) && t->size == 4 && fabs(json_number_value(v)) <= FLT_MAX) {
			float f = (float)json_number_value(v);
			uint32_t u;
			memcpy(&u, &f, sizeof u);
			return le_put(out, u, 4);
		}
		if (json_is_number(v) && t->size == 8) {
			double d = json_number_value(v);
			uint64_t u;
			memcpy(&u, &d, sizeof u);
			return le_put(out, u, 8);
		}
		break;
	case KIND_BYTES:
		if (json_is_string(v) && json_string_length(v) <= UINT32_MAX) {
			int rc = le_put(out, json_string_length(v), 4);
			return rc ? rc
				  : buf_append(out, json_string_value(v), json_string_length(v));
		}
		break;
	}
	return cl_fail(err, CL_EINVAL, NULL, "an element of a %s tensor is no %s", t->name,
		       t->name);
}

typedef struct binary_out {
	const dtype *t;
	buf *out;
} binary_out;

static int element_take(const json_t *v, void *ctx, cl_error *err)
{
	binary_out *o = ctx;
	int rc = element_put(o->t, v, o->out, err);
	if (rc == CL_ENOMEM || rc == CL_ETOOBIG)
		return cl_fail(err, rc, NULL, "the answer's binary data is too large");
	return rc;
}

int oip_tensor_to_binary(json_t *tensor, buf *out, cl_error *err)
{
	const char *type = json_string_value(json_object_get(tensor, "datatype"));
	const json_t *data = json_object_get(tensor, "data");
	const dtype *t = dtype_find(type);
	if (!t)
		return cl_fail(err, CL_EINVAL, NULL, "a %.16s tensor has no binary form here",
			       type ? type : "typeless");
	if (!json_is_array(data))
		return cl_fail(err, CL_EINVAL, NULL, "a tensor's \"data\" is an array");
	size_t start = out->len;
	binary_out o = {t, out};
	int rc = data_walk(data, 1, element_take, &o, err);
	if (rc)
		return rc;
	json_t *params = json_object_get(tensor, "parameters");
	if (!json_is_object(params)) {
		params = json_object();
		json_object_set_new(tensor, "parameters", params);
	}
	json_object_set_new(params, "binary_data_size",
			    json_integer((json_int_t)(out->len - start)));
	json_object_del(tensor, "data");
	return 0;
}
