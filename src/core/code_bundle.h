/* A custom job's code bundle: a tar.gz uploaded once, checked as imports check archives
 * (plain files and folders only, no link, no absolute path, no "..", bounded entries and
 * inflated size), stored content-addressed as <data_dir>/code/<sha256>.tar.gz and extracted
 * into a job's working directory before its command runs. */
#ifndef CROWDLOOP_CORE_CODE_BUNDLE_H
#define CROWDLOOP_CORE_CODE_BUNDLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define CODE_BUNDLE_MAX_BYTES (64u << 20)	    /* of the tar.gz as uploaded */
#define CODE_BUNDLE_MAX_ENTRIES 10000		    /* files and folders */
#define CODE_BUNDLE_MAX_INFLATED ((int64_t)1 << 30) /* its files' bytes, all together */

/* Checks bundle d[0..n) and stores it under data_dir; its sha256 (hex) in sha, its file count
 * in *files. 400 naming the first bad entry, 413 past the limits. Storing the same bundle
 * again is harmless. */
int code_bundle_store(const char *data_dir, const void *d, size_t n, char sha[65], size_t *files,
		      cl_error *err);
/* Whether bundle `sha` (64 lowercase hex digits) is stored under data_dir. */
bool code_bundle_exists(const char *data_dir, const char *sha);
/* Extracts stored bundle `sha` into folder `dest`, which exists; no file outside it is
 * written, nothing there is overwritten. */
int code_bundle_extract(const char *data_dir, const char *sha, const char *dest, cl_error *err);

#endif
