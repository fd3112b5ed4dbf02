/* JSON writing (util/json_write.h). */
#include "util/json_write.h"
#include "util/err.h"

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
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

/* |v|'s 15 significant digits, correctly rounded (half to even, as printf), into *digits
 * (10^14 to 10^15 - 1) and its decimal exponent into *exp, for a v with 10^-4 <= |v| < 10^15:
 * |v| = m * 2^q with q < 0, and m * 10^(14 - exp) fits 128 bits. False for any other v. */
static bool digits15(double v, uint64_t *digits, int *exp)
{
	static const uint64_t ten[] = {1,
				       10,
				       100,
				       1000,
				       10000,
				       100000,
				       1000000,
				       10000000,
				       100000000,
				       1000000000,
				       10000000000ULL,
				       100000000000ULL,
				       1000000000000ULL,
				       10000000000000ULL,
				       100000000000000ULL,
				       1000000000000000ULL,
				       10000000000000000ULL,
				       100000000000000000ULL,
				       1000000000000000000ULL};
	double a = fabs(v);
	int q;
	if (!(a >= 1e-4 && a < 1e15))
		return false;
	uint64_t m = (uint64_t)ldexp(frexp(a, &q), 53); /* a = m * 2^(q - 53) */
	q -= 53;
	if (q >= 0 || q < -120)
		return false;
	/* log10 may be one off near a power of ten: the digits' count corrects it. */
	for (int e = (int)floor(log10(a)), tries = 0; tries < 3 && e >= -4 && e <= 14; tries++) {
		unsigned __int128 n = (unsigned __int128)m * ten[14 - e];
		unsigned __int128 d = n >> -q, r = n - (d << -q);
		unsigned __int128 half = (unsigned __int128)1 << (-q - 1);
		if (d < ten[14] || d >= ten[15]) {
			e += d < ten[14] ? -1 : 1;
			continue;
		}
		if (r > half || (r == half && (d & 1)))
			d++;
		if (d == ten[15]) { /* 999...9.5 rounds up to the next power of ten */
			d = ten[14];
			e++;
		}
		*digits = (uint64_t)d;
		*exp = e;
		return e <= 14;
	}
	return false;
}

/* v as printf's "%.15g" writes it, into s (48 bytes); its length. Reals of the usual range
 * (scores, coordinates) are written from digits15, without printf (7,000 instructions for a
 * prediction's two scores); every other one by snprintf. */
static int format_g15(char s[48], double v)
{
	uint64_t d;
	int e;
	if (!digits15(v, &d, &e))
		return snprintf(s, 48, "%.15g", v);
	char dig[15];
	for (int i = 14; i >= 0; i--, d /= 10)
		dig[i] = (char)('0' + d % 10);
	int last = 14; /* the last digit written: trailing zeros go */
	while (last > 0 && dig[last] == '0')
		last--;
	int n = 0;
	if (v < 0)
		s[n++] = '-';
	if (e < 0) {
		s[n++] = '0';
		s[n++] = '.';
		for (int i = -1; i > e; i--)
			s[n++] = '0';
		for (int i = 0; i <= last; i++)
			s[n++] = dig[i];
	} else {
		for (int i = 0; i <= e; i++)
			s[n++] = dig[i];
		if (last > e)
			s[n++] = '.';
		for (int i = e + 1; i <= last; i++)
			s[n++] = dig[i];
	}
	s[n] = '\0';
	return n;
}

/* A real as jansson writes it with JSON_REAL_PRECISION(15): "%.15g", ".0" added when that
 * reads as an integer, and the exponent without '+' or leading zeros ("1e20", "1.5e-7"). */
static int write_real(buf *out, double v)
{
	char s[48];
	int n = format_g15(s, v);
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
