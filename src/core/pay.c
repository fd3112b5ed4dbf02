/* Pay on approval and per review, and the budget check that keeps a funded project from handing
 * out work it cannot pay for. The ledger's arithmetic is core/ledger.c's; the postings are the
 * store's. */
#include "core/pay.h"
#include "core/ledger.h"

#include <stdio.h>

int pay_claim_check(store_tx *tx, const store_ops *s, const project *p, cl_error *err)
{
	if (!p->price && !p->reviewer_fee)
		return 0;
	project_pay pp;
	if (s->project_pay(tx, p->id, &pp))
		return cl_fail(err, CL_ENOTFOUND, NULL, "project not found");
	int64_t balance;
	if (!s->account_balance(tx, "project", p->id, pp.currency, &balance))
		return 0; /* unfunded: not metered */
	int64_t tasks, reviews, held, one, need;
	s->live_work(tx, p->id, pp.max_rounds, &tasks, &reviews);
	if (ledger_reserve(tasks, reviews, pp.price, pp.fee, &held) ||
	    ledger_reserve(1, pp.max_rounds, pp.price, pp.fee, &one) ||
	    __builtin_add_overflow(held, one, &need) || need > balance)
		return cl_fail(err, CL_ECONFLICT, "budget_exhausted",
			       "the project's budget cannot cover more work; the org must deposit");
	return 0;
}

/* Posts one payment; `what` names the work paid for when the budget cannot cover it. */
static int pay(store_tx *tx, const store_ops *s, const ledger_payment *p, const char *what,
	       int64_t now, int64_t *paid, cl_error *err)
{
	int rc = s->payment_post(tx, p, now, paid, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, CL_ECONFLICT, "budget_exhausted",
			       "the project's budget cannot pay for this %s", what);
	return rc;
}

/* How many times the pay of task_id was reversed: its approvals after the first are paid under
 * keys of their own, one per reversal before them. */
static int pay_reversals(store_tx *tx, const store_ops *s, int64_t task_id)
{
	char idem[64];
	int64_t amount;
	int n = 0;
	for (; n < PAY_REVERSALS_MAX; n++) {
		snprintf(idem, sizeof idem, "pay_reversal:%lld:%d", (long long)task_id, n);
		if (!s->payment_find(tx, idem, &amount))
			break;
	}
	return n;
}

/* The key of a task's pay after `reversals` reversals: "pay:T" for the first, as ever. */
static void pay_key(char *idem, size_t size, int64_t task_id, int reversals)
{
	if (reversals)
		snprintf(idem, size, "pay:%lld:%d", (long long)task_id, reversals);
	else
		snprintf(idem, size, "pay:%lld", (long long)task_id);
}

int pay_approval(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		 int64_t worker_id, int64_t now, int64_t *paid, cl_error *err)
{
	*paid = 0;
	project_pay pp;
	if (!worker_id || s->project_pay(tx, project_id, &pp) || pp.price <= 0)
		return 0;
	char idem[64];
	pay_key(idem, sizeof idem, task_id, pay_reversals(tx, s, task_id));
	ledger_payment p = {.kind = "pay",
			    .project_id = project_id,
			    .task_id = task_id,
			    .person = worker_id,
			    .amount = pp.price,
			    .currency = pp.currency,
			    .idem = idem};
	return pay(tx, s, &p, "approval", now, paid, err);
}

int pay_reverse_check(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		      int64_t worker_id, cl_error *err)
{
	project_pay pp;
	int n = pay_reversals(tx, s, task_id);
	if (n >= PAY_REVERSALS_MAX)
		return cl_fail(err, CL_ECONFLICT, "reopen_limit",
			       "the task's pay was reversed %d times already", n);
	char idem[64];
	int64_t amount, balance;
	pay_key(idem, sizeof idem, task_id, n);
	if (!worker_id || s->project_pay(tx, project_id, &pp) ||
	    !s->payment_find(tx, idem, &amount))
		return 0;
	if (!s->account_balance(tx, "worker", worker_id, pp.currency, &balance) || balance < amount)
		return cl_fail(err, CL_ECONFLICT, "paid_out",
			       "the worker's balance no longer holds this task's pay");
	return 0;
}

int pay_reverse(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		int64_t worker_id, int64_t now, int64_t *reversed, cl_error *err)
{
	*reversed = 0;
	project_pay pp;
	int n = pay_reversals(tx, s, task_id);
	if (n >= PAY_REVERSALS_MAX)
		return cl_fail(err, CL_ECONFLICT, "reopen_limit",
			       "the task's pay was reversed %d times already", n);
	if (!worker_id || s->project_pay(tx, project_id, &pp))
		return 0;
	char paid_key[64], idem[64];
	int64_t amount;
	pay_key(paid_key, sizeof paid_key, task_id, n);
	if (!s->payment_find(tx, paid_key, &amount))
		return 0; /* never paid (a free or unfunded project then): nothing to reverse */
	snprintf(idem, sizeof idem, "pay_reversal:%lld:%d", (long long)task_id, n);
	ledger_payment p = {.kind = "pay_reversal",
			    .project_id = project_id,
			    .task_id = task_id,
			    .person = worker_id,
			    .amount = amount,
			    .currency = pp.currency,
			    .idem = idem,
			    .reverse = true};
	return s->payment_post(tx, &p, now, reversed, err);
}

int pay_review(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id, int round,
	       int64_t reviewer_id, int64_t now, int64_t *paid, cl_error *err)
{
	*paid = 0;
	project_pay pp;
	if (!reviewer_id || s->project_pay(tx, project_id, &pp) || pp.fee <= 0)
		return 0;
	char idem[64];
	snprintf(idem, sizeof idem, "fee:%lld:%d", (long long)task_id, round);
	ledger_payment p = {.kind = "fee",
			    .project_id = project_id,
			    .task_id = task_id,
			    .person = reviewer_id,
			    .amount = pp.fee,
			    .currency = pp.currency,
			    .idem = idem};
	return pay(tx, s, &p, "review", now, paid, err);
}
