/* The manager's desk and a worker's taking back of a submission: each change of a task is a
 * transition of the state machine (core/task.c) with its event, through core/task_job.c as
 * every change of the labeling loop. */
#include "core/task_desk.h"
#include "core/pay.h"
#include "core/task_job.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const bulk_action_names[] = {"release", "discard", "priority", "reassign",
						"rework",  "review_again"};

int task_bulk_action_parse(const char *name, task_bulk_action *out)
{
	for (int i = 0; i < (int)(sizeof bulk_action_names / sizeof *bulk_action_names); i++)
		if (name && !strcmp(name, bulk_action_names[i])) {
			*out = (task_bulk_action)i;
			return 0;
		}
	return -1;
}

static task_action bulk_task_action(task_bulk_action a)
{
	static const task_action actions[] = {TASK_REVOKE, TASK_WITHDRAW, TASK_PRIORITY,
					      TASK_REASSIGN, TASK_REWORK_APPROVED,
					      TASK_REVIEW_AGAIN};
	return actions[a];
}

/* Ends the lease on t (assigned or in review): the task goes back to its queue. */
static int revoke(store_tx *tx, task_job *j, task_row *t, json_t *payload, cl_error *err)
{
	bool review = t->state == TASK_IN_REVIEW;
	task_state to;
	int rc =
	    task_job_transition_json(tx, j, t, j->user_id, TASK_REVOKE, false, payload, &to, err);
	return rc ? rc : j->ops->task_returned(tx, t, review, j->now, err);
}

/* Hands t to b->worker_id: a live lease starts anew for them, a rework waits in their queue. */
static int reassign(store_tx *tx, task_job *j, const task_bulk *b, task_row *t, json_t *payload,
		    cl_error *err)
{
	task_state to;
	json_object_set_new(payload, "from",
			    t->worker_id ? json_integer(t->worker_id) : json_null());
	json_object_set_new(payload, "to", json_integer(b->worker_id));
	int rc =
	    task_job_transition_json(tx, j, t, j->user_id, TASK_REASSIGN, false, payload, &to, err);
	return rc ? rc
		  : j->ops->task_reassigned(tx, t, b->worker_id,
					    j->now + (int64_t)b->lease_seconds * 1000, j->now, err);
}

/* The rejection the worker finds on the task, as a reviewer's would read (caller frees). */
static char *rework_rejection(const task_job *j, const task_row *t, const char *reason)
{
	char at[32];
	clock_iso8601(j->now, at);
	json_t *rej = json_pack("{s:s,s:I,s:s,s:i}", "reason", reason, "reviewer_id",
				(json_int_t)j->user_id, "at", at, "round", t->round);
	char *text = json_dumps(rej, JSON_OUT);
	json_decref(rej);
	return text;
}

/* The approval of t undone in the worker's figures and pay: its pay reversed by a posting of
 * its own (paid again on the next approval), its approval no longer counted. The task stays
 * decided: it was, and its next decision is not its first (task_job_first_decision), so a
 * discard before that decision leaves the count as it is. */
static int approval_undo(store_tx *tx, task_job *j, const task_row *t, cl_error *err)
{
	int64_t reversed = 0;
	int rc =
	    pay_reverse(tx, j->ops, t->project_id, t->id, t->worker_id, j->now, &reversed, err);
	worker_delta d = {.approved = -1, .first_pass = -t->first_pass, .paid = -reversed};
	if (!rc && t->worker_id)
		rc = j->ops->worker_count(tx, t->worker_id, t->project_id, &d, err);
	return rc;
}

/* Sends approved t back to its worker as rejected with the manager's reason: the pay of its
 * approval is reversed by a posting of its own, and paid again on the next approval. Dataset
 * versions hold copies of what they froze: they do not change. */
static int rework_approved(store_tx *tx, task_job *j, const task_bulk *b, task_row *t,
			   json_t *payload, cl_error *err)
{
	task_state to;
	json_object_set_new(payload, "round", json_integer(t->round));
	json_object_set_new(payload, "annotation_id", json_integer(t->annotation_id));
	int rc = task_job_transition_json(tx, j, t, j->user_id, TASK_REWORK_APPROVED, false,
					  payload, &to, err);
	char *text = rc ? NULL : rework_rejection(j, t, b->reason);
	if (!rc)
		rc = j->ops->task_rejected(tx, t, text, j->now, err);
	free(text);
	return rc ? rc : approval_undo(tx, j, t, err);
}

/* Puts approved t back in the review queue with the manager's reason, its answer as it was:
 * the reviewer who approved it skips it while a member reviewer who has not approved it is
 * there to decide it with fresh eyes; an approval pays again, a rejection sends it to rework
 * as any. Its approval's pay is reversed as for a rework. */
