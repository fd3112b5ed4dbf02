/* The manager's desk against a real SQLite store: bulk calls change only the tasks their
 * action fits and name the rest, in one transaction; a call that is itself wrong changes
 * nothing; a worker takes back their submission before review; removing a member ends their
 * leases; the task browser's filters. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/task_json.h"
#include "core/task.h"
#include "core/task_desk.h"
#include "core/task_loop.h"
#include "store/conn.h"
#include "store/store.h"
#include "core/ledger.h"
#include "store/store_ledger.h"
#include "loop_fixture.h"

static int setup(void **state)
{
	return fixture_open(state, 4, "mgr");
}

/* Runs a prepared change and frees it; `rc` is the result of preparing *tcp (a pointer: C
 * leaves the order of arguments open). */
static int run(int rc, task_change **tcp)
{
	task_change *tc = *tcp;
	cl_error err;
	if (!rc)
		rc = task_change_wait(tc, &err);
	task_change_free(tc);
	return rc;
}

static int64_t claim(fixture *f, int64_t user_id)
{
	task_change *tc = NULL;
	assert_int_equal(task_claim_start(&f->s, &f->p, user_id, &tc), 0);
	cl_error err;
	assert_int_equal(task_change_wait(tc, &err), 0);
	int64_t id = task_change_view(tc) ? task_change_view(tc)->id : 0;
	task_change_free(tc);
	return id;
}

static int submit(fixture *f, int64_t id, int64_t user_id)
{
	task_change *tc = NULL;
	return run(task_submit_start(&f->s, &f->p, id, user_id, "{\"labels\":[\"a\"]}", &tc), &tc);
}

static task_state state_of(fixture *f, int64_t id)
{
	task_ref r;
	assert_int_equal(store_sqlite_ops.task_ref(f->d, id, &r), 0);
	return r.state;
}

static void test_bulk_changes_what_fits_and_names_the_rest(void **state)
{
	fixture *f = *state;
	int64_t held = claim(f, f->w1);
	assert_int_equal(held, f->ids[0]);
	int64_t ids[] = {f->ids[0], f->ids[1], 987654321};
	task_bulk b = {.project_id = f->p.id,
		       .user_id = f->mgr,
		       .action = TASK_BULK_DISCARD,
		       .ids = ids,
		       .n = 3};
	task_bulk_result res;
	cl_error err;
	assert_int_equal(task_bulk_run(&f->s, &b, &res, &err), 0);
	assert_int_equal(res.changed, 1);
	assert_int_equal(json_array_size(res.skipped), 2);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(res.skipped, 0), "code")), "conflict");
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(res.skipped, 1), "code")),
	    "not_found");
	json_decref(res.skipped);
	assert_int_equal(state_of(f, f->ids[0]), TASK_ASSIGNED);
	assert_int_equal(state_of(f, f->ids[1]), TASK_DISCARDED);
	/* Release: the lease ends, the task is open again and the same worker may claim it. */
	b.action = TASK_BULK_RELEASE;
	b.n = 1;
	assert_int_equal(task_bulk_run(&f->s, &b, &res, &err), 0);
	assert_int_equal(res.changed, 1);
	json_decref(res.skipped);
	assert_int_equal(state_of(f, f->ids[0]), TASK_OPEN);
	/* Priority: the last task is claimed first. */
	int64_t last[] = {f->ids[3]};
	b = (task_bulk){.project_id = f->p.id,
			.user_id = f->mgr,
			.action = TASK_BULK_PRIORITY,
			.priority = 5,
			.ids = last,
			.n = 1};
	assert_int_equal(task_bulk_run(&f->s, &b, &res, &err), 0);
	json_decref(res.skipped);
	assert_int_equal(claim(f, f->w2), f->ids[3]);
}

