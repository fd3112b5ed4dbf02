/* Matching over HTTP: open projects ranked for the calling worker, workers ranked for a
 * project's manager, each rank with the figures behind it, and the manager's invite. */
#include "api/api.h"
#include "store/store_quality.h"

int api_me_matches(http_request *r)
{
	http_json_page(r, store_matches_for_worker(api_app(r)->db, &r->user), NULL);
	return 0;
}

int api_projects_matches(http_request *r)
{
	http_json_page(r, store_matches_for_project(api_app(r)->db, &api_scope_of(r)->project),
		       NULL);
	return 0;
}

int api_projects_invite(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	json_t *id = json_object_get(body, "user_id");
	if (!rc && json_integer_value(id) <= 0)
		rc = http_fail(r, CL_EINVAL, NULL, "\"user_id\" must be a positive integer");
	json_t *u = NULL;
	if (!rc && !(u = store_user_get(api_app(r)->db, json_integer_value(id))))
		rc = http_fail(r, CL_ENOTFOUND, "user_not_found", "no such user");
	json_decref(u);
	char org_role[16], member_role[16];
	if (!rc) {
		store_project_roles(api_app(r)->db, p->id, p->org_id, json_integer_value(id),
				    org_role, member_role);
		/* An invite never lowers a reviewer to a worker. */
		if (!member_role[0])
			rc = store_project_member_set(api_app(r)->db, p->id, json_integer_value(id),
						      "worker", &r->err);
	}
	if (!rc)
		http_json(r, 201,
			  json_pack("{s:I,s:I,s:s}", "project_id", (json_int_t)p->id, "user_id",
				    (json_int_t)json_integer_value(id), "role",
				    member_role[0] ? member_role : "worker"));
	json_decref(body);
	return rc;
}
