/* The store's writer: one thread that runs every state change and commits them in groups, the
 * syncer that flushes a durable store's WAL, and the periodic job.
 *
 * Every state change goes through db_write(): callers queue a job and sleep; the writer takes
 * all queued jobs, runs each in a SAVEPOINT of one BEGIN IMMEDIATE transaction and commits
 * once. One writer means SQLite never answers "database is locked" to a request, and the
 * commit cost is shared by the whole group. */
#include "store/db_internal.h"
#include "store/faults.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <unistd.h>

#define GROUP_MAX 512
/* While the syncer flushes, the writer is woken once every WAKE_BATCH queued jobs instead of
 * once a job: a flush's worth of small jobs (predictions) woke it dozens of times a group.
 * The end of the flush wakes it for the rest. */
#define WAKE_BATCH 8

/* The tables whose rows decide who someone is and what they may do in a project, and, for
 * an endpoint key, which endpoint it calls and how. */
static const char *const access_tables[] = {"users",	       "tokens",       "orgs",
					    "org_members",     "projects",     "project_members",
					    "project_quality", "courses",      "qualifications",
					    "endpoints",       "endpoint_keys"};

/* The group the writer is building: its jobs ran inside one open transaction, which one
 * COMMIT will make theirs. */
typedef struct group {
	db_job *head, *tail;
	int n;
	bool open;
} group;

/* Space to be freed, after a write failed for want of it, before the store says it can write. */
#define DISK_FREED_BYTES (1 << 20)

/* Bytes free to the server on the store's file system. */
static int64_t disk_free(const db *d)
{
	struct statvfs sv;
	if (statvfs(d->path, &sv))
		return 0;
	return (int64_t)sv.f_bavail * (int64_t)sv.f_frsize;
}

static void disk_is_full(db *d)
{
	if (!atomic_exchange(&d->disk_full, true))
		atomic_store(&d->disk_free_when_full, disk_free(d));
}

void db_disk_full(db *d)
{
	disk_is_full(d);
}

/* Notes a failure of the last statement on `c` for want of disk space. */
static void note_full(db *d, db_conn *c)
{
	if ((sqlite3_extended_errcode(c->h) & 0xff) == SQLITE_FULL)
		disk_is_full(d);
}

/* After a commit that wrote: the store can write again once space was freed. */
static void note_written(db *d)
{
	if (atomic_load(&d->disk_full) &&
	    disk_free(d) >= atomic_load(&d->disk_free_when_full) + DISK_FREED_BYTES)
		atomic_store(&d->disk_full, false);
}

/* Answers each job's caller. A store error while the disk is full is the disk's: the caller
 * gets 503 store_full (with Retry-After at the edge), not 500. */
static void wake_jobs(db *d, db_job *jobs)
{
	bool full = atomic_load(&d->disk_full);
	for (db_job *j = jobs, *nx; j; j = nx) {
		nx = j->next;
		if (full && j->rc == CL_EINTERNAL)
			j->rc = cl_fail(j->err, CL_EUNAVAIL, "store_full",
					"the store cannot write: its disk is full; try again later");
		j->done(j->done_arg, j->rc);
		free(j);
	}
}

/* Whether SQLite rolled the group's whole transaction back by itself: an I/O error, a full
 * disk, or memory that ran out mid-statement undo the transaction, its savepoints with it. No
 * job of the group was committed then, and no savepoint is left to roll back or release. */
static bool group_lost(db *d)
{
	if (!sqlite3_get_autocommit(d->writer->h))
		return false;
	d->writer_epoch = next_epoch(); /* what was memoized from the group is stale */
	return true;
}

static int fail_lost(db_job *j)
{
	return cl_fail(j->err, CL_EINTERNAL, NULL,
		       "store unavailable: the store rolled the transaction back");
}

/* Runs job `j` in a savepoint of its own: when it fails, what it wrote is undone, and whatever
 * was memoized from it is stale. */
static void run_alone(db *d, db_job *j)
{
	db_conn *c = d->writer;
	if (run_cached(c, "SAVEPOINT job")) {
		j->rc = cl_fail(j->err, CL_EINTERNAL, NULL, "store unavailable");
		return;
	}
	uint64_t epoch = d->writer_epoch;
	j->rc = j->fn(c, j->ctx, j->err);
	if (j->rc)
		note_full(d, c);
	if (group_lost(d)) {
		if (!j->rc)
			j->rc = fail_lost(j);
		return;
	}
	if (j->rc) {
		run_cached(c, "ROLLBACK TO job");
		if (d->writer_epoch != epoch)
			d->writer_epoch = next_epoch();
	}
	run_cached(c, "RELEASE job");
}

