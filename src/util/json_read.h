/* How the server reads JSON from outside: one nesting limit for every document it takes, request
 * bodies and imported files alike. */
#ifndef CROWDLOOP_UTIL_JSON_READ_H
#define CROWDLOOP_UTIL_JSON_READ_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The deepest nesting of objects and arrays the server accepts in any JSON it reads. */
#define JSON_READ_MAX_DEPTH 32
/* The reason an import gives for a document nested deeper. */
#define JSON_READ_TOO_DEEP "JSON nested deeper than 32"

/* True when the JSON text `s` of `len` bytes nests objects and arrays at most `max` deep
 * (brackets inside strings do not count). Runs before parsing, so a deep document costs no
 * recursion. */
bool json_depth_ok(const char *s, size_t len, int max);

/* json_loadb() within JSON_READ_MAX_DEPTH: a deeper document returns NULL with `e->text` saying
 * so. Returns a new reference. */
json_t *json_read(const char *s, size_t len, size_t flags, json_error_t *e);

#endif
