/* Matching in SQL: open projects ranked for a worker, and workers ranked for a project, from each
 * worker's history on the project's kind, its pay, and the courses it requires. */
#include "store/matching.h"
#include "store/store_projects.h"
#include "core/quality_types.h"
#include "store/store_ledger.h"
#include "util/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct kind_figures {
	long gold_n, gold_k, approved, first_pass, submissions;
	double avg_seconds;
	int64_t last_at;
} kind_figures;

/* A worker's history on a kind: their counts in every project of that kind (worker_counts). */
static void figures_for_kind(db_conn *c, int64_t user, const char *kind, kind_figures *f)
{
	memset(f, 0, sizeof *f);
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT coalesce(sum(w.gold_answers), 0), coalesce(sum(w.gold_correct), 0),"
		       " coalesce(sum(w.approved), 0), coalesce(sum(w.first_pass), 0),"
		       " coalesce(sum(w.submissions), 0), coalesce(sum(w.active_ms), 0),"
		       " coalesce(max(w.last_at), 0)"
		       " FROM worker_counts w JOIN projects p ON p.id = w.project_id"
		       " WHERE w.user_id = ? AND p.kind = ?");
	db_bind(st, DB_INT(user), DB_TEXT(kind));
	if (db_step(st) == SQLITE_ROW) {
		f->gold_n = (long)sqlite3_column_int64(st, 0);
		f->gold_k = (long)sqlite3_column_int64(st, 1);
		f->approved = (long)sqlite3_column_int64(st, 2);
		f->first_pass = (long)sqlite3_column_int64(st, 3);
		f->submissions = (long)sqlite3_column_int64(st, 4);
		int64_t active_ms = sqlite3_column_int64(st, 5);
		f->avg_seconds =
		    f->submissions ? (double)active_ms / (double)f->submissions / 1000.0 : 0;
		f->last_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
}

/* The fit of a worker's history on a kind, in [0,1], and the figures that make it (into `why`
 * when not NULL). Missing figures count as an even 0.5 so newcomers are neither hidden nor
 * favoured. */
static double fit(const kind_figures *f, int64_t now, json_t *why)
{
	double acc = f->gold_n ? (double)f->gold_k / (double)f->gold_n : 0.5;
	double appr = f->approved ? (double)f->first_pass / (double)f->approved : 0.5;
	double speed = f->submissions ? 1.0 / (1.0 + f->avg_seconds / 60.0) : 0.5;
	double days = f->last_at ? (double)(now - f->last_at) / 86400000.0 : -1;
	double recency = days >= 0 ? exp(-days / 30.0) : 0.0;
	double score = 0.4 * acc + 0.3 * appr + 0.15 * speed + 0.15 * recency;
	if (!why)
		return score;
	json_object_set_new(why, "gold_accuracy", f->gold_n ? json_real(acc) : json_null());
	json_object_set_new(why, "gold_answers", json_integer(f->gold_n));
	json_object_set_new(why, "approval_rate", f->approved ? json_real(appr) : json_null());
	json_object_set_new(why, "approved", json_integer(f->approved));
	json_object_set_new(why, "avg_seconds_per_task",
			    f->submissions ? json_real(f->avg_seconds) : json_null());
	json_object_set_new(why, "days_since_last_task", days >= 0 ? json_real(days) : json_null());
	json_object_set_new(why, "weights",
			    json_pack("{s:f,s:f,s:f,s:f}", "gold_accuracy", 0.4, "approval_rate",
				      0.3, "speed", 0.15, "recency", 0.15));
	return score;
}

/* A ranking answers its best MATCHES_MAX, from every candidate: each is scored once without
 * its figures, and only those answered are scored again with them. */
#define MATCHES_MAX 500

/* A candidate of a ranking, at `at` in its query's rows. */
typedef struct ranked {
	size_t at;
	int64_t id;
	double score;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Adds a candidate to a growing ranking; false when memory runs out. */
static bool rank_add(ranked **r, size_t *n, size_t *cap, int64_t id, double score)
{
	if (*n == *cap) {
		size_t more = *cap ? 2 * *cap : 256;
		ranked *bigger = realloc(*r, more * sizeof *bigger);
		if (!bigger)
			return false;
		*r = bigger;
		*cap = more;
	}
	(*r)[*n] = (ranked){*n, id, score};
	(*n)++;
	return true;
}

/* Sorts a ranking best first and gives how many of it to answer. */
static size_t rank_top(ranked *r, size_t n)
{
	if (n)
		qsort(r, n, sizeof *r, ranked_cmp);
	return n < MATCHES_MAX ? n : MATCHES_MAX;
}

static bool holds_course(db_conn *c, int64_t user, int64_t course)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM qualifications WHERE user_id = ?"
				      " AND course_id = ?");
	db_bind(st, DB_INT(user), DB_INT(course));
	return db_one_int(st) > 0;
}

