/* The store's interface: one table of operations per backend (SQLite's today, assembled in
 * store/sqlite_ops.c), the seam a second backend plugs into. Core's use cases run as jobs inside
 * one transaction (a store_tx) and read and write through these row operations; they decide
 * every rule, the store only reads and writes rows. What a backend does to be fast (SQLite's
 * group-committing writer, the memos of what never changes, its WAL VFS) stays behind it. */
#ifndef CROWDLOOP_STORE_OPS_H
#define CROWDLOOP_STORE_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/project.h"
#include "core/task_types.h"
#include "store/db.h"
#include "util/err.h"

/* One transaction of the store, as a job sees it. */
typedef struct db_conn store_tx;
/* A job: runs in one transaction; non-zero rolls back what it wrote. */
typedef db_write_fn store_job_fn;

/* A task as a use case reads and changes it; 0 stands for NULL ids and times. */
typedef struct task_row {
	int64_t id, project_id, item_id, worker_id, reviewer_id, lease_until, annotation_id;
	int64_t claimed_at; /* the worker's latest claim; 0 when unknown */
	int round, rejections;
	task_state state;
} task_row;

/* Who holds or held a task, for authorization. */
typedef struct task_ref {
	int64_t id, project_id, worker_id, reviewer_id;
	task_state state;
} task_ref;

/* What never changes of a task: its project and what an annotation of it is validated against,
 * its item's text (NULL for images) and size. */
typedef struct task_facts {
	int64_t project_id;
	char *text; /* owned; task_facts_release frees it */
	int64_t width, height;
} task_facts;

/* One event of a task's history, as an answer shows it (strings owned). */
typedef struct task_view_event {
	int64_t id, at, actor_id;
	char *type, *from, *to, *payload; /* payload: stored JSON text or NULL */
} task_view_event;

/* A task as an answer shows it: its own fields and, by `detail`, its item and its events. Strings
 * are owned (task_view_release); stored JSON texts go into answers as they are. */
typedef struct task_view {
	int64_t id, project_id, item_id, worker_id, reviewer_id, lease_until, approved_at;
	int slot, round;
	task_state state;
	char *rejection, *annotation; /* stored JSON texts, or NULL */
	task_detail detail;
	bool has_item; /* the item was read (detail is not TASK_BARE) */
	struct task_view_item {
		char *type, *text, *mime, *meta; /* text, mime, meta: NULL when the column is */
		int64_t width, height;
	} item;
	task_view_event *events; /* TASK_WITH_HISTORY */
	size_t n_events;
} task_view;

/* A filter of a project's task list. */
typedef struct task_query {
	int64_t project_id;
	const char *state; /* a state name, or NULL for every state */
	int64_t worker_id; /* 0: every worker */
	int64_t cursor;	   /* 0: from the start */
	int limit;
	bool desc;
} task_query;

/* The row operations of one backend. Every slot that takes a store_tx runs inside a job's
 * transaction; the others read on the calling thread's own connection. */