static void test_a_wrong_call_changes_nothing(void **state)
{
	fixture *f = *state;
	task_bulk_result res;
	cl_error err;
	int64_t *many = calloc(TASK_BULK_MAX + 1, sizeof *many);
	for (int i = 0; i <= TASK_BULK_MAX; i++)
		many[i] = f->ids[0];
	task_bulk b = {.project_id = f->p.id,
		       .user_id = f->mgr,
		       .action = TASK_BULK_DISCARD,
		       .ids = many,
		       .n = TASK_BULK_MAX + 1};
	assert_int_equal(task_bulk_run(&f->s, &b, &res, &err), CL_EINVAL);
	b.n = 1;
	b.action = TASK_BULK_PRIORITY;
	b.priority = TASK_PRIORITY_MAX + 1;
	assert_int_equal(task_bulk_run(&f->s, &b, &res, &err), CL_EINVAL);
	b.n = 0;
	assert_int_equal(task_bulk_run(&f->s, &b, &res, &err), CL_EINVAL);
	free(many);
	assert_int_equal(state_of(f, f->ids[0]), TASK_OPEN);
	task_bulk_action a;
	assert_int_equal(task_bulk_action_parse("discard", &a), 0);
	assert_int_equal(a, TASK_BULK_DISCARD);
	assert_int_equal(task_bulk_action_parse("approve", &a), -1);
}

static void test_reopen_before_review_only(void **state)
{
	fixture *f = *state;
	int64_t id = claim(f, f->w1);
	assert_int_equal(submit(f, id, f->w1), 0);
	task_change *tc = NULL;
	/* Not the worker's: refused. */
	assert_int_equal(run(task_reopen_start(&f->s, &f->p, id, f->w2, &tc), &tc), CL_ECONFLICT);
	assert_int_equal(run(task_reopen_start(&f->s, &f->p, id, f->w1, &tc), &tc), 0);
	assert_int_equal(state_of(f, id), TASK_ASSIGNED);
	/* Held again: the next claim answers it, and it may be submitted again. */
	assert_int_equal(claim(f, f->w1), id);
	assert_int_equal(submit(f, id, f->w1), 0);
	json_t *rounds = store_sqlite_ops.task_rounds(f->d, id);
	json_t *anns = json_object_get(rounds, "annotations");
	assert_int_equal(json_array_size(anns), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(anns, 0), "source")),
			    "withdrawn");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(anns, 1), "round")), 1);
	json_decref(rounds);
	/* Under review: no longer. */
	task_change *rc = NULL;
	assert_int_equal(review_claim_start(&f->s, &f->p, f->w2, &rc), 0);
	cl_error err;
	assert_int_equal(task_change_wait(rc, &err), 0);
	task_change_free(rc);
	assert_int_equal(run(task_reopen_start(&f->s, &f->p, id, f->w1, &tc), &tc), CL_ECONFLICT);
}

static void test_member_removal_ends_leases(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(store_project_member_set(f->d, f->p.id, f->w1, "worker", &err), 0);
	int64_t id = claim(f, f->w1);
	assert_int_equal(task_member_remove(&f->s, f->p.id, f->w1, f->mgr, &err), 0);
	assert_int_equal(state_of(f, id), TASK_OPEN);
	assert_int_equal(task_member_remove(&f->s, f->p.id, f->w1, f->mgr, &err), CL_ENOTFOUND);
}

/* A worker's balance in the org's currency (0 without an account). */
static int64_t balance_of(fixture *f, int64_t user_id)
{
	json_t *me = store_ledger_me(f->d, user_id);
	json_t *first = json_array_get(json_object_get(me, "balances"), 0);
	int64_t b = first ? json_integer_value(json_object_get(first, "balance")) : 0;
	json_decref(me);
	return b;
}

/* Funds the project with `amount`: the org first, then the project from it. */
static void fund(fixture *f, int64_t amount)
{
	cl_error err;
	int64_t txn;
	assert_int_equal(ledger_fund_org(&f->s, f->p.org_id, amount, f->mgr, "t", &txn, &err), 0);
	assert_int_equal(ledger_deposit(&f->s, f->p.id, amount, f->mgr, "t", &txn, &err), 0);
}

