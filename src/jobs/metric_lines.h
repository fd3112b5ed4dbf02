/* A job's metrics as it reports them: `CROWDLOOP_METRIC key=value step=N` lines in its log, and
 * lines of OUTPUT/metrics.jsonl ({"key","value","step"}). Pure parsing, no I/O. */
#ifndef CROWDLOOP_JOBS_METRIC_LINES_H
#define CROWDLOOP_JOBS_METRIC_LINES_H

#include <stddef.h>
#include <stdint.h>

#define METRIC_KEY_MAX 250
#define METRIC_LINE_PREFIX "CROWDLOOP_METRIC "

typedef struct metric_point {
	char key[METRIC_KEY_MAX + 1];
	double value;
	int64_t step; /* 0 when the line gives none */
} metric_point;

/* Parses one log line (without its newline, `len` bytes): 1 and *out when it is a metric line
 * with a key of [A-Za-z0-9_./-] and a finite value, else 0. */
int metric_line_parse(const char *line, size_t len, metric_point *out);
/* Parses one line of metrics.jsonl the same way: 1 and *out, else 0. */
int metric_json_parse(const char *line, size_t len, metric_point *out);

#endif
