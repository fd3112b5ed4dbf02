/* The REST API: one api_<resource>.c per resource (parse, call the store, answer), the route
 * table in routes.c with each route's object and access, the authorization that runs them
 * before any handler (authorize.c), and what handlers share: the application context and the
 * object dispatch loaded for them. */
#ifndef CROWDLOOP_API_API_H
#define CROWDLOOP_API_API_H

#include "core/access.h"
#include "core/project.h"
#include "core/quality.h"
#include "core/runs.h"
#include "http/http.h"
#include "store/store.h"

struct serving_deployment;

/* What every handler reaches through r->app. */
struct import_file;
struct import_progress;
struct import_runs;

typedef struct app {
	db *db;
	store store; /* the same store, through its operations (store/ops.h) */
	char data_dir[2048];
	char web_dir[2048];
	bool allow_signup;
	bool secure_cookies; /* behind TLS: cookies get the Secure flag */
	int64_t min_wage;    /* per hour, for the fair-pay check; 0: LEDGER_DEFAULT_MIN_WAGE */
	int64_t max_image_pixels; /* an imported image's pixel budget; 0: IMPORT_MAX_IMAGE_PIXELS */
	quality_report report;	  /* how a worker's own gold figures are shown; 0s: the defaults */
	struct serving_registry *serving; /* the models endpoints answer with (core/serving.h) */
	struct serving_limiter *limiter;  /* endpoint keys' rates */
	struct work_queue *shadows;	  /* shadow targets' answers, off the request path */
	run_limits runs;	  /* what jobs may ask for here, and whether custom ones run */
	struct import_runs *imports; /* background imports (core/import_runs.h); NULL: none run */
	/* An import whose upload is larger runs in the background (202); 0: API_IMPORT_BACKGROUND */
	size_t import_background_bytes;
} app;

/* The default size above which an import runs in the background: 8 MiB. */
#define API_IMPORT_BACKGROUND (8u << 20)

static inline app *api_app(http_request *r)
{
	return (app *)r->app;
}

/* The route table and its size. */
extern const route api_routes[];
extern const size_t api_routes_count;

/* What a route's path names (route.object): the object dispatch loads, and whose project's
 * rights it checks, before the handler runs. */
enum api_object {
	API_NONE,	/* nothing: the caller's own (/me), a collection, or objects in the body */
	API_PROJECT,	/* /projects/{id} */
	API_TASK,	/* /tasks/{id}: who holds it (task_ref) */
	API_TASK_FACTS, /* /tasks/{id} of the labeling loop: what never changes of it (task_facts,
			 * remembered from a claim on the same connection, else read once) */
	API_TASK_ITEM,	/* the same with its item's facts, to validate an annotation */
	API_ITEM,	/* /items/{id} */
	API_DATASET,	/* /datasets/{id} */
	API_AUDIT,	/* /audits/{id} */
	API_ORG,	/* /orgs/{id} */
	API_COURSE,	/* /courses/{id} */
	API_EXAM,	/* /exams/{id}: an exam attempt */
	API_PAYOUT,	/* /payouts/{id} (administrators only: nothing to load) */
	API_ENDPOINT,	/* /endpoints/{id}: a serving endpoint of an org */
	API_JOB,	/* /jobs/{id}: a training job of an org */
	API_MODEL,	/* /models/{id}: a registered model of an org */
	API_OBJECT_COUNT
};

/* The access a route needs (route.access): one of the first six, or project rights
 * (ACCESS_* of core/access.h) on a route whose object lies in a project, with modifiers.
 * Zero declares nothing, which the route test and dispatch refuse. */
