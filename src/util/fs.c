/* File-system helpers. */
#include "util/fs.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>

int fs_make_dirs(const char *path)
{
	char p[PATH_MAX];
	size_t len = strlen(path);
	if (!len || len >= sizeof p) {
		errno = len ? ENAMETOOLONG : ENOENT;
		return -1;
	}
	memcpy(p, path, len + 1);
	for (char *c = p + 1; *c; c++) {
		if (*c != '/')
			continue;
		*c = '\0';
		int rc = mkdir(p, 0700);
		*c = '/';
		if (rc && errno != EEXIST)
			return -1;
	}
	if (mkdir(p, 0700) && errno != EEXIST)
		return -1;
	struct stat sb;
	if (stat(p, &sb))
		return -1;
	if (!S_ISDIR(sb.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}
