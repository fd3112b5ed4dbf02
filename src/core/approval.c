/* What every approval does, whoever approves (a reviewer, a fix, the sampled policy, a manager's
 * resolution): the task's row, the worker's pay on approval and no sooner, their counts, and a
 * look at their promotion. */
#include "core/task_job.h"

int task_job_approve(store_tx *tx, task_job *j, const task_row *t, bool first_pass,
		     int64_t annotation_id, cl_error *err)
{
	const store_ops *s = j->ops;
	int rc = s->task_approved(tx, t, first_pass, annotation_id, j->now, err);
	int64_t paid = 0;
	if (!rc)
		rc = s->pay_approval(tx, t->project_id, t->id, t->worker_id, j->now, &paid, err);
	if (!rc && t->worker_id)
		rc = s->count_approval(tx, t->worker_id, t->project_id, first_pass,
				       t->rejections == 0, paid, err);
	if (!rc)
		rc = s->promotion_check(tx, t->project_id, t->worker_id, j->now, err);
	return rc;
}
