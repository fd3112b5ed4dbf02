/* Quoting user text inside error messages. */
#ifndef CROWDLOOP_UTIL_TEXT_H
#define CROWDLOOP_UTIL_TEXT_H

#include <stddef.h>

/* Copies at most 40 bytes of the UTF-8 string `s` (len bytes) into `out` for a message: whole
 * characters only, control characters as '?', and "..." where it was cut, so the message stays
 * valid UTF-8 and short. */
void text_quote(const char *s, size_t len, char out[48]);

#endif
