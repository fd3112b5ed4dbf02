/* Project permission rules. */
#include "core/access.h"

#include <string.h>

static bool is(const char *a, const char *b)
{
	return a && !strcmp(a, b);
}

unsigned access_project(bool is_admin, const char *org_role, const char *member_role,
			bool is_public, const char *status)
{
	unsigned r = 0;
	if (is_admin || is(org_role, "owner") || is(org_role, "manager"))
		r |= ACCESS_SEE | ACCESS_LABEL | ACCESS_REVIEW | ACCESS_READ_DATA | ACCESS_MANAGE;
	if (is(org_role, "engineer"))
		r |= ACCESS_SEE | ACCESS_READ_DATA;
	if (is(member_role, "worker"))
		r |= ACCESS_SEE | ACCESS_LABEL;
	if (is(member_role, "reviewer"))
		r |= ACCESS_SEE | ACCESS_LABEL | ACCESS_REVIEW;
	if (is_public && (is(status, "open") || is(status, "paused")))
		r |= ACCESS_SEE | ACCESS_LABEL;
	return r;
}

const char *access_role_name(bool is_admin, const char *org_role, const char *member_role)
{
	if (is_admin)
		return "admin";
	if (org_role)
		return org_role;
	if (member_role)
		return member_role;
	return "worker";
}
