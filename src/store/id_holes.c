/* Reserved ids in SQL: see id_holes.h. Tasks and items use plain rowids, which SQLite gives as
 * the table's largest id plus one: an id below the largest stays free until a row names it. */
#include "store/id_holes.h"
#include "store/conn.h"
#include "store/quality_settings.h"

#include <sodium.h>

static const char *const kind_names[] = {"task", "item"};

int id_holes_start(db_conn *c, id_holes *h, int64_t project_id, id_hole_kind kind,
		   cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, kind == ID_HOLE_TASK ? "SELECT coalesce(max(id), 0) + 1 FROM tasks"
					    : "SELECT coalesce(max(id), 0) + 1 FROM items");
	double rate = 2 * store_quality_gold_rate(c, project_id);
	rate = rate < 0.125 ? 0.125 : rate > 0.5 ? 0.5 : rate;
	*h = (id_holes){.project_id = project_id,
			.kind = kind,
			.next = db_one_int(st),
			.chance = (uint32_t)(rate * 1e6)};
	/* The first free id is 1 at least: 0 is the query's failure (out of memory), not an id
	 * to hand out. */
	return h->next > 0 ? 0 : cl_fail(err, CL_EINTERNAL, NULL, "the next %s id cannot be read",
					 kind_names[kind]);
}

int64_t id_holes_next(id_holes *h, int64_t *reserved)
{
	*reserved = randombytes_uniform(1000000) < h->chance ? h->next : 0;
	return *reserved ? h->next + 1 : h->next;
}

int id_holes_keep(db_conn *c, id_holes *h, int64_t id, int64_t reserved, cl_error *err)
{
	h->next = id + 1;
	if (!reserved)
		return 0;
	sqlite3_stmt *st = db_stmt(c, "INSERT OR IGNORE INTO id_holes(project_id, kind, id)"
				      " VALUES (?,?,?)");
	db_bind(st, DB_INT(h->project_id), DB_TEXT(kind_names[h->kind]), DB_INT(reserved));
	return db_exec_stmt(st, err);
}

/* The project's first reserved id at or above `from` (`up`), or its last one below it; 0: none. */
static int64_t hole_from(db_conn *c, int64_t project_id, id_hole_kind kind, int64_t from, bool up)
{
	sqlite3_stmt *st =
	    db_stmt(c, up ? "SELECT id FROM id_holes WHERE project_id = ?1 AND kind = ?2"
			    " AND id >= ?3 ORDER BY id LIMIT 1"
			  : "SELECT id FROM id_holes WHERE project_id = ?1 AND kind = ?2"
			    " AND id < ?3 ORDER BY id DESC LIMIT 1");
	db_bind(st, DB_INT(project_id), DB_TEXT(kind_names[kind]), DB_INT(from));
	return db_one_int(st);
}

/* A random id between the project's first and last reserved ones. */
static int64_t random_point(db_conn *c, int64_t project_id, id_hole_kind kind)
{
	int64_t lo = hole_from(c, project_id, kind, 0, true);
	int64_t hi = hole_from(c, project_id, kind, INT64_MAX, false);
	if (!lo || hi < lo)
		return 0;
	uint64_t r = 0;
	randombytes_buf(&r, sizeof r);
	return lo + (int64_t)(r % ((uint64_t)(hi - lo) + 1));
}

int64_t id_hole_take(db_conn *c, int64_t project_id, id_hole_kind kind, int64_t near)
{
	int64_t id = 0;
	if (near)
		id = hole_from(c, project_id, kind, near, false);
	else
		near = random_point(c, project_id, kind);
	if (!id && near)
		id = hole_from(c, project_id, kind, near, true);
	if (!id && near)
		id = hole_from(c, project_id, kind, near, false);
	if (!id)
		return 0;
	sqlite3_stmt *st =
	    db_stmt(c, "DELETE FROM id_holes WHERE project_id = ? AND kind = ? AND id = ?");
	db_bind(st, DB_INT(project_id), DB_TEXT(kind_names[kind]), DB_INT(id));
	return db_exec_stmt(st, NULL) ? 0 : id;
}