static void group_add(group *g, db_job *j)
{
	j->next = NULL;
	if (g->tail)
		g->tail->next = j;
	else
		g->head = j;
	g->tail = j;
	g->n++;
}

/* Rerunnable jobs in a row share the savepoint "run": SQLite journals a page the first time a
 * savepoint changes it, so jobs that touch the same pages (the same index and table ends) pay
 * for each page once per run instead of once per job. A job of the run that fails without
 * writing needs nothing undone. One that fails after writing has its writes mixed with the
 * run's: the run is rolled back and its jobs run again, each in a savepoint of its own. A run
 * is kept as a group is: its jobs, and whether its savepoint is open. */
typedef group run;

static void run_end(db *d, group *g, run *r, bool undo)
{
	db_conn *c = d->writer;
	if (!r->open)
		return;
	/* The run's savepoint went with a transaction SQLite rolled back: so did its jobs. */
	bool lost = group_lost(d);
	if (!lost && undo) {
		run_cached(c, "ROLLBACK TO run");
		d->writer_epoch = next_epoch();
	}
	if (!lost)
		run_cached(c, "RELEASE run");
	for (db_job *j = r->head, *nx; j; j = nx) {
		nx = j->next;
		if (lost && !j->rc)
			j->rc = fail_lost(j);
		else if (undo && !lost)
			run_alone(d, j);
		group_add(g, j);
	}
	*r = (run){0};
}

static void run_job(db *d, group *g, run *r, db_job *j)
{
	db_conn *c = d->writer;
	if (!r->open) {
		if (run_cached(c, "SAVEPOINT run")) {
			j->rc = cl_fail(j->err, CL_EINTERNAL, NULL, "store unavailable");
			group_add(g, j);
			return;
		}
		r->open = true;
	}
	sqlite3_int64 before = sqlite3_total_changes64(c->h);
	j->rc = j->fn(c, j->ctx, j->err);
	if (j->rc)
		note_full(d, c);
	group_add(r, j);
	if (j->rc && (sqlite3_total_changes64(c->h) != before || sqlite3_get_autocommit(c->h)))
		run_end(d, g, r, true);
}

/* Runs `jobs` (a list) in the group's transaction, each in a savepoint of its own or in a run
 * (above). */
static void group_run(db *d, group *g, db_job *jobs)
{
	db_conn *c = d->writer;
	if (!g->open) {
		if (run_cached(c, "BEGIN IMMEDIATE")) {
			for (db_job *j = jobs; j; j = j->next)
				j->rc = cl_fail(j->err, CL_EINTERNAL, NULL, "store unavailable");
			wake_jobs(d, jobs);
			return;
		}
		g->open = true;
	}
	run r = {0};
	for (db_job *j = jobs, *nx; j; j = nx) {
		nx = j->next;
		/* An I/O error or a full disk rolls the whole transaction back: the group's commit
		 * will fail its jobs, and the rest must not run outside it. */
		if (sqlite3_get_autocommit(c->h)) {
			run_end(d, g, &r, false);
			j->rc = fail_lost(j);
			group_add(g, j);
			continue;
		}
		if (j->rerunnable) {
			run_job(d, g, &r, j);
			continue;
		}
		run_end(d, g, &r, false);
		run_alone(d, j);
		group_add(g, j);
	}
	run_end(d, g, &r, false);
}

/* Runs each merged part of the group's jobs (db_write_async_merged) once, with the jobs of it
 * that succeeded: 0, or the first failure (the group is then to roll back). */
static int group_merge(db *d, group *g)
{
	db_group_fn *done = NULL; /* the parts run so far */
	void **ctxs = NULL;
	int ndone = 0, rc = 0;
	for (db_job *j = g->head; !rc && j; j = j->next) {
		if (!j->merged || j->rc)
			continue;
		bool seen = false;
		for (int i = 0; i < ndone; i++)
			seen = seen || done[i] == j->merged;
		if (seen)
			continue;
		if (!ctxs) {
			ctxs = malloc((size_t)g->n * sizeof *ctxs);
			done = malloc((size_t)g->n * sizeof *done);
			if (!ctxs || !done) {
				rc = CL_ENOMEM;
				break;
			}
		}
		int n = 0;
		for (db_job *k = j; k; k = k->next)
			if (k->merged == j->merged && !k->rc)
				ctxs[n++] = k->ctx;
		done[ndone++] = j->merged;
		rc = j->merged(d->writer, ctxs, n, j->err);
	}
	free(ctxs);
	free(done);
	return rc;
}

