/* UTF-8 decoding, tokens and lower case for the text trainers. */
#include "ml/text.h"

#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <wctype.h>

static locale_t utf8_locale;
static pthread_once_t utf8_once = PTHREAD_ONCE_INIT;

/* C.UTF-8 gives towlower and iswalnum their Unicode tables; without it only ASCII is known. */
static void utf8_locale_open(void)
{
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", 0);
}

static locale_t text_locale(void)
{
	pthread_once(&utf8_once, utf8_locale_open);
	return utf8_locale;
}

static uint32_t utf8_tail(const unsigned char *p, size_t left, int more, uint32_t c, uint32_t min,
			  size_t *i)
{
	if (left < (size_t)more + 1)
		return (*i)++, 0xFFFD;
	for (int k = 1; k <= more; k++) {
		if ((p[k] & 0xC0) != 0x80)
			return (*i)++, 0xFFFD;
		c = c << 6 | (p[k] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return (*i)++, 0xFFFD;
	*i += (size_t)more + 1;
	return c;
}

uint32_t ml_utf8_next(const char *s, size_t len, size_t *i)
{
	const unsigned char *p = (const unsigned char *)s + *i;
	size_t left = len - *i;
	if (p[0] < 0x80)
		return (*i)++, p[0];
	if ((p[0] & 0xE0) == 0xC0)
		return utf8_tail(p, left, 1, p[0] & 0x1F, 0x80, i);
	if ((p[0] & 0xF0) == 0xE0)
		return utf8_tail(p, left, 2, p[0] & 0x0F, 0x800, i);
	if ((p[0] & 0xF8) == 0xF0)
		return utf8_tail(p, left, 3, p[0] & 0x07, 0x10000, i);
	return (*i)++, 0xFFFD;
}

size_t ml_utf8_put(uint32_t c, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (c < 0x80)
		return o[0] = (unsigned char)c, 1;
	if (c < 0x800) {
		o[0] = (unsigned char)(0xC0 | c >> 6);
		o[1] = (unsigned char)(0x80 | (c & 0x3F));
		return 2;
	}
	if (c < 0x10000) {
		o[0] = (unsigned char)(0xE0 | c >> 12);
		o[1] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
		o[2] = (unsigned char)(0x80 | (c & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | c >> 18);
	o[1] = (unsigned char)(0x80 | (c >> 12 & 0x3F));
	o[2] = (unsigned char)(0x80 | (c >> 6 & 0x3F));
	o[3] = (unsigned char)(0x80 | (c & 0x3F));
	return 4;
}

uint32_t ml_lower(uint32_t c)
{
	if (c < 0x80)
		return c >= 'A' && c <= 'Z' ? c + 32 : c;
	locale_t l = text_locale();
	return l ? (uint32_t)towlower_l((wint_t)c, l) : c;
}

bool ml_is_alnum(uint32_t c)
{
	if (c < 0x80)
		return (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
	locale_t l = text_locale();
	return l && iswalnum_l((wint_t)c, l);
}

size_t ml_lower_utf8(const char *s, size_t len, char *out)
{
	size_t i = 0, o = 0;
	while (i < len)
		o += ml_utf8_put(ml_lower(ml_utf8_next(s, len, &i)), out + o);
	return o;
}

static bool is_space(uint32_t c)
{
	locale_t l = text_locale();
	return c <= ' ' || c == 0x7F || (c >= 0x80 && l && iswspace_l((wint_t)c, l)) || c == 0xA0 ||
	       c == 0x200B || c == 0xFEFF;
}

int ml_tokenize(const char *text, size_t len, size_t max, ml_token **out, size_t *n)
{
	size_t cap = 0, i = 0;
	int cp = 0;
	*out = NULL;
	*n = 0;
	while (i < len && *n < max) {
		size_t at = i;
		uint32_t c = ml_utf8_next(text, len, &i);
		bool word = ml_is_alnum(c);
		if (is_space(c)) {
			cp++;
			continue;
		}
		if (*n == cap) {
			ml_token *t = realloc(*out, (cap = cap ? cap * 2 : 64) * sizeof *t);
			if (!t)
				return free(*out), *out = NULL, *n = 0, -1;
			*out = t;
		}
		ml_token *t = &(*out)[(*n)++];
		*t = (ml_token){cp, cp + 1, at, i, word};
		cp++;
		/* A word runs on over letters and digits; any other mark stands alone. */
		for (size_t j = i; word && j < len; j = i) {
			if (!ml_is_alnum(ml_utf8_next(text, len, &j)))
				break;
			i = j;
			t->end = ++cp;
			t->byte_end = i;
		}
	}
	return 0;
}
