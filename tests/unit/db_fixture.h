/* The store the db unit tests (test_conn.c, test_writer.c, test_checkpointer.c) run against:
 * one in a temporary directory, opened per test, and the filler rows they write. */
#ifndef CROWDLOOP_TESTS_DB_FIXTURE_H
#define CROWDLOOP_TESTS_DB_FIXTURE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

#include "store/db.h"
#include "tmpdir.h"

typedef struct fixture {
	char dir[64];
	db *d;
	atomic_bool stop;
} fixture;

static inline int open_store(void **state, bool durable)
{
	fixture *f = calloc(1, sizeof *f);
	assert_int_equal(tmpdir_make(f->dir, sizeof f->dir, "db"), 0);
	cl_error err;
	assert_int_equal(db_open(f->dir, durable, &f->d, &err), 0);
	*state = f;
	return 0;
}

static inline int setup(void **state)
{
	return open_store(state, false);
}

static inline int setup_durable(void **state)
{
	return open_store(state, true);
}

static inline int teardown(void **state)
{
	fixture *f = *state;
	db_close(f->d);
	if (tmpdir_remove(f->dir))
		fprintf(stderr, "could not remove %s\n", f->dir);
	free(f);
	return 0;
}

static inline int create_table(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	sqlite3_stmt *st = db_stmt(c, "CREATE TABLE IF NOT EXISTS filler(id INTEGER PRIMARY KEY,"
				      " data BLOB NOT NULL)");
	return db_exec_stmt(st, err);
}

/* One 8 KiB row: at least two WAL frames a commit. */
static inline int insert_row(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO filler(data) VALUES (zeroblob(8192))");
	return db_exec_stmt(st, err);
}

#endif
