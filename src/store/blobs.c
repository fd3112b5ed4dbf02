/* Content-addressed blob files. */
#include "store/blobs.h"
#include "util/err.h"
#include "util/log.h"

#include <errno.h>
#include <string.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

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

int blob_remove(const char *data_dir, const char *hash)
{
	char path[4096];
	return blob_path(data_dir, hash, path, sizeof path) || unlink(path) ? -1 : 0;
}

int blob_put(const char *data_dir, const char *hash, const void *data, size_t len)
{
	char path[4096], dir[4096], tmp[4200];
	if (blob_path(data_dir, hash, path, sizeof path))
		return CL_EINVAL;
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
