/* Time sources. */
#include "util/clock.h"

#include <time.h>

int64_t clock_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static char *put_digits(char *p, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + width;
}

void clock_iso8601(int64_t ms, char out[32])
{
	/* Integer civil-from-days arithmetic instead of gmtime_r + snprintf: exports print a time
	 * on every row, and this is several times faster. Times before 1970 clamp to 1970. */
	if (ms < 0)
		ms = 0;
	int64_t secs = ms / 1000, days = secs / 86400;
	unsigned sod = (unsigned)(secs % 86400);
	/* Days since 1970-01-01 to a proleptic Gregorian date, counting in 400-year eras that
	 * start on 0000-03-01. */
	int64_t z = days + 719468, era = z / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	unsigned day = doy - (153 * mp + 2) / 5 + 1;
	unsigned month = mp < 10 ? mp + 3 : mp - 9;
	int64_t year = (int64_t)yoe + era * 400 + (month <= 2);
	/* Years stay within 4 digits for any time this server will see. */
	char *p = put_digits(out, (unsigned)(year % 10000), 4);
	*p++ = '-';
	p = put_digits(p, month, 2);
	*p++ = '-';
	p = put_digits(p, day, 2);
	*p++ = 'T';
	p = put_digits(p, sod / 3600, 2);
	*p++ = ':';
	p = put_digits(p, sod / 60 % 60, 2);
	*p++ = ':';
	p = put_digits(p, sod % 60, 2);
	*p++ = '.';
	p = put_digits(p, (unsigned)(ms % 1000), 3);
	*p++ = 'Z';
	*p = '\0';
}
