/* The store side of workforce and quality: the pay ledger (store_ledger.c), gold items,
 * honeypots, audits, consensus, promotion and demotion, fair pay and matching
 * (store_quality.c), and the academy (store_academy.c). Functions taking a db_conn run inside
 * a write job of store_tasks.c, in the same transaction as the task transition they belong
 * to; the others are whole operations of their own. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_QUALITY_H
#define CROWDLOOP_STORE_STORE_QUALITY_H

#include "core/quality.h"
#include "store/store.h"

/* ---- hooks run inside the task jobs ---- */

/* Refuses a new claim (CL_ECONFLICT "budget_exhausted") when a funded project's balance cannot
 * cover the work in progress plus one more task. Unfunded projects (never deposited to) and
 * free ones (price and fee 0) are not limited. */
int store_ledger_claim_check(db_conn *c, const project *p, cl_error *err);
/* Counts `delta` tasks with `rejections` rejections into (or out of) the project's work in
 * progress (task_state_live), which the budget check reads. Every change of a task's state
 * between live and not, or of a live task's rejections, goes through here in its job. */
int store_ledger_live(db_conn *c, int64_t project_id, int rejections, int delta, cl_error *err);
/* Counts `items` new items and `tasks` new tasks into a project's totals (project_counts),
 * which statistics read. Every job that adds items or tasks goes through here. */
int store_project_counted(db_conn *c, int64_t project_id, int64_t items, int64_t tasks,
			  cl_error *err);
/* SQL for the open tasks of the project whose id is the SQL expression `project`: what its
 * counted tasks leave after its work in progress (live_tasks), its approvals (worker_counts)
 * and its discarded tasks; a few rows however many tasks wait. */
#define OPEN_TASKS(project)                                                                        \
	"(coalesce((SELECT tasks FROM project_counts WHERE project_id = " project "), 0)"          \
	" - coalesce((SELECT sum(n) FROM live_tasks WHERE project_id = " project "), 0)"           \
	" - coalesce((SELECT sum(approved) FROM worker_counts WHERE project_id = " project "), 0)" \
	" - (SELECT count(*) FROM tasks INDEXED BY tasks_settled WHERE project_id = " project      \
	" AND state = 'discarded'))"
/* Credits the worker the project's price for an approved task, once per task; *paid what it
 * credited (0 for a free or unfunded project, or a task paid before). */
int store_ledger_on_approve(db_conn *c, int64_t project_id, int64_t task_id, int64_t worker_id,
			    int64_t now, int64_t *paid, cl_error *err);
/* Credits the reviewer the project's fee for the review of `round` of a task (round 0: a
 * honeypot), once per task and round; *paid what it credited, as store_ledger_on_approve. */
int store_ledger_on_review(db_conn *c, int64_t project_id, int64_t task_id, int round,
			   int64_t reviewer_id, int64_t now, int64_t *paid, cl_error *err);

/* Maybe swaps the open task a worker is about to claim for a new task on a gold item of the
 * project, at the project's gold rate; returns the task to claim (`open_id` or the gold one). */
int64_t store_quality_gold_pick(db_conn *c, const project *p, int64_t user_id, int64_t open_id,
				int64_t now);
/* Scores a submission when the task's item is gold. */
int store_quality_on_submit(db_conn *c, int64_t task_id, int round, int64_t worker_id,
			    const char *annotation, int64_t now, cl_error *err);
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
/* Counts an approval of `worker_id`'s task in a project, whether it passed at its first
 * review, whether it was the task's first decision, and what the ledger paid for it, in the
 * worker's figures that promotion, fair pay and statistics read (worker_counts, which a
 * submit's gold score adds to as well). Every approval goes through here, in its job. */
int store_approval_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_pass,
			   bool first_decision, int64_t paid, cl_error *err);
/* Counts a rejection of `worker_id`'s submission, and whether it was the task's first
 * decision. Every rejection goes through here, in its job. */
int store_rejection_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_decision,
			    cl_error *err);
/* Counts a submit at `now` and its time since the task's claim in the worker's figures;
 * `first_of_task` when the worker never submitted this task before. */
int store_submit_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_of_task,
			 int64_t active_ms, int64_t now, cl_error *err);
/* Counts a review decision (approve, reject or fix, honeypots included) of `reviewer_id` in a
 * project and the fee the ledger paid for it: what /me/projects pays reviewers by, and what
 * the budget reports as paid to reviewers. Every decision goes through here, in its job. */
