/* A task's rows in SQLite: the task, its annotations, its events and skips, the queues a claim
 * walks, and the reads an answer needs. Rules are core's (core/claim.c, submit.c, review.c);
 * this file only reads and writes what it is told, each call inside the caller's job. */
#include "store/task_rows.h"

#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int task_rows_state_parse(const char *name, task_state *out)
{
	for (int i = 0; i < TASK_STATE_COUNT; i++)
		if (!strcmp(name, task_state_names[i])) {
			*out = (task_state)i;
			return 0;
		}
	return CL_EINTERNAL;
}

static const char *state_name(task_state s)
{
	return (unsigned)s < TASK_STATE_COUNT ? task_state_names[s] : "unknown";
}

static char *col_dup(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : strdup(db_col_text(st, col));
}

int task_rows_load(db_conn *c, int64_t id, task_row *t)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id, project_id, item_id, coalesce(worker_id, 0),"
				      " coalesce(reviewer_id, 0), coalesce(lease_until, 0),"
				      " coalesce(annotation_id, 0), round, rejections, state,"
				      " coalesce(claimed_at, 0), coalesce(first_pass, 0) FROM tasks"
				      " WHERE id = ?");
	db_bind_int(st, 1, id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		t->id = sqlite3_column_int64(st, 0);
		t->project_id = sqlite3_column_int64(st, 1);
		t->item_id = sqlite3_column_int64(st, 2);
		t->worker_id = sqlite3_column_int64(st, 3);
		t->reviewer_id = sqlite3_column_int64(st, 4);
		t->lease_until = sqlite3_column_int64(st, 5);
		t->annotation_id = sqlite3_column_int64(st, 6);
		t->round = sqlite3_column_int(st, 7);
		t->rejections = sqlite3_column_int(st, 8);
		rc = task_rows_state_parse(db_col_text(st, 9), &t->state);
		t->claimed_at = sqlite3_column_int64(st, 10);
		t->first_pass = sqlite3_column_int(st, 11) != 0;
	}
	sqlite3_reset(st);
	return rc;
}

int task_rows_event_add(db_conn *c, const task_row *t, int64_t actor, task_action a, task_state to,
			const char *payload, int64_t now, cl_error *err)
{
	/* The event type an action writes, in task_action order. */
	static const char *const events[TASK_ACTION_COUNT] = {
	    "claim",	       "submit",
	    "release",	       "lease_expired",
	    "review_claim",    "review_lease_expired",
	    "approve",	       "fix",
	    "reject",	       "auto_approve",
	    "resolve_approve", "discard",
	    "revoke",	       "withdraw",
	    "priority",	       "reopen",
	    "reassign",	       "rework_approved",
	    "review_again",
	};
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type,"
				      " from_state, to_state, payload) VALUES (?,?,?,?,?,?,?,?)");
	db_bind_int(st, 1, t->project_id);
	db_bind_int(st, 2, t->id);
	if (actor)
		db_bind_int(st, 3, actor);
	db_bind_int(st, 4, now);
	db_bind_text(st, 5, (unsigned)a < TASK_ACTION_COUNT ? events[a] : "unknown");
	db_bind_text(st, 6, state_name(t->state));
	db_bind_text(st, 7, state_name(to));
	db_bind_text(st, 8, payload);
	return db_exec_stmt(st, err);
}

int64_t task_rows_annotation_add(db_conn *c, int64_t task_id, int round, int64_t author,
				 const char *source, const char *data, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO annotations(task_id, round, author_id, source,"
				      " data, created_at) VALUES (?,?,?,?,?,?)");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, round);
	db_bind_int(st, 3, author);
	db_bind_text(st, 4, source);
	db_bind_text(st, 5, data);
	db_bind_int(st, 6, now);
	if (db_exec_stmt(st, err))
		return 0;
	return sqlite3_last_insert_rowid(db_handle(c));
}

