/* Authorization from the route table: each route declares the object its path names and the
 * access it needs (api/routes.c); before any handler runs, dispatch calls api_authorize, which
 * loads that object, works out the caller's rights and answers 401, 403 or 404, and leaves what
 * it loaded in r->scope for the handler. The same declaration makes the OpenAPI document's
 * x-access member and docs/PERMISSIONS.md, through api_access_verdict. */
#include "api/api.h"
#include "core/project_load.h"
#include "core/task.h"
#include "store/store_endpoints.h"
#include "store/store_jobs.h"
#include "store/store_quality.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RIGHTS_MASK (ACCESS_SEE | ACCESS_LABEL | ACCESS_REVIEW | ACCESS_READ_DATA | ACCESS_MANAGE)
/* Whoever has one of these sees an item: the project's staff and those who label or review. */
#define ITEM_VISIBLE (ACCESS_READ_DATA | ACCESS_LABEL | ACCESS_REVIEW)

/* What each object is called, and what a caller who may not see it is told. */
static const struct object_kind {
	const char *name;
	const char *missing;
	unsigned visible; /* the project rights of which one makes the object visible */
} kinds[API_OBJECT_COUNT] = {
    [API_NONE] = {"none", NULL, 0},
    [API_PROJECT] = {"project", "project not found", ACCESS_SEE},
    [API_TASK] = {"task", "task not found", ACCESS_SEE},
    [API_TASK_FACTS] = {"task", "task not found", ACCESS_SEE},
    [API_TASK_ITEM] = {"task", "task not found", ACCESS_SEE},
    [API_ITEM] = {"item", "item not found", ITEM_VISIBLE},
    [API_DATASET] = {"dataset", "dataset not found", ACCESS_READ_DATA},
    [API_AUDIT] = {"audit", "audit not found", ACCESS_SEE},
    [API_ORG] = {"org", "organization not found", 0},
    [API_COURSE] = {"course", "course not found", 0},
    [API_EXAM] = {"exam", "exam attempt not found", 0},
    [API_PAYOUT] = {"payout", "payout not found", 0},
    [API_ENDPOINT] = {"endpoint", "endpoint not found", 0},
    [API_JOB] = {"job", "job not found", 0},
    [API_MODEL] = {"model", "model not found", 0},
};

const char *const api_roles[] = {"anonymous", "outsider", "worker", "reviewer", "engineer",
				 "manager",   "owner",	  "admin",  NULL};
const char *const api_relations[] = {"own", "same_org", "other_org", NULL};

static const char *const right_names[] = {"see", "label", "review", "read_data", "manage"};

static bool in_project(int object)
{
	return object >= API_PROJECT && object <= API_AUDIT;
}

/* ---- at dispatch ---- */

static int missing(http_request *r)
{
	return http_fail(r, CL_ENOTFOUND, NULL, "%s", kinds[r->route->object].missing);
}

/* Loads project `id` with the caller's roles and rights into s. */
static int load_project(http_request *r, api_scope *s, int64_t id)
{
	if (project_get_for(&api_app(r)->store, id, r->user.id, &s->project, s->org_role,
			    s->member_role))
		return missing(r);
	s->rights = access_project(r->user.is_admin, s->org_role[0] ? s->org_role : NULL,
				   s->member_role[0] ? s->member_role : NULL, s->project.is_public,
				   s->project.status);
	return 0;
}

/* Whether the caller owns the object in the sense of API_OWN. */
static bool owns(const http_request *r, const api_scope *s)
{
	int64_t me = r->user.id;
	switch (r->route->object) {
	case API_TASK: return s->task.worker_id == me || s->task.reviewer_id == me;
	case API_DATASET: return json_integer_value(json_object_get(s->object, "created_by")) == me;
	case API_COURSE: return r->user.is_admin || s->project.org_id == me; /* the author */
	default: return false;
	}
}

/* The project rights the route declares, against the caller's: 404 when the object is not
 * visible to the caller, 403 (404 with API_HIDE) when a right is missing. */