/* The courses a project requires, as its stored quality settings name them (core writes every
 * member of them; none when none were saved). */
typedef struct required_courses {
	int64_t id[QUALITY_MAX_COURSES];
	int n;
} required_courses;

static void required_courses_of(db_conn *c, int64_t project_id, required_courses *r)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT j.value FROM project_quality q,"
				      " json_each(q.settings, '$.required_courses') j"
				      " WHERE q.project_id = ?");
	db_bind_int(st, 1, project_id);
	r->n = 0;
	while (r->n < QUALITY_MAX_COURSES && db_step(st) == SQLITE_ROW)
		r->id[r->n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
}

/* An open project a worker may take, as the ranking reads it. */
typedef struct project_cand {
	int64_t id, price, open;
	char name[804], kind[16], currency[8], role[16];
} project_cand;

/* A worker's fit for a project (figures into `why` when not NULL): their history on its kind,
 * its pay against the best paid, and whether they hold its courses and it has work. */
static double project_score(db_conn *c, int64_t user, const project_cand *k, const kind_figures *f,
			    int64_t max_price, int64_t now, json_t *why)
{
	double score = 0.85 * fit(f, now, why);
	double pay = max_price ? (double)k->price / (double)max_price : 0;
	score += 0.15 * pay;
	required_courses s;
	required_courses_of(c, k->id, &s);
	json_t *missing = json_array();
	for (int q = 0; q < s.n; q++)
		if (!holds_course(c, user, s.id[q]))
			json_array_append_new(missing, json_integer(s.id[q]));
	bool qualified = json_array_size(missing) == 0;
	if (!qualified)
		score *= 0.1; /* listed, but after everything the worker can take now */
	if (!k->open)
		score *= 0.5;
	if (why) {
		json_object_set_new(why, "pay", json_real(pay));
		json_object_set_new(why, "qualified", json_boolean(qualified));
		json_object_set_new(why, "missing_courses", missing);
		json_object_set_new(why, "open_tasks", json_integer(k->open));
	} else {
		json_decref(missing);
	}
	return score;
}

/* The figures of a worker on each kind, read once per kind for a ranking of projects. */
enum { KINDS = TASK_KIND_COUNT };
typedef struct figures_memo {
	kind_figures of[KINDS];
	bool known[KINDS];
} figures_memo;

static const kind_figures *figures_of(db_conn *c, int64_t user, const char *kind, figures_memo *m)
{
	task_kind k = store_kind_of(kind);
	if (!m->known[k]) {
		figures_for_kind(c, user, kind, &m->of[k]);
		m->known[k] = true;
	}
	return &m->of[k];
}

/* The open projects user `user_id` may work on, with their open tasks, in id order; *n their
 * count and *max_price the best price among them. *short_of_memory set when some are missing. */
static project_cand *project_cands(db_conn *c, int64_t user_id, size_t *n, int64_t *max_price,
				   bool *short_of_memory)
{
#define CANDIDATES_OPEN OPEN_TASKS("p.id")
	sqlite3_stmt *st = db_stmt(c, "SELECT p.id, p.name, p.kind, p.price, o.currency,"
				      " coalesce(pm.role, ''), " CANDIDATES_OPEN
				      " FROM projects p JOIN orgs o ON o.id = p.org_id"
				      " LEFT JOIN project_members pm ON pm.project_id = p.id"
				      " AND pm.user_id = ?1 WHERE p.status = 'open'"
				      " AND (pm.role IS NOT NULL OR p.is_public) ORDER BY p.id");
#undef CANDIDATES_OPEN
	db_bind_int(st, 1, user_id);
	project_cand *cs = NULL;
	size_t cap = 0;
	*n = 0;
	*max_price = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (*n == cap) {
			size_t more = cap ? 2 * cap : 64;
			project_cand *bigger = realloc(cs, more * sizeof *bigger);
			if (!bigger) {
				*short_of_memory = true;
				break;
			}
			cs = bigger;
			cap = more;
		}
		project_cand *k = &cs[(*n)++];
		k->id = sqlite3_column_int64(st, 0);
		snprintf(k->name, sizeof k->name, "%s", db_col_text(st, 1));
		snprintf(k->kind, sizeof k->kind, "%s", db_col_text(st, 2));
		k->price = sqlite3_column_int64(st, 3);
		snprintf(k->currency, sizeof k->currency, "%s", db_col_text(st, 4));
		snprintf(k->role, sizeof k->role, "%s", db_col_text(st, 5));
		k->open = sqlite3_column_int64(st, 6);
		if (k->price > *max_price)
			*max_price = k->price;
	}
	sqlite3_reset(st);
	return cs;
}

