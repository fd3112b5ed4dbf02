/* The task loop against a real SQLite store in a temporary directory: leases, claim order,
 * reviewer != author, rework to the same worker, escalation, lease expiry, and many threads
 * claiming at once through the group-committing writer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/quality_json.h"
#include "api/task_json.h"
#include "core/agreement.h"
#include "core/consensus.h"
#include "core/matching.h"
#include "core/quality_figures.h"
#include "core/quality_settings.h"
#include "core/task.h"
#include "core/task_loop.h"
#include "store/store.h"
#include "store/store_quality.h"
#include "util/clock.h"
#include "loop_fixture.h"


/* The loop's use cases through the real path (start, run on the writer, wait, answer as the
 * API writes it), as blocking calls for the tests. */
static int change_done(int rc, task_change *tc, json_t **task, cl_error *err)
{
	*task = NULL;
	if (!rc)
		rc = task_change_wait(tc, err);
	buf b;
	buf_init(&b, 0);
	if (!rc)
		assert_int_equal(task_json_change_write(&b, tc), 0);
	if (!rc && b.len)
		assert_non_null(*task = json_loadb(b.data, b.len, 0, NULL));
	buf_release(&b);
	task_change_free(tc);
	return rc;
}

static store store_of(db *d)
{
	return (store){.ops = &store_sqlite_ops, .db = d};
}

static int loop_next(db *d, const project *p, int64_t user_id, json_t **task, cl_error *err)
{
	store s = store_of(d);
	task_change *tc = NULL;
	int rc = task_claim_start(&s, p, user_id, &tc);
	return change_done(rc, tc, task, err);
}

static int loop_review_next(db *d, const project *p, int64_t user_id, json_t **task, cl_error *err)
{
	store s = store_of(d);
	task_change *tc = NULL;
	int rc = review_claim_start(&s, p, user_id, &tc);
	return change_done(rc, tc, task, err);
}

static int loop_submit(db *d, const project *p, int64_t task_id, int64_t user_id,
		       const char *annotation, json_t **task, cl_error *err)
{
	store s = store_of(d);
	task_change *tc = NULL;
	int rc = task_submit_start(&s, p, task_id, user_id, annotation, &tc);
	return change_done(rc, tc, task, err);
}

static int loop_review(db *d, const project *p, int64_t task_id, int64_t user_id,
		       const review_decision *dec, json_t **task, cl_error *err)
{
	store s = store_of(d);
	task_change *tc = NULL;
	int rc = task_review_start(&s, p, task_id, user_id, dec, &tc, err);
	return change_done(rc, tc, task, err);
}

static int loop_release(db *d, int64_t task_id, int64_t user_id, json_t **task, cl_error *err)
{
	store s = store_of(d);
	task_change *tc = NULL;
	int rc = task_release_start(&s, task_id, user_id, &tc);
	return change_done(rc, tc, task, err);
}

static int loop_resolve(db *d, int64_t task_id, int64_t user_id, task_action action,
			const char *annotation, const char *reason, json_t **task, cl_error *err)
{
	store s = store_of(d);
	task_change *tc = NULL;
	int rc = task_resolve_start(&s, task_id, user_id, action, annotation, reason, &tc, err);
	return change_done(rc, tc, task, err);
}

/* A task as GET /tasks/{id} answers it (without the project). */
static json_t *loop_get(db *d, int64_t task_id)
{
	task_view v;
	if (!store_sqlite_ops.task_view_read(d, task_id, TASK_WITH_HISTORY, &v))
		return NULL;
	json_t *t = task_json(&v, NULL);
	task_view_release(&v);
	return t;
}

static json_t *loop_list(db *d, int64_t project_id, const char *state, int limit)
{
	task_query q = {.project_id = project_id, .state = state, .limit = limit};
	task_view *v = NULL;
	int64_t next;
	int n = store_sqlite_ops.tasks_page(d, &q, &v, &next);
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_array_append_new(items, task_json(&v[i], NULL));
		task_view_release(&v[i]);
	}
	free(v);
	return items;
}

static int setup(void **state)
{
	return fixture_open(state, 3, "rv");
}

static int64_t next_task(fixture *f, int64_t user_id, const char *want_state)
{
	json_t *t = NULL;
	cl_error err;
	assert_int_equal(loop_next(f->d, &f->p, user_id, &t, &err), 0);
	if (!t)
		return 0;
	assert_string_equal(json_string_value(json_object_get(t, "state")), want_state);
	int64_t id = json_integer_value(json_object_get(t, "id"));
	json_decref(t);
	return id;
}

static int64_t next_review(fixture *f, int64_t user_id)
{
	json_t *t = NULL;
	cl_error err;
	assert_int_equal(loop_review_next(f->d, &f->p, user_id, &t, &err), 0);
	int64_t id = t ? json_integer_value(json_object_get(t, "id")) : 0;
	json_decref(t);
	return id;
}

static int submit(fixture *f, int64_t task, int64_t user_id)
{
	json_t *t = NULL;
	cl_error err;
	int rc = loop_submit(f->d, &f->p, task, user_id, "{\"labels\":[\"a\"]}", &t, &err);
	json_decref(t);
	return rc;
}

static int review(fixture *f, int64_t task, int64_t user_id, int action)
{
	review_decision dec = {.action = action, .reason = "wrong label"};
	json_t *t = NULL;
	cl_error err;
	int rc = loop_review(f->d, &f->p, task, user_id, &dec, &t, &err);
	json_decref(t);
	return rc;
}

static const char *state_of(fixture *f, int64_t task)
{
	static char s[16];
	task_ref r;
	assert_int_equal(store_sqlite_ops.task_ref(f->d, task, &r), 0);
	snprintf(s, sizeof s, "%s", task_state_name(r.state));
	return s;
}

static void test_lease_is_exclusive_and_repeatable(void **state)
{
	fixture *f = *state;
	int64_t a = next_task(f, f->w1, "assigned");
	assert_true(a > 0);
	/* Claiming twice returns the same lease. */
	assert_int_equal(next_task(f, f->w1, "assigned"), a);
	int64_t b = next_task(f, f->w2, "assigned");
	assert_true(b > 0 && b != a);
	/* Only the holder may submit. */
	assert_int_equal(submit(f, a, f->w2), CL_ECONFLICT);
	assert_int_equal(submit(f, a, f->w1), 0);
	assert_string_equal(state_of(f, a), "submitted");
	/* Submitting twice is a conflict, not a second annotation. */
	assert_int_equal(submit(f, a, f->w1), CL_ECONFLICT);
}