static int check_rights(http_request *r, const api_scope *s)
{
	unsigned acc = r->route->access, need = acc & RIGHTS_MASK;
	if (!(s->rights & kinds[r->route->object].visible))
		return missing(r);
	bool ok = (acc & API_ANY) ? (s->rights & need) != 0 : (s->rights & need) == need;
	if (!ok && (acc & API_OWN))
		ok = owns(r, s);
	if (ok)
		return 0;
	if (acc & API_HIDE)
		return missing(r);
	return http_fail(r, CL_EFORBIDDEN, NULL, "your role in this project does not allow this");
}

/* Loads the object the path names and the project it lies in. */
static int load_in_project(http_request *r, api_scope *s)
{
	db *d = api_app(r)->db;
	int64_t id = r->ids[0], project_id = 0;
	int rc;
	switch (r->route->object) {
	case API_PROJECT: return load_project(r, s, id);
	case API_TASK:
		if (api_app(r)->store.ops->task_ref(d, id, &s->task))
			return missing(r);
		project_id = s->task.project_id;
		break;
	case API_TASK_FACTS:
	case API_TASK_ITEM:
		rc = api_app(r)->store.ops->task_facts(d, id, r->route->object == API_TASK_ITEM,
						    &s->facts);
		if (rc)
			return rc == CL_ENOTFOUND ? missing(r) : rc;
		project_id = s->facts.project_id;
		break;
	case API_ITEM: s->object = store_item_get(d, id, &project_id); break;
	case API_DATASET: s->object = store_dataset_get(d, id, &project_id); break;
	case API_AUDIT: s->object = store_audit_get(d, id, &project_id); break;
	}
	if (!project_id)
		return missing(r);
	return load_project(r, s, project_id);
}

/* The org role the route asks for (API_ORG_OWNER, API_ORG_ENGINEER), against the caller's. */
static int check_org_role(http_request *r, const api_scope *s)
{
	unsigned acc = r->route->access;
	if (r->user.is_admin)
		return 0;
	if ((acc & API_ORG_OWNER) && strcmp(s->org_role, "owner"))
		return http_fail(r, CL_EFORBIDDEN, NULL,
				 "only an owner of the organization may do this");
	if ((acc & API_ORG_ENGINEER) && strcmp(s->org_role, "owner") &&
	    strcmp(s->org_role, "engineer"))
		return http_fail(r, CL_EFORBIDDEN, NULL,
				 "only the organization's owners and engineers may do this");
	return 0;
}

/* Whether an org role runs jobs, manages models and endpoints. */
static bool ml_role(const char *org_role)
{
	return org_role && (!strcmp(org_role, "owner") || !strcmp(org_role, "engineer"));
}

static int load_org(http_request *r, api_scope *s)
{
	db *d = api_app(r)->db;
	s->object = store_org_get(d, r->ids[0]);
	bool member = s->object && !store_org_role(d, r->ids[0], r->user.id, s->org_role);
	if (!s->object || (!member && !r->user.is_admin))
		return missing(r);
	s->org_id = r->ids[0];
	return check_org_role(r, s);
}

/* An endpoint is its org's: members see it, the route's org role may act on it. */
static int load_endpoint(http_request *r, api_scope *s)
{
	db *d = api_app(r)->db;
	s->object = store_endpoint_get(d, r->ids[0], &s->org_id);
	bool member = s->object && !store_org_role(d, s->org_id, r->user.id, s->org_role);
	if (!s->object || (!member && !r->user.is_admin))
		return missing(r);
	return check_org_role(r, s);
}

/* A job or a model: its org's owners and engineers (and administrators) reach it; another
 * org's answers 404. The org's id is left in s->project.org_id for the handler. */
static int load_org_object(http_request *r, api_scope *s)
{
	db *d = api_app(r)->db;
	int64_t org = r->route->object == API_JOB ? store_job_org(d, r->ids[0])
						  : store_model_org(d, r->ids[0]);
	bool member = org && !store_org_role(d, org, r->user.id, s->org_role);
	if (!org || (!member && !r->user.is_admin))
		return missing(r);
	s->project.org_id = org;
	if (r->user.is_admin || ml_role(s->org_role))
		return 0;
	if (r->route->access & API_HIDE)
		return missing(r);
	return http_fail(r, CL_EFORBIDDEN, NULL, "only the org's owners and engineers may do this");
}

