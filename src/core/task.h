/* The task state machine of full review (DESIGN.md): which action leads from which state to
 * which, as a pure function the store consults before every transition. */
#ifndef CROWDLOOP_CORE_TASK_H
#define CROWDLOOP_CORE_TASK_H

#include <stdbool.h>

#include "core/task_types.h"
#include "store/ops.h"

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

/* Frees what a view or facts own (store/ops.h), leaving them empty. */
void task_view_release(task_view *v);
void task_facts_release(task_facts *f);

#endif
