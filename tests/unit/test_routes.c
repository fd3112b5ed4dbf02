/* The route table: every route declares the object its path names and the access it needs, the
 * declaration is one dispatch can check, and docs/PERMISSIONS.md is what the table makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"

#define RIGHTS (ACCESS_SEE | ACCESS_LABEL | ACCESS_REVIEW | ACCESS_READ_DATA | ACCESS_MANAGE)
#define ROLE_KINDS                                                                                 \
	(API_PUBLIC | API_USER | API_ADMIN | API_STAFF | API_ORG_MEMBER | API_ORG_OWNER |          \
	 API_ORG_ENGINEER | API_KEY)

static bool in_project(int object)
{
	return object >= API_PROJECT && object <= API_AUDIT;
}

static int count_ids(const char *pattern)
{
	int n = 0;
	for (const char *p = pattern; (p = strchr(p, '{')); p++)
		n++;
	return n;
}

/* A route added without a declared access, or with one dispatch cannot check, fails here. */
static void test_every_route_declares_its_access(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_routes_count; i++) {
		const route *rt = &api_routes[i];
		unsigned acc = rt->access, kinds = acc & ROLE_KINDS;
		char what[160];
		snprintf(what, sizeof what, "%s %s", rt->method, rt->pattern);
		if (!acc)
			fail_msg("%s declares no access", what);
		if (rt->object < API_NONE || rt->object >= API_OBJECT_COUNT)
			fail_msg("%s names an unknown object", what);
		/* One kind of caller, or project rights on an object that lies in a project. */
		if (kinds & (kinds - 1))
			fail_msg("%s declares more than one kind of caller", what);
		if ((acc & RIGHTS) && !in_project(rt->object))
			fail_msg("%s needs project rights on an object outside a project", what);
		if (in_project(rt->object) && !(acc & RIGHTS) && !(acc & API_USER))
			fail_msg("%s names an object in a project without saying who sees it",
				 what);
		if ((acc & RIGHTS) && kinds)
			fail_msg("%s declares project rights and a kind of caller", what);
		if (!kinds && !(acc & RIGHTS) && !((acc & API_OWN) && rt->object != API_NONE))
			fail_msg("%s declares modifiers only", what);
		/* Authentication is http's (ROUTE_PUBLIC), the access the application's: they
		 * agree. An endpoint key is no session: authorize checks it. */
		if (!(acc & (API_PUBLIC | API_KEY)) != !(rt->flags & ROUTE_PUBLIC))
			fail_msg("%s: ROUTE_PUBLIC and API_PUBLIC disagree", what);
		/* The object is the path's first id. */
		bool needs_id = rt->object != API_NONE;
		if (needs_id && !count_ids(rt->pattern))
			fail_msg("%s names an object but its path has no id", what);
		/* A key route's path names its object through the key. */
		if (!needs_id && count_ids(rt->pattern) && !(acc & (API_ADMIN | API_PUBLIC | API_KEY)))
			fail_msg("%s has an id in its path but names no object", what);
	}
}

/* Every role's answer comes from the declaration: anonymous callers 401 on every route that
 * is not public, admins pass every route but another's exam, outsiders never see an object. */
static void test_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < api_routes_count; i++) {
		const route *rt = &api_routes[i];
		bool pub = rt->access & API_PUBLIC;
		for (const char *const *rel = api_relations; *rel; rel++) {
			assert_int_equal(api_access_verdict(rt, "anonymous", *rel), pub ? 0 : 401);
			int admin = api_access_verdict(rt, "admin", *rel);
			/* A key route takes no session, an administrator's neither; one that takes a
			 * member's session finds no endpoint of that name in an org not one's own. */
			bool member_session = rt->access & API_MEMBER_SESSION;
			assert_int_equal(admin, rt->object == API_EXAM	  ? 404
						: member_session	  ? 404
						: (rt->access & API_KEY) ? 401
									 : 0);
			int outsider = api_access_verdict(rt, "outsider", *rel);
			if (in_project(rt->object) || rt->object == API_ORG ||
			    rt->object == API_ENDPOINT || rt->object == API_EXAM)
				assert_true(outsider == 404 || outsider == 403);
			if (in_project(rt->object) && !(rt->access & API_ADMIN))
				assert_int_equal(outsider, 404);
			for (const char *const *role = api_roles; *role; role++) {
				int v = api_access_verdict(rt, *role, *rel);
				assert_true(v == 0 || v == 401 || v == 403 || v == 404);
				/* In another org, a non-admin is an outsider. */
				if (!strcmp(*rel, "other_org") && strcmp(*role, "admin") &&
				    strcmp(*role, "anonymous") && !(rt->access & API_ADMIN) &&
				    (in_project(rt->object) || rt->object == API_ORG ||
				     rt->object == API_ENDPOINT))
					assert_int_equal(v, 404);
			}
		}
	}
}

