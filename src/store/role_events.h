/* Promotions and demotions in SQL (role_events.c), each recorded as an event and a role change
 * with the figures behind it. Functions taking a db_conn run inside a write job. */
#ifndef CROWDLOOP_STORE_ROLE_EVENTS_H
#define CROWDLOOP_STORE_ROLE_EVENTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/quality_types.h"
#include "store/db.h"
#include "util/err.h"

/* The rows of promotion and demotion (store/ops.h documents each as its slot): a role change
 * recorded with its figures, a member's role read and set, a worker's figures, and whether
 * they may be promoted at all. */
int store_role_event_add(db_conn *c, int64_t project_id, int64_t user_id, const char *change,
			 const char *from, const char *to, const char *figures, int64_t now,
			 cl_error *err);
void store_member_role(db_conn *c, int64_t project_id, int64_t user_id, char role[16]);
int store_member_role_set(db_conn *c, int64_t project_id, int64_t user_id, const char *role,
			  cl_error *err);
void store_worker_figures(db_conn *c, int64_t project_id, int64_t user_id,
			  quality_worker_figures *f);
bool store_promotion_barred(db_conn *c, int64_t project_id, int64_t user_id);
/* Promotions and demotions of a project. */
json_t *store_role_changes(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			   int64_t *next);

#endif
