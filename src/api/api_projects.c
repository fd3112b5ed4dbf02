/* Projects: create, list, read, change settings, members. */
#include "api/api.h"

#include <string.h>

int api_projects_create(http_request *r)
{
	app *a = api_app(r);
	json_t *body = NULL;
	project p;
	project_init(&p);
	int rc = http_body_json(r, &body);
	if (rc)
		goto out;
	json_t *org = json_object_get(body, "org_id");
	if (!json_is_integer(org) || json_integer_value(org) <= 0) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"org_id\" must be a positive integer");
		goto out;
	}
	p.org_id = json_integer_value(org);
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
	if (!json_object_get(body, "name") || !json_object_get(body, "kind") ||
	    !json_object_get(body, "labels")) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"name\", \"kind\" and \"labels\" are required");
		goto out;
	}
	rc = project_apply_json(&p, body, true, &r->err);
	if (!rc)
		rc = store_project_create(a->db, &p, &r->err);
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
					    limit, desc, &next);
	http_json_page(r, items, &next);
	return 0;
}

int api_projects_get(http_request *r)
{
	project p;
	project_init(&p);
	unsigned rights;
	int rc = api_project_access(r, r->ids[0], ACCESS_SEE, &p, &rights);
	if (!rc) {
		json_t *o = project_to_json(&p);
		char org_role[16], member_role[16];
		store_project_roles(api_app(r)->db, p.id, p.org_id, r->user.id, org_role,
				    member_role);
		json_object_set_new(o, "my_role",
				    json_string(access_role_name(r->user.is_admin,
								 org_role[0] ? org_role : NULL,
								 member_role[0] ? member_role : NULL)));
		json_object_set_new(o, "can_review", json_boolean(rights & ACCESS_REVIEW));
		json_object_set_new(o, "can_manage", json_boolean(rights & ACCESS_MANAGE));
		http_json(r, 200, o);
	}
	project_release(&p);
	return rc;
}

int api_projects_patch(http_request *r)
{
	project p;
	project_init(&p);
	json_t *body = NULL;
	int rc = api_project_access(r, r->ids[0], ACCESS_MANAGE, &p, NULL);
	if (!rc)
		rc = http_body_json(r, &body);
	if (!rc)
		rc = project_apply_json(&p, body, false, &r->err);
	if (!rc)
		rc = store_project_update(api_app(r)->db, &p, &r->err);
	if (!rc)
		http_json(r, 200, project_to_json(&p));
	json_decref(body);
	project_release(&p);
	return rc;
}

int api_projects_member_add(http_request *r)
{
	project p;
	project_init(&p);
	json_t *body = NULL;
	int64_t user_id;
	const char *role;
	int rc = api_project_access(r, r->ids[0], ACCESS_MANAGE, &p, NULL);
	if (!rc)
		rc = api_member_body(r, &body, &user_id, &role);
	if (!rc)
		rc = store_project_member_set(api_app(r)->db, p.id, user_id, role, &r->err);
	if (!rc)
		http_json(r, 201, json_pack("{s:I,s:I,s:s}", "project_id", (json_int_t)p.id,
					    "user_id", (json_int_t)user_id, "role", role));
	json_decref(body);
	project_release(&p);
	return rc;
}

int api_projects_members(http_request *r)
{
	project p;
	project_init(&p);
	unsigned rights = 0;
	/* Reviewers see who they review; workers do not see each other. */
	int rc = api_project_access(r, r->ids[0], 0, &p, &rights);
	if (!rc && !(rights & (ACCESS_READ_DATA | ACCESS_REVIEW)))
		rc = http_fail(r, CL_EFORBIDDEN, NULL, "your role in this project does not allow this");
	if (!rc)
		rc = api_list_page(r, store_project_members, p.id);
	project_release(&p);
	return rc;
}