static int review_again(store_tx *tx, task_job *j, task_row *t, json_t *payload, cl_error *err)
{
	task_state to;
	json_object_set_new(payload, "round", json_integer(t->round));
	json_object_set_new(payload, "annotation_id", json_integer(t->annotation_id));
	json_object_set_new(payload, "reviewer_id",
			    t->reviewer_id ? json_integer(t->reviewer_id) : json_null());
	int rc = task_job_transition_json(tx, j, t, j->user_id, TASK_REVIEW_AGAIN, false, payload,
					  &to, err);
	if (!rc)
		rc = j->ops->task_returned(tx, t, true, j->now, err);
	if (!rc && t->reviewer_id)
		rc = j->ops->task_skip_add(tx, t->id, t->reviewer_id, j->now, err);
	return rc ? rc : approval_undo(tx, j, t, err);
}

/* The actions that undo an approval: they need a reason, and the pay they reverse. */
static bool reverses_pay(task_bulk_action a)
{
	return a == TASK_BULK_REWORK || a == TASK_BULK_REVIEW_AGAIN;
}

static int bulk_one(store_tx *tx, task_job *j, const task_bulk *b, task_row *t, cl_error *err)
{
	json_t *payload = json_object();
	if (b->reason)
		json_object_set_new(payload, "reason", json_string(b->reason));
	if (b->action == TASK_BULK_RELEASE)
		return revoke(tx, j, t, payload, err);
	if (b->action == TASK_BULK_REASSIGN)
		return reassign(tx, j, b, t, payload, err);
	if (b->action == TASK_BULK_REWORK)
		return rework_approved(tx, j, b, t, payload, err);
	if (b->action == TASK_BULK_REVIEW_AGAIN)
		return review_again(tx, j, t, payload, err);
	task_state to;
	if (b->action == TASK_BULK_PRIORITY)
		json_object_set_new(payload, "priority", json_integer(b->priority));
	int rc = task_job_transition_json(tx, j, t, j->user_id, bulk_task_action(b->action), false,
					  payload, &to, err);
	if (rc)
		return rc;
	return b->action == TASK_BULK_DISCARD
		   ? j->ops->task_discarded(tx, t, j->now, err)
		   : j->ops->task_priority_set(tx, t, b->priority, j->now, err);
}

static void skip(json_t *skipped, int64_t id, const char *code, const char *message)
{
	json_array_append_new(skipped, json_pack("{s:I,s:s,s:s}", "id", (json_int_t)id, "code",
						 code, "message", message));
}

struct bulk_ctx {
	const store_ops *ops;
	const task_bulk *b;
	task_bulk_result *res;
};

static int bulk_job(store_tx *tx, void *ctx, cl_error *err)
{
	struct bulk_ctx *c = ctx;
	const task_bulk *b = c->b;
	task_job j = {.ops = c->ops, .user_id = b->user_id, .now = clock_now_ms()};
	char role[16];
	if (b->action == TASK_BULK_REASSIGN) {
		c->ops->member_role(tx, b->project_id, b->worker_id, role);
		if (!role[0])
			return cl_fail(err, CL_EINVAL, NULL,
				       "\"worker_id\" must name a worker of the project");
	}
	/* The writer may run a job again before it commits: the answer is made anew. */
	json_array_clear(c->res->skipped);
	c->res->changed = 0;
	for (int i = 0; i < b->n; i++) {
		task_row t;
		task_state to;
		if (c->ops->task_load(tx, b->ids[i], &t) || t.project_id != b->project_id) {
			skip(c->res->skipped, b->ids[i], "not_found",
			     "no such task in the project");
			continue;
		}
		if (task_transition(t.state, bulk_task_action(b->action), false, &to)) {
			char why[96];
			snprintf(why, sizeof why, "the task is %s", task_state_name(t.state));
			skip(c->res->skipped, t.id, "conflict", why);
			continue;
		}
		/* One worker labels an item once: not a second slot of it for the new worker. */
		if (b->action == TASK_BULK_REASSIGN &&
		    c->ops->worker_has_item(tx, t.item_id, b->worker_id)) {
			skip(c->res->skipped, t.id, "has_item",
			     "the new worker has a task of this item already");
			continue;
		}
		cl_error why;
		if (reverses_pay(b->action) &&
		    pay_reverse_check(tx, c->ops, t.project_id, t.id, t.worker_id, &why)) {
			skip(c->res->skipped, t.id, why.name, why.message);
			continue;
		}
		int rc = bulk_one(tx, &j, b, &t, err);
		if (rc)
			return rc;
		c->res->changed++;
	}
	return 0;
}

