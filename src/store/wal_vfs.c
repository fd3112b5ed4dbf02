/* The WAL-gathering VFS (wal_vfs.h).
 *
 * SQLite writes each WAL frame with two calls (its 24-byte header, then the page), so a commit of
 * fifty pages cost a hundred pwrite() calls on the writer thread, the store's one serial path.
 * Here a WAL file opened through this VFS keeps those writes in a buffer and writes it in one
 * call per 124 KiB when SQLite syncs the WAL, which on a synchronous=FULL connection it does after
 * the last frame of a commit and before it publishes the commit to readers: so readers never see a
 * frame that is not in the file, and a failed write fails the commit as it would have without the
 * buffer. The sync itself is left to the store's syncer, which flushes the file once per
 * group. Anything else done to the WAL file (a read, a truncation, its size, closing it) first
 * writes what is buffered. Every other file passes through to the platform's VFS untouched. */
#include "store/wal_vfs.h"
#include "store/faults.h"
#include "util/err.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* What a WAL file may hold back at most; a longer write run is written as it grows. */
#define WAL_BUFFER_MAX (8 << 20)
#define WAL_BUFFER_START (256 << 10)

typedef struct wal_file {
	sqlite3_file base;  /* pMethods = &wal_methods */
	sqlite3_file *real; /* the platform's file, in the memory right after this struct */
	unsigned char *buf;
	size_t len, cap;
	sqlite3_int64 off; /* the file offset of buf[0] */
} wal_file;

static sqlite3_vfs *real_vfs;
static sqlite3_vfs wal_vfs;

/* The most the platform VFS writes in one call (its unix xWrite takes 128 KiB at most). */
#define WAL_WRITE_MAX (124 << 10)

/* Writes what is buffered; SQLite's error code of the write, or SQLITE_OK. */
static int wal_flush(wal_file *w)
{
	int rc = SQLITE_OK;
	for (size_t done = 0; rc == SQLITE_OK && done < w->len; done += WAL_WRITE_MAX) {
		size_t n = w->len - done < WAL_WRITE_MAX ? w->len - done : WAL_WRITE_MAX;
		rc = store_fault_hit(STORE_FAULT_WRITE)
			 ? SQLITE_IOERR_WRITE
			 : w->real->pMethods->xWrite(w->real, w->buf + done, (int)n,
						     w->off + (sqlite3_int64)done);
	}
	w->len = 0;
	return rc;
}

static int wal_close(sqlite3_file *f)
{
	wal_file *w = (wal_file *)f;
	int rc = wal_flush(w);
	int rc_close = w->real->pMethods->xClose(w->real);
	free(w->buf);
	w->buf = NULL;
	return rc != SQLITE_OK ? rc : rc_close;
}

static int wal_read(sqlite3_file *f, void *out, int amt, sqlite3_int64 ofst)
{
	wal_file *w = (wal_file *)f;
	int rc = wal_flush(w);
	return rc != SQLITE_OK ? rc : w->real->pMethods->xRead(w->real, out, amt, ofst);
}

/* Room for `need` bytes in the buffer, grown up to WAL_BUFFER_MAX; false when there is none. */
static bool wal_room(wal_file *w, size_t need)
{
	if (need <= w->cap)
		return true;
	if (need > WAL_BUFFER_MAX)
		return false;
	size_t cap = w->cap ? w->cap : WAL_BUFFER_START;
	while (cap < need)
		cap *= 2;
	if (cap > WAL_BUFFER_MAX)
		cap = WAL_BUFFER_MAX;
	unsigned char *grown = realloc(w->buf, cap);
	if (!grown)
		return false;
	w->buf = grown;
	w->cap = cap;
	return true;
}

static int wal_write(sqlite3_file *f, const void *data, int amt, sqlite3_int64 ofst)
{
	wal_file *w = (wal_file *)f;
	size_t n = (size_t)amt;
	/* Frames follow one another; any other write (the WAL's header, a frame rewritten in place)
	 * goes after what is buffered, so writes reach the file in SQLite's order. */
	if (w->len && ofst == w->off + (sqlite3_int64)w->len && wal_room(w, w->len + n)) {
		memcpy(w->buf + w->len, data, n);
		w->len += n;
		return SQLITE_OK;
	}
	int rc = wal_flush(w);
	if (rc != SQLITE_OK)
		return rc;
	if (!wal_room(w, n))
		return store_fault_hit(STORE_FAULT_WRITE)
			   ? SQLITE_IOERR_WRITE
			   : w->real->pMethods->xWrite(w->real, data, amt, ofst);
	memcpy(w->buf, data, n);
	w->len = n;
	w->off = ofst;
	return SQLITE_OK;
}

