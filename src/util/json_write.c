/* JSON writing (util/json_write.h). */
#include "util/json_write.h"
#include "util/err.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int json_write_string(buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	int rc = buf_append(out, "\"", 1);
	const char *run = s, *end = s + len;
	for (; !rc && s < end; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		rc = buf_append(out, run, (size_t)(s - run));
		run = s + 1;
		char esc[7] = {'\\', 0};
		size_t n = 2;
		switch (ch) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		default:
			memcpy(esc + 1, "u00", 3);
			esc[4] = hex[ch >> 4];
			esc[5] = hex[ch & 15];
			n = 6;
		}
		if (!rc)
			rc = buf_append(out, esc, n);
	}
	if (!rc)
		rc = buf_append(out, run, (size_t)(end - run));
	return rc ? rc : buf_append(out, "\"", 1);
}

int json_write_number(buf *out, double v)
{
	if (!isfinite(v))
		return buf_append(out, "0", 1);
	if (v == floor(v) && fabs(v) < 1e15)
		return buf_put_int(out, (long long)v);
	/* Coordinates mostly have one to three decimals: when v is exactly the double nearest to
	 * n / 10^d, the digits of n read back as v, with no printf or strtod. */
	static const double scale[] = {10, 100, 1000};
	double mag = fabs(v);
	for (int d = 0; d < 3 && mag < 1e12; d++) {
		double n = round(mag * scale[d]);
		if (n / scale[d] != mag)
			continue;
		long long whole = (long long)(n / scale[d]);
		long long frac = (long long)n - whole * (long long)scale[d];
		char digits[4] = {0};
		for (int i = d; i >= 0; i--) {
			digits[i] = (char)('0' + frac % 10);
			frac /= 10;
		}
		int len = d + 1;
		while (len > 1 && digits[len - 1] == '0')
			len--;
		int rc = v < 0 ? buf_append(out, "-", 1) : 0;
		rc = rc ? rc : buf_put_int(out, whole);
		rc = rc ? rc : buf_append(out, ".", 1);
		return rc ? rc : buf_append(out, digits, (size_t)len);
	}
	char s[40];
	snprintf(s, sizeof s, "%.15g", v);
	if (strtod(s, NULL) != v)
		snprintf(s, sizeof s, "%.17g", v);
	return buf_puts(out, s);
}

/* A real as jansson writes it with JSON_REAL_PRECISION(15): "%.15g", ".0" added when that
 * reads as an integer, and the exponent without '+' or leading zeros ("1e20", "1.5e-7"). */
static int write_real(buf *out, double v)
{
	char s[48];
	int n = snprintf(s, sizeof s, "%.15g", v);
	if (n < 0 || (size_t)n >= sizeof s - 3)
		return CL_EINVAL;
	if (!strchr(s, '.') && !strchr(s, 'e')) {
		memcpy(s + n, ".0", 3);
		n += 2;
	}
	char *e = strchr(s, 'e');
	if (e) {
		char *from = e + 1, *to = e + 1;
		if (*from == '+')
			from++;
		else if (*from == '-')
			from = to = e + 2;
		while (*from == '0' && from[1])
			from++;
		memmove(to, from, strlen(from) + 1);
		n = (int)strlen(s);
	}
	return buf_append(out, s, (size_t)n);
}

int json_write(buf *out, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		int rc = buf_append(out, "{", 1);
		const char *key;
		json_t *member;
		bool first = true;
		json_object_foreach((json_t *)v, key, member)
		{
			if (!rc && !first)
				rc = buf_append(out, ",", 1);
			first = false;
			if (!rc)
				rc = json_write_string(out, key, strlen(key));
			if (!rc)
				rc = buf_append(out, ":", 1);
			if (!rc)
				rc = json_write(out, member);
			if (rc)
				return rc;
		}
		return rc ? rc : buf_append(out, "}", 1);
	}
	case JSON_ARRAY: {
		int rc = buf_append(out, "[", 1);
		for (size_t i = 0; !rc && i < json_array_size(v); i++) {
			if (i)
				rc = buf_append(out, ",", 1);
			if (!rc)
				rc = json_write(out, json_array_get(v, i));
		}
		return rc ? rc : buf_append(out, "]", 1);
	}
	case JSON_STRING:
		return json_write_string(out, json_string_value(v), json_string_length(v));
	case JSON_INTEGER:
		return buf_put_int(out, (long long)json_integer_value(v));
	case JSON_REAL:
		return write_real(out, json_real_value(v));
	case JSON_TRUE:
		return buf_append(out, "true", 4);
	case JSON_FALSE:
		return buf_append(out, "false", 5);
	case JSON_NULL:
		return buf_append(out, "null", 4);
	}
	return CL_EINVAL;
}