/* Whether s holds more than blanks. */
static bool has_content(const char *s)
{
	while (s && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
		s++;
	return s && *s;
}

/* The call itself, before any task is read. */
static int bulk_check(const task_bulk *b, cl_error *err)
{
	if (b->n < 1 || b->n > TASK_BULK_MAX)
		return cl_fail(err, CL_EINVAL, NULL, "\"task_ids\" must name 1 to %d tasks",
			       TASK_BULK_MAX);
	if (b->action == TASK_BULK_PRIORITY &&
	    (b->priority < TASK_PRIORITY_MIN || b->priority > TASK_PRIORITY_MAX))
		return cl_fail(err, CL_EINVAL, NULL, "\"priority\" must be from %d to %d",
			       TASK_PRIORITY_MIN, TASK_PRIORITY_MAX);
	if (b->reason && strlen(b->reason) > TASK_REASON_MAX)
		return cl_fail(err, CL_EINVAL, NULL, "\"reason\" is longer than %d bytes",
			       TASK_REASON_MAX);
	if (reverses_pay(b->action) && !has_content(b->reason))
		return cl_fail(err, CL_EINVAL, "reason_required",
			       b->action == TASK_BULK_REWORK
				   ? "\"reason\" is required to send approved tasks back for rework"
				   : "\"reason\" is required to have approved tasks reviewed again");
	return 0;
}

int task_bulk_run(const store *s, const task_bulk *b, task_bulk_result *res, cl_error *err)
{
	*res = (task_bulk_result){0};
	int rc = bulk_check(b, err);
	if (rc)
		return rc;
	res->skipped = json_array();
	if (!res->skipped)
		return CL_ENOMEM;
	struct bulk_ctx c = {s->ops, b, res};
	rc = s->ops->write(s->db, bulk_job, &c, err);
	if (rc) {
		json_decref(res->skipped);
		*res = (task_bulk_result){0};
	}
	return rc;
}

/* The most leases one member may hold in a project at once: one to label, one to review. */
#define MEMBER_LEASES_MAX 16

struct member_ctx {
	const store_ops *ops;
	int64_t project_id, user_id, actor;
};

static int member_remove_job(store_tx *tx, void *ctx, cl_error *err)
{
	struct member_ctx *c = ctx;
	task_job j = {.ops = c->ops, .user_id = c->actor, .now = clock_now_ms()};
	int64_t ids[MEMBER_LEASES_MAX];
	int n = c->ops->member_leases(tx, c->project_id, c->user_id, ids, MEMBER_LEASES_MAX);
	for (int i = 0; i < n; i++) {
		task_row t;
		int rc = c->ops->task_load(tx, ids[i], &t);
		if (!rc)
			rc =
			    revoke(tx, &j, &t, json_pack("{s:s}", "reason", "member removed"), err);
		if (rc)
			return rc;
	}
	return c->ops->member_remove(tx, c->project_id, c->user_id, err);
}

int task_member_remove(const store *s, int64_t project_id, int64_t user_id, int64_t actor,
		       cl_error *err)
{
	struct member_ctx c = {s->ops, project_id, user_id, actor};
	return s->ops->write(s->db, member_remove_job, &c, err);
}

/* A worker takes back their own submission while no reviewer has claimed it: the task is
 * leased to them again, a round back, and the task no longer counts as submitted by them. */
int task_reopen_job(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	task_row t;
	task_state to;
	int rc = task_job_load(tx, j, &t, err);
	if (rc)
		return rc;
	if (t.worker_id != j->user_id)
		return cl_fail(err, CL_ECONFLICT, "not_yours",
			       "the task is not your submission to take back");
	rc = task_job_transition_json(
	    tx, j, &t, j->user_id, TASK_REOPEN, false,
	    json_pack("{s:I,s:i}", "annotation_id", (json_int_t)t.annotation_id, "round", t.round),
	    &to, err);
	if (rc)
		return t.state == TASK_IN_REVIEW || t.state == TASK_APPROVED
			   ? cl_fail(err, CL_ECONFLICT, "under_review",
				     "the submission is %s and can no longer be taken back",
				     task_state_name(t.state))
			   : rc;
	rc = j->ops->task_reopened(tx, &t, j->now + (int64_t)j->p->lease_seconds * 1000, j->now,
				   err);
	/* The submit event stays, and with it the count of submissions and the time from the
	 * claim; the task counts as submitted again when it is. */
	worker_delta d = {.tasks_submitted = -!j->ops->task_submitted_before(tx, t.id, j->user_id)};
	if (!rc)
		rc = j->ops->worker_count(tx, j->user_id, t.project_id, &d, err);
	if (!rc)
		j->out = t.id;
	return rc;
}
