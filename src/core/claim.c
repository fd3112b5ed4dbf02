/* Claims and leases: a worker's next task, a reviewer's next review, giving a task back, and
 * leases that run out. A claim is a lease: never two holders at once. */
#include "core/gold.h"
#include "core/honeypot.h"
#include "core/pay.h"
#include "core/task_job.h"
#include "util/clock.h"

#include <string.h>

/* Claims task `id` for j->user_id (to label, or to review) and leases it. */
static int lease_task(store_tx *tx, task_job *j, int64_t id, bool review, cl_error *err)
{
	task_row t;
	task_state to;
	int rc = j->ops->task_load(tx, id, &t);
	if (rc)
		return cl_fail(err, rc, NULL, "task not found");
	json_t *payload = !review && t.round ? json_pack("{s:i}", "round", t.round + 1) : NULL;
	rc =
	    task_job_transition_json(tx, j, &t, j->user_id, review ? TASK_REVIEW_CLAIM : TASK_CLAIM,
				     false, payload, &to, err);
	if (!rc)
		rc = j->ops->task_leased(tx, &t, j->user_id, review,
					 j->now + (int64_t)j->p->lease_seconds * 1000, j->now, err);
	return rc;
}

/* New work for the worker: none past what a funded budget can pay for; a gold task mixed in
 * only while real work remains, so that it looks like it. */
static int open_task(store_tx *tx, task_job *j, int64_t *id, cl_error *err)
{
	const store_ops *s = j->ops;
	int rc = pay_claim_check(tx, s, j->p, err);
	if (rc)
		return rc;
	*id = s->open_task_for(tx, j->p->id, j->user_id);
	if (*id)
		*id = gold_pick(tx, s, j->p, j->user_id, *id, j->now);
	return 0;
}

int task_claim_job(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	const project *p = j->p;
	if (strcmp(p->status, "open"))
		return cl_fail(err, CL_ECONFLICT, "project_not_open", "the project is %s, not open",
			       p->status);
	/* Their own rejected work first, then the lease they hold (claiming twice answers the
	 * same task), then open work. */
	int64_t id = j->ops->rework_of(tx, p->id, j->user_id);
	bool claim = true;
	if (!id) {
		id = j->ops->lease_of(tx, p->id, j->user_id, j->now);
		claim = id == 0;
	}
	if (!id) {
		int rc = open_task(tx, j, &id, err);
		if (rc)
			return rc;
	}
	if (id && claim) {
		int rc = lease_task(tx, j, id, false, err);
		if (rc)
			return rc;
	}
	j->out = id;
	return 0;
}

int review_claim_job(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	const project *p = j->p;
	if (strcmp(p->status, "open") && strcmp(p->status, "paused"))
		return cl_fail(err, CL_ECONFLICT, "project_not_open", "the project is %s",
			       p->status);
	int64_t id = j->ops->review_lease_of(tx, p->id, j->user_id, j->now);
	if (!id) {
		/* Never the reviewer's own work. */
		id = j->ops->review_waiting_for(tx, p->id, j->user_id);
		if (!id)
			return 0;
		/* A honeypot stands in for real work only while real work is waiting. */
		id = honeypot_pick(tx, j->ops, p, j->user_id, id, j->now);
		int rc = lease_task(tx, j, id, true, err);
		if (rc)
			return rc;
	}
	j->out = id;
	return 0;
}

int task_release_job(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	task_row t;
	task_state to;
	int rc = task_job_load_held(tx, j, &t, false, err);
	if (!rc)
		rc =
		    task_job_transition(tx, j, &t, j->user_id, TASK_RELEASE, false, NULL, &to, err);
	if (!rc)
		rc = j->ops->task_returned(tx, &t, false, j->now, err);
	/* Giving a task back means "not for me": it goes to others, not back to this worker. */
	if (!rc)
		rc = j->ops->task_skip_add(tx, t.id, j->user_id, j->now, err);
	if (!rc)
		j->out = t.id;
	return rc;
}

/* Bounded per run so that one sweep never holds the writer long; the next run goes on. */
#define EXPIRE_BATCH 2000

int task_leases_expire(store_tx *tx, void *ctx, cl_error *err)
{
	task_job j = {.ops = ctx, .now = clock_now_ms()};
	int64_t ids[EXPIRE_BATCH];
	int n = j.ops->leases_expired(tx, j.now, ids, EXPIRE_BATCH);
	for (int i = 0; i < n; i++) {
		task_row t;
		task_state to;
		if (j.ops->task_load(tx, ids[i], &t))
			continue;
		bool review = t.state == TASK_IN_REVIEW;
		json_t *payload = json_pack("{s:I}", review ? "reviewer_id" : "worker_id",
					    (json_int_t)(review ? t.reviewer_id : t.worker_id));
		int rc = task_job_transition_json(tx, &j, &t, 0,
						  review ? TASK_REVIEW_EXPIRE : TASK_EXPIRE, false,
						  payload, &to, err);
		if (!rc)
			rc = j.ops->task_returned(tx, &t, review, j.now, err);
		if (rc)
			return rc;
	}
	return 0;
}
