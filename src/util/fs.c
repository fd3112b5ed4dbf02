/* File-system helpers. */
#include "util/fs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
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

char *fs_read_all(const char *path, size_t max)
{
	FILE *f = fopen(path, "rbe");
	if (!f)
		return NULL;
	char *data = malloc(max + 1);
	size_t n = data ? fread(data, 1, max + 1, f) : 0;
	int failed = !data || ferror(f);
	fclose(f);
	if (failed || n > max) {
		free(data);
		errno = failed ? (data ? EIO : ENOMEM) : EFBIG;
		return NULL;
	}
	data[n] = '\0';
	return data;
}

char *fs_read_all_n(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rbe");
	struct stat st;
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || st.st_size < 0 || (unsigned long long)st.st_size > max) {
		fclose(f);
		errno = EFBIG;
		return NULL;
	}
	size_t size = (size_t)st.st_size;
	char *data = malloc(size + 1);
	size_t n = data ? fread(data, 1, size, f) : 0;
	int failed = !data || ferror(f) || n != size;
	fclose(f);
	if (failed) {
		free(data);
		errno = data ? EIO : ENOMEM;
		return NULL;
	}
	data[n] = '\0';
	*len = n;
	return data;
}
