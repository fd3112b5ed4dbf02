/* Unit tests of store/conn: the access epoch moves exactly when an access table changes, so
 * memos keyed by it are never stale; memos are per connection and start zeroed; the read
 * connections share one page cache budget. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "db_fixture.h"

static int add_user(db_conn *c, void *ctx, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO users(username, password_hash, created_at)"
				      " VALUES (?, 'x', 0)");
	db_bind_text(st, 1, ctx);
	return db_exec_stmt(st, err);
}

static int rename_user_then_fail(db_conn *c, void *ctx, cl_error *err)
{
	uint64_t *seen = ctx;
	uint64_t before = db_access_epoch(c);
	sqlite3_stmt *st = db_stmt(c, "UPDATE users SET username = 'renamed'");
	db_exec_stmt(st, err);
	seen[0] = before;
	seen[1] = db_access_epoch(c); /* the writer sees its own change at once */
	return cl_fail(err, CL_EINVAL, NULL, "rolled back on purpose");
}

static uint64_t writer_epoch_now;
static int read_writer_epoch(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	(void)err;
	writer_epoch_now = db_access_epoch(c);
	return 0;
}

static void test_access_epoch_moves_with_access_tables(void **state)
{
	fixture *f = *state;
	cl_error err;
	db_conn *r = db_reader(f->d);
	uint64_t e0 = db_access_epoch(r);
	assert_true(e0 != 0);
	/* A table that says nothing about access leaves it alone. */
	assert_int_equal(db_write(f->d, create_table, NULL, &err), 0);
	assert_int_equal(db_write(f->d, insert_row, NULL, &err), 0);
	assert_true(db_access_epoch(r) == e0);
	/* A new user moves it, once the change is committed. */
	assert_int_equal(db_write(f->d, add_user, "ana", &err), 0);
	uint64_t e1 = db_access_epoch(r);
	assert_true(e1 != e0);
	/* A change the job rolls back still moves both epochs: what was read inside is stale. */
	assert_int_equal(db_write(f->d, read_writer_epoch, NULL, &err), 0);
	uint64_t w0 = writer_epoch_now;
	uint64_t seen[2];
	assert_int_equal(db_write(f->d, rename_user_then_fail, seen, &err), CL_EINVAL);
	assert_true(seen[0] == w0);
	assert_true(seen[1] != seen[0]);
	assert_int_equal(db_write(f->d, read_writer_epoch, NULL, &err), 0);
	assert_true(writer_epoch_now != seen[1]);
	assert_true(db_access_epoch(r) != e1);
	/* Inside a read transaction the snapshot may be older than the epoch: no epoch then. */
	db_read_begin(r);
	assert_true(db_access_epoch(r) == 0);
	db_read_end(r);
	assert_true(db_access_epoch(r) != 0);
}

static void test_memo_is_per_connection_and_zeroed(void **state)
{
	fixture *f = *state;
	db_conn *r = db_reader(f->d);
	unsigned char *m = db_conn_memo(r, DB_MEMO_QUALITY, 4096, NULL);
	assert_non_null(m);
	for (int i = 0; i < 4096; i++)
		assert_int_equal(m[i], 0);
	m[0] = 7;
	assert_ptr_equal(db_conn_memo(r, DB_MEMO_QUALITY, 4096, NULL), m);
	db_conn *other = db_conn_open_reader(f->d);
	unsigned char *m2 = db_conn_memo(other, DB_MEMO_QUALITY, 4096, NULL);
	assert_ptr_not_equal(m2, m);
	assert_int_equal(m2[0], 0);
	db_conn_close(other);
}

static int cache_kib_of(db_conn *c)
{
	sqlite3_stmt *st = db_stmt(c, "PRAGMA cache_size");
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int v = sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return v < 0 ? -v : v; /* negative: KiB */
}

/* However many threads read, their caches together stay within 64 MiB, or 512 KiB each when
 * there are more than 128 of them. */
static void test_readers_share_one_cache_budget(void **state)
{
	fixture *f = *state;
	const int threads[] = {1, 20, 160, 1000};
	for (size_t i = 0; i < sizeof threads / sizeof *threads; i++) {
		db_set_readers(f->d, threads[i]);
		db_conn *c = db_conn_open_reader(f->d);
		int kib = cache_kib_of(c);
		assert_int_equal(kib, db_reader_cache_kib(f->d));
		long long total = (long long)kib * threads[i];
		long long bound = threads[i] * 512LL > 65536 ? threads[i] * 512LL : 65536;
		assert_true(total <= bound);
		assert_true(kib >= 512);
		db_conn_close(c);
	}
	db_set_readers(f->d, 20);
	assert_int_equal(cache_kib_of(db_reader(f->d)), 65536 / 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_access_epoch_moves_with_access_tables, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_memo_is_per_connection_and_zeroed, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_readers_share_one_cache_budget, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
