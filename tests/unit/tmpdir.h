/* Temporary directories for the unit tests: made under /tmp, removed with all they hold. */
#ifndef CROWDLOOP_TESTS_TMPDIR_H
#define CROWDLOOP_TESTS_TMPDIR_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Makes /tmp/crowdloop-NAME-XXXXXX into `dir` (size bytes); 0, or -1 when it cannot. */
static inline int tmpdir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/crowdloop-%s-XXXXXX", name);
	return mkdtemp(dir) ? 0 : -1;
}

static inline int tmpdir_remove_entry(const char *path, const struct stat *st, int flag,
				      struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* Removes `dir` and everything in it, without following links; 0, or -1 on a failure. */
static inline int tmpdir_remove(const char *dir)
{
	return nftw(dir, tmpdir_remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#endif
