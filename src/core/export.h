/* Streaming export writers: approved rows in, the bytes of a file format out, one row at a
 * time so memory stays constant whatever the number of rows. Formats: JSONL and CSV (every
 * kind), COCO (image_bbox, image_class), YOLO and Pascal VOC (image_bbox, zip archives written
 * with libarchive, optionally with the images), CoNLL-2003 BIO (text_spans), Label Studio
 * JSON (the four labeling kinds), preference pairs and chat JSONL (the LLM kinds) and an OCR
 * table (image_transcription; core/export_kinds.h). A writer pulls rows from an export_source and is itself pulled: each
 * export_writer_step() appends the next piece of output, so an HTTP response callback or a file
 * loop can drive it. No SQL and no HTTP here. */
#ifndef CROWDLOOP_CORE_EXPORT_H
#define CROWDLOOP_CORE_EXPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/export_types.h"
#include "core/project.h"
#include "util/buf.h"
#include "util/err.h"

/* Where rows come from. The rows of a second pass (after rewind) are the same as the first. */
typedef struct export_source {
	/* Fills *row with the next row: 1, or 0 at the end, or a negative error code. */
	int (*next)(void *ctx, export_row *row);
	/* Starts again from the first row of the same snapshot; 0 or a negative error code. */
	int (*rewind)(void *ctx);
	/* Replaces `out` with the bytes of an image row's file; a negative code when missing. */
	int (*read_blob)(void *ctx, const export_row *row, buf *out);
	void *ctx;
} export_source;

typedef enum export_format {
	EXPORT_JSONL,
	EXPORT_CSV,
	EXPORT_COCO,
	EXPORT_YOLO,
	EXPORT_VOC,
	EXPORT_CONLL,
	EXPORT_LABELSTUDIO,
	EXPORT_PREFERENCE_PAIRS,
	EXPORT_CHAT,
	EXPORT_OCR_TSV,
	EXPORT_FORMAT_COUNT,
} export_format;

/* One export format, a row of export_formats: GET /api/v1/formats serves the table, and the
 * functions below read it. */
typedef struct export_format_info {
	const char *name;	  /* the `format` query value: "coco" */
	const char *content_type; /* of the answer: "application/json" */
	const char *extension;	  /* of a file that holds it, without the dot: "json" */
	unsigned kinds;		  /* the task kinds it can hold: bit 1 << kind for each */
	bool archive;		  /* a zip, the only kind that can carry the images */
	const char *description;  /* one line for people */
} export_format_info;

/* Every format, in export_format order. */
extern const export_format_info export_formats[EXPORT_FORMAT_COUNT];

/* "jsonl", "csv", "coco", "yolo", "voc", "conll", "labelstudio", "preference_pairs", "chat",
 * "ocr_tsv"; parse returns CL_EINVAL. */
int export_format_parse(const char *name, export_format *out);
const char *export_format_name(export_format f);
/* Whether rows of `kind` can be written in format `f`. */
bool export_format_supports(export_format f, task_kind kind);
/* True for the zip formats (YOLO, VOC), the only ones that can carry the images. */
bool export_format_is_archive(export_format f);
/* The Content-Type and file extension of a format ("application/zip", "zip"). */
const char *export_content_type(export_format f);
const char *export_extension(export_format f);
/* The file extension of an image by its MIME type ("png"), "bin" when unknown. */
const char *export_image_extension(const char *mime);

typedef struct export_options {
	export_format format;
	task_kind kind;
	const json_t *labels;  /* borrowed array of label names: category / class order */
	bool with_images;      /* archive formats: pack each image beside its labels */
	bool all_pairs;	       /* preference_pairs: keep ties and low-agreement pairs */
} export_options;

typedef struct export_writer export_writer;

/* A writer over `src` (copied; its ctx stays the caller's). CL_EINVAL when the format does not
 * fit the kind, CL_ENOMEM. */
int export_writer_new(const export_options *o, const export_source *src, export_writer **out);
/* Appends the next piece of output to `out`: 1 while there is more, 0 when the file is
 * complete, or a negative error code (then export_writer_error says why). */
int export_writer_step(export_writer *w, buf *out);
/* Why the last step failed ("" when it did not). */
const char *export_writer_error(const export_writer *w);
/* Rows written so far. */
int64_t export_writer_rows(const export_writer *w);
void export_writer_free(export_writer *w);

/* ---- helpers shared with the importers ---- */

/* The UTF-16 length of the first `cp` code points of UTF-8 `s` (Label Studio's offsets), and
 * back: the code points in the first `u16` UTF-16 units. Both stop at the end of `s`. */
int64_t export_cp_to_utf16(const char *s, int64_t cp);
int64_t export_utf16_to_cp(const char *s, int64_t u16);

#endif
