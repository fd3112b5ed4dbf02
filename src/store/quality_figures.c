/* The counts behind a project's quality figures in SQL: audits, gold answers, honeypots, and each
 * worker's and reviewer's counts; and a user's own counts across projects. Core turns them into
 * intervals and flags (core/quality_figures.c). */
#include "store/quality_figures.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Steps a bound statement for its one row of two counts: *n and *k (0 when there is no row). */
static void two_counts(sqlite3_stmt *st, long *n, long *k)
{
	*n = *k = 0;
	if (db_step(st) == SQLITE_ROW) {
		*n = (long)sqlite3_column_int64(st, 0);
		*k = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

/* A reviewer's checks in a project: honeypots decided and audited approvals. */
void store_reviewer_checks(db_conn *c, int64_t project_id, int64_t reviewer, long *hp, long *caught,
			   long *audits, long *passed)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught')"
				      " FROM honeypots WHERE project_id = ? AND reviewer_id = ?"
				      " AND outcome IS NOT NULL");
	db_bind(st, DB_INT(project_id), DB_INT(reviewer));
	two_counts(st, hp, caught);
	st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE verdict = 'correct')"
			" FROM audit_items WHERE project_id = ? AND reviewer_id = ?"
			" AND verdict IS NOT NULL");
	db_bind(st, DB_INT(project_id), DB_INT(reviewer));
	two_counts(st, audits, passed);
}

/* The project's audits, gold answers and items, and decided honeypots. */
static void project_counts(db_conn *c, int64_t project_id, quality_figures *f)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(verdict), count(*) FILTER (WHERE verdict ="
				      " 'correct') FROM audit_items WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	two_counts(st, &f->audits_n, &f->audits_k);
	st = db_stmt(c, "SELECT count(*), coalesce(sum(correct), 0) FROM gold_results"
			" WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	two_counts(st, &f->gold_n, &f->gold_k);
	st = db_stmt(c, "SELECT count(*) FROM gold_items WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	f->gold_items = (long)db_one_int(st);
	st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught')"
			" FROM honeypots WHERE project_id = ? AND outcome IS NOT NULL");
	db_bind_int(st, 1, project_id);
	two_counts(st, &f->honeypots_n, &f->honeypots_k);
}

/* One worker from a row of worker_counts' query. */
static void worker_line(sqlite3_stmt *st, quality_worker_line *w)
{
	memset(w, 0, sizeof *w);
	w->user_id = sqlite3_column_int64(st, 0);
	snprintf(w->username, sizeof w->username, "%s", db_col_text(st, 1));
	snprintf(w->role, sizeof w->role, "%s", db_col_text(st, 2));
	w->submitted = (long)sqlite3_column_int64(st, 3);
	w->approved = (long)sqlite3_column_int64(st, 4);
	w->first_pass = (long)sqlite3_column_int64(st, 5);
	w->rejections = (long)sqlite3_column_int64(st, 6);
	w->gold_n = (long)sqlite3_column_int64(st, 7);
	w->gold_k = (long)sqlite3_column_int64(st, 8);
}

/* Workers: the outcomes of their work and their gold answers, as each job counted them
 * (worker_counts). */
static int worker_lines(db_conn *c, int64_t project_id, quality_figures *f)
{
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT u.id, u.username, coalesce(pm.role, ''), w.tasks_submitted, w.approved,"
	       " w.first_pass, w.rejected, w.gold_answers, w.gold_correct FROM worker_counts w"
	       " JOIN users u ON u.id = w.user_id LEFT JOIN project_members pm"
	       " ON pm.project_id = ?1 AND pm.user_id = u.id WHERE w.project_id = ?1"
	       " AND (w.tasks_submitted > 0 OR w.approved > 0 OR w.rejected > 0"
	       " OR w.gold_answers > 0) ORDER BY u.id");
	db_bind_int(st, 1, project_id);
	size_t cap = 0;
	int rc = 0;
	while (!rc && db_step(st) == SQLITE_ROW) {
		if (f->n_workers == cap) {
			size_t more = cap ? 2 * cap : 16;
			void *grown = realloc(f->workers, more * sizeof *f->workers);
			if (!grown) {
				rc = CL_ENOMEM;
				break;
			}
			f->workers = grown;
			cap = more;
		}
		worker_line(st, &f->workers[f->n_workers++]);
	}
	sqlite3_reset(st);
	return rc;
}

