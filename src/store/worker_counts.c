/* The counts kept per worker and project (worker_counts, review_counts) that promotion, fair
 * pay, matching, figures and statistics read: every job that approves, rejects, submits, scores
 * gold or decides a review adds to them in its own transaction. */
#include "store/worker_counts.h"

/* Adds to a worker's figures in a project (worker_counts, migrations 12, 15 and 17); the row
 * is made on the first need. */
int store_worker_counted(db_conn *c, int64_t worker_id, int64_t project_id, const worker_delta *d,
			 cl_error *err)
{
	return db_count(
	    c,
	    "UPDATE worker_counts SET approved = approved + ?3,"
	    " first_pass = first_pass + ?4, gold_answers = gold_answers + ?5,"
	    " gold_correct = gold_correct + ?6, submissions = submissions + ?7,"
	    " active_ms = active_ms + ?8, paid = paid + ?9, last_at = max(last_at, ?10),"
	    " tasks_submitted = tasks_submitted + ?11, rejected = rejected + ?12,"
	    " decided = decided + ?13 WHERE user_id = ?1 AND project_id = ?2",
	    "INSERT INTO worker_counts(user_id, project_id, approved, first_pass, gold_answers,"
	    " gold_correct, submissions, active_ms, paid, last_at, tasks_submitted, rejected,"
	    " decided) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	    (int64_t[]){worker_id, project_id, d->approved, d->first_pass, d->gold_answers,
			d->gold_correct, d->submissions, d->active_ms, d->paid, d->at,
			d->tasks_submitted, d->rejected, d->decided},
	    13, err);
}

int store_review_counted(db_conn *c, int64_t reviewer_id, int64_t project_id, int64_t paid,
			 cl_error *err)
{
	return db_count(c,
			"UPDATE review_counts SET decisions = decisions + 1, paid = paid + ?3"
			" WHERE user_id = ?1 AND project_id = ?2",
			"INSERT INTO review_counts(user_id, project_id, decisions, paid)"
			" VALUES (?1,?2,1,?3)",
			(int64_t[]){reviewer_id, project_id, paid}, 3, err);
}
