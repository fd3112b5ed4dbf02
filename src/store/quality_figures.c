/* A project's quality figures in SQL: estimated quality from audits, gold accuracy, honeypots,
 * and each worker's and reviewer's figures with their flags; and a user's own figures across
 * projects. The intervals come from core/quality.c. */
#include "store/quality_figures.h"
#include "core/quality.h" /* Wilson intervals of the figures: still to move out */
#include "store/quality_settings.h"

#include <stdio.h>

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

static json_t *interval(long k, long n)
{
	quality_interval q = quality_wilson(k, n, QUALITY_Z95);
	return quality_interval_json(&q);
}

/* The project's estimated quality from its audits, and its summary line, into o. */
static void audit_figures(db_conn *c, int64_t project_id, json_t *o)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(verdict), count(*) FILTER (WHERE verdict ="
				      " 'correct') FROM audit_items WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	long an, ak;
	two_counts(st, &an, &ak);
	quality_interval q = quality_wilson(ak, an, QUALITY_Z95);
	json_object_set_new(o, "estimated_quality", quality_interval_json(&q));
	if (an) {
		char line[96];
		snprintf(line, sizeof line, "%.1f%% (%.1f\xe2\x80\x93%.1f), n=%ld", q.p * 100,
			 q.lo * 100, q.hi * 100, an);
		json_object_set_new(o, "summary", json_string(line));
	} else {
		json_object_set_new(o, "summary", json_string("not audited yet"));
	}
}

/* {"items","accuracy"} of the project's gold. */
static json_t *gold_figures(db_conn *c, int64_t project_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*), coalesce(sum(correct), 0) FROM gold_results"
				      " WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	long gn, gk;
	two_counts(st, &gn, &gk);
	st = db_stmt(c, "SELECT count(*) FROM gold_items WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	return json_pack("{s:I,s:o}", "items", (json_int_t)db_one_int(st), "accuracy",
			 interval(gk, gn));
}

/* {"decided","caught"} of the project's honeypots. */
static json_t *honeypot_figures(db_conn *c, int64_t project_id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught')"
		       " FROM honeypots WHERE project_id = ? AND outcome IS NOT NULL");
	db_bind_int(st, 1, project_id);
	long hn, hk;
	two_counts(st, &hn, &hk);
	return json_pack("{s:I,s:I}", "decided", (json_int_t)hn, "caught", (json_int_t)hk);
}

/* One worker's figures from a row of worker_figures' query. */
static json_t *worker_json(sqlite3_stmt *st)
{
	long sub = (long)sqlite3_column_int64(st, 3), ap = (long)sqlite3_column_int64(st, 4);
	long fp = (long)sqlite3_column_int64(st, 5), g_n = (long)sqlite3_column_int64(st, 7);
	long g_k = (long)sqlite3_column_int64(st, 8);
	quality_interval gq = quality_wilson(g_k, g_n, QUALITY_Z95);
	json_t *w = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:o}", "user_id",
			      (json_int_t)sqlite3_column_int64(st, 0), "username",
			      db_col_text(st, 1), "role", db_col_text(st, 2), "submitted",
			      (json_int_t)sub, "approved", (json_int_t)ap, "first_pass_approved",
			      (json_int_t)fp, "rejections", (json_int_t)sqlite3_column_int64(st, 6),
			      "gold_accuracy", quality_interval_json(&gq));
	json_object_set_new(w, "first_pass_rate",
			    ap ? json_real((double)fp / (double)ap) : json_null());
	/* Mostly wrong on known answers, with enough of them to be sure. */
	bool spam = g_n >= 8 && gq.hi < 0.7;
	json_object_set_new(w, "flags",
			    spam ? json_pack("[s]", "suspected_spammer") : json_array());
	return w;
}

/* Workers: the outcomes of their work and their gold answers, as each job counted them
 * (worker_counts). */
static json_t *worker_figures(db_conn *c, int64_t project_id)
{
	json_t *workers = json_array();
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT u.id, u.username, coalesce(pm.role, ''), w.tasks_submitted, w.approved,"
	       " w.first_pass, w.rejected, w.gold_answers, w.gold_correct FROM worker_counts w"
	       " JOIN users u ON u.id = w.user_id LEFT JOIN project_members pm"
	       " ON pm.project_id = ?1 AND pm.user_id = u.id WHERE w.project_id = ?1"
	       " AND (w.tasks_submitted > 0 OR w.approved > 0 OR w.rejected > 0"
	       " OR w.gold_answers > 0) ORDER BY u.id");
	db_bind_int(st, 1, project_id);
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(workers, worker_json(st));
	sqlite3_reset(st);
	return workers;
}

/* A reviewer of the project, as reviewer_figures lists them. */
typedef struct reviewer_row {
	int64_t id, reviews;
	char name[72], role[16];
} reviewer_row;

