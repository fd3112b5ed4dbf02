/* The rules of the pay ledger, pure: a transaction is a set of entries on accounts in integer
 * minor units that sums to zero; helpers build the usual moves, reserve budget for work in
 * progress without overflow, and turn active time into hourly earnings for the fair-pay check. */
#ifndef CROWDLOOP_CORE_LEDGER_H
#define CROWDLOOP_CORE_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/ledger_types.h"
#include "core/project.h"
#include "store/ops.h"

/* An empty transaction of `kind`. */
void ledger_txn_init(ledger_txn *t, const char *kind);
/* Adds a move of `amount` (1..LEDGER_MAX_AMOUNT) from account `from` to account `to`: a debit
 * and a credit. CL_EINVAL for a bad amount, the same account twice, or a full transaction. */
int ledger_move(ledger_txn *t, int64_t from, int64_t to, int64_t amount);
/* 0 when the transaction can be posted: at least two entries, none zero, summing to zero. */
int ledger_check(const ledger_txn *t);

/* What a project must hold for work in progress: each of `tasks` tasks may still cost its price
 * and `reviews` review fees in all. CL_EINVAL on overflow or negative input. */
int ledger_reserve(int64_t tasks, int64_t reviews, int64_t price, int64_t fee, int64_t *out);

/* Earnings per hour from `earned` minor units over `active_ms` (floor); 0 when no time. */
int64_t ledger_hourly(int64_t earned, int64_t active_ms);
/* The price per task at which someone who needs `active_ms` for `tasks` tasks earns `min_wage`
 * per hour (rounded up); 0 when tasks or time are 0. */
int64_t ledger_suggest_price(int64_t min_wage, int64_t active_ms, int64_t tasks);
/* The median of v (sorted in place); the lower of the middle two for an even count; 0 when
 * n == 0. */
int64_t ledger_median(int64_t *v, size_t n);

/* A project's budget as GET /projects/{id}/budget answers it, what its work in progress holds
 * back reserved (a new reference). */
json_t *ledger_budget_json(int64_t project_id, const project_budget *b);
/* The fair-pay report of project p over its workers' rows (each one's earnings and hourly
 * rate worked out in place, the rows reordered): every worker, and the median hourly rate
 * against `min_wage` with the price that would pay it (a new reference). */
json_t *ledger_fair_pay_json(const project *p, fair_pay_row *rows, size_t n, int64_t min_wage);

/* Posts transaction t, checked first (an unbalanced one is a bug: CL_EINTERNAL), about r:
 * 0 with *txn_id (may be NULL), 1 when r's idempotency key was posted before (nothing
 * posted), CL_ECONFLICT "insufficient_funds" when an account would go below zero. */
int ledger_post(store_tx *tx, const store_ops *s, const ledger_txn *t, const ledger_post_ref *r,
		int64_t now, int64_t *txn_id, cl_error *err);

/* The use cases of money moved by people, each one transaction; *txn_id / *payout_id what it
 * made, for the answer. Money into an org's budget from outside (admin): external -> org. */
int ledger_fund_org(const store *s, int64_t org_id, int64_t amount, int64_t actor,
		    const char *memo, int64_t *txn_id, cl_error *err);
/* Org budget -> project budget (CL_ECONFLICT "insufficient_funds" when the org lacks it). */
int ledger_deposit(const store *s, int64_t project_id, int64_t amount, int64_t actor,
		   const char *memo, int64_t *txn_id, cl_error *err);
/* A worker asks for `amount` of their balance in `currency`: worker -> payout hold. */
int ledger_payout_request(const store *s, int64_t user_id, const char *currency, int64_t amount,
			  int64_t *payout_id, cl_error *err);
/* An admin approves (hold -> paid out) or rejects (hold -> worker) a requested payout;
 * CL_ECONFLICT "payout_decided" when it was decided before. */
int ledger_payout_decide(const store *s, int64_t payout_id, int64_t admin_id, bool approve,
			 const char *note, cl_error *err);

#endif
