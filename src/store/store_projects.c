/* Projects: their rows (core/project_load.c decodes and encodes them), the caller's roles in
 * them, and the lists a user sees, each item made by the caller's project_json_fn. */
#include "store/store_projects.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PROJECT_COLUMNS                                                                            \
	"p.id, p.org_id, p.name, p.kind, p.labels, p.multi_label, p.instructions, p.price,"        \
	" p.reviewer_fee, p.review_sample, p.review_rate, p.overlap, p.lease_seconds,"             \
	" p.max_rounds, p.status, p.is_public, p.created_at, o.currency, p.kind_settings"
/* The first column after PROJECT_COLUMNS. */
#define PC 19

task_kind store_kind_of(const char *name)
{
	for (int k = 0; name && task_kind_names[k]; k++)
		if (!strcmp(task_kind_names[k], name))
			return (task_kind)k;
	return KIND_TEXT_CLASS;
}

/* A column's text, or NULL for NULL. */
static const char *text_or_null(sqlite3_stmt *st, int i)
{
	return sqlite3_column_type(st, i) == SQLITE_NULL ? NULL : db_col_text(st, i);
}

/* The row of PROJECT_COLUMNS st is on (strings borrowed until st moves); no roles. */
static void row_of(sqlite3_stmt *st, project_row *r)
{
	*r = (project_row){
	    .id = sqlite3_column_int64(st, 0),
	    .org_id = sqlite3_column_int64(st, 1),
	    .name = db_col_text(st, 2),
	    .kind = db_col_text(st, 3),
	    .labels = db_col_text(st, 4),
	    .multi_label = sqlite3_column_int(st, 5),
	    .instructions = db_col_text(st, 6),
	    .price = sqlite3_column_int64(st, 7),
	    .reviewer_fee = sqlite3_column_int64(st, 8),
	    .review_sample = sqlite3_column_int(st, 9),
	    .review_rate = sqlite3_column_double(st, 10),
	    .overlap = sqlite3_column_int(st, 11),
	    .lease_seconds = sqlite3_column_int(st, 12),
	    .max_rounds = sqlite3_column_int(st, 13),
	    .status = db_col_text(st, 14),
	    .is_public = sqlite3_column_int(st, 15),
	    .created_at = sqlite3_column_int64(st, 16),
	    .currency = db_col_text(st, 17),
	    .kind_settings = db_col_text(st, 18),
	};
}

/* Binds the settings to parameters 1 to 15. */
static void bind_settings(sqlite3_stmt *st, const project_row *r)
{
	db_bind(st, DB_TEXT(r->name), DB_TEXT(r->kind), DB_TEXT(r->labels),
		DB_INT(r->multi_label), DB_TEXT(r->instructions ? r->instructions : ""),
		DB_INT(r->price), DB_INT(r->reviewer_fee), DB_INT(r->review_sample),
		DB_REAL(r->review_rate), DB_INT(r->overlap), DB_INT(r->lease_seconds),
		DB_INT(r->max_rounds), DB_TEXT(r->status), DB_INT(r->is_public),
		DB_TEXT(r->kind_settings ? r->kind_settings : "{}"));
}

typedef struct insert_job {
	const project_row *row;
	int64_t id;
	char currency[8];
} insert_job;