static void test_reviewer_never_gets_own_work(void **state)
{
	fixture *f = *state;
	int64_t a = next_task(f, f->w1, "assigned");
	assert_int_equal(submit(f, a, f->w1), 0);
	assert_int_equal(next_review(f, f->w1), 0);
	assert_int_equal(next_review(f, f->rv), a);
	assert_string_equal(state_of(f, a), "in_review");
}

/* The rows of `sql` (three integers each) on this thread's reader, as one string. */
static void rows_of(db *d, const char *sql, char *out, size_t size)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db_handle(db_reader(d)), sql, -1, &st, NULL),
			 SQLITE_OK);
	size_t n = 0;
	out[0] = '\0';
	while (sqlite3_step(st) == SQLITE_ROW && n < size)
		n += (size_t)snprintf(
		    out + n, size - n, "%lld/%lld/%lld ", (long long)sqlite3_column_int64(st, 0),
		    (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 2));
	sqlite3_finalize(st);
}

/* The work in progress the budget check reads (live_tasks) is what the tasks say, and holds
 * `want` tasks. */
static void check_live(fixture *f, int want)
{
	char kept[512], rows[512];
	rows_of(f->d,
		"SELECT project_id, rejections, n FROM live_tasks WHERE n != 0"
		" ORDER BY project_id, rejections",
		kept, sizeof kept);
	rows_of(f->d,
		"SELECT project_id, rejections, count(*) FROM tasks WHERE state IN"
		" ('assigned', 'submitted', 'in_review', 'rework', 'escalated')"
		" GROUP BY project_id, rejections ORDER BY project_id, rejections",
		rows, sizeof rows);
	assert_string_equal(kept, rows);
	long long n = 0;
	for (const char *p = kept; *p;) {
		long long pid, r, k;
		int used = 0;
		if (sscanf(p, "%lld/%lld/%lld %n", &pid, &r, &k, &used) != 3)
			break;
		n += k;
		p += used;
	}
	assert_int_equal(n, want);
}

static void test_reject_rework_escalate(void **state)
{
	fixture *f = *state;
	check_live(f, 0);
	int64_t a = next_task(f, f->w1, "assigned");
	check_live(f, 1);
	assert_int_equal(submit(f, a, f->w1), 0);
	assert_int_equal(next_review(f, f->rv), a);
	check_live(f, 1);
	assert_int_equal(review(f, a, f->rv, TASK_REJECT), 0);
	assert_string_equal(state_of(f, a), "rework");
	check_live(f, 1);
	/* Another worker never gets it; its worker gets it first, before new work. */
	int64_t other = next_task(f, f->w2, "assigned");
	assert_true(other != a);
	check_live(f, 2);
	assert_int_equal(next_task(f, f->w1, "assigned"), a);
	assert_int_equal(submit(f, a, f->w1), 0);
	assert_int_equal(next_review(f, f->rv), a);
	/* max_rounds is 2: the second rejection escalates. */
	assert_int_equal(review(f, a, f->rv, TASK_REJECT), 0);
	assert_string_equal(state_of(f, a), "escalated");
	check_live(f, 2);
	json_t *t = NULL;
	cl_error err;
	assert_int_equal(loop_resolve(f->d, a, f->rv, TASK_DISCARD, NULL, "bad item", &t, &err), 0);
	json_decref(t);
	assert_string_equal(state_of(f, a), "discarded");
	check_live(f, 1);
	/* A release gives the other task back: nothing is in progress. */
	json_t *rel = NULL;
	assert_int_equal(loop_release(f->d, other, f->w2, &rel, &err), 0);
	json_decref(rel);
	check_live(f, 0);
	/* Events: claim, submit, review_claim, reject, claim, submit, review_claim, reject, discard
	 */
	t = loop_get(f->d, a);
	json_t *events = json_object_get(t, "events");
	assert_int_equal(json_array_size(events), 9);
	assert_string_equal(json_string_value(json_object_get(json_array_get(events, 7), "to")),
			    "escalated");
	json_decref(t);
}

/* Inserts `n` items into the fixture's project, `overlap` tasks each; how many were accepted. */
static json_int_t insert_items(fixture *f, int overlap, const item_new *items, size_t n)
{
	json_t *report = json_pack("{s:i,s:i,s:[],s:[]}", "accepted", 0, "duplicates", 0,
				   "item_ids", "duplicate_entries");
	cl_error err;
	assert_int_equal(store_items_insert(f->d, f->p.id, overlap, items, n, report, &err), 0);
	json_int_t accepted = json_integer_value(json_object_get(report, "accepted"));
	json_decref(report);
	return accepted;
}

/* Answers are written as text from the stored rows: every kind of value must come back as it
 * went in, escapes and stored JSON included. */
