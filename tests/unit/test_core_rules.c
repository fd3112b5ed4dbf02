/* Core's rules over a store of its own: a store_ops table whose slots read and record plain
 * fields, so pay, the budget check, promotion and demotion are checked without SQL, through
 * the same table a backend fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "core/ledger.h"
#include "core/pay.h"
#include "core/quality.h"
#include "core/roles.h"

/* What the fake store holds and what it was asked to write. */
static struct fake {
	project_pay pay;
	bool funded;
	int64_t balance, live_tasks, live_reviews;
	char posted_kind[16], posted_idem[64];
	int64_t posted_to, posted_amount;
	int payments;
	struct {
		char idem[64];
		int64_t amount;
	} book[8]; /* what was posted, by key */
	quality_settings settings;
	char role[16];
	bool barred;
	quality_worker_figures figures;
	long hp, caught, audits, passed;
	char new_role[16], change[16];
	int role_events;
} fk;

static int fake_project_pay(store_tx *tx, int64_t id, project_pay *pp)
{
	(void)tx;
	(void)id;
	*pp = fk.pay;
	return 0;
}

/* The project's account is 1 when funded; a person's account is their id plus 100. */
static int64_t fake_account_find(store_tx *tx, const char *kind, int64_t owner,
				 const char *currency, int64_t *balance)
{
	(void)tx;
	(void)currency;
	if (balance)
		*balance = fk.balance;
	if (!strcmp(kind, "project"))
		return fk.funded ? 1 : 0;
	return owner + 100;
}

static int64_t fake_account_open(store_tx *tx, const char *kind, int64_t owner,
				 const char *currency, int64_t now)
{
	(void)now;
	return fake_account_find(tx, kind, owner, currency, NULL);
}

static void fake_live_work(store_tx *tx, int64_t project_id, int max_rounds, int64_t *tasks,
			   int64_t *reviews)
{
	(void)tx;
	(void)project_id;
	(void)max_rounds;
	*tasks = fk.live_tasks;
	*reviews = fk.live_reviews;
}

/* Records a transaction of one move out of the project's account (1), or back into it. */
static int fake_txn_post(store_tx *tx, const ledger_txn *t, const ledger_post_ref *r, int64_t now,
			 int64_t *txn_id, cl_error *err)
{
	(void)tx;
	(void)now;
	(void)txn_id;
	assert_int_equal(t->n, 2);
	int credit = t->e[0].amount > 0 ? 0 : 1;
	assert_true(t->e[0].account == 1 || t->e[1].account == 1);
	if (t->e[credit].amount > fk.balance)
		return cl_fail(err, CL_ECONFLICT, "insufficient_funds", "not enough");
	snprintf(fk.posted_kind, sizeof fk.posted_kind, "%s", t->kind);
	snprintf(fk.posted_idem, sizeof fk.posted_idem, "%s", r->idem);
	fk.posted_to = t->e[credit].account;
	fk.posted_amount = t->e[credit].amount;
	if (fk.payments < 8) {
		snprintf(fk.book[fk.payments].idem, sizeof fk.book[0].idem, "%s", r->idem);
		fk.book[fk.payments].amount = t->e[credit].amount;
	}
	fk.payments++;
	return 0;
}

static bool fake_payment_find(store_tx *tx, const char *idem, int64_t *amount)
{
	(void)tx;
	for (int i = 0; i < fk.payments && i < 8; i++)
		if (!strcmp(fk.book[i].idem, idem)) {
			*amount = fk.book[i].amount;
			return true;
		}
	return false;
}

/* The settings as the store keeps them: the JSON text core wrote. */
static char *fake_settings(store_tx *tx, int64_t project_id)
{
	(void)tx;
	(void)project_id;
	json_t *o = quality_settings_to_json(&fk.settings);
	char *text = json_dumps(o, 0);
	json_decref(o);
	return text;
}

static void fake_member_role(store_tx *tx, int64_t project_id, int64_t user_id, char role[16])
{
	(void)tx;
	(void)project_id;
	(void)user_id;
	snprintf(role, 16, "%s", fk.role);
}

static int fake_member_role_set(store_tx *tx, int64_t project_id, int64_t user_id, const char *role,
				cl_error *err)
{
	(void)tx;
	(void)project_id;
	(void)user_id;
	(void)err;
	snprintf(fk.new_role, sizeof fk.new_role, "%s", role);
	return 0;
}

static bool fake_barred(store_tx *tx, int64_t project_id, int64_t user_id)
{
	(void)tx;
	(void)project_id;
	(void)user_id;
	return fk.barred;
}

static void fake_figures(store_tx *tx, int64_t project_id, int64_t user_id,
			 quality_worker_figures *f)
{
	(void)tx;
	(void)project_id;
	(void)user_id;
	*f = fk.figures;
}

