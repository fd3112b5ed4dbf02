/* Audits in SQL: a sample of a project's approved tasks that a manager checks again; each verdict
 * counts towards the task's reviewer's accuracy and may demote them. */
#include "store/audits.h"
#include "util/clock.h"

static json_t *text_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? json_null()
							   : json_string(db_col_text(st, col));
}

static json_t *id_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		   ? json_null()
		   : json_integer(sqlite3_column_int64(st, col));
}

struct audit_job {
	int64_t project_id, audit_id, task_id, actor;
	int size;
};

static int audit_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct audit_job *j = ctx;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO audits(project_id, size, created_by, created_at)"
				      " VALUES (?,0,?,?)");
	db_bind(st, DB_INT(j->project_id), DB_INT(j->actor), DB_INT(now));
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	j->audit_id = sqlite3_last_insert_rowid(db_handle(c));
	st = db_stmt(c, "INSERT INTO audit_items(audit_id, task_id, project_id, worker_id,"
			" reviewer_id) SELECT ?1, t.id, t.project_id, t.worker_id, t.reviewer_id"
			" FROM tasks t WHERE t.project_id = ?2 AND t.state = 'approved'"
			" AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = t.item_id)"
			" AND NOT EXISTS (SELECT 1 FROM audit_items a WHERE a.task_id = t.id)"
			" ORDER BY random() LIMIT ?3");
	db_bind(st, DB_INT(j->audit_id), DB_INT(j->project_id), DB_INT(j->size));
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	int n = sqlite3_changes(db_handle(c));
	if (!n)
		return cl_fail(err, CL_ECONFLICT, "nothing_to_audit",
			       "no approved task is left to audit");
	st = db_stmt(c, "UPDATE audits SET size = ? WHERE id = ?");
	db_bind(st, DB_INT(n), DB_INT(j->audit_id));
	return db_exec_stmt(st, err);
}

int store_audit_create(db *d, int64_t project_id, int size, int64_t actor, json_t **out,
		       cl_error *err)
{
	struct audit_job j = {.project_id = project_id, .size = size, .actor = actor};
	int rc = db_write(d, audit_create_job, &j, err);
	*out = rc ? NULL : store_audit_get(d, j.audit_id, &(int64_t){0});
	return rc;
}

static json_t *audit_head(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 4), at);
	return json_pack("{s:I,s:I,s:I,s:I,s:s,s:I,s:I,s:o}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "project_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "size",
			 (json_int_t)sqlite3_column_int64(st, 2), "created_by",
			 (json_int_t)sqlite3_column_int64(st, 3), "created_at", at, "decided",
			 (json_int_t)sqlite3_column_int64(st, 5), "correct",
			 (json_int_t)sqlite3_column_int64(st, 6), "job_id", id_or_null(st, 7));
}

/* One task of an audit, from a row of store_audit_get's item query. */
static json_t *audit_item_json(sqlite3_stmt *st)
{
	json_t *item = json_pack("{s:I,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 1), "type",
				 db_col_text(st, 2));
	if (sqlite3_column_type(st, 3) != SQLITE_NULL)
		json_object_set_new(item, "text", json_string(db_col_text(st, 3)));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
		json_object_set_new(item, "width", json_integer(sqlite3_column_int64(st, 4)));
		json_object_set_new(item, "height", json_integer(sqlite3_column_int64(st, 5)));
	}
	json_t *e =
	    json_pack("{s:I,s:o,s:o,s:o,s:o}", "task_id", (json_int_t)sqlite3_column_int64(st, 0),
		      "item", item, "annotation", db_col_json(st, 6), "worker_id",
		      id_or_null(st, 7), "reviewer_id", id_or_null(st, 8));
	json_object_set_new(e, "verdict", text_or_null(st, 9));
	json_object_set_new(e, "note", text_or_null(st, 10));
	json_object_set_new(e, "reason", text_or_null(st, 11));
	json_object_set_new(e, "model_label", text_or_null(st, 12));
	json_object_set_new(e, "confidence", sqlite3_column_type(st, 13) == SQLITE_NULL
						 ? json_null()
						 : json_real(sqlite3_column_double(st, 13)));
	return e;
}

