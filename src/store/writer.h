/* The store's writer (writer.c): one thread runs every state change and commits them in groups
 * (many jobs, one transaction, one fsync); a durable store's syncer flushes each group's WAL
 * before its callers hear of it. */
#ifndef CROWDLOOP_STORE_WRITER_H
#define CROWDLOOP_STORE_WRITER_H

#include <semaphore.h>
#include <stdint.h>

#include "store/conn.h"
#include "util/err.h"

/* A write job: runs in the writer thread inside a savepoint of the current group transaction.
 * Returning non-zero rolls back what the job wrote (the rest of the group commits). */
typedef int (*db_write_fn)(db_conn *c, void *ctx, cl_error *err);

/* Runs `fn` in the writer thread and waits until its group has committed. Returns fn's result,
 * or CL_EINTERNAL/CL_EUNAVAIL when the commit failed or the store is closing. */
int db_write(db *d, db_write_fn fn, void *ctx, cl_error *err);

/* Like db_write, but returns at once (0, or CL_EUNAVAIL when the store is closing, and then
 * `done` is never called): done(arg, rc) runs on a store thread once the job's group is
 * durable or has failed, with fn's result. ctx and err must live until then; `done` should
 * only hand the outcome on, as the store's threads wait for it. */
typedef void (*db_done_fn)(void *arg, int rc);
int db_write_async(db *d, db_write_fn fn, void *ctx, cl_error *err, db_done_fn done, void *arg);
/* Like db_write_async, for a job that may run more than once before its group commits: fn must
 * set all it hands back anew each time it runs. Such jobs in a row share one savepoint, which
 * costs less than one each; when one of them fails after writing, they are rolled back
 * together and each runs again in a savepoint of its own. */
int db_write_async_rerunnable(db *d, db_write_fn fn, void *ctx, cl_error *err, db_done_fn done,
			      void *arg);
/* A part of many jobs' writes that the writer merges over their group (db_write_async_merged):
 * it runs once a group, just before the commit, with the ctx of each of the group's jobs queued
 * with it that succeeded, ctxs[0] to ctxs[n - 1], in their order. */
typedef int (*db_group_fn)(db_conn *c, void *const *ctxs, int n, cl_error *err);
/* Like db_write_async_rerunnable, for a job with a part that many jobs merge: one counter's
 * UPDATE a group instead of one a job, in the same commit, as durable as the job's own writes.
 * When `merged` fails, the whole group rolls back and each of its jobs fails. */
int db_write_async_merged(db *d, db_write_fn fn, db_group_fn merged, void *ctx, cl_error *err,
			  db_done_fn done, void *arg);
/* Waiting for a db_write_async job (db_write is one): init, pass db_wait_done and the db_wait
 * as done/arg, then db_wait_for returns the job's result. */
typedef struct db_wait {
	sem_t done;
	int rc;
} db_wait;
void db_wait_init(db_wait *w);
void db_wait_done(void *w, int rc);
int db_wait_for(db_wait *w);
/* Registers a job the writer runs about every `period_ms` (lease expiry). One only. */
void db_set_periodic(db *d, db_write_fn fn, void *ctx, int period_ms);
/* A durable store commits a group at most once every `us` microseconds (0, the default: as soon
 * as the syncer has flushed the last one). Writes arriving meanwhile join the open group, so a
 * light load shares a flush among more writes, for up to `us` more latency each: fewer flushes
 * a second, which on a virtual machine each cost the host time it may take back by stopping
 * the guest (docs/BENCHMARKS.md). Under a load whose flushes already come less often, nothing
 * changes. */
void db_set_commit_interval(db *d, unsigned us);

/* What the writer did since the store opened: group commits, the write jobs they held, the
 * pages they wrote to the WAL, and the flushes of the WAL that made them durable (one flush
 * covers every group committed while the previous one ran; none when not durable). */
typedef struct db_stats {
	uint64_t commits, jobs, pages, syncs;
	/* Nanoseconds the writer spent running jobs and committing groups, and the syncer
	 * flushing the WAL: the writer is the one thread every change passes through. */
	uint64_t run_ns, commit_ns, flush_ns;
	/* The checkpointer's restarts of the WAL (each holds the write lock: no group commits
	 * meanwhile) and the nanoseconds they took. */
	uint64_t wal_restarts, wal_restart_ns;
} db_stats;
void db_write_stats(db *d, db_stats *out);
/* False after a write failed for want of disk space, until a later commit writes with at least
 * 1 MiB more free than there was then. */
bool db_can_write(db *d);
/* Says that a file of the store's (an upload's spool, a blob) could not be written for want of
 * disk space: db_can_write is false from now, as after a failed write of the store's own. */
void db_disk_full(db *d);
/* ---- for db_open and db_close (conn.c) ---- */

/* Makes the freshly migrated writer connection the store's: flushes a durable store's WAL,
 * stamps the access epochs and watches the access tables. */
int db_writer_adopt(db *d, cl_error *err);
/* Starts the syncer (durable stores) and the writer thread. */
int db_writer_start(db *d, cl_error *err);
/* Stops the writer once it has finished queued jobs, then the syncer after the last flush. */
void db_writer_stop(db *d);

#endif
