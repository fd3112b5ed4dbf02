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