/* Commits the group and returns its jobs, their results final (a failed commit fails them
 * all). */
static db_job *group_commit(db *d, group *g)
{
	db_conn *c = d->writer;
	db_job *jobs = g->head;
	if (group_lost(d)) {
		/* Nothing to commit: SQLite rolled the transaction back, and every job with it. */
		for (db_job *j = jobs; j; j = j->next)
			if (!j->rc)
				j->rc = fail_lost(j);
		d->commits++;
		d->jobs += (uint64_t)g->n;
		*g = (group){0};
		return jobs;
	}
	uint64_t t0 = monotonic_ns();
	int failed = group_merge(d, g);
	if (!failed)
		failed = run_cached(c, "COMMIT");
	d->commit_ns += monotonic_ns() - t0;
	if (failed) {
		note_full(d, c);
		/* A COMMIT that failed writing may have rolled the transaction back already. */
		if (!sqlite3_get_autocommit(c->h))
			db_exec_sql(c, "ROLLBACK");
		d->writer_epoch = next_epoch();
		for (db_job *j = jobs; j; j = j->next)
			j->rc = cl_fail(j->err, CL_EINTERNAL, NULL, "commit failed");
	}
	/* After the commit, so a reader that sees the new epoch also sees the new rows. */
	if (d->access_changed) {
		d->access_changed = false;
		atomic_store_explicit(&d->access_epoch, next_epoch(), memory_order_release);
	}
	int cur = 0, hi = 0;
	sqlite3_db_status(c->h, SQLITE_DBSTATUS_CACHE_WRITE, &cur, &hi, 1);
	d->pages += (uint64_t)cur;
	if (!failed && cur > 0)
		note_written(d);
	d->commits++;
	d->jobs += (uint64_t)g->n;
	*g = (group){0};
	return jobs;
}

/* The SQL function the access-table triggers call on the writer's connection. */
static void access_changed(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	(void)argc;
	(void)argv;
	db *d = sqlite3_user_data(ctx);
	d->writer_epoch = next_epoch();
	d->access_changed = true;
	sqlite3_result_null(ctx);
}

/* Temporary triggers (the writer's connection only, never stored in the file): every change to
 * an access table, by any statement of any job, moves the epochs. */
static int watch_access_tables(db *d)
{
	if (sqlite3_create_function(d->writer->h, "cl_access_changed", 0, SQLITE_UTF8, d,
				    access_changed, NULL, NULL) != SQLITE_OK)
		return CL_EINTERNAL;
	static const char *const ops[] = {"INSERT", "UPDATE", "DELETE"};
	for (size_t t = 0; t < sizeof access_tables / sizeof *access_tables; t++) {
		for (int o = 0; o < 3; o++) {
			char sql[256];
			snprintf(sql, sizeof sql,
				 "CREATE TEMP TRIGGER cl_watch_%s_%d AFTER %s ON main.%s"
				 " BEGIN SELECT cl_access_changed(); END",
				 access_tables[t], o, ops[o], access_tables[t]);
			if (db_exec_sql(d->writer, sql))
				return CL_EINTERNAL;
		}
	}
	return 0;
}

/* Flushes the WAL file to disk, through a descriptor of our own, opened on first need. The file
 * stays the same one while the writer's connection is open: SQLite deletes a WAL only when the
 * last connection to the database closes. Not checking it again per flush also matters for the
 * flush itself: a stat() makes the kernel give the file's next write a fine-grained time, and on
 * ext4 without a journal every such time costs the flush a second disk write for the inode. */
static int flush_wal(db *d, int *fd)
{
	if (*fd < 0) {
		char wal[sizeof d->path + 8];
		snprintf(wal, sizeof wal, "%s-wal", d->path);
		*fd = open(wal, O_RDWR | O_CLOEXEC);
	}
	bool fault = store_fault_hit(STORE_FAULT_SYNC);
	if (fault)
		errno = EIO;
	if (fault || *fd < 0 || fdatasync(*fd)) {
		if (errno == ENOSPC)
			disk_is_full(d);
		log_error("msg=\"cannot flush the WAL\" path=\"%s-wal\" error=\"%s\"", d->path,
			  strerror(errno));
		return CL_EINTERNAL;
	}
	return 0;
}

