/* Unit tests of store/writer: a durable store answers a write only once its WAL is flushed,
 * a commit interval spaces its commits, rerunnable jobs that share a savepoint still fail
 * alone, a transaction SQLite rolled back by itself fails its whole group, and a merged part
 * runs once a group with the jobs that succeeded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "util/clock.h"
#include "util/log.h"

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

/* 8 threads at once, 50 writes each in turn. */
static void write_from_eight_threads(fixture *f)
{
	pthread_t writers[8];
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&writers[i], NULL, durable_writer_main, f), 0);
	for (int i = 0; i < 8; i++) {
		void *failed = NULL;
		pthread_join(writers[i], &failed);
		assert_null(failed);
	}
}

/* Every acknowledged row is in the file after the store closes and opens again. */
static void assert_rows_after_reopening(fixture *f, int rows)
{
	cl_error err;
	db_close(f->d);
	assert_int_equal(db_open(f->dir, true, &f->d, &err), 0);
	sqlite3_stmt *st = db_stmt(db_reader(f->d), "SELECT count(*) FROM filler");
	assert_int_equal(db_step(st), SQLITE_ROW);
	assert_int_equal(sqlite3_column_int(st, 0), rows);
	sqlite3_reset(st);
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
	write_from_eight_threads(f);
	db_write_stats(f->d, &s2);
	assert_int_equal(s2.jobs - s1.jobs, 400);
	assert_true(s2.syncs - s1.syncs >= 1);
	assert_true(s2.syncs - s1.syncs <= s2.commits - s1.commits);
	assert_rows_after_reopening(f, 450);
}

/* ---- the commit interval ---- */

#define COMMIT_INTERVAL_US 20000

/* With a commit interval a durable store begins a commit at most once an interval: eight
 * threads writing in turn share groups instead of taking a commit each (without the interval
 * the same writes take dozens of commits in the same time), and every answered write is in the
 * file after the store opens again. Set back to 0, a lone thread's writes commit one by one. */
static void test_a_commit_interval_spaces_the_commits(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, create_table, NULL, &err), 0);
	db_set_commit_interval(f->d, COMMIT_INTERVAL_US);
	db_stats s0, s1, s2;
	db_write_stats(f->d, &s0);
	int64_t t0 = clock_mono_ns();
	write_from_eight_threads(f);
	uint64_t elapsed = (uint64_t)(clock_mono_ns() - t0);
	db_write_stats(f->d, &s1);
	assert_int_equal(s1.jobs - s0.jobs, 400);
	uint64_t commits = s1.commits - s0.commits;
	assert_true(commits <= elapsed / (COMMIT_INTERVAL_US * 1000ull) + 1);
	assert_true(commits < 400 / 2);
	assert_true(s1.syncs - s0.syncs >= commits);
	db_set_commit_interval(f->d, 0);
	for (int i = 0; i < 20; i++)
		assert_int_equal(db_write(f->d, insert_row, NULL, &err), 0);
	db_write_stats(f->d, &s2);
	assert_int_equal(s2.commits - s1.commits, 20);
	assert_rows_after_reopening(f, 420);
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
	bool lose_transaction; /* after writing, the transaction is rolled back under the writer */
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
	if (!rc && m->lose_transaction) {
		/* What SQLite does by itself when memory runs out mid-statement: the whole
		 * transaction, its savepoints with it, is rolled back. */
		sqlite3_exec(db_handle(c), "ROLLBACK", NULL, NULL, NULL);
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	if (!rc && m->fail_after_write)
		rc = cl_fail(err, CL_ECONFLICT, NULL, "failed after writing");
	return rc;
}

