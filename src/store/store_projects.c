/* Projects: settings rows, the caller's roles in them, and the lists a user sees. */
#include "store/store_projects.h"
#include "core/project.h" /* the settings' JSON and the memo's copies: still to move out */
#include "util/clock.h"
#include "util/json.h"

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

/* Fills p from a row of PROJECT_COLUMNS; p must be project_init'ed. */
static void project_from_row(sqlite3_stmt *st, project *p)
{
	p->id = sqlite3_column_int64(st, 0);
	p->org_id = sqlite3_column_int64(st, 1);
	snprintf(p->name, sizeof p->name, "%s", db_col_text(st, 2));
	p->kind = store_kind_of(db_col_text(st, 3));
	json_decref(p->labels);
	p->labels = json_loads(db_col_text(st, 4), 0, NULL);
	if (!p->labels)
		p->labels = json_array();
	p->multi_label = sqlite3_column_int(st, 5);
	free(p->instructions);
	p->instructions = strdup(db_col_text(st, 6));
	p->price = sqlite3_column_int64(st, 7);
	p->reviewer_fee = sqlite3_column_int64(st, 8);
	p->review_sample = sqlite3_column_int(st, 9);
	p->review_rate = sqlite3_column_double(st, 10);
	p->overlap = sqlite3_column_int(st, 11);
	p->lease_seconds = sqlite3_column_int(st, 12);
	p->max_rounds = sqlite3_column_int(st, 13);
	snprintf(p->status, sizeof p->status, "%s", db_col_text(st, 14));
	p->is_public = sqlite3_column_int(st, 15);
	p->created_at = sqlite3_column_int64(st, 16);
	snprintf(p->currency, sizeof p->currency, "%s", db_col_text(st, 17));
	json_t *kind_settings = json_loads(db_col_text(st, 18), 0, NULL);
	project_llm_load(&p->llm, kind_settings);
	json_decref(kind_settings);
}

/* Binds the settings to parameters 1 to 15 (labels and kind_settings: JSON text). */
static void bind_settings(sqlite3_stmt *st, const project *p, char *labels, char *kind_settings)
{
	db_bind(st, DB_TEXT(p->name), DB_TEXT(task_kind_names[p->kind]), DB_TEXT(labels),
		DB_INT(p->multi_label), DB_TEXT(p->instructions ? p->instructions : ""),
		DB_INT(p->price), DB_INT(p->reviewer_fee), DB_INT(p->review_sample),
		DB_REAL(p->review_rate), DB_INT(p->overlap), DB_INT(p->lease_seconds),
		DB_INT(p->max_rounds), DB_TEXT(p->status), DB_INT(p->is_public),
		DB_TEXT(kind_settings ? kind_settings : "{}"));
}

/* The LLM settings as stored JSON text (caller frees; NULL when out of memory). */
static char *kind_settings_text(const project *p)
{
	json_t *o = project_llm_json(&p->llm);
	char *s = o ? json_dumps(o, JSON_OUT) : NULL;
	json_decref(o);
	return s;
}

static int project_create_job(db_conn *c, void *ctx, cl_error *err)
{
	project *p = ctx;
	sqlite3_stmt *st = db_stmt(c, "SELECT currency FROM orgs WHERE id = ?");
	db_bind_int(st, 1, p->org_id);
	if (db_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return cl_fail(err, CL_ENOTFOUND, NULL, "organization not found");
	}
	snprintf(p->currency, sizeof p->currency, "%s", db_col_text(st, 0));
	sqlite3_reset(st);
	char *labels = json_dumps(p->labels, JSON_OUT);
	char *kind_settings = kind_settings_text(p);
	p->created_at = clock_now_ms();
	st = db_stmt(
	    c, "INSERT INTO projects(name, kind, labels, multi_label, instructions, price,"
	       " reviewer_fee, review_sample, review_rate, overlap, lease_seconds, max_rounds,"
	       " status, is_public, kind_settings, org_id, created_at)"
	       " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)");
	bind_settings(st, p, labels, kind_settings);
	db_bind_int(st, 16, p->org_id);
	db_bind_int(st, 17, p->created_at);
	int rc = db_exec_stmt(st, err);
	free(labels);
	free(kind_settings);
	if (!rc)
		p->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_project_create(db *d, project *p, cl_error *err)
{
	return db_write(d, project_create_job, p, err);
}

/* A project with one user's roles in it, memoized per connection (db_access_epoch). */
#define PROJECT_MEMO_SLOTS 256
struct project_memo {
	struct {
		uint64_t epoch;
		int64_t user_id;
		project p; /* owns its labels and instructions */
		char org_role[16], member_role[16];
	} slot[PROJECT_MEMO_SLOTS];
};

static void project_memo_release(void *mem)
{
	struct project_memo *m = mem;
	for (int i = 0; i < PROJECT_MEMO_SLOTS; i++)
		project_release(&m->slot[i].p);
}

int store_project_get_for(db *d, int64_t id, int64_t user_id, project *p, char org_role[16],
			  char member_role[16])
{
	db_conn *c = db_reader(d);
	uint64_t epoch = db_access_epoch(c);
	struct project_memo *m = db_conn_memo(c, DB_MEMO_PROJECTS, sizeof *m, project_memo_release);
	unsigned i =
	    (unsigned)((uint64_t)id * 2654435761u ^ (uint64_t)user_id) % PROJECT_MEMO_SLOTS;
	if (m && epoch && m->slot[i].epoch == epoch && m->slot[i].p.id == id &&
	    m->slot[i].user_id == user_id) {
		project_copy(p, &m->slot[i].p);
		memcpy(org_role, m->slot[i].org_role, 16);
		memcpy(member_role, m->slot[i].member_role, 16);
		return 0;
	}
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT " PROJECT_COLUMNS ", om.role, pm.role"
		       " FROM projects p JOIN orgs o ON o.id = p.org_id"
		       " LEFT JOIN org_members om ON om.org_id = p.org_id AND om.user_id = ?2"
		       " LEFT JOIN project_members pm ON pm.project_id = p.id"
		       " AND pm.user_id = ?2 WHERE p.id = ?1");
	db_bind(st, DB_INT(id), DB_INT(user_id));
	int rc = CL_ENOTFOUND;
	org_role[0] = member_role[0] = '\0';
	if (db_step(st) == SQLITE_ROW) {
		project_from_row(st, p);
		if (sqlite3_column_type(st, PC + 0) != SQLITE_NULL)
			snprintf(org_role, 16, "%s", db_col_text(st, PC + 0));
		if (sqlite3_column_type(st, PC + 1) != SQLITE_NULL)
			snprintf(member_role, 16, "%s", db_col_text(st, PC + 1));
		rc = 0;
	}
	sqlite3_reset(st);
	if (!rc && m && epoch) {
		project_copy(&m->slot[i].p, p);
		m->slot[i].epoch = epoch;
		m->slot[i].user_id = user_id;
		memcpy(m->slot[i].org_role, org_role, 16);
		memcpy(m->slot[i].member_role, member_role, 16);
	}
	return rc;
}

