/* Promotions and demotions in SQL: a worker is promoted to reviewer after an approval that meets
 * the project's thresholds, a reviewer demoted after a missed honeypot or a failed audit; each
 * change is recorded as an event and a role change with the figures behind it. The rules live
 * in core/quality.c; this file feeds them rows. */
#include "store/role_events.h"
#include "store/quality_figures.h"
#include "store/quality_settings.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int role_event(db_conn *c, int64_t project_id, int64_t user_id, const char *change,
		      const char *from, const char *to, json_t *figures, int64_t now, cl_error *err)
{
	json_object_set_new(figures, "user_id", json_integer(user_id));
	char *text = json_dumps(figures, JSON_OUT);
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type,"
		       " from_state, to_state, payload) VALUES (?,NULL,NULL,?,?,?,?,?)");
	db_bind(st, DB_INT(project_id), DB_INT(now), DB_TEXT(change), DB_TEXT(from), DB_TEXT(to),
		DB_TEXT(text));
	int rc = db_exec_stmt(st, err);
	if (!rc) {
		st = db_stmt(c, "INSERT INTO role_changes(project_id, user_id, change, figures, at)"
				" VALUES (?,?,?,?,?)");
		db_bind(st, DB_INT(project_id), DB_INT(user_id), DB_TEXT(change), DB_TEXT(text),
			DB_INT(now));
		rc = db_exec_stmt(st, err);
	}
	free(text);
	json_decref(figures);
	return rc;
}

static void member_role(db_conn *c, int64_t project_id, int64_t user_id, char role[16])
{
	sqlite3_stmt *st = db_stmt(c, "SELECT role FROM project_members WHERE project_id = ?"
				      " AND user_id = ?");
	db_bind(st, DB_INT(project_id), DB_INT(user_id));
	db_one_text(st, role, 16);
}

static int set_member_role(db_conn *c, int64_t project_id, int64_t user_id, const char *role,
			   cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO project_members(project_id, user_id, role)"
				      " VALUES (?,?,?) ON CONFLICT(project_id, user_id)"
				      " DO UPDATE SET role = excluded.role");
	db_bind(st, DB_INT(project_id), DB_INT(user_id), DB_TEXT(role));
	return db_exec_stmt(st, err);
}

static void worker_figures(db_conn *c, int64_t project_id, int64_t user_id,
			   quality_worker_figures *f)
{
	memset(f, 0, sizeof *f);
	sqlite3_stmt *st = db_stmt(c, "SELECT approved, first_pass, gold_answers, gold_correct"
				      " FROM worker_counts WHERE user_id = ? AND project_id = ?");
	db_bind(st, DB_INT(user_id), DB_INT(project_id));
	if (db_step(st) == SQLITE_ROW) {
		f->approved = (long)sqlite3_column_int64(st, 0);
		f->first_pass = (long)sqlite3_column_int64(st, 1);
		f->gold_n = (long)sqlite3_column_int64(st, 2);
		f->gold_correct = (long)sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
}

int store_quality_after_approve(db_conn *c, int64_t project_id, int64_t worker_id, int64_t now,
				cl_error *err)
{
	if (!worker_id)
		return 0;
	char role[16];
	member_role(c, project_id, worker_id, role);
	if (!strcmp(role, "reviewer"))
		return 0;
	quality_settings s;
	store_quality_settings_load(c, project_id, &s);
	if (!s.auto_promote)
		return 0;
	/* Org staff review already; a demoted reviewer is not promoted back automatically. */
	sqlite3_stmt *st = db_stmt(c, "SELECT EXISTS(SELECT 1 FROM org_members m JOIN projects p"
				      " ON p.org_id = m.org_id WHERE p.id = ?1 AND m.user_id = ?2)"
				      " OR EXISTS(SELECT 1 FROM role_changes WHERE project_id = ?1"
				      " AND user_id = ?2 AND change = 'demote')");
	db_bind(st, DB_INT(project_id), DB_INT(worker_id));
	if (db_one_int(st))
		return 0;
	quality_worker_figures f;
	worker_figures(c, project_id, worker_id, &f);
	if (!quality_should_promote(&s, &f))
		return 0;
	int rc = set_member_role(c, project_id, worker_id, "reviewer", err);
	if (rc)
		return rc;
	json_t *fig = json_pack("{s:I,s:I,s:f,s:I,s:I}", "approved", (json_int_t)f.approved,
				"first_pass", (json_int_t)f.first_pass, "first_pass_rate",
				(double)f.first_pass / (double)f.approved, "gold_answers",
				(json_int_t)f.gold_n, "gold_correct", (json_int_t)f.gold_correct);
	if (f.gold_n)
		json_object_set_new(fig, "gold_accuracy",
				    json_real((double)f.gold_correct / (double)f.gold_n));
	return role_event(c, project_id, worker_id, "promote", role[0] ? role : "none", "reviewer",
			  fig, now, err);
}

int store_role_check_demote(db_conn *c, int64_t project_id, int64_t reviewer, int64_t now,
			    cl_error *err)
{
	if (!reviewer)
		return 0;
	char role[16];
	member_role(c, project_id, reviewer, role);
	if (strcmp(role, "reviewer"))
		return 0; /* org staff and plain workers have no reviewer role to lose */
	quality_settings s;
	store_quality_settings_load(c, project_id, &s);
	long hp, caught, audits, passed;
	store_reviewer_checks(c, project_id, reviewer, &hp, &caught, &audits, &passed);
	if (!quality_should_demote(&s, hp + audits, caught + passed))
		return 0;
	int rc = set_member_role(c, project_id, reviewer, "worker", err);
	if (rc)
		return rc;
	json_t *fig = json_pack("{s:I,s:I,s:I,s:I,s:f,s:f}", "honeypots", (json_int_t)hp,
				"honeypots_caught", (json_int_t)caught, "audits",
				(json_int_t)audits, "audits_passed", (json_int_t)passed, "accuracy",
				(double)(caught + passed) / (double)(hp + audits), "threshold",
				s.demote_below);
	return role_event(c, project_id, reviewer, "demote", "reviewer", "worker", fig, now, err);
}

static json_t *role_change_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 5), at);
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "user_id", (json_int_t)sqlite3_column_int64(st, 1), "username",
			 db_col_text(st, 2), "change", db_col_text(st, 3), "figures",
			 db_col_json(st, 4), "at", at);
}

#define ROLE_CHANGE_QUERY                                                                          \
	"SELECT r.id, r.user_id, u.username, r.change, r.figures, r.at"                            \
	" FROM role_changes r JOIN users u ON u.id = r.user_id WHERE r.project_id = ?1"

json_t *store_role_changes(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			   int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, DB_PAGE_SQL(desc, ROLE_CHANGE_QUERY, "r.id"));
	return db_owned_page(st, project_id, cursor, limit, desc, role_change_json, next);
}