/* The syncer's flush, counted in the store's figures. */
static int sync_wal(db *d)
{
	uint64_t t0 = monotonic_ns();
	if (flush_wal(d, &d->wal_fd))
		return CL_EINTERNAL;
	d->syncs++;
	d->flush_ns += monotonic_ns() - t0;
	return 0;
}

/* The busy handler of a RESTART: RESTART_BUSY_WAITS waits of 100 us for readers, then
 * SQLITE_BUSY (the checkpointer asks again after its next round). It counts waits, not time
 * (as conn.c's writer_busy does): on a loaded machine each sleep runs long, and a wait cut at
 * 10 ms of wall time loses to readers that are themselves waiting for a core (the bounded-WAL
 * test's WAL then passed 250 MiB). */
#define RESTART_BUSY_WAITS 100
static int restart_busy(void *ctx, int count)
{
	(void)ctx;
	if (count >= RESTART_BUSY_WAITS)
		return 0;
	struct timespec ts = {0, 100 * 1000};
	nanosleep(&ts, NULL);
	return 1;
}

/* A RESTART of the WAL, run by the writer between two groups when the checkpointer asks
 * (checkpointer.c). A durable store's writer connection "syncs" the WAL by writing what is
 * buffered (wal_vfs.h), so the writer flushes the file first: the syncer may still be flushing
 * the last group, and waiting for it to say so costs more (its wake-up comes after it answers
 * the group's callers). */
static void restart_wal(db *d)
{
	uint64_t t0 = monotonic_ns();
	if (!d->durable || !flush_wal(d, &d->writer_wal_fd)) {
		db_conn *c = d->writer;
		sqlite3_busy_handler(c->h, restart_busy, NULL);
		int rc = sqlite3_wal_checkpoint_v2(c->h, NULL, SQLITE_CHECKPOINT_RESTART, NULL, NULL);
		db_conn_writer_busy(c);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("msg=\"checkpoint failed\" rc=%d", rc);
	}
	d->wal_restarts++;
	d->wal_restart_ns += monotonic_ns() - t0;
}

/* Durable stores: flushes the WAL for each committed group the writer hands over, and only then
 * answers the group's callers. */
static void *sync_main(void *arg)
{
	db *d = arg;
	prctl(PR_SET_NAME, "cl-sync");
	/* Whatever policy the server's other threads run under (serve --sched), this one keeps the
	 * default: it sleeps on the disk, and every request of a group waits until it runs again
	 * to answer them. A SCHED_BATCH thread woken by the flush's end would wait for the running
	 * thread's time slice (docs/BENCHMARKS.md, after run 19). */
	struct sched_param sp = {0};
	sched_setscheduler(0, SCHED_OTHER, &sp);
	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->unsynced && !d->sync_stopping)
			pthread_cond_wait(&d->sync_wake, &d->lock);
		db_job *jobs = d->unsynced;
		if (!jobs)
			break;
		d->unsynced = NULL;
		pthread_mutex_unlock(&d->lock);
		if (sync_wal(d))
			for (db_job *j = jobs; j; j = j->next)
				if (!j->rc)
					j->rc = cl_fail(j->err, CL_EINTERNAL, NULL,
							"the store could not flush to disk");
		/* The writer may commit the next group while this one's callers are answered. */
		pthread_mutex_lock(&d->lock);
		d->sync_busy = false;
		pthread_cond_signal(&d->wake);
		pthread_mutex_unlock(&d->lock);
		wake_jobs(d, jobs);
		pthread_mutex_lock(&d->lock);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* Commits the group; a durable store hands it to the syncer (the caller holds d->lock and has
 * seen the syncer idle), any other answers its callers at once. */
static void commit_locked(db *d, group *g)
{
	if (d->commit_interval_ns)
		d->last_commit_ns = monotonic_ns();
	pthread_mutex_unlock(&d->lock);
	db_job *jobs = group_commit(d, g);
	pthread_mutex_lock(&d->lock);
	if (!d->durable) {
		pthread_mutex_unlock(&d->lock);
		wake_jobs(d, jobs);
		pthread_mutex_lock(&d->lock);
		return;
	}
	d->unsynced = jobs;
	d->sync_busy = true;
	pthread_cond_signal(&d->sync_wake);
}

static void periodic_done(void *arg, int rc)
{
	(void)arg;
	(void)rc;
}