/* w1 labels a task, w2 reviews it and approves; the task's id. */
static int64_t approved_task(fixture *f)
{
	int64_t id = claim(f, f->w1);
	assert_int_equal(submit(f, id, f->w1), 0);
	task_change *tc = NULL;
	assert_int_equal(review_claim_start(&f->s, &f->p, f->w2, &tc), 0);
	cl_error err;
	assert_int_equal(task_change_wait(tc, &err), 0);
	task_change_free(tc);
	review_decision dec = {.action = TASK_APPROVE};
	tc = NULL;
	int rc = task_review_start(&f->s, &f->p, id, f->w2, &dec, &tc, &err);
	assert_int_equal(run(rc, &tc), 0);
	assert_int_equal(state_of(f, id), TASK_APPROVED);
	return id;
}

/* A bulk call of the manager's with `action` and `reason` on ids that returns want_rc. */
static task_bulk_result bulk(fixture *f, task_bulk_action action, int64_t *ids, int n,
			     const char *reason, int want_rc)
{
	task_bulk b = {.project_id = f->p.id,
		       .user_id = f->mgr,
		       .action = action,
		       .reason = reason,
		       .ids = ids,
		       .n = n};
	task_bulk_result res = {0};
	cl_error err;
	assert_int_equal(task_bulk_run(&f->s, &b, &res, &err), want_rc);
	return res;
}

static task_bulk_result rework(fixture *f, int64_t *ids, int n, const char *reason, int want_rc)
{
	return bulk(f, TASK_BULK_REWORK, ids, n, reason, want_rc);
}

static task_bulk_result review_again(fixture *f, int64_t *ids, int n, const char *reason,
				     int want_rc)
{
	return bulk(f, TASK_BULK_REVIEW_AGAIN, ids, n, reason, want_rc);
}

/* Bulk `action` with a reason on a funded, approved task and an open one: the approved task
 * changes to `to`, the open one is named and left, the worker's pay is reversed by a posting of
 * its own and the task's rounds end with `decision` and the reason. Returns the task. */
static int64_t undo_approval(fixture *f, task_bulk_action action, task_state to,
			     const char *decision)
{
	fund(f, 1000);
	int64_t id = approved_task(f);
	assert_int_equal(balance_of(f, f->w1), 100);
	int64_t ids[] = {id, f->ids[3]};
	/* A reason is required, and a wrong call changes nothing. */
	bulk(f, action, ids, 1, "  ", CL_EINVAL);
	assert_int_equal(state_of(f, id), TASK_APPROVED);
	task_bulk_result res = bulk(f, action, ids, 2, "the label is wrong", 0);
	assert_int_equal(res.changed, 1);
	assert_int_equal(json_array_size(res.skipped), 1);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(res.skipped, 0), "code")), "conflict");
	json_decref(res.skipped);
	assert_int_equal(state_of(f, id), to);
	assert_int_equal(balance_of(f, f->w1), 0);
	project_budget budget;
	assert_int_equal(store_ledger_budget(f->d, f->p.id, &budget), 0);
	assert_int_equal(budget.paid_to_workers, 0);
	/* The reason reads as the decision in the task's rounds. */
	json_t *rounds = store_sqlite_ops.task_rounds(f->d, id);
	json_t *reviews = json_object_get(rounds, "reviews");
	json_t *last = json_array_get(reviews, json_array_size(reviews) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "decision")), decision);
	assert_string_equal(json_string_value(json_object_get(last, "reason")),
			    "the label is wrong");
	json_decref(rounds);
	/* The ledger kept both postings: it balances. */
	json_t *check = store_ledger_check(f->d);
	assert_true(json_is_true(json_object_get(check, "ok")));
	json_decref(check);
	return id;
}

