/* The pay ledger in SQL: accounts made on first use, balanced transactions posted with an
 * idempotency key (so an approval or a review can never pay twice), balances kept by a trigger
 * and guarded by a CHECK (so no account but the external one goes below zero), budget checks
 * at claim time, payouts, and the figures that read it, fair pay among them: each worker's
 * effective hourly earnings against a minimum wage. */
#include "store/store_ledger.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* An existing account's id and balance; 0 when it does not exist, -1 when the store failed. */
int64_t store_account_find(db_conn *c, const char *kind, int64_t owner, const char *currency,
			   int64_t *balance)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id, balance FROM ledger_accounts WHERE kind = ?"
				      " AND owner_id = ? AND currency = ?");
	db_bind(st, DB_TEXT(kind), DB_INT(owner), DB_TEXT(currency));
	int64_t id = 0;
	if (balance)
		*balance = 0;
	int rc = db_step(st);
	if (rc == SQLITE_ROW) {
		id = sqlite3_column_int64(st, 0);
		if (balance)
			*balance = sqlite3_column_int64(st, 1);
	} else if (rc != SQLITE_DONE) {
		id = -1; /* not "no account": a payment must not be skipped for it */
	}
	sqlite3_reset(st);
	return id;
}

/* Looked up first: it nearly always exists, and an insert that conflicts costs more than the
 * lookup. */
int64_t store_account_open(db_conn *c, const char *kind, int64_t owner, const char *currency,
			   int64_t now)
{
	int64_t id = store_account_find(c, kind, owner, currency, NULL);
	if (id)
		return id > 0 ? id : 0;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO ledger_accounts(kind, owner_id, currency,"
				      " created_at) VALUES (?,?,?,?)"
				      " ON CONFLICT(kind, owner_id, currency) DO NOTHING");
	db_bind(st, DB_TEXT(kind), DB_INT(owner), DB_TEXT(currency), DB_INT(now));
	if (db_exec_stmt(st, NULL))
		return 0;
	id = store_account_find(c, kind, owner, currency, NULL);
	return id > 0 ? id : 0;
}

/* The caller's job rolls back on failure. */
int store_txn_post(db_conn *c, const ledger_txn *t, const ledger_post_ref *r, int64_t now,
		   int64_t *txn_id, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO ledger_txns(kind, project_id, task_id, user_id,"
				      " actor_id, idem, memo, created_at) VALUES (?,?,?,?,?,?,?,?)"
				      " ON CONFLICT(idem) DO NOTHING");
	db_bind_text(st, 1, t->kind);
	if (r->project_id)
		db_bind_int(st, 2, r->project_id);
	if (r->task_id)
		db_bind_int(st, 3, r->task_id);
	if (r->user_id)
		db_bind_int(st, 4, r->user_id);
	if (r->actor_id)
		db_bind_int(st, 5, r->actor_id);
	db_bind_text(st, 6, r->idem);
	db_bind_text(st, 7, r->memo);
	db_bind_int(st, 8, now);
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	if (sqlite3_changes(db_handle(c)) == 0)
		return 1;
	int64_t id = sqlite3_last_insert_rowid(db_handle(c));
	for (int i = 0; i < t->n; i++) {
		st = db_stmt(c, "INSERT INTO ledger_entries(txn_id, account_id, amount)"
				" VALUES (?,?,?)");
		db_bind(st, DB_INT(id), DB_INT(t->e[i].account), DB_INT(t->e[i].amount));
		int s = db_step(st);
		sqlite3_reset(st);
		if (s == SQLITE_CONSTRAINT_TRIGGER)
			return cl_fail(err, CL_EINVAL, "balance_limit",
				       "an account's balance would pass %lld minor units",
				       (long long)LEDGER_MAX_BALANCE);
		if ((s & 0xff) == SQLITE_CONSTRAINT)
			return cl_fail(err, CL_ECONFLICT, "insufficient_funds",
				       "the account does not hold enough for this");
		if (s != SQLITE_DONE)
			return cl_fail(err, CL_EINTERNAL, NULL, "store error");
	}
	if (txn_id)
		*txn_id = id;
	return 0;
}

/* Pay settings of the projects last paid from, per connection and access epoch (projects and
 * orgs are access tables): every approval and every review decision reads them. */
