/* SQLite's row operations for the manager's desk and the worker's own view of their work
 * (store/task_desk.c): a task's priority, a submission taken back, a member's leases and their
 * removal, the rounds of a task, and how many tasks a worker may still claim. The slots of
 * store_sqlite_ops that store/ops.h documents. */
#ifndef CROWDLOOP_STORE_TASK_DESK_H
#define CROWDLOOP_STORE_TASK_DESK_H

#include "store/ops.h"

int task_desk_priority_set(db_conn *c, const task_row *t, int priority, int64_t now, cl_error *err);
int task_desk_reopened(db_conn *c, const task_row *t, int64_t until, int64_t now, cl_error *err);
int task_desk_reassigned(db_conn *c, const task_row *t, int64_t worker_id, int64_t until,
			 int64_t now, cl_error *err);
bool task_desk_worker_has_item(db_conn *c, int64_t item_id, int64_t user_id);
int task_desk_member_leases(db_conn *c, int64_t project_id, int64_t user_id, int64_t *ids, int max);
int task_desk_member_remove(db_conn *c, int64_t project_id, int64_t user_id, cl_error *err);
json_t *task_desk_rounds(db *d, int64_t task_id);
int64_t task_desk_left_for(db *d, int64_t project_id, int64_t user_id, int64_t now);

#endif
