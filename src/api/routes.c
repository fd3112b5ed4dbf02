/* Every route of the server in one table: method, path, handler, the object its path names and
 * the access it needs (checked before the handler runs: api/authorize.c), flags (authentication,
 * upload limits, the thread it runs on), the summary the OpenAPI document shows, the query
 * parameters it takes, the fields of its JSON body, and its answer's status and schema. */
#include "api/api.h"
#include "core/quality.h"

#define V1 "/api/v1"

/* Query parameters, for the routes that take some. */
#define LIST(...) ((const char *const[]){__VA_ARGS__, NULL})
#define QUERY(...) LIST(__VA_ARGS__)
#define NO_QUERY QUERY(NULL)
#define PAGE_KEYS "limit", "cursor", "sort"
#define PAGE QUERY(PAGE_KEYS)
#define EXPORT QUERY("format", "images", "answers")

/* JSON body fields: optional, required, optional and nullable (null means absent), and a
 * required string from a list. */
#define BODY(...) ((const json_field[]){__VA_ARGS__, {NULL, 0, 0, NULL}})
// clang-format off
#define OPT(name, type) {name, JSON_FIELD_##type, 0, NULL}
#define REQ(name, type) {name, JSON_FIELD_##type, JSON_FIELD_REQUIRED, NULL}
#define NUL(name, type) {name, JSON_FIELD_##type, JSON_FIELD_NULLABLE, NULL}
#define ONE_OF(name, ...) {name, JSON_FIELD_STRING, JSON_FIELD_REQUIRED, LIST(__VA_ARGS__)}
#define KIND {"kind", JSON_FIELD_STRING, JSON_FIELD_REQUIRED, task_kind_names}
// clang-format on
#define CREDENTIALS BODY(REQ("username", STRING), REQ("password", STRING))
#define MEMBER(...)                                                                                \
	BODY(OPT("user_id", INTEGER), OPT("username", STRING), ONE_OF("role", __VA_ARGS__))
#define AMOUNT BODY(REQ("amount", INTEGER), NUL("memo", STRING))
#define NOTE BODY(NUL("note", STRING))

/* What a route's path names and the access it needs (api.h: api_object, api_access). */
#define ON(object, access) API_##object, (access)
#define PUBLIC ON(NONE, API_PUBLIC)
#define USER ON(NONE, API_USER)
#define ADMIN ON(NONE, API_ADMIN)

