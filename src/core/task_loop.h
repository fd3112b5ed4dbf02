/* The labeling loop's use cases: claim the next task, submit, give back, claim the next review,
 * decide it, resolve an escalation, and return expired leases. Each change runs as one job of
 * the store (one transaction) through its row operations (store/ops.h); the rules of full
 * review live here: who may change a task when, what every approval pays and counts, when a
 * rejection escalates. A change is started (copying what it needs), run without blocking or
 * waited for, then read: its task as an answer shows it, and a claim chained to it. */
#ifndef CROWDLOOP_CORE_TASK_LOOP_H
#define CROWDLOOP_CORE_TASK_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/project.h"
#include "core/task.h"
#include "store/ops.h"

/* The longest reason a rejection or a resolution may give, in bytes. */
#define TASK_REASON_MAX 2000
/* The longest reason template's name, in bytes. */
#define TASK_REASON_TEMPLATE_MAX 200

/* A reviewer's decision. */
typedef struct review_decision {
	task_action action; /* TASK_APPROVE, TASK_REJECT or TASK_FIX */
	const char *reason; /* reject: required, not blank */
	const char *reason_template;
	const char *annotation; /* fix: validated JSON text */
	const json_t *rubric;	/* llm_response: the reviewer's scores, checked; NULL when none */
} review_decision;

typedef struct task_change task_change;

/* The caller's next task in project p (rework, then their live lease, then open work), leased. */
int task_claim_start(const store *s, const project *p, int64_t user_id, task_change **out);
/* Submits an annotation (validated JSON text) of task `task_id` in project p for the lease
 * holder; a sampled review policy approves some at once, by p's review rate. */
int task_submit_start(const store *s, const project *p, int64_t task_id, int64_t user_id,
		      const char *annotation, task_change **out);
/* Gives a leased task back: it goes to others, not back to this worker. */
int task_release_start(const store *s, int64_t task_id, int64_t user_id, task_change **out);
/* The caller's next review in project p (never their own work), leased. */
int review_claim_start(const store *s, const project *p, int64_t user_id, task_change **out);
/* A review decision on task `task_id`; CL_EINVAL/CL_EANNOTATION with err set when the decision
 * itself is wrong (a rejection without a reason, a reason too long). */
int task_review_start(const store *s, const project *p, int64_t task_id, int64_t user_id,
		      const review_decision *dec, task_change **out, cl_error *err);
/* A manager's decision on an escalated task: TASK_RESOLVE_APPROVE (annotation optional) or
 * TASK_DISCARD. */
int task_resolve_start(const store *s, int64_t task_id, int64_t user_id, task_action action,
		       const char *annotation, const char *reason, task_change **out,
		       cl_error *err);

/* Chains to a submit (review false) or a review decision (review true) the caller's next claim
 * in project p, made in the same transaction right after the change. A refused claim changes
 * nothing and the change stands; a claim that fails after writing fails the change with it. */
void task_change_chain(task_change *tc, const project *p, bool review);
/* Queues the change; done(arg, rc) runs on a store thread once it is durable or has failed
 * (also at once when it cannot be queued). */
void task_change_run(task_change *tc, db_done_fn done, void *arg);
/* Runs the change and waits until it is durable; returns task_change_finish's result. */
int task_change_wait(task_change *tc, cl_error *err);
/* Once the change is done, on the thread that answers: its result (and *err), after keeping
 * the facts of the tasks it handed out for the requests that follow. */
int task_change_finish(task_change *tc, cl_error *err);
/* The changed or claimed task; NULL when a claim found nothing. */
const task_view *task_change_view(const task_change *tc);
/* The project the change was made in (NULL when the caller gave none). */
const project *task_change_project(const task_change *tc);
/* Whether a claim was chained; then *next the claimed task (NULL: nothing to claim) and the
 * claim's refusal (0 when it was not refused, else the code with *why). */
bool task_change_next(const task_change *tc, const task_view **next, int *refused,
		      const cl_error **why);
void task_change_free(void *tc);

/* Returns expired leases to their queues; a periodic job of the store, ctx its store_ops. */
int task_leases_expire(store_tx *tx, void *ctx, cl_error *err);

#endif
