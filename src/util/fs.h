/* File-system helpers. */
#ifndef CROWDLOOP_UTIL_FS_H
#define CROWDLOOP_UTIL_FS_H

#include <stddef.h>

/* mkdir -p: makes `path` and any missing parents, each new one owner-only (0700). 0 when the
 * directory exists afterwards, -1 with errno set otherwise. */
int fs_make_dirs(const char *path);

/* Reads a whole file of at most `max` bytes into a new NUL-terminated string (free() it);
 * NULL with errno set when it cannot (EFBIG when it is larger). */
char *fs_read_all(const char *path, size_t max);
/* The same, sized by the file (not by `max`), with its length in *len: for binary files. */
char *fs_read_all_n(const char *path, size_t max, size_t *len);

#endif