int task_rows_leased(db_conn *c, const task_row *t, int64_t holder, bool review, int64_t until,
		     int64_t now, cl_error *err)
{
	sqlite3_stmt *st =
	    review ? db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?, reviewer_id = ?,"
				" lease_until = ? WHERE id = ?")
		   : db_stmt(c, "UPDATE tasks SET state = ?1, updated_at = ?2, worker_id = ?3,"
				" lease_until = ?4, claimed_at = ?2 WHERE id = ?5");
	db_bind_text(st, 1, state_name(t->state));
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, holder);
	db_bind_int(st, 4, until);
	db_bind_int(st, 5, t->id);
	return db_exec_stmt(st, err);
}

int task_rows_submitted(db_conn *c, const task_row *t, int round, int64_t annotation_id,
			int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?, round = ?,"
				      " annotation_id = ?, lease_until = NULL, reviewer_id = NULL"
				      " WHERE id = ?");
	db_bind_text(st, 1, state_name(t->state));
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, round);
	db_bind_int(st, 4, annotation_id);
	db_bind_int(st, 5, t->id);
	return db_exec_stmt(st, err);
}

int task_rows_approved(db_conn *c, const task_row *t, bool first_pass, int64_t annotation_id,
		       int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?, approved_at = ?,"
				      " first_pass = ?, lease_until = NULL, annotation_id = ?"
				      " WHERE id = ?");
	db_bind_text(st, 1, state_name(t->state));
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, now);
	db_bind_int(st, 4, first_pass);
	db_bind_int(st, 5, annotation_id);
	db_bind_int(st, 6, t->id);
	return db_exec_stmt(st, err);
}

int task_rows_rejected(db_conn *c, const task_row *t, const char *rejection, int64_t now,
		       cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?,"
				      " rejections = rejections + 1, rejection = ?,"
				      " lease_until = NULL WHERE id = ?");
	db_bind_text(st, 1, state_name(t->state));
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, rejection);
	db_bind_int(st, 4, t->id);
	return db_exec_stmt(st, err);
}

int task_rows_returned(db_conn *c, const task_row *t, bool review, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = review
			       ? db_stmt(c, "UPDATE tasks SET state = 'submitted', updated_at = ?,"
					    " reviewer_id = NULL, lease_until = NULL WHERE id = ?")
			       : db_stmt(c, "UPDATE tasks SET state = 'open', updated_at = ?,"
					    " worker_id = NULL, lease_until = NULL WHERE id = ?");
	db_bind_int(st, 1, now);
	db_bind_int(st, 2, t->id);
	return db_exec_stmt(st, err);
}

int task_rows_discarded(db_conn *c, const task_row *t, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = 'discarded',"
				      " updated_at = ?, lease_until = NULL WHERE id = ?");
	db_bind_int(st, 1, now);
	db_bind_int(st, 2, t->id);
	return db_exec_stmt(st, err);
}

int task_rows_skip_add(db_conn *c, int64_t task_id, int64_t user_id, int64_t now, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT OR IGNORE INTO task_skips(task_id, user_id, at) VALUES (?,?,?)");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, user_id);
	db_bind_int(st, 3, now);
	return db_exec_stmt(st, err);
}

bool task_rows_submitted_before(db_conn *c, int64_t task_id, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM annotations WHERE task_id = ?"
				      " AND author_id = ? AND source = 'submit'");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, user_id);
	bool found = db_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

/* ---- the queues ---- */

int64_t task_rows_rework_of(db_conn *c, int64_t project_id, int64_t worker_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_worker_live"
				      " WHERE worker_id = ? AND project_id = ? AND state = 'rework'"
				      " ORDER BY id LIMIT 1");
	db_bind(st, DB_INT(worker_id), DB_INT(project_id));
	return db_one_int(st);
}

int64_t task_rows_lease_of(db_conn *c, int64_t project_id, int64_t worker_id, int64_t now)
{
	/* By the worker's own index: the planner would rather range over every live lease
	 * (tasks_queue), which costs as many rows as workers are busy. */
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_worker_live WHERE worker_id = ?"
		       " AND project_id = ? AND state = 'assigned' AND lease_until > ?"
		       " ORDER BY id LIMIT 1");
	db_bind(st, DB_INT(worker_id), DB_INT(project_id), DB_INT(now));
	return db_one_int(st);
}

