/* The import use case: what an upload brings into a project. A closed project takes nothing;
 * an entry of the wrong item type is rejected by name; every upload (and every file of a
 * multipart one) is parsed once against the limits before anything is written, so an import
 * over its limits imports nothing; the entries that pass are written in batches, duplicates
 * of items already in the project (by content hash) counted, not inserted. Parsing is
 * core/import.c's; the rows are the store's. */
#ifndef CROWDLOOP_CORE_IMPORT_JOB_H
#define CROWDLOOP_CORE_IMPORT_JOB_H

#include <jansson.h>
#include <stddef.h>

#include "core/import.h"
#include "core/project.h"
#include "store/ops.h"

/* The pre-fill of imported images (the API's OCR endpoint), opened for each upload written. */
typedef struct import_prefill {
	/* Opens it for one upload; `why` says why it is off (empty: nothing to say). */
	void (*open)(void *ctx, char *why, size_t why_size);
	/* The pre-annotation of image entry e (a new reference), or NULL with `why` set when
	 * there is none to give (why empty: nothing to say). */
	json_t *(*image)(void *ctx, const import_entry *e, char *why, size_t why_size);
	void (*close)(void *ctx);
} import_prefill;

/* Where an import goes and what it may do. */
typedef struct import_target {
	const store *s;
	const char *data_dir;	  /* images become blobs under it */
	const project *p;	  /* the project the items join */
	int64_t max_image_pixels; /* 0: the default */
	const import_prefill *prefill; /* NULL: no pre-fill */
	void *prefill_ctx;
	/* A background import's record (core/import_runs.h), NULL for others: import_whole
	 * stores the items and turns it done in one transaction. Filled by the time of
	 * before_store. */
	const import_record *record;
} import_target;

/* One file of an upload. */
typedef struct import_file {
	const char *name;
	const void *data;
	size_t len;
	const char *content_type; /* NULL: typed by its name and bytes */
} import_file;

/* A new, empty import report:
 * {"accepted","duplicates","rejected","item_ids","duplicate_entries","rejections"}. */
json_t *import_report_new(void);
/* Adds a rejection (line 0: none) to the report. */
void import_report_reject(json_t *report, const char *source, long line, const char *reason);

/* CL_ECONFLICT when project p takes no items (it is closed). */
int import_project_open(const project *p, cl_error *err);
/* Imports one upload of `content_type` (NULL: typed by its name and bytes), named `source`:
 * checked whole against the limits first, then written. An unsafe source name is a rejection
 * in the report, and nothing else. */
int import_upload(const import_target *t, const char *content_type, const char *source,
		  const void *data, size_t len, json_t *report, cl_error *err);
/* Imports the files of a multipart upload, each typed by its name and bytes: every one is
 * checked against the limits before any is written. */
int import_files(const import_target *t, const import_file *files, size_t n, json_t *report,
		 cl_error *err);
/* Imports uploads all or nothing, a background import's work: every entry is parsed and held
 * (progress in `pr`, which may be NULL, and stopped by its cancel), `before_store` (may be NULL)
 * may still refuse, then all are written in one transaction. An unsafe name is a rejection. */
int import_whole(const import_target *t, const import_file *files, size_t n,
		 import_progress *pr, int (*before_store)(void *arg, cl_error *err), void *arg,
		 json_t *report, cl_error *err);
/* Writes one upload's entries without the check first (the demo's own data). */
int import_write(const import_target *t, const char *content_type, const char *source,
		 const void *data, size_t len, json_t *report, cl_error *err);

#endif
