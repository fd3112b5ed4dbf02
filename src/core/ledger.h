/* The rules of the pay ledger, pure: a transaction is a set of entries on accounts in integer
 * minor units that sums to zero; helpers build the usual moves, reserve budget for work in
 * progress without overflow, and turn active time into hourly earnings for the fair-pay check. */
#ifndef CROWDLOOP_CORE_LEDGER_H
#define CROWDLOOP_CORE_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define LEDGER_MAX_ENTRIES 8
#define LEDGER_MAX_AMOUNT 1000000000000000LL /* 10^15 minor units per move */
/* No account's balance passes ±10^17 minor units (the external account's negative balance
 * bounds all money ever funded in a currency), so a balance plus a move, and the sums the
 * ledger check takes, stay exact in 64-bit integers. The store enforces both bounds. */
#define LEDGER_MAX_BALANCE 100000000000000000LL
#define LEDGER_DEFAULT_MIN_WAGE 10320        /* KRW per hour */

typedef struct ledger_entry {
	int64_t account;
	int64_t amount; /* credit > 0, debit < 0 */
} ledger_entry;

typedef struct ledger_txn {
	const char *kind; /* "deposit", "pay", "fee", "payout_request", ... (borrowed) */
	ledger_entry e[LEDGER_MAX_ENTRIES];
	int n;
} ledger_txn;

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

#endif
