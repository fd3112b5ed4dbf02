/* The counts kept per worker and project (worker_counts.c): what promotion, fair pay, matching,
 * figures and statistics read, added to by the jobs that approve, reject, submit, score gold or
 * decide a review, each in its own transaction. */
#ifndef CROWDLOOP_STORE_WORKER_COUNTS_H
#define CROWDLOOP_STORE_WORKER_COUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

/* What one job adds to a worker's figures in a project; `at`, when set, is a submit's time. */
typedef struct worker_delta {
	int64_t approved, first_pass, gold_answers, gold_correct, submissions, active_ms, paid, at;
	int64_t tasks_submitted, rejected, decided;
} worker_delta;

/* Adds `d` to a worker's figures in a project (worker_counts), making the row on first need. */
int store_worker_counted(db_conn *c, int64_t worker_id, int64_t project_id, const worker_delta *d,
			 cl_error *err);
/* Counts an approval of `worker_id`'s task in a project, whether it passed at its first
 * review, whether it was the task's first decision, and what the ledger paid for it, in the
 * worker's figures that promotion, fair pay and statistics read (worker_counts, which a
 * submit's gold score adds to as well). Every approval goes through here, in its job. */
int store_approval_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_pass,
			   bool first_decision, int64_t paid, cl_error *err);
/* Counts a rejection of `worker_id`'s submission, and whether it was the task's first
 * decision. Every rejection goes through here, in its job. */
int store_rejection_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_decision,
			    cl_error *err);
/* Counts a submit at `now` and its time since the task's claim in the worker's figures;
 * `first_of_task` when the worker never submitted this task before. */
int store_submit_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_of_task,
			 int64_t active_ms, int64_t now, cl_error *err);
/* Counts a review decision (approve, reject or fix, honeypots included) of `reviewer_id` in a
 * project and the fee the ledger paid for it: what /me/projects pays reviewers by, and what
 * the budget reports as paid to reviewers. Every decision goes through here, in its job. */
int store_review_counted(db_conn *c, int64_t reviewer_id, int64_t project_id, int64_t paid,
			 cl_error *err);

#endif