/* Reviewers: anyone who decided a review here (the first QUALITY_MAX_REVIEWERS), with their
 * checks. */
static int reviewer_lines(db_conn *c, int64_t project_id, quality_figures *f)
{
	f->reviewers = calloc(QUALITY_MAX_REVIEWERS, sizeof *f->reviewers);
	if (!f->reviewers)
		return CL_ENOMEM;
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT u.id, u.username, coalesce(pm.role, ''), r.decisions"
		       " FROM review_counts r JOIN users u ON u.id = r.user_id"
		       " LEFT JOIN project_members pm ON pm.project_id = r.project_id"
		       " AND pm.user_id = u.id WHERE r.project_id = ? AND r.decisions > 0"
		       " ORDER BY u.id");
	db_bind_int(st, 1, project_id);
	while (f->n_reviewers < QUALITY_MAX_REVIEWERS && db_step(st) == SQLITE_ROW) {
		quality_reviewer_line *rv = &f->reviewers[f->n_reviewers++];
		rv->user_id = sqlite3_column_int64(st, 0);
		snprintf(rv->username, sizeof rv->username, "%s", db_col_text(st, 1));
		snprintf(rv->role, sizeof rv->role, "%s", db_col_text(st, 2));
		rv->reviews = (long)sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	for (size_t i = 0; i < f->n_reviewers; i++) {
		quality_reviewer_line *rv = &f->reviewers[i];
		store_reviewer_checks(c, project_id, rv->user_id, &rv->honeypots, &rv->caught,
				      &rv->audits, &rv->passed);
	}
	return 0;
}

int store_quality_counts(db *d, int64_t project_id, quality_figures *f)
{
	memset(f, 0, sizeof *f);
	f->project_id = project_id;
	db_conn *c = db_reader(d);
	db_read_begin(c);
	project_counts(c, project_id, f);
	int rc = worker_lines(c, project_id, f);
	if (!rc)
		rc = reviewer_lines(c, project_id, f);
	db_read_end(c);
	if (rc) {
		free(f->workers);
		free(f->reviewers);
		memset(f, 0, sizeof *f);
	}
	return rc;
}

void store_quality_me_counts(db *d, int64_t user_id, int64_t cutoff, int batch, quality_me *m)
{
	memset(m, 0, sizeof *m);
	m->user_id = user_id;
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT kind, count(*), coalesce(sum(correct), 0) FROM (SELECT kind, correct,"
	       " row_number() OVER (PARTITION BY kind ORDER BY at, task_id, round) AS k,"
	       " count(*) OVER (PARTITION BY kind) AS n FROM gold_results"
	       " WHERE worker_id = ?1 AND at < ?2) WHERE k <= n - n % ?3 GROUP BY kind");
	db_bind(st, DB_INT(user_id), DB_INT(cutoff), DB_INT(batch));
	int cap = (int)(sizeof m->kinds / sizeof m->kinds[0]);
	while (m->n_kinds < cap && db_step(st) == SQLITE_ROW) {
		quality_kind_line *k = &m->kinds[m->n_kinds++];
		snprintf(k->kind, sizeof k->kind, "%s", db_col_text(st, 0));
		k->n = (long)sqlite3_column_int64(st, 1);
		k->k = (long)sqlite3_column_int64(st, 2);
	}
	sqlite3_reset(st);
	st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught') FROM (SELECT"
			" outcome, row_number() OVER (ORDER BY decided_at, task_id) AS k,"
			" count(*) OVER () AS n FROM honeypots WHERE reviewer_id = ?1"
			" AND outcome IS NOT NULL AND decided_at < ?2) WHERE k <= n - n % ?3");
	db_bind(st, DB_INT(user_id), DB_INT(cutoff), DB_INT(batch));
	two_counts(st, &m->honeypots_n, &m->honeypots_k);
	st = db_stmt(c, "SELECT count(verdict), count(*) FILTER (WHERE verdict = 'correct')"
			" FROM audit_items WHERE reviewer_id = ?");
	db_bind_int(st, 1, user_id);
	two_counts(st, &m->audits_n, &m->audits_k);
}
