/* A project's quality settings in SQL (project_quality): loaded on every claim, submit and
 * approval, so memoized per connection; saved whole after a partial change. */
#include "store/quality_settings.h"
#include "core/quality.h" /* the settings' JSON and checks: still to move out */
#include "util/json.h"

#include <stdlib.h>

/* Settings by project, memoized per connection (db_access_epoch): claims, submits and
 * approvals read them in every job. */
#define QUALITY_MEMO_SLOTS 64
struct quality_memo {
	struct {
		uint64_t epoch;
		int64_t project_id;
		quality_settings s;
	} slot[QUALITY_MEMO_SLOTS];
};

void store_quality_settings_load(db_conn *c, int64_t project_id, quality_settings *s)
{
	uint64_t epoch = db_access_epoch(c);
	struct quality_memo *m = db_conn_memo(c, DB_MEMO_QUALITY, sizeof *m, NULL);
	unsigned i = (unsigned)((uint64_t)project_id % QUALITY_MEMO_SLOTS);
	if (m && epoch && m->slot[i].epoch == epoch && m->slot[i].project_id == project_id) {
		*s = m->slot[i].s;
		return;
	}
	quality_settings_init(s);
	sqlite3_stmt *st = db_stmt(c, "SELECT settings FROM project_quality WHERE project_id = ?");
	db_bind_int(st, 1, project_id);
	if (db_step(st) == SQLITE_ROW) {
		json_t *j = json_loads(db_col_text(st, 0), 0, NULL);
		if (j)
			quality_settings_apply_json(s, j, NULL);
		json_decref(j);
	}
	sqlite3_reset(st);
	if (m && epoch) {
		m->slot[i].epoch = epoch;
		m->slot[i].project_id = project_id;
		m->slot[i].s = *s;
	}
}

json_t *store_quality_settings_get(db *d, int64_t project_id)
{
	quality_settings s;
	store_quality_settings_load(db_reader(d), project_id, &s);
	return quality_settings_to_json(&s);
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
