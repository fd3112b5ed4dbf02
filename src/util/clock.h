/* Wall-clock time in milliseconds since the epoch, and its ISO 8601 form. */
#ifndef CROWDLOOP_UTIL_CLOCK_H
#define CROWDLOOP_UTIL_CLOCK_H

#include <stdint.h>
#include <stddef.h>

/* Milliseconds since 1970-01-01 UTC. */
int64_t clock_now_ms(void);
/* Monotonic nanoseconds, for durations only. */
int64_t clock_mono_ns(void);
/* Writes "2026-11-22T06:24:00.123Z" (25 bytes with the NUL) into out. */
void clock_iso8601(int64_t ms, char out[32]);

#endif