static void fake_checks(store_tx *tx, int64_t project_id, int64_t reviewer_id, long *hp,
			long *caught, long *audits, long *passed)
{
	(void)tx;
	(void)project_id;
	(void)reviewer_id;
	*hp = fk.hp;
	*caught = fk.caught;
	*audits = fk.audits;
	*passed = fk.passed;
}

static int fake_role_event(store_tx *tx, int64_t project_id, int64_t user_id, const char *change,
			   const char *from, const char *to, const char *figures, int64_t now,
			   cl_error *err)
{
	(void)tx;
	(void)project_id;
	(void)user_id;
	(void)from;
	(void)to;
	(void)figures;
	(void)now;
	(void)err;
	snprintf(fk.change, sizeof fk.change, "%s", change);
	fk.role_events++;
	return 0;
}

static const store_ops fake_ops = {
    .project_pay = fake_project_pay,
    .account_find = fake_account_find,
    .account_open = fake_account_open,
    .live_work = fake_live_work,
    .txn_post = fake_txn_post,
    .payment_find = fake_payment_find,
    .quality_settings_row = fake_settings,
    .member_role = fake_member_role,
    .member_role_set = fake_member_role_set,
    .promotion_barred = fake_barred,
    .worker_figures = fake_figures,
    .reviewer_checks = fake_checks,
    .role_event_add = fake_role_event,
};

static int reset(void **state)
{
	(void)state;
	memset(&fk, 0, sizeof fk);
	fk.pay = (project_pay){.price = 100, .fee = 10, .org_id = 1, .max_rounds = 3};
	snprintf(fk.pay.currency, sizeof fk.pay.currency, "KRW");
	quality_settings_init(&fk.settings);
	return 0;
}