/* One reviewer's figures: their checks, accuracy and flags under settings s. */
static json_t *reviewer_json(db_conn *c, int64_t project_id, const reviewer_row *rv,
			     const quality_settings *s)
{
	long hp, caught, audits, passed;
	store_reviewer_checks(c, project_id, rv->id, &hp, &caught, &audits, &passed);
	quality_interval rq = quality_wilson(caught + passed, hp + audits, QUALITY_Z95);
	json_t *r = json_pack(
	    "{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "user_id", (json_int_t)rv->id, "username",
	    rv->name, "role", rv->role, "reviews", (json_int_t)rv->reviews, "honeypots",
	    (json_int_t)hp, "honeypots_caught", (json_int_t)caught, "audits", (json_int_t)audits,
	    "audits_passed", (json_int_t)passed, "accuracy", quality_interval_json(&rq));
	bool careless =
	    hp + audits >= s->demote_min_checks && hp + audits > 0 && rq.p < s->demote_below;
	json_object_set_new(r, "flags",
			    careless ? json_pack("[s]", "careless_reviewer") : json_array());
	return r;
}

/* Reviewers: anyone who decided a review here (the first 256). */
static json_t *reviewer_figures(db_conn *c, int64_t project_id, const quality_settings *s)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT u.id, u.username, coalesce(pm.role, ''), r.decisions"
		       " FROM review_counts r JOIN users u ON u.id = r.user_id"
		       " LEFT JOIN project_members pm ON pm.project_id = r.project_id"
		       " AND pm.user_id = u.id WHERE r.project_id = ? AND r.decisions > 0"
		       " ORDER BY u.id");
	db_bind_int(st, 1, project_id);
	reviewer_row rows[256];
	int nr = 0;
	while (nr < 256 && db_step(st) == SQLITE_ROW) {
		reviewer_row *rv = &rows[nr++];
		rv->id = sqlite3_column_int64(st, 0);
		snprintf(rv->name, sizeof rv->name, "%s", db_col_text(st, 1));
		snprintf(rv->role, sizeof rv->role, "%s", db_col_text(st, 2));
		rv->reviews = sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
	json_t *reviewers = json_array();
	for (int i = 0; i < nr; i++)
		json_array_append_new(reviewers, reviewer_json(c, project_id, &rows[i], s));
	return reviewers;
}

json_t *store_quality_figures(db *d, const project *p)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	quality_settings s;
	store_quality_settings_load(c, p->id, &s);
	json_t *o = json_pack("{s:I}", "project_id", (json_int_t)p->id);
	audit_figures(c, p->id, o);
	json_object_set_new(o, "gold", gold_figures(c, p->id));
	json_object_set_new(o, "honeypots", honeypot_figures(c, p->id));
	json_object_set_new(o, "workers", worker_figures(c, p->id));
	json_object_set_new(o, "reviewers", reviewer_figures(c, p->id, &s));
	db_read_end(c);
	return o;
}

json_t *store_quality_me(db *d, int64_t user_id, int64_t cutoff, int batch)
{
	db_conn *c = db_reader(d);
	json_t *kinds = json_object();
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT kind, count(*), coalesce(sum(correct), 0) FROM (SELECT kind, correct,"
	       " row_number() OVER (PARTITION BY kind ORDER BY at, task_id, round) AS k,"
	       " count(*) OVER (PARTITION BY kind) AS n FROM gold_results"
	       " WHERE worker_id = ?1 AND at < ?2) WHERE k <= n - n % ?3 GROUP BY kind");
	db_bind(st, DB_INT(user_id), DB_INT(cutoff), DB_INT(batch));
	while (db_step(st) == SQLITE_ROW)
		json_object_set_new(
		    kinds, db_col_text(st, 0),
		    interval((long)sqlite3_column_int64(st, 2), (long)sqlite3_column_int64(st, 1)));
	sqlite3_reset(st);
	st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught') FROM (SELECT"
			" outcome, row_number() OVER (ORDER BY decided_at, task_id) AS k,"
			" count(*) OVER () AS n FROM honeypots WHERE reviewer_id = ?1"
			" AND outcome IS NOT NULL AND decided_at < ?2) WHERE k <= n - n % ?3");
	db_bind(st, DB_INT(user_id), DB_INT(cutoff), DB_INT(batch));
	long hn, hk;
	two_counts(st, &hn, &hk);
	st = db_stmt(c, "SELECT count(verdict), count(*) FILTER (WHERE verdict = 'correct')"
			" FROM audit_items WHERE reviewer_id = ?");
	db_bind_int(st, 1, user_id);
	long an, ak;
	two_counts(st, &an, &ak);
	return json_pack("{s:I,s:o,s:o}", "user_id", (json_int_t)user_id, "gold_accuracy", kinds,
			 "reviewer_accuracy", interval(hk + ak, hn + an));
}
