/* SQLite connections, statement cache, group-committing writer thread and migrations.
 *
 * Every state change goes through db_write(): callers queue a job and sleep; the writer takes
 * all queued jobs, runs each in a SAVEPOINT of one BEGIN IMMEDIATE transaction and commits
 * once. One writer means SQLite never answers "database is locked" to a request, and the
 * commit cost is shared by the whole group. */
#include "store/db.h"
#include "store/migrations.h"
#include "store/wal_vfs.h"
#include "util/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/prctl.h>
#include <time.h>
#include <unistd.h>

#define STMT_CACHE_SLOTS 256
#define GROUP_MAX 512

/* WAL frames (pages) past which the checkpointer restarts the WAL: 4096 frames = 16 MiB. */
#define WAL_RESTART_FRAMES 4096
/* What a restarted WAL file is cut back to (PRAGMA journal_size_limit). */
#define WAL_KEEP_BYTES (32 << 20)

/* The writer's page cache. Every commit costs in proportion to it: at the end of each
 * transaction SQLite truncates its page cache to the database's size, and the cache walks its
 * whole hash table to do so (perf: pcache1TruncateUnsafe, a fifth of the writer's time at 1M
 * items with 64 MiB). Measured at 1M items: 0.27-0.47 ms per commit with 64 MiB, 0.25 with 32,
 * 0.16 with 16, and still under one miss a commit. Imports, whose index inserts range over the
 * whole store, are slower with less (1M items in 40 s instead of 30). */
#define WRITER_CACHE_KIB 16384

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
	cl_error own_err; /* for a job nobody waits on (the periodic one) */
	bool rerunnable;  /* may run again after a rollback (db_write_async_rerunnable) */
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
	int wal_fd;
	_Atomic uint64_t syncs, flush_ns; /* written by the syncer only */
};

static uint64_t monotonic_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* Epochs come from one process-wide counter, so two stores (or a store reopened at the same
 * address) never share one and a memo can never be mistaken for another store's. */
static _Atomic uint64_t epoch_source;

static uint64_t next_epoch(void)
{
	return atomic_fetch_add(&epoch_source, 1) + 1;
}

/* The tables whose rows decide who someone is and what they may do in a project. */
static const char *const access_tables[] = {"users",	       "tokens",   "orgs",
					    "org_members",     "projects", "project_members",
					    "project_quality", "courses",  "qualifications"};

/* The writer waits for the write lock only while the checkpointer restarts the WAL (a few
 * milliseconds): it tries again every WRITER_BUSY_US, where SQLite's own timeout sleeps 1, 2,
 * then 5 ms and more between tries, stopping every request in flight that long. Like the other
 * connections, it gives up after BUSY_TIMEOUT_MS. */
#define WRITER_BUSY_US 20
#define BUSY_TIMEOUT_MS 10000
static int writer_busy(void *ctx, int count)
{
	uint64_t *since = ctx;
	uint64_t now = monotonic_ns();
	if (count == 0)
		*since = now;
	else if (now - *since >= (uint64_t)BUSY_TIMEOUT_MS * 1000000)
		return 0;
	struct timespec ts = {0, WRITER_BUSY_US * 1000};
	nanosleep(&ts, NULL);
	return 1;
}

static int conn_open(const char *path, bool writer, bool durable, db_conn **out)
{
	db_conn *c = calloc(1, sizeof *c);
	if (!c)
		return CL_ENOMEM;
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	/* A durable store's writer gathers each commit's WAL writes together (wal_vfs.h); its
	 * syncer flushes them. */
	const char *vfs = writer && durable ? WAL_VFS_NAME : NULL;
	if (sqlite3_open_v2(path, &c->h, flags, vfs) != SQLITE_OK) {
		log_error("msg=\"cannot open database\" path=\"%s\" error=\"%s\"", path,
			  c->h ? sqlite3_errmsg(c->h) : "out of memory");
		sqlite3_close(c->h);
		free(c);
		return CL_EINTERNAL;
	}
	if (writer)
		sqlite3_busy_handler(c->h, writer_busy, &c->busy_since);
	else
		sqlite3_busy_timeout(c->h, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(c->h, 1);
	char pragmas[256];
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
		 "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-%d; PRAGMA wal_autocheckpoint=%d;"
		 "PRAGMA journal_size_limit=%d;",
		 durable ? "FULL" : "NORMAL", writer ? WRITER_CACHE_KIB : 16384, writer ? 0 : 1000,
		 WAL_KEEP_BYTES);
	char *msg = NULL;
	if (sqlite3_exec(c->h, pragmas, NULL, NULL, &msg) != SQLITE_OK) {
		log_error("msg=\"cannot configure database\" error=\"%s\"", msg ? msg : "?");
		sqlite3_free(msg);
		sqlite3_close(c->h);
		free(c);
		return CL_EINTERNAL;
	}
	*out = c;
	return 0;
}

