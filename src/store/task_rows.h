/* SQLite's row operations on tasks (store/task_rows.c), the slots of store_sqlite_ops that
 * store/ops.h documents. */
#ifndef CROWDLOOP_STORE_TASK_ROWS_H
#define CROWDLOOP_STORE_TASK_ROWS_H

#include "store/ops.h"

/* The state a tasks row names in its `state` column; CL_EINTERNAL for a name that is none. */
int task_rows_state_parse(const char *name, task_state *out);
int task_rows_load(db_conn *c, int64_t id, task_row *t);
int task_rows_event_add(db_conn *c, const task_row *t, int64_t actor, task_action a, task_state to,
			const char *payload, int64_t now, cl_error *err);
int64_t task_rows_annotation_add(db_conn *c, int64_t task_id, int round, int64_t author,
				 const char *source, const char *data, int64_t now, cl_error *err);
int task_rows_leased(db_conn *c, const task_row *t, int64_t holder, bool review, int64_t until,
		     int64_t now, cl_error *err);
int task_rows_submitted(db_conn *c, const task_row *t, int round, int64_t annotation_id,
			int64_t now, cl_error *err);
int task_rows_approved(db_conn *c, const task_row *t, bool first_pass, int64_t annotation_id,
		       int64_t now, cl_error *err);
int task_rows_rejected(db_conn *c, const task_row *t, const char *rejection, int64_t now,
		       cl_error *err);
int task_rows_returned(db_conn *c, const task_row *t, bool review, int64_t now, cl_error *err);
int task_rows_discarded(db_conn *c, const task_row *t, int64_t now, cl_error *err);
int task_rows_skip_add(db_conn *c, int64_t task_id, int64_t user_id, int64_t now, cl_error *err);
bool task_rows_submitted_before(db_conn *c, int64_t task_id, int64_t user_id);

int64_t task_rows_rework_of(db_conn *c, int64_t project_id, int64_t worker_id);
int64_t task_rows_lease_of(db_conn *c, int64_t project_id, int64_t worker_id, int64_t now);
int64_t task_rows_open_for(db_conn *c, int64_t project_id, int64_t worker_id);
int64_t task_rows_review_lease_of(db_conn *c, int64_t project_id, int64_t reviewer_id, int64_t now);
int64_t task_rows_review_waiting_for(db_conn *c, int64_t project_id, int64_t reviewer_id);
int task_rows_leases_expired(db_conn *c, int64_t now, int64_t *ids, int max);
int64_t task_rows_tx_changes(db_conn *c);

bool task_rows_view_load(db_conn *c, int64_t id, task_detail detail, task_view *v);
bool task_rows_view_read(db *d, int64_t id, task_detail detail, task_view *v);
int task_rows_page(db *d, const task_query *q, task_view **out, int64_t *next);
int task_rows_ref(db *d, int64_t task_id, task_ref *t);
int task_rows_facts(db *d, int64_t task_id, bool with_item, task_facts *f);
void task_rows_facts_remember(db *d, int64_t task_id, task_facts *f);

#endif