#define PAY_MEMO_SLOTS 16
struct pay_memo {
	struct {
		uint64_t epoch;
		int64_t project_id;
		project_pay pp;
	} slot[PAY_MEMO_SLOTS];
};

int store_project_pay(db_conn *c, int64_t project_id, project_pay *pp)
{
	uint64_t epoch = db_access_epoch(c);
	struct pay_memo *m = db_conn_memo(c, DB_MEMO_PAY, sizeof *m, NULL);
	unsigned k = (unsigned)((uint64_t)project_id % PAY_MEMO_SLOTS);
	if (m && epoch && m->slot[k].epoch == epoch && m->slot[k].project_id == project_id) {
		*pp = m->slot[k].pp;
		return 0;
	}
	sqlite3_stmt *st = db_stmt(c, "SELECT p.price, p.reviewer_fee, p.org_id, p.max_rounds,"
				      " o.currency FROM projects p JOIN orgs o ON o.id = p.org_id"
				      " WHERE p.id = ?");
	db_bind_int(st, 1, project_id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		pp->price = sqlite3_column_int64(st, 0);
		pp->fee = sqlite3_column_int64(st, 1);
		pp->org_id = sqlite3_column_int64(st, 2);
		pp->max_rounds = sqlite3_column_int(st, 3);
		snprintf(pp->currency, sizeof pp->currency, "%s", db_col_text(st, 4));
		rc = 0;
	}
	sqlite3_reset(st);
	if (!rc && m && epoch) {
		m->slot[k].epoch = epoch;
		m->slot[k].project_id = project_id;
		m->slot[k].pp = *pp;
	}
	return rc;
}

void store_live_work(db_conn *c, int64_t project_id, int max_rounds, int64_t *tasks,
		     int64_t *reviews)
{
	/* A task with r rejections may still cost max(1, max_rounds - r) review fees. */
	sqlite3_stmt *st = db_stmt(c, "SELECT coalesce(sum(n), 0),"
				      " coalesce(sum(n * max(1, ?1 - rejections)), 0)"
				      " FROM live_tasks WHERE project_id = ?2");
	db_bind(st, DB_INT(max_rounds), DB_INT(project_id));
	*tasks = *reviews = 0;
	if (db_step(st) == SQLITE_ROW) {
		*tasks = sqlite3_column_int64(st, 0);
		*reviews = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

int store_ledger_live(db_conn *c, int64_t project_id, int rejections, int delta, cl_error *err)
{
	return db_count(
	    c, "UPDATE live_tasks SET n = n + ?3 WHERE project_id = ?1 AND rejections = ?2",
	    "INSERT INTO live_tasks(project_id, rejections, n) VALUES (?1,?2,?3)",
	    (int64_t[]){project_id, rejections, delta}, 3, err);
}

bool store_payment_find(db_conn *c, const char *idem, int64_t *amount)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT max(e.amount) FROM ledger_txns x"
				      " JOIN ledger_entries e ON e.txn_id = x.id WHERE x.idem = ?");
	db_bind(st, DB_TEXT(idem));
	bool found = db_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	*amount = found ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return found;
}

/* ---- deposits ---- */

