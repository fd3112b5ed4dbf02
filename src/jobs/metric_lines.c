/* Parsing a job's metric reports (metric_lines.h). */
#include "jobs/metric_lines.h"

#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int key_ok(const char *k, size_t n)
{
	if (!n || n > METRIC_KEY_MAX)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_./-",
			    k[i]) || !k[i])
			return 0;
	return 1;
}

/* A number that fills the whole of [s, s+n). */
static int number(const char *s, size_t n, double *out)
{
	char tmp[64];
	if (!n || n >= sizeof tmp)
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	char *end;
	*out = strtod(tmp, &end);
	return *end == '\0' && isfinite(*out);
}

int metric_line_parse(const char *line, size_t len, metric_point *out)
{
	size_t plen = strlen(METRIC_LINE_PREFIX);
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (len <= plen || memcmp(line, METRIC_LINE_PREFIX, plen))
		return 0;
	const char *p = line + plen, *end = line + len;
	const char *eq = memchr(p, '=', (size_t)(end - p));
	if (!eq || !key_ok(p, (size_t)(eq - p)))
		return 0;
	const char *v = eq + 1, *sp = memchr(v, ' ', (size_t)(end - v));
	const char *vend = sp ? sp : end;
	double step = 0;
	if (!number(v, (size_t)(vend - v), &out->value))
		return 0;
	if (sp) {
		const char *s = sp + 1;
		if ((size_t)(end - s) < 6 || memcmp(s, "step=", 5) ||
		    !number(s + 5, (size_t)(end - s - 5), &step) || step != floor(step) ||
		    step < 0 || step > 9e15)
			return 0;
	}
	memcpy(out->key, p, (size_t)(eq - p));
	out->key[eq - p] = '\0';
	out->step = (int64_t)step;
	return 1;
}

int metric_json_parse(const char *line, size_t len, metric_point *out)
{
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	const char *key = json_string_value(json_object_get(o, "key"));
	json_t *v = json_object_get(o, "value"), *s = json_object_get(o, "step");
	int ok = key && key_ok(key, strlen(key)) && json_is_number(v) &&
		 isfinite(json_number_value(v)) && (!s || (json_is_integer(s) &&
							   json_integer_value(s) >= 0));
	if (ok) {
		snprintf(out->key, sizeof out->key, "%s", key);
		out->value = json_number_value(v);
		out->step = s ? json_integer_value(s) : 0;
	}
	json_decref(o);
	return ok;
}