static void test_answers_carry_what_was_stored(void **state)
{
	fixture *f = *state;
	const char *text = "say \"hi\"\n\tback\\slash \xea\xb0\x80 </script>";
	item_new it = {.type = ITEM_TEXT,
		       .text = text,
		       .meta = "{\"src\":\"x\",\"preannotation\":{\"labels\":[\"b\"]}}"};
	snprintf(it.hash, sizeof it.hash, "hash-answers");
	insert_items(f, 1, &it, 1);
	cl_error err;
	free(f->p.instructions);
	f->p.instructions = strdup("# Rules\n\"quote\" and \\");
	/* The three fixture items come first; the fourth is ours. */
	int64_t ids[4];
	for (int i = 0; i < 4; i++) {
		ids[i] = next_task(f, f->w1, "assigned");
		if (i < 3)
			assert_int_equal(submit(f, ids[i], f->w1), 0);
	}
	json_t *t = NULL;
	assert_int_equal(loop_next(f->d, &f->p, f->w1, &t, &err), 0);
	assert_non_null(t);
	assert_int_equal(json_integer_value(json_object_get(t, "id")), ids[3]);
	json_t *item = json_object_get(t, "item");
	assert_string_equal(json_string_value(json_object_get(item, "text")), text);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(item, "meta"), "src")), "x");
	json_t *want = json_pack("{s:[s]}", "labels", "b");
	assert_true(json_equal(json_object_get(t, "preannotation"), want));
	json_decref(want);
	json_t *proj = json_object_get(t, "project");
	assert_string_equal(json_string_value(json_object_get(proj, "instructions")),
			    f->p.instructions);
	assert_int_equal(json_array_size(json_object_get(proj, "labels")), 2);
	assert_true(json_is_false(json_object_get(proj, "multi_label")));
	assert_true(json_is_null(json_object_get(t, "annotation")));
	assert_true(json_is_string(json_object_get(t, "lease_expires_at")));
	json_decref(t);
	/* Submitted and rejected: the stored annotation and rejection come back as objects, and
	 * the reviewer's claim carries the history. */
	assert_int_equal(submit(f, ids[3], f->w1), 0);
	int64_t got = 0;
	while ((got = next_review(f, f->rv)) && got != ids[3])
		assert_int_equal(review(f, got, f->rv, TASK_APPROVE), 0);
	assert_int_equal(got, ids[3]);
	assert_int_equal(review(f, ids[3], f->rv, TASK_REJECT), 0);
	t = loop_get(f->d, ids[3]);
	assert_non_null(t);
	assert_string_equal(json_string_value(json_array_get(
				json_object_get(json_object_get(t, "annotation"), "labels"), 0)),
			    "a");
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(t, "last_rejection"), "reason")),
	    "wrong label");
	json_t *events = json_object_get(t, "events");
	assert_int_equal(json_array_size(events), 4);
	json_t *last = json_array_get(events, 3);
	assert_string_equal(json_string_value(json_object_get(last, "type")), "reject");
	assert_string_equal(json_string_value(json_object_get(last, "to")), "rework");
	assert_int_equal(json_integer_value(json_object_get(last, "actor_id")), f->rv);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(last, "payload"), "reason")),
	    "wrong label");
	assert_true(json_is_null(json_object_get(json_array_get(events, 0), "payload")));
	assert_true(json_is_null(json_object_get(t, "approved_at")));
	json_decref(t);
}

/* A view's strings are packed in blocks (store/ops.h, task_view_text): a text and a meta too
 * large for the first block get blocks of their own, and every string still reads whole. */
static void test_answers_carry_strings_of_any_size(void **state)
{
	fixture *f = *state;
	char text[3000], src[700], meta[800];
	memset(text, 't', sizeof text - 1);
	text[sizeof text - 1] = '\0';
	memset(src, 's', sizeof src - 1);
	src[sizeof src - 1] = '\0';
	snprintf(meta, sizeof meta, "{\"src\":\"%s\"}", src);
	item_new it = {.type = ITEM_TEXT, .text = text, .meta = meta};
	snprintf(it.hash, sizeof it.hash, "hash-sizes");
	insert_items(f, 1, &it, 1);
	cl_error err;
	for (int i = 0; i < 3; i++)
		assert_int_equal(submit(f, next_task(f, f->w1, "assigned"), f->w1), 0);
	json_t *t = NULL;
	assert_int_equal(loop_next(f->d, &f->p, f->w1, &t, &err), 0);
	assert_non_null(t);
	json_t *item = json_object_get(t, "item");
	assert_string_equal(json_string_value(json_object_get(item, "type")), "text");
	assert_string_equal(json_string_value(json_object_get(item, "text")), text);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(item, "meta"), "src")), src);
	assert_string_equal(json_string_value(json_object_get(t, "state")), "assigned");
	json_decref(t);
}

static void test_lease_expiry_returns_task(void **state)
{
	fixture *f = *state;
	/* A submitted task under a one-second review lease, and a one-second claim. */
	int64_t b = next_task(f, f->w2, "assigned");
	assert_int_equal(submit(f, b, f->w2), 0);
	f->p.lease_seconds = 1;
	assert_int_equal(next_review(f, f->rv), b);
	int64_t a = next_task(f, f->w1, "assigned");
	usleep(1100 * 1000);
	/* A lease taken after they ran out is left alone by the sweep. */
	f->p.lease_seconds = 60;
	int64_t c = next_task(f, f->w2, "assigned");
	/* The holder's lease ran out: submitting is refused even before the sweep. */
	assert_int_equal(submit(f, a, f->w1), CL_ECONFLICT);
	cl_error err;
	check_live(f, 3);
	assert_int_equal(db_write(f->d, task_leases_expire, (void *)&store_sqlite_ops, &err), 0);
	assert_string_equal(state_of(f, a), "open");
	assert_string_equal(state_of(f, b), "submitted");
	assert_string_equal(state_of(f, c), "assigned");
	check_live(f, 2);
	/* Open again: another worker may take it. */
	assert_int_equal(next_task(f, f->w2, "assigned"), c);
	assert_int_equal(submit(f, c, f->w2), 0);
	assert_int_equal(next_task(f, f->w2, "assigned"), a);
}

/* Statements of connection `h` that stepped through a whole table or index (the counters
 * reset); `exempt` is a fragment of SQL allowed to (NULL: none). */
static int full_scans(sqlite3 *h, const char *exempt)
{
	int n = 0;
	for (sqlite3_stmt *st = sqlite3_next_stmt(h, NULL); st; st = sqlite3_next_stmt(h, st)) {
		int steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_FULLSCAN_STEP, 1);
		const char *sql = sqlite3_sql(st);
		if (steps && !(exempt && strstr(sql, exempt))) {
			fprintf(stderr, "full scan (%d steps): %s\n", steps, sql);
			n++;
		}
	}
	return n;
}

static int writer_full_scans(db_conn *c, void *ctx, cl_error *err)
{
	(void)err;
	/* The lease sweep walks the indexes of live leases, whose entries are the leases and
	 * reworks in progress, never the finished or waiting tasks. */
	*(int *)ctx =
	    full_scans(db_handle(c), "INDEXED BY tasks_worker_live WHERE state = 'assigned'");
	return 0;
}

/* The loop's reads and writes go through indexes only, whatever the store's size: with a full
 * scan anywhere, 1M items would be slower than 10k. */
