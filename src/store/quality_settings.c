/* A project's quality settings in SQL (project_quality): one JSON text per project, written whole
 * by core, which also decodes it (and keeps the decoded settings in the connection's memo). */
#include "store/quality_settings.h"

#include <stdlib.h>
#include <string.h>

char *store_quality_settings_row(db_conn *c, int64_t project_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT settings FROM project_quality WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	char *text = db_step(st) == SQLITE_ROW ? strdup(db_col_text(st, 0)) : NULL;
	sqlite3_reset(st);
	return text;
}

/* Core writes every member, so the stored text holds gold_rate when there is a row. */
double store_quality_gold_rate(db_conn *c, int64_t project_id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT coalesce(json_extract(settings, '$.gold_rate'), 0)"
		       " FROM project_quality WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	double rate = db_step(st) == SQLITE_ROW ? sqlite3_column_double(st, 0) : 0;
	sqlite3_reset(st);
	return rate;
}

int store_quality_settings_save(db_conn *c, int64_t project_id, const char *settings,
				cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO project_quality(project_id, settings) VALUES (?,?)"
		       " ON CONFLICT(project_id) DO UPDATE SET settings = excluded.settings");
	db_bind(st, DB_INT(project_id), DB_TEXT(settings));
	return db_exec_stmt(st, err);
}

bool store_course_exists(db_conn *c, int64_t id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM courses WHERE id = ?");
	db_bind_int(st, 1, id);
	return db_one_int(st) != 0;
}
