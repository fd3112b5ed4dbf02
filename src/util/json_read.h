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

/* A JSON object of objects, arrays and plain strings (printable ASCII, no escapes), nested at
 * most `max` deep, such as a prediction's body ({"inputs":[{"text":"..."}]}), parsed without
 * jansson's reader, which takes each byte through a stream and a buffer of its own: the tree
 * json_loadb(s, len, JSON_REJECT_DUPLICATES) would return. NULL for any other text, valid or
 * not (a number, an escape, a duplicate key, bytes past ASCII, a syntax error): the caller then
 * reads it with jansson, which answers as it always did. */
json_t *json_read_simple(const char *s, size_t len, int max);

#endif