static void test_loop_queries_never_scan(void **state)
{
	fixture *f = *state;
	f->p.lease_seconds = 1;
	int64_t a = next_task(f, f->w1, "assigned");
	int64_t b = next_task(f, f->w2, "assigned");
	assert_int_equal(submit(f, a, f->w1), 0);
	assert_int_equal(submit(f, b, f->w2), 0);
	assert_int_equal(next_review(f, f->rv), a);
	assert_int_equal(review(f, a, f->rv, TASK_APPROVE), 0);
	assert_int_equal(next_review(f, f->rv), b);
	assert_int_equal(review(f, b, f->rv, TASK_REJECT), 0);
	assert_int_equal(next_task(f, f->w2, "assigned"), b); /* back from rework */
	int64_t c = next_task(f, f->w1, "assigned");
	usleep(1100 * 1000);
	cl_error err;
	assert_int_equal(db_write(f->d, task_leases_expire, (void *)&store_sqlite_ops, &err), 0);
	assert_string_equal(state_of(f, c), "open");
	json_t *t = loop_get(f->d, a);
	assert_non_null(t);
	json_decref(t);
	int writer = -1;
	assert_int_equal(db_write(f->d, writer_full_scans, &writer, &err), 0);
	assert_int_equal(writer, 0);
	assert_int_equal(full_scans(db_handle(db_reader(f->d)), NULL), 0);
}

/* The writer's statements' VM steps since the last call (the counters reset). */
/* The statements' steps on this thread's reader connection so far. */
static long reader_steps(db *d)
{
	long n = 0;
	sqlite3 *h = db_handle(db_reader(d));
	for (sqlite3_stmt *st = sqlite3_next_stmt(h, NULL); st; st = sqlite3_next_stmt(h, st))
		n += sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
	return n;
}

/* A task's project and item, as its submit and review read them: a task this thread's claim
 * handed out answers from memory with what the claim's answer carried, any other from the
 * store, the same. */
static void test_task_facts_of_claimed_tasks_read_nothing(void **state)
{
	fixture *f = *state;
	json_t *t = NULL;
	cl_error err;
	assert_int_equal(loop_next(f->d, &f->p, f->w1, &t, &err), 0);
	int64_t claimed = json_integer_value(json_object_get(t, "id"));
	char text[32];
	snprintf(text, sizeof text, "%s",
		 json_string_value(json_object_get(json_object_get(t, "item"), "text")));
	json_decref(t);

	long before = reader_steps(f->d);
	task_facts facts;
	assert_int_equal(store_sqlite_ops.task_facts(f->d, claimed, true, &facts), 0);
	assert_int_equal(reader_steps(f->d), before);
	assert_int_equal(facts.project_id, f->p.id);
	assert_string_equal(facts.text, text);
	task_facts_release(&facts);

	/* The others were never handed out here: read, with the same facts a claim gives. */
	int seen = 0;
	/* Task ids leave room for gold between them: the others are the fixture's. */
	for (int i = 0; i < LOOP_FIXTURE_MAX_ITEMS && seen < 2; i++) {
		int64_t id = f->ids[i];
		if (!id || id == claimed || store_sqlite_ops.task_ref(f->d, id, &(task_ref){0}))
			continue;
		before = reader_steps(f->d);
		assert_int_equal(store_sqlite_ops.task_facts(f->d, id, true, &facts), 0);
		assert_true(reader_steps(f->d) > before);
		assert_int_equal(facts.project_id, f->p.id);
		assert_non_null(facts.text);
		assert_string_not_equal(facts.text, text);
		task_facts_release(&facts);
		json_t *got = NULL;
		assert_int_equal(loop_next(f->d, &f->p, f->w2, &got, &err), 0);
		json_decref(got);
		seen++;
	}
	assert_int_equal(seen, 2);
	assert_int_equal(store_sqlite_ops.task_facts(f->d, claimed + 1000, false, &facts),
			 CL_ENOTFOUND);
}

static int writer_steps(db_conn *c, void *ctx, cl_error *err)
{
	(void)err;
	long n = 0;
	for (sqlite3_stmt *st = sqlite3_next_stmt(db_handle(c), NULL); st;
	     st = sqlite3_next_stmt(db_handle(c), st))
		n += sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 1);
	*(long *)ctx = n;
	return 0;
}

/* Claims a task for `user_id` (its id in *task) and gives the steps the writer took for it. */
static long claim_steps(fixture *f, int64_t user_id, int64_t *task)
{
	long steps = 0;
	cl_error err;
	assert_int_equal(db_write(f->d, writer_steps, &steps, &err), 0);
	*task = next_task(f, user_id, "assigned");
	assert_int_not_equal(*task, 0);
	assert_int_equal(db_write(f->d, writer_steps, &steps, &err), 0);
	return steps;
}

/* Imports `n` more text items into the fixture's project, hashed "<prefix><i>". */
static void add_items_overlapped(fixture *f, const char *prefix, int n, int overlap)
{
	item_new *items = calloc((size_t)n, sizeof *items);
	char(*texts)[32] = calloc((size_t)n, sizeof *texts);
	assert_non_null(items);
	assert_non_null(texts);
	for (int i = 0; i < n; i++) {
		items[i].type = ITEM_TEXT;
		snprintf(items[i].hash, sizeof items[i].hash, "%s%d", prefix, i);
		snprintf(texts[i], sizeof texts[i], "text %d", i);
		items[i].text = texts[i];
	}
	assert_int_equal(insert_items(f, overlap, items, (size_t)n), n);
	free(texts);
	free(items);
}

static void add_items(fixture *f, const char *prefix, int n)
{
	add_items_overlapped(f, prefix, n, 1);
}

/* A claim looks up the worker's live tasks and the item's other slots, never the worker's whole
 * history: a worker with 300 tasks done claims in as many steps as one with 10. */
static void test_claims_do_not_grow_with_the_workers_history(void **state)
{
	fixture *f = *state;
	enum { N = 320 };
	add_items(f, "history", N);
	long early = 0, late = 0;
	for (int done = 0; done <= 300; done++) {
		int64_t id;
		long steps = claim_steps(f, f->w1, &id);
		if (done == 10)
			early = steps;
		late = steps;
		assert_int_equal(submit(f, id, f->w1), 0);
	}
	if (late > early + early / 2)
		fail_msg("a claim took %ld steps after 10 tasks, %ld after 300", early, late);
}