typedef struct store_ops {
	/* ---- the writer ---- */
	/* Runs `job` in a transaction and waits until it is durable; returns the job's result. */
	int (*write)(db *d, store_job_fn job, void *ctx, cl_error *err);
	/* Queues a job that may run more than once before it commits; done(arg, rc) once durable.
	 */
	int (*write_async_rerunnable)(db *d, store_job_fn job, void *ctx, cl_error *err,
				      db_done_fn done, void *arg);
	/* Rows changed so far on tx: tells a claim refused before writing from one that wrote. */
	int64_t (*tx_changes)(store_tx *tx);

	/* ---- a task's rows ---- */
	/* Loads task `id`; CL_ENOTFOUND when missing. */
	int (*task_load)(store_tx *tx, int64_t id, task_row *t);
	/* Appends the event of t's transition `action` from t->state to `to`, by `actor` (0: none).
	 */
	int (*task_event_add)(store_tx *tx, const task_row *t, int64_t actor, task_action action,
			      task_state to, const char *payload, int64_t now, cl_error *err);
	/* Stores an annotation of a task; returns its id, or 0 on failure (err set). */
	int64_t (*annotation_add)(store_tx *tx, int64_t task_id, int round, int64_t author,
				  const char *source, const char *data, int64_t now, cl_error *err);
	/* t (in state t->state) leased to `holder` until `until`, as its worker or reviewer. */
	int (*task_leased)(store_tx *tx, const task_row *t, int64_t holder, bool review,
			   int64_t until, int64_t now, cl_error *err);
	/* t submitted: its new round and annotation, no lease, no reviewer. */
	int (*task_submitted)(store_tx *tx, const task_row *t, int round, int64_t annotation_id,
			      int64_t now, cl_error *err);
	/* t approved with `annotation_id`, at its first pass or not. */
	int (*task_approved)(store_tx *tx, const task_row *t, bool first_pass,
			     int64_t annotation_id, int64_t now, cl_error *err);
	/* t rejected: one more rejection, the last one's JSON text, no lease. */
	int (*task_rejected)(store_tx *tx, const task_row *t, const char *rejection, int64_t now,
			     cl_error *err);
	/* t back in the queue (open, no worker), or back waiting for review (no reviewer). */
	int (*task_returned)(store_tx *tx, const task_row *t, bool review, int64_t now,
			     cl_error *err);
	/* t discarded by a manager. */
	int (*task_discarded)(store_tx *tx, const task_row *t, int64_t now, cl_error *err);
	/* Remembers that `user_id` gave task `task_id` back: it is not offered to them again. */
	int (*task_skip_add)(store_tx *tx, int64_t task_id, int64_t user_id, int64_t now,
			     cl_error *err);
	/* Whether `user_id` submitted task `task_id` before. */
	bool (*task_submitted_before)(store_tx *tx, int64_t task_id, int64_t user_id);

	/* ---- the queues (each returns a task id, 0 when there is none) ---- */
	/* The worker's oldest rejected task in the project. */
	int64_t (*rework_of)(store_tx *tx, int64_t project_id, int64_t worker_id);
	/* The worker's live lease in the project. */
	int64_t (*lease_of)(store_tx *tx, int64_t project_id, int64_t worker_id, int64_t now);
	/* The first open task by priority then age, of an item the worker has no slot of, that
	 * they did not give back. */
	int64_t (*open_task_for)(store_tx *tx, int64_t project_id, int64_t worker_id);
	/* The reviewer's live review lease in the project. */
	int64_t (*review_lease_of)(store_tx *tx, int64_t project_id, int64_t reviewer_id,
				   int64_t now);
	/* The first submitted task by priority then age whose worker is not `reviewer_id`. */
	int64_t (*review_waiting_for)(store_tx *tx, int64_t project_id, int64_t reviewer_id);
	/* Up to `max` tasks whose lease ran out by `now` (a worker's or a reviewer's). */
	int (*leases_expired)(store_tx *tx, int64_t now, int64_t *ids, int max);

	/* ---- reading tasks ---- */
	/* Task `id` as an answer shows it, with `detail`; false when there is none. */
	bool (*task_view_load)(store_tx *tx, int64_t id, task_detail detail, task_view *v);
	/* The same on the calling thread's connection, in one read transaction. */
	bool (*task_view_read)(db *d, int64_t id, task_detail detail, task_view *v);
	/* A page of a project's tasks (TASK_BARE): a new array of up to q->limit views in *out,
	 * their count returned (-1 when out of memory); *next the cursor when more remain, else 0.
	 */
	int (*tasks_page)(db *d, const task_query *q, task_view **out, int64_t *next);
	/* Who holds task `id`; CL_ENOTFOUND when missing. */
	int (*task_ref)(db *d, int64_t id, task_ref *t);
	/* The facts of task `id` (its item's only `with_item`); CL_ENOTFOUND when missing. */
	int (*task_facts)(db *d, int64_t id, bool with_item, task_facts *f);
	/* Keeps the facts of a task just handed out on this thread (takes f->text), so the submit
	 * or decision that follows on the same connection reads nothing. */
	void (*task_facts_remember)(db *d, int64_t id, task_facts *f);

	/* ---- budget and pay (ledger) ---- */
	/* Refuses a new claim a funded project's budget cannot pay for. */
	int (*budget_claim_check)(store_tx *tx, const project *p, cl_error *err);
	/* Counts `delta` live tasks with `rejections` rejections into the project's work in
	 * progress, which the budget holds money for. */
	int (*budget_live_count)(store_tx *tx, int64_t project_id, int rejections, int delta,
				 cl_error *err);
	/* Pays the worker of an approved task; *paid what it credited. */
	int (*pay_approval)(store_tx *tx, int64_t project_id, int64_t task_id, int64_t worker_id,
			    int64_t now, int64_t *paid, cl_error *err);
	/* Pays the reviewer of a task's round; *paid what it credited. */
	int (*pay_review)(store_tx *tx, int64_t project_id, int64_t task_id, int round,
			  int64_t reviewer_id, int64_t now, int64_t *paid, cl_error *err);

	/* ---- quality: gold, honeypots, the workers' figures ---- */
	/* Maybe swaps the open task `open_id` for a new task on a gold item; returns the one to
	 * claim. */
	int64_t (*gold_pick)(store_tx *tx, const project *p, int64_t worker_id, int64_t open_id,
			     int64_t now);
	/* Scores a submission of a gold item. */
	int (*gold_score)(store_tx *tx, int64_t task_id, int round, int64_t worker_id,
			  const char *annotation, int64_t now, cl_error *err);
	/* Maybe makes a honeypot for the reviewer; returns its task id or `real_id`. */
	int64_t (*honeypot_pick)(store_tx *tx, const project *p, int64_t reviewer_id,
				 int64_t real_id, int64_t now);
	/* Decides a review of a honeypot; *handled false when the task is none. */
	int (*honeypot_decide)(store_tx *tx, int64_t task_id, int64_t reviewer_id, int action,
			       const char *reason, const char *fix, int64_t now, bool *handled,
			       cl_error *err);
	/* Counts a worker's submit and the time since the claim. */
	int (*count_submit)(store_tx *tx, int64_t worker_id, int64_t project_id, bool first_of_task,
			    int64_t active_ms, int64_t now, cl_error *err);
	/* Counts an approval of a worker's task and what it paid. */
	int (*count_approval)(store_tx *tx, int64_t worker_id, int64_t project_id, bool first_pass,
			      bool first_decision, int64_t paid, cl_error *err);
	/* Counts a rejection of a worker's submission. */
	int (*count_rejection)(store_tx *tx, int64_t worker_id, int64_t project_id,
			       bool first_decision, cl_error *err);
	/* Counts a reviewer's decision and the fee it paid. */
	int (*count_review)(store_tx *tx, int64_t reviewer_id, int64_t project_id, int64_t paid,
			    cl_error *err);
	/* Checks the worker's promotion after an approval. */
	int (*promotion_check)(store_tx *tx, int64_t project_id, int64_t worker_id, int64_t now,
			       cl_error *err);
} store_ops;

/* A store: its backend's operations and handle. */
typedef struct store {
	const store_ops *ops;
	db *db;
} store;

/* SQLite's operations (store/sqlite_ops.c). */
extern const store_ops store_sqlite_ops;

#endif