json_t *store_matches_for_worker(db *d, const principal *pr)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	int64_t now = clock_now_ms();
	size_t n;
	bool short_of_memory = false;
	int64_t max_price;
	/* Open projects I may work on, with their open tasks. */
	project_cand *cs = project_cands(c, pr->id, &n, &max_price, &short_of_memory);
	figures_memo memo = {0};
	ranked *rank = NULL;
	size_t ranked_n = 0, ranked_cap = 0;
	for (size_t i = 0; i < n && !short_of_memory; i++) {
		const kind_figures *f = figures_of(c, pr->id, cs[i].kind, &memo);
		double score = project_score(c, pr->id, &cs[i], f, max_price, now, NULL);
		short_of_memory = !rank_add(&rank, &ranked_n, &ranked_cap, cs[i].id, score);
	}
	json_t *items = short_of_memory ? NULL : json_array();
	size_t top = items ? rank_top(rank, ranked_n) : 0;
	for (size_t i = 0; i < top; i++) {
		const project_cand *k = &cs[rank[i].at];
		json_t *why = json_object();
		double score = project_score(c, pr->id, k, figures_of(c, pr->id, k->kind, &memo),
					     max_price, now, why);
		json_array_append_new(
		    items,
		    json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:f,s:o}", "project_id", (json_int_t)k->id,
			      "name", k->name, "kind", k->kind, "price", (json_int_t)k->price,
			      "currency", k->currency, "my_role", k->role[0] ? k->role : "worker",
			      "score", score, "figures", why));
	}
	free(rank);
	free(cs);
	db_read_end(c);
	return items;
}

/* A worker's fit for a project of `kind` (figures into `why` when not NULL). */
static double worker_score(db_conn *c, int64_t user, const char *kind, const required_courses *s,
			   int64_t now, json_t *why)
{
	kind_figures f;
	figures_for_kind(c, user, kind, &f);
	double score = fit(&f, now, why);
	bool qualified = true;
	for (int q = 0; q < s->n && qualified; q++)
		qualified = holds_course(c, user, s->id[q]);
	if (!qualified)
		score *= 0.5;
	if (why)
		json_object_set_new(why, "qualified", json_boolean(qualified));
	return score;
}

json_t *store_matches_for_project(db *d, const project *p)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	int64_t now = clock_now_ms();
	required_courses s;
	required_courses_of(c, p->id, &s);
	const char *kind = task_kind_names[p->kind];
	/* Candidates: whoever has labeled this kind anywhere, or holds a required course. */
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT u.id FROM users u WHERE u.id IN (SELECT w.user_id FROM worker_counts w"
	       " JOIN projects q ON q.id = w.project_id WHERE q.kind = ?1"
	       " AND w.submissions > 0"
	       " UNION SELECT user_id FROM qualifications q JOIN courses c"
	       " ON c.id = q.course_id WHERE c.kind = ?1) ORDER BY u.id");
	db_bind_text(st, 1, kind);
	ranked *rank = NULL;
	size_t n = 0, cap = 0;
	bool short_of_memory = false;
	while (!short_of_memory && db_step(st) == SQLITE_ROW) {
		int64_t user = sqlite3_column_int64(st, 0);
		double score = worker_score(c, user, kind, &s, now, NULL);
		short_of_memory = !rank_add(&rank, &n, &cap, user, score);
	}
	sqlite3_reset(st);
	json_t *items = short_of_memory ? NULL : json_array();
	size_t top = items ? rank_top(rank, n) : 0;
	sqlite3_stmt *who = db_stmt(c, "SELECT u.username, pm.role FROM users u"
				       " LEFT JOIN project_members pm ON pm.project_id = ?1"
				       " AND pm.user_id = u.id WHERE u.id = ?2");
	for (size_t i = 0; i < top; i++) {
		json_t *why = json_object();
		double score = worker_score(c, rank[i].id, kind, &s, now, why);
		db_bind(who, DB_INT(p->id), DB_INT(rank[i].id));
		bool found = db_step(who) == SQLITE_ROW;
		json_t *o =
		    json_pack("{s:I,s:s,s:f,s:o}", "user_id", (json_int_t)rank[i].id, "username",
			      found ? db_col_text(who, 0) : "", "score", score, "figures", why);
		json_object_set_new(o, "member_role",
				    found && sqlite3_column_type(who, 1) != SQLITE_NULL
					? json_string(db_col_text(who, 1))
					: json_null());
		sqlite3_reset(who);
		json_array_append_new(items, o);
	}
	free(rank);
	db_read_end(c);
	return items;
}