/* Adds `n` new text items to the project as gold, hashed "<prefix><i>". */
static void add_gold(fixture *f, const char *prefix, int n)
{
	gold_new *g = calloc((size_t)n, sizeof *g);
	char(*texts)[32] = calloc((size_t)n, sizeof *texts);
	assert_non_null(g);
	assert_non_null(texts);
	for (int i = 0; i < n; i++) {
		snprintf(texts[i], sizeof texts[i], "gold %s %d", prefix, i);
		g[i].text = texts[i];
		snprintf(g[i].hash, sizeof g[i].hash, "%s%d", prefix, i);
		g[i].answer = "{\"labels\":[\"a\"]}";
	}
	json_t *report = json_object();
	cl_error err;
	assert_int_equal(store_gold_add(f->d, &f->p, g, (size_t)n, f->rv, report, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(report, "added")), n);
	json_decref(report);
	free(texts);
	free(g);
}

/* The item of a task, and whether it is gold. */
static int64_t item_of(fixture *f, int64_t task, bool *gold)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db_handle(db_reader(f->d)),
					    "SELECT t.item_id, g.item_id IS NOT NULL FROM tasks t"
					    " LEFT JOIN gold_items g ON g.item_id = t.item_id"
					    " WHERE t.id = ?",
					    -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, task);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t item = sqlite3_column_int64(st, 0);
	*gold = sqlite3_column_int(st, 1) != 0;
	sqlite3_finalize(st);
	return item;
}

static void set_rates(fixture *f, double gold, double honeypot)
{
	json_t *in = json_pack("{s:f,s:f}", "gold_rate", gold, "honeypot_rate", honeypot);
	json_t *saved = NULL;
	cl_error err;
	assert_int_equal(quality_settings_put(&f->s, f->p.id, in, &saved, &err), 0);
	json_decref(in);
	json_decref(saved);
}

/* Gold tasks and honeypots come from a random gold item found through the index: a worker
 * gets every gold item once and never one they had, and a pick takes as many steps with
 * 2,000 gold items as with 5 (ordering them all by random() took a row per gold item). */
static void test_gold_picks_do_not_grow_with_the_gold(void **state)
{
	fixture *f = *state;
	enum { FEW = 5, MANY = 2000 };
	add_gold(f, "few", FEW);
	set_rates(f, 1.0, 0);
	int64_t seen[FEW];
	long few_steps = 0;
	for (int i = 0; i < FEW; i++) {
		int64_t task;
		long steps = claim_steps(f, f->w1, &task);
		if (i == 0)
			few_steps = steps;
		bool gold = false;
		seen[i] = item_of(f, task, &gold);
		assert_true(gold);
		for (int k = 0; k < i; k++)
			assert_int_not_equal(seen[k], seen[i]);
		assert_int_equal(submit(f, task, f->w1), 0);
	}
	/* Every gold item done: w1 gets real work. */
	bool gold = true;
	int64_t task = next_task(f, f->w1, "assigned");
	item_of(f, task, &gold);
	assert_false(gold);

	add_gold(f, "many", MANY);
	long many_steps = claim_steps(f, f->w2, &task);
	item_of(f, task, &gold);
	assert_true(gold);
	if (many_steps > 2 * few_steps)
		fail_msg("a gold claim took %ld steps with %d gold items, %ld with %d", few_steps,
			 FEW, many_steps, FEW + MANY);
	assert_int_equal(submit(f, task, f->w2), 0);

	/* A honeypot for the reviewer, from any gold item, in as few steps. */
	set_rates(f, 0, 1.0);
	long steps = 0;
	cl_error err;
	assert_int_equal(db_write(f->d, writer_steps, &steps, &err), 0);
	int64_t pot = next_review(f, f->rv);
	assert_int_equal(db_write(f->d, writer_steps, &steps, &err), 0);
	assert_int_not_equal(pot, 0);
	item_of(f, pot, &gold);
	assert_true(gold);
	if (steps > 2 * few_steps)
		fail_msg("a honeypot review claim took %ld steps with %d gold items", steps,
			 FEW + MANY);
}

/* Runs `action` on `task` as the reviewer and gives the steps the writer took for it. */
static long review_steps(fixture *f, int64_t task, int action)
{
	long steps = 0;
	cl_error err;
	assert_int_equal(db_write(f->d, writer_steps, &steps, &err), 0);
	assert_int_equal(next_review(f, f->rv), task);
	assert_int_equal(review(f, task, f->rv, action), 0);
	assert_int_equal(db_write(f->d, writer_steps, &steps, &err), 0);
	return steps;
}

/* A worker's figures in the project as promotion reads them: approved, first-pass, gold
 * answers and correct gold answers (-1 each without a row). */
enum { FIGURES = 9 };
static void worker_figures_of(db *d, int64_t worker, int64_t project, long out[FIGURES])
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(
			     db_handle(db_reader(d)),
			     "SELECT approved, first_pass, gold_answers, gold_correct, submissions,"
			     " active_ms, tasks_submitted, rejected, decided FROM worker_counts"
			     " WHERE user_id = ? AND project_id = ?",
			     -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, worker);
	sqlite3_bind_int64(st, 2, project);
	for (int i = 0; i < FIGURES; i++)
		out[i] = -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < FIGURES; i++)
			out[i] = (long)sqlite3_column_int64(st, i);
	sqlite3_finalize(st);
}


/* Every approval asks whether its worker is due for promotion. While the worker is not, that
 * must not cost more the more they have done: the 300th approval takes the steps of the 10th.
 * The counts it reads are kept by the approvals, and migration 12 rebuilds them from the tasks
 * and the gold results (as 13 does the work in progress). */