int64_t task_rows_open_for(db_conn *c, int64_t project_id, int64_t worker_id)
{
	/* Items this worker already has a slot of are looked up by item (k slots), never by
	 * worker (+ keeps the planner off tasks_worker, whose range grows with the worker's
	 * history). */
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT t.id FROM tasks t WHERE t.project_id = ?1 AND t.state = 'open'"
		       " AND NOT EXISTS (SELECT 1 FROM tasks u WHERE u.item_id = t.item_id"
		       " AND +u.worker_id = ?2)"
		       " AND NOT EXISTS (SELECT 1 FROM task_skips k WHERE k.task_id = t.id"
		       " AND k.user_id = ?2) ORDER BY t.priority DESC, t.id LIMIT 1");
	db_bind(st, DB_INT(project_id), DB_INT(worker_id));
	return db_one_int(st);
}

int64_t task_rows_review_lease_of(db_conn *c, int64_t project_id, int64_t reviewer_id, int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_reviewer"
		       " WHERE reviewer_id = ? AND state = 'in_review' AND project_id = ?"
		       " AND lease_until > ? ORDER BY id LIMIT 1");
	db_bind(st, DB_INT(reviewer_id), DB_INT(project_id), DB_INT(now));
	return db_one_int(st);
}

int64_t task_rows_review_waiting_for(db_conn *c, int64_t project_id, int64_t reviewer_id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT t.id FROM tasks t WHERE t.project_id = ?1 AND t.state = 'submitted'"
		       " AND t.worker_id <> ?2 AND (NOT EXISTS (SELECT 1 FROM task_skips k"
		       " WHERE k.task_id = t.id AND k.user_id = ?2)"
		       " OR NOT EXISTS (SELECT 1 FROM project_members m WHERE m.project_id = ?1"
		       " AND m.role = 'reviewer' AND m.user_id <> ?2 AND m.user_id <> t.worker_id"
		       " AND NOT EXISTS (SELECT 1 FROM task_skips s WHERE s.task_id = t.id"
		       " AND s.user_id = m.user_id)))"
		       " ORDER BY t.priority DESC, t.id LIMIT 1");
	db_bind(st, DB_INT(project_id), DB_INT(reviewer_id));
	return db_one_int(st);
}

int task_rows_leases_expired(db_conn *c, int64_t now, int64_t *ids, int max)
{
	/* Through the indexes of live leases (a worker's lease or rework, a reviewer's lease):
	 * as many rows as workers are busy, and no index on the lease itself costs an entry moved
	 * on every claim. */
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_worker_live WHERE state = 'assigned'"
		       " AND lease_until <= ?1 UNION ALL"
		       " SELECT id FROM tasks INDEXED BY tasks_reviewer WHERE state = 'in_review'"
		       " AND lease_until <= ?1 LIMIT ?2");
	db_bind_int(st, 1, now);
	db_bind_int(st, 2, max);
	int n = 0;
	while (n < max && db_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return n;
}

int64_t task_rows_tx_changes(db_conn *c)
{
	return sqlite3_total_changes64(db_handle(c));
}

/* ---- views ---- */

/* The first block of a view's strings: a claim's and a review claim's fit in it. A string over
 * half of it gets a block of its own, linked behind, so the first keeps its room. */
#define VIEW_TEXT_BLOCK 1024

static char *view_text_alloc(task_view *v, size_t n)
{
	task_view_text *b = v->texts;
	if (b && b->size - b->used >= n) {
		char *p = b->bytes + b->used;
		b->used += n;
		return p;
	}
	size_t size = n > VIEW_TEXT_BLOCK / 2 ? n : VIEW_TEXT_BLOCK;
	task_view_text *nb = malloc(offsetof(task_view_text, bytes) + size);
	if (!nb)
		return NULL;
	nb->size = size;
	nb->used = n;
	if (b && size == n) {
		nb->next = b->next;
		b->next = nb;
	} else {
		nb->next = b;
		v->texts = nb;
	}
	return nb->bytes;
}