json_t *store_ledger_txn_json(db *d, int64_t id)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, kind, project_id, task_id, user_id, actor_id,"
				      " memo, created_at FROM ledger_txns WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW) {
		char at[32];
		clock_iso8601(sqlite3_column_int64(st, 7), at);
		o = json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "kind", db_col_text(st, 1),
			      "at", at);
		static const char *const keys[] = {"project_id", "task_id", "user_id", "actor_id"};
		for (int k = 0; k < 4; k++)
			json_object_set_new(o, keys[k],
					    sqlite3_column_type(st, 2 + k) == SQLITE_NULL
						? json_null()
						: json_integer(sqlite3_column_int64(st, 2 + k)));
		json_object_set_new(o, "memo",
				    sqlite3_column_type(st, 6) == SQLITE_NULL
					? json_null()
					: json_string(db_col_text(st, 6)));
	}
	sqlite3_reset(st);
	if (!o)
		return NULL;
	json_t *entries = json_array();
	st = db_stmt(c, "SELECT a.kind, a.owner_id, a.currency, e.amount FROM ledger_entries e"
			" JOIN ledger_accounts a ON a.id = e.account_id WHERE e.txn_id = ?"
			" ORDER BY e.id");
	db_bind_int(st, 1, id);
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(entries,
				      json_pack("{s:s,s:I,s:s,s:I}", "account", db_col_text(st, 0),
						"owner_id", (json_int_t)sqlite3_column_int64(st, 1),
						"currency", db_col_text(st, 2), "amount",
						(json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_reset(st);
	json_object_set_new(o, "entries", entries);
	return o;
}

bool store_org_currency(db_conn *c, int64_t org_id, char currency[8])
{
	sqlite3_stmt *st = db_stmt(c, "SELECT currency FROM orgs WHERE id = ?");
	db_bind_int(st, 1, org_id);
	currency[0] = 0;
	if (db_step(st) == SQLITE_ROW)
		snprintf(currency, 8, "%s", db_col_text(st, 0));
	sqlite3_reset(st);
	return currency[0] != 0;
}

json_t *store_ledger_org(db *d, int64_t org_id)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, "SELECT o.currency, coalesce(a.balance, 0) FROM orgs o"
				      " LEFT JOIN ledger_accounts a ON a.kind = 'org'"
				      " AND a.owner_id = o.id AND a.currency = o.currency"
				      " WHERE o.id = ?");
	db_bind_int(st, 1, org_id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW)
		o = json_pack("{s:I,s:s,s:I}", "org_id", (json_int_t)org_id, "currency",
			      db_col_text(st, 0), "balance",
			      (json_int_t)sqlite3_column_int64(st, 1));
	sqlite3_reset(st);
	return o;
}

int store_ledger_budget(db *d, int64_t project_id, project_budget *b)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	project_pay pp;
	memset(b, 0, sizeof *b);
	int rc = store_project_pay(c, project_id, &pp);
	if (rc)
		goto out;
	snprintf(b->currency, sizeof b->currency, "%s", pp.currency);
	b->price = pp.price;
	b->fee = pp.fee;
	int64_t acct = store_account_find(c, "project", project_id, pp.currency, &b->balance);
	b->funded = acct > 0;
	store_live_work(c, project_id, pp.max_rounds, &b->live_tasks, &b->live_reviews);
	/* Pay and fees as the approvals and decisions counted them, per person; deposits, few,
	 * from the ledger, through the project's deposit transactions (by the account's entries,
	 * which the planner prefers, it would read every pay and fee). */
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT (SELECT coalesce(sum(paid), 0) FROM worker_counts WHERE project_id = ?1),"
	       " (SELECT coalesce(sum(paid), 0) FROM review_counts WHERE project_id = ?1),"
	       " (SELECT coalesce(sum(e.amount), 0) FROM ledger_txns t CROSS JOIN ledger_entries e"
	       "  ON e.txn_id = t.id WHERE t.project_id = ?1 AND t.kind = 'deposit'"
	       "  AND +e.account_id = ?2)");
	db_bind(st, DB_INT(project_id), DB_INT(acct));
	if (db_step(st) == SQLITE_ROW) {
		b->paid_to_workers = sqlite3_column_int64(st, 0);
		b->paid_to_reviewers = sqlite3_column_int64(st, 1);
		b->deposited = sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
out:
	db_read_end(c);
	return rc;
}

json_t *store_ledger_me(db *d, int64_t user_id)
{
	db_conn *c = db_reader(d);
	json_t *items = json_array();
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT a.currency, a.balance,"
		       " (SELECT coalesce(sum(amount), 0) FROM payouts p"
		       "  WHERE p.user_id = a.owner_id AND p.currency = a.currency"
		       "  AND p.status = 'requested'),"
		       " (SELECT coalesce(sum(amount), 0) FROM payouts p"
		       "  WHERE p.user_id = a.owner_id AND p.currency = a.currency"
		       "  AND p.status = 'approved')"
		       " FROM ledger_accounts a WHERE a.kind = 'worker' AND a.owner_id = ?"
		       " ORDER BY a.currency");
	db_bind_int(st, 1, user_id);
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(
		    items, json_pack("{s:s,s:I,s:I,s:I}", "currency", db_col_text(st, 0), "balance",
				     (json_int_t)sqlite3_column_int64(st, 1), "on_hold",
				     (json_int_t)sqlite3_column_int64(st, 2), "paid_out",
				     (json_int_t)sqlite3_column_int64(st, 3)));
	sqlite3_reset(st);
	return json_pack("{s:I,s:o}", "user_id", (json_int_t)user_id, "balances", items);
}