/* A run's token reaches the routes that take it, on its own job only. */
static int run_token_check(http_request *r)
{
	const route *rt = r->route;
	if ((rt->access & API_RUN_TOKEN) && rt->object == API_JOB && r->ids[0] == r->user.job_id)
		return 0;
	/* A route naming its run in the body or query (MLflow's): the handler confines the token
	 * to its own run. */
	if ((rt->access & API_RUN_TOKEN) && rt->object == API_NONE && (rt->access & API_BODY))
		return 0;
	return http_fail(r, CL_EFORBIDDEN, "run_token",
			 "a run's token logs into its own run only");
}

static int load_course(http_request *r, api_scope *s)
{
	if (store_course_project(api_app(r)->db, r->ids[0], &s->project))
		return missing(r);
	if ((r->route->access & API_OWN) && !owns(r, s))
		return http_fail(r, CL_EFORBIDDEN, NULL,
				 "only the course's author or an admin may do "
				 "this");
	return 0;
}

static int load_exam(http_request *r, api_scope *s)
{
	int64_t user = 0;
	if (store_exam_attempt(api_app(r)->db, r->ids[0], &user, &s->course_id, &s->finished) ||
	    user != r->user.id)
		return missing(r);
	return 0;
}

/* A scope zeroed but for its project, which the routes of an object in a project read whole
 * (project_get_for) and the others start from its defaults: every request zeroes less. */
static api_scope *scope_new(const route *rt)
{
	api_scope *s = malloc(sizeof *s);
	if (!s)
		return NULL;
	memset(s, 0, offsetof(api_scope, project));
	project_own_nothing(&s->project);
	if ((rt->access & API_KEY) || !in_project(rt->object))
		project_init(&s->project);
	return s;
}

int api_authorize(http_request *r)
{
	const route *rt = r->route;
	unsigned acc = rt->access;
	if (acc & API_PUBLIC)
		return 0;
	if (!acc)
		return http_fail(r, CL_EINTERNAL, NULL, "the route declares no access");
	if (r->user.job_id)
		return run_token_check(r);
	if (acc & API_ADMIN)
		return r->user.is_admin
			   ? 0
			   : http_fail(r, CL_EFORBIDDEN, NULL, "this route is for administrators");
	if ((acc & API_STAFF) && !r->user.is_admin &&
	    !store_user_manages_any_org(api_app(r)->db, r->user.id))
		return http_fail(r, CL_EFORBIDDEN, NULL,
				 "only administrators and the owners and managers of an org may "
				 "do this");
	if (rt->object == API_NONE && !(acc & API_KEY))
		return 0;
	api_scope *s = scope_new(rt);
	if (!s)
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	r->scope = s;
	if (acc & API_KEY)
		return api_key_authorize(r, s);
	switch (rt->object) {
	case API_ORG: return load_org(r, s);
	case API_ENDPOINT: return load_endpoint(r, s);
	case API_COURSE: return load_course(r, s);
	case API_EXAM: return load_exam(r, s);
	case API_JOB:
	case API_MODEL: return load_org_object(r, s);
	default: break;
	}
	int rc = load_in_project(r, s);
	return rc ? rc : check_rights(r, s);
}

void api_release(http_request *r)
{
	api_scope *s = r->scope;
	project_release(&s->project);
	task_facts_release(&s->facts);
	json_decref(s->object);
	free(s);
	r->scope = NULL;
}

/* ---- from the declaration alone: documents and tests ---- */

/* A role's org role and project member role in a relation to the object's project or org. */
static void role_in(const char *role, const char *relation, const char **org_role,
		    const char **member_role)
{
	*org_role = *member_role = NULL;
	if (!strcmp(relation, "other_org"))
		return;
	if (!strcmp(role, "engineer") || !strcmp(role, "manager") || !strcmp(role, "owner"))
		*org_role = role;
	else if (!strcmp(relation, "own") && (!strcmp(role, "worker") || !strcmp(role, "reviewer")))
		*member_role = role;
}

