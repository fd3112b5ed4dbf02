/* Unit tests of store/writer: a durable store answers a write only once its WAL is flushed, and
 * rerunnable jobs that share a savepoint still fail alone. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <semaphore.h>

#include "db_fixture.h"

static void *durable_writer_main(void *arg)
{
	fixture *f = arg;
	cl_error err;
	for (int i = 0; i < 50; i++)
		if (db_write(f->d, insert_row, NULL, &err))
			return (void *)1;
	return NULL;
}

/* A durable store answers a write only after a flush of the WAL that began after its commit:
 * one thread writing in turn sees a flush per write; many threads at once share flushes. */
static void test_durable_writes_are_flushed_before_the_answer(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, create_table, NULL, &err), 0);
	db_stats s0, s1, s2;
	db_write_stats(f->d, &s0);
	for (int i = 0; i < 50; i++) {
		db_stats before, after;
		db_write_stats(f->d, &before);
		assert_int_equal(db_write(f->d, insert_row, NULL, &err), 0);
		db_write_stats(f->d, &after);
		assert_true(after.syncs > before.syncs);
	}
	db_write_stats(f->d, &s1);
	assert_true(s1.syncs - s0.syncs >= 50);
	/* Each of those writes ran a job, committed and flushed: all three clocks moved. */
	assert_true(s1.run_ns > s0.run_ns);
	assert_true(s1.commit_ns > s0.commit_ns);
	assert_true(s1.flush_ns > s0.flush_ns);
	pthread_t writers[8];
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&writers[i], NULL, durable_writer_main, f), 0);
	for (int i = 0; i < 8; i++) {
		void *failed = NULL;
		pthread_join(writers[i], &failed);
		assert_null(failed);
	}
	db_write_stats(f->d, &s2);
	assert_int_equal(s2.jobs - s1.jobs, 400);
	assert_true(s2.syncs - s1.syncs >= 1);
	assert_true(s2.syncs - s1.syncs <= s2.commits - s1.commits);
	/* Every acknowledged row is in the file after the store closes and opens again. */
	db_close(f->d);
	assert_int_equal(db_open(f->dir, true, &f->d, &err), 0);
	sqlite3_stmt *st = db_stmt(db_reader(f->d), "SELECT count(*) FROM filler");
	assert_int_equal(db_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), 450);
	sqlite3_reset(st);
}

/* ---- rerunnable jobs ---- */

static int create_marks(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	return db_exec_stmt(db_stmt(c, "CREATE TABLE marks(name TEXT NOT NULL UNIQUE)"), err);
}

/* A job that inserts its mark and then, when told to, fails: after writing, or before. */
typedef struct mark_job {
	const char *name;
	bool fail_after_write, fail_before_write;
	int runs;
	db_wait w;
	cl_error err;
} mark_job;

static int mark(db_conn *c, void *ctx, cl_error *err)
{
	mark_job *m = ctx;
	m->runs++;
	if (m->fail_before_write)
		return cl_fail(err, CL_ECONFLICT, NULL, "refused before writing");
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO marks(name) VALUES (?)");
	db_bind_text(st, 1, m->name);
	int rc = db_exec_stmt(st, err);
	if (!rc && m->fail_after_write)
		rc = cl_fail(err, CL_ECONFLICT, NULL, "failed after writing");
	return rc;
}

static sem_t gate_entered, gate_open;
static int wait_at_gate(db_conn *c, void *ctx, cl_error *err)
{
	(void)c;
	(void)ctx;
	(void)err;
	sem_post(&gate_entered);
	sem_wait(&gate_open);
	return 0;
}

static void test_rerunnable_jobs_fail_alone(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, create_marks, NULL, &err), 0);
	/* Hold the writer so that the four jobs queue up and run in one group, in one run: they
	 * are queued only once the writer runs the gate, so none of them joins the gate's batch. */
	sem_init(&gate_entered, 0, 0);
	sem_init(&gate_open, 0, 0);
	db_wait gate;
	db_wait_init(&gate);
	assert_int_equal(db_write_async(f->d, wait_at_gate, NULL, &err, db_wait_done, &gate), 0);
	sem_wait(&gate_entered);
	mark_job jobs[4] = {
	    {.name = "a"},
	    {.name = "b", .fail_after_write = true},
	    {.name = "c", .fail_before_write = true},
	    {.name = "d"},
	};
	for (int i = 0; i < 4; i++) {
		db_wait_init(&jobs[i].w);
		assert_int_equal(db_write_async_rerunnable(f->d, mark, &jobs[i], &jobs[i].err,
							   db_wait_done, &jobs[i].w),
				 0);
	}
	sem_post(&gate_open);
	assert_int_equal(db_wait_for(&gate), 0);
	int rc[4];
	for (int i = 0; i < 4; i++)
		rc[i] = db_wait_for(&jobs[i].w);
	assert_int_equal(rc[0], 0);
	assert_int_equal(rc[1], CL_ECONFLICT);
	assert_string_equal(jobs[1].err.message, "failed after writing");
	assert_int_equal(rc[2], CL_ECONFLICT);
	assert_int_equal(rc[3], 0);
	/* b's failure after writing undid the run it shared with a: both ran again, alone. A
	 * failure before writing (c) undoes nothing, and d ran once. */
	assert_int_equal(jobs[0].runs, 2);
	assert_int_equal(jobs[1].runs, 2);
	assert_int_equal(jobs[3].runs, 1);
	sqlite3_stmt *st =
	    db_stmt(db_reader(f->d), "SELECT group_concat(name, ',') FROM (SELECT name FROM marks"
				     " ORDER BY name)");
	assert_int_equal(db_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "a,d");
	sqlite3_reset(st);
	sem_destroy(&gate_open);
	sem_destroy(&gate_entered);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rerunnable_jobs_fail_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_durable_writes_are_flushed_before_the_answer,
					    setup_durable, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
