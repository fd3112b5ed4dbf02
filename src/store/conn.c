/* SQLite connections for the store: opening and closing the store, the per-thread read
 * connections, the per-connection statement cache and memos, the access epoch, and the helpers
 * that bind, step and page statements. The writer (writer.c) and the checkpointer
 * (checkpointer.c) run on connections made here. */
#include "store/checkpointer.h"
#include "store/db_internal.h"
#include "store/migrations.h"
#include "store/faults.h"
#include "store/page_cache.h"
#include "store/wal_vfs.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a restarted WAL file is cut back to (PRAGMA journal_size_limit). */
#define WAL_KEEP_BYTES (32 << 20)

/* The writer's page cache. Every commit costs in proportion to it: at the end of each
 * transaction SQLite truncates its page cache to the database's size, and the cache walks its
 * whole hash table to do so (perf: pcache1TruncateUnsafe, a fifth of the writer's time at 1M
 * items with 64 MiB). Measured at 1M items: 0.27-0.47 ms per commit with 64 MiB, 0.25 with 32,
 * 0.16 with 16, and still under one miss a commit. Imports, whose index inserts range over the
 * whole store, are slower with less (1M items in 40 s instead of 30). */
#define WRITER_CACHE_KIB 16384

/* Read connections, one per thread that reads, share one budget of page cache: each gets the
 * budget divided by the threads the server said would read (db_set_readers), never less than
 * READER_CACHE_MIN_KIB. A reader's cache holds pages another reader may hold too, and the
 * kernel's page cache is behind them all; with a fixed 16 MiB each, ten exports on ten handler
 * threads took the server from 25 to 115 MB. docs/BENCHMARKS.md states the server's total. */
#define READERS_CACHE_KIB 65536
#define READER_CACHE_MIN_KIB 512
#define CHECKPOINTER_CACHE_KIB 1024

_Atomic uint64_t db_epoch_source;

/* The writer seldom waits for the write lock (it restarts the WAL itself, writer.c): it
 * tries again every WRITER_BUSY_US, where SQLite's own timeout sleeps 1, 2, then 5 ms and more
 * between tries, stopping every request in flight that long. Like the other connections, it
 * gives up after BUSY_TIMEOUT_MS. */
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

void db_conn_writer_busy(db_conn *c)
{
	sqlite3_busy_handler(c->h, writer_busy, &c->busy_since);
}

