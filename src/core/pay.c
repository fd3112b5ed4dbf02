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

int pay_approval(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		 int64_t worker_id, int64_t now, int64_t *paid, cl_error *err)
{
	*paid = 0;
	project_pay pp;
	if (!worker_id || s->project_pay(tx, project_id, &pp) || pp.price <= 0)
		return 0;
	char idem[48];
	snprintf(idem, sizeof idem, "pay:%lld", (long long)task_id);
	ledger_payment p = {"pay", project_id, task_id, worker_id, pp.price, pp.currency, idem};
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
	ledger_payment p = {"fee", project_id, task_id, reviewer_id, pp.fee, pp.currency, idem};
	return pay(tx, s, &p, "review", now, paid, err);
}
