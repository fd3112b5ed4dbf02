/* The whole loop (import, fund, claim, submit, review, approve and pay, export) against a real
 * durable store while its Nth WAL write, WAL flush or SQLite allocation fails, for every N up to
 * what the loop does of each (a build with CROWDLOOP_FAULTS). Each step that fails answers an
 * error and is done again; afterwards the file passes PRAGMA integrity_check, the ledger its own
 * check, and the tasks the state machine's invariants, and the loop's result is whole: one
 * approved task, paid once, in the export. The store's log of each run must not show the writer
 * meeting a transaction SQLite rolled back by itself with savepoint or commit statements. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/task_json.h"
#include "core/ledger.h"
#include "core/project_load.h"
#include "core/task_loop.h"
#include "store/faults.h"
#include "store/store.h"
#include "store/store_ledger.h"
#include "tmpdir.h"
#include "util/log.h"

#define PRICE 100

typedef struct world {
	char dir[64];
	db *d;
	project p;
	int64_t admin, worker, reviewer;
} world;

static store store_of(db *d)
{
	return (store){.ops = &store_sqlite_ops, .db = d};
}

/* Runs a started change to its end; the task's id in *task_id when it names one. */
static int change_done(int rc, task_change *tc, int64_t *task_id)
{
	cl_error err = {0};
	if (!rc)
		rc = task_change_wait(tc, &err);
	buf b;
	buf_init(&b, 0);
	if (!rc && task_id && !task_json_change_write(&b, tc) && b.len) {
		json_t *t = json_loadb(b.data, b.len, 0, NULL);
		*task_id = json_integer_value(json_object_get(t, "id"));
		json_decref(t);
	}
	buf_release(&b);
	task_change_free(tc);
	return rc;
}

/* One integer the SQL reads, through a connection of the test's own; an allocation of its own
 * that the fault fails is asked for again. */