static void test_approvals_do_not_grow_with_the_workers_history(void **state)
{
	fixture *f = *state;
	enum { N = 300 };
	add_items(f, "approved", N);
	cl_error err;
	/* Promotion stays out of reach, so every approval looks at the worker's figures. */
	json_t *settings = json_pack("{s:i}", "promote_min_approved", 1000000), *saved = NULL;
	assert_int_equal(quality_settings_put(&f->s, f->p.id, settings, &saved, &err), 0);
	json_decref(settings);
	json_decref(saved);

	/* The first task is rejected once: approved later, it is not first-pass. */
	int64_t first = next_task(f, f->w1, "assigned");
	usleep(20 * 1000); /* time from claim to submit that the counts keep */
	assert_int_equal(submit(f, first, f->w1), 0);
	review_steps(f, first, TASK_REJECT);
	assert_int_equal(next_task(f, f->w1, "assigned"), first);
	assert_int_equal(submit(f, first, f->w1), 0);
	review_steps(f, first, TASK_APPROVE);
	long early = 0, late = 0;
	for (int done = 1; done <= N; done++) {
		int64_t id = next_task(f, f->w1, "assigned");
		assert_int_not_equal(id, 0);
		assert_int_equal(submit(f, id, f->w1), 0);
		long steps = review_steps(f, id, TASK_APPROVE);
		if (done == 10)
			early = steps;
		late = steps;
	}
	if (late > early + early / 2)
		fail_msg("an approval took %ld steps after 10, %ld after %d", early, late, N);
	long fig[FIGURES];
	worker_figures_of(f->d, f->w1, f->p.id, fig);
	assert_int_equal(fig[0], N + 1);
	assert_int_equal(fig[1], N);
	assert_int_equal(fig[2], 0);
	/* N + 1 tasks submitted (the first twice), one rejection, N + 1 first decisions. */
	assert_int_equal(fig[6], N + 1);
	assert_int_equal(fig[7], 1);
	assert_int_equal(fig[8], N + 1);
	check_live(f, 0);
	int64_t held = next_task(f, f->w1, "assigned");
	assert_int_not_equal(held, 0);
	check_live(f, 1);

	/* Migrations 12, 13, 15 and 17 on a store that had none of them: the same counts, from
	 * the tasks, their annotations and events, the gold answers from their results (two here,
	 * one of them right), and the held task's claim time from its claim event. */
	long kept[FIGURES];
	memcpy(kept, fig, sizeof kept);
	assert_int_equal(kept[4], N + 2); /* the first task was submitted twice */
	assert_true(kept[5] >= 20);
	const char *last_sql = "SELECT last_at FROM worker_counts WHERE user_id = ?1";
	int64_t last = read_int(f->d, last_sql, f->w1);
	assert_int_equal(
	    read_int(f->d, "SELECT max(at) FROM events WHERE actor_id = ?1 AND type = 'submit'",
		     f->w1),
	    last);
	int64_t claimed = read_int(f->d, "SELECT claimed_at FROM tasks WHERE id = ?1", held);
	assert_true(claimed > 0);
	assert_int_equal(
	    read_int(f->d, "SELECT max(at) FROM events WHERE task_id = ?1 AND type = 'claim'",
		     held),
	    claimed);
	char path[128];
	snprintf(path, sizeof path, "%s/crowdloop.db", f->dir);
	db_close(f->d);
	sqlite3 *h = NULL;
	assert_int_equal(sqlite3_open(path, &h), SQLITE_OK);
	char sql[512];
	snprintf(sql, sizeof sql,
		 "DROP TABLE worker_counts; DROP TABLE live_tasks;"
		 "ALTER TABLE tasks DROP COLUMN claimed_at;"
		 "DELETE FROM schema_migrations WHERE version IN (12, 13, 15, 17);"
		 "INSERT INTO gold_results(task_id, round, project_id, item_id, worker_id, kind,"
		 " correct, score, at) VALUES (%lld, 1, %lld, 1, %lld, 'text_class', 1, 1, 0),"
		 " (%lld, 2, %lld, 1, %lld, 'text_class', 0, 0, 0);",
		 (long long)first, (long long)f->p.id, (long long)f->w1, (long long)first,
		 (long long)f->p.id, (long long)f->w1);
	assert_int_equal(sqlite3_exec(h, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(h);
	assert_int_equal(db_open(f->dir, false, &f->d, &err), 0);
	worker_figures_of(f->d, f->w1, f->p.id, fig);
	assert_int_equal(fig[0], N + 1);
	assert_int_equal(fig[1], N);
	assert_int_equal(fig[2], 2);
	assert_int_equal(fig[3], 1);
	assert_int_equal(fig[4], kept[4]);
	assert_int_equal(fig[5], kept[5]);
	assert_int_equal(fig[6], kept[6]);
	assert_int_equal(fig[7], kept[7]);
	assert_int_equal(fig[8], kept[8]);
	assert_int_equal(read_int(f->d, "SELECT claimed_at FROM tasks WHERE id = ?1", held),
			 claimed);
	assert_int_equal(read_int(f->d, last_sql, f->w1), last);
	check_live(f, 1);
	/* The held task's submit counts from its claim, as before the migrations. */
	assert_int_equal(submit(f, held, f->w1), 0);
	worker_figures_of(f->d, f->w1, f->p.id, fig);
	assert_int_equal(fig[4], kept[4] + 1);
	assert_true(fig[5] >= kept[5] && fig[5] - kept[5] < 60 * 1000);
}

/* Steps this thread's reader takes for each report a page shows: the task counts by state
 * (statistics and the metrics), a worker's projects and matches, the quality report, and the
 * first page of the project's open tasks. */
enum { REPORTS = 6 };
/* The project's quality figures as their answer shows them. */
static json_t *figures_json(fixture *f)
{
	quality_figures q;
	json_t *o = NULL;
	if (!quality_figures_read(&(store){&store_sqlite_ops, f->d}, f->p.id, &q))
		o = quality_figures_json(&q);
	quality_figures_release(&q);
	return o;
}

/* A worker's matches, ranked: how many are answered (NULL when they could not be). */
static json_t *matches_json(fixture *f)
{
	project_matches m;
	json_t *o = NULL;
	if (!matching_for_worker(&(store){&store_sqlite_ops, f->d}, f->w1, clock_now_ms(), &m))
		o = json_integer((json_int_t)m.n);
	project_matches_release(&m);
	return o;
}

static void report_steps(fixture *f, long out[REPORTS])
{
	json_t *got[REPORTS];
	int64_t counts[8];
	for (int i = 0; i < REPORTS; i++) {
		long before = reader_steps(f->d);
		got[i] = NULL;
		if (i == 0)
			store_task_state_counts(f->d, counts);
		else if (i == 1)
			got[i] = store_my_projects(f->d, f->w1, 0, 50, false, project_row_json,
						   &(int64_t){0});
		else if (i == 2)
			got[i] = matches_json(f);
		else if (i == 3)
			got[i] = figures_json(f);
		else if (i == 4)
			got[i] = loop_list(f->d, f->p.id, "open", 2);
		else
			got[i] = consensus_page(&(store){&store_sqlite_ops, f->d}, &f->p, 0, 2,
						&(int64_t){0});
		out[i] = reader_steps(f->d) - before;
		if (i)
			assert_non_null(got[i]);
		json_decref(got[i]);
	}
}

/* Those reports read counts and the work in progress, never a row per task done; the open
 * tasks' page starts at the first of them and a consensus page reads its own items: the same
 * steps after 300 approvals as after 10, and the same figures as the tasks give. */
static void test_reports_do_not_grow_with_the_project(void **state)
{
	fixture *f = *state;
	enum { N = 300 };
	add_items(f, "report", N + 5);
	cl_error err;
	assert_int_equal(store_project_member_set(f->d, f->p.id, f->w1, "worker", &err), 0);
	long early[REPORTS] = {0}, late[REPORTS] = {0};
	for (int done = 1; done <= N; done++) {
		int64_t id = next_task(f, f->w1, "assigned");
		assert_int_equal(submit(f, id, f->w1), 0);
		review_steps(f, id, TASK_APPROVE);
		if (done == 10)
			report_steps(f, early);
	}
	report_steps(f, late);
	static const char *const names[REPORTS] = {"task counts", "my projects",
						   "my matches",  "quality report",
						   "open tasks",  "consensus page"};
	for (int i = 0; i < REPORTS; i++)
		if (late[i] > early[i] + early[i] / 2)
			fail_msg("%s took %ld steps after 10 approvals, %ld after %d", names[i],
				 early[i], late[i], N);
	int64_t counts[8];
	store_task_state_counts(f->d, counts);
	assert_int_equal(counts[TASK_APPROVED], N);
	assert_int_equal(
	    counts[TASK_OPEN],
	    read_int(f->d, "SELECT count(*) FROM tasks WHERE state = 'open' AND ?1", 1));
	json_t *mine = store_my_projects(f->d, f->w1, 0, 50, false, project_row_json,
						   &(int64_t){0});
	json_t *fig = json_object_get(json_array_get(mine, 0), "my_figures");
	assert_int_equal(json_integer_value(json_object_get(fig, "approved")), N);
	json_decref(mine);
	json_t *open = loop_list(f->d, f->p.id, "open", 100);
	assert_int_equal(json_array_size(open), counts[TASK_OPEN]);
	json_decref(open);
	/* Page by page, every approved item once, in item order. */
	int64_t cursor = 0, last_item = 0;
	int seen = 0;
	do {
		int64_t next = 0;
		json_t *page = consensus_page(&(store){&store_sqlite_ops, f->d}, &f->p, cursor, 7,
					      &next);
		size_t i;
		json_t *c;
		json_array_foreach(page, i, c)
		{
			int64_t item = json_integer_value(json_object_get(c, "item_id"));
			assert_true(item > last_item);
			last_item = item;
			seen++;
		}
		json_decref(page);
		cursor = next;
	} while (cursor);
	assert_int_equal(seen, N);
}

/* The agreement report reads every approved item and counts every worker, however many: here
 * more workers than items (each item has two), all agreeing. */
static void test_agreement_counts_every_worker(void **state)
{
	fixture *f = *state;
	enum { ITEMS = 150, WORKERS = 2 * ITEMS };
	f->p.overlap = 2;
	add_items_overlapped(f, "agree", ITEMS, 2);
	cl_error err;
	for (int i = 0; i < WORKERS + 3; i++) {
		char name[16];
		snprintf(name, sizeof name, "a%d", i);
		int64_t w = user(f->d, name);
		assert_int_equal(store_project_member_set(f->d, f->p.id, w, "worker", &err), 0);
		int64_t id = next_task(f, w, "assigned");
		assert_true(id > 0);
		assert_int_equal(submit(f, id, w), 0);
		review_steps(f, id, TASK_APPROVE);
	}
	store s = store_of(f->d);
	json_t *o = agreement_report(&s, &f->p);
	assert_non_null(o);
	/* The fixture's three items have one task each. */
	assert_int_equal(json_integer_value(json_object_get(o, "items")), ITEMS + 3);
	assert_int_equal(json_integer_value(json_object_get(o, "items_with_overlap")), ITEMS);
	assert_true(json_real_value(json_object_get(o, "alpha")) == 1.0);
	json_t *ws = json_object_get(o, "workers");
	assert_int_equal(json_array_size(ws), WORKERS);
	int64_t last = 0;
	size_t i;
	json_t *w;
	json_array_foreach(ws, i, w)
	{
		int64_t id = json_integer_value(json_object_get(w, "user_id"));
		assert_true(id > last);
		last = id;
		assert_int_equal(json_integer_value(json_object_get(w, "items")), 1);
		assert_true(json_real_value(json_object_get(w, "agreement")) == 1.0);
	}
	json_decref(o);
}

/* A worker's projects and a project's members are pages the store reads: past a thousand
 * projects, and in the same steps with 300 members as with 10. */
static void test_my_projects_and_members_page_in_the_store(void **state)
{
	fixture *f = *state;
	enum { PROJECTS = 1005 };
	cl_error err;
	for (int i = 0; i < PROJECTS; i++) {
		project q;
		project_init(&q);
		q.org_id = f->p.org_id;
		json_decref(q.labels);
		q.labels = json_pack("[s]", "a");
		snprintf(q.name, sizeof q.name, "public %d", i);
		snprintf(q.status, sizeof q.status, "open");
		q.kind = KIND_TEXT_CLASS;
		q.is_public = true;
		assert_int_equal(project_create(&(store){&store_sqlite_ops, f->d}, &q, &err), 0);
		project_release(&q);
	}
	int64_t cursor = 0, last = 0;
	int seen = 0;
	do {
		int64_t next = 0;
		json_t *page =
		    store_my_projects(f->d, f->w1, cursor, 500, false, project_row_json, &next);
		size_t i;
		json_t *o;
		json_array_foreach(page, i, o)
		{
			int64_t id = json_integer_value(json_object_get(o, "id"));
			assert_true(id > last);
			last = id;
			seen++;
		}
		json_decref(page);
		cursor = next;
	} while (cursor);
	assert_int_equal(seen, PROJECTS);

	long steps[2];
	for (int round = 0, added = 0; round < 2; round++) {
		for (; added < (round ? 300 : 10); added++) {
			char name[16];
			snprintf(name, sizeof name, "m%d", added);
			assert_int_equal(store_project_member_set(f->d, f->p.id, user(f->d, name),
								  "worker", &err),
					 0);
		}
		long before = reader_steps(f->d);
		int64_t next = 0;
		json_t *page = store_project_members(f->d, f->p.id, 0, 5, false, &next);
		steps[round] = reader_steps(f->d) - before;
		assert_int_equal(json_array_size(page), 5);
		assert_true(next > 0);
		json_decref(page);
	}
	if (steps[1] > steps[0] + steps[0] / 2)
		fail_msg("a page of members took %ld steps with 10 members, %ld with 300", steps[0],
			 steps[1]);
}


/* A project's ranking reads every candidate, not the first by id: among 2,500 workers who
 * labeled its kind, the best is the newest, and it leads; the answer holds the best 500. */
static void test_matches_rank_every_candidate(void **state)
{
	fixture *f = *state;
	cl_error err;
	char sql[1024];
	/* Average workers (half their approvals first pass), then one with all of them. */
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)"
		 " INSERT INTO users(username, password_hash, created_at)"
		 " SELECT 'cand' || i, 'x', 0 FROM n;"
		 "INSERT INTO worker_counts(user_id, project_id, approved, first_pass, submissions)"
		 " SELECT id, %lld, 10, CASE WHEN username = 'cand2500' THEN 10 ELSE 5 END, 10"
		 " FROM users WHERE username LIKE 'cand%%'",
		 (long long)f->p.id);
	assert_int_equal(db_write(f->d, exec_sql_job, sql, &err), 0);
	int64_t best = read_int(f->d, "SELECT id FROM users WHERE username = 'cand2500' AND ?1", 1);
	worker_matches ranked;
	assert_int_equal(matching_for_project(&(store){&store_sqlite_ops, f->d}, f->p.id, f->p.kind,
					      clock_now_ms(), &ranked),
			 0);
	assert_int_equal(ranked.rows.n, 2500);
	assert_int_equal(ranked.n, 500);
	assert_int_equal(ranked.top[0].worker->id, best);
	assert_string_equal(ranked.top[0].worker->username, "cand2500");
	double last = 2;
	for (size_t i = 0; i < ranked.n; i++) {
		assert_true(ranked.top[i].score <= last);
		last = ranked.top[i].score;
	}
	worker_matches_release(&ranked);
}