/* Column `col` copied among v's strings; NULL for NULL (and without memory, as strdup). */
static char *view_dup(task_view *v, sqlite3_stmt *st, int col)
{
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return NULL;
	const char *text = db_col_text(st, col);
	size_t len = (size_t)sqlite3_column_bytes(st, col);
	char *p = view_text_alloc(v, len + 1);
	if (p) {
		memcpy(p, text, len);
		p[len] = '\0';
	}
	return p;
}

#define TASK_COLUMNS                                                                               \
	"t.id, t.project_id, t.item_id, t.slot, t.state, t.round, t.worker_id, t.reviewer_id,"     \
	" t.lease_until, t.rejection, a.data, t.approved_at"

/* A task's own fields, from a TASK_COLUMNS row. */
static void view_read(sqlite3_stmt *st, task_view *v)
{
	*v = (task_view){.detail = TASK_BARE};
	v->id = sqlite3_column_int64(st, 0);
	v->project_id = sqlite3_column_int64(st, 1);
	v->item_id = sqlite3_column_int64(st, 2);
	v->slot = sqlite3_column_int(st, 3);
	task_rows_state_parse(db_col_text(st, 4), &v->state);
	v->round = sqlite3_column_int(st, 5);
	v->worker_id = sqlite3_column_int64(st, 6);
	v->reviewer_id = sqlite3_column_int64(st, 7);
	v->lease_until = sqlite3_column_int64(st, 8);
	v->rejection = view_dup(v, st, 9);
	v->annotation = view_dup(v, st, 10);
	v->approved_at = sqlite3_column_int64(st, 11);
}

static void item_read(db_conn *c, task_view *v)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT type, text, mime, width, height, meta FROM items WHERE id = ?");
	db_bind_int(st, 1, v->item_id);
	if (db_step(st) == SQLITE_ROW) {
		v->has_item = true;
		v->item.type = view_dup(v, st, 0);
		v->item.text = view_dup(v, st, 1);
		v->item.mime = view_dup(v, st, 2);
		v->item.width = sqlite3_column_int64(st, 3);
		v->item.height = sqlite3_column_int64(st, 4);
		v->item.meta = view_dup(v, st, 5);
	}
	sqlite3_reset(st);
}

static void events_read(db_conn *c, task_view *v)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id, at, coalesce(actor_id, 0), type, from_state,"
		       " to_state, payload FROM events WHERE task_id = ? ORDER BY id");
	db_bind_int(st, 1, v->id);
	size_t cap = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (v->n_events == cap) {
			size_t more = cap ? 2 * cap : 8;
			task_view_event *e = realloc(v->events, more * sizeof *e);
			if (!e)
				break;
			v->events = e;
			cap = more;
		}
		v->events[v->n_events++] = (task_view_event){
		    .id = sqlite3_column_int64(st, 0),
		    .at = sqlite3_column_int64(st, 1),
		    .actor_id = sqlite3_column_int64(st, 2),
		    .type = view_dup(v, st, 3),
		    .from = view_dup(v, st, 4),
		    .to = view_dup(v, st, 5),
		    .payload = view_dup(v, st, 6),
		};
	}
	sqlite3_reset(st);
}

bool task_rows_view_load(db_conn *c, int64_t id, task_detail detail, task_view *v)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT " TASK_COLUMNS " FROM tasks t LEFT JOIN annotations a"
				      " ON a.id = t.annotation_id WHERE t.id = ?");
	db_bind_int(st, 1, id);
	bool found = db_step(st) == SQLITE_ROW;
	if (found)
		view_read(st, v);
	sqlite3_reset(st);
	if (!found)
		return false;
	v->detail = detail;
	if (detail != TASK_BARE)
		item_read(c, v);
	if (detail == TASK_WITH_HISTORY)
		events_read(c, v);
	return true;
}

bool task_rows_view_read(db *d, int64_t id, task_detail detail, task_view *v)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	bool found = task_rows_view_load(c, id, detail, v);
	db_read_end(c);
	return found;
}

