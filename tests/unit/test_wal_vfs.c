/* Unit tests of store/wal_vfs: a connection whose WAL writes are gathered publishes only what is
 * in the file (another connection reads every committed row, after transactions that spill
 * pages into the WAL and read them back, and after ones larger than one write), and a commit
 * whose gathered write fails fails as a whole and shows nothing to readers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store/wal_vfs.h"
#include "tmpdir.h"

typedef struct fixture {
	char dir[64], path[128];
	sqlite3 *writer, *reader;
} fixture;

static void exec(sqlite3 *h, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(h, sql, NULL, NULL, &msg);
	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : "?");
}

static int64_t count(sqlite3 *h, const char *sql)
{
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(h, sql, -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof *f);
	assert_int_equal(tmpdir_make(f->dir, sizeof f->dir, "walvfs"), 0);
	snprintf(f->path, sizeof f->path, "%s/t.db", f->dir);
	assert_int_equal(wal_vfs_register(), 0);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
	assert_int_equal(sqlite3_open_v2(f->path, &f->writer, flags, WAL_VFS_NAME), SQLITE_OK);
	/* A small cache makes large transactions spill pages into the WAL before they commit, and
	 * read some of them back. */
	exec(f->writer, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=20;"
			"PRAGMA wal_autocheckpoint=0;"
			"CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);"
			"CREATE INDEX t_v ON t(v);");
	assert_int_equal(sqlite3_open_v2(f->path, &f->reader, SQLITE_OPEN_READWRITE, NULL),
			 SQLITE_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	sqlite3_close(f->reader);
	sqlite3_close(f->writer);
	if (tmpdir_remove(f->dir))
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

/* Inserts `n` rows in one transaction and updates every one of them once more. */
static void insert_rows(sqlite3 *h, int n)
{
	char sql[256];
	snprintf(
	    sql, sizeof sql,
	    "BEGIN; WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < %d)"
	    " INSERT INTO t(v) SELECT printf('%%08d-%%s', i, hex(randomblob(40))) FROM s;"
	    " UPDATE t SET v = v || 'x' WHERE id > (SELECT max(id) FROM t) - %d; COMMIT;",
	    n, n);
	exec(h, sql);
}

static void test_readers_see_every_committed_row(void **state)
{
	fixture *f = *state;
	int64_t total = 0;
	/* From one-page commits to ones of several MiB: past one write and past the buffer. */
	const int sizes[] = {1, 10, 100, 2000, 20000, 150000};
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		insert_rows(f->writer, sizes[i]);
		total += sizes[i];
		assert_int_equal(count(f->reader, "SELECT count(*) FROM t"), total);
		assert_int_equal(count(f->reader, "SELECT count(*) FROM t WHERE v LIKE '%x'"),
				 total);
	}
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(f->reader, "PRAGMA integrity_check", -1, &st, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
}

static void test_a_failed_write_fails_the_commit(void **state)
{
	fixture *f = *state;
	insert_rows(f->writer, 100);
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", f->path);
	struct stat s;
	assert_int_equal(stat(wal, &s), 0);
	/* The WAL file may not grow: the next commit's gathered write fails (EFBIG). */
	struct rlimit old, lim;
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = (rlim_t)s.st_size;
	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
	int rc = sqlite3_exec(f->writer, "BEGIN; INSERT INTO t(v) SELECT v || 'y' FROM t; COMMIT;",
			      NULL, NULL, NULL);
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	assert_int_not_equal(rc, SQLITE_OK);
	if (!sqlite3_get_autocommit(f->writer))
		exec(f->writer, "ROLLBACK");
	assert_int_equal(count(f->reader, "SELECT count(*) FROM t"), 100);
	assert_int_equal(count(f->writer, "SELECT count(*) FROM t"), 100);
	/* The store goes on once the file may grow again. */
	insert_rows(f->writer, 50);
	assert_int_equal(count(f->reader, "SELECT count(*) FROM t"), 150);
	assert_int_equal(count(f->reader, "SELECT count(*) FROM t WHERE v LIKE '%y'"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_readers_see_every_committed_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_failed_write_fails_the_commit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
