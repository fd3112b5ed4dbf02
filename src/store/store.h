/* The domain's persistent operations: accounts, orgs, projects, items, tasks, figures. All SQL
 * lives under store/; callers pass and get plain values or jansson objects (new references
 * unless said otherwise). State changes run as db_write jobs, one transaction each. This header
 * gathers the headers of the store's files, each declaring its own functions, and declares the
 * tasks' (store_tasks.c). */
#ifndef CROWDLOOP_STORE_STORE_H
#define CROWDLOOP_STORE_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/dataset.h"
#include "core/export.h"
#include "core/project.h"
#include "store/db.h"
#include "store/store_accounts.h"
#include "store/store_datasets.h"
#include "store/store_items.h"
#include "store/store_projects.h"
#include "store/store_stats.h"
#include "util/buf.h"
#include "util/err.h"

/* ---- tasks (store_tasks.c) ---- */

typedef struct task_ref {
	int64_t id;
	int64_t project_id;
	int64_t worker_id;
	int64_t reviewer_id;
	char state[16];
} task_ref;

/* Who holds or held a task, for authorization; CL_ENOTFOUND when missing. */
int store_task_ref(db *d, int64_t task_id, task_ref *t);

/* What never changes of a task: its project and what an annotation of it is validated against,
 * its item's text (NULL for images) and size. */
typedef struct task_facts {
	int64_t project_id;
	char *text; /* owned; task_facts_release frees it */
	int64_t width, height;
} task_facts;
/* The facts of task `task_id`, its item's only `with_item`; CL_ENOTFOUND when missing. Tasks
 * this thread handed out in a claim's answer are remembered, so the submit or decision that
 * follows on the same connection reads nothing. */
int store_task_facts(db *d, int64_t task_id, bool with_item, task_facts *f);
void task_facts_release(task_facts *f);
/* The next task for a worker (rework, then live lease, then open), leased; *task NULL when
 * there is none. */
int store_task_next(db *d, const project *p, int64_t user_id, json_t **task, cl_error *err);
/* Submits an annotation (already validated) for the lease holder. `auto_approve` records the
 * sample policy's decision. */
int store_task_submit(db *d, int64_t task_id, int64_t user_id, const char *annotation,
		      bool auto_approve, json_t **task, cl_error *err);
int store_task_release(db *d, int64_t task_id, int64_t user_id, json_t **task, cl_error *err);
/* The next submitted task for a reviewer (never their own), leased. */
int store_review_next(db *d, const project *p, int64_t user_id, json_t **task, cl_error *err);

typedef struct review_decision {
	int action;                 /* TASK_APPROVE, TASK_REJECT or TASK_FIX */
	const char *reason;         /* reject */
	const char *reason_template;
	const char *annotation;     /* fix: validated JSON text */
} review_decision;

int store_task_review(db *d, const project *p, int64_t task_id, int64_t user_id,
		      const review_decision *dec, json_t **task, cl_error *err);

/* The same four changes started without waiting for them, for threads that must not block
 * (the HTTP I/O threads). A *_start call copies what the change needs (the caller's project,
 * annotation and decision may go away) and queues nothing; store_task_change_run queues it,
 * and done(arg, rc) runs on a store thread once the change is durable or has failed (also at
 * once when it cannot be queued). store_task_change_answer then gives what the blocking call
 * would have: the rc, *err, and the task as JSON text appended to `task` (nothing for "nothing
 * to claim"). */
typedef struct task_change task_change;
int store_task_next_start(const project *p, int64_t user_id, task_change **out);
int store_task_submit_start(int64_t task_id, int64_t user_id, const char *annotation,
			    bool auto_approve, task_change **out);
int store_review_next_start(const project *p, int64_t user_id, task_change **out);
int store_task_review_start(const project *p, int64_t task_id, int64_t user_id,
			    const review_decision *dec, task_change **out);
/* Chains to a submit (review false) or a review decision (review true) the caller's next claim
 * in project `p`, made in the same transaction right after the change, as
 * store_task_next_start (store_review_next_start) would make it. A refused claim changes
 * nothing and the change stands; a claim that fails after writing (the store failing) fails the
 * change with it. The answer then ends with "next" (the claimed task as the claim's own answer
 * has it, or null) and, when the claim was refused, "next_error" ({"code","message"}). */
void store_task_change_chain(task_change *tc, const project *p, bool review);
void store_task_change_run(db *d, task_change *tc, db_done_fn done, void *arg);
int store_task_change_answer(db *d, task_change *tc, buf *task, cl_error *err);
void store_task_change_free(void *tc);
/* A manager's decision on an escalated task: TASK_RESOLVE_APPROVE (annotation optional) or
 * TASK_DISCARD. */
int store_task_resolve(db *d, int64_t task_id, int64_t user_id, int action,
		       const char *annotation, const char *reason, json_t **task, cl_error *err);
/* A Task object with its item, project summary and events. */
json_t *store_task_get(db *d, int64_t task_id);
json_t *store_tasks_list(db *d, int64_t project_id, const char *state, int64_t worker_id,
			 int64_t cursor, int limit, bool desc, int64_t *next);
/* Returns expired leases (periodic writer job). */
int store_leases_expire(db_conn *c, void *ctx, cl_error *err);

#endif