void db_conn_close(db_conn *c)
{
	if (!c)
		return;
	for (int i = 0; i < DB_MEMO_COUNT; i++) {
		if (c->memo[i].mem && c->memo[i].release)
			c->memo[i].release(c->memo[i].mem);
		free(c->memo[i].mem);
	}
	for (int i = 0; i < STMT_CACHE_SLOTS; i++)
		sqlite3_finalize(c->cache[i].st);
	sqlite3_close(c->h);
	free(c);
}

sqlite3 *db_handle(db_conn *c)
{
	return c->h;
}

sqlite3_stmt *db_stmt(db_conn *c, const char *sql)
{
	uintptr_t h = (uintptr_t)sql;
	unsigned slot = (unsigned)((h >> 3) ^ (h >> 11)) % STMT_CACHE_SLOTS;
	for (unsigned n = 0; n < STMT_CACHE_SLOTS; n++, slot = (slot + 1) % STMT_CACHE_SLOTS) {
		if (c->cache[slot].sql == sql) {
			sqlite3_stmt *st = c->cache[slot].st;
			sqlite3_reset(st);
			sqlite3_clear_bindings(st);
			return st;
		}
		if (!c->cache[slot].sql) {
			sqlite3_stmt *st = NULL;
			if (sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
					       NULL) != SQLITE_OK) {
				log_error("msg=\"prepare failed\" error=\"%s\" sql=\"%.120s\"",
					  sqlite3_errmsg(c->h), sql);
				abort(); /* SQL text is ours: a bad statement is a bug */
			}
			c->cache[slot].sql = sql;
			c->cache[slot].st = st;
			return st;
		}
	}
	log_error("msg=\"statement cache full\"");
	abort();
}

int db_step(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE && (rc & 0xff) != SQLITE_CONSTRAINT)
		log_error("msg=\"sqlite step failed\" rc=%d error=\"%s\" sql=\"%.120s\"", rc,
			  sqlite3_errmsg(sqlite3_db_handle(st)), sqlite3_sql(st));
	return rc;
}

int db_exec_stmt(sqlite3_stmt *st, cl_error *err)
{
	int rc = db_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE || rc == SQLITE_ROW)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return cl_fail(err, CL_ECONFLICT, NULL, "conflicts with existing data");
	return cl_fail(err, CL_EINTERNAL, NULL, "store error");
}

int db_count(db_conn *c, const char *update, const char *insert, const int64_t *args, int n,
	     cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, update);
	for (int i = 0; i < n; i++)
		db_bind_int(st, i + 1, args[i]);
	int rc = db_exec_stmt(st, err);
	if (rc || sqlite3_changes(c->h))
		return rc;
	st = db_stmt(c, insert);
	for (int i = 0; i < n; i++)
		db_bind_int(st, i + 1, args[i]);
	return db_exec_stmt(st, err);
}

json_t *db_page(sqlite3_stmt *st, int limit, json_t *(*row)(sqlite3_stmt *st), int64_t *next)
{
	json_t *items = json_array();
	int64_t last = 0;
	int n = 0;
	*next = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			*next = last;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(items, row(st));
	}
	sqlite3_reset(st);
	return items;
}

