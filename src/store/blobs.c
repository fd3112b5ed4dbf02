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

/* An import holds up to a whole upload's images (10,000 a batch, or all of a background
 * import's): a hash table of chains, keyed by the hash's first hex digits. */
typedef struct blob_hold {
	struct blob_hold *next;
	int count;
	char hash[65];
} blob_hold;

#define HOLD_BUCKETS 4096

static pthread_mutex_t holds_lock = PTHREAD_MUTEX_INITIALIZER;
static blob_hold *holds[HOLD_BUCKETS];

/* The chain of `hash` (hex: its first three digits pick the bucket). */
static blob_hold **hold_chain(const char *hash)
{
	unsigned b = 0;
	for (int i = 0; i < 3 && hash[i]; i++)
		b = b * 16 + (unsigned)(hash[i] <= '9' ? hash[i] - '0' : (hash[i] | 0x20) - 'a' + 10);
	return &holds[b % HOLD_BUCKETS];
}

/* Where the hold of `hash` is linked (*result NULL when none); under holds_lock. */
static blob_hold **hold_find(const char *hash)
{
	blob_hold **at = hold_chain(hash);
	while (*at && strcmp((*at)->hash, hash))
		at = &(*at)->next;
	return at;
}

/* Takes a hold of `hash`; CL_ENOMEM when it cannot. */
static int hold_take(const char *hash)
{
	int rc = 0;
	pthread_mutex_lock(&holds_lock);
	blob_hold **at = hold_find(hash);
	if (!*at && (*at = calloc(1, sizeof **at)))
		snprintf((*at)->hash, sizeof (*at)->hash, "%s", hash);
	if (*at)
		(*at)->count++;
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
	blob_hold **at = hold_find(hash), *h = *at;
	if (h && --h->count == 0) {
		*at = h->next;
		free(h);
	}
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
	bool keep = *hold_find(hash) || named(ctx, hash);
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
