/* The pay ledger's transactions as plain types: core builds them (core/ledger.h holds the
 * rules), the store writes the entries it is given. */
#ifndef CROWDLOOP_CORE_LEDGER_TYPES_H
#define CROWDLOOP_CORE_LEDGER_TYPES_H

#include <stdbool.h>
#include <stdint.h>

#define LEDGER_MAX_ENTRIES 8
#define LEDGER_MAX_AMOUNT 1000000000000000LL /* 10^15 minor units per move */
/* No account's balance passes ±10^17 minor units (the external account's negative balance
 * bounds all money ever funded in a currency), so a balance plus a move, and the sums the
 * ledger check takes, stay exact in 64-bit integers. The store enforces both bounds. */
#define LEDGER_MAX_BALANCE 100000000000000000LL
#define LEDGER_DEFAULT_MIN_WAGE 10320 /* KRW per hour */

typedef struct ledger_entry {
	int64_t account;
	int64_t amount; /* credit > 0, debit < 0 */
} ledger_entry;

typedef struct ledger_txn {
	const char *kind; /* "deposit", "pay", "fee", "payout_request", ... (borrowed) */
	ledger_entry e[LEDGER_MAX_ENTRIES];
	int n;
} ledger_txn;

/* What a posted transaction is about, and its idempotency key (NULL: none); 0 for no id. */
typedef struct ledger_post_ref {
	const char *idem;
	int64_t project_id, task_id, user_id, actor_id;
	const char *memo;
} ledger_post_ref;

/* A payout request as core's decision reads it. */
typedef struct payout_row {
	int64_t user_id, amount;
	char currency[8], status[16];
} payout_row;

/* A project's budget as the store reads it, in one snapshot: its account (funded or not),
 * the work in progress the budget holds money for, and what it paid and received. */
typedef struct project_budget {
	bool funded;
	int64_t balance, live_tasks, live_reviews, price, fee;
	int64_t paid_to_workers, paid_to_reviewers, deposited;
	char currency[8];
} project_budget;

/* One worker's figures in a project for the fair-pay report; `earned` and `hourly` are
 * core's to work out. */
typedef struct fair_pay_row {
	int64_t user, active_ms, submissions, approved, paid, earned, hourly;
	bool funded; /* the project has an account: its pay went through the ledger */
	char name[72];
} fair_pay_row;

#endif
