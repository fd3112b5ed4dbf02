/* Shared by the handlers: the access check of a project a body names, list pages, the
 * unknown-key check and the answer of a throttled request. */
#include "api/api.h"
#include "core/project_load.h"

#include <stdio.h>
#include <string.h>

int api_project_access(http_request *r, int64_t id, unsigned need, project *p, unsigned *rights)
{
	app *a = api_app(r);
	char org_role[16], member_role[16];
	if (project_get_for(&a->store, id, r->user.id, p, org_role, member_role))
		return http_fail(r, CL_ENOTFOUND, NULL, "project not found");
	unsigned got = access_project(r->user.is_admin, org_role[0] ? org_role : NULL,
				      member_role[0] ? member_role : NULL, p->is_public, p->status);
	if (rights)
		*rights = got;
	/* Someone who may not see the project learns nothing of it, not even that it exists. */
	if (!(got & ACCESS_SEE))
		return http_fail(r, CL_ENOTFOUND, NULL, "project not found");
	if ((got & need) != need)
		return http_fail(r, CL_EFORBIDDEN, NULL, "your role in this project does not allow this");
	return 0;
}

int api_only_keys(http_request *r, const json_t *o, const char *const *allowed)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		bool ok = false;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = !strcmp(*a, key);
		if (!ok)
			return http_fail(r, CL_EINVAL, "unknown_field", "unknown field \"%.64s\"", key);
	}
	return 0;
}

int api_my_page(http_request *r, api_my_list_fn list)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		http_json_page(r, list(api_app(r)->db, r->user.id, cursor, limit, &next), &next);
	return rc;
}

int api_list_page(http_request *r, api_list_fn list, int64_t owner)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		http_json_page(r, list(api_app(r)->db, owner, cursor, limit, desc, &next), &next);
	return rc;
}

int api_rate_limited(http_request *r, int64_t wait_ms, const char *message)
{
	http_json(r, cl_err_http_status(CL_ERATE),
		  http_error_body(r, CL_ERATE, cl_err_name(CL_ERATE), message));
	char secs[24];
	snprintf(secs, sizeof secs, "%lld", (long long)((wait_ms + 999) / 1000));
	http_header(r, "Retry-After", secs);
	return 0;
}
