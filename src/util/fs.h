/* File-system helpers. */
#ifndef CROWDLOOP_UTIL_FS_H
#define CROWDLOOP_UTIL_FS_H

/* mkdir -p: makes `path` and any missing parents, each new one owner-only (0700). 0 when the
 * directory exists afterwards, -1 with errno set otherwise. */
int fs_make_dirs(const char *path);

#endif
