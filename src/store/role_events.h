/* Promotions and demotions in SQL (role_events.c), each recorded as an event and a role change
 * with the figures behind it. Functions taking a db_conn run inside a write job. */
#ifndef CROWDLOOP_STORE_ROLE_EVENTS_H
#define CROWDLOOP_STORE_ROLE_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

/* After an approval of a worker's task: checks the worker's promotion. */
int store_quality_after_approve(db_conn *c, int64_t project_id, int64_t worker_id, int64_t now,
				cl_error *err);
/* After a honeypot's decision or an audit's verdict on a reviewer's work: demotes the reviewer
 * when their checks in the project fall below its threshold. Nothing for org staff or workers. */
int store_role_check_demote(db_conn *c, int64_t project_id, int64_t reviewer, int64_t now,
			    cl_error *err);
/* Promotions and demotions of a project. */
json_t *store_role_changes(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			   int64_t *next);

#endif
