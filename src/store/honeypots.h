/* Honeypots in SQL (honeypots.c): gold items with a planted error handed to reviewers. Both
 * functions run inside a write job of the review they belong to. */
#ifndef CROWDLOOP_STORE_HONEYPOTS_H
#define CROWDLOOP_STORE_HONEYPOTS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

/* A worker of the project who has submitted there, other than the reviewer, at random, and
 * their mean milliseconds from claim to submit; false when there is none. */
bool store_honeypot_worker_draw(db_conn *c, int64_t project_id, int64_t reviewer_id,
				int64_t *worker_id, int64_t *active_ms);
/* A honeypot on gold item `item_id`: a submitted task of a new slot whose annotation is
 * `planted` (JSON text), with the history of `cover`'s worker claiming and submitting it; its
 * task id, or 0 when it could not be made. */
int64_t store_honeypot_add(db_conn *c, int64_t project_id, int64_t item_id, const char *planted,
			   const honeypot_cover *cover, int64_t now);
/* Records a reviewer's decision on a honeypot, caught or missed. */
int store_honeypot_decided(db_conn *c, int64_t task_id, int64_t reviewer_id, const char *decision,
			   bool caught, int64_t now, cl_error *err);

#endif
