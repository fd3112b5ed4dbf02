/* What every approval does, whoever approves (a reviewer, a fix, the sampled policy, a manager's
 * resolution): the task's row, the worker's pay on approval and no sooner, their counts, and a
 * look at their promotion. */
#include "core/pay.h"
#include "core/roles.h"
#include "core/task_job.h"

bool task_job_first_decision(const task_row *t)
{
	return t->rejections == 0 && !t->first_pass;
}

int task_job_approve(store_tx *tx, task_job *j, const task_row *t, bool first_pass,
		     int64_t annotation_id, cl_error *err)
{
	const store_ops *s = j->ops;
	int rc = s->task_approved(tx, t, first_pass, annotation_id, j->now, err);
	int64_t paid = 0;
	if (!rc)
		rc = pay_approval(tx, s, t->project_id, t->id, t->worker_id, j->now, &paid, err);
	worker_delta d = {.approved = 1,
			  .first_pass = first_pass,
			  .decided = task_job_first_decision(t),
			  .paid = paid};
	if (!rc && t->worker_id)
		rc = s->worker_count(tx, t->worker_id, t->project_id, &d, err);
	if (!rc)
		rc = role_promote_check(tx, s, t->project_id, t->worker_id, j->now, err);
	return rc;
}
