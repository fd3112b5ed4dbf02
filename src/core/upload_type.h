/* The uploads the importer takes, in one table: each Content-Type it reads, the other names
 * that type goes by, the file name extensions that mean it and the parser that reads it.
 * core/import.c and core/import_tools.c pick their parser from it, GET /api/v1/formats serves
 * it, and the CLI chooses a file's Content-Type from that answer. */
#ifndef CROWDLOOP_CORE_UPLOAD_TYPE_H
#define CROWDLOOP_CORE_UPLOAD_TYPE_H

#include <stdbool.h>
#include <stddef.h>

/* Which parser reads an upload. */
typedef enum upload_parser {
	UPLOAD_NONE,	  /* not an upload type: no row has it */
	UPLOAD_JSONL,	  /* one JSON object a line */
	UPLOAD_CSV,	  /* a header row with a "text" column */
	UPLOAD_TEXT,	  /* the whole file is one text item */
	UPLOAD_IMAGE,	  /* the whole file is one image item */
	UPLOAD_ARCHIVE,	  /* zip or tar (optionally gzipped) of other uploads */
	UPLOAD_TOOL_JSON, /* a Label Studio export or a COCO file (core/import_tools.h) */
} upload_parser;

/* One accepted Content-Type. */
typedef struct upload_type {
	const char *content_type;      /* the name a client should send: "application/x-ndjson" */
	const char *const *aliases;    /* other Content-Types read the same way; NULL-ended */
	const char *const *extensions; /* file name endings that mean it: ".jsonl"; NULL-ended */
	upload_parser parser;
	bool one_item_per_file;	 /* the file is one item, named after the file */
	const char *description; /* one line for people */
} upload_type;

/* The table, upload_types_count rows. */
extern const upload_type upload_types[];
extern const size_t upload_types_count;

/* The row whose Content-Type or alias is `ct` (case-insensitive; parameters such as
 * "; charset=utf-8" and white space around the type ignored), or NULL. */
const upload_type *upload_type_of_content_type(const char *ct);
/* The row whose extension ends the last path component of `name` (case-insensitive; the
 * longest such extension wins: ".tar.gz" before ".gz"), or NULL. */
const upload_type *upload_type_of_name(const char *name);

#endif
