/* Unit tests of store/checkpointer: under steady traffic (readers always inside a read
 * transaction while the writer commits) the WAL file stays bounded, because the checkpointer has
 * the writer restart it between two groups; group commits report what they held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "db_fixture.h"

/* Keeps a read transaction open almost all the time, as busy handler threads do, each one a
 * short read (a seek, not a walk of the table: a count of a table that grows by thousands of
 * pages would soon hold each transaction past the RESTART's 10 ms, which is another case, a
 * long reader, that keeps the WAL growing for as long as it reads). */
static void *reader_main(void *arg)
{
	fixture *f = arg;
	db_conn *c = db_reader(f->d);
	while (!atomic_load(&f->stop)) {
		db_read_begin(c);
		sqlite3_stmt *st = db_stmt(c, "SELECT max(id) FROM filler");
		db_step(st);
		sqlite3_reset(st);
		usleep(200);
		db_read_end(c);
	}
	return NULL;
}

static long long file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) ? 0 : (long long)sb.st_size;
}

/* Writes `commits` rows of 8 KiB, one commit each, while readers keep read transactions open;
 * fails when the WAL file grows past `limit` bytes or is never restarted. */
static void wal_stays_bounded(fixture *f, int commits, long long limit)
{
	cl_error err;
	assert_int_equal(db_write(f->d, create_table, NULL, &err), 0);
	pthread_t readers[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&readers[i], NULL, reader_main, f), 0);
	char wal[128];
	snprintf(wal, sizeof wal, "%s/crowdloop.db-wal", f->dir);
	long long peak = 0;
	db_stats s0, s1;
	db_write_stats(f->d, &s0);
	for (int i = 0; i < commits; i++) {
		assert_int_equal(db_write(f->d, insert_row, NULL, &err), 0);
		long long size = file_size(wal);
		if (size > peak)
			peak = size;
	}
	atomic_store(&f->stop, true);
	for (int i = 0; i < 4; i++)
		pthread_join(readers[i], NULL);
	db_write_stats(f->d, &s1);
	assert_int_equal(s1.jobs - s0.jobs, commits);
	/* Each row takes two pages of its own (8 KiB in 4 KiB pages). */
	assert_true(s1.pages - s0.pages >= 2 * (uint64_t)commits);
	assert_true(s1.commits - s0.commits >= 1 && s1.commits - s0.commits <= (uint64_t)commits);
	/* Past a 16 MiB threshold: restarted, and each restart counted. */
	assert_true(s1.wal_restarts > s0.wal_restarts);
	assert_true(s1.wal_restart_ns > s0.wal_restart_ns);
	print_message("the WAL's peak: %lld MiB, %llu restarts tried\n", peak >> 20,
		      (unsigned long long)(s1.wal_restarts - s0.wal_restarts));
	if (peak > limit)
		fail_msg("the WAL grew to %lld bytes", peak);
}

/* 20,000 commits: over 300 MiB of WAL when it never starts over. The limit is the restart
 * threshold (16 MiB) plus what arrives while the checkpointer's rounds catch up with a writer
 * that never waits for the disk: 54-138 MiB seen, two runs in parallel on two cores (with
 * readers that counted the whole table, and so held their transactions ever longer, 80-283). */
static void test_wal_stays_bounded(void **state)
{
	wal_stays_bounded(*state, 20000, 240LL << 20);
}

/* A durable store's writer flushes the WAL itself before its RESTART (writer.c). Each commit
 * waits for its flush here, so fewer of them: 6,000 are 94 MiB of WAL when it never starts
 * over. */
static void test_durable_wal_restarted_by_writer(void **state)
{
	wal_stays_bounded(*state, 6000, 80LL << 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_wal_stays_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_durable_wal_restarted_by_writer, setup_durable,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
