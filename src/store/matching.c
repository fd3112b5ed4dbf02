/* Matching's reads: the open projects a worker may take with their required courses, the
 * workers who may fit a project, and each worker's history on a kind. Core scores and ranks
 * them (core/matching.c). */
#include "store/matching.h"
#include "store/store_projects.h"
#include "store/store_ledger.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A worker's history on a kind: their counts in every project of that kind (worker_counts). */
static void history_on_kind(db_conn *c, int64_t user, const char *kind, matching_history *h)
{
	memset(h, 0, sizeof *h);
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT coalesce(sum(w.gold_answers), 0), coalesce(sum(w.gold_correct), 0),"
		       " coalesce(sum(w.approved), 0), coalesce(sum(w.first_pass), 0),"
		       " coalesce(sum(w.submissions), 0), coalesce(sum(w.active_ms), 0),"
		       " coalesce(max(w.last_at), 0)"
		       " FROM worker_counts w JOIN projects p ON p.id = w.project_id"
		       " WHERE w.user_id = ? AND p.kind = ?");
	db_bind(st, DB_INT(user), DB_TEXT(kind));
	if (db_step(st) == SQLITE_ROW) {
		h->gold_n = (long)sqlite3_column_int64(st, 0);
		h->gold_k = (long)sqlite3_column_int64(st, 1);
		h->approved = (long)sqlite3_column_int64(st, 2);
		h->first_pass = (long)sqlite3_column_int64(st, 3);
		h->submissions = (long)sqlite3_column_int64(st, 4);
		h->active_ms = sqlite3_column_int64(st, 5);
		h->last_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
}

/* The courses project_id's stored quality settings require (none when none were saved), and
 * whether `user` holds each. */
static void courses_of(db_conn *c, int64_t project_id, int64_t user, matching_courses *r)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT j.value, EXISTS (SELECT 1 FROM qualifications"
				      " WHERE user_id = ?2 AND course_id = j.value)"
				      " FROM project_quality q,"
				      " json_each(q.settings, '$.required_courses') j"
				      " WHERE q.project_id = ?1");
	db_bind(st, DB_INT(project_id), DB_INT(user));
	r->n = 0;
	while (r->n < QUALITY_MAX_COURSES && db_step(st) == SQLITE_ROW) {
		r->id[r->n] = sqlite3_column_int64(st, 0);
		r->held[r->n++] = sqlite3_column_int(st, 1) != 0;
	}
	sqlite3_reset(st);
}

/* Grows an array of `size`-byte elements to hold one more; false when memory runs out. */
static bool room_for_one(void **of, size_t n, size_t *cap, size_t size)
{
	if (n < *cap)
		return true;
	size_t more = *cap ? 2 * *cap : 64;
	void *bigger = realloc(*of, more * size);
	if (!bigger)
		return false;
	*of = bigger;
	*cap = more;
	return true;
}

static void project_read(sqlite3_stmt *st, matching_project *k)
{
	k->id = sqlite3_column_int64(st, 0);
	snprintf(k->name, sizeof k->name, "%s", db_col_text(st, 1));
	snprintf(k->kind, sizeof k->kind, "%s", db_col_text(st, 2));
	k->kind_of = store_kind_of(k->kind);
	k->price = sqlite3_column_int64(st, 3);
	snprintf(k->currency, sizeof k->currency, "%s", db_col_text(st, 4));
	snprintf(k->role, sizeof k->role, "%s", db_col_text(st, 5));
	k->open = sqlite3_column_int64(st, 6);
}

/* The open projects user_id may work on, with their open tasks, in id order. */
static int projects_of(db_conn *c, int64_t user_id, matching_projects *m)
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
	size_t cap = 0;
	int rc = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (!room_for_one((void **)&m->of, m->n, &cap, sizeof *m->of)) {
			rc = CL_ENOMEM;
			break;
		}
		matching_project *k = &m->of[m->n++];
		project_read(st, k);
		if (k->price > m->max_price)
			m->max_price = k->price;
	}
	sqlite3_reset(st);
	return rc;
}

int store_matching_projects(db *d, int64_t user_id, matching_projects *m)
{
	memset(m, 0, sizeof *m);
	db_conn *c = db_reader(d);
	db_read_begin(c);
	int rc = projects_of(c, user_id, m);
	for (size_t i = 0; !rc && i < m->n; i++) {
		matching_project *k = &m->of[i];
		courses_of(c, k->id, user_id, &k->courses);
		/* Each kind's history once, however many projects share it. */
		if (!m->known[k->kind_of]) {
			history_on_kind(c, user_id, k->kind, &m->history[k->kind_of]);
			m->known[k->kind_of] = true;
		}
	}
	db_read_end(c);
	if (rc) {
		free(m->of);
		memset(m, 0, sizeof *m);
	}
	return rc;
}

/* Whoever has labeled `kind` anywhere, or holds a course of it, with their role in project_id,
 * in id order. */
static int workers_of(db_conn *c, int64_t project_id, const char *kind, matching_workers *m)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT u.id, u.username, coalesce(pm.role, '') FROM users u"
		       " LEFT JOIN project_members pm ON pm.project_id = ?2 AND pm.user_id = u.id"
		       " WHERE u.id IN (SELECT w.user_id FROM worker_counts w"
		       " JOIN projects q ON q.id = w.project_id WHERE q.kind = ?1"
		       " AND w.submissions > 0"
		       " UNION SELECT user_id FROM qualifications q JOIN courses c"
		       " ON c.id = q.course_id WHERE c.kind = ?1) ORDER BY u.id");
	db_bind(st, DB_TEXT(kind), DB_INT(project_id));
	size_t cap = 0;
	int rc = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (!room_for_one((void **)&m->of, m->n, &cap, sizeof *m->of)) {
			rc = CL_ENOMEM;
			break;
		}
		matching_worker *w = &m->of[m->n++];
		memset(w, 0, sizeof *w);
		w->id = sqlite3_column_int64(st, 0);
		snprintf(w->username, sizeof w->username, "%s", db_col_text(st, 1));
		snprintf(w->member_role, sizeof w->member_role, "%s", db_col_text(st, 2));
	}
	sqlite3_reset(st);
	return rc;
}

int store_matching_workers(db *d, int64_t project_id, task_kind kind, matching_workers *m)
{
	memset(m, 0, sizeof *m);
	const char *kind_name = task_kind_names[kind];
	db_conn *c = db_reader(d);
	db_read_begin(c);
	courses_of(c, project_id, 0, &m->required);
	int rc = workers_of(c, project_id, kind_name, m);
	for (size_t i = 0; !rc && i < m->n; i++) {
		matching_worker *w = &m->of[i];
		history_on_kind(c, w->id, kind_name, &w->history);
		if (m->required.n) {
			matching_courses held;
			courses_of(c, project_id, w->id, &held);
			memcpy(w->held, held.held, sizeof w->held);
		}
	}
	db_read_end(c);
	if (rc) {
		free(m->of);
		memset(m, 0, sizeof *m);
	}
	return rc;
}
