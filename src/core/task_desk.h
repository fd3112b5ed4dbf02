/* The manager's desk: changes to many tasks at once from the task browser (end leases, take
 * tasks out of the work, change their priority), each an event the state machine allows, all
 * of one call in one transaction; and the removal of a project member, whose leases end with
 * it. */
#ifndef CROWDLOOP_CORE_TASK_DESK_H
#define CROWDLOOP_CORE_TASK_DESK_H

#include <stdint.h>

#include "store/ops.h"

/* The most tasks one bulk call may name. */
#define TASK_BULK_MAX 1000
/* The bounds of a task's priority. */
#define TASK_PRIORITY_MIN -1000000
#define TASK_PRIORITY_MAX 1000000

typedef enum task_bulk_action {
	TASK_BULK_RELEASE,  /* end the lease: assigned -> open, in_review -> submitted */
	TASK_BULK_DISCARD,  /* take out of the work: open, submitted, rework, escalated */
	TASK_BULK_PRIORITY, /* a new priority: open, submitted, rework */
	TASK_BULK_REASSIGN, /* to another worker of the project: assigned (a new lease), rework */
	TASK_BULK_REWORK,   /* approved -> rework with the reason, the worker's pay reversed */
	TASK_BULK_REVIEW_AGAIN, /* approved -> submitted for another reviewer, the pay reversed */
} task_bulk_action;

/* One bulk call: what to do to which tasks of which project, by whom. */
typedef struct task_bulk {
	int64_t project_id, user_id;
	task_bulk_action action;
	int priority;	    /* TASK_BULK_PRIORITY */
	int64_t worker_id;  /* TASK_BULK_REASSIGN: a member of the project */
	int lease_seconds;  /* TASK_BULK_REASSIGN: the project's lease */
	const char *reason; /* kept in each event; required by rework, review again */
	const int64_t *ids;
	int n;
} task_bulk;

/* What a bulk call did: how many tasks changed and, for each one left as it was, why (a new
 * array of {"id","code","message"}, owned by the caller). */
typedef struct task_bulk_result {
	int changed;
	json_t *skipped;
} task_bulk_result;

/* Parses an action's name ("release", "discard", "priority", "reassign", "rework",
 * "review_again"); -1 when unknown. */
int task_bulk_action_parse(const char *name, task_bulk_action *out);
/* Runs a bulk call in one transaction: tasks the action does not fit (their state, another
 * project's, missing; for a reassignment, an item the new worker has a slot of already; for a
 * rework or a review again, pay the worker no longer holds) are skipped and named, the rest
 * changed. CL_EINVAL (err set) when the call itself is wrong: too many tasks, a priority out of
 * bounds, a reason too long or missing for a rework or a review again, a new worker who is not
 * a member. */
int task_bulk_run(const store *s, const task_bulk *b, task_bulk_result *res, cl_error *err);

/* Removes `user_id` from project `project_id`'s members, by `actor`; their leases there end
 * first (the tasks go back to the queues) in the same transaction. CL_ENOTFOUND when they are
 * not a member. */
int task_member_remove(const store *s, int64_t project_id, int64_t user_id, int64_t actor,
		       cl_error *err);

#endif
