/* Who may do what in a project, from the caller's roles: the one place the permission rules
 * live. Pure, so every rule is unit-tested. */
#ifndef CROWDLOOP_CORE_ACCESS_H
#define CROWDLOOP_CORE_ACCESS_H

#include <stdbool.h>

enum access_right {
	ACCESS_SEE = 1 << 0,       /* read the project's settings */
	ACCESS_LABEL = 1 << 1,     /* claim and submit tasks */
	ACCESS_REVIEW = 1 << 2,    /* claim and decide reviews */
	ACCESS_READ_DATA = 1 << 3, /* list items and tasks, stats, export */
	ACCESS_MANAGE = 1 << 4,    /* edit, import, invite, resolve escalations */
};

/* The rights of a caller: `org_role` is "owner", "manager", "engineer" or NULL (not in the
 * project's org); `member_role` is "worker", "reviewer" or NULL; a public project that is open
 * or paused lets anyone see and label it. */
unsigned access_project(bool is_admin, const char *org_role, const char *member_role,
			bool is_public, const char *status);

/* The name of the strongest role, for `my_role` in answers. */
const char *access_role_name(bool is_admin, const char *org_role, const char *member_role);

#endif