static int clear_marks(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	return db_exec_stmt(db_stmt(c, "DELETE FROM marks"), err);
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

static int merged_calls;
static bool merged_fails;

/* Marks "m:" and the names of the jobs it merges, in order. */
static int mark_merged(db_conn *c, void *const *ctxs, int n, cl_error *err)
{
	merged_calls++;
	if (merged_fails)
		return cl_fail(err, CL_ECONFLICT, NULL, "the merged part failed");
	char name[64] = "m:";
	for (int i = 0; i < n; i++)
		strncat(name, ((const mark_job *)ctxs[i])->name, sizeof name - strlen(name) - 1);
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO marks(name) VALUES (?)");
	db_bind_text(st, 1, name);
	return db_exec_stmt(st, err);
}

/* How a gated job is queued. */
typedef enum { QUEUE_PLAIN, QUEUE_RERUNNABLE, QUEUE_MERGED } queue_how;

/* Queues the `n` mark jobs behind a gate, so that they run in one group and in one run: they are
 * queued only once the writer runs the gate, so none joins the gate's batch; jobs[i] as how(i).
 * rc[i] each one's result. */
static void run_gated(fixture *f, mark_job *jobs, queue_how (*how)(const bool *, int),
		      const bool *flags, int n, int *rc)
{
	cl_error err;
	sem_init(&gate_entered, 0, 0);
	sem_init(&gate_open, 0, 0);
	db_wait gate;
	db_wait_init(&gate);
	assert_int_equal(db_write_async(f->d, wait_at_gate, NULL, &err, db_wait_done, &gate), 0);
	sem_wait(&gate_entered);
	for (int i = 0; i < n; i++) {
		mark_job *j = &jobs[i];
		db_wait_init(&j->w);
		int q;
		switch (how(flags, i)) {
		case QUEUE_RERUNNABLE:
			q = db_write_async_rerunnable(f->d, mark, j, &j->err, db_wait_done, &j->w);
			break;
		case QUEUE_MERGED:
			q = db_write_async_merged(f->d, mark, mark_merged, j, &j->err, db_wait_done,
						  &j->w);
			break;
		default:
			q = db_write_async(f->d, mark, j, &j->err, db_wait_done, &j->w);
		}
		assert_int_equal(q, 0);
	}
	sem_post(&gate_open);
	assert_int_equal(db_wait_for(&gate), 0);
	for (int i = 0; i < n; i++)
		rc[i] = db_wait_for(&jobs[i].w);
	sem_destroy(&gate_open);
	sem_destroy(&gate_entered);
}

static queue_how rerunnable_if(const bool *rerunnable, int i)
{
	return rerunnable[i] ? QUEUE_RERUNNABLE : QUEUE_PLAIN;
}

static queue_how merged_if(const bool *merged, int i)
{
	return merged[i] ? QUEUE_MERGED : QUEUE_PLAIN;
}

static void test_rerunnable_jobs_fail_alone(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, create_marks, NULL, &err), 0);
	mark_job jobs[4] = {
	    {.name = "a"},
	    {.name = "b", .fail_after_write = true},
	    {.name = "c", .fail_before_write = true},
	    {.name = "d"},
	};
	static const bool rerunnable[4] = {true, true, true, true};
	int rc[4];
	run_gated(f, jobs, rerunnable_if, rerunnable, 4, rc);
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
}

/* The marks in the table, in order, as "a,b" ("" when none). */
static void marks_are(fixture *f, const char *want)
{
	sqlite3_stmt *st = db_stmt(db_reader(f->d), "SELECT coalesce(group_concat(name, ','), '')"
						    " FROM (SELECT name FROM marks ORDER BY name)");
	assert_int_equal(db_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), want);
	sqlite3_reset(st);
}

/* Runs `n` mark jobs in one group behind a gate, stderr kept in `log` (size bytes); rc[i] each
 * one's result. */
static void run_group(fixture *f, mark_job *jobs, const bool *rerunnable, int n, int *rc,
		      char *log, size_t size)
{
	char path[] = "/tmp/crowdloop-writer-log-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	unlink(path);
	int saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	run_gated(f, jobs, rerunnable_if, rerunnable, n, rc);
	log_flush();
	dup2(saved, STDERR_FILENO);
	close(saved);
	ssize_t got = pread(fd, log, size - 1, 0);
	log[got > 0 ? got : 0] = '\0';
	close(fd);
}