#define TASK_REF_COLUMNS                                                                           \
	"t.id, t.project_id, coalesce(t.worker_id, 0), coalesce(t.reviewer_id, 0), t.state,"    \
	" t.item_id"

int task_rows_ref(db *d, int64_t task_id, task_ref *t)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " TASK_REF_COLUMNS " FROM tasks t WHERE t.id = ?");
	db_bind_int(st, 1, task_id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		t->id = sqlite3_column_int64(st, 0);
		t->project_id = sqlite3_column_int64(st, 1);
		t->worker_id = sqlite3_column_int64(st, 2);
		t->reviewer_id = sqlite3_column_int64(st, 3);
		rc = task_rows_state_parse(db_col_text(st, 4), &t->state);
		t->item_id = sqlite3_column_int64(st, 5);
	}
	sqlite3_reset(st);
	return rc;
}

/* ---- facts ---- */

#define FACTS_SLOTS 256

/* The facts of the tasks this connection's thread handed out in claims' answers: the submit or
 * decision that follows comes on the same HTTP connection, which one I/O thread serves. A slot
 * per task id modulo FACTS_SLOTS; a task whose slot another took is read again. */
struct facts_memo {
	struct facts_slot {
		int64_t task_id;
		task_facts f; /* with the item's facts: claims' answers carry the item */
	} slot[FACTS_SLOTS];
};

static void facts_memo_release(void *mem)
{
	struct facts_memo *m = mem;
	for (int i = 0; i < FACTS_SLOTS; i++)
		free(m->slot[i].f.text);
}

static struct facts_memo *facts_memo(db *d)
{
	return db_conn_memo(db_reader(d), DB_MEMO_TASK_FACTS, sizeof(struct facts_memo),
			    facts_memo_release);
}

void task_rows_facts_remember(db *d, int64_t task_id, task_facts *facts)
{
	struct facts_memo *m = facts_memo(d);
	if (!m)
		return;
	struct facts_slot *s = &m->slot[task_id & (FACTS_SLOTS - 1)];
	free(s->f.text);
	s->task_id = task_id;
	s->f = *facts;
	facts->text = NULL;
}

int task_rows_facts(db *d, int64_t task_id, bool with_item, task_facts *f)
{
	*f = (task_facts){0};
	struct facts_memo *m = facts_memo(d);
	struct facts_slot *s = m ? &m->slot[task_id & (FACTS_SLOTS - 1)] : NULL;
	if (s && s->task_id == task_id) {
		*f = s->f;
		f->text = NULL;
		if (with_item && s->f.text && !(f->text = strdup(s->f.text)))
			return CL_ENOMEM;
		return 0;
	}
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT t.project_id, iif(?2, i.text, NULL), i.width, i.height"
				  " FROM tasks t JOIN items i ON i.id = t.item_id WHERE t.id = ?1");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, with_item);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		f->project_id = sqlite3_column_int64(st, 0);
		f->text = col_dup(st, 1);
		f->width = sqlite3_column_int64(st, 2);
		f->height = sqlite3_column_int64(st, 3);
		rc = sqlite3_column_type(st, 1) != SQLITE_NULL && !f->text ? CL_ENOMEM : 0;
	}
	sqlite3_reset(st);
	return rc;
}

/* ---- lists ---- */

/* A page of a project's tasks in id order, walking `index` under condition `cond` (a state
 * condition that implies the index's own, for a partial one). */
#define TASK_PAGE(index, cond, op, dir)                                                            \
	"SELECT " TASK_COLUMNS " FROM tasks t INDEXED BY " index " LEFT JOIN annotations a"        \
	" ON a.id = t.annotation_id WHERE t.project_id = ?1 AND " cond " AND t.id " op " ?4"       \
	" ORDER BY t.id " dir " LIMIT ?5"
#define TASK_PAGES(index, cond)                                                                    \
	{                                                                                          \
		TASK_PAGE(index, cond, ">", "ASC"), TASK_PAGE(index, cond, "<", "DESC")            \
	}

