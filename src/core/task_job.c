/* The steps every change of the labeling loop takes inside its job: loading the task, checking
 * who holds it, and a transition of the state machine with its event. */
#include "core/task_job.h"
#include "util/json.h"

#include <stdlib.h>

int task_job_load(store_tx *tx, task_job *j, task_row *t, cl_error *err)
{
	int rc = j->ops->task_load(tx, j->task_id, t);
	return rc ? cl_fail(err, rc, NULL, "task not found") : 0;
}

int task_job_check_holder(const task_job *j, const task_row *t, bool review, cl_error *err)
{
	task_state want = review ? TASK_IN_REVIEW : TASK_ASSIGNED;
	int64_t holder = review ? t->reviewer_id : t->worker_id;
	if (t->state != want || holder != j->user_id)
		return cl_fail(err, CL_ECONFLICT, "not_lease_holder",
			       "the task is %s and not leased to you", task_state_name(t->state));
	if (t->lease_until <= j->now)
		return cl_fail(err, CL_ECONFLICT, "lease_expired",
			       "your lease on the task expired");
	return 0;
}

int task_job_load_held(store_tx *tx, task_job *j, task_row *t, bool review, cl_error *err)
{
	int rc = task_job_load(tx, j, t, err);
	return rc ? rc : task_job_check_holder(j, t, review, err);
}

/* Keeps the project's count of live work (task_state_live), which a funded budget holds money
 * for: a task entering or leaving it, and a reject, which moves a live task to the next count
 * of rejections. */
static int live_count(store_tx *tx, const task_job *j, const task_row *t, task_action a,
		      task_state to, cl_error *err)
{
	bool was = task_state_live(t->state), is = task_state_live(to);
	/* A manager's sending back of an approved task counts as a rejection too. */
	bool rejects = a == TASK_REJECT || a == TASK_REWORK_APPROVED;
	int rc = 0;
	if (was && (!is || rejects))
		rc = j->ops->budget_live_count(tx, t->project_id, t->rejections, -1, err);
	if (!rc && is && (!was || rejects))
		rc = j->ops->budget_live_count(tx, t->project_id, t->rejections + rejects, 1, err);
	return rc;
}

int task_job_transition(store_tx *tx, task_job *j, task_row *t, int64_t actor, task_action a,
			bool exhausted, const char *payload, task_state *to, cl_error *err)
{
	if (task_transition(t->state, a, exhausted, to))
		return cl_fail(err, CL_ECONFLICT, NULL, "the task is %s; it cannot be %s now",
			       task_state_name(t->state), task_action_event(a));
	int rc = j->ops->task_event_add(tx, t, actor, a, *to, payload, j->now, err);
	if (!rc)
		rc = live_count(tx, j, t, a, *to, err);
	t->state = *to;
	return rc;
}

int task_job_transition_json(store_tx *tx, task_job *j, task_row *t, int64_t actor, task_action a,
			     bool exhausted, json_t *payload, task_state *to, cl_error *err)
{
	char *text = payload ? json_dumps(payload, JSON_OUT) : NULL;
	json_decref(payload);
	int rc = task_job_transition(tx, j, t, actor, a, exhausted, text, to, err);
	free(text);
	return rc;
}