static int wal_truncate(sqlite3_file *f, sqlite3_int64 size)
{
	wal_file *w = (wal_file *)f;
	int rc = wal_flush(w);
	return rc != SQLITE_OK ? rc : w->real->pMethods->xTruncate(w->real, size);
}

/* Writes the buffer and stops there: the store's syncer flushes the file (wal_vfs.h). */
static int wal_sync(sqlite3_file *f, int flags)
{
	(void)flags;
	if (store_fault_hit(STORE_FAULT_SYNC))
		return SQLITE_IOERR_FSYNC;
	return wal_flush((wal_file *)f);
}

static int wal_file_size(sqlite3_file *f, sqlite3_int64 *size)
{
	wal_file *w = (wal_file *)f;
	int rc = wal_flush(w);
	return rc != SQLITE_OK ? rc : w->real->pMethods->xFileSize(w->real, size);
}

static int wal_lock(sqlite3_file *f, int level)
{
	wal_file *w = (wal_file *)f;
	return w->real->pMethods->xLock(w->real, level);
}

static int wal_unlock(sqlite3_file *f, int level)
{
	wal_file *w = (wal_file *)f;
	return w->real->pMethods->xUnlock(w->real, level);
}

static int wal_check_reserved_lock(sqlite3_file *f, int *out)
{
	wal_file *w = (wal_file *)f;
	return w->real->pMethods->xCheckReservedLock(w->real, out);
}

static int wal_file_control(sqlite3_file *f, int op, void *arg)
{
	wal_file *w = (wal_file *)f;
	int rc = wal_flush(w);
	return rc != SQLITE_OK ? rc : w->real->pMethods->xFileControl(w->real, op, arg);
}

static int wal_sector_size(sqlite3_file *f)
{
	wal_file *w = (wal_file *)f;
	return w->real->pMethods->xSectorSize(w->real);
}

static int wal_device_characteristics(sqlite3_file *f)
{
	wal_file *w = (wal_file *)f;
	return w->real->pMethods->xDeviceCharacteristics(w->real);
}

/* Version 1: SQLite maps and locks shared memory through the database file, never the WAL. */
static const sqlite3_io_methods wal_methods = {
    .iVersion = 1,
    .xClose = wal_close,
    .xRead = wal_read,
    .xWrite = wal_write,
    .xTruncate = wal_truncate,
    .xSync = wal_sync,
    .xFileSize = wal_file_size,
    .xLock = wal_lock,
    .xUnlock = wal_unlock,
    .xCheckReservedLock = wal_check_reserved_lock,
    .xFileControl = wal_file_control,
    .xSectorSize = wal_sector_size,
    .xDeviceCharacteristics = wal_device_characteristics,
};

static int wal_open(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *f, int flags,
		    int *out_flags)
{
	(void)vfs;
	if (!(flags & SQLITE_OPEN_WAL))
		return real_vfs->xOpen(real_vfs, name, f, flags, out_flags);
	wal_file *w = (wal_file *)f;
	memset(w, 0, sizeof *w);
	w->real = (sqlite3_file *)(w + 1);
	int rc = real_vfs->xOpen(real_vfs, name, w->real, flags, out_flags);
	if (rc != SQLITE_OK) {
		if (w->real->pMethods)
			w->real->pMethods->xClose(w->real);
		w->base.pMethods = NULL;
		return rc;
	}
	w->base.pMethods = &wal_methods;
	return SQLITE_OK;
}

static int register_rc;

static void register_once(void)
{
	real_vfs = sqlite3_vfs_find(NULL);
	if (!real_vfs) {
		register_rc = CL_EINTERNAL;
		return;
	}
	/* Everything but opening a file is the platform VFS's own, app data included. */
	wal_vfs = *real_vfs;
	wal_vfs.pNext = NULL;
	wal_vfs.zName = WAL_VFS_NAME;
	wal_vfs.szOsFile = (int)sizeof(wal_file) + real_vfs->szOsFile;
	wal_vfs.xOpen = wal_open;
	if (sqlite3_vfs_register(&wal_vfs, 0) != SQLITE_OK)
		register_rc = CL_EINTERNAL;
}

int wal_vfs_register(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, register_once);
	return register_rc;
}