json_t *db_owned_page(sqlite3_stmt *st, int64_t owner, int64_t cursor, int limit, bool desc,
		      json_t *(*row)(sqlite3_stmt *st), int64_t *next)
{
	db_bind_int(st, 1, owner);
	db_bind_int(st, 2, cursor ? cursor : (desc ? INT64_MAX : 0));
	db_bind_int(st, 3, limit + 1); /* one more row: db_page sees whether another page follows */
	return db_page(st, limit, row, next);
}

void db_bind_text(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(st, i);
}

void db_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

const char *db_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

static int exec_sql(db_conn *c, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(c->h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK) {
		log_error("msg=\"sql failed\" rc=%d error=\"%s\" sql=\"%.80s\"", rc,
			  msg ? msg : "?", sql);
		sqlite3_free(msg);
		return CL_EINTERNAL;
	}
	return 0;
}

static int migrate(db_conn *c, cl_error *err)
{
	if (exec_sql(c, "CREATE TABLE IF NOT EXISTS schema_migrations("
			"version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)"))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot create the migrations table");
	for (size_t i = 0; i < migrations_count; i++) {
		const migration *m = &migrations[i];
		sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM schema_migrations WHERE version = ?");
		db_bind_int(st, 1, m->version);
		int have = db_step(st) == SQLITE_ROW;
		sqlite3_reset(st);
		if (have)
			continue;
		/* Each migration and its record commit together, or not at all. */
		if (exec_sql(c, "BEGIN IMMEDIATE"))
			return cl_fail(err, CL_EINTERNAL, NULL, "cannot begin migration");
		if (exec_sql(c, m->sql)) {
			exec_sql(c, "ROLLBACK");
			return cl_fail(err, CL_EINTERNAL, NULL, "migration %d failed", m->version);
		}
		st = db_stmt(c, "INSERT INTO schema_migrations(version, applied_at) "
				"VALUES (?, strftime('%s','now'))");
		db_bind_int(st, 1, m->version);
		if (db_exec_stmt(st, err) || exec_sql(c, "COMMIT")) {
			exec_sql(c, "ROLLBACK");
			return cl_fail(err, CL_EINTERNAL, NULL, "migration %d failed", m->version);
		}
		log_info("msg=\"migration applied\" version=%d name=\"%s\"", m->version, m->name);
	}
	return 0;
}

/* A transaction-control statement from the cache: the writer runs these for every job, so
 * parsing them each time would cost more than most jobs. */
static int run_cached(db_conn *c, const char *sql)
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

/* The group the writer is building: its jobs ran inside one open transaction, which one
 * COMMIT will make theirs. */
typedef struct group {
	db_job *head, *tail;
	int n;
	bool open;
} group;

