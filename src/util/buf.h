/* A growable byte buffer with a hard cap, always NUL-terminated. */
#ifndef CROWDLOOP_UTIL_BUF_H
#define CROWDLOOP_UTIL_BUF_H

#include <stdarg.h>
#include <stddef.h>

typedef struct buf {
	char *data;  /* owned; NUL-terminated; NULL until the first append */
	size_t len;
	size_t cap;  /* allocated bytes */
	size_t max;  /* appends that would pass this many bytes fail */
} buf;

/* Starts an empty buffer that may hold up to `max` bytes (0: 1 GiB). */
void buf_init(buf *b, size_t max);
/* Frees the memory; the buffer is empty and usable again. */
void buf_release(buf *b);
/* Appends; returns 0, or CL_ETOOBIG past the cap, or CL_ENOMEM. */
int buf_append(buf *b, const void *data, size_t len);
int buf_puts(buf *b, const char *s);
int buf_printf(buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int buf_vprintf(buf *b, const char *fmt, va_list ap);
/* Appends a decimal integer (faster than buf_printf on hot paths). */
int buf_put_int(buf *b, long long v);
/* Gives the caller the data (to free()); the buffer is left empty. */
char *buf_detach(buf *b, size_t *len);

#endif
