/* A change of the labeling loop from start to answer: the start copies what its job reads (the
 * request's own copies may be gone when the writer runs it), the run queues it on the store's
 * writer, and the job reads the task it answers with in its own transaction, where the pages
 * are still in cache. A claim may be chained to a submit or a decision, in the same
 * transaction. */
#include "core/task_job.h"
#include "util/clock.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

struct task_change {
	const store *s;
	task_job j;
	task_job next;	  /* the chained claim (j.then), when there is one */
	char *annotation; /* copies of what the job reads, with p */
	review_decision dec;
	char *reason, *reason_template, *fix;
	json_t *rubric; /* the decision's rubric scores, own copy */
	cl_error err;
	int rc;
	db_done_fn done;
	void *done_arg;
	/* The project the job reads (j.p), copied whole when it has one. Last: a change is zeroed
	 * up to it. */
	project p;
};

/* The longest item text whose facts are kept for the requests that follow a claim. */
#define FACTS_TEXT_MAX (16 << 10)

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static void job_reset(task_job *j)
{
	j->out = 0;
	if (j->has_view)
		task_view_release(&j->view);
	j->has_view = false;
	if (j->then) {
		job_reset(j->then);
		j->then->rc = 0;
	}
}

/* Runs j->fn, then reads the task the answer shows on the same transaction; a chained claim
 * runs after it. The writer may run it more than once before it commits: what it hands back is
 * set anew each time. */
static int job_run(store_tx *tx, void *ctx, cl_error *err)
{
	task_job *j = ctx;
	job_reset(j);
	int rc = j->fn(tx, j, err);
	if (rc)
		return rc;
	if (j->out)
		j->has_view = j->ops->task_view_load(tx, j->out, j->detail, &j->view);
	if (j->then) {
		/* A claim is refused before it writes, so a refused one leaves the change standing
		 * with nothing to undo. One that fails after writing fails the whole job. */
		int64_t before = j->ops->tx_changes(tx);
		rc = job_run(tx, j->then, &j->then->err);
		if (rc && j->ops->tx_changes(tx) != before) {
			*err = j->then->err;
			return rc;
		}
		j->then->rc = rc;
	}
	return 0;
}

static task_change *change_new(const store *s, const project *p, int64_t task_id, int64_t user_id,
			       task_detail detail, store_job_fn fn)
{
	task_change *tc = malloc(sizeof *tc);
	if (!tc)
		return NULL;
	memset(tc, 0, offsetof(task_change, p));
	project_own_nothing(&tc->p);
	tc->s = s;
	if (p) {
		project_copy(&tc->p, p);
		tc->j.p = &tc->p;
	}
	tc->j.ops = s->ops;
	tc->j.task_id = task_id;
	tc->j.user_id = user_id;
	tc->j.now = clock_now_ms();
	tc->j.detail = detail;
	tc->j.fn = fn;
	return tc;
}

int task_claim_start(const store *s, const project *p, int64_t user_id, task_change **out)
{
	*out = change_new(s, p, 0, user_id, TASK_WITH_ITEM, task_claim_job);
	return *out ? 0 : CL_ENOMEM;
}

int task_submit_start(const store *s, const project *p, int64_t task_id, int64_t user_id,
		      const char *annotation, task_change **out)
{
	task_change *tc = *out = change_new(s, NULL, task_id, user_id, TASK_BARE, task_submit_job);
	if (!tc)
		return CL_ENOMEM;
	tc->annotation = dup_or_null(annotation);
	tc->j.annotation = tc->annotation;
	tc->j.auto_approve = task_review_skipped(p);
	return 0;
}

int task_release_start(const store *s, int64_t task_id, int64_t user_id, task_change **out)
{
	*out = change_new(s, NULL, task_id, user_id, TASK_BARE, task_release_job);
	return *out ? 0 : CL_ENOMEM;
}

int task_reopen_start(const store *s, const project *p, int64_t task_id, int64_t user_id,
		      task_change **out)
{
	*out = change_new(s, p, task_id, user_id, TASK_WITH_ITEM, task_reopen_job);
	return *out ? 0 : CL_ENOMEM;
}

int review_claim_start(const store *s, const project *p, int64_t user_id, task_change **out)
{
	*out = change_new(s, p, 0, user_id, TASK_WITH_HISTORY, review_claim_job);
	return *out ? 0 : CL_ENOMEM;
}