/* Of a role in a relation, on a route whose object lies in a project (not its owner). */
static int project_verdict(const route *rt, bool admin, const char *org_role,
			   const char *member_role)
{
	unsigned acc = rt->access, need = acc & RIGHTS_MASK;
	unsigned rights = access_project(admin, org_role, member_role, false, "open");
	if (!(rights & kinds[rt->object].visible))
		return 404;
	bool ok = (acc & API_ANY) ? (rights & need) != 0 : (rights & need) == need;
	return ok ? 0 : (acc & API_HIDE) ? 404 : 403;
}

int api_access_verdict(const route *rt, const char *role, const char *relation)
{
	unsigned acc = rt->access;
	bool admin = !strcmp(role, "admin");
	const char *org_role, *member_role;
	role_in(role, relation, &org_role, &member_role);
	if (acc & API_PUBLIC)
		return 0;
	/* A session is not an endpoint key; where a member's session may call, the path names an
	 * endpoint of the caller's org by name, and no one else's finds one. */
	if (!strcmp(role, "anonymous") || !acc || ((acc & API_KEY) && !(acc & API_MEMBER_SESSION)))
		return 401;
	if (acc & API_KEY)
		return org_role ? 0 : 404;
	if (acc & API_ADMIN)
		return admin ? 0 : 403;
	if ((acc & API_STAFF) && !admin && strcmp(role, "owner") && strcmp(role, "manager"))
		return 403;
	switch (rt->object) {
	case API_NONE:
	case API_PAYOUT: return 0;
	case API_ORG:
	case API_ENDPOINT:
		if (!admin && !org_role)
			return 404;
		if ((acc & API_ORG_ENGINEER) && !admin && strcmp(org_role, "owner") &&
		    strcmp(org_role, "engineer"))
			return 403;
		return (acc & API_ORG_OWNER) && !admin && strcmp(org_role, "owner") ? 403 : 0;
	case API_JOB:
	case API_MODEL:
		if (!admin && !org_role)
			return 404;
		return admin || ml_role(org_role) ? 0 : (acc & API_HIDE) ? 404 : 403;
	case API_COURSE: return (acc & API_OWN) && !admin ? 403 : 0;
	case API_EXAM: return 404; /* someone else's attempt: its taker's own is theirs alone */
	default: return project_verdict(rt, admin, org_role, member_role);
	}
}

const char *api_object_name(const route *rt)
{
	return rt->object >= 0 && rt->object < API_OBJECT_COUNT ? kinds[rt->object].name : "?";
}

/* "see", "label or review": the rights in `mask`. */
static size_t rights_words(unsigned mask, const char *join, char *out, size_t size)
{
	size_t n = 0;
	for (unsigned i = 0; i < 5; i++)
		if (mask & (1u << i))
			n += (size_t)snprintf(out + n, n < size ? size - n : 0, "%s%s",
					      n ? join : "", right_names[i]);
	return n;
}

void api_access_words(const route *rt, char *out, size_t size)
{
	unsigned acc = rt->access;
	size_t n = 0;
#define SAY(...) (n += (size_t)snprintf(out + n, n < size ? size - n : 0, __VA_ARGS__))
	out[0] = '\0';
	if (acc & API_PUBLIC)
		SAY("public");
	else if (acc & API_ADMIN)
		SAY("administrators");
	else if (acc & API_STAFF)
		SAY("administrators, org owners and managers");
	else if (acc & API_ORG_OWNER)
		SAY("org owners");
	else if (acc & API_ORG_ENGINEER)
		SAY("org owners and engineers");
	else if (acc & API_KEY)
		SAY("an endpoint's API key%s",
		    (acc & API_MEMBER_SESSION) ? ", or a session of a member of its org" : "");
	else if (acc & API_ORG_MEMBER)
		SAY("org members");
	else if (in_project(rt->object) && (acc & RIGHTS_MASK))
		n += rights_words(acc & RIGHTS_MASK, (acc & API_ANY) ? " or " : " and ", out, size);
	else if (in_project(rt->object) && (acc & API_USER))
		n += rights_words(kinds[rt->object].visible, " or ", out, size);
	else if (acc & API_USER)
		SAY("signed in");
	if (acc & API_OWN)
		SAY("%s%s", n ? ", or " : "",
		    rt->object == API_COURSE ? "its author or an administrator" : "its own");
	if (!n)
		SAY("nothing declared");
	if (acc & API_RUN_TOKEN)
		SAY(", or the run's own token");
	if (acc & API_HIDE)
		SAY("; else 404");
	if (acc & API_BODY)
		SAY("; the handler checks what the body names");
#undef SAY
}