json_t *store_audit_get(db *d, int64_t audit_id, int64_t *project_id)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT a.id, a.project_id, a.size, a.created_by, a.created_at,"
		       " (SELECT count(verdict) FROM audit_items i WHERE i.audit_id = a.id),"
		       " (SELECT count(*) FROM audit_items i WHERE i.audit_id = a.id"
		       "  AND verdict = 'correct'), a.job_id FROM audits a WHERE a.id = ?");
	db_bind_int(st, 1, audit_id);
	json_t *o = NULL;
	if (db_step(st) == SQLITE_ROW) {
		o = audit_head(st);
		*project_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (!o)
		goto out;
	json_t *items = json_array();
	st = db_stmt(c, "SELECT ai.task_id, t.item_id, i.type, i.text, i.width, i.height, a.data,"
			" ai.worker_id, ai.reviewer_id, ai.verdict, ai.note, ai.reason, ai.model_label,"
			" ai.confidence FROM audit_items ai"
			" JOIN tasks t ON t.id = ai.task_id JOIN items i ON i.id = t.item_id"
			" LEFT JOIN annotations a ON a.id = t.annotation_id"
			" WHERE ai.audit_id = ? ORDER BY ai.task_id");
	db_bind_int(st, 1, audit_id);
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(items, audit_item_json(st));
	sqlite3_reset(st);
	json_object_set_new(o, "items", items);
out:
	db_read_end(c);
	return o;
}

#define AUDIT_HEAD_QUERY                                                                           \
	"SELECT a.id, a.project_id, a.size, a.created_by, a.created_at,"                           \
	" (SELECT count(verdict) FROM audit_items i WHERE i.audit_id = a.id),"                     \
	" (SELECT count(*) FROM audit_items i WHERE i.audit_id = a.id"                             \
	"  AND verdict = 'correct'), a.job_id FROM audits a WHERE a.project_id = ?1"

json_t *store_audits_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			  int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, DB_PAGE_SQL(desc, AUDIT_HEAD_QUERY, "a.id"));
	return db_owned_page(st, project_id, cursor, limit, desc, audit_head, next);
}

int store_audit_verdict_set(db_conn *c, int64_t audit_id, int64_t task_id, bool correct,
			    const char *note, int64_t auditor_id, int64_t now, int64_t *project_id,
			    int64_t *reviewer_id, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "UPDATE audit_items SET verdict = ?, note = ?, auditor_id = ?,"
		       " decided_at = ? WHERE audit_id = ? AND task_id = ?"
		       " RETURNING project_id, coalesce(reviewer_id, 0)");
	db_bind(st, DB_TEXT(correct ? "correct" : "incorrect"), DB_TEXT(note), DB_INT(auditor_id),
		DB_INT(now), DB_INT(audit_id), DB_INT(task_id));
	*project_id = *reviewer_id = 0;
	if (db_step(st) == SQLITE_ROW) {
		*project_id = sqlite3_column_int64(st, 0);
		*reviewer_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (!*project_id)
		return cl_fail(err, CL_ENOTFOUND, NULL, "task %lld is not in this audit",
			       (long long)task_id);
	return 0;
}

/* ---- a label check's flags (core/label_check.h) ---- */

