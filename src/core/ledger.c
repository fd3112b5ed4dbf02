/* Double-entry rules: balanced transactions, overflow-checked reserves and hourly earnings;
 * and the use cases that move money for people (funding, deposits, payouts), each a job that
 * builds its transaction and hands the store the entries to write. */
#include "core/ledger.h"
#include "util/clock.h"
#include "util/err.h"

#include <stdio.h>
#include <stdlib.h>

#include <stdlib.h>
#include <string.h>

void ledger_txn_init(ledger_txn *t, const char *kind)
{
	memset(t, 0, sizeof *t);
	t->kind = kind;
}

int ledger_move(ledger_txn *t, int64_t from, int64_t to, int64_t amount)
{
	if (amount <= 0 || amount > LEDGER_MAX_AMOUNT || from == to || t->n + 2 > LEDGER_MAX_ENTRIES)
		return CL_EINVAL;
	t->e[t->n++] = (ledger_entry){from, -amount};
	t->e[t->n++] = (ledger_entry){to, amount};
	return 0;
}

int ledger_check(const ledger_txn *t)
{
	if (t->n < 2 || t->n > LEDGER_MAX_ENTRIES)
		return CL_EINVAL;
	int64_t sum = 0;
	for (int i = 0; i < t->n; i++) {
		if (!t->e[i].amount || t->e[i].amount > LEDGER_MAX_AMOUNT ||
		    t->e[i].amount < -LEDGER_MAX_AMOUNT)
			return CL_EINVAL;
		sum += t->e[i].amount; /* bounded: 8 entries of at most 10^15 */
	}
	return sum == 0 ? 0 : CL_EINVAL;
}

int ledger_reserve(int64_t tasks, int64_t reviews, int64_t price, int64_t fee, int64_t *out)
{
	int64_t a, b;
	if (tasks < 0 || reviews < 0 || price < 0 || fee < 0)
		return CL_EINVAL;
	if (__builtin_mul_overflow(tasks, price, &a) || __builtin_mul_overflow(reviews, fee, &b) ||
	    __builtin_add_overflow(a, b, out))
		return CL_EINVAL;
	return 0;
}

