/* The task state machine of full review (DESIGN.md): which action leads from which state to
 * which, as a pure function the store consults before every transition. */
#ifndef CROWDLOOP_CORE_TASK_H
#define CROWDLOOP_CORE_TASK_H

#include <stdbool.h>

typedef enum task_state {
	TASK_OPEN,
	TASK_ASSIGNED,
	TASK_SUBMITTED,
	TASK_IN_REVIEW,
	TASK_REWORK,
	TASK_APPROVED,
	TASK_ESCALATED,
	TASK_DISCARDED,
	TASK_STATE_COUNT
} task_state;

typedef enum task_action {
	TASK_CLAIM,          /* open|rework -> assigned */
	TASK_SUBMIT,         /* assigned -> submitted */
	TASK_RELEASE,        /* assigned -> open */
	TASK_EXPIRE,         /* assigned -> open (lease ran out) */
	TASK_REVIEW_CLAIM,   /* submitted -> in_review */
	TASK_REVIEW_EXPIRE,  /* in_review -> submitted */
	TASK_APPROVE,        /* in_review -> approved */
	TASK_FIX,            /* in_review -> approved, with the reviewer's edit */
	TASK_REJECT,         /* in_review -> rework, or escalated when rounds ran out */
	TASK_AUTO_APPROVE,   /* submitted -> approved (sampled review skipped it) */
	TASK_RESOLVE_APPROVE,/* escalated -> approved, by a manager */
	TASK_DISCARD,        /* escalated -> discarded, by a manager */
	TASK_ACTION_COUNT
} task_action;

/* "open" <-> TASK_OPEN; parse returns -1 for an unknown name. */
const char *task_state_name(task_state s);
int task_state_parse(const char *name, task_state *out);
/* The event type an action writes ("claim", "review_claim", ...). */
const char *task_action_event(task_action a);

/* Whether a task in state `s` is work in progress that may still cost its price and review fees
 * (assigned, submitted, in review, rework, escalated): what a funded project's budget holds
 * money for. */
bool task_state_live(task_state s);

/* Sets *to to the state `a` leads to from `from` and returns 0, or returns -1 when the action is
 * not allowed there. `rounds_exhausted` (the task has had max_rounds submissions) turns a
 * reject into an escalation. */
int task_transition(task_state from, task_action a, bool rounds_exhausted, task_state *to);

#endif