json_t *store_ledger_my_entries(db *d, int64_t user_id, int64_t cursor, int limit, int64_t *next)
{
	db_conn *c = db_reader(d);
	/* A page of each of the person's accounts (one per currency) in index order, then those
	 * few merged: a page costs the same however many entries came before it. */
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT e.id, t.id, t.kind, t.project_id, t.task_id, a.currency, e.amount,"
	       " t.created_at FROM ledger_accounts a JOIN ledger_entries e ON e.id IN"
	       " (SELECT x.id FROM ledger_entries x WHERE x.account_id = a.id AND x.id < ?2"
	       "  ORDER BY x.id DESC LIMIT ?3)"
	       " JOIN ledger_txns t ON t.id = e.txn_id WHERE a.kind = 'worker' AND a.owner_id = ?1"
	       " ORDER BY e.id DESC LIMIT ?3");
	db_bind(st, DB_INT(user_id), DB_INT(cursor ? cursor : INT64_MAX), DB_INT(limit + 1));
	json_t *items = json_array();
	int n = 0;
	int64_t last = 0;
	*next = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			*next = last;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		char at[32];
		clock_iso8601(sqlite3_column_int64(st, 7), at);
		json_t *o = json_pack("{s:I,s:I,s:s,s:s,s:I,s:s}", "id", (json_int_t)last, "txn_id",
				      (json_int_t)sqlite3_column_int64(st, 1), "kind",
				      db_col_text(st, 2), "currency", db_col_text(st, 5), "amount",
				      (json_int_t)sqlite3_column_int64(st, 6), "at", at);
		json_object_set_new(o, "project_id",
				    sqlite3_column_type(st, 3) == SQLITE_NULL
					? json_null()
					: json_integer(sqlite3_column_int64(st, 3)));
		json_object_set_new(o, "task_id",
				    sqlite3_column_type(st, 4) == SQLITE_NULL
					? json_null()
					: json_integer(sqlite3_column_int64(st, 4)));
		json_array_append_new(items, o);
	}
	sqlite3_reset(st);
	return items;
}

json_t *store_ledger_accounts(db *d)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, "SELECT id, kind, owner_id, currency, balance"
				      " FROM ledger_accounts ORDER BY id");
	json_t *items = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:I,s:s,s:I,s:s,s:I}", "id",
						       (json_int_t)sqlite3_column_int64(st, 0),
						       "kind", db_col_text(st, 1), "owner_id",
						       (json_int_t)sqlite3_column_int64(st, 2),
						       "currency", db_col_text(st, 3), "balance",
						       (json_int_t)sqlite3_column_int64(st, 4)));
	sqlite3_reset(st);
	return items;
}

/* Steps a query of the ledger check to its end. A query that cannot finish (SQLite's sum()
 * stops on an integer overflow rather than round) is a problem itself: the check is never ok
 * over figures it could not add up exactly. */
static void check_query(db_conn *c, sqlite3_stmt *st, const char *what, json_t *problems,
			json_t *(*row)(sqlite3_stmt *st))
{
	int rc;
	while ((rc = db_step(st)) == SQLITE_ROW)
		json_array_append_new(problems, row(st));
	if (rc != SQLITE_DONE) {
		log_error("msg=\"ledger check cannot sum\" query=%s error=\"%s\"", what,
			  sqlite3_errmsg(db_handle(c)));
		json_array_append_new(problems,
				      json_pack("{s:s,s:s,s:s}", "problem", "unsummable", "query",
						what, "error", sqlite3_errmsg(db_handle(c))));
	}
	sqlite3_reset(st);
}

static json_t *unbalanced_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:I,s:I}", "problem", "unbalanced", "txn_id",
			 (json_int_t)sqlite3_column_int64(st, 0), "sum",
			 (json_int_t)sqlite3_column_int64(st, 1));
}

static json_t *balance_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:I,s:s,s:I,s:I}", "problem", "balance", "account_id",
			 (json_int_t)sqlite3_column_int64(st, 0), "kind", db_col_text(st, 1),
			 "balance", (json_int_t)sqlite3_column_int64(st, 2), "sum",
			 (json_int_t)sqlite3_column_int64(st, 3));
}