/* Role changes page by id both ways, only the project's own. */
static void test_role_changes_page_both_ways(void **state)
{
	fixture *f = *state;
	cl_error err;
	char sql[512];
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 7)"
		 " INSERT INTO role_changes(project_id, user_id, change, figures, at)"
		 " SELECT CASE WHEN i %% 3 = 0 THEN %lld ELSE %lld END, %lld, 'promote', '{}', i"
		 " FROM n",
		 (long long)(f->p.id + 1), (long long)f->p.id, (long long)f->w1);
	assert_int_equal(db_write(f->d, exec_sql_job, sql, &err), 0);
	/* Rows 1, 2, 4, 5 and 7 are the project's. */
	static const int64_t want[] = {1, 2, 4, 5, 7};
	for (int desc = 0; desc < 2; desc++) {
		int64_t cursor = 0;
		int seen = 0;
		do {
			int64_t next = 0;
			json_t *page = store_role_changes(f->d, f->p.id, cursor, 2, desc, &next);
			assert_true(json_array_size(page) <= 2);
			size_t i;
			json_t *c;
			json_array_foreach(page, i, c)
			{
				int64_t id = json_integer_value(json_object_get(c, "id"));
				assert_int_equal(id, want[desc ? 4 - seen : seen]);
				seen++;
			}
			json_decref(page);
			cursor = next;
		} while (cursor);
		assert_int_equal(seen, 5);
	}
}

