/* Text as the trainers see it: UTF-8 decoded into code points, cut into tokens (runs of letters
 * and digits, and each other visible character alone) with the code-point offsets that span
 * annotations use, and lower-cased by Unicode's simple case mapping (C.UTF-8). */
#ifndef CROWDLOOP_ML_TEXT_H
#define CROWDLOOP_ML_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One token: [start, end) in code points, [byte_start, byte_end) in the UTF-8 text. */
typedef struct ml_token {
	int start, end;
	size_t byte_start, byte_end;
	bool word; /* letters and digits; false for a punctuation mark or symbol */
} ml_token;

/* The code point at s[*i] (len bytes in all), advancing *i past it; a byte that does not start
 * a valid UTF-8 sequence reads as U+FFFD and advances one byte. */
uint32_t ml_utf8_next(const char *s, size_t len, size_t *i);
/* Appends code point c as UTF-8 to out (room for 4 bytes); returns the bytes written. */
size_t ml_utf8_put(uint32_t c, char *out);
/* The lower case of code point c (itself when it has none). */
uint32_t ml_lower(uint32_t c);
/* Whether c is a letter or a digit. */
bool ml_is_alnum(uint32_t c);
/* Cuts `text` (len bytes) into at most `max` tokens; *out (to free()) holds *n of them.
 * Returns 0, or -1 when out of memory. */
int ml_tokenize(const char *text, size_t len, size_t max, ml_token **out, size_t *n);
/* Writes the lower case of s[0..len) into out (room for 4 * len bytes; UTF-8 in, UTF-8 out,
 * invalid bytes as U+FFFD); returns the bytes written. */
size_t ml_lower_utf8(const char *s, size_t len, char *out);

#endif