/* A job after which SQLite rolled the transaction back fails the jobs of its group that ran
 * before it (their writes went with it) and those after it, alone or in a run, without touching
 * savepoints that are gone ("no such savepoint"); the writer then goes on. */
static void test_a_rolled_back_transaction_fails_its_group(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, create_marks, NULL, &err), 0);
	static const struct {
		bool rerunnable[4];
	} cases[] = {
	    {{false, false, false, false}}, /* each in a savepoint of its own */
	    {{true, true, true, true}},	    /* all in one run */
	    {{true, false, true, false}},
	};
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		mark_job jobs[4] = {
		    {.name = "a"},
		    {.name = "b"},
		    {.name = "c", .lose_transaction = true},
		    {.name = "d"},
		};
		int rc[4];
		char log[8192];
		run_group(f, jobs, cases[k].rerunnable, 4, rc, log, sizeof log);
		for (int i = 0; i < 4; i++)
			assert_int_not_equal(rc[i], 0);
		assert_int_equal(rc[2], CL_ENOMEM);
		assert_non_null(strstr(jobs[0].err.message, "rolled the transaction back"));
		assert_null(strstr(log, "no such savepoint"));
		assert_null(strstr(log, "transaction control failed"));
		marks_are(f, "");
		/* The writer goes on. */
		mark_job e = {.name = "e"};
		assert_int_equal(db_write(f->d, mark, &e, &err), 0);
		marks_are(f, "e");
		assert_int_equal(db_write(f->d, clear_marks, NULL, &err), 0);
	}
}

/* ---- merged parts (db_write_async_merged) ---- */

/* The merged part runs once for the group, in its transaction, with the merged jobs that
 * succeeded (a failed one, even one that ran twice, is left out); when it fails, the whole
 * group fails and nothing of it is committed. */
static void test_a_merged_part_runs_once_a_group(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, create_marks, NULL, &err), 0);
	mark_job jobs[5] = {
	    {.name = "a"},
	    {.name = "b", .fail_after_write = true},
	    {.name = "c", .fail_before_write = true},
	    {.name = "p"},
	    {.name = "d"},
	};
	const bool merged[5] = {true, true, true, false, true};
	int rc[5];
	merged_calls = 0;
	merged_fails = false;
	run_gated(f, jobs, merged_if, merged, 5, rc);
	assert_int_equal(rc[0], 0);
	assert_int_equal(rc[1], CL_ECONFLICT);
	assert_int_equal(rc[2], CL_ECONFLICT);
	assert_int_equal(rc[3], 0);
	assert_int_equal(rc[4], 0);
	assert_int_equal(merged_calls, 1);
	marks_are(f, "a,d,m:ad,p");
	assert_int_equal(db_write(f->d, clear_marks, NULL, &err), 0);

	mark_job more[3] = {{.name = "a"}, {.name = "p"}, {.name = "d"}};
	const bool merged2[3] = {true, false, true};
	merged_calls = 0;
	merged_fails = true;
	run_gated(f, more, merged_if, merged2, 3, rc);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rc[i], CL_EINTERNAL);
	assert_int_equal(merged_calls, 1);
	marks_are(f, "");
	/* The writer goes on. */
	merged_fails = false;
	mark_job e = {.name = "e"};
	assert_int_equal(db_write(f->d, mark, &e, &err), 0);
	marks_are(f, "e");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_rerunnable_jobs_fail_alone, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_merged_part_runs_once_a_group, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_rolled_back_transaction_fails_its_group, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_durable_writes_are_flushed_before_the_answer,
					    setup_durable, teardown),
	    cmocka_unit_test_setup_teardown(test_a_commit_interval_spaces_the_commits, setup_durable,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