enum api_access {
	API_PUBLIC = 1 << 8,	  /* anyone, without credentials */
	API_USER = 1 << 9,	  /* any signed-in user (and, with an object, it must exist) */
	API_ADMIN = 1 << 10,	  /* administrators */
	API_STAFF = 1 << 11,	  /* administrators and the owners and managers of any org */
	API_ORG_MEMBER = 1 << 12, /* administrators and the members of the org */
	API_ORG_OWNER = 1 << 13,  /* administrators and the owners of the org */
	API_ORG_ENGINEER = 1 << 14, /* administrators and the owners and engineers of the org (or
				     * of the endpoint's org) */
	API_KEY = 1 << 15,	  /* an endpoint's API key (Authorization: Bearer clk_...), not a
				   * session: the key names the org, so {name} is the key's org's
				   * endpoint; rate limited per key (429) before the handler runs */
	API_RUN_TOKEN = 1 << 20,  /* a running job's own token may too (its run only) */
	API_MEMBER_SESSION = 1 << 21, /* with API_KEY: a session of a member of an org with an
				       * endpoint named {name} may call it too, rate limited per
				       * user (ENDPOINT_SESSION_RATE a second) */
	API_ANY = 1 << 16,	  /* one of the rights listed is enough (else all of them) */
	API_OWN = 1 << 17,	  /* its owner may too: the task's worker or reviewer, the dataset's
				   * creator, the course's author, the exam's taker */
	API_HIDE = 1 << 18,	  /* a caller without the access learns nothing: 404, not 403 */
	API_BODY = 1 << 19,	  /* the handler checks the caller's role on what the body names */
};

/* What dispatch loaded for the handler (r->scope), by the route's object. */
typedef struct api_scope {
	unsigned rights;      /* the caller's rights in it (ACCESS_*) */
	char org_role[16];    /* the caller's role in the project's org or the org; "" when none */
	char member_role[16]; /* the caller's role among the project's members; "" when none */
	task_ref task;	      /* API_TASK */
	task_facts facts;     /* API_TASK_FACTS, API_TASK_ITEM */
	json_t *object;	      /* the item, dataset, audit or org as answered (owned), or NULL */
	int64_t course_id;    /* API_EXAM: the attempt's course */
	int64_t org_id;	      /* API_ENDPOINT: the endpoint's org */
	int64_t key_id, key_endpoint_id, key_org_id; /* API_KEY: the caller's key */
	bool finished;	      /* API_EXAM: already scored */
	/* The object's project (a course's own settings for API_COURSE). Last: a scope is zeroed
	 * up to it, and a route whose object lies in a project reads the project whole. */
	project project;
} api_scope;

/* The object a route's authorization loaded; NULL on a route without one. */
static inline api_scope *api_scope_of(http_request *r)
{
	return (api_scope *)r->scope;
}

/* Checks the caller's access to the route's object as declared (http_config.authorize):
 * 401 without credentials, 404 when the object is missing or not visible to the caller (as
 * another tenant's is), 403 when visible but the role is too low; loads r->scope. */
int api_authorize(http_request *r);
/* Frees r->scope (http_config.release). */
void api_release(http_request *r);
/* The status a role gets from a route's declaration: 0 when allowed, else 401, 403 or 404.
 * `role` is anonymous, outsider, worker, reviewer, engineer, manager, owner or admin;
 * `relation` is own (the role's own project or org), same_org (another project of that org)
 * or other_org. */
int api_access_verdict(const route *rt, const char *role, const char *relation);
/* The role and relation names api_access_verdict takes, NULL-ended. */
extern const char *const api_roles[];
extern const char *const api_relations[];
/* The name of a route's object ("project", "task", ...; "none"), and its access in words
 * ("project rights: manage", "administrators", ...) into `out`. */
const char *api_object_name(const route *rt);
void api_access_words(const route *rt, char *out, size_t size);
/* The route's access as the OpenAPI document's x-access member; new reference. */
json_t *api_access_json(const route *rt);
/* docs/PERMISSIONS.md: every route × role, made from the table. */
void api_permissions_markdown(buf *out);

/* Authenticates from the bearer token or the session cookie (with CSRF for state changes). */
int api_authenticate(http_request *r);
/* Answers item `item_id`'s image or text with a server-chosen Content-Type; its caller has
 * checked who may see it. */
int api_item_asset_send(http_request *r, int64_t item_id);
/* Serves the web app's files for GETs that match no route. */
int api_static(http_request *r);

