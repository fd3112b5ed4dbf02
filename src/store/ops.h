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

#include <jansson.h>

#include "core/project_types.h"
#include "core/export_types.h"
#include "core/dataset_types.h"
#include "core/ledger_types.h"
#include "core/matching_types.h"
#include "core/quality_types.h"
#include "core/run_types.h"
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
	bool first_pass; /* approved without a rejection (an approved task's) */
} task_row;

/* Who holds or held a task, for authorization. */
typedef struct task_ref {
	int64_t id, project_id, worker_id, reviewer_id, item_id;
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

/* A block of a task_view's strings. A view is read on the store's writer and freed on the I/O
 * thread that answers with it: its strings are packed in one block (a large one gets its own),
 * one allocation to hand across threads rather than one a string. */
typedef struct task_view_text {
	struct task_view_text *next;
	size_t used, size;
	char bytes[];
} task_view_text;

/* A task as an answer shows it: its own fields and, by `detail`, its item and its events. Strings
 * live in `texts` (task_view_release frees them); stored JSON texts go into answers as they are. */
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
	task_view_text *texts; /* the blocks every string above points into */
} task_view;

/* What one job adds to a worker's figures in a project; `at`, when set, is a submit's time. */
typedef struct worker_delta {
	int64_t approved, first_pass, gold_answers, gold_correct, submissions, active_ms, paid, at;
	int64_t tasks_submitted, rejected, decided;
} worker_delta;

/* A gold item's known answer as a task of it finds it: the answer's JSON text (owned: free it),
 * and the task's project, item and kind. */
typedef struct gold_of_task {
	char *answer;
	int64_t project_id, item_id;
	task_kind kind;
} gold_of_task;

/* Whose work a honeypot looks like: a worker of the project other than its reviewer, and when
 * they would have claimed and submitted it; and the real task it stands in for, next to which
 * its id is taken. */
typedef struct honeypot_cover {
	int64_t worker_id;
	int64_t claimed_at, submitted_at;
	int64_t stands_for;
} honeypot_cover;

/* The score of one round of a task on a gold item. */
typedef struct gold_result {
	int64_t task_id, project_id, item_id, worker_id, at;
	int round;
	task_kind kind;
	bool correct;
	double score;
} gold_result;

/* What a project pays: its price per approved task, its fee per review, in the org's currency. */
typedef struct project_pay {
	int64_t price, fee, org_id;
	int max_rounds;
	char currency[8];
} project_pay;

/* A filter of a project's task list. */
typedef struct task_query {
	int64_t project_id;
	const char *state; /* a state name, or NULL for every state */
	int64_t worker_id; /* 0: every worker */
	int64_t cursor;	   /* 0: from the start */
	int limit;
	bool desc;
	/* The task browser's filters; any of them set walks the project's tasks with them all. */
	int64_t reviewer_id; /* 0: any; else the task's reviewer or one who decided a round */
	bool by_round;	     /* only tasks at `round` */
	int round;
	int gold;	   /* 0: any; 1: gold items only; 2: no gold items */
	const char *label; /* NULL: any; else a label the current annotation holds */
	const char *text;  /* NULL: any; else a piece of the item's text, any case */
	int64_t from, to;  /* 0: open; else last changed in [from, to), ms */
} task_query;

/* One item ready to insert: its content hash (hex) and either text or a stored blob. */
typedef struct item_new {
	item_type type;
	char hash[65];
	const char *text;
	const char *blob; /* blob name under the data dir (the hash) */
	const char *mime;
	int width, height;
	const char *meta; /* JSON object text or NULL */
	const char *source;
	long line;
} item_new;

/* A background import's record as its use case writes it (core/import_runs.c); strings
 * borrowed. */
typedef struct import_record {
	int64_t id, project_id;
	const char *state;	  /* queued, running, storing, done, failed, cancelled */
	const char *progress;	  /* its progress, JSON text */
	const char *error_code;	  /* why it failed; NULL when it did not */
	const char *error_message;
	int64_t ended_at; /* 0: not ended */
} import_record;

