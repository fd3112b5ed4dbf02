/* Honeypots in SQL (honeypots.c): gold items with a planted error handed to reviewers. Both
 * functions run inside a write job of the review they belong to. */
#ifndef CROWDLOOP_STORE_HONEYPOTS_H
#define CROWDLOOP_STORE_HONEYPOTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project.h"
#include "store/db.h"
#include "util/err.h"

/* Maybe makes a honeypot (a gold item with a planted error, already submitted) for a reviewer,
 * at the project's honeypot rate; returns its task id (state submitted) or `real_id`. */
int64_t store_quality_honeypot_pick(db_conn *c, const project *p, int64_t reviewer_id,
				    int64_t real_id, int64_t now);
/* Decides a review of a honeypot: records caught or missed, closes the task as discarded with
 * the reviewer's decision as its event, pays the fee and may demote. *handled false when the
 * task is no honeypot (nothing done). `action` is TASK_APPROVE, TASK_REJECT or TASK_FIX. */
int store_quality_honeypot_review(db_conn *c, int64_t task_id, int64_t reviewer_id, int action,
				  const char *reason, const char *fix, int64_t now, bool *handled,
				  cl_error *err);

#endif