/* Loads project `id` into *p (project_init'ed by the caller) and the caller's rights. Answers
 * 404 when the caller may not see it and 403 when a right in `need` is missing. For projects a
 * body names; the route's own object is checked by dispatch (api_authorize). */
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

/* Refuses members not in `allowed` (NULL-terminated) with 400 naming the first. */
int api_only_keys(http_request *r, const json_t *o, const char *const *allowed);
/* Answers 429 too_many_requests with `message` and a Retry-After of `wait_ms` rounded up to
 * whole seconds (the route's real wait, not the server's default); returns 0. */
int api_rate_limited(http_request *r, int64_t wait_ms, const char *message);

/* Writes one upload into a project through core's import (core/import_job.h), with the
 * project's OCR pre-fill, adding to `report` (core's import_report_new). The demo's seeding. */
int api_import(app *a, const project *p, const char *content_type, const char *source,
	       const void *data, size_t len, json_t *report, cl_error *err);
/* Imports uploads into a project all or nothing (core's import_whole) with the project's OCR
 * pre-fill: a background import's work (api_imports.c), whose `record` (may be NULL) turns done
 * with the items. */
int api_import_whole(app *a, const project *p, const struct import_file *files, size_t n,
		     struct import_progress *pr, int (*before_store)(void *arg, cl_error *err),
		     void *arg, const import_record *record, json_t *report, cl_error *err);
/* The body's media type without parameters into type ("" when none), and the source the
 * report names it by: `Content-Disposition: attachment; filename="x.jsonl"` names it (only a
 * label), else "body". */
void api_body_type_and_source(const http_request *r, char type[128], char source[256]);

/* Background imports (api_imports.c): starts the request's import in the background and
 * answers 202 with its Import object; the upload's spooled files go with it. */
int api_imports_start(http_request *r);
/* True when the request's upload is over the background size and background imports run. */
bool api_imports_wanted(http_request *r);
int api_imports_get(http_request *r);
int api_imports_cancel(http_request *r);

/* Parses a membership body {user_id|username, role}; the route's declared body (api/routes.c)
 * holds the roles it takes. */
int api_member_body(http_request *r, json_t **body, int64_t *user_id, const char **role);

/* Serving (api_endpoints.c: endpoints, keys, usage, the prediction log; api_inference.c: the
 * Open Inference Protocol v2, the plain predict route and feedback). */
int api_endpoints_create(http_request *r);
/* After an alias of model `model` (of org `org`) moved: the org's endpoints that serve the model
 * by an alias are re-deployed where it points now; one that cannot load keeps serving what it
 * served (logged). */
void api_endpoints_follow_model(http_request *r, int64_t org, const char *model);
/* Loads the deployments of the active endpoints served by custom model servers, so their
 * processes start with the server rather than at their first request. */
void api_endpoints_start_servers(app *a);
/* The sweeps of the endpoints' logs, on the job runner's thread (a runner_config hook; ctx: the
 * app): lets go of the input images kept for feedback past their endpoint's image_days, and of
 * every one an endpoint keeps once its feedback project is cleared, whether or not it logs
 * another image; deletes the predictions older than their endpoint's log_days. */
void api_endpoint_logs_tick(void *ctx);
int api_endpoints_list(http_request *r);

int api_endpoints_get(http_request *r);
int api_endpoints_patch(http_request *r);
int api_endpoints_delete(http_request *r);
int api_endpoint_keys_create(http_request *r);
int api_endpoint_keys_list(http_request *r);
int api_endpoint_keys_revoke(http_request *r);
int api_endpoint_usage(http_request *r);
int api_endpoint_predictions(http_request *r);
int api_endpoint_stats(http_request *r);
int api_endpoint_predict(http_request *r);
/* The SHA-256 (hex) of an input's sorted compact JSON and its size, as the prediction log keeps
 * them. */
void api_input_digest(const json_t *in, char hex[65], int64_t *bytes);

/* The retraining pipeline (api_pipeline.c). */
int api_pipeline_get(http_request *r);
int api_pipeline_put(http_request *r);
int api_pipeline_trigger(http_request *r);
int api_pipeline_approve(http_request *r);
int api_pipeline_reject(http_request *r);
/* The pipeline's turn on the job runner's thread (a runner_config hook, each second; ctx: the app):
 * starts due runs and moves live ones on; endpoints follow what it promotes. */
