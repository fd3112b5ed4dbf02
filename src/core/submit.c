/* Submitting an annotation: the lease holder's work goes to review, or, under a sampled review
 * policy, some of it is approved at once. */
#include "core/gold.h"
#include "core/task_job.h"

#include <sodium.h>
#include <stdio.h>

bool task_review_skipped(const project *p)
{
	/* A sampled review policy approves the rest without a reviewer. */
	return p->review_sample && (double)randombytes_uniform(1000000) / 1e6 >= p->review_rate;
}

/* The submit's own counts: a first submit of the task by this worker, and the time since the
 * claim; a gold item's score. */
static int submit_counted(store_tx *tx, task_job *j, const task_row *t, bool first_of_task,
			  cl_error *err)
{
	worker_delta d = {.submissions = 1,
			  .tasks_submitted = first_of_task,
			  .active_ms = t->claimed_at ? j->now - t->claimed_at : 0,
			  .at = j->now};
	int rc = j->ops->worker_count(tx, j->user_id, t->project_id, &d, err);
	if (!rc)
		rc =
		    gold_score(tx, j->ops, t->id, t->round, j->user_id, j->annotation, j->now, err);
	return rc;
}

int task_submit_job(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	task_row t;
	task_state to;
	int rc = task_job_load_held(tx, j, &t, false, err);
	if (rc)
		return rc;
	int round = t.round + 1;
	/* A reworked task can come back to another worker after its lease ran out. */
	bool first_of_task = round == 1 || !j->ops->task_submitted_before(tx, t.id, j->user_id);
	int64_t aid = j->ops->annotation_add(tx, t.id, round, j->user_id, "submit", j->annotation,
					     j->now, err);
	if (!aid)
		return CL_EINTERNAL;
	/* The payload as jansson writes it, without building a JSON value for it. */
	char payload[64];
	snprintf(payload, sizeof payload, "{\"annotation_id\":%lld,\"round\":%d}", (long long)aid,
		 round);
	rc = task_job_transition(tx, j, &t, j->user_id, TASK_SUBMIT, false, payload, &to, err);
	if (!rc)
		rc = j->ops->task_submitted(tx, &t, round, aid, j->now, err);
	t.round = round;
	if (!rc)
		rc = submit_counted(tx, j, &t, first_of_task, err);
	if (!rc && j->auto_approve) {
		rc = task_job_transition(tx, j, &t, 0, TASK_AUTO_APPROVE, false, NULL, &to, err);
		if (!rc)
			rc = task_job_approve(tx, j, &t, t.rejections == 0, aid, err);
	}
	if (!rc)
		j->out = t.id;
	return rc;
}