static const route *find(const char *method, const char *pattern)
{
	for (size_t i = 0; i < api_routes_count; i++)
		if (!strcmp(api_routes[i].method, method) &&
		    !strcmp(api_routes[i].pattern, pattern))
			return &api_routes[i];
	fail_msg("no route %s %s", method, pattern);
	return NULL;
}

/* A few answers spelled out, as docs/API.md states them. */
static void test_known_answers(void **state)
{
	(void)state;
	const route *patch = find("PATCH", "/api/v1/projects/{id}");
	assert_int_equal(api_access_verdict(patch, "worker", "own"), 403);
	assert_int_equal(api_access_verdict(patch, "engineer", "own"), 403);
	assert_int_equal(api_access_verdict(patch, "manager", "own"), 0);
	assert_int_equal(api_access_verdict(patch, "manager", "other_org"), 404);
	assert_int_equal(api_access_verdict(patch, "worker", "same_org"), 404);
	const route *next = find("POST", "/api/v1/projects/{id}/reviews/next");
	assert_int_equal(api_access_verdict(next, "worker", "own"), 403);
	assert_int_equal(api_access_verdict(next, "reviewer", "own"), 0);
	assert_int_equal(api_access_verdict(next, "engineer", "own"), 403);
	const route *task = find("GET", "/api/v1/tasks/{id}");
	assert_int_equal(api_access_verdict(task, "worker", "own"), 404);
	assert_int_equal(api_access_verdict(task, "engineer", "own"), 0);
	/* A worker reads an item only through a task of theirs (owns), never by id alone. */
	const route *item = find("GET", "/api/v1/items/{id}");
	assert_int_equal(api_access_verdict(item, "worker", "own"), 404);
	assert_int_equal(api_access_verdict(item, "engineer", "own"), 0);
	assert_int_equal(api_access_verdict(item, "worker", "same_org"), 404);
	const route *members = find("GET", "/api/v1/projects/{id}/members");
	assert_int_equal(api_access_verdict(members, "worker", "own"), 403);
	assert_int_equal(api_access_verdict(members, "reviewer", "own"), 0);
	assert_int_equal(api_access_verdict(members, "engineer", "own"), 0);
	const route *org = find("POST", "/api/v1/orgs/{id}/members");
	assert_int_equal(api_access_verdict(org, "manager", "own"), 403);
	assert_int_equal(api_access_verdict(org, "owner", "own"), 0);
	assert_int_equal(api_access_verdict(org, "worker", "own"), 404);
	/* Endpoints are their org's owners' and engineers'. */
	const route *ep = find("PATCH", "/api/v1/endpoints/{id}");
	assert_int_equal(api_access_verdict(ep, "engineer", "own"), 0);
	assert_int_equal(api_access_verdict(ep, "owner", "own"), 0);
	assert_int_equal(api_access_verdict(ep, "manager", "own"), 403);
	assert_int_equal(api_access_verdict(ep, "worker", "own"), 404);
	assert_int_equal(api_access_verdict(ep, "engineer", "other_org"), 404);
	/* Calling one takes its key, or a session of a member of its org. */
	const route *infer = find("POST", "/v2/models/{name}/infer");
	assert_int_equal(api_access_verdict(infer, "owner", "own"), 0);
	assert_int_equal(api_access_verdict(infer, "engineer", "same_org"), 0);
	assert_int_equal(api_access_verdict(infer, "manager", "own"), 0);
	assert_int_equal(api_access_verdict(infer, "owner", "other_org"), 404);
	assert_int_equal(api_access_verdict(infer, "worker", "own"), 404);
	assert_int_equal(api_access_verdict(infer, "anonymous", "own"), 401);
	const route *feedback = find("POST", "/api/v1/predictions/{id}/feedback");
	assert_int_equal(api_access_verdict(feedback, "owner", "own"), 401);
	const route *users = find("GET", "/api/v1/users");
	assert_int_equal(api_access_verdict(users, "owner", "own"), 403);
}

/* docs/PERMISSIONS.md is what `crowdloop permissions` prints. */
static void test_permissions_document_is_current(void **state)
{
	(void)state;
	buf want;
	buf_init(&want, 0);
	api_permissions_markdown(&want);
	char path[4096];
	snprintf(path, sizeof path, "%s/docs/PERMISSIONS.md", CROWDLOOP_SOURCE_DIR);
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("%s is missing: crowdloop permissions > docs/PERMISSIONS.md", path);
	buf got;
	buf_init(&got, 0);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&got, chunk, n);
	fclose(f);
	if (got.len != want.len || memcmp(got.data, want.data, want.len))
		fail_msg("docs/PERMISSIONS.md differs from the route table: run "
			 "`crowdloop permissions > docs/PERMISSIONS.md`");
	buf_release(&got);
	buf_release(&want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_route_declares_its_access),
	    cmocka_unit_test(test_verdicts),
	    cmocka_unit_test(test_known_answers),
	    cmocka_unit_test(test_permissions_document_is_current),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