void api_pipeline_tick(void *ctx);
/* Endpoints of org `org_id` serving `model` by an alias follow its move, off any request
 * (ctx: the app). */
void api_pipeline_promoted(void *ctx, int64_t org_id, const char *model);
int api_prediction_feedback(http_request *r);
int api_endpoint_feedback(http_request *r);
int api_oip_live(http_request *r);
int api_oip_ready(http_request *r);
int api_oip_server(http_request *r);
int api_oip_model(http_request *r);
int api_oip_model_ready(http_request *r);
int api_oip_infer(http_request *r);
/* Checks an endpoint key from the Authorization header and takes a request from its rate
 * (authorize.c calls it for API_KEY routes): 401 without a live key, 429 over its rate. On an
 * API_MEMBER_SESSION route, a session instead of a key must be a member's of the endpoint's
 * org (404 otherwise) and takes from the user's own rate. */
int api_key_authorize(http_request *r, api_scope *s);

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
int api_projects_member_remove(http_request *r);
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
int api_tasks_asset(http_request *r);
int api_tasks_list(http_request *r);
int api_projects_export_summary(http_request *r);
int api_tasks_bulk(http_request *r);
int api_tasks_annotations(http_request *r);
int api_tasks_reopen(http_request *r);
int api_tasks_left(http_request *r);
int api_stats(http_request *r);
/* Checks an endpoint's targets and shadow (registry versions of org `org` resolved) and loads
 * them (api_endpoints.c): *targets, *shadow (new references) and *d; 400 or 404 naming the
 * problem. */
int api_targets_load(http_request *r, int64_t org, const json_t *given, const json_t *given_shadow,
		     json_t **targets_out, json_t **shadow_out, struct serving_deployment **d);
/* Batch pre-annotation runs of a project (api/preannotate.h). */
int api_preannotations_create(http_request *r);
int api_preannotations_list(http_request *r);
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
/* Label checks (api_quality.c). */
int api_label_checks_start(http_request *r);
int api_label_checks_list(http_request *r);
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

/* GET /api/v1/trainers (api_trainers.c): the built-in trainers and their params. */
int api_trainers(http_request *r);
/* Training jobs and runs (api_jobs.c). */
int api_jobs_create(http_request *r);
int api_jobs_code_upload(http_request *r);
int api_jobs_list(http_request *r);
int api_jobs_get(http_request *r);
int api_jobs_cancel(http_request *r);
int api_jobs_logs(http_request *r);
int api_jobs_metrics(http_request *r);
int api_jobs_metrics_log(http_request *r);
int api_jobs_artifacts(http_request *r);
int api_jobs_artifact(http_request *r);
int api_runs_compare(http_request *r);
/* MLflow's tracking API (api_mlflow.c). */
int api_mlflow_experiment_create(http_request *r);
int api_mlflow_experiment_get(http_request *r);
int api_mlflow_experiment_by_name(http_request *r);
int api_mlflow_experiments_search(http_request *r);
int api_mlflow_run_create(http_request *r);
int api_mlflow_run_update(http_request *r);
int api_mlflow_run_get(http_request *r);
int api_mlflow_runs_search(http_request *r);
int api_mlflow_log_metric(http_request *r);
int api_mlflow_log_param(http_request *r);
int api_mlflow_set_tag(http_request *r);
int api_mlflow_delete_tag(http_request *r);
int api_mlflow_log_batch(http_request *r);
int api_mlflow_metric_history(http_request *r);
int api_orgs_quota(http_request *r);
int api_orgs_quota_set(http_request *r);
/* The model registry (api_models.c). */
int api_models_create(http_request *r);
int api_models_list(http_request *r);
int api_models_get(http_request *r);
int api_models_version_add(http_request *r);
int api_models_versions(http_request *r);
int api_models_alias_move(http_request *r);
int api_models_aliases(http_request *r);

#endif
