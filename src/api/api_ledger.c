/* Money over HTTP: an admin funds an org, a manager deposits into a project, budgets and my
 * earnings, payouts requested by workers and decided by an admin, the ledger's own check, and
 * the fair-pay figures of a project. */
#include "api/api.h"
#include "core/ledger.h"
#include "store/store_quality.h"

#include <stdlib.h>
#include <string.h>

#define MEMO_MAX 500

/* {"amount": N, "memo"?: "..."} with amount 1..LEDGER_MAX_AMOUNT. */
static int amount_body(http_request *r, json_t **body, int64_t *amount, const char **memo)
{
	int rc = http_body_json(r, body);
	if (rc)
		return rc;
	*amount = json_integer_value(json_object_get(*body, "amount"));
	if (*amount <= 0 || *amount > LEDGER_MAX_AMOUNT)
		return http_fail(r, CL_EINVAL, NULL,
				 "\"amount\" must be an integer of minor units in 1..%lld",
				 (long long)LEDGER_MAX_AMOUNT);
	*memo = json_string_value(json_object_get(*body, "memo"));
	if (*memo && strlen(*memo) > MEMO_MAX)
		return http_fail(r, CL_EINVAL, NULL, "\"memo\" must be a string of up to %d bytes",
				 MEMO_MAX);
	return 0;
}

int api_orgs_fund(http_request *r)
{
	json_t *body = NULL;
	int64_t amount, txn;
	const char *memo = NULL;
	int rc = amount_body(r, &body, &amount, &memo);
	if (!rc)
		rc = ledger_fund_org(&api_app(r)->store, r->ids[0], amount, r->user.id, memo, &txn,
				     &r->err);
	if (!rc)
		http_json(r, 201, store_ledger_txn_json(api_app(r)->db, txn));
	json_decref(body);
	return rc;
}

int api_orgs_budget(http_request *r)
{
	json_t *o = store_ledger_org(api_app(r)->db, r->ids[0]);
	if (!o)
		return http_fail(r, CL_ENOTFOUND, NULL, "organization not found");
	http_json(r, 200, o);
	return 0;
}

int api_projects_deposit(http_request *r)
{
	json_t *body = NULL;
	int64_t amount, txn;
	const char *memo = NULL;
	int rc = amount_body(r, &body, &amount, &memo);
	if (!rc)
		rc = ledger_deposit(&api_app(r)->store, r->ids[0], amount, r->user.id, memo, &txn,
				    &r->err);
	if (!rc)
		http_json(r, 201, store_ledger_txn_json(api_app(r)->db, txn));
	json_decref(body);
	return rc;
}

int api_projects_budget(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	project_budget b;
	if (store_ledger_budget(api_app(r)->db, p->id, &b))
		return http_fail(r, CL_ENOTFOUND, NULL, "project not found");
	http_json(r, 200, ledger_budget_json(p->id, &b));
	return 0;
}

int api_projects_fair_pay(http_request *r)
{
	app *a = api_app(r);
	const project *p = &api_scope_of(r)->project;
	size_t n;
	fair_pay_row *rows = store_fair_pay_rows(a->db, p->id, &n);
	if (!rows)
		return http_fail(r, CL_ENOMEM, NULL, "the answer does not fit in memory");
	http_json(r, 200, ledger_fair_pay_json(p, rows, n,
					       a->min_wage > 0 ? a->min_wage : LEDGER_DEFAULT_MIN_WAGE));
	free(rows);
	return 0;
}

int api_me_balance(http_request *r)
{
	http_json(r, 200, store_ledger_me(api_app(r)->db, r->user.id));
	return 0;
}

int api_me_ledger(http_request *r)
{
	return api_my_page(r, store_ledger_my_entries);
}

int api_me_payout_request(http_request *r)
{
	json_t *body = NULL;
	int64_t amount = 0;
	char currency[8] = "";
	int rc = http_body_json(r, &body);
	if (rc)
		goto out;
	amount = json_integer_value(json_object_get(body, "amount"));
	if (amount <= 0 || amount > LEDGER_MAX_AMOUNT) {
		rc = http_fail(r, CL_EINVAL, NULL,
			       "\"amount\" must be an integer of minor units in 1..%lld",
			       (long long)LEDGER_MAX_AMOUNT);
		goto out;
	}
	json_t *cur = json_object_get(body, "currency");
	if (cur) {
		if (strlen(json_string_value(cur)) >= sizeof currency ||
		    !json_string_value(cur)[0]) {
			rc = http_fail(r, CL_EINVAL, NULL, "\"currency\" must be a currency code");
			goto out;
		}
		strncat(currency, json_string_value(cur), sizeof currency - 1);
	} else {
		/* One balance: its currency; several: the caller must say which. */
		json_t *me = store_ledger_me(api_app(r)->db, r->user.id);
		json_t *bal = json_object_get(me, "balances");
		size_t nb = json_array_size(bal);
		if (nb == 1)
			strncat(currency,
				json_string_value(json_object_get(json_array_get(bal, 0), "currency")),
				sizeof currency - 1);
		json_decref(me);
		if (!currency[0]) {
			rc = http_fail(r, CL_ECONFLICT, "insufficient_funds", "%s",
				       nb ? "say which \"currency\"" : "you have no balance yet");
			goto out;
		}
	}
	int64_t payout;
	rc = ledger_payout_request(&api_app(r)->store, r->user.id, currency, amount, &payout,
				   &r->err);
	if (!rc)
		http_json(r, 201, store_payout_get(api_app(r)->db, payout));
out:
	json_decref(body);
	return rc;
}

static int payouts_list(http_request *r, int64_t user_id, bool admin)
{
	int64_t cursor, next, user = user_id;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc && admin)
		rc = http_query_id(r, "user_id", &user);
	const char *status = http_query(r, "status");
	if (!rc && status && strcmp(status, "requested") && strcmp(status, "approved") &&
	    strcmp(status, "rejected"))
		rc = http_fail(r, CL_EINVAL, NULL, "unknown status filter \"%.32s\"", status);
	if (!rc)
		http_json_page(r, store_payouts_list(api_app(r)->db, status, user, cursor, limit,
						     &next), &next);
	return rc;
}

int api_me_payouts(http_request *r)
{
	return payouts_list(r, r->user.id, false);
}

int api_payouts_list(http_request *r)
{
	return payouts_list(r, 0, true);
}

static int payout_decide(http_request *r, bool approve)
{
	json_t *body = NULL;
	const char *note = NULL;
	int rc = 0;
	if (r->body.len) {
		rc = http_body_json(r, &body);
		note = json_string_value(json_object_get(body, "note"));
		if (!rc && note && strlen(note) > MEMO_MAX)
			rc = http_fail(r, CL_EINVAL, NULL,
				       "\"note\" must be a string of up to %d"
				       " bytes",
				       MEMO_MAX);
	}
	if (!rc)
		rc = ledger_payout_decide(&api_app(r)->store, r->ids[0], r->user.id, approve, note,
					  &r->err);
	if (!rc)
		http_json(r, 200, store_payout_get(api_app(r)->db, r->ids[0]));
	json_decref(body);
	return rc;
}

int api_payouts_approve(http_request *r)
{
	return payout_decide(r, true);
}

int api_payouts_reject(http_request *r)
{
	return payout_decide(r, false);
}

int api_ledger_accounts(http_request *r)
{
	http_json(r, 200, json_pack("{s:o}", "items", store_ledger_accounts(api_app(r)->db)));
	return 0;
}

int api_ledger_check(http_request *r)
{
	http_json(r, 200, store_ledger_check(api_app(r)->db));
	return 0;
}