/* The row operations of one backend. Every slot that takes a store_tx runs inside a job's
 * transaction; the others read on the calling thread's own connection. */
/* One approved item (gold left out) with its approved annotations in slot order, as
 * each_approved_item hands it: everything is borrowed for the call. */
typedef struct approved_item {
	int64_t item_id;
	int64_t first_task; /* the item's first approved task: a page's cursor */
	json_t *const *anns;
	const int64_t *workers; /* who made each annotation; 0 for none */
	size_t k;
	const json_t *meta; /* the item's meta, when asked for; else NULL */
	const char *text;   /* the item's text, when asked for (NULL for images); else NULL */
} approved_item;

/* Which approved items a walk visits and what it reads of each besides its annotations. */
typedef struct approved_walk {
	int64_t after; /* after the item whose first approved task this is; 0: from the start */
	int limit;     /* at most this many items; -1: all */
	bool with_meta, with_text;
} approved_walk;

typedef void approved_item_fn(const approved_item *item, void *ctx);

/* A retraining pipeline's run as its use cases read it (0 and "" where not yet known). */
typedef struct pipeline_run_row {
	int64_t id, project_id, org_id, dataset_id, job_id, model_id, model_version;
	char state[16], metric[16];
} pipeline_run_row;

/* The order of a project's approved rows (gold left out). ROWS_BY_TASK: every approved task
 * by id. ROWS_BY_ITEM and ROWS_BY_HASH: only items none of whose tasks is still worked on, an
 * item's rows together in slot order, items by id or by content hash (a version's order). */
typedef enum rows_order { ROWS_BY_TASK, ROWS_BY_ITEM, ROWS_BY_HASH } rows_order;

/* A new dataset version as core's seal describes it (strings borrowed). */
typedef struct dataset_version {
	int64_t project_id, user_id;
	const char *kind, *labels, *note; /* labels: the project's labels, JSON text */
	dataset_ratios ratios;
	int64_t test_from; /* the version whose splits its known items keep; 0: split by hash */
} dataset_version;

