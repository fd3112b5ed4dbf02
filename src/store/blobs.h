/* Content-addressed files under DATA_DIR/blobs/ab/abcdef…: written to a temporary name, synced
 * and renamed, so a blob is either whole or absent. Names are SHA-256 hex digests only, so no
 * name from a request ever becomes a path. */
#ifndef CROWDLOOP_STORE_BLOBS_H
#define CROWDLOOP_STORE_BLOBS_H

#include <stddef.h>

/* The hex SHA-256 of bytes. */
void blob_hash(const void *data, size_t len, char out[65]);
/* Stores bytes under their hash (a no-op when present); returns 0 or CL_EINTERNAL. */
int blob_put(const char *data_dir, const char *hash, const void *data, size_t len);
/* Removes a blob's file (the caller knows nothing names it any more); 0, or -1. */
int blob_remove(const char *data_dir, const char *hash);
/* The path of a blob; -1 when `hash` is not 64 hex digits. */
int blob_path(const char *data_dir, const char *hash, char *out, size_t size);

#endif
