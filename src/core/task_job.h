/* What the labeling loop's use cases (core/claim.c, submit.c, review.c, approval.c,
 * task_change.c) share: a change's job as the store's writer runs it, and the steps every
 * change takes. Private to them. */
#ifndef CROWDLOOP_CORE_TASK_JOB_H
#define CROWDLOOP_CORE_TASK_JOB_H

#include "core/task_loop.h"

/* One change (or a claim chained to one) as a job of the store. */
typedef struct task_job {
	const store_ops *ops;
	const project *p; /* NULL for changes that need no project */
	int64_t task_id, user_id, now;
	const char *annotation;
	bool auto_approve;
	const review_decision *dec;
	task_action action; /* resolve: TASK_RESOLVE_APPROVE or TASK_DISCARD */
	const char *reason;
	store_job_fn fn;
	int64_t out;	    /* the task to answer with, 0: none */
	task_detail detail; /* what the answer carries besides the task's fields */
	task_view view;	    /* the task `out` after the change, read in its transaction */
	bool has_view;
	struct task_job *then; /* a claim chained to this change, or NULL */
	int rc;		       /* that claim's result, and why it was refused */
	cl_error err;
} task_job;

/* Checks the state machine, appends the event (payload JSON text or NULL) and moves t->state
 * to *to; the caller's row operation then writes the new state with the columns that change
 * with it. Keeps the budget's count of work in progress. */
int task_job_transition(store_tx *tx, task_job *j, task_row *t, int64_t actor, task_action a,
			bool exhausted, const char *payload, task_state *to, cl_error *err);
/* The same with the payload a JSON object (stolen) or NULL. */
int task_job_transition_json(store_tx *tx, task_job *j, task_row *t, int64_t actor, task_action a,
			     bool exhausted, json_t *payload, task_state *to, cl_error *err);
/* Loads task j->task_id; 404 "task not found" when missing. */
int task_job_load(store_tx *tx, task_job *j, task_row *t, cl_error *err);
/* Loads task j->task_id and checks that j->user_id holds its live lease (to label, or to
 * review with `review`). */
int task_job_load_held(store_tx *tx, task_job *j, task_row *t, bool review, cl_error *err);
/* The lease checks of submit, release and review: j->user_id holds t's live lease. */
int task_job_check_holder(const task_job *j, const task_row *t, bool review, cl_error *err);
/* What every approval does after its transition: the task's row, the worker's pay and counts,
 * a look at their promotion. */
int task_job_approve(store_tx *tx, task_job *j, const task_row *t, bool first_pass,
		     int64_t annotation_id, cl_error *err);
/* Whether a decision on t is its first, which counts the task as decided for its worker (once,
 * whatever follows): never rejected, nor approved before (an approval undone by a review again
 * leaves the task decided). */
bool task_job_first_decision(const task_row *t);

/* Whether a sampled review policy lets this submission through without a reviewer (a coin
 * toss at the project's review rate; always false under full review). */
bool task_review_skipped(const project *p);
/* Checks a review decision itself: a rejection needs a reason the worker can act on. */
int review_decision_check(const review_decision *dec, cl_error *err);

/* The jobs, by file. */
int task_claim_job(store_tx *tx, void *ctx, cl_error *err);   /* claim.c */
int review_claim_job(store_tx *tx, void *ctx, cl_error *err); /* claim.c */
int task_release_job(store_tx *tx, void *ctx, cl_error *err); /* claim.c */
int task_submit_job(store_tx *tx, void *ctx, cl_error *err);  /* submit.c */
int task_review_job(store_tx *tx, void *ctx, cl_error *err);  /* review.c */
int task_resolve_job(store_tx *tx, void *ctx, cl_error *err); /* review.c */
int task_reopen_job(store_tx *tx, void *ctx, cl_error *err);  /* task_desk.c */

#endif
