/* Every route of the server in one table: method, path, handler, flags (authentication, admin,
 * upload limits), the summary the OpenAPI document shows, and the query parameters it takes. */
#include "api/api.h"

#define V1 "/api/v1"

/* Query parameters, for the routes that take some. */
#define QUERY(...) ((const char *const[]){__VA_ARGS__, NULL})
#define NO_QUERY QUERY(NULL)
#define PAGE_KEYS "limit", "cursor", "sort"
#define PAGE QUERY(PAGE_KEYS)
#define EXPORT QUERY("format", "images", "answers")

const route api_routes[] = {
    {"GET", "/healthz", api_healthz, ROUTE_PUBLIC | ROUTE_INLINE, "liveness", NULL},
    {"GET", "/metrics", api_metrics, ROUTE_PUBLIC, "Prometheus metrics", NULL},
    {"GET", V1 "/openapi.json", api_openapi, ROUTE_PUBLIC, "this OpenAPI document", NULL},

    {"POST", V1 "/auth/login", api_auth_login, ROUTE_PUBLIC, "log in: token and session cookie",
     NULL},
    {"POST", V1 "/auth/logout", api_auth_logout, 0, "revoke the current token", NULL},
    {"POST", V1 "/auth/signup", api_auth_signup, ROUTE_PUBLIC, "self-signup, when enabled", NULL},
    {"GET", V1 "/me", api_me, 0, "the caller, orgs and projects", NULL},
    {"GET", V1 "/me/projects", api_me_projects, 0, "projects I label or review, with my figures",
     PAGE},
    {"POST", V1 "/users", api_users_create, ROUTE_ADMIN, "create a user", NULL},
    {"GET", V1 "/users", api_users_list, ROUTE_ADMIN, "list users", PAGE},

    {"POST", V1 "/orgs", api_orgs_create, ROUTE_ADMIN, "create an organization", NULL},
    {"GET", V1 "/orgs", api_orgs_list, 0, "my organizations", PAGE},
    {"GET", V1 "/orgs/{id}", api_orgs_get, 0, "an organization", NULL},
    {"POST", V1 "/orgs/{id}/members", api_orgs_member_add, 0, "add or change an org member", NULL},
    {"GET", V1 "/orgs/{id}/members", api_orgs_members, 0, "org members", PAGE},

    {"POST", V1 "/projects", api_projects_create, 0, "create a project", NULL},
    {"GET", V1 "/projects", api_projects_list, 0, "projects I may see",
     QUERY(PAGE_KEYS, "status", "kind", "org_id")},
    {"GET", V1 "/projects/{id}", api_projects_get, 0, "a project", NULL},
    {"PATCH", V1 "/projects/{id}", api_projects_patch, 0, "change a project's settings", NULL},
    {"POST", V1 "/projects/{id}/members", api_projects_member_add, 0, "add a worker or reviewer",
     NULL},
    {"GET", V1 "/projects/{id}/members", api_projects_members, 0, "project members", PAGE},
    {"POST", V1 "/projects/{id}/items", api_items_import, ROUTE_UPLOAD,
     "import data: JSONL, CSV, files, archives", NULL},
    {"GET", V1 "/projects/{id}/items", api_items_list, 0, "a project's items",
     QUERY(PAGE_KEYS, "type")},
    {"GET", V1 "/items/{id}", api_items_get, 0, "an item", NULL},
    {"GET", V1 "/items/{id}/asset", api_items_asset, 0, "an item's image or text", NULL},

    {"POST", V1 "/projects/{id}/tasks/next", api_tasks_next, ROUTE_ASYNC, "lease my next task",
     NULL},
    {"GET", V1 "/projects/{id}/tasks", api_tasks_list, 0, "a project's tasks",
     QUERY(PAGE_KEYS, "state", "worker_id")},
    {"POST", V1 "/tasks/{id}/submit", api_tasks_submit, ROUTE_ASYNC,
     "submit an annotation (\"next\": true also claims the next task)", NULL},
    {"POST", V1 "/tasks/{id}/release", api_tasks_release, 0, "give a leased task back", NULL},
    {"POST", V1 "/projects/{id}/reviews/next", api_reviews_next, ROUTE_ASYNC,
     "lease my next review", NULL},
    {"POST", V1 "/tasks/{id}/review", api_tasks_review, ROUTE_ASYNC,
     "approve, reject or fix (\"next\": true also claims the next review)", NULL},
    {"POST", V1 "/tasks/{id}/resolve", api_tasks_resolve, 0, "decide an escalated task", NULL},
    {"GET", V1 "/tasks/{id}", api_tasks_get, 0, "a task with its event history", NULL},

    {"GET", V1 "/projects/{id}/stats", api_stats, 0, "progress and quality figures", NO_QUERY},
    {"GET", V1 "/projects/{id}/export", api_projects_export, 0,
     "approved annotations, streamed: jsonl, csv, coco, yolo, voc, conll, labelstudio", EXPORT},

    {"POST", V1 "/projects/{id}/datasets", api_datasets_create, 0,
     "snapshot approved annotations as a new dataset version", NULL},
    {"GET", V1 "/projects/{id}/datasets", api_datasets_list, 0, "a project's dataset versions",
     PAGE},
    {"GET", V1 "/datasets/{id}", api_datasets_get, 0, "a dataset version", NULL},
    {"GET", V1 "/datasets/{id}/diff", api_datasets_diff, 0,
     "rows added, removed and changed since another version", QUERY("against", "limit")},
    {"DELETE", V1 "/datasets/{id}", api_datasets_delete, 0, "delete a dataset version", NULL},
    {"GET", V1 "/datasets/{id}/export", api_datasets_export, 0,
     "a dataset version's rows, streamed in any export format", EXPORT},

    /* Workforce and quality: pay ledger, payouts, fair pay. */
    {"POST", V1 "/orgs/{id}/funds", api_orgs_fund, ROUTE_ADMIN, "add money to an org's budget",
     NULL},
    {"GET", V1 "/orgs/{id}/budget", api_orgs_budget, 0, "an org's budget balance", NULL},
    {"POST", V1 "/projects/{id}/deposits", api_projects_deposit, 0,
     "move org budget into a project", NULL},
    {"GET", V1 "/projects/{id}/budget", api_projects_budget, 0,
     "a project's balance, reserve and payments", NULL},
    {"GET", V1 "/projects/{id}/fair-pay", api_projects_fair_pay, 0,
     "effective hourly earnings against the minimum wage", NULL},
    {"GET", V1 "/me/balance", api_me_balance, 0, "my balances", NULL},
    {"GET", V1 "/me/ledger", api_me_ledger, 0, "my ledger lines", QUERY("limit", "cursor")},
    {"POST", V1 "/me/payouts", api_me_payout_request, 0, "request a payout", NULL},
    {"GET", V1 "/me/payouts", api_me_payouts, 0, "my payouts", QUERY("limit", "cursor", "status")},
    {"GET", V1 "/payouts", api_payouts_list, ROUTE_ADMIN, "all payouts",
     QUERY("limit", "cursor", "status", "user_id")},
    {"POST", V1 "/payouts/{id}/approve", api_payouts_approve, ROUTE_ADMIN, "pay out", NULL},
    {"POST", V1 "/payouts/{id}/reject", api_payouts_reject, ROUTE_ADMIN,
     "refuse a payout; the money returns to the worker", NULL},
    {"GET", V1 "/ledger/accounts", api_ledger_accounts, ROUTE_ADMIN, "every ledger account", NULL},
    {"GET", V1 "/ledger/check", api_ledger_check, ROUTE_ADMIN, "verify the ledger's invariants",
     NULL},

    /* Gold, honeypots, audits, consensus and figures. */
    {"GET", V1 "/projects/{id}/quality-settings", api_quality_settings_get, 0,
     "gold and honeypot rates, required courses, promotion thresholds", NULL},
    {"PATCH", V1 "/projects/{id}/quality-settings", api_quality_settings_patch, 0,
     "change quality settings", NULL},
    {"POST", V1 "/projects/{id}/gold", api_gold_add, 0, "add gold items with known answers", NULL},
    {"GET", V1 "/projects/{id}/gold", api_gold_list, 0, "gold items and answers",
     QUERY("limit", "cursor")},
    {"POST", V1 "/projects/{id}/audits", api_audits_create, 0, "sample approved tasks for an audit",
     NULL},
    {"GET", V1 "/projects/{id}/audits", api_audits_list, 0, "a project's audits", PAGE},
    {"GET", V1 "/audits/{id}", api_audits_get, 0, "an audit with its tasks", NULL},
    {"POST", V1 "/audits/{id}/tasks/{id}", api_audits_verdict, 0,
     "record an audited task as correct or incorrect", NULL},
    {"GET", V1 "/projects/{id}/quality", api_quality_figures, 0,
     "estimated quality, gold accuracy, reviewer accuracy", NULL},
    {"GET", V1 "/projects/{id}/consensus", api_consensus, 0,
     "consolidated answers of overlapping annotations", QUERY("limit", "cursor")},
    {"GET", V1 "/projects/{id}/agreement", api_agreement, 0, "agreement per project and per worker",
     NULL},
    {"GET", V1 "/projects/{id}/role-changes", api_role_changes, 0, "promotions and demotions",
     PAGE},
    {"GET", V1 "/me/quality", api_me_quality, 0, "my gold and reviewer accuracy", NULL},

    /* Academy. */
    {"POST", V1 "/courses", api_courses_create, 0, "create a course", NULL},
    {"GET", V1 "/courses", api_courses_list, 0, "courses with my standing",
     QUERY("limit", "cursor")},
    {"GET", V1 "/courses/{id}", api_courses_get, 0, "a course and its lesson", NULL},
    {"POST", V1 "/courses/{id}/questions", api_courses_question_add, 0,
     "add practice or exam questions", NULL},
    {"GET", V1 "/courses/{id}/questions/{id}/asset", api_courses_question_asset, 0,
     "the image or text a course question shows", NULL},
    {"GET", V1 "/courses/{id}/practice", api_courses_practice, 0, "practice questions", NULL},
    {"POST", V1 "/courses/{id}/practice/{id}", api_courses_practice_try, 0,
     "try a practice question: the answer and explanation come back", NULL},
    {"POST", V1 "/courses/{id}/exam", api_courses_exam_start, 0, "start the exam", NULL},
    {"POST", V1 "/exams/{id}/submit", api_exams_submit, 0, "hand in an exam", NULL},
    {"GET", V1 "/me/qualifications", api_me_qualifications, 0, "my qualifications", NULL},

    /* Matching. */
    {"GET", V1 "/me/matches", api_me_matches, 0, "open projects ranked for me", NULL},
    {"GET", V1 "/projects/{id}/matches", api_projects_matches, 0, "workers ranked for a project",
     NULL},
    {"POST", V1 "/projects/{id}/invites", api_projects_invite, 0, "invite a worker", NULL},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