/* An approved task whose pay was paid out is named and left as it is by `action`. */
static void assert_paid_out_is_left(fixture *f, task_bulk_action action)
{
	fund(f, 1000);
	int64_t id = approved_task(f);
	cl_error err;
	int64_t payout;
	assert_int_equal(ledger_payout_request(&f->s, f->w1, "KRW", 100, &payout, &err), 0);
	int64_t ids[] = {id};
	task_bulk_result res = bulk(f, action, ids, 1, "wrong", 0);
	assert_int_equal(res.changed, 0);
	assert_string_equal(
	    json_string_value(json_object_get(json_array_get(res.skipped, 0), "code")), "paid_out");
	json_decref(res.skipped);
	assert_int_equal(state_of(f, id), TASK_APPROVED);
}

static void test_rework_reverses_pay_and_pays_again(void **state)
{
	fixture *f = *state;
	int64_t id = undo_approval(f, TASK_BULK_REWORK, TASK_REWORK, "rework_approved");
	project_budget budget;
	assert_int_equal(store_ledger_budget(f->d, f->p.id, &budget), 0);
	assert_int_equal(budget.balance, 1000);
	/* The next approval pays again. */
	assert_int_equal(claim(f, f->w1), id);
	assert_int_equal(submit(f, id, f->w1), 0);
	task_change *tc = NULL;
	cl_error err;
	assert_int_equal(review_claim_start(&f->s, &f->p, f->w2, &tc), 0);
	assert_int_equal(task_change_wait(tc, &err), 0);
	task_change_free(tc);
	review_decision dec = {.action = TASK_APPROVE};
	tc = NULL;
	int rc = task_review_start(&f->s, &f->p, id, f->w2, &dec, &tc, &err);
	assert_int_equal(run(rc, &tc), 0);
	assert_int_equal(balance_of(f, f->w1), 100);
}

static void test_rework_skips_pay_already_paid_out(void **state)
{
	assert_paid_out_is_left(*state, TASK_BULK_REWORK);
}

static void test_rework_of_unpaid_work(void **state)
{
	fixture *f = *state;
	int64_t id = approved_task(f); /* unfunded: nothing was paid, nothing is reversed */
	int64_t ids[] = {id};
	task_bulk_result res = rework(f, ids, 1, "wrong", 0);
	assert_int_equal(res.changed, 1);
	json_decref(res.skipped);
	assert_int_equal(state_of(f, id), TASK_REWORK);
	assert_int_equal(balance_of(f, f->w1), 0);
}

/* The task a review claim by `reviewer_id` hands them (0: none). */
static int64_t review_claim(fixture *f, int64_t reviewer_id)
{
	task_change *tc = NULL;
	cl_error err;
	assert_int_equal(review_claim_start(&f->s, &f->p, reviewer_id, &tc), 0);
	assert_int_equal(task_change_wait(tc, &err), 0);
	int64_t id = task_change_view(tc) ? task_change_view(tc)->id : 0;
	task_change_free(tc);
	return id;
}

static int decide(fixture *f, int64_t id, int64_t reviewer_id, task_action action)
{
	review_decision dec = {.action = action, .reason = "the box is off"};
	task_change *tc = NULL;
	cl_error err;
	int rc = task_review_start(&f->s, &f->p, id, reviewer_id, &dec, &tc, &err);
	return run(rc, &tc);
}

