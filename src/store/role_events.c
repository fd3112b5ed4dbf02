/* Promotions and demotions in SQL: a worker is promoted to reviewer after an approval that meets
 * the project's thresholds, a reviewer demoted after a missed honeypot or a failed audit; each
 * change is recorded as an event and a role change with the figures behind it. The rules live
 * in core/roles.c; this file reads and writes the rows. */
#include "store/role_events.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_role_event_add(db_conn *c, int64_t project_id, int64_t user_id, const char *change,
			 const char *from, const char *to, const char *figures, int64_t now,
			 cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type,"
		       " from_state, to_state, payload) VALUES (?,NULL,NULL,?,?,?,?,?)");
	db_bind(st, DB_INT(project_id), DB_INT(now), DB_TEXT(change), DB_TEXT(from), DB_TEXT(to),
		DB_TEXT(figures));
	int rc = db_exec_stmt(st, err);
	if (!rc) {
		st = db_stmt(c, "INSERT INTO role_changes(project_id, user_id, change, figures, at)"
				" VALUES (?,?,?,?,?)");
		db_bind(st, DB_INT(project_id), DB_INT(user_id), DB_TEXT(change), DB_TEXT(figures),
			DB_INT(now));
		rc = db_exec_stmt(st, err);
	}
	return rc;
}

void store_member_role(db_conn *c, int64_t project_id, int64_t user_id, char role[16])
{
	sqlite3_stmt *st = db_stmt(c, "SELECT role FROM project_members WHERE project_id = ?"
				      " AND user_id = ?");
	db_bind(st, DB_INT(project_id), DB_INT(user_id));
	db_one_text(st, role, 16);
}

int store_member_role_set(db_conn *c, int64_t project_id, int64_t user_id, const char *role,
			  cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO project_members(project_id, user_id, role)"
				      " VALUES (?,?,?) ON CONFLICT(project_id, user_id)"
				      " DO UPDATE SET role = excluded.role");
	db_bind(st, DB_INT(project_id), DB_INT(user_id), DB_TEXT(role));
	return db_exec_stmt(st, err);
}

void store_worker_figures(db_conn *c, int64_t project_id, int64_t user_id,
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

bool store_promotion_barred(db_conn *c, int64_t project_id, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT EXISTS(SELECT 1 FROM org_members m JOIN projects p"
				      " ON p.org_id = m.org_id WHERE p.id = ?1 AND m.user_id = ?2)"
				      " OR EXISTS(SELECT 1 FROM role_changes WHERE project_id = ?1"
				      " AND user_id = ?2 AND change = 'demote')");
	db_bind(st, DB_INT(project_id), DB_INT(user_id));
	return db_one_int(st) != 0;
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