int64_t ledger_hourly(int64_t earned, int64_t active_ms)
{
	if (active_ms <= 0 || earned <= 0)
		return 0;
	__int128 v = (__int128)earned * 3600000 / active_ms;
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

int64_t ledger_suggest_price(int64_t min_wage, int64_t active_ms, int64_t tasks)
{
	if (tasks <= 0 || active_ms <= 0 || min_wage <= 0)
		return 0;
	__int128 num = (__int128)min_wage * active_ms, den = (__int128)tasks * 3600000;
	__int128 v = (num + den - 1) / den;
	return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static int i64_cmp(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

int64_t ledger_median(int64_t *v, size_t n)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, i64_cmp);
	return v[(n - 1) / 2];
}

/* ---- posting, and the use cases of money moved by people ---- */

int ledger_post(store_tx *tx, const store_ops *s, const ledger_txn *t, const ledger_post_ref *r,
		int64_t now, int64_t *txn_id, cl_error *err)
{
	if (ledger_check(t))
		return cl_fail(err, CL_EINTERNAL, NULL, "unbalanced ledger transaction");
	return s->txn_post(tx, t, r, now, txn_id, err);
}

/* A move of `amount` from account `from` to account `to` (0: could not be opened) as a new
 * transaction of `kind` in t; CL_EINVAL naming the amount's bounds when it is out of them. */
static int one_move(ledger_txn *t, const char *kind, int64_t from, int64_t to, int64_t amount,
		    cl_error *err)
{
	ledger_txn_init(t, kind);
	if (!from || !to || ledger_move(t, from, to, amount))
		return cl_fail(err, CL_EINVAL, NULL, "\"amount\" must be 1..%lld",
			       (long long)LEDGER_MAX_AMOUNT);
	return 0;
}

typedef struct money_job {
	const store_ops *ops;
	int64_t org_id, project_id, user_id, payout_id, actor, amount;
	const char *memo, *currency;
	bool approve;
	int64_t out_id;
} money_job;

static int fund_org_job(store_tx *tx, void *ctx, cl_error *err)
{
	money_job *j = ctx;
	int64_t now = clock_now_ms();
	char cur[8];
	if (!j->ops->org_currency(tx, j->org_id, cur))
		return cl_fail(err, CL_ENOTFOUND, NULL, "organization not found");
	ledger_txn t;
	int rc = one_move(&t, "fund", j->ops->account_open(tx, "external", 0, cur, now),
			  j->ops->account_open(tx, "org", j->org_id, cur, now), j->amount, err);
	ledger_post_ref r = {.actor_id = j->actor, .memo = j->memo};
	return rc ? rc : ledger_post(tx, j->ops, &t, &r, now, &j->out_id, err);
}

int ledger_fund_org(const store *s, int64_t org_id, int64_t amount, int64_t actor,
		    const char *memo, int64_t *txn_id, cl_error *err)
{
	money_job j = {.ops = s->ops, .org_id = org_id, .amount = amount, .actor = actor,
		       .memo = memo};
	int rc = s->ops->write(s->db, fund_org_job, &j, err);
	*txn_id = rc ? 0 : j.out_id;
	return rc;
}

static int deposit_job(store_tx *tx, void *ctx, cl_error *err)
{
	money_job *j = ctx;
	int64_t now = clock_now_ms();
	project_pay pp;
	if (j->ops->project_pay(tx, j->project_id, &pp))
		return cl_fail(err, CL_ENOTFOUND, NULL, "project not found");
	ledger_txn t;
	int rc = one_move(&t, "deposit", j->ops->account_open(tx, "org", pp.org_id, pp.currency, now),
			  j->ops->account_open(tx, "project", j->project_id, pp.currency, now),
			  j->amount, err);
	ledger_post_ref r = {.project_id = j->project_id, .actor_id = j->actor, .memo = j->memo};
	if (!rc)
		rc = ledger_post(tx, j->ops, &t, &r, now, &j->out_id, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, CL_ECONFLICT, "insufficient_funds",
			       "the organization's budget holds less than that");
	return rc;
}

int ledger_deposit(const store *s, int64_t project_id, int64_t amount, int64_t actor,
		   const char *memo, int64_t *txn_id, cl_error *err)
{
	money_job j = {.ops = s->ops, .project_id = project_id, .amount = amount, .actor = actor,
		       .memo = memo};
	int rc = s->ops->write(s->db, deposit_job, &j, err);
	*txn_id = rc ? 0 : j.out_id;
	return rc;
}

static int payout_request_job(store_tx *tx, void *ctx, cl_error *err)
{
	money_job *j = ctx;
	int64_t now = clock_now_ms();
	int64_t balance;
	int64_t from = j->ops->account_find(tx, "worker", j->user_id, j->currency, &balance);
	if (from < 0)
		return cl_fail(err, CL_EINTERNAL, NULL, "store error");
	if (!from || balance < j->amount)
		return cl_fail(err, CL_ECONFLICT, "insufficient_funds",
			       "your balance in %s is %lld", j->currency, (long long)balance);
	ledger_txn t;
	int rc = one_move(&t, "payout_request", from,
			  j->ops->account_open(tx, "payout_hold", 0, j->currency, now), j->amount,
			  err);
	if (rc || (rc = j->ops->payout_add(tx, j->user_id, j->currency, j->amount, now,
					   &j->out_id, err)))
		return rc;
	char idem[48];
	snprintf(idem, sizeof idem, "payout:%lld", (long long)j->out_id);
	ledger_post_ref r = {.idem = idem, .user_id = j->user_id, .actor_id = j->user_id};
	return ledger_post(tx, j->ops, &t, &r, now, NULL, err);
}

int ledger_payout_request(const store *s, int64_t user_id, const char *currency, int64_t amount,
			  int64_t *payout_id, cl_error *err)
{
	money_job j = {.ops = s->ops, .user_id = user_id, .currency = currency, .amount = amount};
	int rc = s->ops->write(s->db, payout_request_job, &j, err);
	*payout_id = rc ? 0 : j.out_id;
	return rc;
}

static int payout_decide_job(store_tx *tx, void *ctx, cl_error *err)
{
	money_job *j = ctx;
	int64_t now = clock_now_ms();
	payout_row p;
	if (j->ops->payout_load(tx, j->payout_id, &p))
		return cl_fail(err, CL_ENOTFOUND, NULL, "payout not found");
	if (strcmp(p.status, "requested"))
		return cl_fail(err, CL_ECONFLICT, "payout_decided", "the payout is already %s",
			       p.status);
	int64_t hold = j->ops->account_open(tx, "payout_hold", 0, p.currency, now);
	int64_t to = j->approve ? j->ops->account_open(tx, "payouts", 0, p.currency, now)
				: j->ops->account_open(tx, "worker", p.user_id, p.currency, now);
	ledger_txn t;
	ledger_txn_init(&t, j->approve ? "payout" : "payout_rejected");
	if (!hold || !to || ledger_move(&t, hold, to, p.amount))
		return cl_fail(err, CL_EINTERNAL, NULL, "store error");
	char idem[48];
	snprintf(idem, sizeof idem, "payout_decision:%lld", (long long)j->payout_id);
	ledger_post_ref r = {.idem = idem, .user_id = p.user_id, .actor_id = j->actor,
			     .memo = j->memo};
	int rc = ledger_post(tx, j->ops, &t, &r, now, NULL, err);
	if (rc)
		return rc < 0 ? rc
			      : cl_fail(err, CL_ECONFLICT, "payout_decided", "already decided");
	return j->ops->payout_decided(tx, j->payout_id, j->approve, j->memo, j->actor, now, err);
}

int ledger_payout_decide(const store *s, int64_t payout_id, int64_t admin_id, bool approve,
			 const char *note, cl_error *err)
{
	money_job j = {.ops = s->ops, .payout_id = payout_id, .actor = admin_id,
		       .approve = approve, .memo = note};
	return s->ops->write(s->db, payout_decide_job, &j, err);
}

/* ---- the reports: a project's budget, fair pay ---- */

json_t *ledger_budget_json(int64_t project_id, const project_budget *b)
{
	int64_t held = 0;
	ledger_reserve(b->live_tasks, b->live_reviews, b->price, b->fee, &held);
	json_t *o = json_pack("{s:I,s:s,s:b,s:I,s:I,s:I}", "project_id", (json_int_t)project_id,
			      "currency", b->currency, "funded", b->funded, "balance",
			      (json_int_t)b->balance, "reserved", (json_int_t)held, "available",
			      (json_int_t)(b->balance > held ? b->balance - held : 0));
	json_object_set_new(o, "paid_to_workers", json_integer(b->paid_to_workers));
	json_object_set_new(o, "paid_to_reviewers", json_integer(b->paid_to_reviewers));
	json_object_set_new(o, "deposited", json_integer(b->deposited));
	return o;
}

static int fair_pay_row_cmp(const void *a, const void *b)
{
	const fair_pay_row *x = a, *y = b;
	return x->hourly < y->hourly ? -1 : x->hourly > y->hourly;
}

static json_t *fair_pay_row_json(const fair_pay_row *r)
{
	return json_pack("{s:I,s:s,s:f,s:I,s:I,s:I,s:I}", "user_id", (json_int_t)r->user,
			 "username", r->name, "active_seconds", (double)r->active_ms / 1000.0,
			 "submissions", (json_int_t)r->submissions, "approved",
			 (json_int_t)r->approved, "earned", (json_int_t)r->earned, "hourly",
			 (json_int_t)r->hourly);
}

/* The median hourly earnings of the `timed` workers with time on record (sorted in place) into
 * o, against the minimum wage, with the price that would pay the median worker that much. */
static void fair_pay_median(json_t *o, fair_pay_row *timed_rows, size_t timed, const project *p,
			    int64_t min_wage)
{
	if (!timed) {
		json_object_set_new(o, "median_hourly", json_null());
		json_object_set_new(o, "below_min_wage", json_false());
		json_object_set_new(o, "suggested_price", json_null());
		return;
	}
	qsort(timed_rows, timed, sizeof *timed_rows, fair_pay_row_cmp);
	const fair_pay_row *m = &timed_rows[(timed - 1) / 2];
	bool below = m->hourly < min_wage;
	json_object_set_new(o, "median_hourly", json_integer(m->hourly));
	json_object_set_new(o, "below_min_wage", json_boolean(below));
	/* The price at which the median worker's pace earns the minimum wage; with nothing
	 * approved yet, their submissions stand in for approvals. */
	int64_t tasks = m->approved ? m->approved : m->submissions;
	int64_t suggest = ledger_suggest_price(min_wage, m->active_ms, tasks);
	json_object_set_new(o, "suggested_price",
			    below && suggest > p->price ? json_integer(suggest) : json_null());
}

json_t *ledger_fair_pay_json(const project *p, fair_pay_row *rows, size_t n, int64_t min_wage)
{
	json_t *workers = json_array();
	size_t timed = 0;
	for (size_t i = 0; i < n; i++) {
		fair_pay_row *r = &rows[i];
		/* Funded projects pay through the ledger; others owe approved x price. */
		r->earned = r->funded ? r->paid : r->approved * p->price;
		r->hourly = ledger_hourly(r->earned, r->active_ms);
		json_array_append_new(workers, fair_pay_row_json(r));
		if (r->active_ms > 0)
			rows[timed++] = *r;
	}
	json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:o}", "project_id", (json_int_t)p->id, "currency",
			      p->currency, "min_wage", (json_int_t)min_wage, "price",
			      (json_int_t)p->price, "workers", workers);
	fair_pay_median(o, rows, timed, p, min_wage);
	return o;
}
