/* Content-addressed blob files. */
#include "store/blobs.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

static int blob_write(const char *data_dir, const char *hash, const char *path, const void *data,
		      size_t len);

void blob_hash(const void *data, size_t len, char out[65])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, data, len);
	sodium_bin2hex(out, 65, d, sizeof d);
}

int blob_path(const char *data_dir, const char *hash, char *out, size_t size)
{
	for (int i = 0; i < 64; i++) {
		char c = hash[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return -1;
	}
	if (hash[64])
		return -1;
	snprintf(out, size, "%s/blobs/%.2s/%s", data_dir, hash, hash + 2);
	return 0;
}

/* ---- holds: the blobs written for references not yet committed ---- */

/* A few at a time (the images of requests and imports in flight): a short array. */
typedef struct blob_hold {
	char hash[65];
	int count;
} blob_hold;

static pthread_mutex_t holds_lock = PTHREAD_MUTEX_INITIALIZER;
static blob_hold *holds;
static size_t holds_n, holds_cap;

/* The hold of `hash`, or NULL; under holds_lock. */
static blob_hold *hold_find(const char *hash)
{
	for (size_t i = 0; i < holds_n; i++)
		if (!strcmp(holds[i].hash, hash))
			return &holds[i];
	return NULL;
}

/* Takes a hold of `hash`; CL_ENOMEM when it cannot. */
static int hold_take(const char *hash)
{
	int rc = 0;
	pthread_mutex_lock(&holds_lock);
	blob_hold *h = hold_find(hash);
	if (!h && holds_n == holds_cap) {
		size_t cap = holds_cap ? holds_cap * 2 : 16;
		blob_hold *grown = realloc(holds, cap * sizeof *grown);
		if (grown) {
			holds = grown;
			holds_cap = cap;
		}
	}
	if (!h && holds_n < holds_cap) {
		h = &holds[holds_n++];
		snprintf(h->hash, sizeof h->hash, "%s", hash);
		h->count = 0;
	}
	if (h)
		h->count++;
	else
		rc = CL_ENOMEM;
	pthread_mutex_unlock(&holds_lock);
	return rc;
}

void blob_release(const char *hash)
{
	if (!hash)
		return;
	pthread_mutex_lock(&holds_lock);
	blob_hold *h = hold_find(hash);
	if (h && --h->count == 0)
		*h = holds[--holds_n];
	pthread_mutex_unlock(&holds_lock);
}

int blob_let_go(const char *data_dir, const char *hash, blob_named_fn *named, void *ctx)
{
	char path[4096];
	if (blob_path(data_dir, hash, path, sizeof path))
		return 0;
	/* Under the lock a put of the same bytes either held the hash already (and its row may
	 * be on its way: keep the file) or comes after the unlink and writes the file again. */
	pthread_mutex_lock(&holds_lock);
	bool keep = hold_find(hash) || named(ctx, hash);
	int removed = !keep && unlink(path) == 0;
	pthread_mutex_unlock(&holds_lock);
	return removed;
}

/* ---- files ---- */

int blob_put(const char *data_dir, const char *hash, const void *data, size_t len)
{
	char path[4096];
	if (blob_path(data_dir, hash, path, sizeof path))
		return CL_EINVAL;
	/* The hold first: a let-go that has not yet removed the file now keeps it. */
	if (hold_take(hash))
		return CL_EINTERNAL;
	int rc = blob_write(data_dir, hash, path, data, len);
	if (rc)
		blob_release(hash);
	return rc;
}

/* Writes the file unless present. */
static int blob_write(const char *data_dir, const char *hash, const char *path, const void *data,
		      size_t len)
{
	char dir[4096], tmp[4200];
	if (access(path, F_OK) == 0)
		return 0;
	snprintf(dir, sizeof dir, "%s/blobs", data_dir);
	mkdir(dir, 0700);
	snprintf(dir, sizeof dir, "%s/blobs/%.2s", data_dir, hash);
	mkdir(dir, 0700);
	snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)gettid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	const char *p = data;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			close(fd);
			unlink(tmp);
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) || close(fd) || rename(tmp, path)) {
		unlink(tmp);
		goto fail;
	}
	return 0;
fail:
	log_error("msg=\"cannot write blob\" path=\"%s\" error=\"%s\"", path, strerror(errno));
	return errno == ENOSPC || errno == EDQUOT ? CL_EUNAVAIL : CL_EINTERNAL;
}