int store_review_counted(db_conn *c, int64_t reviewer_id, int64_t project_id, int64_t paid,
			 cl_error *err);
/* After an approval of a worker's task: checks the worker's promotion. */
int store_quality_after_approve(db_conn *c, int64_t project_id, int64_t worker_id, int64_t now,
				cl_error *err);

/* ---- ledger (store_ledger.c) ---- */

/* Money into an org's budget from outside (admin): external -> org. */
int store_ledger_fund_org(db *d, int64_t org_id, int64_t amount, int64_t actor,
			  const char *memo, json_t **out, cl_error *err);
/* An org's budget into one of its projects: org -> project. */
int store_ledger_deposit(db *d, int64_t project_id, int64_t amount, int64_t actor,
			 const char *memo, json_t **out, cl_error *err);
/* {"org_id","currency","balance"}. */
json_t *store_ledger_org(db *d, int64_t org_id);
/* {"project_id","currency","funded","balance","reserved","available","paid_to_workers",
 * "paid_to_reviewers","deposited"}. */
json_t *store_ledger_project(db *d, const project *p);
/* My balances per currency with what is on hold for payouts. */
json_t *store_ledger_me(db *d, int64_t user_id);
/* A page of the ledger lines of my account(s): newest first. */
json_t *store_ledger_my_entries(db *d, int64_t user_id, int64_t cursor, int limit,
				int64_t *next);
/* Every account with its balance (admin). */
json_t *store_ledger_accounts(db *d);
/* Verifies the ledger: every transaction sums to zero, every balance equals the sum of its
 * entries, none below zero but the external one. {"ok","txns","entries","accounts","problems"}. */
json_t *store_ledger_check(db *d);

/* A worker asks for `amount` of their balance: worker -> payout hold. */
int store_payout_request(db *d, int64_t user_id, const char *currency, int64_t amount,
			 json_t **out, cl_error *err);
/* An admin approves (hold -> paid out) or rejects (hold -> worker) a requested payout. */
int store_payout_decide(db *d, int64_t payout_id, int64_t admin_id, bool approve,
			const char *note, json_t **out, cl_error *err);
/* Payouts by id, newest first; status may be NULL, user_id 0 for all. */
json_t *store_payouts_list(db *d, const char *status, int64_t user_id, int64_t cursor,
			   int limit, int64_t *next);
/* The owner of a payout; CL_ENOTFOUND when missing. */
int store_payout_owner(db *d, int64_t payout_id, int64_t *user_id);

/* ---- quality (store_quality.c) ---- */

/* The project's settings (defaults when none were saved), on any connection. */
void store_quality_settings_load(db_conn *c, int64_t project_id, quality_settings *s);
json_t *store_quality_settings_get(db *d, int64_t project_id);
/* Applies a partial QualitySettings object and saves; *out the whole settings. */
int store_quality_settings_put(db *d, int64_t project_id, const json_t *in, json_t **out,
			       cl_error *err);

/* One gold item to add: an existing item of the project (item_id > 0) or new text. */
typedef struct gold_new {
	int64_t item_id;
	const char *text;    /* new text item: its content and hash (hex) */
	char hash[65];
	const char *answer;  /* validated annotation JSON */
	const char *explanation;
} gold_new;

/* Adds gold items in one transaction; report gets "added", "item_ids". New text items get no
 * tasks of their own: gold tasks are made per worker at claim time. */
int store_gold_add(db *d, const project *p, const gold_new *g, size_t n, int64_t actor,
		   json_t *report, cl_error *err);
/* A manager's page of gold items with answers. */
json_t *store_gold_list(db *d, int64_t project_id, int64_t cursor, int limit, int64_t *next);
/* The gold answer of an item of the project (new reference) or NULL when not gold. */
json_t *store_gold_answer(db *d, int64_t item_id);

/* Samples up to `size` approved tasks (no gold, no honeypots, not audited before). */
int store_audit_create(db *d, int64_t project_id, int size, int64_t actor, json_t **out,
		       cl_error *err);
json_t *store_audit_get(db *d, int64_t audit_id, int64_t *project_id);
json_t *store_audits_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			  int64_t *next);
/* Records a verdict on one task of an audit; may demote the task's reviewer. */
int store_audit_verdict(db *d, int64_t audit_id, int64_t task_id, bool correct,
			const char *note, int64_t actor, json_t **out, cl_error *err);