struct claimer {
	fixture *f;
	int64_t user;
	int64_t got;
};

static void *claim_thread(void *arg)
{
	struct claimer *c = arg;
	json_t *t = NULL;
	cl_error err;
	if (!loop_next(c->f->d, &c->f->p, c->user, &t, &err) && t)
		c->got = json_integer_value(json_object_get(t, "id"));
	json_decref(t);
	return NULL;
}

static void test_concurrent_claims_never_share(void **state)
{
	fixture *f = *state;
	enum { N = 8 };
	struct claimer c[N];
	pthread_t th[N];
	for (int i = 0; i < N; i++) {
		char name[16];
		snprintf(name, sizeof name, "c%d", i);
		c[i] = (struct claimer){f, user(f->d, name), 0};
	}
	for (int i = 0; i < N; i++)
		pthread_create(&th[i], NULL, claim_thread, &c[i]);
	for (int i = 0; i < N; i++)
		pthread_join(th[i], NULL);
	int got = 0;
	for (int i = 0; i < N; i++) {
		if (!c[i].got)
			continue;
		got++;
		for (int j = i + 1; j < N; j++)
			assert_true(c[i].got != c[j].got);
	}
	/* Three items, overlap 1: exactly three claims succeed. */
	assert_int_equal(got, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lease_is_exclusive_and_repeatable, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reviewer_never_gets_own_work, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reject_rework_escalate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_lease_expiry_returns_task, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_answers_carry_what_was_stored, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_answers_carry_strings_of_any_size, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_task_facts_of_claimed_tasks_read_nothing, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_loop_queries_never_scan, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_claims_do_not_grow_with_the_workers_history, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_approvals_do_not_grow_with_the_workers_history,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gold_picks_do_not_grow_with_the_gold, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_reports_do_not_grow_with_the_project, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_agreement_counts_every_worker, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_role_changes_page_both_ways, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_matches_rank_every_candidate, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_my_projects_and_members_page_in_the_store, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_concurrent_claims_never_share, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