const route api_routes[] = {
    {"GET", "/healthz", api_healthz, PUBLIC, ROUTE_PUBLIC | ROUTE_INLINE, "liveness", NULL, NULL,
     NULL},
    {"GET", "/metrics", api_metrics, PUBLIC, ROUTE_PUBLIC, "Prometheus metrics", NULL, NULL, NULL},
    {"GET", V1 "/openapi.json", api_openapi, PUBLIC, ROUTE_PUBLIC, "this OpenAPI document", NULL,
     NULL, NULL},

    {"POST", V1 "/auth/login", api_auth_login, PUBLIC, ROUTE_PUBLIC,
     "log in: token and session cookie", NULL, CREDENTIALS, NULL},
    {"POST", V1 "/auth/logout", api_auth_logout, USER, 0, "revoke the current token", NULL, NULL,
     NULL},
    {"POST", V1 "/auth/signup", api_auth_signup, PUBLIC, ROUTE_PUBLIC, "self-signup, when enabled",
     NULL, CREDENTIALS, NULL},
    {"GET", V1 "/me", api_me, USER, 0, "the caller, orgs and projects", NULL, NULL, NULL},
    {"GET", V1 "/formats", api_formats, USER, 0, "upload and export formats", NULL, NULL,
     "200 Formats"},
    {"GET", V1 "/me/projects", api_me_projects, USER, 0,
     "projects I label or review, with my figures", PAGE, NULL, NULL},
    {"POST", V1 "/users", api_users_create, ADMIN, 0, "create a user", NULL,
     BODY(REQ("username", STRING), REQ("password", STRING), OPT("is_admin", BOOLEAN)), "201 User"},
    {"GET", V1 "/users", api_users_list, ADMIN, 0, "list users", PAGE, NULL, "200 User[]"},

    {"POST", V1 "/orgs", api_orgs_create, ADMIN, 0, "create an organization", NULL,
     BODY(REQ("name", STRING), OPT("currency", STRING)), "201 Org"},
    {"GET", V1 "/orgs", api_orgs_list, USER, 0, "my organizations", PAGE, NULL, "200 Org[]"},
    {"GET", V1 "/orgs/{id}", api_orgs_get, ON(ORG, API_ORG_MEMBER), 0, "an organization", NULL,
     NULL, "200 Org"},
    {"POST", V1 "/orgs/{id}/members", api_orgs_member_add, ON(ORG, API_ORG_OWNER), 0,
     "add or change an org member", NULL, MEMBER("owner", "manager", "engineer"), NULL},
    {"GET", V1 "/orgs/{id}/members", api_orgs_members, ON(ORG, API_ORG_MEMBER), 0, "org members",
     PAGE, NULL, "200 Member[]"},

    {"POST", V1 "/projects", api_projects_create, ON(NONE, API_USER | API_BODY), 0,
     "create a project", NULL, project_fields, "201 Project"},
    {"GET", V1 "/projects", api_projects_list, USER, 0, "projects I may see",
     QUERY(PAGE_KEYS, "status", "kind", "org_id"), NULL, "200 Project[]"},
    {"GET", V1 "/projects/{id}", api_projects_get, ON(PROJECT, ACCESS_SEE), 0, "a project", NULL,
     NULL, "200 Project"},
    {"PATCH", V1 "/projects/{id}", api_projects_patch, ON(PROJECT, ACCESS_MANAGE), 0,
     "change a project's settings", NULL, project_fields, "200 Project"},
    {"POST", V1 "/projects/{id}/members", api_projects_member_add, ON(PROJECT, ACCESS_MANAGE), 0,
     "add a worker or reviewer", NULL, MEMBER("worker", "reviewer"), NULL},
    {"GET", V1 "/projects/{id}/members", api_projects_members,
     ON(PROJECT, ACCESS_READ_DATA | ACCESS_REVIEW | API_ANY), 0, "project members", PAGE, NULL,
     "200 Member[]"},
    {"POST", V1 "/projects/{id}/items", api_items_import, ON(PROJECT, ACCESS_MANAGE), ROUTE_UPLOAD,
     "import data: JSONL, CSV, files, archives", NULL, NULL, "200 ImportReport"},
    {"GET", V1 "/projects/{id}/items", api_items_list, ON(PROJECT, ACCESS_READ_DATA), 0,
     "a project's items", QUERY(PAGE_KEYS, "type"), NULL, "200 Item[]"},
    {"GET", V1 "/items/{id}", api_items_get, ON(ITEM, ACCESS_READ_DATA | API_OWN | API_HIDE), 0,
     "an item", NULL, NULL, "200 Item"},
    {"GET", V1 "/items/{id}/asset", api_items_asset,
     ON(ITEM, ACCESS_READ_DATA | API_OWN | API_HIDE), 0, "an item's image or text", NULL, NULL,
     NULL},

    {"POST", V1 "/projects/{id}/tasks/next", api_tasks_next, ON(PROJECT, ACCESS_LABEL), ROUTE_ASYNC,
     "lease my next task", NULL, NULL, "200 Task"},
    {"GET", V1 "/projects/{id}/tasks", api_tasks_list, ON(PROJECT, ACCESS_READ_DATA), 0,
     "a project's tasks", QUERY(PAGE_KEYS, "state", "worker_id"), NULL, "200 Task[]"},
    {"POST", V1 "/tasks/{id}/submit", api_tasks_submit, ON(TASK_ITEM, ACCESS_LABEL), ROUTE_ASYNC,
     "submit an annotation (\"next\": true also claims the next task)", NULL,
     BODY(REQ("annotation", ANY), OPT("next", BOOLEAN)), "200 Task"},
    {"POST", V1 "/tasks/{id}/release", api_tasks_release, ON(TASK, ACCESS_LABEL), 0,
     "give a leased task back", NULL, NULL, "200 Task"},
    {"POST", V1 "/projects/{id}/reviews/next", api_reviews_next, ON(PROJECT, ACCESS_REVIEW),
     ROUTE_ASYNC, "lease my next review", NULL, NULL, "200 Task"},
    {"POST", V1 "/tasks/{id}/review", api_tasks_review, ON(TASK_FACTS, ACCESS_REVIEW), ROUTE_ASYNC,
     "approve, reject or fix (\"next\": true also claims the next review)", NULL,
     BODY(ONE_OF("decision", "approve", "reject", "fix"), NUL("reason", STRING),
	  NUL("reason_template", STRING), OPT("annotation", ANY), OPT("next", BOOLEAN)),
     "200 Task"},
    {"POST", V1 "/tasks/{id}/resolve", api_tasks_resolve, ON(TASK, ACCESS_MANAGE), 0,
     "decide an escalated task", NULL,
     BODY(ONE_OF("decision", "approve", "discard"), OPT("annotation", ANY), NUL("reason", STRING)),
     "200 Task"},
    {"GET", V1 "/tasks/{id}", api_tasks_get, ON(TASK, ACCESS_READ_DATA | API_OWN | API_HIDE), 0,
     "a task with its event history", NULL, NULL, "200 Task"},

    {"GET", V1 "/projects/{id}/stats", api_stats, ON(PROJECT, ACCESS_READ_DATA), 0,
     "progress and quality figures", NO_QUERY, NULL, "200 Stats"},
    {"GET", V1 "/projects/{id}/export", api_projects_export, ON(PROJECT, ACCESS_READ_DATA), 0,
     "approved annotations, streamed: jsonl, csv, coco, yolo, voc, conll, labelstudio", EXPORT,
     NULL, NULL},

    {"POST", V1 "/projects/{id}/datasets", api_datasets_create, ON(PROJECT, ACCESS_READ_DATA), 0,
     "snapshot approved annotations as a new dataset version", NULL,
     BODY(NUL("split", OBJECT), OPT("note", STRING)), "201 Dataset"},
    {"GET", V1 "/projects/{id}/datasets", api_datasets_list, ON(PROJECT, ACCESS_READ_DATA), 0,
     "a project's dataset versions", PAGE, NULL, "200 Dataset[]"},
    {"GET", V1 "/datasets/{id}", api_datasets_get, ON(DATASET, ACCESS_READ_DATA), 0,
     "a dataset version", NULL, NULL, "200 Dataset"},
    {"GET", V1 "/datasets/{id}/diff", api_datasets_diff, ON(DATASET, ACCESS_READ_DATA), 0,
     "rows added, removed and changed since another version", QUERY("against", "limit"), NULL,
     NULL},
    {"DELETE", V1 "/datasets/{id}", api_datasets_delete, ON(DATASET, ACCESS_MANAGE | API_OWN), 0,
     "delete a dataset version", NULL, NULL, NULL},
    {"GET", V1 "/datasets/{id}/export", api_datasets_export, ON(DATASET, ACCESS_READ_DATA), 0,
     "a dataset version's rows, streamed in any export format", EXPORT, NULL, NULL},

    /* Workforce and quality: pay ledger, payouts, fair pay. */
    {"POST", V1 "/orgs/{id}/funds", api_orgs_fund, ON(ORG, API_ADMIN), 0,
     "add money to an org's budget", NULL, AMOUNT, "201 LedgerTxn"},
    {"GET", V1 "/orgs/{id}/budget", api_orgs_budget, ON(ORG, API_ORG_MEMBER), 0,
     "an org's budget balance", NULL, NULL, "200 OrgBudget"},
    {"POST", V1 "/projects/{id}/deposits", api_projects_deposit, ON(PROJECT, ACCESS_MANAGE), 0,
     "move org budget into a project", NULL, AMOUNT, "201 LedgerTxn"},
    {"GET", V1 "/projects/{id}/budget", api_projects_budget, ON(PROJECT, ACCESS_READ_DATA), 0,
     "a project's balance, reserve and payments", NULL, NULL, "200 ProjectBudget"},
    {"GET", V1 "/projects/{id}/fair-pay", api_projects_fair_pay, ON(PROJECT, ACCESS_READ_DATA), 0,
     "effective hourly earnings against the minimum wage", NULL, NULL, "200 FairPay"},
    {"GET", V1 "/me/balance", api_me_balance, USER, 0, "my balances", NULL, NULL, "200 Balances"},
    {"GET", V1 "/me/ledger", api_me_ledger, USER, 0, "my ledger lines", QUERY("limit", "cursor"),
     NULL, "200 LedgerLine[]"},
    {"POST", V1 "/me/payouts", api_me_payout_request, USER, 0, "request a payout", NULL,
     BODY(REQ("amount", INTEGER), OPT("currency", STRING)), "201 Payout"},
    {"GET", V1 "/me/payouts", api_me_payouts, USER, 0, "my payouts",
     QUERY("limit", "cursor", "status"), NULL, "200 Payout[]"},
    {"GET", V1 "/payouts", api_payouts_list, ADMIN, 0, "all payouts",
     QUERY("limit", "cursor", "status", "user_id"), NULL, "200 Payout[]"},
    {"POST", V1 "/payouts/{id}/approve", api_payouts_approve, ON(PAYOUT, API_ADMIN), 0, "pay out",
     NULL, NOTE, "200 Payout"},
    {"POST", V1 "/payouts/{id}/reject", api_payouts_reject, ON(PAYOUT, API_ADMIN), 0,
     "refuse a payout; the money returns to the worker", NULL, NOTE, "200 Payout"},
    {"GET", V1 "/ledger/accounts", api_ledger_accounts, ADMIN, 0, "every ledger account", NULL,
     NULL, "200 LedgerAccounts"},
    {"GET", V1 "/ledger/check", api_ledger_check, ADMIN, 0, "verify the ledger's invariants", NULL,
     NULL, "200 LedgerCheck"},

    /* Gold, honeypots, audits, consensus and figures. */
    {"GET", V1 "/projects/{id}/quality-settings", api_quality_settings_get,
     ON(PROJECT, ACCESS_READ_DATA), 0,
     "gold and honeypot rates, required courses, promotion thresholds", NULL, NULL,
     "200 QualitySettings"},
    {"PATCH", V1 "/projects/{id}/quality-settings", api_quality_settings_patch,
     ON(PROJECT, ACCESS_MANAGE), 0, "change quality settings", NULL, quality_settings_fields,
     "200 QualitySettings"},
    {"POST", V1 "/projects/{id}/gold", api_gold_add, ON(PROJECT, ACCESS_MANAGE), 0,
     "add gold items with known answers", NULL, BODY(REQ("items", ARRAY)), NULL},
    {"GET", V1 "/projects/{id}/gold", api_gold_list, ON(PROJECT, ACCESS_MANAGE), 0,
     "gold items and answers", QUERY("limit", "cursor"), NULL, NULL},
    {"POST", V1 "/projects/{id}/audits", api_audits_create, ON(PROJECT, ACCESS_MANAGE), 0,
     "sample approved tasks for an audit", NULL, BODY(REQ("size", INTEGER)), "201 Audit"},
    {"GET", V1 "/projects/{id}/audits", api_audits_list, ON(PROJECT, ACCESS_READ_DATA), 0,
     "a project's audits", PAGE, NULL, "200 Audit[]"},
    {"GET", V1 "/audits/{id}", api_audits_get, ON(AUDIT, ACCESS_READ_DATA), 0,
     "an audit with its tasks", NULL, NULL, "200 Audit"},
    {"POST", V1 "/audits/{id}/tasks/{id}", api_audits_verdict, ON(AUDIT, ACCESS_MANAGE), 0,
     "record an audited task as correct or incorrect", NULL,
     BODY(ONE_OF("verdict", "correct", "incorrect"), NUL("note", STRING)), "200 Audit"},
    {"GET", V1 "/projects/{id}/quality", api_quality_figures, ON(PROJECT, ACCESS_READ_DATA), 0,
     "estimated quality, gold accuracy, reviewer accuracy", NULL, NULL, NULL},
    {"GET", V1 "/projects/{id}/consensus", api_consensus, ON(PROJECT, ACCESS_READ_DATA), 0,
     "consolidated answers of overlapping annotations", QUERY("limit", "cursor"), NULL, NULL},
    {"GET", V1 "/projects/{id}/agreement", api_agreement, ON(PROJECT, ACCESS_READ_DATA), 0,
     "agreement per project and per worker", NULL, NULL, NULL},
    {"GET", V1 "/projects/{id}/role-changes", api_role_changes, ON(PROJECT, ACCESS_READ_DATA), 0,
     "promotions and demotions", PAGE, NULL, NULL},
    {"GET", V1 "/me/quality", api_me_quality, USER, 0, "my gold and reviewer accuracy", NULL, NULL,
     NULL},

    /* Academy. */
    {"POST", V1 "/courses", api_courses_create, ON(NONE, API_STAFF), 0, "create a course", NULL,
     BODY(KIND, REQ("name", STRING), REQ("labels", ARRAY), OPT("multi_label", BOOLEAN),
	  OPT("lesson", STRING), OPT("pass_score", NUMBER), OPT("exam_size", INTEGER),
	  OPT("cooldown_seconds", INTEGER)),
     "201 Course"},
    {"GET", V1 "/courses", api_courses_list, USER, 0, "courses with my standing",
     QUERY("limit", "cursor"), NULL, "200 Course[]"},
    {"GET", V1 "/courses/{id}", api_courses_get, ON(COURSE, API_USER), 0, "a course and its lesson",
     NULL, NULL, "200 Course"},
    {"POST", V1 "/courses/{id}/questions", api_courses_question_add, ON(COURSE, API_OWN | API_BODY),
     0, "add practice or exam questions", NULL,
     BODY(ONE_OF("role", "practice", "exam"), OPT("item", OBJECT), OPT("answer", ANY),
	  OPT("explanation", ANY), OPT("from_project", INTEGER)),
     NULL},
    {"GET", V1 "/courses/{id}/questions/{id}/asset", api_courses_question_asset,
     ON(COURSE, API_USER), 0, "the image or text a course question shows", NULL, NULL, NULL},
    {"GET", V1 "/courses/{id}/practice", api_courses_practice, ON(COURSE, API_USER), 0,
     "practice questions", PAGE, NULL, "200 CourseQuestion[]"},
    {"POST", V1 "/courses/{id}/practice/{id}", api_courses_practice_try, ON(COURSE, API_USER), 0,
     "try a practice question: the answer and explanation come back", NULL,
     BODY(REQ("annotation", ANY)), "200 PracticeResult"},
    {"POST", V1 "/courses/{id}/exam", api_courses_exam_start, ON(COURSE, API_USER), 0,
     "start the exam", NULL, NULL, "201 ExamAttempt"},
    {"POST", V1 "/exams/{id}/submit", api_exams_submit, ON(EXAM, API_OWN | API_HIDE), 0,
     "hand in an exam", NULL, BODY(REQ("answers", ARRAY)), "200 ExamResult"},
    {"GET", V1 "/me/qualifications", api_me_qualifications, USER, 0, "my qualifications", NULL,
     NULL, "200 Qualification[]"},

    /* Matching. */
    {"GET", V1 "/me/matches", api_me_matches, USER, 0, "open projects ranked for me", NULL, NULL,
     NULL},
    {"GET", V1 "/projects/{id}/matches", api_projects_matches, ON(PROJECT, ACCESS_MANAGE), 0,
     "workers ranked for a project", NULL, NULL, NULL},
    {"POST", V1 "/projects/{id}/invites", api_projects_invite, ON(PROJECT, ACCESS_MANAGE), 0,
     "invite a worker", NULL, BODY(REQ("user_id", INTEGER)), NULL},

    /* Training jobs, runs and the model registry (org owners and engineers). */
    {"POST", V1 "/orgs/{id}/jobs", api_jobs_create, ON(ORG, API_ORG_ML), 0,
     "submit a training job: a built-in trainer or a custom command on a dataset version", NULL,
     BODY(REQ("dataset_id", INTEGER), OPT("trainer", STRING), OPT("params", OBJECT),
	  OPT("command", ARRAY), OPT("format", STRING), OPT("cpus", INTEGER),
	  OPT("mem_mb", INTEGER), OPT("gpus", INTEGER), OPT("priority", INTEGER),
	  OPT("time_limit_s", INTEGER), OPT("max_retries", INTEGER)),
     "201 Job"},
    {"GET", V1 "/orgs/{id}/jobs", api_jobs_list, ON(ORG, API_ORG_ML), 0, "an org's jobs",
     QUERY(PAGE_KEYS, "state"), NULL, "200 Job[]"},
    {"GET", V1 "/orgs/{id}/quota", api_orgs_quota, ON(ORG, API_ORG_ML), 0,
     "an org's limits on its running jobs", NULL, NULL, "200 OrgQuota"},
    {"POST", V1 "/orgs/{id}/quota", api_orgs_quota_set, ON(ORG, API_ADMIN), 0,
     "set an org's limits on its running jobs (-1: none) and fair-share weight", NULL,
     BODY(REQ("max_cpus", INTEGER), REQ("max_gpus", INTEGER), REQ("weight", INTEGER)),
     "200 OrgQuota"},
    {"GET", V1 "/orgs/{id}/runs", api_runs_compare, ON(ORG, API_ORG_ML), 0,
     "runs side by side: params and final metrics", QUERY("compare"), NULL, "200 RunComparison"},
    {"GET", V1 "/jobs/{id}", api_jobs_get, ON(JOB, API_ORG_ML), 0,
     "a job with its final metrics", NULL, NULL, "200 Job"},
    {"POST", V1 "/jobs/{id}/cancel", api_jobs_cancel, ON(JOB, API_ORG_ML), 0,
     "cancel a job (its whole process group)", NULL, NULL, "200 Job"},
    {"GET", V1 "/jobs/{id}/logs", api_jobs_logs, ON(JOB, API_ORG_ML), 0,
     "a job's log as text; follow=1 streams it until the job ends", QUERY("tail", "follow"),
     NULL, NULL},
    {"GET", V1 "/jobs/{id}/metrics", api_jobs_metrics, ON(JOB, API_ORG_ML), 0,
     "a job's metric series", QUERY("key"), NULL, "200 Metrics"},
    {"POST", V1 "/jobs/{id}/metrics", api_jobs_metrics_log, ON(JOB, API_ORG_ML | API_RUN_TOKEN),
     0, "log a batch of up to 1,000 metric points", NULL, BODY(REQ("metrics", ARRAY)),
     "200 MetricsLogged"},
    {"GET", V1 "/jobs/{id}/artifacts", api_jobs_artifacts, ON(JOB, API_ORG_ML), 0,
     "a job's output files", NULL, NULL, "200 Artifacts"},
    {"GET", V1 "/jobs/{id}/artifacts/{id}", api_jobs_artifact, ON(JOB, API_ORG_ML), 0,
     "an output file's bytes", NULL, NULL, NULL},
    {"POST", V1 "/orgs/{id}/models", api_models_create, ON(ORG, API_ORG_ML), 0,
     "register a model name", NULL, BODY(REQ("name", STRING)), "201 Model"},
    {"GET", V1 "/orgs/{id}/models", api_models_list, ON(ORG, API_ORG_ML), 0, "an org's models",
     PAGE, NULL, "200 Model[]"},
    {"GET", V1 "/models/{id}", api_models_get, ON(MODEL, API_ORG_ML), 0,
     "a model and its aliases", NULL, NULL, "200 Model"},
    {"POST", V1 "/models/{id}/versions", api_models_version_add, ON(MODEL, API_ORG_ML), 0,
     "register a succeeded job's output as the next version", NULL,
     BODY(REQ("job_id", INTEGER)), "201 ModelVersion"},
    {"GET", V1 "/models/{id}/versions", api_models_versions, ON(MODEL, API_ORG_ML), 0,
     "a model's versions with evaluation and lineage", NULL, NULL, "200 ModelVersions"},
    {"POST", V1 "/models/{id}/aliases", api_models_alias_move, ON(MODEL, API_ORG_ML), 0,
     "point an alias (production, staging, ...) at a version", NULL,
     BODY(REQ("name", STRING), REQ("version", INTEGER)), "200 AliasMove"},
    {"GET", V1 "/models/{id}/aliases", api_models_aliases, ON(MODEL, API_ORG_ML), 0,
     "a model's aliases and their moves", NULL, NULL, "200 Aliases"},
};

const size_t api_routes_count = sizeof api_routes / sizeof api_routes[0];
