/* A dataset version written out as the trainers' dataset directory (THE DATASET DIRECTORY
 * CONTRACT of ml/trainer.h): project.json, rows.jsonl with each row's split, and the images of
 * image rows under images/. */
#ifndef CROWDLOOP_CORE_DATASET_DIR_H
#define CROWDLOOP_CORE_DATASET_DIR_H

#include <stdint.h>

#include "store/ops.h"

/* Writes version `dataset_id` into directory `dir` (made when missing); image blobs are read
 * from under `data_dir`. CL_ENOTFOUND for a missing version, CL_EINTERNAL on I/O failure. */
int dataset_dir_write(const store *s, int64_t dataset_id, const char *data_dir, const char *dir,
		      cl_error *err);

/* Writes version `dataset_id` as one file `path` in export format `format` (a row of
 * core/export.h's formats table that fits the version's kind), image archives with their
 * images. CL_EINVAL when the format does not fit, CL_EINTERNAL on I/O failure. */
int dataset_export_write(const store *s, int64_t dataset_id, const char *data_dir,
			 const char *format, const char *path, cl_error *err);

#endif
