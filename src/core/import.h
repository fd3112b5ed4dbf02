/* Parsing raw data uploads into items: JSONL, CSV, text files, images and zip/tar archives
 * (libarchive). Pure parsing: hashing, dedupe and storing are the caller's. Every entry is
 * either handed to sink->item or reported to sink->reject with a reason; nothing is dropped. */
#ifndef CROWDLOOP_CORE_IMPORT_H
#define CROWDLOOP_CORE_IMPORT_H

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/project.h"

/* The default pixel budget of an imported image: 50 megapixels. */
#define IMPORT_MAX_IMAGE_PIXELS 50000000LL
/* At most this many images of IMPORT_HEAVY_PIXELS or more decode at once, across all imports:
 * each holds its whole pixel buffer (up to 4 bytes a pixel) while it decodes. */
#define IMPORT_HEAVY_PIXELS (1LL << 20)
#define IMPORT_HEAVY_DECODES 2

/* What a parse has read so far, read by others while it runs (a background import's progress),
 * and the flag that stops it. */
typedef struct import_progress {
	atomic_llong bytes_read; /* of the file being parsed: JSONL and CSV as they go, others whole */
	atomic_llong lines_read; /* the line of the last entry */
	atomic_llong items;	 /* entries taken as items */
	atomic_llong rejected;	 /* entries refused with a reason */
	atomic_bool cancel;	 /* set by another thread: the parse stops at its next entry */
} import_progress;

typedef struct import_limits {
	size_t max_text_bytes;     /* longer text is rejected: "text too long" (64 KiB) */
	size_t max_image_bytes;    /* (32 MiB) */
	int max_image_side;        /* pixels (16384) */
	/* Width × height, read from the header before any decode (IMPORT_MAX_IMAGE_PIXELS;
	 * `crowdloop serve --max-image-megapixels`). */
	int64_t max_image_pixels;
	size_t max_entry_bytes;    /* any one archive entry, before parsing it (256 MiB) */
	size_t max_entries;        /* items + rejections in one import (2,000,000) */
	/* What an archive's entries may expand to together, per byte of the archive (200): a
	 * 4 MB tar.gz of 4 GiB stops at 800 MB. */
	uint64_t max_inflate_ratio;
	int64_t max_cpu_ns;        /* CPU time of one parse, archives' inflation included (60 s) */
	/* A first pass that proves the import within its limits before anything is written:
	 * entries go to the sink as usual, but images are not decoded (an undecodable image is a
	 * rejection, never a stop). */
	bool check_only;
	/* The project Label Studio and COCO pre-annotations are mapped onto (import_tools.h);
	 * NULL (the default): converted by their own types, unchecked. Borrowed. */
	const project *project;
	/* Where the parse reports its progress and reads its cancel (CL_ECONFLICT once set);
	 * NULL: nobody watches. Borrowed. */
	import_progress *progress;
} import_limits;

/* The defaults listed above. */
void import_limits_default(import_limits *lim);

typedef struct import_entry {
	const char *source;          /* file or archive entry name, "body" for a plain body */
	long line;                   /* 1-based line for JSONL/CSV, 0 otherwise */
	item_type type;
	const char *text;            /* ITEM_TEXT: valid UTF-8, not empty, NUL-terminated */
	size_t text_len;
	const unsigned char *bytes;  /* ITEM_IMAGE: the file as uploaded */
	size_t bytes_len;
	const char *mime;            /* ITEM_IMAGE: from the bytes' signature, e.g. "image/png" */
	int width, height;           /* ITEM_IMAGE */
	const json_t *meta;          /* borrowed object, or NULL */
} import_entry;

/* Where parsed entries go. Everything passed is borrowed for the call only. A callback that
 * returns non-zero stops the parse, and import_parse returns that value. */
typedef struct import_sink {
	int (*item)(void *ctx, const import_entry *e);
	int (*reject)(void *ctx, const char *source, long line, const char *reason);
	void *ctx;
} import_sink;

/* Parses one upload. `content_type` (may be NULL or "application/octet-stream") picks the
 * format; otherwise the extension of `source` does, then the bytes' signature. Formats:
 * application/x-ndjson|application/jsonl|.jsonl, text/csv|.csv, text/plain|.txt (the whole file
 * is one item), images (.png .jpg .jpeg .gif .bmp, decoded with stb_image to prove they are
 * whole), application/zip|application/x-tar|application/gzip|.zip|.tar|.tar.gz|.tgz.
 * Archive entries with "..", an absolute path or a link are rejected ("unsafe path",
 * "link in archive"); directories are skipped; nested archives are rejected.
 * Returns 0 when the upload was read (even if every entry was rejected), CL_EMEDIA for an
 * unknown format of a plain body, or a sink's non-zero value.
 *
 * Details: `source` NULL reads as "body", `lim` NULL as the defaults. Only a name without an
 * extension is sniffed: an unknown extension is CL_EMEDIA for the upload and "unsupported file
 * type" for an archive entry. A UTF-8 BOM at the start
 * of JSONL, CSV and text is skipped; blank JSONL lines and empty CSV lines are skipped; text
 * that is only white space is "empty text", and a NUL byte in text counts as "invalid UTF-8".
 * Other reasons: "\"meta\" must be an object" (JSONL), "CSV has no \"text\" column" (the whole
 * file, line 0), "malformed CSV" (an unterminated quote, or text after a closing quote),
 * "too many fields" (a non-empty field past the header's columns), "malformed archive",
 * "entry too large" (past max_entry_bytes), "nested archive", "unsupported file type".
 * Archive entry sources are "<source>/<path>" without a leading "./"; macOS metadata entries
 * ("__MACOSX/", "._*", ".DS_Store") are skipped like directories. Past max_entries the parse
 * stops with CL_ETOOBIG; CL_ENOMEM when memory runs out. */
int import_parse(const char *content_type, const char *source, const unsigned char *data,
		 size_t len, const import_limits *lim, const import_sink *sink);

/* True for a file name that could land outside a folder: empty, absolute, or with a ".."
 * component. Used for archive entries and uploaded file names alike. */
bool import_path_unsafe(const char *name);

/* Validates UTF-8 (no overlongs, no surrogates, nothing past U+10FFFF): 1 when `s` is valid,
 * 0 when not. */
int import_utf8_valid(const char *s, size_t len);
/* The MIME type of image bytes an import would take (within `lim`'s sizes, its header
 * readable), with *width and *height; NULL when it would reject them. */
const char *import_image_facts(const import_limits *lim, const unsigned char *d, size_t n,
			       int *width, int *height);

#endif
