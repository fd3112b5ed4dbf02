/* Reading JSON from outside the server: the nesting limit checked before jansson parses, so a
 * document nested thousands deep is refused without recursing into it. */
#include "util/json_read.h"

#include <stdio.h>

bool json_depth_ok(const char *s, size_t len, int max)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				return false;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return true;
}

json_t *json_read(const char *s, size_t len, size_t flags, json_error_t *e)
{
	if (!json_depth_ok(s, len, JSON_READ_MAX_DEPTH)) {
		if (e) {
			*e = (json_error_t){.line = 0, .column = 0, .position = 0};
			snprintf(e->text, sizeof e->text, "JSON nesting is deeper than %d",
				 JSON_READ_MAX_DEPTH);
		}
		return NULL;
	}
	return json_loadb(s, len, flags, e);
}

/* ---- the plain subset (json_read_simple) ---- */

typedef struct simple_reader {
	const char *p, *end;
	int depth, max;
} simple_reader;

static void simple_space(simple_reader *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\n' || *r->p == '\r' || *r->p == '\t'))
		r->p++;
}

/* Whether the next byte (after white space) is `c`; taken when it is. */
static bool simple_take(simple_reader *r, char c)
{
	simple_space(r);
	if (r->p >= r->end || *r->p != c)
		return false;
	r->p++;
	return true;
}

/* A string of printable ASCII without escapes: its bytes in [*s, *s + *n). */
static bool simple_string(simple_reader *r, const char **s, size_t *n)
{
	if (!simple_take(r, '"'))
		return false;
	const char *start = r->p;
	for (; r->p < r->end; r->p++) {
		unsigned char c = (unsigned char)*r->p;
		if (c == '"') {
			*s = start;
			*n = (size_t)(r->p++ - start);
			return true;
		}
		if (c < 0x20 || c >= 0x80 || c == '\\')
			return false;
	}
	return false;
}

static json_t *simple_value(simple_reader *r);

static json_t *simple_object(simple_reader *r)
{
	json_t *o = json_object();
	if (!o || simple_take(r, '}'))
		return o;
	do {
		const char *key;
		size_t n;
		json_t *v = NULL;
		if (!simple_string(r, &key, &n) || !simple_take(r, ':') ||
		    json_object_getn(o, key, n) || !(v = simple_value(r)) ||
		    json_object_setn_new_nocheck(o, key, n, v)) {
			json_decref(o);
			return NULL;
		}
	} while (simple_take(r, ','));
	if (simple_take(r, '}'))
		return o;
	json_decref(o);
	return NULL;
}

static json_t *simple_array(simple_reader *r)
{
	json_t *a = json_array();
	if (!a || simple_take(r, ']'))
		return a;
	do {
		json_t *v = simple_value(r);
		if (!v || json_array_append_new(a, v)) {
			json_decref(a);
			return NULL;
		}
	} while (simple_take(r, ','));
	if (simple_take(r, ']'))
		return a;
	json_decref(a);
	return NULL;
}

static json_t *simple_value(simple_reader *r)
{
	simple_space(r);
	if (r->p >= r->end)
		return NULL;
	if (*r->p == '"') {
		const char *s;
		size_t n;
		return simple_string(r, &s, &n) ? json_stringn_nocheck(s, n) : NULL;
	}
	if ((*r->p != '{' && *r->p != '[') || r->depth >= r->max)
		return NULL;
	r->depth++;
	json_t *v = *r->p++ == '{' ? simple_object(r) : simple_array(r);
	r->depth--;
	return v;
}

json_t *json_read_simple(const char *s, size_t len, int max)
{
	simple_reader r = {s, s + len, 0, max};
	simple_space(&r);
	if (r.p >= r.end || *r.p != '{')
		return NULL;
	json_t *v = simple_value(&r);
	simple_space(&r);
	if (v && r.p != r.end) {
		json_decref(v);
		return NULL;
	}
	return v;
}