static bool periodic_due(db *d, uint64_t *next)
{
	uint64_t now = monotonic_ns();
	if (!d->periodic || now < *next)
		return false;
	*next = now + (uint64_t)d->periodic_ms * 1000000;
	return true;
}

/* When the open group may commit at the earliest (under d->lock): at once without a commit
 * interval or on a store that does not flush. */
static uint64_t commit_due_ns(const db *d)
{
	if (!d->commit_interval_ns || !d->durable)
		return 0;
	return d->last_commit_ns + d->commit_interval_ns;
}

/* Whether the open group may commit now (under d->lock): the syncer is free for it and its
 * commit is due. */
static bool commit_ready(const db *d)
{
	if (d->sync_busy)
		return false;
	uint64_t due = commit_due_ns(d);
	return !due || monotonic_ns() >= due;
}

/* Sleeps (holding d->lock) until the writer has something to do: jobs, a stop, an open group
 * the syncer is free for and whose commit is due, a RESTART wanted between groups, or the
 * periodic job's time. */
static void writer_wait(db *d, const group *g, uint64_t next_periodic)
{
	for (;;) {
		uint64_t until = g->open && !d->sync_busy ? commit_due_ns(d) : UINT64_MAX;
		if (d->periodic && next_periodic < until)
			until = next_periodic;
		if (d->head || d->stopping || (d->restart_wanted && !g->open) || until == 0)
			return;
		if (until == UINT64_MAX) {
			pthread_cond_wait(&d->wake, &d->lock);
			continue;
		}
		struct timespec ts = {(time_t)(until / 1000000000), (long)(until % 1000000000)};
		if (pthread_cond_timedwait(&d->wake, &d->lock, &ts) == ETIMEDOUT)
			return;
	}
}

/* The writer: a pipelined group commit. While the syncer flushes one committed group, the
 * writer runs the jobs arriving meanwhile inside the next group's open transaction, and
 * commits that group as soon as the flush is done; so the disk's flush time is spent running
 * jobs, and a group holds what arrived during one flush. */
