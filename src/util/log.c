/* Structured log lines. A line is never split: each write() holds whole lines, so threads never
 * interleave. */
#include "util/log.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LINE_MAX_BYTES 2048

static enum log_level min_level = LOG_INFO;
static const char *level_names[] = {"debug", "info", "warn", "error"};

/* The gathered lines (log_buffer), under `lock`; `since_ms` is when the oldest was gathered. */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int buffer_ms;
static char gathered[LOG_BUFFER_BYTES + LINE_MAX_BYTES];
static size_t gathered_len;
static int64_t since_ms;

void log_set_level(enum log_level level)
{
	min_level = level;
}

static void write_all(const char *p, size_t len)
{
	while (len) {
		ssize_t w = write(STDERR_FILENO, p, len);
		if (w <= 0)
			return;
		p += w;
		len -= (size_t)w;
	}
}

/* Under `lock`. */
static void write_gathered(void)
{
	write_all(gathered, gathered_len);
	gathered_len = 0;
}

void log_buffer(int wait_ms)
{
	pthread_mutex_lock(&lock);
	write_gathered();
	buffer_ms = wait_ms;
	pthread_mutex_unlock(&lock);
}

void log_flush(void)
{
	pthread_mutex_lock(&lock);
	write_gathered();
	pthread_mutex_unlock(&lock);
}

void log_line(enum log_level level, const char *fmt, ...)
{
	if (level < min_level)
		return;
	char line[LINE_MAX_BYTES], ts[32];
	int64_t now = clock_now_ms();
	clock_iso8601(now, ts);
	int n = snprintf(line, sizeof line, "ts=%s level=%s ", ts, level_names[level]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof line - 2)
		len = sizeof line - 2;
	line[len++] = '\n';

	pthread_mutex_lock(&lock);
	if (buffer_ms <= 0 || level >= LOG_WARN) {
		write_gathered();
		write_all(line, len);
	} else {
		if (!gathered_len)
			since_ms = now;
		memcpy(gathered + gathered_len, line, len);
		gathered_len += len;
		if (gathered_len >= LOG_BUFFER_BYTES || now - since_ms >= buffer_ms)
			write_gathered();
	}
	pthread_mutex_unlock(&lock);
}