static void test_review_again_reverses_pay_and_another_reviewer_decides(void **state)
{
	fixture *f = *state;
	cl_error err;
	task_bulk_result res;
	/* Approved by w2. */
	assert_int_equal(store_project_member_set(f->d, f->p.id, f->w2, "reviewer", &err), 0);
	assert_int_equal(store_project_member_set(f->d, f->p.id, f->rv, "reviewer", &err), 0);
	int64_t id = undo_approval(f, TASK_BULK_REVIEW_AGAIN, TASK_SUBMITTED, "review_again");
	/* Not back to the reviewer who approved it while another reviewer is there, nor to its
	 * worker; the other reviewer approves, and the worker is paid again. */
	assert_int_equal(review_claim(f, f->w2), 0);
	assert_int_equal(review_claim(f, f->w1), 0);
	assert_int_equal(review_claim(f, f->rv), id);
	/* Still so once the new reviewer's lease has ended. */
	task_bulk release = {.project_id = f->p.id,
			     .user_id = f->mgr,
			     .action = TASK_BULK_RELEASE,
			     .ids = &id,
			     .n = 1};
	assert_int_equal(task_bulk_run(&f->s, &release, &res, &err), 0);
	assert_int_equal(res.changed, 1);
	json_decref(res.skipped);
	assert_int_equal(review_claim(f, f->w2), 0);
	assert_int_equal(review_claim(f, f->rv), id);
	assert_int_equal(decide(f, id, f->rv, TASK_APPROVE), 0);
	assert_int_equal(state_of(f, id), TASK_APPROVED);
	assert_int_equal(balance_of(f, f->w1), 100);
	json_t *check = store_ledger_check(f->d);
	assert_true(json_is_true(json_object_get(check, "ok")));
	json_decref(check);
}

static void test_review_again_by_the_only_reviewer_may_reject(void **state)
{
	fixture *f = *state;
	fund(f, 1000);
	int64_t id = approved_task(f);
	int64_t ids[] = {id};
	json_decref(review_again(f, ids, 1, "look again", 0).skipped);
	/* No other reviewer: the one who approved it reviews it again, and a rejection sends it
	 * to its worker's rework with nothing paid. */
	assert_int_equal(review_claim(f, f->w2), id);
	assert_int_equal(decide(f, id, f->w2, TASK_REJECT), 0);
	assert_int_equal(state_of(f, id), TASK_REWORK);
	assert_int_equal(balance_of(f, f->w1), 0);
	assert_int_equal(claim(f, f->w1), id);
}

static void test_review_again_skips_pay_already_paid_out(void **state)
{
	assert_paid_out_is_left(*state, TASK_BULK_REVIEW_AGAIN);
}

/* The worker's count of decided tasks in the fixture's project (worker_counts.decided). */
static int64_t decided_of(fixture *f, int64_t worker)
{
	char sql[128];
	snprintf(sql, sizeof sql,
		 "SELECT decided FROM worker_counts WHERE user_id = ?1 AND project_id = %lld",
		 (long long)f->p.id);
	return read_int(f->d, sql, worker);
}

/* A task's first decision counts once as decided, whatever comes after it: reviewed again and
 * decided again, or reviewed again and discarded before anyone decides it. */
static void test_review_again_keeps_the_task_decided(void **state)
{
	fixture *f = *state;
	int64_t again = approved_task(f);
	int64_t ids[] = {again};
	assert_int_equal(decided_of(f, f->w1), 1);
	json_decref(review_again(f, ids, 1, "look again", 0).skipped);
	assert_int_equal(decided_of(f, f->w1), 1);
	assert_int_equal(review_claim(f, f->w2), again);
	assert_int_equal(decide(f, again, f->w2, TASK_APPROVE), 0);
	assert_int_equal(decided_of(f, f->w1), 1);

	json_decref(review_again(f, ids, 1, "look again", 0).skipped);
	assert_int_equal(state_of(f, again), TASK_SUBMITTED);
	task_bulk discard = {.project_id = f->p.id,
			     .user_id = f->mgr,
			     .action = TASK_BULK_DISCARD,
			     .ids = ids,
			     .n = 1};
	task_bulk_result res = {0};
	cl_error err;
	assert_int_equal(task_bulk_run(&f->s, &discard, &res, &err), 0);
	assert_int_equal(res.changed, 1);
	json_decref(res.skipped);
	assert_int_equal(state_of(f, again), TASK_DISCARDED);
	assert_int_equal(decided_of(f, f->w1), 1);
}