int store_project_get(db *d, int64_t id, project *p)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT " PROJECT_COLUMNS
						 " FROM projects p JOIN orgs o ON o.id = p.org_id"
						 " WHERE p.id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		project_from_row(st, p);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
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

int store_project_save(db_conn *c, const project *p, cl_error *err)
{
	char *labels = json_dumps(p->labels, JSON_OUT);
	char *kind_settings = kind_settings_text(p);
	sqlite3_stmt *st =
	    db_stmt(c, "UPDATE projects SET name=?, kind=?, labels=?, multi_label=?, instructions=?,"
		       " price=?, reviewer_fee=?, review_sample=?, review_rate=?, overlap=?,"
		       " lease_seconds=?, max_rounds=?, status=?, is_public=?, kind_settings=?"
		       " WHERE id = ?");
	bind_settings(st, p, labels, kind_settings);
	db_bind_int(st, 16, p->id);
	int rc = db_exec_stmt(st, err);
	free(labels);
	free(kind_settings);
	return rc;
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
			    int64_t org_id, int64_t cursor, int limit, bool desc, int64_t *next)
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
	project p;
	project_init(&p);
	while (db_step(st) == SQLITE_ROW) {
		if (n++ == limit) {
			*next = p.id;
			break;
		}
		project_from_row(st, &p);
		json_t *o = project_to_json(&p);
		const char *om = (const char *)sqlite3_column_text(st, PC + 0);
		const char *pm = (const char *)sqlite3_column_text(st, PC + 1);
		/* The caller's roles as stored; the API names the strongest (my_role). */
		json_object_set_new(o, "org_role", om ? json_string(om) : json_null());
		json_object_set_new(o, "member_role", pm ? json_string(pm) : json_null());
		json_array_append_new(items, o);
	}
	project_release(&p);
	sqlite3_reset(st);
	return items;
}

/* My figures per project: approvals and rejections as counted (worker_counts), my work waiting
 * for review through the project's review backlog and the tasks in review (read once for all
 * projects), my work in hand through the live work's index: none of them reads a row per task
 * I ever did. */
static json_t *my_project_json(sqlite3_stmt *st)
{
	project p;
	project_init(&p);
	project_from_row(st, &p);
	json_t *o = project_to_json(&p);
	const char *pm = (const char *)sqlite3_column_text(st, PC + 0);
	int64_t approved = sqlite3_column_int64(st, PC + 1);
	int64_t reviews = sqlite3_column_int64(st, PC + 5);
	json_object_set_new(o, "my_role", json_string(pm ? pm : "worker"));
	json_object_set_new(o, "my_figures",
			    json_pack("{s:I,s:I,s:I,s:I,s:I}", "approved", (json_int_t)approved,
				      "rejected", (json_int_t)sqlite3_column_int64(st, PC + 2),
				      "pending_review", (json_int_t)sqlite3_column_int64(st, PC + 3),
				      "in_progress", (json_int_t)sqlite3_column_int64(st, PC + 4),
				      "earnings",
				      (json_int_t)(approved * p.price + reviews * p.reviewer_fee)));
	project_release(&p);
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
			  int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, MY_PROJECTS, "p.id"));
	return db_owned_page(st, user_id, cursor, limit, desc, my_project_json, next);
}
