/* Projects: create, list, read, change settings, members. */
#include "api/api.h"
#include "core/project_change.h"
#include "core/project_load.h"
#include "core/task_desk.h"
#include "store/store_endpoints.h"

#include <string.h>

/* A transcription project's pre-fill endpoint must be one of its org's endpoints. */
static int prefill_endpoint_check(http_request *r, const project *p)
{
	const char *name = p->llm.prefill_endpoint;
	endpoint_row e = {0};
	if (!name[0])
		return 0;
	if (store_endpoint_by_name(api_app(r)->db, p->org_id, name, &e))
		return http_fail(r, CL_EINVAL, NULL,
				 "prefill_endpoint \"%s\" is not an endpoint of the project's org",
				 name);
	endpoint_row_release(&e);
	return 0;
}

int api_projects_create(http_request *r)
{
	app *a = api_app(r);
	json_t *body = NULL;
	project p;
	project_init(&p);
	int rc = http_body_json(r, &body);
	if (rc)
		goto out;
	p.org_id = json_integer_value(json_object_get(body, "org_id"));
	if (p.org_id <= 0) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"org_id\" must be a positive integer");
		goto out;
	}
	char role[16];
	if (!r->user.is_admin) {
		if (store_org_role(a->db, p.org_id, r->user.id, role)) {
			rc = http_fail(r, CL_ENOTFOUND, NULL, "organization not found");
			goto out;
		}
		if (strcmp(role, "owner") && strcmp(role, "manager")) {
			rc = http_fail(r, CL_EFORBIDDEN, NULL,
				       "only an owner or manager may create projects");
			goto out;
		}
	}
	rc = project_apply_json(&p, body, true, &r->err);
	if (!rc)
		rc = prefill_endpoint_check(r, &p);
	if (!rc)
		rc = project_create(&a->store, &p, &r->err);
	if (!rc) {
		json_t *o = project_to_json(&p);
		json_object_set_new(o, "my_role", json_string(r->user.is_admin ? "admin" : role));
		http_json(r, 201, o);
	}
out:
	project_release(&p);
	json_decref(body);
	return rc;
}

/* Names the caller's strongest role in each project of a page (my_role), from the org and member
 * roles the store read, which the answer does not carry. */
static void my_roles(json_t *items, bool is_admin)
{
	size_t i;
	json_t *o;
	json_array_foreach(items, i, o)
	{
		const char *om = json_string_value(json_object_get(o, "org_role"));
		const char *pm = json_string_value(json_object_get(o, "member_role"));
		json_object_set_new(o, "my_role", json_string(access_role_name(is_admin, om, pm)));
		json_object_del(o, "org_role");
		json_object_del(o, "member_role");
	}
}

int api_projects_list(http_request *r)
{
	int64_t cursor, next, org_id;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		rc = http_query_id(r, "org_id", &org_id);
	if (rc)
		return rc;
	const char *status = http_query(r, "status"), *kind = http_query(r, "kind");
	static const char *const statuses[] = {"draft", "open", "paused", "closed"};
	if (status) {
		bool ok = false;
		for (size_t i = 0; i < 4 && !ok; i++)
			ok = !strcmp(status, statuses[i]);
		if (!ok)
			return http_fail(r, CL_EINVAL, NULL, "unknown status filter \"%.32s\"", status);
	}
	task_kind k;
	if (kind && task_kind_parse(kind, &k))
		return http_fail(r, CL_EINVAL, NULL, "unknown kind filter \"%.32s\"", kind);
	json_t *items = store_projects_list(api_app(r)->db, &r->user, status, kind, org_id, cursor,
					    limit, desc, project_row_json, &next);
	my_roles(items, r->user.is_admin);
	http_json_page(r, items, &next);
	return 0;
}

int api_projects_get(http_request *r)
{
	const api_scope *s = api_scope_of(r);
	json_t *o = project_to_json(&s->project);
	json_object_set_new(
	    o, "my_role",
	    json_string(access_role_name(r->user.is_admin, s->org_role[0] ? s->org_role : NULL,
					 s->member_role[0] ? s->member_role : NULL)));
	json_object_set_new(o, "can_review", json_boolean(s->rights & ACCESS_REVIEW));
	json_object_set_new(o, "can_manage", json_boolean(s->rights & ACCESS_MANAGE));
	http_json(r, 200, o);
	return 0;
}

int api_projects_patch(http_request *r)
{
	project *p = &api_scope_of(r)->project;
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (!rc)
		rc = project_apply_json(p, body, false, &r->err);
	if (!rc)
		rc = prefill_endpoint_check(r, p);
	if (!rc)
		rc = project_update(&api_app(r)->store, p, &r->err);
	if (!rc)
		http_json(r, 200, project_to_json(p));
	json_decref(body);
	return rc;
}

int api_projects_member_add(http_request *r)
{
	json_t *body = NULL;
	int64_t user_id;
	const char *role;
	int rc = api_member_body(r, &body, &user_id, &role);
	if (!rc)
		rc = store_project_member_set(api_app(r)->db, r->ids[0], user_id, role, &r->err);
	if (!rc)
		http_json(r, 201,
			  json_pack("{s:I,s:I,s:s}", "project_id", (json_int_t)r->ids[0], "user_id",
				    (json_int_t)user_id, "role", role));
	json_decref(body);
	return rc;
}

/* The member's leases in the project end with their membership (core/task_desk.c). */
int api_projects_member_remove(http_request *r)
{
	int rc = task_member_remove(&api_app(r)->store, r->ids[0], r->ids[1], r->user.id, &r->err);
	if (!rc)
		http_no_content(r);
	return rc;
}

/* Reviewers see who they review; workers do not see each other (routes.c). */
int api_projects_members(http_request *r)
{
	return api_list_page(r, store_project_members, r->ids[0]);
}
