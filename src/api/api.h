/* The REST API: one api_<resource>.c per resource (parse, authorize, call the store, answer),
 * the route table in routes.c, and what they share: the application context and the project
 * access check. */
#ifndef CROWDLOOP_API_API_H
#define CROWDLOOP_API_API_H

#include "core/access.h"
#include "core/project.h"
#include "http/http.h"
#include "store/store.h"

/* What every handler reaches through r->app. */
typedef struct app {
	db *db;
	char data_dir[2048];
	char web_dir[2048];
	bool allow_signup;
	bool secure_cookies; /* behind TLS: cookies get the Secure flag */
	int64_t min_wage;    /* per hour, for the fair-pay check; 0: LEDGER_DEFAULT_MIN_WAGE */
} app;

static inline app *api_app(http_request *r)
{
	return (app *)r->app;
}

/* The route table and its size. */
extern const route api_routes[];
extern const size_t api_routes_count;

/* Authenticates from the bearer token or the session cookie (with CSRF for state changes). */
int api_authenticate(http_request *r);
/* Answers item `item_id`'s image or text with a server-chosen Content-Type; with check_access,
 * only to a caller who may see its project (404 otherwise). */
int api_item_asset_send(http_request *r, int64_t item_id, bool check_access);
/* Serves the web app's files for GETs that match no route. */
int api_static(http_request *r);

/* Loads project `id` into *p (project_init'ed by the caller) and the caller's rights. Answers
 * 404 when the caller may not see it and 403 when a right in `need` is missing. */
int api_project_access(http_request *r, int64_t id, unsigned need, project *p, unsigned *rights);

/* A list the store pages for one owner (a project, an org, a user): the page, *next the
 * cursor. */
typedef json_t *(*api_list_fn)(db *d, int64_t owner, int64_t cursor, int limit, bool desc,
			       int64_t *next);

/* Answers a page of `owner`'s list with the route's limit, cursor and sort. */
int api_list_page(http_request *r, api_list_fn list, int64_t owner);

/* A list of the caller's own, as the store pages it: json_t of the page, *next the cursor. */
typedef json_t *(*api_my_list_fn)(db *d, int64_t user_id, int64_t cursor, int limit, int64_t *next);

/* Answers a page of the caller's own list (`limit`, `cursor`; oldest first) from `list`. */
int api_my_page(http_request *r, api_my_list_fn list);

/* Reads a required string member; 400 naming it when missing or not a string. */
int api_string(http_request *r, const json_t *o, const char *key, const char **out);
/* Refuses members not in `allowed` (NULL-terminated) with 400 naming the first. */
int api_only_keys(http_request *r, const json_t *o, const char *const *allowed);

/* A new, empty import report. */
json_t *api_import_report_new(void);
/* Imports one upload into a project (parse, dedupe, store, tasks), adding to `report`. Used by
 * the import route and the demo seeding. */
int api_import(app *a, const project *p, const char *content_type, const char *source,
	       const void *data, size_t len, json_t *report, cl_error *err);

/* Parses a membership body {user_id|username, role}; the route's declared body (api/routes.c)
 * holds the roles it takes. */
int api_member_body(http_request *r, json_t **body, int64_t *user_id, const char **role);

/* Handlers, by file. */
int api_auth_login(http_request *r);
int api_auth_logout(http_request *r);
int api_auth_signup(http_request *r);
int api_me(http_request *r);
int api_me_projects(http_request *r);
int api_users_create(http_request *r);
int api_users_list(http_request *r);
int api_orgs_create(http_request *r);
int api_orgs_list(http_request *r);
int api_orgs_get(http_request *r);
int api_orgs_member_add(http_request *r);
int api_orgs_members(http_request *r);
int api_projects_create(http_request *r);
int api_projects_list(http_request *r);
int api_projects_get(http_request *r);
int api_projects_patch(http_request *r);
int api_projects_member_add(http_request *r);
int api_projects_members(http_request *r);
int api_items_import(http_request *r);
int api_items_list(http_request *r);
int api_items_get(http_request *r);
int api_items_asset(http_request *r);
int api_tasks_next(http_request *r);
int api_tasks_submit(http_request *r);
int api_tasks_release(http_request *r);
int api_reviews_next(http_request *r);
int api_tasks_review(http_request *r);
int api_tasks_resolve(http_request *r);
int api_tasks_get(http_request *r);
int api_tasks_list(http_request *r);
int api_stats(http_request *r);
int api_healthz(http_request *r);
int api_metrics(http_request *r);
int api_openapi(http_request *r);
/* The OpenAPI document's components.schemas (api/openapi_schemas.c); new reference. */
json_t *api_openapi_schemas(void);

/* GET /api/v1/formats (api_formats.c): the accepted upload types and the export formats. */
int api_formats(http_request *r);
/* That route's answer, made from core's tables; a new reference, NULL without memory. */
json_t *api_formats_answer(void);

/* Dataset versions and exports (api_datasets.c). */
int api_datasets_create(http_request *r);
int api_datasets_list(http_request *r);
int api_datasets_get(http_request *r);
int api_datasets_diff(http_request *r);
int api_datasets_delete(http_request *r);
int api_datasets_export(http_request *r);
/* GET /projects/{id}/export in every format (replaces api_export's JSONL-only answer). */
int api_projects_export(http_request *r);

/* Workforce and quality: ledger and pay (api_ledger.c). */
int api_orgs_fund(http_request *r);
int api_orgs_budget(http_request *r);
int api_projects_deposit(http_request *r);
int api_projects_budget(http_request *r);
int api_projects_fair_pay(http_request *r);
int api_me_balance(http_request *r);
int api_me_ledger(http_request *r);
int api_me_payout_request(http_request *r);
int api_me_payouts(http_request *r);
int api_payouts_list(http_request *r);
int api_payouts_approve(http_request *r);
int api_payouts_reject(http_request *r);
int api_ledger_accounts(http_request *r);
int api_ledger_check(http_request *r);
/* Gold, honeypots, audits, consensus, figures (api_quality.c). */
int api_quality_settings_get(http_request *r);
int api_quality_settings_patch(http_request *r);
int api_gold_add(http_request *r);
int api_gold_list(http_request *r);
int api_audits_create(http_request *r);
int api_audits_list(http_request *r);
int api_audits_get(http_request *r);
int api_audits_verdict(http_request *r);
int api_quality_figures(http_request *r);
int api_consensus(http_request *r);
int api_agreement(http_request *r);
int api_role_changes(http_request *r);
int api_me_quality(http_request *r);
/* Academy (api_academy.c). The gate answers 403 "qualification_required" naming the course
 * when the caller lacks one the project requires (staff who manage it are exempt). */
int api_academy_gate(http_request *r, const project *p, unsigned rights);
int api_courses_create(http_request *r);
int api_courses_list(http_request *r);
int api_courses_get(http_request *r);
int api_courses_question_add(http_request *r);
int api_courses_question_asset(http_request *r);
int api_courses_practice(http_request *r);
int api_courses_practice_try(http_request *r);
int api_courses_exam_start(http_request *r);
int api_exams_submit(http_request *r);
int api_me_qualifications(http_request *r);
/* Matching (api_matching.c). */
int api_me_matches(http_request *r);
int api_projects_matches(http_request *r);
int api_projects_invite(http_request *r);

#endif
