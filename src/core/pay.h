/* Pay: the budget check before new work is handed out, the worker's price on approval and the
 * reviewer's fee per review, each paid once, from a funded project's account (core/pay.c). Each
 * runs inside the job of the change it belongs to. */
#ifndef CROWDLOOP_CORE_PAY_H
#define CROWDLOOP_CORE_PAY_H

#include "core/project.h"
#include "store/ops.h"

/* The most times one task's pay may be reversed (a task reopened after approval). */
#define PAY_REVERSALS_MAX 50

/* Refuses a new claim (CL_ECONFLICT "budget_exhausted") when a funded project's balance cannot
 * cover the work in progress plus one more task. Unfunded projects (never deposited to) and
 * free ones (price and fee 0) are not limited. */
int pay_claim_check(store_tx *tx, const store_ops *s, const project *p, cl_error *err);
/* Credits the worker the project's price for an approved task, once per approval: again only
 * after its pay was reversed (pay_reverse); *paid what it credited (0 for a free or unfunded
 * project, or an approval paid before). */
int pay_approval(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		 int64_t worker_id, int64_t now, int64_t *paid, cl_error *err);
/* Checks that task_id's latest pay can be reversed: CL_ECONFLICT "paid_out" when the worker's
 * balance no longer holds it, "reopen_limit" after PAY_REVERSALS_MAX reversals. 0 when there
 * is nothing to reverse (the approval paid nothing). */
int pay_reverse_check(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		      int64_t worker_id, cl_error *err);
/* Reverses the pay of task_id's latest approval with a posting back from the worker to the
 * project (a "pay_reversal" transaction: the pay's own rows stay); *reversed what it moved (0
 * when the approval paid nothing). The next approval is paid again under a key of its own. */
int pay_reverse(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id,
		int64_t worker_id, int64_t now, int64_t *reversed, cl_error *err);
/* Credits the reviewer the project's fee for the review of `round` of a task (round 0: a
 * honeypot), once per task and round; *paid as pay_approval. */
int pay_review(store_tx *tx, const store_ops *s, int64_t project_id, int64_t task_id, int round,
	       int64_t reviewer_id, int64_t now, int64_t *paid, cl_error *err);

#endif
