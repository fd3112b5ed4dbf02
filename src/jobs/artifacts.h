/* A job's output files as artifacts: each regular file under the output directory hashed
 * (SHA-256) and copied once under a content-addressed store directory (<dir>/<sha256>), written
 * to a temporary name and renamed, so an artifact is either whole or absent. */
#ifndef CROWDLOOP_JOBS_ARTIFACTS_H
#define CROWDLOOP_JOBS_ARTIFACTS_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define ARTIFACTS_MAX_FILES 1000
#define ARTIFACTS_MAX_BYTES (16LL << 30) /* of one job, all files together */

typedef struct artifact_file {
	char path[512]; /* relative to the output directory */
	char sha256[65];
	int64_t size;
} artifact_file;

typedef struct artifact_list {
	artifact_file *files;
	size_t n, cap;
} artifact_list;

/* Hashes and stores every regular file under `output_dir` into `store_dir` (made when missing),
 * adding them to `out` (artifacts_free releases it). Symbolic links are not followed. CL_ETOOBIG
 * past ARTIFACTS_MAX_FILES or ARTIFACTS_MAX_BYTES, CL_EINTERNAL on an I/O failure. */
int artifacts_collect(const char *output_dir, const char *store_dir, artifact_list *out,
		      cl_error *err);
void artifacts_free(artifact_list *l);
/* Whether `sha` is 64 lowercase hex digits, so it can name a stored file. */
int artifacts_name_ok(const char *sha);

#endif