static json_t *inexact_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:s,s:I,s:s}", "problem", "not_an_exact_integer", "table",
			 db_col_text(st, 0), "id", (json_int_t)sqlite3_column_int64(st, 1), "value",
			 db_col_text(st, 2));
}

static json_t *empty_row(sqlite3_stmt *st)
{
	return json_pack("{s:s,s:I}", "problem", "empty", "txn_id",
			 (json_int_t)sqlite3_column_int64(st, 0));
}

json_t *store_ledger_check(db *d)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	json_t *problems = json_array();
	/* Amounts and balances that are not integers within their bounds (a REAL left by an
	 * overflow, a value stored past the bounds) cannot be summed exactly. */
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT 'ledger_entries', id, CAST(amount AS TEXT) FROM ledger_entries"
	       " WHERE typeof(amount) <> 'integer' OR abs(amount) > ?1"
	       " UNION ALL SELECT 'ledger_accounts', id, CAST(balance AS TEXT) FROM ledger_accounts"
	       " WHERE typeof(balance) <> 'integer' OR abs(balance) > ?2 LIMIT 100");
	db_bind(st, DB_INT(LEDGER_MAX_AMOUNT), DB_INT(LEDGER_MAX_BALANCE));
	check_query(c, st, "bounds", problems, inexact_row);
	st = db_stmt(c, "SELECT txn_id, sum(amount), count(*) FROM ledger_entries"
			" GROUP BY txn_id HAVING sum(amount) <> 0 OR count(*) < 2"
			" LIMIT 100");
	check_query(c, st, "transactions", problems, unbalanced_row);
	st = db_stmt(c, "SELECT a.id, a.kind, a.balance, coalesce(sum(e.amount), 0)"
			" FROM ledger_accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id"
			" GROUP BY a.id HAVING a.balance <> coalesce(sum(e.amount), 0)"
			" OR (a.balance < 0 AND a.kind <> 'external') LIMIT 100");
	check_query(c, st, "balances", problems, balance_row);
	int64_t counts[3] = {0};
	static const char *const sql[3] = {"SELECT count(*) FROM ledger_txns",
					   "SELECT count(*) FROM ledger_entries",
					   "SELECT count(*) FROM ledger_accounts"};
	for (int i = 0; i < 3; i++) {
		st = db_stmt(c, sql[i]);
		if (db_step(st) == SQLITE_ROW)
			counts[i] = sqlite3_column_int64(st, 0);
		sqlite3_reset(st);
	}
	/* Every transaction must have entries at all. */
	st = db_stmt(c, "SELECT t.id FROM ledger_txns t WHERE NOT EXISTS"
			" (SELECT 1 FROM ledger_entries e WHERE e.txn_id = t.id) LIMIT 100");
	check_query(c, st, "entries", problems, empty_row);
	db_read_end(c);
	return json_pack("{s:b,s:I,s:I,s:I,s:o}", "ok", json_array_size(problems) == 0, "txns",
			 (json_int_t)counts[0], "entries", (json_int_t)counts[1], "accounts",
			 (json_int_t)counts[2], "problems", problems);
}

/* ---- payouts ---- */

static json_t *payout_json(db_conn *c, int64_t id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id, user_id, currency, amount, status, note,"
		       " requested_at, decided_at, decided_by FROM payouts WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW) {
		char at[32];
		clock_iso8601(sqlite3_column_int64(st, 6), at);
		o = json_pack("{s:I,s:I,s:s,s:I,s:s,s:s}", "id", (json_int_t)id, "user_id",
			      (json_int_t)sqlite3_column_int64(st, 1), "currency",
			      db_col_text(st, 2), "amount", (json_int_t)sqlite3_column_int64(st, 3),
			      "status", db_col_text(st, 4), "requested_at", at);
		json_object_set_new(o, "note",
				    sqlite3_column_type(st, 5) == SQLITE_NULL
					? json_null()
					: json_string(db_col_text(st, 5)));
		if (sqlite3_column_type(st, 7) != SQLITE_NULL) {
			clock_iso8601(sqlite3_column_int64(st, 7), at);
			json_object_set_new(o, "decided_at", json_string(at));
			json_object_set_new(o, "decided_by",
					    json_integer(sqlite3_column_int64(st, 8)));
		} else {
			json_object_set_new(o, "decided_at", json_null());
			json_object_set_new(o, "decided_by", json_null());
		}
	}
	sqlite3_reset(st);
	return o;
}

