/* The task state machine as a table. */
#include "core/task.h"

#include <stdlib.h>
#include <string.h>

static const char *const action_events[TASK_ACTION_COUNT] = {
    "claim",   "submit",   "release",  "lease_expired", "review_claim",	   "review_lease_expired",
    "approve", "fix",	   "reject",   "auto_approve",	"resolve_approve", "discard",
    "revoke",  "withdraw", "priority", "reopen", "reassign", "rework_approved",
    "review_again",
};

const char *task_state_name(task_state s)
{
	return (unsigned)s < TASK_STATE_COUNT ? task_state_names[s] : "unknown";
}

int task_state_parse(const char *name, task_state *out)
{
	for (int i = 0; i < TASK_STATE_COUNT; i++)
		if (!strcmp(name, task_state_names[i])) {
			*out = (task_state)i;
			return 0;
		}
	return -1;
}

const char *task_action_event(task_action a)
{
	return (unsigned)a < TASK_ACTION_COUNT ? action_events[a] : "unknown";
}

bool task_state_live(task_state s)
{
	return s == TASK_ASSIGNED || s == TASK_SUBMITTED || s == TASK_IN_REVIEW ||
	       s == TASK_REWORK || s == TASK_ESCALATED;
}

/* The changes a manager makes to the work from the task browser, and a worker's taking back of
 * their submission: no lease is held by the one who makes them. */
static int manager_transition(task_state from, task_action a, task_state *to)
{
	switch (a) {
	case TASK_REVOKE:
		if (from != TASK_ASSIGNED && from != TASK_IN_REVIEW)
			return -1;
		*to = from == TASK_ASSIGNED ? TASK_OPEN : TASK_SUBMITTED;
		return 0;
	case TASK_WITHDRAW:
		if (from != TASK_OPEN && from != TASK_SUBMITTED && from != TASK_REWORK &&
		    from != TASK_ESCALATED)
			return -1;
		*to = TASK_DISCARDED;
		return 0;
	case TASK_PRIORITY:
		if (from != TASK_OPEN && from != TASK_SUBMITTED && from != TASK_REWORK)
			return -1;
		*to = from;
		return 0;
	case TASK_REOPEN:
		if (from != TASK_SUBMITTED)
			return -1;
		*to = TASK_ASSIGNED;
		return 0;
	case TASK_REASSIGN:
		if (from != TASK_ASSIGNED && from != TASK_REWORK)
			return -1;
		*to = from;
		return 0;
	case TASK_REWORK_APPROVED:
		if (from != TASK_APPROVED)
			return -1;
		*to = TASK_REWORK;
		return 0;
	case TASK_REVIEW_AGAIN:
		if (from != TASK_APPROVED)
			return -1;
		*to = TASK_SUBMITTED;
		return 0;
	default: return -1;
	}
}

int task_transition(task_state from, task_action a, bool rounds_exhausted, task_state *to)
{
	task_state next;
	switch (a) {
	case TASK_CLAIM:
		if (from != TASK_OPEN && from != TASK_REWORK)
			return -1;
		next = TASK_ASSIGNED;
		break;
	case TASK_SUBMIT:
		if (from != TASK_ASSIGNED)
			return -1;
		next = TASK_SUBMITTED;
		break;
	case TASK_RELEASE:
	case TASK_EXPIRE:
		if (from != TASK_ASSIGNED)
			return -1;
		next = TASK_OPEN;
		break;
	case TASK_REVIEW_CLAIM:
		if (from != TASK_SUBMITTED)
			return -1;
		next = TASK_IN_REVIEW;
		break;
	case TASK_REVIEW_EXPIRE:
		if (from != TASK_IN_REVIEW)
			return -1;
		next = TASK_SUBMITTED;
		break;
	case TASK_APPROVE:
	case TASK_FIX:
		if (from != TASK_IN_REVIEW)
			return -1;
		next = TASK_APPROVED;
		break;
	case TASK_REJECT:
		if (from != TASK_IN_REVIEW)
			return -1;
		next = rounds_exhausted ? TASK_ESCALATED : TASK_REWORK;
		break;
	case TASK_AUTO_APPROVE:
		if (from != TASK_SUBMITTED)
			return -1;
		next = TASK_APPROVED;
		break;
	case TASK_RESOLVE_APPROVE:
		if (from != TASK_ESCALATED)
			return -1;
		next = TASK_APPROVED;
		break;
	case TASK_DISCARD:
		if (from != TASK_ESCALATED)
			return -1;
		next = TASK_DISCARDED;
		break;
	default: return manager_transition(from, a, to);
	}
	*to = next;
	return 0;
}

void task_view_release(task_view *v)
{
	for (task_view_text *b = v->texts, *next; b; b = next) {
		next = b->next;
		free(b);
	}
	free(v->events);
	*v = (task_view){0};
}

void task_facts_release(task_facts *f)
{
	free(f->text);
	f->text = NULL;
}
