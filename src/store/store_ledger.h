/* The pay ledger in SQL (store_ledger.c): what the budget check and the payments of core/pay.c
 * read and write, deposits, balances, payouts, the ledger's own check, and
 * fair pay. Functions taking a db_conn run inside a write job, in the same transaction as the
 * task transition they belong to. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_LEDGER_H
#define CROWDLOOP_STORE_STORE_LEDGER_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

/* The rows core/pay.c and core/ledger.c read and write (store/ops.h documents each as its
 * slot): what a project pays (kept per connection and access epoch), accounts, the work in
 * progress, a transaction posted once per idempotency key, an org's currency, payouts. */
int store_project_pay(db_conn *c, int64_t project_id, project_pay *pp);
int64_t store_account_find(db_conn *c, const char *kind, int64_t owner, const char *currency,
			   int64_t *balance);
int64_t store_account_open(db_conn *c, const char *kind, int64_t owner, const char *currency,
			   int64_t now);
void store_live_work(db_conn *c, int64_t project_id, int max_rounds, int64_t *tasks,
		     int64_t *reviews);
int store_txn_post(db_conn *c, const ledger_txn *t, const ledger_post_ref *r, int64_t now,
		   int64_t *txn_id, cl_error *err);
bool store_org_currency(db_conn *c, int64_t org_id, char currency[8]);
int store_payout_add(db_conn *c, int64_t user_id, const char *currency, int64_t amount,
		     int64_t now, int64_t *id, cl_error *err);
int store_payout_load(db_conn *c, int64_t id, payout_row *p);
int store_payout_decided(db_conn *c, int64_t id, bool approve, const char *note, int64_t actor,
			 int64_t now, cl_error *err);
bool store_payment_find(db_conn *c, const char *idem, int64_t *amount);
/* Counts `delta` tasks with `rejections` rejections into (or out of) the project's work in
 * progress (task_state_live), which the budget check reads. Every change of a task's state
 * between live and not, or of a live task's rejections, goes through here in its job. */
int store_ledger_live(db_conn *c, int64_t project_id, int rejections, int delta, cl_error *err);
/* SQL for the open tasks of the project whose id is the SQL expression `project`: what its
 * counted tasks leave after its work in progress (live_tasks), its approvals (worker_counts)
 * and its discarded tasks; a few rows however many tasks wait. */
#define OPEN_TASKS(project)                                                                        \
	"(coalesce((SELECT tasks FROM project_counts WHERE project_id = " project "), 0)"          \
	" - coalesce((SELECT sum(n) FROM live_tasks WHERE project_id = " project "), 0)"           \
	" - coalesce((SELECT sum(approved) FROM worker_counts WHERE project_id = " project "), 0)" \
	" - (SELECT count(*) FROM tasks INDEXED BY tasks_settled WHERE project_id = " project      \
	" AND state = 'discarded'))"
/* A posted transaction with its entries, as the answer shows it; NULL when missing. */
json_t *store_ledger_txn_json(db *d, int64_t id);
/* {"org_id","currency","balance"}. */
json_t *store_ledger_org(db *d, int64_t org_id);
/* A project's budget in one read snapshot; CL_ENOTFOUND when the project is missing. */
int store_ledger_budget(db *d, int64_t project_id, project_budget *b);
/* My balances per currency with what is on hold for payouts. */
json_t *store_ledger_me(db *d, int64_t user_id);
/* A page of the ledger lines of my account(s): newest first. */
json_t *store_ledger_my_entries(db *d, int64_t user_id, int64_t cursor, int limit, int64_t *next);
/* Every account with its balance (admin). */
json_t *store_ledger_accounts(db *d);
/* Verifies the ledger: every transaction sums to zero, every balance equals the sum of its
 * entries, none below zero but the external one. {"ok","txns","entries","accounts","problems"}. */
json_t *store_ledger_check(db *d);

/* A payout as the answer shows it; NULL when missing. */
json_t *store_payout_get(db *d, int64_t id);
/* Payouts by id, newest first; status may be NULL, user_id 0 for all. */
json_t *store_payouts_list(db *d, const char *status, int64_t user_id, int64_t cursor, int limit,
			   int64_t *next);
/* The owner of a payout; CL_ENOTFOUND when missing. */
int store_payout_owner(db *d, int64_t payout_id, int64_t *user_id);

/* Each worker of the project who submitted there, by id: a new array of *n rows (free()),
 * NULL when memory runs out (every worker or no report, as a median of some would mislead). */
fair_pay_row *store_fair_pay_rows(db *d, int64_t project_id, size_t *n);

#endif
