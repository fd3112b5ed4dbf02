/* What the store's connection, writer and checkpointer files (conn.c, writer.c, checkpointer.c)
 * share and no other file sees: the layout of a store and of a connection, and the small helpers
 * the writer's hot path calls, kept inline as they were when these files were one. */
#ifndef CROWDLOOP_STORE_DB_INTERNAL_H
#define CROWDLOOP_STORE_DB_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <time.h>

#include "store/conn.h"
#include "store/writer.h"
#include "util/log.h"

#define STMT_CACHE_SLOTS 256

struct db_conn {
	sqlite3 *h;
	db *owner; /* NULL until the store adopts it */
	bool is_writer;
	uint64_t busy_since; /* when the writer's current wait for a lock began (writer_busy) */
	struct {
		void *mem;
		void (*release)(void *mem);
	} memo[DB_MEMO_COUNT];
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} cache[STMT_CACHE_SLOTS];
	db_conn *next_reader; /* list of readers to close */
};

typedef struct db_job {
	db_write_fn fn;
	void *ctx;
	cl_error *err;
	int rc;
	db_done_fn done; /* told the outcome once the job is durable; the job is then freed */
	void *done_arg;
	cl_error own_err;   /* for a job nobody waits on (the periodic one) */
	bool rerunnable;    /* may run again after a rollback (db_write_async_rerunnable) */
	db_group_fn merged; /* its part merged over the group before the commit, or NULL */
	struct db_job *next;
} db_job;

struct db {
	char path[4096];
	bool durable;
	db_conn *writer;
	pthread_t writer_thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	db_job *head, *tail;
	int queued; /* jobs from head to tail */
	bool stopping;
	db_write_fn periodic;
	void *periodic_ctx;
	int periodic_ms;
	pthread_t checkpoint_thread;
	db_conn *checkpointer;
	pthread_cond_t checkpoint_wake;
	pthread_key_t reader_key;
	db_conn *readers;
	pthread_mutex_t readers_lock;
	/* Written by the writer thread only, read by /metrics; times in nanoseconds. */
	_Atomic uint64_t commits, jobs, pages, run_ns, commit_ns;
	/* Access-table epochs (db_access_epoch): what readers see, bumped after a commit that
	 * changed those tables; and the writer's own, bumped at each change as it happens. */
	_Atomic uint64_t access_epoch;
	uint64_t writer_epoch;
	bool access_changed;
	/* Durable stores: the committed group waiting for the syncer's flush of the WAL (under
	 * `lock`; at most one at a time). */
	pthread_t sync_thread;
	pthread_cond_t sync_wake;
	db_job *unsynced;
	bool sync_busy, sync_stopping;
	/* The shortest time from one group's commit to the next (db_set_commit_interval; 0: none),
	 * and when the last one began (under `lock`). */
	uint64_t commit_interval_ns, last_commit_ns;
	/* The checkpointer asks the writer to restart the WAL (under `lock`). */
	bool restart_wanted;
	int wal_fd;
	int writer_wal_fd; /* the writer's own, for its RESTART (writer.c) */
	_Atomic uint64_t syncs, flush_ns; /* written by the syncer only */
	/* Written by the writer only: its RESTART checkpoints and their time. */
	_Atomic uint64_t wal_restarts, wal_restart_ns;
	/* A write failed for want of disk space (db_can_write), and the space free then: a commit
	 * clears it once at least DISK_FREED_BYTES more are free. Small commits may still pass on a
	 * full disk (the WAL reuses its own space), so one passing says nothing. */
	_Atomic bool disk_full;
	_Atomic int64_t disk_free_when_full;
	int readers_expected; /* threads that read, which share the readers' cache budget */
};

static inline uint64_t monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Epochs come from one process-wide counter, so two stores (or a store reopened at the same
 * address) never share one and a memo can never be mistaken for another store's. */
extern _Atomic uint64_t db_epoch_source;

static inline uint64_t next_epoch(void)
{
	return atomic_fetch_add(&db_epoch_source, 1) + 1;
}

/* A transaction-control statement from the cache: the writer runs these for every job, so
 * parsing them each time would cost more than most jobs. */
static inline int run_cached(db_conn *c, const char *sql)
{
	sqlite3_stmt *st = db_stmt(c, sql);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE) {
		log_error("msg=\"transaction control failed\" sql=\"%s\" error=\"%s\"", sql,
			  sqlite3_errmsg(c->h));
		return CL_EINTERNAL;
	}
	return 0;
}

#endif
