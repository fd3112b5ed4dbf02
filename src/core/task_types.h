/* The task's states and the actions between them, as plain types: the store's rows carry them,
 * and core/task.h holds the rules over them. */
#ifndef CROWDLOOP_CORE_TASK_TYPES_H
#define CROWDLOOP_CORE_TASK_TYPES_H

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
	TASK_CLAIM,	      /* open|rework -> assigned */
	TASK_SUBMIT,	      /* assigned -> submitted */
	TASK_RELEASE,	      /* assigned -> open */
	TASK_EXPIRE,	      /* assigned -> open (lease ran out) */
	TASK_REVIEW_CLAIM,    /* submitted -> in_review */
	TASK_REVIEW_EXPIRE,   /* in_review -> submitted */
	TASK_APPROVE,	      /* in_review -> approved */
	TASK_FIX,	      /* in_review -> approved, with the reviewer's edit */
	TASK_REJECT,	      /* in_review -> rework, or escalated when rounds ran out */
	TASK_AUTO_APPROVE,    /* submitted -> approved (sampled review skipped it) */
	TASK_RESOLVE_APPROVE, /* escalated -> approved, by a manager */
	TASK_DISCARD,	      /* escalated -> discarded, by a manager */
	TASK_REVOKE,	      /* assigned -> open, in_review -> submitted: a manager ends a lease */
	TASK_WITHDRAW,	      /* open|submitted|rework|escalated -> discarded, by a manager */
	TASK_PRIORITY,	      /* open|submitted|rework -> the same state, at a new priority */
	TASK_REOPEN,	      /* submitted -> assigned: its worker takes the submission back */
	TASK_REASSIGN,	      /* assigned|rework -> the same state, for another worker */
	TASK_REWORK_APPROVED, /* approved -> rework: a manager sends it back, its pay reversed */
	TASK_REVIEW_AGAIN,    /* approved -> submitted: a manager has it reviewed again, pay reversed */
	TASK_ACTION_COUNT
} task_action;

/* The states' names, as the API and the store spell them, in task_state order: a table, so the
 * store can write and read them without calling into core. */
static const char *const task_state_names[TASK_STATE_COUNT] __attribute__((unused)) = {
    "open", "assigned", "submitted", "in_review", "rework", "approved", "escalated", "discarded",
};

/* What a task answer carries besides the task's own fields: the answer to a state change is the
 * task alone; a claim also carries its item and project, a review claim also the history. */
typedef enum task_detail { TASK_BARE, TASK_WITH_ITEM, TASK_WITH_HISTORY } task_detail;

#endif