json_t *api_access_json(const route *rt)
{
	unsigned acc = rt->access;
	char words[160];
	api_access_words(rt, words, sizeof words);
	json_t *need = json_array();
	for (unsigned i = 0; i < 5; i++)
		if (acc & (1u << i))
			json_array_append_new(need, json_string(right_names[i]));
	json_t *answers = json_object();
	for (const char *const *rel = api_relations; *rel; rel++) {
		json_t *by_role = json_object();
		for (const char *const *role = api_roles; *role; role++) {
			int v = api_access_verdict(rt, *role, *rel);
			json_object_set_new(by_role, *role,
					    v ? json_integer(v) : json_string("allow"));
		}
		json_object_set_new(answers, *rel, by_role);
	}
	return json_pack("{s:s,s:s,s:o,s:b,s:b,s:b,s:o}", "object", api_object_name(rt), "access",
			 words, "rights", need, "any", (acc & API_ANY) != 0, "own",
			 (acc & API_OWN) != 0, "body", (acc & API_BODY) != 0, "answers", answers);
}

void api_permissions_markdown(buf *out)
{
	buf_puts(out,
		 "# Permissions\n\n"
		 "Made from the route table (`src/api/routes.c`) by `crowdloop permissions`; "
		 "a unit test fails when this file differs from what it prints.\n\n"
		 "Each route declares the object its path names and the access it needs. Before "
		 "any handler runs, the server loads that object and answers 401 without "
		 "credentials, 404 when the object is missing or the caller may not see it (an "
		 "object of another tenant is answered exactly as a missing one), and 403 when "
		 "the caller sees it but their role is too low. The table gives each role's "
		 "answer on an object of its own project or org: ✓ is allowed (the request can "
		 "still fail on its content or state). In another project of the same org a "
		 "worker or reviewer is answered as an outsider; in another org everyone but an "
		 "administrator is. \"Its own\" lets a task's worker or reviewer, a dataset's "
		 "creator or an exam's taker in as well; the table shows what everyone else "
		 "gets (a task held by another, another's dataset, course or exam attempt). "
		 "✓† is allowed by the table, after which the handler checks the caller's "
		 "role on what the body names (the org a project is made in, the project "
		 "gold is copied from) and may answer 403 or 404.\n\n");
	buf_puts(out, "| route | object | access |");
	for (const char *const *role = api_roles; *role; role++)
		buf_printf(out, " %s |", *role);
	buf_puts(out, "\n|---|---|---|");
	for (const char *const *role = api_roles; *role; role++)
		buf_puts(out, "---|");
	buf_puts(out, "\n");
	for (size_t i = 0; i < api_routes_count; i++) {
		const route *rt = &api_routes[i];
		char words[160];
		api_access_words(rt, words, sizeof words);
		buf_printf(out, "| `%s %s` | %s | %s |", rt->method, rt->pattern,
			   api_object_name(rt), words);
		for (const char *const *role = api_roles; *role; role++) {
			int v = api_access_verdict(rt, *role, "own");
			if (v)
				buf_printf(out, " %d |", v);
			else
				buf_puts(out, (rt->access & API_BODY) ? " ✓† |" : " ✓ |");
		}
		buf_puts(out, "\n");
	}
}