/* The states whose tasks an index of their own holds, each walked through it: in id order for
 * the settled ones, whole and sorted for the work in progress (as many as are in hand). */
static const struct {
	const char *state;
	const char *sql[2]; /* ascending, descending */
} task_pages_by_state[] = {
    {"approved", TASK_PAGES("tasks_approved", "t.state = 'approved'")},
    {"escalated", TASK_PAGES("tasks_settled", "t.state = 'escalated'")},
    {"discarded", TASK_PAGES("tasks_settled", "t.state = 'discarded'")},
    {"assigned", TASK_PAGES("tasks_worker_live", "t.state = 'assigned'")},
    {"rework", TASK_PAGES("tasks_worker_live", "t.state = 'rework'")},
    {"in_review", TASK_PAGES("tasks_reviewer", "t.state = 'in_review'")},
};
static const char *const task_pages_of_project[2] =
    TASK_PAGES("tasks_project", "(?2 IS NULL OR t.state = ?2)");
static const char *const task_pages_of_worker[2] =
    TASK_PAGES("tasks_worker", "t.worker_id = ?3 AND (?2 IS NULL OR t.state = ?2)"
			       " AND NOT EXISTS (SELECT 1 FROM honeypots h WHERE h.task_id = t.id)");

/* The first and last ids of a project's open or submitted tasks, through the queue index: its
 * priorities one by one (a few), each a seek. */
#define QUEUE_ENDS(state)                                                                          \
	"WITH RECURSIVE pr(p) AS (SELECT (SELECT max(priority) FROM tasks INDEXED BY tasks_queue"  \
	"  WHERE project_id = ?1 AND state = '" state "')"                                         \
	" UNION ALL SELECT (SELECT max(priority) FROM tasks INDEXED BY tasks_queue"                \
	"  WHERE project_id = ?1 AND state = '" state "' AND priority < pr.p) FROM pr"             \
	"  WHERE pr.p IS NOT NULL)"                                                                \
	" SELECT min((SELECT min(id) FROM tasks INDEXED BY tasks_queue WHERE project_id = ?1"      \
	"  AND state = '" state "' AND priority = pr.p)),"                                         \
	" max((SELECT max(id) FROM tasks INDEXED BY tasks_queue WHERE project_id = ?1"             \
	"  AND state = '" state "' AND priority = pr.p)) FROM pr WHERE pr.p IS NOT NULL"

/* Where a walk of the project's tasks in one of the queue's states may start, so that it does
 * not read the tasks before the first of them (or after the last): the project's approved
 * part, most of all. False when the project has none in that state. */
static bool queue_start(db_conn *c, int64_t project_id, const char *state, bool desc,
			int64_t *cursor)
{
	sqlite3_stmt *st =
	    db_stmt(c, strcmp(state, "open") ? QUEUE_ENDS("submitted") : QUEUE_ENDS("open"));
	db_bind_int(st, 1, project_id);
	bool any = db_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
	if (any && !desc && sqlite3_column_int64(st, 0) - 1 > *cursor)
		*cursor = sqlite3_column_int64(st, 0) - 1;
	if (any && desc && sqlite3_column_int64(st, 1) + 1 < *cursor)
		*cursor = sqlite3_column_int64(st, 1) + 1;
	sqlite3_reset(st);
	return any;
}

