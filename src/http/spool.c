/* Upload spools: an upload's bytes go to an unnamed file (O_TMPFILE, 0600) in the spool
 * directory as they arrive, and the file is mapped read-only once the body is complete, so a
 * 256 MiB upload costs page cache the kernel may reclaim, not 256 MiB of heap per client. The
 * file has no name: it disappears when the request ends, or when the process dies. */
#include "http/http.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void http_spool_init(http_spool *sp, size_t max)
{
	*sp = (http_spool){.fd = -1, .max = max};
}

/* An unnamed file in `dir`; where O_TMPFILE is not supported, a named one unlinked at once. */
static int spool_open(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
	if (fd >= 0 || (errno != EOPNOTSUPP && errno != EISDIR && errno != ENOENT))
		return fd;
	char path[4096];
	if (snprintf(path, sizeof path, "%s/upload.XXXXXX", dir) >= (int)sizeof path)
		return -1;
	fd = mkostemp(path, O_CLOEXEC); /* mode 0600 */
	if (fd >= 0)
		unlink(path);
	return fd;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return errno == ENOSPC || errno == EDQUOT ? CL_EUNAVAIL : CL_EINTERNAL;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

int http_spool_append(http_spool *sp, const char *dir, const void *data, size_t n)
{
	if (n > sp->max - sp->len)
		return CL_ETOOBIG;
	if (sp->fd < 0 && (sp->fd = spool_open(dir)) < 0)
		return errno == ENOSPC || errno == EDQUOT ? CL_EUNAVAIL : CL_EINTERNAL;
	int rc = write_all(sp->fd, data, n);
	if (!rc)
		sp->len += n;
	return rc;
}

int http_spool_finish(http_spool *sp)
{
	if (!sp->len || sp->data)
		return 0;
	/* A NUL after the bytes, as a buf has: readers may stop at it. */
	int rc = write_all(sp->fd, "", 1);
	if (rc)
		return rc;
	void *m = mmap(NULL, sp->len + 1, PROT_READ, MAP_PRIVATE, sp->fd, 0);
	if (m == MAP_FAILED)
		return CL_ENOMEM;
	sp->data = m;
	return 0;
}

void http_spool_release(http_spool *sp)
{
	if (sp->data)
		munmap((void *)sp->data, sp->len + 1);
	if (sp->fd >= 0)
		close(sp->fd);
	http_spool_init(sp, sp->max);
}