static void wake_jobs(db_job *jobs)
{
	for (db_job *j = jobs, *nx; j; j = nx) {
		nx = j->next;
		j->done(j->done_arg, j->rc);
		free(j);
	}
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
	if (undo) {
		run_cached(c, "ROLLBACK TO run");
		d->writer_epoch = next_epoch();
	}
	run_cached(c, "RELEASE run");
	/* Gone when SQLite rolled the whole transaction back (I/O error, full disk). */
	bool lost = sqlite3_get_autocommit(c->h);
	for (db_job *j = r->head, *nx; j; j = nx) {
		nx = j->next;
		if (undo && lost)
			j->rc = cl_fail(j->err, CL_EINTERNAL, NULL, "store unavailable");
		else if (undo)
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
	group_add(r, j);
	if (j->rc && sqlite3_total_changes64(c->h) != before)
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
			wake_jobs(jobs);
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
			j->rc = cl_fail(j->err, CL_EINTERNAL, NULL, "store unavailable");
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

/* Commits the group and returns its jobs, their results final (a failed commit fails them
 * all). */
static db_job *group_commit(db *d, group *g)
{
	db_conn *c = d->writer;
	db_job *jobs = g->head;
	uint64_t t0 = monotonic_ns();
	int failed = run_cached(c, "COMMIT");
	d->commit_ns += monotonic_ns() - t0;
	if (failed) {
		exec_sql(c, "ROLLBACK");
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
			if (exec_sql(d->writer, sql))
				return CL_EINTERNAL;
		}
	}
	return 0;
}

uint64_t db_access_epoch(db_conn *c)
{
	if (!c->owner)
		return 0;
	if (c->is_writer)
		return c->owner->writer_epoch;
	/* Inside a longer read transaction the snapshot may predate the epoch read now. */
	if (!sqlite3_get_autocommit(c->h))
		return 0;
	return atomic_load_explicit(&c->owner->access_epoch, memory_order_acquire);
}

void *db_conn_memo(db_conn *c, db_memo which, size_t size, void (*release)(void *mem))
{
	if (!c->memo[which].mem) {
		c->memo[which].mem = calloc(1, size);
		c->memo[which].release = release;
	}
	return c->memo[which].mem;
}

/* Flushes the WAL file to disk, through a descriptor of our own, opened on first need. The file
 * stays the same one while the writer's connection is open: SQLite deletes a WAL only when the
 * last connection to the database closes. Not checking it again per flush also matters for the
 * flush itself: a stat() makes the kernel give the file's next write a fine-grained time, and on
 * ext4 without a journal every such time costs the flush a second disk write for the inode. */
static int sync_wal(db *d)
{
	if (d->wal_fd < 0) {
		char wal[sizeof d->path + 8];
		snprintf(wal, sizeof wal, "%s-wal", d->path);
		d->wal_fd = open(wal, O_RDWR | O_CLOEXEC);
	}
	uint64_t t0 = monotonic_ns();
	if (d->wal_fd < 0 || fdatasync(d->wal_fd)) {
		log_error("msg=\"cannot flush the WAL\" path=\"%s-wal\" error=\"%s\"", d->path,
			  strerror(errno));
		return CL_EINTERNAL;
	}
	d->syncs++;
	d->flush_ns += monotonic_ns() - t0;
	return 0;
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
		wake_jobs(jobs);
		pthread_mutex_lock(&d->lock);
		d->sync_busy = false;
		pthread_cond_signal(&d->wake);
	}
	pthread_mutex_unlock(&d->lock);
	return NULL;
}

/* Commits the group; a durable store hands it to the syncer (the caller holds d->lock and has
 * seen the syncer idle), any other answers its callers at once. */