/* The task browser's walk, with every filter; an unset one holds any task. */
#define TASK_FILTERED(walk, op, dir)                                                               \
	"SELECT " TASK_COLUMNS " FROM " walk " LEFT JOIN annotations a"                            \
	" ON a.id = t.annotation_id WHERE t.project_id = ?1 AND (?2 IS NULL OR t.state = ?2)"      \
	" AND (?3 = 0 OR t.worker_id = ?3) AND t.id " op " ?4"                                     \
	" AND (?6 = 0 OR t.reviewer_id = ?6 OR EXISTS (SELECT 1 FROM events e"                     \
	"  WHERE e.task_id = t.id AND e.actor_id = ?6 AND e.type IN ('approve', 'fix', "           \
	"'reject')))"                                                                              \
	" AND (?7 IS NULL OR t.round = ?7)"                                                        \
	" AND (?8 = 0 OR EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = t.item_id)"          \
	"  = (?8 = 1))"                                                                            \
	" AND (?9 IS NULL OR EXISTS (SELECT 1 FROM json_tree(a.data) j WHERE j.type = 'text'"      \
	"  AND j.atom = ?9 AND (j.key = 'label' OR j.path = '$.labels')))"                         \
	" AND (?10 IS NULL OR EXISTS (SELECT 1 FROM items i WHERE i.id = t.item_id"                \
	"  AND instr(lower(i.text), lower(?10)) > 0))"                                             \
	" AND (?11 = 0 OR t.updated_at >= ?11) AND (?12 = 0 OR t.updated_at < ?12)"                \
	" ORDER BY t.id " dir " LIMIT ?5"
/* The project's tasks in id order, every filter checked on each. */
#define WALK_PROJECT "tasks t INDEXED BY tasks_project"
static const char *const task_pages_filtered[2] = {TASK_FILTERED(WALK_PROJECT, ">", "ASC"),
						   TASK_FILTERED(WALK_PROJECT, "<", "DESC")};
/* One task by id, every filter checked on it (LIMIT ?5 is 1). */
static const char *const task_filtered_one = TASK_FILTERED("tasks t", "=", "ASC");
/* For gold items only (a few in a thousand): the ids of the tasks of the project's gold items
 * in order from their own index (gold_tasks, migration 34), read only as far as a page goes;
 * then the rows of that page. A walk of the whole project read a thousand tasks for each one it
 * kept, and finding every gold task by its item to sort them read a random index page each. */
#define GOLD_IDS(op, dir)                                                                          \
	"SELECT task_id FROM gold_tasks WHERE project_id = ?1 AND task_id " op " ?2"               \
	" ORDER BY task_id " dir
static const char *const gold_task_ids[2] = {GOLD_IDS(">", "ASC"), GOLD_IDS("<", "DESC")};
/* For a piece of text (?3, 3 characters or more): the ids of the project's tasks whose item
 * holds it, through the trigram index (migration 27); the point check then applies the filter
 * itself, so the answer is the walk's. */
#define TEXT_IDS(op, dir)                                                                          \
	"SELECT t.id FROM items_text f CROSS JOIN tasks t ON t.item_id = f.rowid"                  \
	" WHERE items_text MATCH '\"' || replace(?3, '\"', '\"\"') || '\"'"                       \
	" AND t.project_id = ?1 AND t.id " op " ?2 ORDER BY t.id " dir
static const char *const text_task_ids[2] = {TEXT_IDS(">", "ASC"), TEXT_IDS("<", "DESC")};
/* The most items a text may match for the index to drive the page: past it the match is
 * common, and the project's walk finds a page sooner than sorting every match. */
#define TEXT_INDEX_MAX_MATCHES 5000

static bool query_filtered(const task_query *q)
{
	return q->reviewer_id || q->by_round || q->gold || q->label || q->text || q->from || q->to;
}

static void filters_bind(sqlite3_stmt *st, const task_query *q)
{
	db_bind_int(st, 6, q->reviewer_id);
	if (q->by_round)
		db_bind_int(st, 7, q->round);
	else
		sqlite3_bind_null(st, 7); /* a cached statement keeps its last bindings */
	db_bind_int(st, 8, q->gold);
	db_bind_text(st, 9, q->label);
	db_bind_text(st, 10, q->text);
	db_bind_int(st, 11, q->from);
	db_bind_int(st, 12, q->to);
}

/* Whether the index should drive a text search: a piece of 3 characters or more (the trigram
 * index cannot answer less) that few items hold. */
static bool text_indexed(db_conn *c, const char *text)
{
	size_t chars = 0;
	for (const char *p = text; p && *p; p++)
		chars += (*p & 0xC0) != 0x80;
	if (chars < 3)
		return false;
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM (SELECT 1 FROM items_text"
				      " WHERE items_text MATCH '\"' || replace(?1, '\"', '\"\"') || '\"'"
				      " LIMIT ?2)");
	db_bind(st, DB_TEXT(text), DB_INT(TEXT_INDEX_MAX_MATCHES + 1));
	return db_one_int(st) <= TEXT_INDEX_MAX_MATCHES;
}

