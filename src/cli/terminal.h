/* What the CLI shows on a terminal: server text with control characters neutralised, table
 * cells measured in columns (wide characters count two), the text of JSON scalars for a table,
 * and a one-line progress display. */
#ifndef CROWDLOOP_CLI_TERMINAL_H
#define CROWDLOOP_CLI_TERMINAL_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

/* Prints s with control characters (C0, DEL, C1, ESC) shown as '?', so that text from the
 * server cannot move the cursor or recolour the terminal. */
void terminal_fput_text(FILE *out, const char *s);
/* Prints s as a table cell `width` columns wide (left or right aligned), cut with "~" past
 * `width`; wide (East Asian) characters count two columns. */
void terminal_fput_cell(FILE *out, const char *s, int width, int right);
/* Terminal columns s takes (UTF-8; wide characters count two). */
int terminal_text_width(const char *s);

/* The text of a JSON scalar for a table: a string as is (borrowed from v), a number
 * formatted into tmp, "true"/"false", or "-" for null or a missing value. */
const char *terminal_json_text(const json_t *v, char *tmp, size_t size);

/* A column of a table of JSON objects: its heading, the member it shows, its width, and
 * whether its text is left aligned (numbers are right aligned). */
typedef struct terminal_column {
	const char *title, *key;
	int width;
	int left;
} terminal_column;

/* The headings of a table's n columns, one line on out. */
void terminal_table_head(FILE *out, const terminal_column *cols, size_t n);
/* Object's members as one line of the table. */
void terminal_table_row(FILE *out, const terminal_column *cols, size_t n, const json_t *object);
/* v as indented JSON and a newline, on stdout: what `--json` prints. */
void terminal_print_json(const json_t *v);

/* A one-line progress display on stderr, drawn at most ten times a second. */
typedef struct terminal_progress {
	const char *label; /* borrowed */
	int enabled;	   /* draw anything at all (e.g. isatty(2)) */
	int drawn;	   /* something is on the line */
	int64_t last_ns;
} terminal_progress;

void terminal_progress_init(terminal_progress *p, const char *label, int enabled);
/* A client_progress_fn (cli/client.h); arg is the terminal_progress. */
void terminal_progress_update(void *arg, int64_t done, int64_t total);
/* Clears the line so later output starts clean. */
void terminal_progress_end(terminal_progress *p);

#endif