static int page_count(fixture *f, task_query q)
{
	task_view *v = NULL;
	int64_t next;
	q.project_id = f->p.id;
	q.limit = 10;
	int n = store_sqlite_ops.tasks_page(f->d, &q, &v, &next);
	for (int i = 0; i < n; i++)
		task_view_release(&v[i]);
	free(v);
	return n;
}

static void test_browser_filters(void **state)
{
	fixture *f = *state;
	int64_t id = claim(f, f->w1);
	assert_int_equal(submit(f, id, f->w1), 0);
	assert_int_equal(page_count(f, (task_query){.label = "a"}), 1);
	assert_int_equal(page_count(f, (task_query){.label = "b"}), 0);
	assert_int_equal(page_count(f, (task_query){.by_round = true, .round = 0}), 3);
	assert_int_equal(page_count(f, (task_query){.by_round = true, .round = 1}), 1);
	assert_int_equal(page_count(f, (task_query){.text = "THR"}), 1);
	assert_int_equal(page_count(f, (task_query){.gold = 1}), 0);
	assert_int_equal(page_count(f, (task_query){.gold = 2}), 4);
	assert_int_equal(page_count(f, (task_query){.to = 1}), 0);
	/* A filter and then none on the same cached statement: the round's binding is gone. */
	assert_int_equal(page_count(f, (task_query){.gold = 2, .state = "open"}), 3);
}

/* The gold-only filter pages through the gold tasks' own index: it finds the task of an item
 * made gold after it, and a task made for a gold item afterwards, in id order. */
static void test_gold_filter_follows_gold_items_and_their_tasks(void **state)
{
	fixture *f = *state;
	cl_error err;
	char sql[512];
	snprintf(
	    sql, sizeof sql,
	    "INSERT INTO gold_items(item_id, project_id, answer, created_at)"
	    " SELECT item_id, project_id, '{\"labels\":[\"a\"]}', 0 FROM tasks WHERE id = %lld",
	    (long long)f->ids[1]);
	assert_int_equal(db_write(f->d, exec_sql_job, sql, &err), 0);
	assert_int_equal(page_count(f, (task_query){.gold = 1}), 1);
	assert_int_equal(page_count(f, (task_query){.gold = 2}), 3);
	snprintf(sql, sizeof sql,
		 "INSERT INTO tasks(project_id, item_id, slot, state, updated_at)"
		 " SELECT project_id, item_id, 1, 'open', 0 FROM tasks WHERE id = %lld",
		 (long long)f->ids[1]);
	assert_int_equal(db_write(f->d, exec_sql_job, sql, &err), 0);
	task_view *v = NULL;
	int64_t next;
	task_query q = {.project_id = f->p.id, .gold = 1, .limit = 1};
	assert_int_equal(store_sqlite_ops.tasks_page(f->d, &q, &v, &next), 1);
	assert_int_equal(v[0].id, f->ids[1]);
	assert_int_equal(next, f->ids[1]);
	task_view_release(&v[0]);
	free(v);
	q.cursor = next;
	assert_int_equal(store_sqlite_ops.tasks_page(f->d, &q, &v, &next), 1);
	assert_true(v[0].id > f->ids[1]);
	assert_int_equal(next, 0);
	task_view_release(&v[0]);
	free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_bulk_changes_what_fits_and_names_the_rest, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_wrong_call_changes_nothing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopen_before_review_only, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_member_removal_ends_leases, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_rework_reverses_pay_and_pays_again, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rework_skips_pay_already_paid_out, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_rework_of_unpaid_work, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_review_again_reverses_pay_and_another_reviewer_decides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_again_by_the_only_reviewer_may_reject,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_review_again_keeps_the_task_decided, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_review_again_skips_pay_already_paid_out, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_browser_filters, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gold_filter_follows_gold_items_and_their_tasks,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