int task_review_start(const store *s, const project *p, int64_t task_id, int64_t user_id,
		      const review_decision *dec, task_change **out, cl_error *err)
{
	*out = NULL;
	int rc = review_decision_check(dec, err);
	if (rc)
		return rc;
	task_change *tc = *out = change_new(s, p, task_id, user_id, TASK_BARE, task_review_job);
	if (!tc)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	tc->reason = dup_or_null(dec->reason);
	tc->reason_template = dup_or_null(dec->reason_template);
	tc->fix = dup_or_null(dec->annotation);
	tc->rubric = dec->rubric ? json_deep_copy(dec->rubric) : NULL;
	tc->dec = (review_decision){.action = dec->action,
				    .reason = tc->reason,
				    .reason_template = tc->reason_template,
				    .annotation = tc->fix,
				    .rubric = tc->rubric};
	tc->j.dec = &tc->dec;
	return 0;
}

int task_resolve_start(const store *s, int64_t task_id, int64_t user_id, task_action action,
		       const char *annotation, const char *reason, task_change **out, cl_error *err)
{
	*out = NULL;
	if (action != TASK_RESOLVE_APPROVE && action != TASK_DISCARD)
		return cl_fail(err, CL_EINVAL, NULL, "\"decision\" must be approve or discard");
	if (reason && strlen(reason) > TASK_REASON_MAX)
		return cl_fail(err, CL_EINVAL, NULL, "\"reason\" is longer than %d bytes",
			       TASK_REASON_MAX);
	task_change *tc = *out = change_new(s, NULL, task_id, user_id, TASK_BARE, task_resolve_job);
	if (!tc)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	tc->annotation = dup_or_null(annotation);
	tc->reason = dup_or_null(reason);
	tc->j.annotation = tc->annotation;
	tc->j.reason = tc->reason;
	tc->j.action = action;
	return 0;
}

void task_change_chain(task_change *tc, const project *p, bool review)
{
	if (!tc->j.p) {
		project_copy(&tc->p, p);
		tc->j.p = &tc->p;
	}
	tc->next = (task_job){
	    .ops = tc->j.ops,
	    .p = tc->j.p,
	    .user_id = tc->j.user_id,
	    .now = tc->j.now,
	    .detail = review ? TASK_WITH_HISTORY : TASK_WITH_ITEM,
	    .fn = review ? review_claim_job : task_claim_job,
	};
	tc->j.then = &tc->next;
}

static void change_done(void *arg, int rc)
{
	task_change *tc = arg;
	tc->rc = rc;
	tc->done(tc->done_arg, rc);
}

void task_change_run(task_change *tc, db_done_fn done, void *arg)
{
	tc->done = done;
	tc->done_arg = arg;
	int rc = tc->s->ops->write_async_rerunnable(tc->s->db, job_run, &tc->j, &tc->err,
						    change_done, tc);
	if (rc) {
		tc->rc = rc;
		done(arg, rc);
	}
}

int task_change_wait(task_change *tc, cl_error *err)
{
	db_wait w;
	db_wait_init(&w);
	task_change_run(tc, db_wait_done, &w);
	db_wait_for(&w);
	return task_change_finish(tc, err);
}

/* Keeps the facts of a task handed out in a claim's answer (store_ops.task_facts_remember). */
static void facts_remember(const store *s, const task_job *j)
{
	const task_view *v = &j->view;
	if (!j->has_view || !v->has_item || (v->item.text && strlen(v->item.text) > FACTS_TEXT_MAX))
		return;
	task_facts f = {.project_id = v->project_id,
			.text = dup_or_null(v->item.text),
			.width = v->item.width,
			.height = v->item.height};
	if (v->item.text && !f.text)
		return;
	s->ops->task_facts_remember(s->db, v->id, &f);
	task_facts_release(&f);
}

int task_change_finish(task_change *tc, cl_error *err)
{
	if (tc->rc) {
		if (err)
			*err = tc->err;
		return tc->rc;
	}
	facts_remember(tc->s, &tc->j);
	if (tc->j.then)
		facts_remember(tc->s, tc->j.then);
	return 0;
}

const task_view *task_change_view(const task_change *tc)
{
	return tc->j.has_view ? &tc->j.view : NULL;
}

const project *task_change_project(const task_change *tc)
{
	return tc->j.p;
}

bool task_change_next(const task_change *tc, const task_view **next, int *refused,
		      const cl_error **why)
{
	const task_job *n = tc->j.then;
	if (!n)
		return false;
	*next = n->has_view ? &n->view : NULL;
	*refused = n->rc;
	*why = &n->err;
	return true;
}

void task_change_free(void *arg)
{
	task_change *tc = arg;
	if (!tc)
		return;
	if (tc->j.has_view)
		task_view_release(&tc->j.view);
	if (tc->next.has_view)
		task_view_release(&tc->next.view);
	project_release(&tc->p);
	free(tc->annotation);
	free(tc->reason);
	free(tc->reason_template);
	free(tc->fix);
	json_decref(tc->rubric);
	free(tc);
}
