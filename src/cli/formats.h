/* What a server takes and gives, as GET /api/v1/formats answers it (api/api_formats.c): the
 * upload types, by which `import` picks each file's Content-Type, and the export formats,
 * against which `export` checks --format. The CLI keeps no list of its own. */
#ifndef CROWDLOOP_CLI_FORMATS_H
#define CROWDLOOP_CLI_FORMATS_H

#include <jansson.h>
#include <stdio.h>

#include "cli/client.h"

/* The server's answer (a new reference in *out); without a token, the answer this binary's own
 * server code would give (the same core tables), so that arguments can be checked before a
 * login. Returns 0, or -1 after printing why (the server unreachable, an error answer). */
int formats_fetch(client *c, json_t **out);
/* The upload type (borrowed from formats) one of whose extensions ends the file name
 * (case-insensitive, the longest match), or NULL. */
json_t *formats_upload_for(const json_t *formats, const char *file);
/* The export format named `name` (borrowed from formats), or NULL. */
json_t *formats_export_named(const json_t *formats, const char *name);

/* Lines for a help text: each upload type's extensions and description. */
void formats_print_uploads(FILE *out, const json_t *formats);
/* Lines for a help text: each export format's name, kinds and description. */
void formats_print_exports(FILE *out, const json_t *formats);
/* "jsonl, csv, coco": the export formats' names, for a message. */
void formats_print_export_names(FILE *out, const json_t *formats);

#endif
