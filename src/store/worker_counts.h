/* The counts kept per worker and project (worker_counts.c): what promotion, fair pay, matching,
 * figures and statistics read, added to by the jobs that approve, reject, submit, score gold or
 * decide a review, each in its own transaction. */
#ifndef CROWDLOOP_STORE_WORKER_COUNTS_H
#define CROWDLOOP_STORE_WORKER_COUNTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

/* Adds `d` to a worker's figures in a project (worker_counts), making the row on first need. */
int store_worker_counted(db_conn *c, int64_t worker_id, int64_t project_id, const worker_delta *d,
			 cl_error *err);
/* Counts a review decision (approve, reject or fix, honeypots included) of `reviewer_id` in a
 * project and the fee the ledger paid for it: what /me/projects pays reviewers by, and what
 * the budget reports as paid to reviewers. Every decision goes through here, in its job. */
int store_review_counted(db_conn *c, int64_t reviewer_id, int64_t project_id, int64_t paid,
			 cl_error *err);

#endif