static void commit_locked(db *d, group *g)
{
	pthread_mutex_unlock(&d->lock);
	db_job *jobs = group_commit(d, g);
	pthread_mutex_lock(&d->lock);
	if (!d->durable) {
		pthread_mutex_unlock(&d->lock);
		wake_jobs(jobs);
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

static bool periodic_due(db *d, struct timespec *next)
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (!d->periodic || now.tv_sec < next->tv_sec ||
	    (now.tv_sec == next->tv_sec && now.tv_nsec < next->tv_nsec))
		return false;
	int64_t ns = (int64_t)now.tv_nsec + (int64_t)d->periodic_ms * 1000000;
	next->tv_sec = now.tv_sec + (time_t)(ns / 1000000000);
	next->tv_nsec = (long)(ns % 1000000000);
	return true;
}

/* The writer: a pipelined group commit. While the syncer flushes one committed group, the
 * writer runs the jobs arriving meanwhile inside the next group's open transaction, and
 * commits that group as soon as the flush is done; so the disk's flush time is spent running
 * jobs, and a group holds what arrived during one flush. */
static void *writer_main(void *arg)
{
	db *d = arg;
	prctl(PR_SET_NAME, "cl-writer");
	struct timespec next_periodic;
	clock_gettime(CLOCK_REALTIME, &next_periodic);
	group g = {0};
	pthread_mutex_lock(&d->lock);
	for (;;) {
		while (!d->head && !d->stopping && !(g.open && !d->sync_busy)) {
			if (!d->periodic) {
				pthread_cond_wait(&d->wake, &d->lock);
				continue;
			}
			if (pthread_cond_timedwait(&d->wake, &d->lock, &next_periodic) == ETIMEDOUT)
				break;
		}
		db_job *jobs = d->head;
		db_job *last = NULL;
		int n = 0;
		for (db_job *j = jobs; j && g.n + n < GROUP_MAX; j = j->next, n++)
			last = j;
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
		if (g.open && (!d->sync_busy || !d->durable || full || d->stopping)) {
			while (d->sync_busy)
				pthread_cond_wait(&d->wake, &d->lock);
			commit_locked(d, &g);
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

/* The checkpointer's busy handler: CHECKPOINT_BUSY_WAITS waits of 100 us, then SQLITE_BUSY. */
#define CHECKPOINT_BUSY_WAITS 100
static int checkpoint_busy(void *ctx, int count)
{
	(void)ctx;
	if (count >= CHECKPOINT_BUSY_WAITS)
		return 0;
	struct timespec ts = {0, 100 * 1000};
	nanosleep(&ts, NULL);
	return 1;
}

/* Copies the WAL back into the database file from a connection of its own, so the writer
 * never stalls on a checkpoint's fsyncs; PASSIVE never blocks the writer or the readers. */
static void *checkpoint_main(void *arg)
{
	db *d = arg;
	prctl(PR_SET_NAME, "cl-checkpoint");
	sqlite3_busy_handler(d->checkpointer->h, checkpoint_busy, NULL);
	pthread_mutex_lock(&d->lock);
	while (!d->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += 200 * 1000000;
		if (until.tv_nsec >= 1000000000) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&d->checkpoint_wake, &d->lock, &until);
		if (d->stopping)
			break;
		pthread_mutex_unlock(&d->lock);
		int log = 0, done = 0;
		int rc = sqlite3_wal_checkpoint_v2(d->checkpointer->h, NULL,
						   SQLITE_CHECKPOINT_PASSIVE, &log, &done);
		/* Under steady traffic some reader always holds a snapshot inside the WAL, so the
		 * writer never gets to start it over and it grows without end (hundreds of MB a
		 * minute): every commit then lands on newly allocated file blocks and every reader
		 * searches a longer WAL index. Past a size, a RESTART checkpoint waits until
		 * readers have moved on, and the next commit rewinds the WAL. It holds the write
		 * lock while it waits, so its wait is cut short (checkpoint_busy): when readers
		 * keep it out, it gives up (after 10 ms) and tries again at the next round rather
		 * than stall the writer. */
		if (rc == SQLITE_OK && log > WAL_RESTART_FRAMES)
			rc = sqlite3_wal_checkpoint_v2(d->checkpointer->h, NULL,
						       SQLITE_CHECKPOINT_RESTART, &log, &done);
		if (rc != SQLITE_OK && rc != SQLITE_BUSY)
			log_warn("msg=\"checkpoint failed\" rc=%d", rc);
		pthread_mutex_lock(&d->lock);
	}
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
		     bool rerunnable)
{
	db_job *j = calloc(1, sizeof *j);
	if (!j)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	*j = (db_job){.fn = fn,
		      .ctx = ctx,
		      .err = err,
		      .done = done,
		      .done_arg = arg,
		      .rerunnable = rerunnable};
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
	pthread_cond_signal(&d->wake);
	pthread_mutex_unlock(&d->lock);
	return 0;
}

int db_write_async(db *d, db_write_fn fn, void *ctx, cl_error *err, db_done_fn done, void *arg)
{
	return queue_job(d, fn, ctx, err, done, arg, false);
}

int db_write_async_rerunnable(db *d, db_write_fn fn, void *ctx, cl_error *err, db_done_fn done,
			      void *arg)
{
	return queue_job(d, fn, ctx, err, done, arg, true);
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

/* SQLite's memory statistics take a global mutex on every allocation: with one connection
 * per thread they would serialize the threads for a figure nobody reads. */
static void sqlite_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	if (wal_vfs_register())
		log_error("msg=\"cannot register the WAL-gathering VFS\"");
}

int db_open(const char *dir, bool durable, db **out, cl_error *err)
{
	static pthread_once_t configured = PTHREAD_ONCE_INIT;
	pthread_once(&configured, sqlite_configure);
	db *d = calloc(1, sizeof *d);
	if (!d)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	snprintf(d->path, sizeof d->path, "%s/crowdloop.db", dir);
	d->durable = durable;
	d->wal_fd = -1;
	int rc = conn_open(d->path, true, durable, &d->writer);
	if (rc) {
		cl_fail(err, rc, NULL, "cannot open the store at %s", d->path);
		free(d);
		return rc;
	}
	rc = migrate(d->writer, err);
	/* The writer's commits reach the WAL file without a flush (wal_vfs.h); the syncer is not
	 * running yet. */
	if (!rc && durable && sync_wal(d))
		rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot flush the store at %s", d->path);
	d->writer->owner = d;
	d->writer->is_writer = true;
	d->writer_epoch = next_epoch();
	atomic_store(&d->access_epoch, next_epoch());
	if (!rc && watch_access_tables(d))
		rc = cl_fail(err, CL_EINTERNAL, NULL, "cannot watch the access tables");
	if (rc) {
		db_conn_close(d->writer);
		if (d->wal_fd >= 0)
			close(d->wal_fd);
		free(d);
		return rc;
	}
	pthread_mutex_init(&d->lock, NULL);
	pthread_cond_init(&d->wake, NULL);
	pthread_mutex_init(&d->readers_lock, NULL);
	pthread_key_create(&d->reader_key, NULL);
	pthread_cond_init(&d->checkpoint_wake, NULL);
	if (conn_open(d->path, false, durable, &d->checkpointer) ||
	    pthread_create(&d->checkpoint_thread, NULL, checkpoint_main, d)) {
		db_conn_close(d->writer);
		if (d->wal_fd >= 0)
			close(d->wal_fd);
		free(d);
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the checkpoint thread");
	}
	/* Durable: the writer commits without flushing and the syncer flushes (writer_main). */
	pthread_cond_init(&d->sync_wake, NULL);
	if (durable && pthread_create(&d->sync_thread, NULL, sync_main, d)) {
		db_conn_close(d->writer);
		if (d->wal_fd >= 0)
			close(d->wal_fd);
		free(d);
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the sync thread");
	}
	if (pthread_create(&d->writer_thread, NULL, writer_main, d)) {
		db_conn_close(d->writer);
		if (d->wal_fd >= 0)
			close(d->wal_fd);
		free(d);
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot start the writer thread");
	}
	*out = d;
	return 0;
}

void db_close(db *d)
{
	if (!d)
		return;
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
	pthread_cond_destroy(&d->sync_wake);
	pthread_mutex_lock(&d->lock);
	pthread_cond_signal(&d->checkpoint_wake);
	pthread_mutex_unlock(&d->lock);
	pthread_join(d->checkpoint_thread, NULL);
	db_conn_close(d->checkpointer);
	pthread_cond_destroy(&d->checkpoint_wake);
	for (db_conn *r = d->readers, *nx; r; r = nx) {
		nx = r->next_reader;
		db_conn_close(r);
	}
	exec_sql(d->writer, "PRAGMA wal_checkpoint(TRUNCATE)");
	db_conn_close(d->writer);
	pthread_key_delete(d->reader_key);
	pthread_mutex_destroy(&d->lock);
	pthread_cond_destroy(&d->wake);
	pthread_mutex_destroy(&d->readers_lock);
	free(d);
}

const char *db_path(const db *d)
{
	return d->path;
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
}

db_conn *db_reader(db *d)
{
	db_conn *c = pthread_getspecific(d->reader_key);
	if (c)
		return c;
	if (conn_open(d->path, false, d->durable, &c))
		abort(); /* the file opened for the writer a moment ago */
	c->owner = d;
	pthread_mutex_lock(&d->readers_lock);
	c->next_reader = d->readers;
	d->readers = c;
	pthread_mutex_unlock(&d->readers_lock);
	pthread_setspecific(d->reader_key, c);
	return c;
}

db_conn *db_conn_open_reader(db *d)
{
	db_conn *c = NULL;
	if (conn_open(d->path, false, d->durable, &c))
		return NULL;
	c->owner = d;
	return c;
}

static int run_cached(db_conn *c, const char *sql);

void db_read_begin(db_conn *c)
{
	run_cached(c, "BEGIN");
}

void db_read_end(db_conn *c)
{
	run_cached(c, "COMMIT");
}
