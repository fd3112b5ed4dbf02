/* A SQLite VFS over the platform's own that gathers a connection's WAL writes in memory and
 * writes them out together when the WAL is synced: a commit's frames (two writes each: a
 * header, then the page) leave in one write per 124 KiB instead of two system calls a page. */
#ifndef CROWDLOOP_STORE_WAL_VFS_H
#define CROWDLOOP_STORE_WAL_VFS_H

/* The name to open a connection with (sqlite3_open_v2's zVfs). On such a connection a sync of
 * the WAL writes what was gathered and does not flush it to disk: the connection must run with
 * PRAGMA synchronous=FULL, so that SQLite syncs the WAL before it publishes a commit, and the
 * caller flushes the WAL file itself before it calls a commit durable. */
#define WAL_VFS_NAME "crowdloop-wal"

/** Registers the VFS (once per process; later calls do nothing). 0, or CL_EINTERNAL. */
int wal_vfs_register(void);

#endif
