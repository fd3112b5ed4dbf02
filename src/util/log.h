/* Structured logging: one line of key=value pairs per call, on stderr. */
#ifndef CROWDLOOP_UTIL_LOG_H
#define CROWDLOOP_UTIL_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

/* Lines below this level are dropped (default LOG_INFO). */
void log_set_level(enum log_level level);
/* Writes `ts=... level=... <fmt>` as one line; fmt should be key=value pairs. */
void log_line(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* With `wait_ms` > 0 (the server: a line per request), info and debug lines are gathered and
 * written together once LOG_BUFFER_BYTES have gathered or the oldest has waited `wait_ms`, at
 * log_flush(), and before any warning or error, which is written at once: lines keep their
 * order, and one write() takes many. 0, the default: each line is written as it is made. */
void log_buffer(int wait_ms);
/* Writes what is gathered; a server calls it every `wait_ms` so that no line waits longer. */
void log_flush(void);

#define LOG_BUFFER_BYTES (32 << 10)

#define log_info(...) log_line(LOG_INFO, __VA_ARGS__)
#define log_warn(...) log_line(LOG_WARN, __VA_ARGS__)
#define log_error(...) log_line(LOG_ERROR, __VA_ARGS__)

#endif