static int64_t one_int(world *w, const char *sql)
{
	char path[128];
	snprintf(path, sizeof path, "%s/crowdloop.db", w->dir);
	for (int try = 0; try < 3; try++) {
		sqlite3 *h = NULL;
		sqlite3_stmt *st = NULL;
		int rc = sqlite3_open_v2(path, &h, SQLITE_OPEN_READONLY, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_prepare_v2(h, sql, -1, &st, NULL);
		if (rc == SQLITE_OK)
			rc = sqlite3_step(st);
		int64_t v = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		sqlite3_finalize(st);
		sqlite3_close(h);
		if (rc == SQLITE_ROW)
			return v;
		if (rc != SQLITE_NOMEM)
			fail_msg("%s: %d", sql, rc);
	}
	fail_msg("%s: out of memory three times", sql);
	return 0;
}

/* ---- the steps: each returns 0 once done; a failure is an error code, never a half ---- */

static int step_import(world *w)
{
	item_new items[3];
	memset(items, 0, sizeof items);
	const char *texts[] = {"one", "two", "three"};
	for (int i = 0; i < 3; i++) {
		items[i].type = ITEM_TEXT;
		snprintf(items[i].hash, sizeof items[i].hash, "hash%d", i);
		items[i].text = texts[i];
	}
	json_t *report = json_pack("{s:i,s:i,s:[],s:[]}", "accepted", 0, "duplicates", 0,
				   "item_ids", "duplicate_entries");
	cl_error err = {0};
	int rc = report ? store_items_insert(w->d, w->p.id, 1, items, 3, report, &err) : CL_ENOMEM;
	json_decref(report);
	return rc;
}

static int step_fund(world *w)
{
	store s = store_of(w->d);
	cl_error err = {0};
	int64_t txn;
	return ledger_fund_org(&s, w->p.org_id, 10 * PRICE, w->admin, "funds", &txn, &err);
}

static int step_deposit(world *w)
{
	store s = store_of(w->d);
	cl_error err = {0};
	int64_t txn;
	return ledger_deposit(&s, w->p.id, 10 * PRICE, w->admin, "budget", &txn, &err);
}

static int step_claim(world *w, int64_t *task_id)
{
	store s = store_of(w->d);
	task_change *tc = NULL;
	int rc = task_claim_start(&s, &w->p, w->worker, &tc);
	return change_done(rc, tc, task_id);
}

static int step_submit(world *w, int64_t task_id)
{
	store s = store_of(w->d);
	task_change *tc = NULL;
	int rc = task_submit_start(&s, &w->p, task_id, w->worker, "{\"labels\":[\"a\"]}", &tc);
	return change_done(rc, tc, NULL);
}

static int step_review_claim(world *w, int64_t *task_id)
{
	store s = store_of(w->d);
	task_change *tc = NULL;
	int rc = review_claim_start(&s, &w->p, w->reviewer, &tc);
	return change_done(rc, tc, task_id);
}

static int step_approve(world *w, int64_t task_id)
{
	store s = store_of(w->d);
	task_change *tc = NULL;
	review_decision dec = {.action = TASK_APPROVE};
	cl_error err = {0};
	int rc = task_review_start(&s, &w->p, task_id, w->reviewer, &dec, &tc, &err);
	return change_done(rc, tc, NULL);
}

/* The export's rows: the approved tasks, read as GET /projects/{id}/export reads them. */
static int step_export(world *w, int *rows)
{
	store_rows *c = store_rows_open(w->d, w->p.id, ROWS_BY_TASK);
	if (!c)
		return CL_ENOMEM;
	export_row row;
	int rc;
	*rows = 0;
	while ((rc = store_rows_next(c, &row)) == 1)
		(*rows)++;
	store_rows_close(c);
	return rc;
}

/* ---- the world: made once, copied for every run ---- */

static int64_t user(db *d, const char *name, bool admin)
{
	json_t *u = NULL;
	cl_error err;
	assert_int_equal(store_user_create(d, name, "x", admin, &u, &err), 0);
	int64_t id = json_integer_value(json_object_get(u, "id"));
	json_decref(u);
	return id;
}

static void world_project(world *w)
{
	project_init(&w->p);
	w->p.org_id = 1;
	json_decref(w->p.labels);
	w->p.labels = json_pack("[s,s]", "a", "b");
	snprintf(w->p.name, sizeof w->p.name, "p");
	snprintf(w->p.status, sizeof w->p.status, "open");
	w->p.kind = KIND_TEXT_CLASS;
	w->p.max_rounds = 2;
	w->p.lease_seconds = 600;
	w->p.overlap = 1;
	w->p.price = PRICE;
}

static void world_make(world *w)
{
	assert_int_equal(tmpdir_make(w->dir, sizeof w->dir, "faults"), 0);
	cl_error err = {0};
	assert_int_equal(db_open(w->dir, true, &w->d, &err), 0);
	json_t *org = NULL;
	assert_int_equal(store_org_create(w->d, "org", "KRW", &org, &err), 0);
	json_decref(org);
	world_project(w);
	assert_int_equal(project_create(&(store){&store_sqlite_ops, w->d}, &w->p, &err), 0);
	w->admin = user(w->d, "admin", true);
	w->worker = user(w->d, "worker", false);
	w->reviewer = user(w->d, "reviewer", false);
	db_close(w->d);
	w->d = NULL;
}

/* A copy of `tpl` in a directory of its own, opened. */
static void world_copy(const world *tpl, world *w)
{
	*w = *tpl;
	assert_int_equal(tmpdir_make(w->dir, sizeof w->dir, "faults"), 0);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "cp -p '%s'/crowdloop.db* '%s'/", tpl->dir, w->dir);
	assert_int_equal(system(cmd), 0);
	world_project(w);
	w->p.id = tpl->p.id;
	cl_error err = {0};
	assert_int_equal(db_open(w->dir, true, &w->d, &err), 0);
}

static void world_end(world *w)
{
	if (w->d)
		db_close(w->d);
	project_release(&w->p);
	assert_int_equal(tmpdir_remove(w->dir), 0);
}

/* ---- one run ---- */

