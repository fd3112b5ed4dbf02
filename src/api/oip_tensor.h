/* The Open Inference Protocol's tensors on the wire: a shape's element count, and the binary
 * tensor data extension's encoding (little-endian, row major, no padding; a BYTES element is a
 * 4-byte length, then its bytes; a BOOL a byte of 0 or 1), in both directions. */
#ifndef CROWDLOOP_API_OIP_TENSOR_H
#define CROWDLOOP_API_OIP_TENSOR_H

#include <jansson.h>
#include <stddef.h>

#include "util/buf.h"
#include "util/err.h"

/* One element of a BYTES tensor's binary data: points into that data. */
typedef struct oip_element {
	const char *data;
	size_t len;
} oip_element;

/* The number of elements `shape` (an array of non-negative integers) holds, into *count: 0, or
 * CL_EINVAL when it is no such array, has more than 8 dimensions or holds more than `max`. */
int oip_shape_elements(const json_t *shape, size_t max, size_t *count, cl_error *err);

/* The strings of a tensor's JSON "data" (flat, or nested arrays in row-major order), at most
 * `max`, into out[] (borrowed from `data`) and *n: 0, or CL_EINVAL when an element is not a
 * string, there are more than `max` or the arrays nest deeper than 8. */
int oip_strings(const json_t *data, size_t max, const json_t **out, size_t *n, cl_error *err);

/* Splits a BYTES tensor's binary data (`len` bytes at `data`) into exactly `n` elements, into
 * out[]: 0, or CL_EINVAL when the lengths do not add up to `len`. */
int oip_bytes_split(const char *data, size_t len, size_t n, oip_element *out, cl_error *err);

/* Appends `tensor`'s JSON data as binary data of its datatype to `out`, and in the tensor
 * replaces "data" with parameters.binary_data_size: 0, or CL_EINVAL for a datatype without a
 * binary form here (FP16, BF16) or a value its datatype cannot hold, CL_ETOOBIG past out's cap,
 * CL_ENOMEM. On an error the tensor is unchanged and `out` may hold a part. */
int oip_tensor_to_binary(json_t *tensor, buf *out, cl_error *err);

#endif