int db_conn_open(const char *path, bool writer, bool durable, db_conn **out)
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
		db_conn_writer_busy(c);
	else
		sqlite3_busy_timeout(c->h, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(c->h, 1);
	char pragmas[256];
	snprintf(pragmas, sizeof pragmas,
		 "PRAGMA journal_mode=WAL; PRAGMA synchronous=%s; PRAGMA foreign_keys=ON;"
		 "PRAGMA temp_store=MEMORY; PRAGMA cache_size=-%d; PRAGMA wal_autocheckpoint=%d;"
		 "PRAGMA journal_size_limit=%d;",
		 durable ? "FULL" : "NORMAL", writer ? WRITER_CACHE_KIB : CHECKPOINTER_CACHE_KIB,
		 writer ? 0 : 1000, WAL_KEEP_BYTES);
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
			int rc = SQLITE_NOMEM;
			/* Memory short for a moment is asked for again; what stays short ends the
			 * process like a bug, since no caller is ready for a missing statement. */
			for (int try = 0; try < 3 && rc == SQLITE_NOMEM; try++)
				rc = sqlite3_prepare_v3(c->h, sql, -1, SQLITE_PREPARE_PERSISTENT,
							&st, NULL);
			if (rc != SQLITE_OK) {
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

/* A text bound on this thread that could not be copied (no memory): the next step on the
 * thread fails instead of writing NULL in its place. */
static _Thread_local bool bind_failed;

int db_step(sqlite3_stmt *st)
{
	if (bind_failed) {
		bind_failed = false;
		log_error(
		    "msg=\"a value could not be bound\" error=\"out of memory\" sql=\"%.120s\"",
		    sqlite3_sql(st));
		return SQLITE_NOMEM;
	}
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
	if (s && sqlite3_bind_text(st, i, s, -1, SQLITE_TRANSIENT) != SQLITE_OK)
		bind_failed = true;
	else if (!s)
		sqlite3_bind_null(st, i);
}

void db_bind_int(sqlite3_stmt *st, int i, int64_t v)
{
	sqlite3_bind_int64(st, i, v);
}

void db_bind_values(sqlite3_stmt *st, const db_value *values, int n)
{
	for (int i = 0; i < n; i++) {
		const db_value *v = &values[i];
		switch (v->type) {
		case DB_VALUE_INT: sqlite3_bind_int64(st, i + 1, v->i); break;
		case DB_VALUE_TEXT: db_bind_text(st, i + 1, v->text); break;
		case DB_VALUE_REAL: sqlite3_bind_double(st, i + 1, v->real); break;
		}
	}
}

const char *db_col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

json_t *db_col_json(sqlite3_stmt *st, int i)
{
	json_t *v = json_loads(db_col_text(st, i), 0, NULL);
	return v ? v : json_null();
}

int64_t db_one_int(sqlite3_stmt *st)
{
	int64_t v = db_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return v;
}

json_t *db_ints(sqlite3_stmt *st)
{
	json_t *out = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(out, json_integer(sqlite3_column_int64(st, 0)));
	sqlite3_reset(st);
	return out;
}

bool db_one_text(sqlite3_stmt *st, char *out, size_t size)
{
	bool found = db_step(st) == SQLITE_ROW;
	snprintf(out, size, "%s", found ? db_col_text(st, 0) : "");
	sqlite3_reset(st);
	return found;
}

int db_exec_sql(db_conn *c, const char *sql)
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
	if (db_exec_sql(c, "CREATE TABLE IF NOT EXISTS schema_migrations("
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
		if (db_exec_sql(c, "BEGIN IMMEDIATE"))
			return cl_fail(err, CL_EINTERNAL, NULL, "cannot begin migration");
		if (db_exec_sql(c, m->sql)) {
			if (!sqlite3_get_autocommit(c->h))
				db_exec_sql(c, "ROLLBACK");
			return cl_fail(err, CL_EINTERNAL, NULL, "migration %d failed", m->version);
		}
		st = db_stmt(c, "INSERT INTO schema_migrations(version, applied_at) "
				"VALUES (?, strftime('%s','now'))");
		db_bind_int(st, 1, m->version);
		if (db_exec_stmt(st, err) || db_exec_sql(c, "COMMIT")) {
			if (!sqlite3_get_autocommit(c->h))
				db_exec_sql(c, "ROLLBACK");
			return cl_fail(err, CL_EINTERNAL, NULL, "migration %d failed", m->version);
		}
		log_info("msg=\"migration applied\" version=%d name=\"%s\"", m->version, m->name);
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

/* SQLite's memory statistics take a global mutex on every allocation: with one connection
 * per thread they would serialize the threads for a figure nobody reads. */
static void sqlite_configure(void)
{
	sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	store_faults_install(); /* a test build's counted allocator; nothing otherwise */
	page_cache_install();
	if (wal_vfs_register())
		log_error("msg=\"cannot register the WAL-gathering VFS\"");
}

/* The store's files are the owner's alone (0600): the database is created so before SQLite
 * opens it (SQLite gives its WAL and shared-memory files the database's mode), and a file an
 * older version left readable by others is narrowed. */
static int store_files_private(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return CL_EINTERNAL;
	struct stat sb;
	int rc = fstat(fd, &sb) || ((sb.st_mode & 077) && fchmod(fd, 0600)) ? CL_EINTERNAL : 0;
	close(fd);
	static const char *const side[] = {"-wal", "-shm", "-journal"};
	for (size_t i = 0; !rc && i < sizeof side / sizeof side[0]; i++) {
		char p[4200]; /* a db's path (4096) and the suffix */
		snprintf(p, sizeof p, "%s%s", path, side[i]);
		if (!stat(p, &sb) && (sb.st_mode & 077) && chmod(p, 0600))
			rc = CL_EINTERNAL;
	}
	return rc;
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
	d->writer_wal_fd = -1;
	if (store_files_private(d->path)) {
		cl_fail(err, CL_EINTERNAL, NULL, "cannot create the store at %s", d->path);
		free(d);
		return CL_EINTERNAL;
	}
	int rc = db_conn_open(d->path, true, durable, &d->writer);
	if (rc) {
		cl_fail(err, rc, NULL, "cannot open the store at %s", d->path);
		free(d);
		return rc;
	}
	rc = migrate(d->writer, err);
	if (!rc)
		rc = db_writer_adopt(d, err);
	if (rc)
		goto fail;
	pthread_mutex_init(&d->lock, NULL);
	/* The writer's timed waits (writer.c) count on the monotonic clock. */
	pthread_condattr_t monotonic;
	pthread_condattr_init(&monotonic);
	pthread_condattr_setclock(&monotonic, CLOCK_MONOTONIC);
	pthread_cond_init(&d->wake, &monotonic);
	pthread_condattr_destroy(&monotonic);
	pthread_mutex_init(&d->readers_lock, NULL);
	pthread_key_create(&d->reader_key, NULL);
	d->readers_expected = 32; /* until db_set_readers says */
	if ((rc = db_checkpointer_start(d, err)) || (rc = db_writer_start(d, err)))
		goto fail;
	*out = d;
	return 0;
fail:
	db_conn_close(d->writer);
	if (d->wal_fd >= 0)
		close(d->wal_fd);
	free(d);
	return rc;
}

void db_close(db *d)
{
	if (!d)
		return;
	db_writer_stop(d);
	db_checkpointer_stop(d);
	for (db_conn *r = d->readers, *nx; r; r = nx) {
		nx = r->next_reader;
		db_conn_close(r);
	}
	db_exec_sql(d->writer, "PRAGMA wal_checkpoint(TRUNCATE)");
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

void db_set_readers(db *d, int threads)
{
	d->readers_expected = threads > 0 ? threads : 1;
}

int db_reader_cache_kib(const db *d)
{
	int kib = READERS_CACHE_KIB / (d->readers_expected > 0 ? d->readers_expected : 1);
	return kib < READER_CACHE_MIN_KIB ? READER_CACHE_MIN_KIB : kib;
}

/* A reader's share of the readers' cache budget (READERS_CACHE_KIB). */
static void reader_cache_set(db *d, db_conn *c)
{
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA cache_size=-%d", db_reader_cache_kib(d));
	db_exec_sql(c, sql);
}

db_conn *db_reader(db *d)
{
	db_conn *c = pthread_getspecific(d->reader_key);
	if (c)
		return c;
	/* The file opened for the writer a moment ago: only memory short for a moment fails
	 * this, and it is asked for again before the process gives up. */
	int rc = CL_EINTERNAL;
	for (int try = 0; try < 3 && rc; try++)
		rc = db_conn_open(d->path, false, d->durable, &c);
	if (rc)
		abort();
	c->owner = d;
	reader_cache_set(d, c);
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
	if (db_conn_open(d->path, false, d->durable, &c))
		return NULL;
	c->owner = d;
	reader_cache_set(d, c);
	return c;
}

void db_read_begin(db_conn *c)
{
	run_cached(c, "BEGIN");
}

void db_read_end(db_conn *c)
{
	/* A statement that failed for want of memory or I/O may have ended the read already:
	 * SQLite rolls a transaction back itself then. */
	if (!sqlite3_get_autocommit(c->h))
		run_cached(c, "COMMIT");
}
