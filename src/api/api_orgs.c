/* Organizations (the clients) and their members. */
#include "api/api.h"

#include <ctype.h>
#include <string.h>

int api_orgs_create(http_request *r)
{
	json_t *body = NULL, *org = NULL;
	const char *currency = "KRW";
	int rc = http_body_json(r, &body);
	const char *name = json_string_value(json_object_get(body, "name"));
	if (!rc && (!*name || strlen(name) > 200))
		rc = http_fail(r, CL_EINVAL, NULL, "\"name\" must be 1 to 200 characters");
	if (!rc && json_object_get(body, "currency")) {
		currency = json_string_value(json_object_get(body, "currency"));
		bool ok = strlen(currency) == 3;
		for (int i = 0; ok && i < 3; i++)
			ok = isupper((unsigned char)currency[i]);
		if (!ok)
			rc = http_fail(r, CL_EINVAL, NULL,
				       "\"currency\" must be an ISO 4217 code such as KRW or USD");
	}
	if (!rc)
		rc = store_org_create(api_app(r)->db, name, currency, &org, &r->err);
	if (!rc)
		http_json(r, 201, org);
	json_decref(body);
	return rc;
}

int api_orgs_list(http_request *r)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		http_json_page(
		    r, store_orgs_list(api_app(r)->db, &r->user, cursor, limit, desc, &next),
		    &next);
	return rc;
}

int api_orgs_get(http_request *r)
{
	http_json(r, 200, json_incref(api_scope_of(r)->object));
	return 0;
}

/* {"user_id": N} or {"username": "..."} -> the id; 404 when no such user. */
static int member_user(http_request *r, const json_t *body, int64_t *user_id)
{
	json_t *id = json_object_get(body, "user_id");
	json_t *name = json_object_get(body, "username");
	if (id) {
		if (json_integer_value(id) <= 0)
			return http_fail(r, CL_EINVAL, NULL, "\"user_id\" must be a positive integer");
		*user_id = json_integer_value(id);
		json_t *u = store_user_get(api_app(r)->db, *user_id);
		if (!u)
			return http_fail(r, CL_ENOTFOUND, "user_not_found", "no such user");
		json_decref(u);
		return 0;
	}
	if (!name)
		return http_fail(r, CL_EINVAL, NULL, "give \"user_id\" or \"username\"");
	if (store_user_id(api_app(r)->db, json_string_value(name), user_id))
		return http_fail(r, CL_ENOTFOUND, "user_not_found", "no such user");
	return 0;
}

/* Shared by org and project membership routes: parses {user_id|username, role}. */
int api_member_body(http_request *r, json_t **body, int64_t *user_id, const char **role)
{
	int rc = http_body_json(r, body);
	*role = json_string_value(json_object_get(*body, "role"));
	return rc ? rc : member_user(r, *body, user_id);
}

int api_orgs_member_add(http_request *r)
{
	json_t *body = NULL;
	int64_t user_id;
	const char *role;
	int rc = api_member_body(r, &body, &user_id, &role);
	if (!rc)
		rc = store_org_member_set(api_app(r)->db, r->ids[0], user_id, role, &r->err);
	if (!rc)
		http_json(r, 201, json_pack("{s:I,s:I,s:s}", "org_id", (json_int_t)r->ids[0],
					    "user_id", (json_int_t)user_id, "role", role));
	json_decref(body);
	return rc;
}

int api_orgs_members(http_request *r)
{
	return api_list_page(r, store_org_members, r->ids[0]);
}
