/* Review and resolution: a reviewer approves, fixes (approving their edit) or rejects with a
 * reason, which sends the task back to the same worker, or to a manager once its rounds are
 * spent; a manager approves or discards an escalated task. Every review decision pays the
 * reviewer's fee once per task and round. */
#include "core/honeypot.h"
#include "core/pay.h"
#include "core/task_job.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

int review_decision_check(const review_decision *dec, cl_error *err)
{
	if (dec->reason && strlen(dec->reason) > TASK_REASON_MAX)
		return cl_fail(err, CL_EINVAL, NULL, "\"reason\" is longer than %d bytes",
			       TASK_REASON_MAX);
	if (dec->reason_template && strlen(dec->reason_template) > TASK_REASON_TEMPLATE_MAX)
		return cl_fail(err, CL_EINVAL, NULL, "\"reason_template\" is longer than %d bytes",
			       TASK_REASON_TEMPLATE_MAX);
	if (dec->action != TASK_REJECT)
		return 0;
	const char *s = dec->reason;
	while (s && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	if (!s || !*s)
		return cl_fail(err, CL_EANNOTATION, "reason_required",
			       "a rejection needs a reason the worker can act on");
	return 0;
}

/* A decision's event payload with the reviewer's rubric scores added, when given (`payload`
 * stolen, may be NULL; a new reference or NULL). */
static json_t *with_rubric(json_t *payload, const review_decision *dec)
{
	if (!dec->rubric)
		return payload;
	if (!payload)
		payload = json_object();
	json_object_set_new(payload, "rubric", json_deep_copy(dec->rubric));
	return payload;
}

/* The rejection the worker sees, as JSON text (caller frees). */
static char *rejection_text(const task_job *j, const task_row *t)
{
	char at[32];
	clock_iso8601(j->now, at);
	json_t *rej = json_pack("{s:s,s:s?,s:I,s:s,s:i}", "reason", j->dec->reason,
				"reason_template", j->dec->reason_template, "reviewer_id",
				(json_int_t)j->user_id, "at", at, "round", t->round);
	char *text = json_dumps(rej, JSON_OUT);
	json_decref(rej);
	return text;
}

/* Back to the worker with the reason, or to a manager once the task has had max_rounds. */
static int reject(store_tx *tx, task_job *j, task_row *t, cl_error *err)
{
	task_state to;
	bool exhausted = t->round >= j->p->max_rounds;
	json_t *payload = json_pack("{s:s,s:s?,s:i}", "reason", j->dec->reason, "reason_template",
				    j->dec->reason_template, "round", t->round);
	int rc = task_job_transition_json(tx, j, t, j->user_id, TASK_REJECT, exhausted,
					  with_rubric(payload, j->dec), &to, err);
	if (rc)
		return rc;
	char *text = rejection_text(j, t);
	rc = j->ops->task_rejected(tx, t, text, j->now, err);
	free(text);
	if (!rc && t->worker_id)
		rc = j->ops->worker_count(
		    tx, t->worker_id, t->project_id,
		    &(worker_delta){.rejected = 1, .decided = task_job_first_decision(t)}, err);
	return rc;
}

/* The reviewer's edit, approved in place of the worker's annotation. */
static int fix(store_tx *tx, task_job *j, task_row *t, cl_error *err)
{
	task_state to;
	int64_t aid = j->ops->annotation_add(tx, t->id, t->round, j->user_id, "fix",
					     j->dec->annotation, j->now, err);
	if (!aid)
		return CL_EINTERNAL;
	int rc = task_job_transition_json(
	    tx, j, t, j->user_id, TASK_FIX, false,
	    with_rubric(json_pack("{s:I,s:I}", "annotation_id", (json_int_t)aid,
				  "previous_annotation_id", (json_int_t)t->annotation_id),
			j->dec),
	    &to, err);
	return rc ? rc : task_job_approve(tx, j, t, false, aid, err);
}

static int decide(store_tx *tx, task_job *j, task_row *t, cl_error *err)
{
	task_state to;
	if (j->dec->action == TASK_FIX)
		return fix(tx, j, t, err);
	if (j->dec->action == TASK_REJECT)
		return reject(tx, j, t, err);
	int rc = task_job_transition_json(tx, j, t, j->user_id, TASK_APPROVE, false,
					  with_rubric(NULL, j->dec), &to, err);
	return rc ? rc : task_job_approve(tx, j, t, t->rejections == 0, t->annotation_id, err);
}

int task_review_job(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	const review_decision *dec = j->dec;
	task_row t;
	int rc = task_job_load(tx, j, &t, err);
	if (rc)
		return rc;
	if (t.worker_id == j->user_id)
		return cl_fail(err, CL_EFORBIDDEN, "own_work", "you cannot review your own work");
	if ((rc = task_job_check_holder(j, &t, true, err)))
		return rc;
	bool honeypot = false;
	rc = honeypot_decide(tx, j->ops, &t, j->user_id, dec, j->now, &honeypot, err);
	if (rc || honeypot) {
		j->out = rc ? 0 : t.id;
		return rc;
	}
	int reviewed_round = t.round;
	if ((rc = decide(tx, j, &t, err)))
		return rc;
	/* Every review decision earns the reviewer's fee, once per task and round, and counts. */
	int64_t paid = 0;
	rc = pay_review(tx, j->ops, t.project_id, t.id, reviewed_round, j->user_id, j->now, &paid,
			err);
	if (!rc)
		rc = j->ops->review_count(tx, j->user_id, t.project_id, paid, err);
	if (!rc)
		j->out = t.id;
	return rc;
}

static int discard(store_tx *tx, task_job *j, task_row *t, cl_error *err)
{
	task_state to;
	int rc = task_job_transition_json(
	    tx, j, t, j->user_id, TASK_DISCARD, false,
	    j->reason ? json_pack("{s:s}", "reason", j->reason) : NULL, &to, err);
	return rc ? rc : j->ops->task_discarded(tx, t, j->now, err);
}

int task_resolve_job(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	task_row t;
	task_state to;
	int rc = task_job_load(tx, j, &t, err);
	if (rc)
		return rc;
	/* Nobody decides, or is paid for, their own work: not even a manager. */
	if (t.worker_id == j->user_id)
		return cl_fail(err, CL_EFORBIDDEN, "own_work", "you cannot resolve your own work");
	if (j->action == TASK_DISCARD) {
		rc = discard(tx, j, &t, err);
	} else {
		int64_t aid = t.annotation_id;
		/* The manager's own answer, where they gave one. */
		if (t.state == TASK_ESCALATED && j->annotation) {
			aid = j->ops->annotation_add(tx, t.id, t.round, j->user_id, "resolve",
						     j->annotation, j->now, err);
			if (!aid)
				return CL_EINTERNAL;
		}
		rc = task_job_transition_json(tx, j, &t, j->user_id, TASK_RESOLVE_APPROVE, false,
					      json_pack("{s:I}", "annotation_id", (json_int_t)aid),
					      &to, err);
		if (!rc)
			rc = task_job_approve(tx, j, &t, false, aid, err);
	}
	if (!rc)
		j->out = t.id;
	return rc;
}
