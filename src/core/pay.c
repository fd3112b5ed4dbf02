/* Pay on approval and per review, and the budget check that keeps a funded project from handing
 * out work it cannot pay for. The ledger's arithmetic is core/ledger.c's; each payment is a
 * transaction built here, which the store writes. */
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
	int64_t balance, account = s->account_find(tx, "project", p->id, pp.currency, &balance);
	if (account < 0)
		return cl_fail(err, CL_EINTERNAL, NULL, "store error");
	if (!account)
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

/* A payment from a funded project's account to a person's, once per idempotency key; a reversal
 * moves it back from the person's account to the project's. */
typedef struct payment {
	const char *kind; /* "pay", "fee", "pay_reversal" */
	int64_t project_id, task_id, person, amount;
	const char *currency;
	const char *idem;
	bool reverse;
} payment;

/* Posts one payment: *paid its amount, or 0 when the project has no account (unfunded) or the
 * key was paid before; `what` names the work paid for when the budget cannot cover it. */
static int pay(store_tx *tx, const store_ops *s, const payment *p, const char *what,
	       int64_t now, int64_t *paid, cl_error *err)
{
	int64_t from = s->account_find(tx, "project", p->project_id, p->currency, NULL);
	if (from < 0) /* a failed lookup is not "unfunded": the payment must not be skipped */
		return cl_fail(err, CL_EINTERNAL, NULL, "store error");
	if (!from)
		return 0;
	int64_t to = s->account_open(tx, "worker", p->person, p->currency, now);
	if (!to)
		return cl_fail(err, CL_EINTERNAL, NULL, "store error");
	ledger_txn t;
	ledger_txn_init(&t, p->kind);
	if (p->reverse)
		ledger_move(&t, to, from, p->amount);
	else
		ledger_move(&t, from, to, p->amount);
	ledger_post_ref r = {.idem = p->idem,
			     .project_id = p->project_id,
			     .task_id = p->task_id,
			     .user_id = p->person};
	int rc = ledger_post(tx, s, &t, &r, now, NULL, err);
	if (rc == CL_ECONFLICT && p->reverse)
		return cl_fail(err, CL_ECONFLICT, "paid_out",
			       "the worker's balance no longer holds this task's pay");
	if (rc == CL_ECONFLICT)
		return cl_fail(err, CL_ECONFLICT, "budget_exhausted",
			       "the project's budget cannot pay for this %s", what);
	if (rc == 0)
		*paid = p->amount;
	return rc < 0 ? rc : 0;
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
	payment p = {"pay", project_id, task_id, worker_id, pp.price, pp.currency, idem, false};
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
	if (s->account_find(tx, "worker", worker_id, pp.currency, &balance) <= 0 || balance < amount)
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
	payment p = {"pay_reversal", project_id, task_id, worker_id, amount, pp.currency, idem, true};
	return pay(tx, s, &p, "reversal", now, reversed, err);
}

int pay_review(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id, int round,
	       int64_t reviewer_id, int64_t now, int64_t *paid, cl_error *err)
{
	*paid = 0;
	project_pay pp;
	if (!reviewer_id || s->project_pay(tx, project_id, &pp) || pp.fee <= 0)
		return 0;
	/* A round reviewed again after its approval's pay was reversed is a review of its own:
	 * "fee:T:R" for the first, "fee:T:R:N" after the Nth reversal. */
	char idem[64];
	int n = round ? pay_reversals(tx, s, task_id) : 0;
	if (n)
		snprintf(idem, sizeof idem, "fee:%lld:%d:%d", (long long)task_id, round, n);
	else
		snprintf(idem, sizeof idem, "fee:%lld:%d", (long long)task_id, round);
	payment p = {"fee", project_id, task_id, reviewer_id, pp.fee, pp.currency, idem, false};
	return pay(tx, s, &p, "review", now, paid, err);
}
