/* JSON text straight into a buf: string literals, numbers, and whole jansson values written as
 * json_dumps(v, JSON_OUT) writes them, at a fraction of its cost (it checks every container
 * for cycles through a hash table). */
#ifndef CROWDLOOP_UTIL_JSON_WRITE_H
#define CROWDLOOP_UTIL_JSON_WRITE_H

#include "util/buf.h"

#include <jansson.h>
#include <stddef.h>

/* Appends the `len` bytes of UTF-8 `s` as a JSON string literal, quotes included: `"`, `\` and
 * control characters escaped as jansson does, everything else as it is. */
int json_write_string(buf *out, const char *s, size_t len);
/* Appends a number in its shortest form that reads back equal ("10", "0.1"); 0 for NaN and
 * infinities, which JSON cannot hold. */
int json_write_number(buf *out, double v);
/* Appends `v` exactly as json_dumps(v, JSON_OUT) would write it (util/json.h). Returns 0, or
 * CL_ETOOBIG/CL_ENOMEM from the buffer. */
int json_write(buf *out, const json_t *v);

#endif