static int project_insert_job(db_conn *c, void *ctx, cl_error *err)
{
	insert_job *j = ctx;
	sqlite3_stmt *st = db_stmt(c, "SELECT currency FROM orgs WHERE id = ?");
	db_bind_int(st, 1, j->row->org_id);
	if (db_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return cl_fail(err, CL_ENOTFOUND, NULL, "organization not found");
	}
	snprintf(j->currency, sizeof j->currency, "%s", db_col_text(st, 0));
	sqlite3_reset(st);
	st = db_stmt(
	    c, "INSERT INTO projects(name, kind, labels, multi_label, instructions, price,"
	       " reviewer_fee, review_sample, review_rate, overlap, lease_seconds, max_rounds,"
	       " status, is_public, kind_settings, org_id, created_at)"
	       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	bind_settings(st, j->row);
	db_bind_int(st, 16, j->row->org_id);
	db_bind_int(st, 17, j->row->created_at);
	int rc = db_exec_stmt(st, err);
	if (!rc)
		j->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_project_insert(db *d, const project_row *r, int64_t *id, char currency[8],
			 cl_error *err)
{
	insert_job j = {.row = r};
	int rc = db_write(d, project_insert_job, &j, err);
	if (!rc) {
		*id = j.id;
		memcpy(currency, j.currency, sizeof j.currency);
	}
	return rc;
}

/* Hands fn the row st is on, with the roles in columns PC and PC + 1 when `roles`. */
static int hand_row(sqlite3_stmt *st, bool roles, project_row_fn *fn, void *ctx)
{
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		project_row r;
		row_of(st, &r);
		if (roles) {
			r.org_role = text_or_null(st, PC + 0);
			r.member_role = text_or_null(st, PC + 1);
		}
		fn(&r, ctx);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int store_project_row(db *d, int64_t id, int64_t user_id, project_row_fn *fn, void *ctx)
{
	db_conn *c = db_reader(d);
	if (!user_id) {
		sqlite3_stmt *st = db_stmt(c, "SELECT " PROJECT_COLUMNS
					      " FROM projects p JOIN orgs o ON o.id = p.org_id"
					      " WHERE p.id = ?");
		db_bind_int(st, 1, id);
		return hand_row(st, false, fn, ctx);
	}
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT " PROJECT_COLUMNS ", om.role, pm.role"
		       " FROM projects p JOIN orgs o ON o.id = p.org_id"
		       " LEFT JOIN org_members om ON om.org_id = p.org_id AND om.user_id = ?2"
		       " LEFT JOIN project_members pm ON pm.project_id = p.id"
		       " AND pm.user_id = ?2 WHERE p.id = ?1");
	db_bind(st, DB_INT(id), DB_INT(user_id));
	return hand_row(st, true, fn, ctx);
}

int store_project_labels(db_conn *c, int64_t project_id, json_t **labels, bool *labeled)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT labels, EXISTS(SELECT 1 FROM tasks WHERE project_id = ?"
		       " AND round > 0) FROM projects WHERE id = ?");
	db_bind(st, DB_INT(project_id), DB_INT(project_id));
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*labels = json_loads(db_col_text(st, 0), 0, NULL);
		*labeled = sqlite3_column_int(st, 1);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int store_project_save(db_conn *c, const project_row *r, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "UPDATE projects SET name=?, kind=?, labels=?, multi_label=?, instructions=?,"
		       " price=?, reviewer_fee=?, review_sample=?, review_rate=?, overlap=?,"
		       " lease_seconds=?, max_rounds=?, status=?, is_public=?, kind_settings=?"
		       " WHERE id = ?");
	bind_settings(st, r);
	db_bind_int(st, 16, r->id);
	return db_exec_stmt(st, err);
}

void store_project_roles(db *d, int64_t project_id, int64_t org_id, int64_t user_id,
			 char org_role[16], char member_role[16])
{
	db_conn *c = db_reader(d);
	store_org_role(d, org_id, user_id, org_role);
	sqlite3_stmt *st = db_stmt(c, "SELECT role FROM project_members "
				      "WHERE project_id = ? AND user_id = ?");
	db_bind(st, DB_INT(project_id), DB_INT(user_id));
	db_one_text(st, member_role, 16);
}

json_t *store_projects_list(db *d, const principal *pr, const char *status, const char *kind,
			    int64_t org_id, int64_t cursor, int limit, bool desc,
			    project_json_fn *to_json, int64_t *next)
{
	db_conn *c = db_reader(d);
	/* Visible: an admin sees all; others their orgs', their memberships and public ones. */
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT " PROJECT_COLUMNS ", om.role, pm.role FROM projects p"
		       " JOIN orgs o ON o.id = p.org_id"
		       " LEFT JOIN org_members om ON om.org_id = p.org_id AND om.user_id = ?1"
		       " LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = ?1"
		       " WHERE (?2 OR om.role IS NOT NULL OR pm.role IS NOT NULL"
		       "        OR (p.is_public AND p.status IN ('open','paused')))"
		       " AND (?3 IS NULL OR p.status = ?3) AND (?4 IS NULL OR p.kind = ?4)"
		       " AND (?5 = 0 OR p.org_id = ?5)"
		       " AND CASE WHEN ?6 THEN p.id < ?7 ELSE p.id > ?7 END"
		       " ORDER BY CASE WHEN ?6 THEN -p.id ELSE p.id END LIMIT ?8");
	db_bind(st, DB_INT(pr->id), DB_INT(pr->is_admin), DB_TEXT(status), DB_TEXT(kind),
		DB_INT(org_id), DB_INT(desc), DB_INT(cursor ? cursor : (desc ? INT64_MAX : 0)),
		DB_INT(limit + 1));
	json_t *items = json_array();
	*next = 0;
	int n = 0;
	int64_t last = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			*next = last;
			break;
		}
		project_row r;
		row_of(st, &r);
		last = r.id;
		json_t *o = to_json(&r);
		/* The caller's roles as stored; the API names the strongest (my_role). */
		const char *om = text_or_null(st, PC + 0), *pm = text_or_null(st, PC + 1);
		json_object_set_new(o, "org_role", om ? json_string(om) : json_null());
		json_object_set_new(o, "member_role", pm ? json_string(pm) : json_null());
		json_array_append_new(items, o);
	}
	sqlite3_reset(st);
	return items;
}