json_t *store_payout_get(db *d, int64_t id)
{
	return payout_json(db_reader(d), id);
}

int store_payout_add(db_conn *c, int64_t user_id, const char *currency, int64_t amount,
		     int64_t now, int64_t *id, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO payouts(user_id, currency, amount, status,"
				      " requested_at) VALUES (?,?,?,'requested',?)");
	db_bind(st, DB_INT(user_id), DB_TEXT(currency), DB_INT(amount), DB_INT(now));
	int rc = db_exec_stmt(st, err);
	if (!rc)
		*id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_payout_load(db_conn *c, int64_t id, payout_row *p)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT user_id, currency, amount, status FROM payouts"
				      " WHERE id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		p->user_id = sqlite3_column_int64(st, 0);
		snprintf(p->currency, sizeof p->currency, "%s", db_col_text(st, 1));
		p->amount = sqlite3_column_int64(st, 2);
		snprintf(p->status, sizeof p->status, "%s", db_col_text(st, 3));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int store_payout_decided(db_conn *c, int64_t id, bool approve, const char *note, int64_t actor,
			 int64_t now, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "UPDATE payouts SET status = ?, note = ?, decided_at = ?, decided_by = ?"
		       " WHERE id = ?");
	db_bind(st, DB_TEXT(approve ? "approved" : "rejected"), DB_TEXT(note), DB_INT(now),
		DB_INT(actor), DB_INT(id));
	return db_exec_stmt(st, err);
}

json_t *store_payouts_list(db *d, const char *status, int64_t user_id, int64_t cursor, int limit,
			   int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM payouts WHERE (?1 IS NULL OR status = ?1)"
				      " AND (?2 = 0 OR user_id = ?2) AND id < ?3"
				      " ORDER BY id DESC LIMIT ?4");
	db_bind(st, DB_TEXT(status), DB_INT(user_id), DB_INT(cursor ? cursor : INT64_MAX),
		DB_INT(limit + 1));
	int64_t ids[501] = {0};
	int n = 0;
	while (n <= limit && n < 501 && db_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	*next = 0;
	if (n > limit) {
		n = limit;
		*next = ids[limit - 1];
	}
	json_t *items = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(items, payout_json(c, ids[i]));
	return items;
}

int store_payout_owner(db *d, int64_t payout_id, int64_t *user_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT user_id FROM payouts WHERE id = ?");
	db_bind_int(st, 1, payout_id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*user_id = sqlite3_column_int64(st, 0);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}
/* ---- fair pay ---- */

/* Each worker's figures as their jobs counted them (worker_counts): submissions, their time
 * from each claim to its submit, approvals and what the ledger paid them. */
fair_pay_row *store_fair_pay_rows(db *d, int64_t project_id, size_t *n)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT w.user_id, u.username, w.submissions, w.active_ms, w.approved, w.paid,"
	       " EXISTS(SELECT 1 FROM ledger_accounts a WHERE a.kind = 'project'"
	       "  AND a.owner_id = ?1)"
	       " FROM worker_counts w JOIN users u ON u.id = w.user_id"
	       " WHERE w.project_id = ?1 AND w.submissions > 0 ORDER BY w.user_id");
	db_bind_int(st, 1, project_id);
	size_t cap = 64;
	*n = 0;
	fair_pay_row *rows = malloc(cap * sizeof *rows);
	while (rows && db_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			fair_pay_row *bigger = realloc(rows, 2 * cap * sizeof *rows);
			if (!bigger) {
				free(rows);
				rows = NULL;
				break;
			}
			rows = bigger;
			cap *= 2;
		}
		fair_pay_row *r = &rows[(*n)++];
		memset(r, 0, sizeof *r);
		r->user = sqlite3_column_int64(st, 0);
		snprintf(r->name, sizeof r->name, "%s", db_col_text(st, 1));
		r->submissions = sqlite3_column_int64(st, 2);
		r->active_ms = sqlite3_column_int64(st, 3);
		r->approved = sqlite3_column_int64(st, 4);
		r->paid = sqlite3_column_int64(st, 5);
		r->funded = sqlite3_column_int(st, 6) != 0;
	}
	sqlite3_reset(st);
	db_read_end(c);
	return rows;
}
