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
	int64_t balance;
	if (!s->account_find(tx, "project", p->id, pp.currency, &balance))
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

/* A payment from a funded project's account to a person's, once per idempotency key. */
typedef struct payment {
	const char *kind; /* "pay", "fee" */
	int64_t project_id, task_id, person, amount;
	const char *currency;
	const char *idem;
} payment;

/* Posts one payment: *paid its amount, or 0 when the project has no account (unfunded) or the
 * key was paid before; `what` names the work paid for when the budget cannot cover it. */
static int pay(store_tx *tx, const store_ops *s, const payment *p, const char *what,
	       int64_t now, int64_t *paid, cl_error *err)
{
	int64_t from = s->account_find(tx, "project", p->project_id, p->currency, NULL);
	if (!from)
		return 0;
	int64_t to = s->account_open(tx, "worker", p->person, p->currency, now);
	if (!to)
		return cl_fail(err, CL_EINTERNAL, NULL, "store error");
	ledger_txn t;
	ledger_txn_init(&t, p->kind);
	ledger_move(&t, from, to, p->amount);
	ledger_post_ref r = {.idem = p->idem,
			     .project_id = p->project_id,
			     .task_id = p->task_id,
			     .user_id = p->person};
	int rc = ledger_post(tx, s, &t, &r, now, NULL, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, CL_ECONFLICT, "budget_exhausted",
			       "the project's budget cannot pay for this %s", what);
	if (rc == 0)
		*paid = p->amount;
	return rc < 0 ? rc : 0;
}

int pay_approval(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		 int64_t worker_id, int64_t now, int64_t *paid, cl_error *err)
{
	*paid = 0;
	project_pay pp;
	if (!worker_id || s->project_pay(tx, project_id, &pp) || pp.price <= 0)
		return 0;
	char idem[48];
	snprintf(idem, sizeof idem, "pay:%lld", (long long)task_id);
	payment p = {"pay", project_id, task_id, worker_id, pp.price, pp.currency, idem};
	return pay(tx, s, &p, "approval", now, paid, err);
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
	payment p = {"fee", project_id, task_id, reviewer_id, pp.fee, pp.currency, idem};
	return pay(tx, s, &p, "review", now, paid, err);
}
