/* Content-addressed files under DATA_DIR/blobs/ab/abcdef…: written to a temporary name, synced
 * and renamed, so a blob is either whole or absent. Names are SHA-256 hex digests only, so no
 * name from a request ever becomes a path.
 *
 * The same bytes are one file for every row that names them (items.blob, predictions.input_blob),
 * and the rows that name a blob are written after its file. So that letting go of a blob never
 * removes the file of a reference on its way: blob_put holds the hash until the writer of the
 * reference calls blob_release (its transaction ended), and blob_let_go removes a file only
 * after the commit that dropped its last reference, when no one holds it and no committed row
 * names it, all decided under one lock. A put that comes after the removal finds no file and
 * writes it again. */
#ifndef CROWDLOOP_STORE_BLOBS_H
#define CROWDLOOP_STORE_BLOBS_H

#include <stdbool.h>
#include <stddef.h>

/* The hex SHA-256 of bytes. */
void blob_hash(const void *data, size_t len, char out[65]);
/* Stores bytes under their hash (a no-op when present) and holds the hash: the caller calls
 * blob_release(hash) once the transaction that names the blob has ended (committed or not).
 * Returns 0, CL_EUNAVAIL (disk full) or CL_EINTERNAL; nothing is held after a failure. */
int blob_put(const char *data_dir, const char *hash, const void *data, size_t len);
/* Lets go of one hold blob_put took; NULL is fine. */
void blob_release(const char *hash);
/* Whether a committed row names blob `hash` (read after the let-go's commit). */
typedef bool blob_named_fn(void *ctx, const char *hash);
/* Removes blob `hash`'s file unless a blob_put holds it or named(ctx, hash): call it after the
 * commit of the transaction that dropped the blob's last reference. 1 when removed, else 0. */
int blob_let_go(const char *data_dir, const char *hash, blob_named_fn *named, void *ctx);
/* The path of a blob; -1 when `hash` is not 64 hex digits. */
int blob_path(const char *data_dir, const char *hash, char *out, size_t size);

#endif
