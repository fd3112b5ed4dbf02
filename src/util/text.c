/* Quoting user text inside error messages. */
#include "util/text.h"

#include <string.h>

void text_quote(const char *s, size_t len, char out[48])
{
	size_t o = 0, i = 0;
	while (i < len) {
		unsigned char c = (unsigned char)s[i];
		size_t n = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
		if (i + n > len)
			n = 1;
		if (o + n > 40) {
			memcpy(out + o, "...", 3);
			o += 3;
			break;
		}
		if (n == 1 && (c < 0x20 || c >= 0x7f)) {
			out[o++] = '?';
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
}