/* Adds the approved task of one flagged item; *added 1 when it did. */
static int flag_add(db_conn *c, int64_t audit_id, int64_t project_id, const audit_flag *f,
		    int *added, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(
	    c, "INSERT INTO audit_items(audit_id, task_id, project_id, worker_id, reviewer_id,"
	       " reason, model_label, confidence)"
	       " SELECT ?1, t.id, t.project_id, t.worker_id, t.reviewer_id, 'model_disagrees', ?2, ?3"
	       " FROM tasks t WHERE t.project_id = ?4 AND t.item_id = ?5 AND t.state = 'approved'"
	       " AND NOT EXISTS (SELECT 1 FROM audit_items a WHERE a.task_id = t.id)"
	       " AND NOT EXISTS (SELECT 1 FROM audit_items a JOIN tasks u ON u.id = a.task_id"
	       "  WHERE u.item_id = t.item_id AND a.reason = 'model_disagrees')"
	       " ORDER BY t.id DESC LIMIT 1");
	db_bind(st, DB_INT(audit_id), DB_TEXT(f->model_label), DB_REAL(f->confidence),
		DB_INT(project_id), DB_INT(f->item_id));
	int rc = db_exec_stmt(st, err);
	*added += !rc && sqlite3_changes(db_handle(c)) > 0;
	return rc;
}

int store_audit_flags_add(db_conn *c, int64_t project_id, int64_t job_id, int64_t created_by,
			  int64_t now, const audit_flag *flags, size_t n, int64_t *audit_id,
			  int *added, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO audits(project_id, size, created_by, created_at,"
				      " job_id) VALUES (?,0,?,?,?)");
	db_bind(st, DB_INT(project_id), DB_INT(created_by), DB_INT(now), DB_INT(job_id));
	int rc = db_exec_stmt(st, err);
	*added = 0;
	*audit_id = rc ? 0 : sqlite3_last_insert_rowid(db_handle(c));
	for (size_t i = 0; !rc && i < n; i++)
		rc = flag_add(c, *audit_id, project_id, &flags[i], added, err);
	if (rc)
		return rc;
	st = db_stmt(c, *added ? "UPDATE audits SET size = ?1 WHERE id = ?2"
			       : "DELETE FROM audits WHERE id = ?2 AND ?1 = 0");
	db_bind(st, DB_INT(*added), DB_INT(*audit_id));
	if (!*added)
		*audit_id = 0;
	return db_exec_stmt(st, err);
}

static json_t *or_null(json_t *v) { return v ? v : json_null(); }

/* One label check from a row of store_label_checks_list's query. */
static json_t *label_check_json(sqlite3_stmt *st)
{
	json_t *params = db_col_json(st, 4), *ev = db_col_json(st, 5);
	json_t *o = json_pack("{s:I,s:s,s:I,s:s,s:O,s:O}", "job_id",
			      (json_int_t)sqlite3_column_int64(st, 0), "state", db_col_text(st, 1),
			      "dataset_id", (json_int_t)sqlite3_column_int64(st, 2), "trainer",
			      db_col_text(st, 3), "folds",
			      or_null(json_object_get(params, "check_folds")), "threshold",
			      or_null(json_object_get(params, "check_threshold")));
	static const char *const figures[] = {"rows", "agreement", "flagged", "flags"};
	for (size_t i = 0; i < sizeof figures / sizeof figures[0]; i++) {
		json_t *v = json_object_get(ev, figures[i]);
		json_object_set(o, figures[i], or_null(v));
	}
	json_object_set_new(o, "audit_id", id_or_null(st, 6));
	json_object_set_new(o, "audited", json_integer(sqlite3_column_int64(st, 7)));
	json_decref(params);
	json_decref(ev);
	return o;
}

json_t *store_label_checks_list(db *d, int64_t project_id, int limit)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT j.id, j.state, coalesce(j.dataset_id, 0), coalesce(j.trainer, ''), j.params,"
	       " j.evaluation, a.id, coalesce(a.size, 0) FROM jobs j"
	       " LEFT JOIN audits a ON a.job_id = j.id"
	       " WHERE j.project_id = ? AND json_extract(j.params, '$.check_folds') IS NOT NULL"
	       " ORDER BY j.id DESC LIMIT ?");
	db_bind(st, DB_INT(project_id), DB_INT(limit));
	json_t *list = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(list, label_check_json(st));
	sqlite3_reset(st);
	db_read_end(c);
	return list;
}