/* A page of tasks found by id (the gold items' tasks, or those whose text matched) into v
 * (room for q->limit + 1): their ids in order, then each one's row with every filter, until
 * the page is full. */
static int page_by_ids(db_conn *c, const task_query *q, const char *ids_sql, int64_t from,
		       task_view *v, int64_t *next)
{
	sqlite3_stmt *ids = db_stmt(c, ids_sql);
	db_bind(ids, DB_INT(q->project_id), DB_INT(from));
	if (ids_sql == text_task_ids[0] || ids_sql == text_task_ids[1])
		db_bind_text(ids, 3, q->text);
	int n = 0;
	while (db_step(ids) == SQLITE_ROW) {
		sqlite3_stmt *st = db_stmt(c, task_filtered_one);
		filters_bind(st, q);
		db_bind_int(st, 1, q->project_id);
		db_bind_text(st, 2, q->state);
		db_bind_int(st, 3, q->worker_id);
		db_bind_int(st, 4, sqlite3_column_int64(ids, 0));
		db_bind_int(st, 5, 1);
		bool hit = db_step(st) == SQLITE_ROW;
		if (hit && n == q->limit)
			*next = v[n - 1].id;
		else if (hit)
			view_read(st, &v[n++]);
		sqlite3_reset(st);
		if (*next)
			break;
	}
	sqlite3_reset(ids);
	return n;
}

int task_rows_page(db *d, const task_query *q, task_view **out, int64_t *next)
{
	*out = NULL;
	*next = 0;
	task_view *v = calloc((size_t)q->limit + 1, sizeof *v);
	if (!v)
		return -1;
	db_conn *c = db_reader(d);
	db_read_begin(c);
	/* A worker's tasks through their own index; else a state's own index when it has one;
	 * else the project's, from the first task in the state asked for. */
	const char *sql =
	    q->worker_id ? task_pages_of_worker[q->desc] : task_pages_of_project[q->desc];
	int64_t from = q->cursor ? q->cursor : (q->desc ? INT64_MAX : 0);
	bool empty = false;
	for (size_t i = 0; q->state && !q->worker_id &&
			   i < sizeof task_pages_by_state / sizeof *task_pages_by_state;
	     i++)
		if (!strcmp(q->state, task_pages_by_state[i].state))
			sql = task_pages_by_state[i].sql[q->desc];
	if (q->state && !q->worker_id &&
	    (!strcmp(q->state, "open") || !strcmp(q->state, "submitted")))
		empty = !queue_start(c, q->project_id, q->state, q->desc, &from);
	if (query_filtered(q)) {
		sql = task_pages_filtered[q->desc];
		empty = false;
		from = q->cursor ? q->cursor : (q->desc ? INT64_MAX : 0);
	}
	const char *ids_sql = !query_filtered(q) ? NULL
			      : q->gold == 1	 ? gold_task_ids[q->desc]
			      : q->text && text_indexed(c, q->text) ? text_task_ids[q->desc]
								    : NULL;
	if (ids_sql) {
		int n = page_by_ids(c, q, ids_sql, from, v, next);
		db_read_end(c);
		*out = v;
		return n;
	}
	sqlite3_stmt *st = db_stmt(c, sql);
	if (query_filtered(q))
		filters_bind(st, q);
	db_bind_int(st, 1, q->project_id);
	db_bind_text(st, 2, q->state);
	db_bind_int(st, 3, q->worker_id);
	db_bind_int(st, 4, from);
	db_bind_int(st, 5, empty ? 0 : q->limit + 1);
	int n = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (n == q->limit) {
			*next = v[n - 1].id;
			break;
		}
		view_read(st, &v[n++]);
	}
	sqlite3_reset(st);
	db_read_end(c);
	*out = v;
	return n;
}