static void *writer_main(void *arg)
{
	db *d = arg;
	prctl(PR_SET_NAME, "cl-writer");
	uint64_t next_periodic = monotonic_ns();
	group g = {0};
	pthread_mutex_lock(&d->lock);
	for (;;) {
		writer_wait(d, &g, next_periodic);
		db_job *jobs = d->head;
		db_job *last = NULL;
		int n = 0;
		for (db_job *j = jobs; j && g.n + n < GROUP_MAX; j = j->next, n++)
			last = j;
		d->queued -= n;
		if (last) {
			d->head = last->next;
			if (!d->head)
				d->tail = NULL;
			last->next = NULL;
		} else {
			jobs = NULL;
		}
		pthread_mutex_unlock(&d->lock);

		if (periodic_due(d, &next_periodic)) {
			db_job *pj = calloc(1, sizeof *pj);
			if (pj) {
				pj->fn = d->periodic;
				pj->ctx = d->periodic_ctx;
				pj->err = &pj->own_err;
				pj->done = periodic_done;
				pj->next = jobs;
				jobs = pj;
			}
		}
		if (jobs) {
			uint64_t t0 = monotonic_ns();
			group_run(d, &g, jobs);
			d->run_ns += monotonic_ns() - t0;
		}

		pthread_mutex_lock(&d->lock);
		bool full = g.n >= GROUP_MAX;
		if (g.open && (commit_ready(d) || !d->durable || full || d->stopping)) {
			while (d->sync_busy)
				pthread_cond_wait(&d->wake, &d->lock);
			commit_locked(d, &g);
		}
		/* Between two groups, where the checkpointer's RESTART would have had to wait for
		 * the write lock (checkpointer.c). */
		if (d->restart_wanted && !g.open && !d->stopping) {
			d->restart_wanted = false;
			pthread_mutex_unlock(&d->lock);
			restart_wal(d);
			pthread_mutex_lock(&d->lock);
		}
		if (d->stopping && !d->head && !g.open)
			break;
	}
	/* The last group's flush, before the store closes. */
	while (d->sync_busy)
		pthread_cond_wait(&d->wake, &d->lock);
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

void db_wait_init(db_wait *w)
{
	sem_init(&w->done, 0, 0);
	w->rc = 0;
}

void db_wait_done(void *arg, int rc)
{
	db_wait *w = arg;
	w->rc = rc;
	sem_post(&w->done);
}

int db_wait_for(db_wait *w)
{
	while (sem_wait(&w->done) && errno == EINTR)
		;
	sem_destroy(&w->done);
	return w->rc;
}

int db_write(db *d, db_write_fn fn, void *ctx, cl_error *err)
{
	cl_error local;
	db_wait w;
	db_wait_init(&w);
	int rc = db_write_async(d, fn, ctx, err ? err : &local, db_wait_done, &w);
	if (rc) {
		sem_destroy(&w.done);
		return rc;
	}
	return db_wait_for(&w);
}

static int queue_job(db *d, db_write_fn fn, void *ctx, cl_error *err, db_done_fn done, void *arg,
		     bool rerunnable, db_group_fn merged)
{
	db_job *j = calloc(1, sizeof *j);
	if (!j)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	*j = (db_job){.fn = fn,
		      .ctx = ctx,
		      .err = err,
		      .done = done,
		      .done_arg = arg,
		      .rerunnable = rerunnable,
		      .merged = merged};
	pthread_mutex_lock(&d->lock);
	if (d->stopping) {
		pthread_mutex_unlock(&d->lock);
		free(j);
		return cl_fail(err, CL_EUNAVAIL, NULL, "the server is shutting down");
	}
	if (d->tail)
		d->tail->next = j;
	else
		d->head = j;
	d->tail = j;
	d->queued++;
	if (!d->sync_busy || d->queued % WAKE_BATCH == 0)
		pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int db_write_async(db *d, db_write_fn fn, void *ctx, cl_error *err, db_done_fn done, void *arg)
{
	return queue_job(d, fn, ctx, err, done, arg, false, NULL);
}

int db_write_async_rerunnable(db *d, db_write_fn fn, void *ctx, cl_error *err, db_done_fn done,
			      void *arg)
{
	return queue_job(d, fn, ctx, err, done, arg, true, NULL);
}

int db_write_async_merged(db *d, db_write_fn fn, db_group_fn merged, void *ctx, cl_error *err,
			  db_done_fn done, void *arg)
{
	return queue_job(d, fn, ctx, err, done, arg, true, merged);
}

void db_set_periodic(db *d, db_write_fn fn, void *ctx, int period_ms)
{
	pthread_mutex_lock(&d->lock);
	d->periodic = fn;
	d->periodic_ctx = ctx;
	d->periodic_ms = period_ms;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

void db_set_commit_interval(db *d, unsigned us)
{
	pthread_mutex_lock(&d->lock);
	d->commit_interval_ns = (uint64_t)us * 1000;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
}

bool db_can_write(db *d)
{
	return !atomic_load(&d->disk_full);
}

void db_write_stats(db *d, db_stats *out)
{
	out->commits = d->commits;
	out->jobs = d->jobs;
	out->pages = d->pages;
	out->syncs = d->syncs;
	out->run_ns = d->run_ns;
	out->commit_ns = d->commit_ns;
	out->flush_ns = d->flush_ns;
	out->wal_restarts = d->wal_restarts;
	out->wal_restart_ns = d->wal_restart_ns;
}

int db_writer_adopt(db *d, cl_error *err)
{
	/* The writer's commits reach the WAL file without a flush (wal_vfs.h); the syncer is not
	 * running yet. */
	if (d->durable && sync_wal(d))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot flush the store at %s", d->path);
	d->writer->owner = d;
	d->writer->is_writer = true;
	d->writer_epoch = next_epoch();
	atomic_store(&d->access_epoch, next_epoch());
	if (watch_access_tables(d))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot watch the access tables");
	return 0;
}

int db_writer_start(db *d, cl_error *err)
{
	/* Durable: the writer commits without flushing and the syncer flushes (writer_main). */
	pthread_cond_init(&d->sync_wake, NULL);
	if (d->durable && pthread_create(&d->sync_thread, NULL, sync_main, d))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the sync thread");
	if (pthread_create(&d->writer_thread, NULL, writer_main, d))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the writer thread");
	return 0;
}

void db_writer_stop(db *d)
{
	pthread_mutex_lock(&d->lock);
	d->stopping = true;
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->writer_thread, NULL);
	if (d->durable) {
		pthread_mutex_lock(&d->lock);
		d->sync_stopping = true;
		pthread_cond_signal(&d->sync_wake);
		pthread_mutex_unlock(&d->lock);
		pthread_join(d->sync_thread, NULL);
	}
	if (d->wal_fd >= 0)
		close(d->wal_fd);
	if (d->writer_wal_fd >= 0)
		close(d->writer_wal_fd);
	pthread_cond_destroy(&d->sync_wake);
}