static void test_claim_check_reserves_work_in_progress(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	p.id = 7;
	p.price = 100;
	p.reviewer_fee = 10;
	cl_error err = {0};
	/* Unfunded projects are not metered. */
	assert_int_equal(pay_claim_check(NULL, &fake_ops, &p, &err), 0);
	/* Two live tasks with 3 reviews left each hold 2 * 100 + 6 * 10 = 260; one more needs
	 * 100 + 3 * 10 = 130: 390 in all. */
	fk.funded = true;
	fk.live_tasks = 2;
	fk.live_reviews = 6;
	fk.balance = 390;
	assert_int_equal(pay_claim_check(NULL, &fake_ops, &p, &err), 0);
	fk.balance = 389;
	assert_int_equal(pay_claim_check(NULL, &fake_ops, &p, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "budget_exhausted");
	/* A free project is never limited. */
	p.price = p.reviewer_fee = 0;
	assert_int_equal(pay_claim_check(NULL, &fake_ops, &p, &err), 0);
	project_release(&p);
}

static void test_pay_once_per_task_and_round(void **state)
{
	(void)state;
	cl_error err = {0};
	int64_t paid = -1;
	fk.balance = 1000;
	fk.funded = true;
	assert_int_equal(pay_approval(NULL, &fake_ops, 7, 42, 5, 0, &paid, &err), 0);
	assert_int_equal(paid, 100);
	assert_string_equal(fk.posted_idem, "pay:42");
	assert_string_equal(fk.posted_kind, "pay");
	assert_int_equal(fk.posted_to, 105);
	assert_int_equal(fk.posted_amount, 100);
	assert_int_equal(pay_review(NULL, &fake_ops, 7, 42, 2, 9, 0, &paid, &err), 0);
	assert_int_equal(paid, 10);
	assert_string_equal(fk.posted_idem, "fee:42:2");
	assert_int_equal(fk.posted_to, 109);
	/* No worker (a honeypot's author), nothing to pay. */
	assert_int_equal(pay_approval(NULL, &fake_ops, 7, 43, 0, 0, &paid, &err), 0);
	assert_int_equal(paid, 0);
	assert_int_equal(fk.payments, 2);
	/* A budget that cannot cover the payment refuses it by name. */
	fk.balance = 50;
	assert_int_equal(pay_approval(NULL, &fake_ops, 7, 44, 5, 0, &paid, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "budget_exhausted");
	/* An unfunded project is not metered: nothing is posted, nothing paid. */
	fk.funded = false;
	fk.balance = 1000;
	assert_int_equal(pay_approval(NULL, &fake_ops, 7, 45, 5, 0, &paid, &err), 0);
	assert_int_equal(paid, 0);
	assert_int_equal(fk.payments, 2);
}

/* A reversal posts the latest approval's pay back under a key of its own, and the next approval
 * pays again; pay the worker no longer holds is not reversed. */
static void test_pay_reversal_and_pay_again(void **state)
{
	(void)state;
	cl_error err = {0};
	int64_t paid = -1, reversed = -1;
	fk.balance = 1000;
	fk.funded = true;
	assert_int_equal(pay_approval(NULL, &fake_ops, 7, 42, 5, 0, &paid, &err), 0);
	assert_int_equal(pay_reverse_check(NULL, &fake_ops, 7, 42, 5, &err), 0);
	assert_int_equal(pay_reverse(NULL, &fake_ops, 7, 42, 5, 0, &reversed, &err), 0);
	assert_int_equal(reversed, 100);
	assert_string_equal(fk.posted_idem, "pay_reversal:42:0");
	assert_string_equal(fk.posted_kind, "pay_reversal");
	assert_int_equal(fk.posted_to, 1); /* back into the project's account */
	/* Approved again: paid again, once. */
	assert_int_equal(pay_approval(NULL, &fake_ops, 7, 42, 5, 0, &paid, &err), 0);
	assert_int_equal(paid, 100);
	assert_string_equal(fk.posted_idem, "pay:42:1");
	assert_int_equal(fk.posted_to, 105); /* the worker's */
	/* The worker holds less than the pay now: refused by name. */
	fk.balance = 99;
	assert_int_equal(pay_reverse_check(NULL, &fake_ops, 7, 42, 5, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "paid_out");
	/* Never paid: nothing to reverse, and no posting. */
	int before = fk.payments;
	assert_int_equal(pay_reverse(NULL, &fake_ops, 7, 77, 5, 0, &reversed, &err), 0);
	assert_int_equal(reversed, 0);
	assert_int_equal(fk.payments, before);
}

static void test_promotion_thresholds(void **state)
{
	(void)state;
	cl_error err = {0};
	fk.settings.promote_min_approved = 10;
	fk.settings.promote_min_first_pass = 0.9;
	fk.figures = (quality_worker_figures){.approved = 10, .first_pass = 9};
	snprintf(fk.role, sizeof fk.role, "worker");
	fk.barred = true; /* org staff, or demoted here before */
	assert_int_equal(role_promote_check(NULL, &fake_ops, 1, 5, 0, &err), 0);
	assert_int_equal(fk.role_events, 0);
	fk.barred = false;
	fk.figures.first_pass = 8; /* 80% first pass: under the threshold */
	assert_int_equal(role_promote_check(NULL, &fake_ops, 1, 5, 0, &err), 0);
	assert_int_equal(fk.role_events, 0);
	fk.figures.first_pass = 9;
	assert_int_equal(role_promote_check(NULL, &fake_ops, 1, 5, 0, &err), 0);
	assert_int_equal(fk.role_events, 1);
	assert_string_equal(fk.change, "promote");
	assert_string_equal(fk.new_role, "reviewer");
}

static void test_demotion_only_of_reviewers_under_threshold(void **state)
{
	(void)state;
	cl_error err = {0};
	fk.settings.demote_min_checks = 5;
	fk.settings.demote_below = 0.8;
	fk.hp = 4;
	fk.caught = 2;
	fk.audits = 1;
	fk.passed = 1; /* 3 of 5: 60% */
	snprintf(fk.role, sizeof fk.role, "worker");
	assert_int_equal(role_demote_check(NULL, &fake_ops, 1, 9, 0, &err), 0);
	assert_int_equal(fk.role_events, 0); /* no reviewer role to lose */
	snprintf(fk.role, sizeof fk.role, "reviewer");
	fk.audits = 0; /* 4 checks: too few to judge */
	assert_int_equal(role_demote_check(NULL, &fake_ops, 1, 9, 0, &err), 0);
	assert_int_equal(fk.role_events, 0);
	fk.audits = 1;
	assert_int_equal(role_demote_check(NULL, &fake_ops, 1, 9, 0, &err), 0);
	assert_int_equal(fk.role_events, 1);
	assert_string_equal(fk.change, "demote");
	assert_string_equal(fk.new_role, "worker");
}

/* A worker's own gold figures: defaults filled in, and answers counted only from before the
 * start of the period `now` lies in. */
static void test_gold_report_cutoff(void **state)
{
	(void)state;
	static const struct {
		quality_report set;
		int64_t now, cutoff;
		int batch;
	} cases[] = {
	    {{0, 0}, 7200000 + 59 * 60000, 7200000, QUALITY_REPORT_BATCH}, /* 02:59 -> 02:00 */
	    {{0, 0}, 7200000, 7200000, QUALITY_REPORT_BATCH},		   /* on the hour */
	    {{2, 1000}, 12345, 12000, 2},
	    {{1, 60000}, 59999, 0, 1},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		quality_report r = quality_report_rule(cases[i].set);
		assert_int_equal(r.batch, cases[i].batch);
		assert_int_equal(quality_report_cutoff(cases[i].set, cases[i].now), cases[i].cutoff);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_claim_check_reserves_work_in_progress, reset),
	    cmocka_unit_test_setup(test_pay_once_per_task_and_round, reset),
	    cmocka_unit_test_setup(test_pay_reversal_and_pay_again, reset),
	    cmocka_unit_test_setup(test_promotion_thresholds, reset),
	    cmocka_unit_test_setup(test_demotion_only_of_reviewers_under_threshold, reset),
	    cmocka_unit_test(test_gold_report_cutoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