/* After a failure, does `call` again unless `done` finds its work there (a flush that failed
 * after the commit): the fault fails one call only, so the second try must succeed. */
#define STEP(call, done)                                                                           \
	do {                                                                                       \
		int rc_ = (call);                                                                  \
		if (rc_) {                                                                         \
			failures++;                                                                \
			assert_true(rc_ < 0);                                                      \
			if (!(done) && (call))                                                     \
				fail_msg("%s failed twice: %d", #call, rc_);                       \
		}                                                                                  \
	} while (0)

static void check_invariants(world *w)
{
	assert_int_equal(one_int(w, "SELECT count(*) FROM pragma_integrity_check"
				    " WHERE integrity_check <> 'ok'"),
			 0);
	json_t *check = store_ledger_check(w->d);
	assert_non_null(check);
	assert_true(json_is_true(json_object_get(check, "ok")));
	json_decref(check);
	/* The state machine's: a held task has its holder; an approved one its annotation; the
	 * counts are the rows'. */
	assert_int_equal(one_int(w, "SELECT count(*) FROM tasks WHERE state IN ('claimed')"
				    " AND worker_id IS NULL"),
			 0);
	assert_int_equal(one_int(w, "SELECT count(*) FROM tasks t WHERE state = 'approved' AND NOT"
				    " EXISTS (SELECT 1 FROM annotations a WHERE a.task_id = t.id)"),
			 0);
	assert_int_equal(one_int(w, "SELECT count(*) FROM items"), 3);
	assert_int_equal(one_int(w, "SELECT count(*) FROM tasks"), 3);
	assert_int_equal(one_int(w, "SELECT items FROM project_counts"), 3);
	assert_int_equal(one_int(w, "SELECT count(*) FROM tasks WHERE state = 'approved'"), 1);
	/* Funded once, paid once. */
	assert_int_equal(one_int(w, "SELECT count(*) FROM ledger_txns WHERE memo IN"
				    " ('funds', 'budget')"),
			 2);
	assert_int_equal(one_int(w, "SELECT balance FROM ledger_accounts WHERE kind = 'worker'"),
			 PRICE);
}

/* The log (stderr) of the run under way, kept in an unnamed file, and stderr's own descriptor;
 * -1 when none is kept. */
static int captured = -1, stderr_saved = -1;
static char captured_text[1 << 20];

static void log_capture(void)
{
	char path[] = "/tmp/crowdloop-faults-log-XXXXXX";
	captured = mkstemp(path);
	assert_true(captured >= 0);
	unlink(path);
	stderr_saved = dup(STDERR_FILENO);
	dup2(captured, STDERR_FILENO);
}

/* Gives stderr back; the run's log in captured_text. */
static void log_release(void)
{
	log_flush();
	dup2(stderr_saved, STDERR_FILENO);
	close(stderr_saved);
	ssize_t got = pread(captured, captured_text, sizeof captured_text - 1, 0);
	captured_text[got > 0 ? got : 0] = '\0';
	close(captured);
	captured = stderr_saved = -1;
}

/* After a test: a run that failed an assertion left its log captured; its end (the failure's
 * message with it) goes to stderr. */
static int log_teardown(void **state)
{
	(void)state;
	if (captured < 0)
		return 0;
	log_release();
	size_t n = strlen(captured_text);
	fputs(captured_text + (n > 16384 ? n - 16384 : 0), stderr);
	return 0;
}

/* Gives stderr back and fails when the run's log shows a statement on a savepoint or a
 * transaction that SQLite had already rolled back (store/writer.c, group_lost). */
static void log_check(store_fault kind, long n)
{
	log_release();
	const char *text = captured_text;
	static const char *const lost[] = {"no such savepoint", "no transaction is active"};
	for (size_t i = 0; i < sizeof lost / sizeof lost[0]; i++) {
		const char *at = strstr(text, lost[i]);
		if (!at)
			continue;
		/* The lines before it say which statement failed first. */
		const char *from = at - text > 2000 ? at - 2000 : text;
		fail_msg("fault %d at %ld: the writer met a rolled back transaction:\n%.2300s",
			 (int)kind, n, from);
	}
}

/* The loop with the `n`th call of `kind` failing (0: none); returns the loop's calls of it. */
static long run(const world *tpl, store_fault kind, long n)
{
	world w;
	world_copy(tpl, &w);
	log_capture();
	store_faults_arm(kind, n ? n : -1);
	int failures = 0;
	int64_t task = 0, reviewed = 0;
	int rows = 0;
	STEP(step_import(&w), one_int(&w, "SELECT count(*) FROM items") == 3);
	assert_int_not_equal(one_int(&w, "SELECT count(*) FROM items"), 1);
	STEP(step_fund(&w), one_int(&w, "SELECT count(*) FROM ledger_txns WHERE memo = 'funds'"));
	STEP(step_deposit(&w),
	     one_int(&w, "SELECT count(*) FROM ledger_txns WHERE memo = 'budget'"));
	STEP(step_claim(&w, &task), 0);
	STEP(step_submit(&w, task), one_int(&w, "SELECT count(*) FROM tasks WHERE state ="
						" 'submitted'") == 1);
	STEP(step_review_claim(&w, &reviewed), 0);
	assert_int_equal(reviewed, task);
	STEP(step_approve(&w, task), one_int(&w, "SELECT count(*) FROM tasks WHERE state ="
						 " 'approved'") == 1);
	STEP(step_export(&w, &rows), 0);
	assert_int_equal(rows, 1);
	long count = store_faults_count(kind);
	bool fired = store_faults_fired();
	store_faults_disarm();
	log_check(kind, n);
	/* A write or a flush that failed failed its step; an allocation SQLite can do without
	 * (a cache's) may fail unseen. */
	if (fired && kind != STORE_FAULT_ALLOC)
		assert_int_equal(failures, 1);
	if (!fired)
		assert_int_equal(failures, 0);
	check_invariants(&w);
	world_end(&w);
	return count;
}

/* Whether the sweep fails the loop at its nth call of `count`: every n, or with
 * CROWDLOOP_FAULTS_SAMPLE=K (make test's sampled variant) the first K and K more spread evenly
 * over the rest, so that its time stays bounded however long the loop grows. */
static bool swept(long n, long count, long sample)
{
	if (sample <= 0 || n <= sample)
		return true;
	long step = (count - sample + sample - 1) / sample;
	return step <= 1 || (n - sample) % step == 0;
}

static void every_n(store_fault kind)
{
	world tpl;
	world_make(&tpl);
	long count = run(&tpl, kind, 0);
	assert_true(count > 0);
	/* CROWDLOOP_FAULTS_FROM=N starts at N, to look at one failure again. */
	const char *from = getenv("CROWDLOOP_FAULTS_FROM");
	const char *sample = getenv("CROWDLOOP_FAULTS_SAMPLE");
	long runs = 0;
	for (long n = from ? atol(from) : 1; n <= count; n++) {
		if (!swept(n, count, sample ? atol(sample) : 0))
			continue;
		if (getenv("CROWDLOOP_FAULTS_FROM"))
			print_message("fault %d at %ld of %ld\n", (int)kind, n, count);
		run(&tpl, kind, n);
		runs++;
	}
	print_message("%ld runs of %ld calls\n", runs, count);
	project_release(&tpl.p);
	assert_int_equal(tmpdir_remove(tpl.dir), 0);
}

static void test_every_wal_write_fails_once(void **state)
{
	(void)state;
	every_n(STORE_FAULT_WRITE);
}

static void test_every_wal_flush_fails_once(void **state)
{
	(void)state;
	every_n(STORE_FAULT_SYNC);
}

static void test_every_allocation_fails_once(void **state)
{
	(void)state;
	every_n(STORE_FAULT_ALLOC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_teardown(test_every_wal_write_fails_once, log_teardown),
	    cmocka_unit_test_teardown(test_every_wal_flush_fails_once, log_teardown),
	    cmocka_unit_test_teardown(test_every_allocation_fails_once, log_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