typedef struct store_ops {
	/* ---- memos of the rows that say who may do what (projects, their quality settings) ---- */
	/* The calling thread's read connection, for the row operations a read outside a job makes.
	 */
	store_tx *(*reader)(db *d);
	/* A number that changes whenever those rows may have changed as tx sees them; 0 when tx
	 * cannot tell: then keep no memo (store/conn.h, db_access_epoch). */
	uint64_t (*access_epoch)(store_tx *tx);
	/* tx's connection's memo `which`: `size` zeroed bytes on first use (NULL out of memory);
	 * `release` (may be NULL) frees what it holds when the connection closes. */
	void *(*memo)(store_tx *tx, db_memo which, size_t size, void (*release)(void *mem));

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
	/* Remembers that `user_id` gave task `task_id` back, or approved it before it was sent to
	 * review again: it is not offered to them again while it may go to someone else. */
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
	/* The first submitted task by priority then age whose worker is not `reviewer_id`, nor
	 * one `reviewer_id` is to skip (task_skip_add) while a member reviewer of the project,
	 * its worker aside, is not. */
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

	/* ---- the desk: a manager's changes, a worker's own ---- */
	/* t's new priority among its state's queue. */
	int (*task_priority_set)(store_tx *tx, const task_row *t, int priority, int64_t now,
				 cl_error *err);
	/* t (submitted) leased to its worker again until `until`, a round back, its submission
	 * marked withdrawn; its claim's time stays. */
	int (*task_reopened)(store_tx *tx, const task_row *t, int64_t until, int64_t now,
			     cl_error *err);
	/* t (assigned or rework) handed to `worker_id`; an assigned one leased to them until
	 * `until`, with no claim time of theirs. */
	int (*task_reassigned)(store_tx *tx, const task_row *t, int64_t worker_id, int64_t until,
			       int64_t now, cl_error *err);
	/* Whether `user_id` has a slot of item `item_id` (labeled it, or holds it). */
	bool (*worker_has_item)(store_tx *tx, int64_t item_id, int64_t user_id);
	/* Up to `max` tasks the user holds a lease of in the project, to label or to review. */
	int (*member_leases)(store_tx *tx, int64_t project_id, int64_t user_id, int64_t *ids,
			     int max);
	/* Removes the user from the project's members; CL_ENOTFOUND when they are none. */
	int (*member_remove)(store_tx *tx, int64_t project_id, int64_t user_id, cl_error *err);
	/* Every annotation of task `id` and the reviews between them:
	 * {"task_id","annotations":[...],"reviews":[...]} (new reference; NULL out of memory). */
	json_t *(*task_rounds)(db *d, int64_t id);
	/* How many tasks of the project a claim may still hand the user. */
	int64_t (*tasks_left_for)(db *d, int64_t project_id, int64_t user_id, int64_t now);

	/* ---- pay (ledger) ---- */
	/* What project `id` pays; CL_ENOTFOUND when missing. */
	int (*project_pay)(store_tx *tx, int64_t id, project_pay *pp);
	/* The (kind, owner, currency) account's id and balance (may be NULL); 0 when it does not
	 * exist, -1 when the store failed (never to be read as "no account"). */
	int64_t (*account_find)(store_tx *tx, const char *kind, int64_t owner,
				const char *currency, int64_t *balance);
	/* The (kind, owner, currency) account's id, made when missing; 0 on a store error. */
	int64_t (*account_open)(store_tx *tx, const char *kind, int64_t owner,
				const char *currency, int64_t now);
	/* The project's live tasks, and the review fees they may still cost under max_rounds. */
	void (*live_work)(store_tx *tx, int64_t project_id, int max_rounds, int64_t *tasks,
			  int64_t *reviews);
	/* Counts `delta` live tasks with `rejections` rejections into the project's work in
	 * progress, which the budget holds money for. */
	int (*budget_live_count)(store_tx *tx, int64_t project_id, int rejections, int delta,
				 cl_error *err);
	/* Writes transaction t (balanced: core checked it) about r: 0 with *txn_id (may be NULL);
	 * 1 when r's idempotency key was posted before (nothing written); CL_ECONFLICT
	 * "insufficient_funds" when an account would go below zero, CL_EINVAL "balance_limit"
	 * past LEDGER_MAX_BALANCE. */
	int (*txn_post)(store_tx *tx, const ledger_txn *t, const ledger_post_ref *r, int64_t now,
			int64_t *txn_id, cl_error *err);
	/* An org's currency; false when the org does not exist. */
	bool (*org_currency)(store_tx *tx, int64_t org_id, char currency[8]);
	/* A new payout request of `amount` in `currency` by `user_id`; *id its id. */
	int (*payout_add)(store_tx *tx, int64_t user_id, const char *currency, int64_t amount,
			  int64_t now, int64_t *id, cl_error *err);
	/* Payout `id`; CL_ENOTFOUND when missing. */
	int (*payout_load)(store_tx *tx, int64_t id, payout_row *p);
	/* Payout `id` approved or rejected by `actor` with `note`. */
	int (*payout_decided)(store_tx *tx, int64_t id, bool approve, const char *note,
			      int64_t actor, int64_t now, cl_error *err);
	/* Whether a transaction with idempotency key `idem` was posted; *amount what it moved. */
	bool (*payment_find)(store_tx *tx, const char *idem, int64_t *amount);

	/* ---- quality: gold, honeypots ---- */
	/* The project's stored quality settings: their JSON text (caller frees), NULL when none
	 * were saved (core/quality_settings.c decodes them). */
	char *(*quality_settings_row)(store_tx *tx, int64_t project_id);
	/* Writes project_id's quality settings (their JSON text, checked by core). */
	int (*quality_settings_save)(store_tx *tx, int64_t project_id, const char *settings,
				     cl_error *err);
	/* Whether course `id` exists. */
	bool (*course_exists)(store_tx *tx, int64_t id);
	/* A gold item of the project at random that `worker_id` has no slot of (0: any); 0: none.
	 */
	int64_t (*gold_item_draw)(store_tx *tx, int64_t project_id, int64_t worker_id);
	/* A new task for a new slot of item `item_id`, in `state`, with an id next to task `near`
	 * among the project's (0: anywhere); its id, 0 on failure. */
	int64_t (*task_add)(store_tx *tx, int64_t project_id, int64_t item_id, task_state state,
			    int64_t now, int64_t near);
	/* The gold answer of task `task_id`'s item; false when the item is not gold. */
	bool (*gold_of_task)(store_tx *tx, int64_t task_id, gold_of_task *g);
	/* The gold answer of an item (JSON text, caller frees), NULL when not gold. */
	char *(*gold_answer)(store_tx *tx, int64_t item_id);
	/* Whether a round was scored before: -1 no, else whether it was correct. */
	int (*gold_result_get)(store_tx *tx, int64_t task_id, int round);
	/* Records (or replaces) a round's score. */
	int (*gold_result_put)(store_tx *tx, const gold_result *r, cl_error *err);
	/* A honeypot: a submitted task on gold item `item_id` with the `planted` annotation (JSON
	 * text); its task id, 0 on failure. */
	int64_t (*honeypot_add)(store_tx *tx, int64_t project_id, int64_t item_id,
				const char *planted, const honeypot_cover *cover, int64_t now);
	/* A worker of the project who has submitted there, other than `reviewer_id`, at random,
	 * and their mean time from claim to submit; false when there is none. */
	bool (*honeypot_worker_draw)(store_tx *tx, int64_t project_id, int64_t reviewer_id,
				     int64_t *worker_id, int64_t *active_ms);
	/* The gold answer behind undecided honeypot `task_id`; false when the task is none. */
	bool (*honeypot_of_task)(store_tx *tx, int64_t task_id, gold_of_task *g);
	/* Records a reviewer's decision (event type) on a honeypot, caught or missed. */
	int (*honeypot_decided)(store_tx *tx, int64_t task_id, int64_t reviewer_id,
				const char *decision, bool caught, int64_t now, cl_error *err);

	/* ---- the workers' figures and roles ---- */
	/* Adds `d` to a worker's figures in a project. */
	int (*worker_count)(store_tx *tx, int64_t worker_id, int64_t project_id,
			    const worker_delta *d, cl_error *err);
	/* Counts a reviewer's decision in a project and the fee it paid. */
	int (*review_count)(store_tx *tx, int64_t reviewer_id, int64_t project_id, int64_t paid,
			    cl_error *err);
	/* What promotion looks at of a worker in a project. */
	void (*worker_figures)(store_tx *tx, int64_t project_id, int64_t user_id,
			       quality_worker_figures *f);
	/* A reviewer's honeypots (caught) and audited approvals (passed) in a project. */
	void (*reviewer_checks)(store_tx *tx, int64_t project_id, int64_t reviewer_id, long *hp,
				long *caught, long *audits, long *passed);
	/* The user's member role in the project ("worker", "reviewer"), "" when none. */
	void (*member_role)(store_tx *tx, int64_t project_id, int64_t user_id, char role[16]);
	/* Sets the user's member role in the project. */
	int (*member_role_set)(store_tx *tx, int64_t project_id, int64_t user_id, const char *role,
			       cl_error *err);
	/* Whether the user is org staff of the project's org, or was demoted in it before. */
	bool (*promotion_barred)(store_tx *tx, int64_t project_id, int64_t user_id);
	/* Records a role change with the figures behind it (JSON object text). */
	int (*role_event_add)(store_tx *tx, int64_t project_id, int64_t user_id, const char *change,
			      const char *from, const char *to, const char *figures, int64_t now,
			      cl_error *err);
	/* Records an audit's verdict on a task; *project_id and *reviewer_id (0: none) of the task,
	 * CL_ENOTFOUND when the task is not in the audit. */
	int (*audit_verdict_set)(store_tx *tx, int64_t audit_id, int64_t task_id, bool correct,
				 const char *note, int64_t auditor_id, int64_t now,
				 int64_t *project_id, int64_t *reviewer_id, cl_error *err);
	/* Opens an audit of project_id made by label-check job `job_id` and puts in it the
	 * approved task of each flagged item, skipping a task already in an audit and an item a
	 * check flagged before; *audit_id (0 when no task was added: no audit is left) and *added. */
	int (*audit_flags_add)(store_tx *tx, int64_t project_id, int64_t job_id,
			       int64_t created_by, int64_t now, const audit_flag *flags, size_t n,
			       int64_t *audit_id, int *added, cl_error *err);

	/* ---- projects ---- */
	/* A project's labels (new reference) and whether any of its tasks was labeled;
	 * CL_ENOTFOUND when missing. */
	int (*project_labels)(store_tx *tx, int64_t project_id, json_t **labels, bool *labeled);
	/* Writes every setting of row r back (core/project_load.c encodes it). */
	int (*project_save)(store_tx *tx, const project_row *r, cl_error *err);

	/* ---- the academy ---- */
	/* A course's exam size, retry cooldown and pass score; CL_ENOTFOUND when missing. */
	int (*course_exam)(store_tx *tx, int64_t course_id, int *size, int *cooldown_seconds,
			   double *pass_score);
	/* Whether the user holds the course's qualification. */
	bool (*qualified)(store_tx *tx, int64_t user_id, int64_t course_id);
	/* When the user's last failed attempt at the course ended, 0 when none. */
	int64_t (*exam_failed_at)(store_tx *tx, int64_t user_id, int64_t course_id);
	/* A new attempt on up to `size` exam questions drawn at random; *attempt_id 0 when the
	 * course has none. */
	int (*exam_attempt_add)(store_tx *tx, int64_t course_id, int64_t user_id, int size,
				int64_t now, int64_t *attempt_id, cl_error *err);
	/* Finishes an attempt with its score; false when it was finished already. */
	bool (*exam_attempt_finish)(store_tx *tx, int64_t attempt_id, double score, bool passed,
				    int64_t now, int64_t *user_id, int64_t *course_id);
	/* Grants a qualification (once). */
	int (*qualification_add)(store_tx *tx, int64_t user_id, int64_t course_id,
				 int64_t attempt_id, int64_t now, cl_error *err);
	/* The project a course's questions are checked against (its kind and labels). */
	int (*course_project)(db *d, int64_t course_id, project *p);
	/* An attempt's questions with their answers: [{"id","item","answer"}] (new reference). */
	json_t *(*exam_questions)(db *d, int64_t attempt_id);
	/* The first course of `s` the user lacks (0 when none) and its name. */
	int64_t (*course_missing)(db *d, int64_t user_id, const quality_settings *s, char name[256]);
	/* ---- training jobs (runs) and the model registry ---- */
	/* Inserts a new job from `j`; sets j->id. */
	int (*run_insert)(store_tx *tx, run_row *j, cl_error *err);
	/* Loads job `id` (run_row_release frees its texts); CL_ENOTFOUND when missing. */
	int (*run_load)(store_tx *tx, int64_t id, run_row *j);
	/* Writes back a job's state, attempt, process, times, end and token. */
	int (*run_save)(store_tx *tx, const run_row *j, cl_error *err);
	/* Marks a running job's cancel as asked, for the runner. */
	int (*run_cancel_request)(store_tx *tx, int64_t id, cl_error *err);
	/* Writes a param once; CL_ECONFLICT "param_written" when the key has a value. */
	int (*run_param_put)(store_tx *tx, int64_t job_id, const char *key, const char *value,
			     cl_error *err);
	/* Sets a job's tag `key` to `value` (a tag, unlike a param, may change). */
	int (*run_tag_put)(store_tx *tx, int64_t job_id, const char *key, const char *value,
			   cl_error *err);
	/* Removes a job's tag `key`; CL_ENOTFOUND when it has none. */
	int (*run_tag_delete)(store_tx *tx, int64_t job_id, const char *key, cl_error *err);
	/* Appends `n` points to a job's metric series. */
	int (*run_metrics_add)(store_tx *tx, int64_t job_id, const run_metric *m, size_t n,
			       cl_error *err);
	/* Records an output file of a job, content-addressed by sha256. */
	int (*run_artifact_add)(store_tx *tx, int64_t job_id, const char *path, const char *sha256,
				int64_t size, cl_error *err);
	/* Keeps a job's evaluation (JSON text). */
	int (*run_evaluation_set)(store_tx *tx, int64_t job_id, const char *evaluation,
				  cl_error *err);
	/* A dataset version's org, project and kind; CL_ENOTFOUND when missing. */
	int (*run_dataset_of)(store_tx *tx, int64_t dataset_id, int64_t *org_id,
			      int64_t *project_id, char kind[24]);
	/* The lineage of a model made from job `job_id` (JSON text, caller frees); NULL: no job. */
	char *(*run_lineage)(store_tx *tx, int64_t job_id);
	/* A job's evaluation (JSON text, caller frees) or NULL. */
	char *(*run_evaluation)(store_tx *tx, int64_t job_id);
	/* Sets an org's quota. */
	int (*org_quota_put)(store_tx *tx, int64_t org_id, const run_quota *q, cl_error *err);
	/* An org's quota ({-1, -1, 1}: none) on the calling thread's connection. */
	void (*org_quota)(db *d, int64_t org_id, run_quota *q);
	/* Up to `max` queued or running jobs with ids above `after`, oldest first, each row written
	 * whole (`out` need not be zeroed); their count. */
	int (*runs_live)(db *d, int64_t after, run_row *out, int max);
	/* Up to `max` live jobs whose cancel was asked; their count. */
	int (*runs_cancel_asked)(db *d, int64_t *ids, int max);
	/* A dataset version as project.json describes it (JSON text, caller frees), NULL: none. */
	char *(*dataset_description)(db *d, int64_t dataset_id);
	/* A dataset version's rows on a read snapshot of their own (NULL on failure). */
	void *(*dataset_rows_open)(db *d, int64_t dataset_id);
	/* A project's approved rows in `order` on a read snapshot of their own (NULL on failure). */
	void *(*approved_rows_open)(db *d, int64_t project_id, rows_order order);
	/* The same inside a job's transaction. */
	void *(*approved_rows_open_tx)(store_tx *tx, int64_t project_id, rows_order order);
	/* The next row of either (strings valid until the next call): 1, 0 at the end, or < 0. */
	int (*dataset_rows_next)(void *rows, export_row *row);
	/* A project's approved tasks counted for an export's summary, on the calling thread's
	 * connection: all, of gold items, of items still worked on, and finished items. */
	void (*export_counts)(db *d, int64_t project_id, export_counts *out);
	/* Back to the first row of the same snapshot. */
	int (*dataset_rows_rewind)(void *rows);
	void (*dataset_rows_close)(void *rows);
	/* Adds version v's row, numbered after its project's last; *id its id. */
	int (*dataset_version_add)(store_tx *tx, const dataset_version *v, int64_t now, int64_t *id,
				   cl_error *err);
	/* Adds row r of version `dataset_id` in `split` with its canonical annotation `canon`. */
	int (*dataset_row_add)(store_tx *tx, int64_t dataset_id, const export_row *r,
			       const char *split, const char *canon, cl_error *err);
	/* The split (a name, at most 15 bytes) the item of content hash `item_hash` has in version
	 * `dataset_id`; false when the version does not hold it. */
	bool (*dataset_row_split)(store_tx *tx, int64_t dataset_id, const char *item_hash,
				  char split[16]);
	/* Seals version `id`: its content hash, numbers of rows and items, counts (JSON text). */
	int (*dataset_version_seal)(store_tx *tx, int64_t id, const char *digest, int64_t rows,
				    int64_t items, const char *counts, cl_error *err);
	/* ---- items ---- */
	/* Inserts items of a project with `overlap` tasks each, skipping those whose hash exists,
	 * in one transaction of its own; adds to report's item_ids, duplicate_entries, accepted
	 * and duplicates. */
	int (*items_insert)(db *d, int64_t project_id, int overlap, const item_new *items, size_t n,
			    json_t *report, cl_error *err);
	/* items_insert for background import `rec`, whose record turns done (with the report and
	 * rec's progress and end) in the same transaction; n may be 0. */
	int (*import_items_insert)(db *d, const import_record *rec, int overlap,
				   const item_new *items, size_t n, json_t *report, cl_error *err);
	/* A new queued import record of project_id; *id its id. */
	int (*import_insert)(db *d, int64_t project_id, int64_t bytes_total, int64_t created_at,
			     int64_t *id, cl_error *err);
	/* Writes an import record's state, progress, error and end (not done: see above); an
	 * ended record is left as it is. */
	int (*import_update)(db *d, const import_record *rec, cl_error *err);
	/* The Import object from project_id's record `id` (a new reference), NULL when none. */
	json_t *(*import_get)(db *d, int64_t project_id, int64_t id);
	/* Fails every record still queued, running or storing with code and message; *n how
	 * many. */
	int (*imports_interrupted)(db *d, const char *code, const char *message, int64_t now,
				   int *n, cl_error *err);
	/* The hex SHA-256 of bytes: an item's content hash and a blob's name. */
	void (*content_hash)(const void *data, size_t len, char out[65]);
	/* Stores bytes as blob `hash` under `data_dir` (nothing when present): 0, CL_EUNAVAIL when
	 * the disk is full (the store then refuses writes until it has room), or CL_EINTERNAL. */
	int (*blob_put)(db *d, const char *data_dir, const char *hash, const void *data,
			size_t len);
	/* Releases the hold blob_put took on `hash` (store/blobs.h): call it once the transaction
	 * that names the blob has ended, so that letting go of the same bytes elsewhere never
	 * removes the file of a reference on its way. NULL is fine. */
	void (*blob_release)(const char *hash);
	/* The file of blob `hash` under `data_dir`; -1 when the name is not a blob's. */
	int (*blob_file)(const char *data_dir, const char *hash, char *out, size_t size);
	/* A model's org, 0 when missing. */
	int64_t (*model_org)(store_tx *tx, int64_t model_id);
	/* Adds a model; CL_ECONFLICT "model_exists" when the org has the name. */
	int (*model_insert)(store_tx *tx, int64_t org_id, const char *name, int64_t by, int64_t now,
			    int64_t *id, cl_error *err);
	/* Adds a model's next version; *version its number. */
	int (*model_version_add)(store_tx *tx, int64_t model_id, int64_t job_id, const char *dir,
				 const char *evaluation, const char *lineage, int64_t by,
				 int64_t now, int *version, cl_error *err);
	/* Whether a model has that version. */
	bool (*model_has_version)(store_tx *tx, int64_t model_id, int version);
	/* The version an alias points at, 0 when none. */
	int (*model_alias_get)(store_tx *tx, int64_t model_id, const char *name);
	/* Points an alias at a version and records the move as an event. */
	int (*model_alias_move)(store_tx *tx, int64_t model_id, const char *name, int from,
				int version, int64_t actor, int64_t now, cl_error *err);

	/* ---- the retraining pipeline (store/store_pipeline.c) ---- */
	/* Loads run `id` with its project's org; CL_ENOTFOUND when missing. */
	int (*pipeline_run_load)(store_tx *tx, int64_t id, pipeline_run_row *out);
	/* Starts a run of a project at `approved` approved tasks (its settings remember the count)
	 * with its "trigger" step by `actor` (0: the pipeline); CL_ECONFLICT when the project has
	 * a live run. */
	int (*pipeline_run_start)(store_tx *tx, int64_t project_id, int64_t approved,
				  const char *metric, const char *figures, int64_t actor,
				  int64_t now, int64_t *run_id, cl_error *err);
	/* The project's run waiting for a person, 0 when none. */
	int64_t (*pipeline_run_waiting)(store_tx *tx, int64_t project_id);
	/* Appends a step event (figures: JSON object text; actor 0: the pipeline) and sets the
	 * run's columns named in `set` (state, dataset_id, job_id, model_id, model_version, figure,
	 * production_version, production_figure, reason); a state other than running or waiting
	 * ends the run. */
	int (*pipeline_step)(store_tx *tx, int64_t run_id, const char *step, const char *state,
			     const char *figures, const char *reason, int64_t actor,
			     const json_t *set, int64_t now, cl_error *err);
	/* A project's pipeline settings (JSON text, caller frees); NULL when it has none. */
	char *(*pipeline_settings)(db *d, int64_t project_id);
	/* Writes a project's settings (JSON text) as set by `user`. */
	int (*pipeline_settings_put)(db *d, int64_t project_id, const char *settings, int64_t user,
				     int64_t now, cl_error *err);
	/* Enabled pipelines with no running run (one waiting for a person may be superseded)
	 * and their approved count: [{"project_id","approved",
	 * "last_approved","user_id","settings"}], the caller compares with the threshold. */
	json_t *(*pipeline_candidates)(db *d);
	/* One project's pipeline as pipeline_candidates gives it, enabled or not, whatever its
	 * runs; NULL when it has no settings. */
	json_t *(*pipeline_candidate)(store_tx *tx, int64_t project_id);
	/* The ids of the runs in state running. */
	json_t *(*pipeline_runs_running)(db *d);
	/* The version whose test split a project's pipeline keeps (0: none yet); and setting it. */
	int64_t (*pipeline_base)(db *d, int64_t project_id);
	int (*pipeline_base_set)(db *d, int64_t project_id, int64_t dataset_id, cl_error *err);
	/* Hands fn project `id`'s row on the calling thread's connection, with user_id's org and
	 * member roles when user_id is not 0; CL_ENOTFOUND when missing. */
	int (*project_row)(db *d, int64_t id, int64_t user_id, project_row_fn *fn, void *ctx);
	/* Inserts row r (created_at set) of its org in a transaction of its own: *id the new
	 * project's, and the org's currency; CL_ENOTFOUND when the org is missing. */
	int (*project_insert)(db *d, const project_row *r, int64_t *id, char currency[8],
			      cl_error *err);
	/* The version whose test split dataset version `id` has (its test_from, else itself). */
	int64_t (*dataset_test_base)(db *d, int64_t id);
	/* An org's model by name, 0 when missing. */
	int64_t (*model_find)(db *d, int64_t org_id, const char *name);
	/* The job that made a model's version, 0 when missing. */
	int64_t (*model_version_job)(db *d, int64_t model_id, int version);
	/* A job's dataset version and evaluation (JSON text, caller frees; NULL when none). */
	char *(*job_evaluation)(db *d, int64_t job_id, int64_t *dataset_id);
	/* A project's runs with their steps, newest first (at most `limit`). */
	json_t *(*pipeline_history)(db *d, int64_t project_id, int limit);

	/* ---- reads for figures, outside any transaction ---- */
	/* Calls fn for each of a project's approved items that walk `w` names, in item order, in
	 * one read snapshot. */
	void (*each_approved_item)(db *d, int64_t project_id, const approved_walk *w,
				   approved_item_fn *fn, void *ctx);
	/* The counts of project_id's quality figures in one read snapshot: 0, or CL_ENOMEM. */
	int (*quality_counts)(db *d, int64_t project_id, quality_figures *f);
	/* The counts of a user's own figures: gold answers and honeypots given before `cutoff`, in
	 * whole batches of `batch`, and audits of their approvals. */
	void (*quality_me_counts)(db *d, int64_t user_id, int64_t cutoff, int batch, quality_me *m);
	/* The open projects user_id may take, with their required courses (and which user_id
	 * holds) and user_id's history on each of their kinds, in one read snapshot: 0, or
	 * CL_ENOMEM with nothing owned. */
	int (*matching_projects)(db *d, int64_t user_id, matching_projects *m);
	/* The workers who may fit project_id (of `kind`) with their history on it, their role in it
	 * and which of its required courses they hold, in one read snapshot: 0, or CL_ENOMEM. */
	int (*matching_workers)(db *d, int64_t project_id, task_kind kind, matching_workers *m);
	/* A user's name into out ("" when unknown). */
	void (*user_name)(db *d, int64_t user_id, char *out, size_t size);
} store_ops;

/* A store: its backend's operations and handle. */
typedef struct store {
	const store_ops *ops;
	db *db;
} store;

/* SQLite's operations (store/sqlite_ops.c). */
extern const store_ops store_sqlite_ops;

#endif