/* The project's quality figures (docs/API.md, Quality). */
json_t *store_quality_figures(db *d, const project *p);
/* The caller's own figures across projects: gold accuracy per kind, reviewer accuracy. */
json_t *store_quality_me(db *d, int64_t user_id);
/* Consolidated answers per item with an approved annotation, a page in item order (the
 * cursor: the first approved task of the page's last item). */
json_t *store_consensus(db *d, const project *p, int64_t cursor, int limit, int64_t *next);
/* Agreement per project and per worker. */
json_t *store_agreement(db *d, const project *p);
/* Promotions and demotions of a project. */
json_t *store_role_changes(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			   int64_t *next);
/* Effective hourly earnings per worker and the project's flag against `min_wage`. */
json_t *store_fair_pay(db *d, const project *p, int64_t min_wage);
/* Open projects ranked for a worker, each with the figures behind its rank. */
json_t *store_matches_for_worker(db *d, const principal *pr);
/* Workers ranked for a project, with their figures. */
json_t *store_matches_for_project(db *d, const project *p);

/* ---- academy (store_academy.c) ---- */

typedef struct course_new {
	task_kind kind;
	const char *name, *lesson;
	const char *labels;   /* JSON array text */
	bool multi_label;
	double pass_score;
	int exam_size;
	int cooldown_seconds;
} course_new;

int store_course_create(db *d, const course_new *c, int64_t actor, json_t **out,
			cl_error *err);
/* A course for a user: lesson, counts and the user's standing (qualified, retry_at). */
json_t *store_course_get(db *d, int64_t course_id, int64_t user_id);
/* A page of courses in id order after `cursor` (0: from the start), without their lessons;
 * *next is the cursor of the page after, 0 at the end. */
json_t *store_courses_list(db *d, int64_t user_id, int64_t cursor, int limit, int64_t *next);
/* The course's kind, labels and multi_label, to validate answers; CL_ENOTFOUND. */
int store_course_project(db *d, int64_t course_id, project *p);
/* Adds a question (answers validated by the caller). */
int store_course_question_add(db *d, int64_t course_id, const char *role, const char *item,
			      const char *answer, const char *explanation, json_t **out,
			      cl_error *err);
/* Copies a project's gold items as exam questions; *added the count. */
int store_course_questions_from_gold(db *d, int64_t course_id, int64_t project_id,
				     int *added, cl_error *err);
/* The project item a question of course_id shows (one added with an "item_id"), 0 when none. */
int64_t store_course_question_item(db *d, int64_t course_id, int64_t question_id);
/* A page of a course's practice questions, without answers, in id order after `cursor`; *next as
 * for db_page. New reference. */
json_t *store_course_practice(db *d, int64_t course_id, int64_t cursor, int limit, bool desc,
			      int64_t *next);
/* A practice question's item, answer and explanation (new references in *q); CL_ENOTFOUND. */
int store_course_practice_answer(db *d, int64_t course_id, int64_t question_id, json_t **item,
				 json_t **answer, char **explanation);
/* Starts an exam: CL_ECONFLICT "exam_cooldown" (with the time) while a failed attempt's
 * cooldown runs, "already_qualified" when qualified, "no_exam" without questions. */
int store_exam_start(db *d, int64_t course_id, int64_t user_id, json_t **out, cl_error *err);
/* The attempt's user, course and whether it is finished. */
int store_exam_attempt(db *d, int64_t attempt_id, int64_t *user_id, int64_t *course_id,
		       bool *finished);
/* The attempt's questions with answers, for scoring: [{"id","item","answer"}]. */
json_t *store_exam_questions(db *d, int64_t attempt_id);
/* Records the score; grants the qualification when passed. */
int store_exam_finish(db *d, int64_t attempt_id, double score, bool passed, json_t **out,
		      cl_error *err);
/* The user's qualifications. */
json_t *store_qualifications(db *d, int64_t user_id);
/* The first course of `s` the user lacks (0 when none) and its name. */
int64_t store_academy_missing(db *d, int64_t user_id, const quality_settings *s,
			      char name[256]);
/* True when the user is an owner or manager of some org (may author courses). */
bool store_user_manages_any_org(db *d, int64_t user_id);

#endif