/* My figures per project: approvals and rejections as counted (worker_counts), my work waiting
 * for review through the project's review backlog and the tasks in review (read once for all
 * projects), my work in hand through the live work's index: none of them reads a row per task
 * I ever did. */
static json_t *my_project_json(sqlite3_stmt *st, project_json_fn *to_json)
{
	project_row r;
	row_of(st, &r);
	json_t *o = to_json(&r);
	const char *pm = text_or_null(st, PC + 0);
	int64_t approved = sqlite3_column_int64(st, PC + 1);
	int64_t reviews = sqlite3_column_int64(st, PC + 5);
	json_object_set_new(o, "my_role", json_string(pm ? pm : "worker"));
	json_object_set_new(o, "my_figures",
			    json_pack("{s:I,s:I,s:I,s:I,s:I}", "approved", (json_int_t)approved,
				      "rejected", (json_int_t)sqlite3_column_int64(st, PC + 2),
				      "pending_review", (json_int_t)sqlite3_column_int64(st, PC + 3),
				      "in_progress", (json_int_t)sqlite3_column_int64(st, PC + 4),
				      "earnings",
				      (json_int_t)(approved * r.price + reviews * r.reviewer_fee)));
	return o;
}

#define MY_PROJECTS                                                                                \
	"SELECT " PROJECT_COLUMNS ", pm.role,"                                                     \
	" coalesce(w.approved, 0), coalesce(w.rejected, 0),"                                       \
	" (SELECT count(*) FROM tasks t INDEXED BY tasks_queue WHERE t.project_id = p.id"          \
	"   AND t.state = 'submitted' AND t.worker_id = ?1)"                                       \
	" + coalesce(ir.n, 0),"                                                                    \
	" (SELECT count(*) FROM tasks t INDEXED BY tasks_worker_live WHERE t.worker_id = ?1"       \
	"   AND t.project_id = p.id AND (t.state = 'assigned' OR t.state = 'rework')),"            \
	" coalesce(r.decisions, 0)"                                                                \
	" FROM projects p JOIN orgs o ON o.id = p.org_id"                                          \
	" LEFT JOIN worker_counts w ON w.user_id = ?1 AND w.project_id = p.id"                     \
	" LEFT JOIN review_counts r ON r.user_id = ?1 AND r.project_id = p.id"                     \
	" LEFT JOIN (SELECT t.project_id, count(*) AS n FROM tasks t INDEXED BY tasks_reviewer"    \
	"   WHERE t.state = 'in_review' AND t.worker_id = ?1 GROUP BY t.project_id) ir"            \
	"   ON ir.project_id = p.id"                                                               \
	" LEFT JOIN project_members pm ON pm.project_id = p.id AND pm.user_id = ?1"                \
	" WHERE p.status IN ('open','paused')"                                                     \
	"   AND (pm.role IS NOT NULL OR p.is_public)"

json_t *store_my_projects(db *d, int64_t user_id, int64_t cursor, int limit, bool desc,
			  project_json_fn *to_json, int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, MY_PROJECTS, "p.id"));
	db_bind(st, DB_INT(user_id), DB_INT(cursor ? cursor : (desc ? INT64_MAX : 0)),
		DB_INT(limit + 1)); /* one more row: whether another page follows */
	json_t *items = json_array();
	int64_t last = 0;
	int n = 0;
	*next = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			*next = last;
			break;
		}
		last = sqlite3_column_int64(st, 0);
		json_array_append_new(items, my_project_json(st, to_json));
	}
	sqlite3_reset(st);
	return items;
}
