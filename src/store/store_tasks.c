/* Tasks through the full-review state machine (core/task.h): claim, submit, release, review,
 * resolve and lease expiry, each one transaction that also appends its event. */
#include "store/store.h"
#include "store/store_quality.h"
#include "core/task.h"
#include "util/clock.h"
#include "util/json.h"
#include "util/json_write.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct task_row {
	int64_t id, project_id, item_id, worker_id, reviewer_id, lease_until, annotation_id;
	int64_t claimed_at; /* the worker's latest claim; 0 when unknown */
	int round, rejections;
	task_state state;
} task_row;

static int task_load(db_conn *c, int64_t id, task_row *t)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT id, project_id, item_id, coalesce(worker_id, 0),"
				      " coalesce(reviewer_id, 0), coalesce(lease_until, 0),"
				      " coalesce(annotation_id, 0), round, rejections, state,"
				      " coalesce(claimed_at, 0) FROM tasks WHERE id = ?");
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
		rc = task_state_parse(db_col_text(st, 9), &t->state) ? CL_EINTERNAL : 0;
		t->claimed_at = sqlite3_column_int64(st, 10);
	}
	sqlite3_reset(st);
	return rc;
}

/* Appends the event of a transition. `payload` is JSON object text or NULL. */
static int event_add(db_conn *c, const task_row *t, int64_t actor, task_action a, task_state to,
		     const char *payload, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type,"
				      " from_state, to_state, payload) VALUES (?,?,?,?,?,?,?,?)");
	db_bind_int(st, 1, t->project_id);
	db_bind_int(st, 2, t->id);
	if (actor)
		db_bind_int(st, 3, actor);
	db_bind_int(st, 4, now);
	db_bind_text(st, 5, task_action_event(a));
	db_bind_text(st, 6, task_state_name(t->state));
	db_bind_text(st, 7, task_state_name(to));
	db_bind_text(st, 8, payload);
	int rc = db_exec_stmt(st, err);
	/* The work in progress the budget holds money for: a reject adds a rejection (the caller's
	 * UPDATE), which moves the task to the next count. */
	bool was = task_state_live(t->state), is = task_state_live(to);
	if (!rc && was && (!is || a == TASK_REJECT))
		rc = store_ledger_live(c, t->project_id, t->rejections, -1, err);
	if (!rc && is && (!was || a == TASK_REJECT))
		rc =
		    store_ledger_live(c, t->project_id, t->rejections + (a == TASK_REJECT), 1, err);
	return rc;
}

/* Checks the state machine and appends the event (its payload JSON text or NULL); the caller's
 * one UPDATE then writes the new state together with the columns that change with it. */
static int transition_text(db_conn *c, task_row *t, int64_t actor, task_action a, bool exhausted,
			   const char *payload, int64_t now, task_state *to, cl_error *err)
{
	if (task_transition(t->state, a, exhausted, to))
		return cl_fail(err, CL_ECONFLICT, NULL, "the task is %s; it cannot be %s now",
			       task_state_name(t->state), task_action_event(a));
	int rc = event_add(c, t, actor, a, *to, payload, now, err);
	t->state = *to;
	return rc;
}

/* transition_text with the payload a JSON object (stolen) or NULL. */
static int transition(db_conn *c, task_row *t, int64_t actor, task_action a, bool exhausted,
		      json_t *payload, int64_t now, task_state *to, cl_error *err)
{
	char *text = payload ? json_dumps(payload, JSON_OUT) : NULL;
	json_decref(payload);
	int rc = transition_text(c, t, actor, a, exhausted, text, now, to, err);
	free(text);
	return rc;
}

static int64_t annotation_add(db_conn *c, const task_row *t, int round, int64_t author,
			      const char *source, const char *data, int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO annotations(task_id, round, author_id, source,"
				      " data, created_at) VALUES (?,?,?,?,?,?)");
	db_bind_int(st, 1, t->id);
	db_bind_int(st, 2, round);
	db_bind_int(st, 3, author);
	db_bind_text(st, 4, source);
	db_bind_text(st, 5, data);
	db_bind_int(st, 6, now);
	if (db_exec_stmt(st, err))
		return 0;
	return sqlite3_last_insert_rowid(db_handle(c));
}

/* ---- answers ----
 * A task answer is written as JSON text straight from the rows it reads: stored annotations,
 * rejections, item metadata and event payloads are JSON the store wrote itself, so they go in
 * as they are. Callers that want a jansson value parse the text, so one writer defines every
 * task answer. */

#define TASK_COLUMNS                                                                               \
	"t.id, t.project_id, t.item_id, t.slot, t.state, t.round, t.worker_id, t.reviewer_id,"     \
	" t.lease_until, t.rejection, a.data, t.approved_at"

/* A task's own fields, copied out of a TASK_COLUMNS row; 0 stands for NULL ids and times. */
typedef struct task_fields {
	int64_t id, project_id, item_id, worker_id, reviewer_id, lease_until, approved_at;
	int slot, round;
	char state[16];
	char *rejection, *annotation; /* stored JSON texts, or NULL */
} task_fields;

static char *col_dup(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL ? NULL : strdup(db_col_text(st, col));
}

static void task_fields_read(sqlite3_stmt *st, task_fields *f)
{
	f->id = sqlite3_column_int64(st, 0);
	f->project_id = sqlite3_column_int64(st, 1);
	f->item_id = sqlite3_column_int64(st, 2);
	f->slot = sqlite3_column_int(st, 3);
	snprintf(f->state, sizeof f->state, "%s", db_col_text(st, 4));
	f->round = sqlite3_column_int(st, 5);
	f->worker_id = sqlite3_column_int64(st, 6);
	f->reviewer_id = sqlite3_column_int64(st, 7);
	f->lease_until = sqlite3_column_int64(st, 8);
	f->rejection = col_dup(st, 9);
	f->annotation = col_dup(st, 10);
	f->approved_at = sqlite3_column_int64(st, 11);
}

static void task_fields_release(task_fields *f)
{
	free(f->rejection);
	free(f->annotation);
	f->rejection = f->annotation = NULL;
}

/* Writers of the pieces; each takes the previous result and does nothing after a failure. */
static int put(buf *b, int rc, const char *text)
{
	return rc ? rc : buf_puts(b, text);
}

static int put_string(buf *b, int rc, const char *s)
{
	return rc ? rc : json_write_string(b, s, strlen(s));
}

static int put_id(buf *b, int rc, int64_t id)
{
	return rc ? rc : id ? buf_put_int(b, id) : buf_puts(b, "null");
}

static int put_time(buf *b, int rc, int64_t ms)
{
	if (rc || !ms)
		return put(b, rc, "null");
	char at[32];
	clock_iso8601(ms, at);
	return put_string(b, rc, at);
}

/* Stored JSON text as it is; NULL as null. */
static int put_stored(buf *b, int rc, const char *json)
{
	return put(b, rc, json ? json : "null");
}

static int put_col_string(buf *b, int rc, sqlite3_stmt *st, int col)
{
	if (rc)
		return rc;
	if (sqlite3_column_type(st, col) == SQLITE_NULL)
		return buf_puts(b, "null");
	return json_write_string(b, db_col_text(st, col), (size_t)sqlite3_column_bytes(st, col));
}

/* The task's own fields, leaving the object open for the details. */
static int task_fields_write(buf *b, const task_fields *f)
{
	int rc = put(b, 0, "{\"id\":");
	rc = put_id(b, rc, f->id);
	rc = put(b, rc, ",\"project_id\":");
	rc = put_id(b, rc, f->project_id);
	rc = put(b, rc, ",\"item_id\":");
	rc = put_id(b, rc, f->item_id);
	rc = put(b, rc, ",\"slot\":");
	rc = rc ? rc : buf_put_int(b, f->slot);
	rc = put(b, rc, ",\"state\":");
	rc = put_string(b, rc, f->state);
	rc = put(b, rc, ",\"round\":");
	rc = rc ? rc : buf_put_int(b, f->round);
	rc = put(b, rc, ",\"worker_id\":");
	rc = put_id(b, rc, f->worker_id);
	rc = put(b, rc, ",\"reviewer_id\":");
	rc = put_id(b, rc, f->reviewer_id);
	rc = put(b, rc, ",\"lease_expires_at\":");
	rc = put_time(b, rc, f->lease_until);
	rc = put(b, rc, ",\"last_rejection\":");
	rc = put_stored(b, rc, f->rejection);
	rc = put(b, rc, ",\"annotation\":");
	rc = put_stored(b, rc, f->annotation);
	rc = put(b, rc, ",\"approved_at\":");
	return put_time(b, rc, f->approved_at);
}

/* What a task answer carries besides the task's own fields: the answer to a state change is the
 * task alone; a claim also carries its item and project, a review claim also the history. */
typedef enum { TASK_BARE, TASK_WITH_ITEM, TASK_WITH_HISTORY } task_detail;

/* Where an item's facts are in a row read by item_write or store_task_facts. */
enum { FACTS_COL_TEXT = 2, FACTS_COL_WIDTH = 4, FACTS_COL_HEIGHT = 5 };
/* The longest item text the facts memo keeps (store_task_facts). */
#define FACTS_TEXT_MAX (16 << 10)

/* Copies what an annotation is validated against from such a row: CL_EINVAL when the text is
 * longer than `max_text`, CL_ENOMEM when out of memory. */
static int item_facts_copy(sqlite3_stmt *st, int max_text, task_facts *facts);

/* The task's imported pre-annotation (core/import_tools.h), the worker's starting point, and
 * its item. Only metadata that names a pre-annotation is parsed. With `facts`, also copies the
 * item's facts there; facts->project_id is left to the caller. */
static int item_write(db_conn *c, buf *b, int64_t item_id, task_facts *facts, bool *has_facts)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id, type, text, mime, width, height, meta FROM items WHERE id = ?");
	db_bind_int(st, 1, item_id);
	int rc = 0;
	if (db_step(st) == SQLITE_ROW) {
		const char *meta =
		    sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : db_col_text(st, 6);
		bool named = meta && strstr(meta, "\"preannotation\"");
		json_t *parsed = named ? json_loads(meta, 0, NULL) : NULL;
		json_t *pre = json_object_get(parsed, "preannotation");
		rc = put(b, rc, ",\"preannotation\":");
		rc = rc ? rc : json_is_object(pre) ? json_write(b, pre) : buf_puts(b, "null");
		rc = put(b, rc, ",\"item\":{\"id\":");
		rc = put_id(b, rc, item_id);
		rc = put(b, rc, ",\"type\":");
		rc = put_col_string(b, rc, st, 1);
		if (sqlite3_column_type(st, 2) != SQLITE_NULL) {
			rc = put(b, rc, ",\"text\":");
			rc = put_col_string(b, rc, st, 2);
		}
		if (sqlite3_column_type(st, 3) != SQLITE_NULL) {
			rc = put(b, rc, ",\"mime\":");
			rc = put_col_string(b, rc, st, 3);
			rc = put(b, rc, ",\"width\":");
			rc = rc ? rc : buf_put_int(b, sqlite3_column_int64(st, 4));
			rc = put(b, rc, ",\"height\":");
			rc = rc ? rc : buf_put_int(b, sqlite3_column_int64(st, 5));
		}
		rc = put(b, rc, ",\"meta\":");
		if (!named)
			rc = put(b, rc, meta && meta[0] == '{' ? meta : "{}");
		else if (!json_is_object(parsed))
			rc = put(b, rc, "{}");
		else if (!rc)
			rc = json_write(b, parsed);
		rc = put(b, rc, "}");
		json_decref(parsed);
		if (facts)
			*has_facts = !item_facts_copy(st, FACTS_TEXT_MAX, facts);
	}
	sqlite3_reset(st);
	return rc;
}

/* The project part of a task answer, from `p` when the caller has it loaded. */
static int project_write(db_conn *c, buf *b, int64_t project_id, const project *p)
{
	int rc = 0;
	if (p) {
		rc = put(b, rc, ",\"project\":");
		return rc ? rc : project_brief_write(b, p);
	}
	sqlite3_stmt *st = db_stmt(c, "SELECT name, kind, labels, multi_label, instructions"
				      " FROM projects WHERE id = ?");
	db_bind_int(st, 1, project_id);
	if (db_step(st) == SQLITE_ROW) {
		project q;
		project_init(&q);
		q.id = project_id;
		snprintf(q.name, sizeof q.name, "%s", db_col_text(st, 0));
		task_kind_parse(db_col_text(st, 1), &q.kind);
		json_decref(q.labels);
		q.labels = json_loads(db_col_text(st, 2), 0, NULL);
		q.multi_label = sqlite3_column_int(st, 3);
		q.instructions = strdup(db_col_text(st, 4));
		rc = put(b, rc, ",\"project\":");
		rc = rc ? rc : project_brief_write(b, &q);
		project_release(&q);
	}
	sqlite3_reset(st);
	return rc;
}

static int events_write(db_conn *c, buf *b, int64_t id)
{
	int rc = put(b, 0, ",\"events\":[");
	sqlite3_stmt *st = db_stmt(c, "SELECT id, at, actor_id, type, from_state, to_state, payload"
				      " FROM events WHERE task_id = ? ORDER BY id");
	db_bind_int(st, 1, id);
	for (bool first = true; !rc && db_step(st) == SQLITE_ROW; first = false) {
		rc = put(b, rc, first ? "{\"id\":" : ",{\"id\":");
		rc = put_id(b, rc, sqlite3_column_int64(st, 0));
		rc = put(b, rc, ",\"at\":");
		rc = put_time(b, rc, sqlite3_column_int64(st, 1));
		rc = put(b, rc, ",\"actor_id\":");
		rc = put_id(b, rc, sqlite3_column_int64(st, 2));
		rc = put(b, rc, ",\"type\":");
		rc = put_col_string(b, rc, st, 3);
		rc = put(b, rc, ",\"from\":");
		rc = put_col_string(b, rc, st, 4);
		rc = put(b, rc, ",\"to\":");
		rc = put_col_string(b, rc, st, 5);
		rc = put(b, rc, ",\"payload\":");
		rc = put_stored(
		    b, rc, sqlite3_column_type(st, 6) == SQLITE_NULL ? NULL : db_col_text(st, 6));
		rc = put(b, rc, "}");
	}
	sqlite3_reset(st);
	return put(b, rc, "]");
}

/* What a claim's answer adds to the task's fields, read on `c`: the item and, with
 * TASK_WITH_HISTORY, the task's events. */
static int task_detail_write(db_conn *c, buf *b, const task_fields *f, task_detail detail,
			     task_facts *facts, bool *has_facts)
{
	int rc = item_write(c, b, f->item_id, facts, has_facts);
	if (!rc && detail == TASK_WITH_HISTORY)
		rc = events_write(c, b, f->id);
	return rc;
}

/* The whole answer for task `f`: its fields and what `detail` asks for. `detail_text` is that
 * detail as the writer wrote it in the change's transaction, or NULL to read it here in one read
 * transaction; `p` (may be NULL) is the task's project when the caller has it. */
static int task_answer_write(db *d, buf *b, const task_fields *f, task_detail detail,
			     const project *p, const buf *detail_text)
{
	int rc = task_fields_write(b, f);
	if (!rc && detail != TASK_BARE) {
		db_conn *c = NULL;
		if (!detail_text || !p) {
			c = db_reader(d);
			db_read_begin(c);
		}
		rc = detail_text ? buf_append(b, detail_text->data, detail_text->len)
				 : task_detail_write(c, b, f, detail, NULL, NULL);
		if (!rc)
			rc = project_write(c, b, f->project_id, p);
		if (c)
			db_read_end(c);
	}
	return put(b, rc, "}");
}

/* Parses a written answer, for callers that want a jansson value (NULL when out of memory). */
static json_t *answer_json(buf *b, int rc)
{
	json_t *o = rc ? NULL : json_loadb(b->data, b->len, 0, NULL);
	buf_release(b);
	return o;
}

/* The task's fields after a change, or for reading it; false when there is no such task. */
static bool task_fields_load(db_conn *c, int64_t id, task_fields *f)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT " TASK_COLUMNS " FROM tasks t LEFT JOIN annotations a"
				      " ON a.id = t.annotation_id WHERE t.id = ?");
	db_bind_int(st, 1, id);
	bool found = db_step(st) == SQLITE_ROW;
	if (found)
		task_fields_read(st, f);
	sqlite3_reset(st);
	return found;
}

static json_t *task_row_json(sqlite3_stmt *st)
{
	task_fields f;
	task_fields_read(st, &f);
	buf b;
	buf_init(&b, 0);
	int rc = task_fields_write(&b, &f);
	task_fields_release(&f);
	return answer_json(&b, put(&b, rc, "}"));
}

json_t *store_task_get(db *d, int64_t task_id)
{
	task_fields f;
	if (!task_fields_load(db_reader(d), task_id, &f))
		return NULL;
	buf b;
	buf_init(&b, 0);
	int rc = task_answer_write(d, &b, &f, TASK_WITH_HISTORY, NULL, NULL);
	task_fields_release(&f);
	return answer_json(&b, rc);
}

#define TASK_REF_COLUMNS                                                                           \
	"t.id, t.project_id, coalesce(t.worker_id, 0), coalesce(t.reviewer_id, 0), t.state"

static void task_ref_read(sqlite3_stmt *st, task_ref *t)
{
	t->id = sqlite3_column_int64(st, 0);
	t->project_id = sqlite3_column_int64(st, 1);
	t->worker_id = sqlite3_column_int64(st, 2);
	t->reviewer_id = sqlite3_column_int64(st, 3);
	snprintf(t->state, sizeof t->state, "%s", db_col_text(st, 4));
}

int store_task_ref(db *d, int64_t task_id, task_ref *t)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT " TASK_REF_COLUMNS " FROM tasks t WHERE t.id = ?");
	db_bind_int(st, 1, task_id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		task_ref_read(st, t);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

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
		task_facts_release(&m->slot[i].f);
}

static struct facts_memo *facts_memo(db *d)
{
	return db_conn_memo(db_reader(d), DB_MEMO_TASK_FACTS, sizeof(struct facts_memo),
			    facts_memo_release);
}

void task_facts_release(task_facts *f)
{
	free(f->text);
	f->text = NULL;
}

static int item_facts_copy(sqlite3_stmt *st, int max_text, task_facts *facts)
{
	facts->text = NULL;
	facts->width = sqlite3_column_int64(st, FACTS_COL_WIDTH);
	facts->height = sqlite3_column_int64(st, FACTS_COL_HEIGHT);
	if (sqlite3_column_type(st, FACTS_COL_TEXT) == SQLITE_NULL)
		return 0;
	if (sqlite3_column_bytes(st, FACTS_COL_TEXT) > max_text)
		return CL_EINVAL;
	facts->text = strdup(db_col_text(st, FACTS_COL_TEXT));
	return facts->text ? 0 : CL_ENOMEM;
}

/* Keeps the facts of a task just handed out; takes facts->text. */
static void facts_remember(db *d, int64_t task_id, task_facts *facts)
{
	struct facts_memo *m = facts_memo(d);
	if (!m)
		return;
	struct facts_slot *s = &m->slot[task_id & (FACTS_SLOTS - 1)];
	task_facts_release(&s->f);
	s->task_id = task_id;
	s->f = *facts;
	facts->text = NULL;
}

int store_task_facts(db *d, int64_t task_id, bool with_item, task_facts *f)
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
	/* The item's columns where item_write has them (FACTS_COL_*). */
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT t.project_id, NULL, iif(?2, i.text, NULL), NULL,"
				  " i.width, i.height FROM tasks t JOIN items i ON i.id = t.item_id"
				  " WHERE t.id = ?1");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, with_item);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		f->project_id = sqlite3_column_int64(st, 0);
		rc = item_facts_copy(st, INT_MAX, f);
	}
	sqlite3_reset(st);
	return rc;
}

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
    TASK_PAGES("tasks_worker", "t.worker_id = ?3 AND (?2 IS NULL OR t.state = ?2)");

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

json_t *store_tasks_list(db *d, int64_t project_id, const char *state, int64_t worker_id,
			 int64_t cursor, int limit, bool desc, int64_t *next)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	/* A worker's tasks through their own index; else a state's own index when it has one;
	 * else the project's, from the first task in the state asked for. */
	const char *sql = worker_id ? task_pages_of_worker[desc] : task_pages_of_project[desc];
	int64_t from = cursor ? cursor : (desc ? INT64_MAX : 0);
	bool empty = false;
	for (size_t i = 0;
	     state && !worker_id && i < sizeof task_pages_by_state / sizeof *task_pages_by_state;
	     i++)
		if (!strcmp(state, task_pages_by_state[i].state))
			sql = task_pages_by_state[i].sql[desc];
	if (state && !worker_id && (!strcmp(state, "open") || !strcmp(state, "submitted")))
		empty = !queue_start(c, project_id, state, desc, &from);
	sqlite3_stmt *st = db_stmt(c, sql);
	db_bind_int(st, 1, project_id);
	db_bind_text(st, 2, state);
	db_bind_int(st, 3, worker_id);
	db_bind_int(st, 4, from);
	db_bind_int(st, 5, empty ? 0 : limit + 1);
	json_t *page = db_page(st, limit, task_row_json, next);
	db_read_end(c);
	return page;
}

/* ---- transitions ---- */

struct task_job {
	const project *p;
	int64_t task_id, user_id, now;
	const char *annotation;
	bool auto_approve;
	const review_decision *dec;
	int action;
	const char *reason;
	db_write_fn fn;
	int64_t out; /* the task to answer with */
	task_fields row; /* its fields after the change, read by the writer */
	bool has_row;
	task_detail detail; /* what the answer carries besides the fields */
	buf detail_text;    /* that detail, written by the writer (task_detail_write) */
	task_facts facts;   /* with an item in the detail, its facts (has_facts) */
	bool has_facts;
	struct task_job *then; /* a claim chained to this change, or NULL */
	int rc;		       /* that claim's result, and why it was refused */
	cl_error err;
};

static int64_t first_id(db_conn *c, sqlite3_stmt *st)
{
	(void)c;
	int64_t id = db_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return id;
}

static int lease(db_conn *c, task_row *t, int64_t holder, bool review, int64_t until, int64_t now,
		 cl_error *err)
{
	sqlite3_stmt *st =
	    review ? db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?, reviewer_id = ?,"
				" lease_until = ? WHERE id = ?")
		   : db_stmt(c, "UPDATE tasks SET state = ?1, updated_at = ?2, worker_id = ?3,"
				" lease_until = ?4, claimed_at = ?2 WHERE id = ?5");
	db_bind_text(st, 1, task_state_name(t->state));
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, holder);
	db_bind_int(st, 4, until);
	db_bind_int(st, 5, t->id);
	return db_exec_stmt(st, err);
}

/* Claims task `id` for j->user_id (to label, or to review) and leases it. */
static int lease_task(db_conn *c, struct task_job *j, int64_t id, bool review, cl_error *err)
{
	task_row t;
	task_state to;
	int rc = task_load(c, id, &t);
	if (rc)
		return cl_fail(err, rc, NULL, "task not found");
	json_t *payload = !review && t.round ? json_pack("{s:i}", "round", t.round + 1) : NULL;
	rc = transition(c, &t, j->user_id, review ? TASK_REVIEW_CLAIM : TASK_CLAIM, false, payload,
			j->now, &to, err);
	if (!rc)
		rc = lease(c, &t, j->user_id, review, j->now + (int64_t)j->p->lease_seconds * 1000,
			   j->now, err);
	return rc;
}

/* What a run of a task job hands back, cleared: the writer may run the job again
 * (db_write_async_rerunnable). */
static void task_job_reset(struct task_job *j)
{
	j->out = 0;
	j->has_row = false;
	task_fields_release(&j->row);
	buf_release(&j->detail_text);
	task_facts_release(&j->facts);
	j->has_facts = false;
	if (j->then) {
		task_job_reset(j->then);
		j->then->rc = 0;
	}
}

/* Runs j->fn, then reads what the answer needs of the task it names on the writer's
 * connection, where the pages are in the cache: cheaper than a reader's transaction after the
 * commit, whose page cache every commit empties. */
static int task_job_with_row(db_conn *c, void *ctx, cl_error *err)
{
	struct task_job *j = ctx;
	task_job_reset(j);
	int rc = j->fn(c, j, err);
	if (rc)
		return rc;
	if (j->out) {
		j->has_row = task_fields_load(c, j->out, &j->row);
		if (j->has_row && j->detail != TASK_BARE &&
		    task_detail_write(c, &j->detail_text, &j->row, j->detail, &j->facts,
				      &j->has_facts))
			return cl_fail(err, CL_ENOMEM, NULL,
				       "the task answer does not fit in memory");
		j->facts.project_id = j->row.project_id;
	}
	if (j->then) {
		/* A claim is refused before it writes, so a refused one leaves the change standing
		 * with nothing to undo. One that fails after writing fails the whole job. */
		sqlite3_int64 before = sqlite3_total_changes64(db_handle(c));
		rc = task_job_with_row(c, j->then, &j->then->err);
		if (rc && sqlite3_total_changes64(db_handle(c)) != before) {
			*err = j->then->err;
			return rc;
		}
		j->then->rc = rc;
	}
	return 0;
}


static int task_next_job(db_conn *c, void *ctx, cl_error *err)
{
	struct task_job *j = ctx;
	const project *p = j->p;
	if (strcmp(p->status, "open"))
		return cl_fail(err, CL_ECONFLICT, "project_not_open", "the project is %s, not open",
			       p->status);
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_worker_live"
				      " WHERE worker_id = ? AND project_id = ? AND state = 'rework'"
				      " ORDER BY id LIMIT 1");
	db_bind_int(st, 1, j->user_id);
	db_bind_int(st, 2, p->id);
	int64_t id = first_id(c, st);
	bool claim = true;
	if (!id) {
		/* By the worker's own index: the planner would rather range over every live lease
		 * (tasks_queue), which costs as many rows as workers are busy. */
		st = db_stmt(c,
			     "SELECT id FROM tasks INDEXED BY tasks_worker_live WHERE worker_id = ?"
			     " AND project_id = ? AND state = 'assigned' AND lease_until > ?"
			     " ORDER BY id LIMIT 1");
		db_bind_int(st, 1, j->user_id);
		db_bind_int(st, 2, p->id);
		db_bind_int(st, 3, j->now);
		id = first_id(c, st);
		claim = id == 0;
	}
	if (!id) {
		/* A funded project stops handing out new work its budget cannot pay for. */
		int rc = store_ledger_claim_check(c, p, err);
		if (rc)
			return rc;
		/* By priority then age, skipping items this worker already has a slot of: looked up
		 * by item (k slots), never by worker (+ keeps the planner off tasks_worker, whose
		 * range grows with the worker's history). */
		st = db_stmt(c,
			     "SELECT t.id FROM tasks t WHERE t.project_id = ?1 AND t.state = 'open'"
			     " AND NOT EXISTS (SELECT 1 FROM tasks u WHERE u.item_id = t.item_id"
			     " AND +u.worker_id = ?2)"
			     " AND NOT EXISTS (SELECT 1 FROM task_skips k WHERE k.task_id = t.id"
			     " AND k.user_id = ?2) ORDER BY t.priority DESC, t.id LIMIT 1");
		db_bind_int(st, 1, p->id);
		db_bind_int(st, 2, j->user_id);
		id = first_id(c, st);
		/* Gold tasks are mixed in only while real work remains, so they look like it. */
		if (id)
			id = store_quality_gold_pick(c, p, j->user_id, id, j->now);
	}
	if (!id)
		return 0;
	if (claim) {
		int rc = lease_task(c, j, id, false, err);
		if (rc)
			return rc;
	}
	j->out = id;
	return 0;
}


/* The lease checks shared by submit, release and review. */
static int check_holder(const task_row *t, int64_t user, bool review, int64_t now, cl_error *err)
{
	task_state want = review ? TASK_IN_REVIEW : TASK_ASSIGNED;
	int64_t holder = review ? t->reviewer_id : t->worker_id;
	if (t->state != want || holder != user)
		return cl_fail(err, CL_ECONFLICT, "not_lease_holder",
			       "the task is %s and not leased to you", task_state_name(t->state));
	if (t->lease_until <= now)
		return cl_fail(err, CL_ECONFLICT, "lease_expired",
			       "your lease on the task expired");
	return 0;
}

/* What every approval does in its transaction, after its transition: the task's columns, the
 * worker's counts, their pay, and a look at their promotion. */
static int approve_task(db_conn *c, const task_row *t, bool first_pass, int64_t annotation_id,
			int64_t now, cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?, approved_at = ?,"
				      " first_pass = ?, lease_until = NULL, annotation_id = ?"
				      " WHERE id = ?");
	db_bind_text(st, 1, task_state_name(t->state));
	db_bind_int(st, 2, now);
	db_bind_int(st, 3, now);
	db_bind_int(st, 4, first_pass);
	db_bind_int(st, 5, annotation_id);
	db_bind_int(st, 6, t->id);
	int rc = db_exec_stmt(st, err);
	int64_t paid = 0;
	if (!rc)
		rc =
		    store_ledger_on_approve(c, t->project_id, t->id, t->worker_id, now, &paid, err);
	if (!rc && t->worker_id)
		rc = store_approval_counted(c, t->worker_id, t->project_id, first_pass,
					    t->rejections == 0, paid, err);
	if (!rc)
		rc = store_quality_after_approve(c, t->project_id, t->worker_id, now, err);
	return rc;
}

/* Whether `user_id` submitted task `task_id` before (its annotations, a few per task). */
static bool submitted_before(db_conn *c, int64_t task_id, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT 1 FROM annotations WHERE task_id = ?"
				      " AND author_id = ? AND source = 'submit'");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, user_id);
	bool found = db_step(st) == SQLITE_ROW;
	sqlite3_reset(st);
	return found;
}

static int task_submit_job(db_conn *c, void *ctx, cl_error *err)
{
	struct task_job *j = ctx;
	task_row t;
	task_state to;
	int rc = task_load(c, j->task_id, &t);
	if (rc)
		return cl_fail(err, rc, NULL, "task not found");
	if ((rc = check_holder(&t, j->user_id, false, j->now, err)))
		return rc;
	int round = t.round + 1;
	/* A reworked task can come back to another worker after its lease ran out. */
	bool first_of_task = round == 1 || !submitted_before(c, t.id, j->user_id);
	int64_t aid =
	    annotation_add(c, &t, round, j->user_id, "submit", j->annotation, j->now, err);
	if (!aid)
		return CL_EINTERNAL;
	/* The payload as jansson writes it, without building a JSON value for it. */
	char payload[64];
	snprintf(payload, sizeof payload, "{\"annotation_id\":%lld,\"round\":%d}", (long long)aid,
		 round);
	rc = transition_text(c, &t, j->user_id, TASK_SUBMIT, false, payload, j->now, &to, err);
	if (rc)
		return rc;
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?, round = ?,"
				      " annotation_id = ?, lease_until = NULL, reviewer_id = NULL"
				      " WHERE id = ?");
	db_bind_text(st, 1, task_state_name(t.state));
	db_bind_int(st, 2, j->now);
	db_bind_int(st, 3, round);
	db_bind_int(st, 4, aid);
	db_bind_int(st, 5, t.id);
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	if ((rc = store_submit_counted(c, j->user_id, t.project_id, first_of_task,
				       t.claimed_at ? j->now - t.claimed_at : 0, j->now, err)))
		return rc;
	if ((rc = store_quality_on_submit(c, t.id, round, j->user_id, j->annotation, j->now, err)))
		return rc;
	if (j->auto_approve) {
		rc = transition(c, &t, 0, TASK_AUTO_APPROVE, false, NULL, j->now, &to, err);
		if (!rc)
			rc = approve_task(c, &t, t.rejections == 0, aid, j->now, err);
		if (rc)
			return rc;
	}
	j->out = t.id;
	return 0;
}


static int task_release_job(db_conn *c, void *ctx, cl_error *err)
{
	struct task_job *j = ctx;
	task_row t;
	task_state to;
	int rc = task_load(c, j->task_id, &t);
	if (rc)
		return cl_fail(err, rc, NULL, "task not found");
	if ((rc = check_holder(&t, j->user_id, false, j->now, err)))
		return rc;
	if ((rc = transition(c, &t, j->user_id, TASK_RELEASE, false, NULL, j->now, &to, err)))
		return rc;
	sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = 'open', updated_at = ?,"
				      " worker_id = NULL, lease_until = NULL WHERE id = ?");
	db_bind_int(st, 1, j->now);
	db_bind_int(st, 2, t.id);
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	/* Giving a task back means "not for me": it goes to others, not back to this worker. */
	st = db_stmt(c, "INSERT OR IGNORE INTO task_skips(task_id, user_id, at) VALUES (?,?,?)");
	db_bind_int(st, 1, t.id);
	db_bind_int(st, 2, j->user_id);
	db_bind_int(st, 3, j->now);
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	j->out = t.id;
	return 0;
}


static int review_next_job(db_conn *c, void *ctx, cl_error *err)
{
	struct task_job *j = ctx;
	const project *p = j->p;
	if (strcmp(p->status, "open") && strcmp(p->status, "paused"))
		return cl_fail(err, CL_ECONFLICT, "project_not_open", "the project is %s",
			       p->status);
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_reviewer"
				      " WHERE reviewer_id = ? AND state = 'in_review' AND project_id = ?"
				      " AND lease_until > ? ORDER BY id LIMIT 1");
	db_bind_int(st, 1, j->user_id);
	db_bind_int(st, 2, p->id);
	db_bind_int(st, 3, j->now);
	int64_t id = first_id(c, st);
	if (!id) {
		st = db_stmt(c, "SELECT id FROM tasks WHERE project_id = ? AND state = 'submitted'"
				" AND worker_id <> ? ORDER BY priority DESC, id LIMIT 1");
		db_bind_int(st, 1, p->id);
		db_bind_int(st, 2, j->user_id);
		id = first_id(c, st);
		if (!id)
			return 0;
		/* A honeypot stands in for real work only while real work is waiting. */
		id = store_quality_honeypot_pick(c, p, j->user_id, id, j->now);
		int rc = lease_task(c, j, id, true, err);
		if (rc)
			return rc;
	}
	j->out = id;
	return 0;
}


static int task_review_job(db_conn *c, void *ctx, cl_error *err)
{
	struct task_job *j = ctx;
	const review_decision *dec = j->dec;
	task_row t;
	task_state to;
	int rc = task_load(c, j->task_id, &t);
	if (rc)
		return cl_fail(err, rc, NULL, "task not found");
	if (t.worker_id == j->user_id)
		return cl_fail(err, CL_EFORBIDDEN, "own_work", "you cannot review your own work");
	if ((rc = check_holder(&t, j->user_id, true, j->now, err)))
		return rc;
	bool honeypot = false;
	rc = store_quality_honeypot_review(c, t.id, j->user_id, dec->action, dec->reason,
					   dec->annotation, j->now, &honeypot, err);
	if (rc || honeypot) {
		j->out = rc ? 0 : t.id;
		return rc;
	}
	int reviewed_round = t.round;
	if (dec->action == TASK_APPROVE) {
		rc = transition(c, &t, j->user_id, TASK_APPROVE, false, NULL, j->now, &to, err);
		if (!rc)
			rc = approve_task(c, &t, t.rejections == 0, t.annotation_id, j->now, err);
	} else if (dec->action == TASK_FIX) {
		int64_t aid =
		    annotation_add(c, &t, t.round, j->user_id, "fix", dec->annotation, j->now, err);
		if (!aid)
			return CL_EINTERNAL;
		rc = transition(c, &t, j->user_id, TASK_FIX, false,
				json_pack("{s:I,s:I}", "annotation_id", (json_int_t)aid,
					  "previous_annotation_id", (json_int_t)t.annotation_id),
				j->now, &to, err);
		if (!rc)
			rc = approve_task(c, &t, false, aid, j->now, err);
	} else {
		bool exhausted = t.round >= j->p->max_rounds;
		json_t *payload =
		    json_pack("{s:s,s:s?,s:i}", "reason", dec->reason, "reason_template",
			      dec->reason_template, "round", t.round);
		rc = transition(c, &t, j->user_id, TASK_REJECT, exhausted, payload, j->now, &to,
				err);
		if (rc)
			return rc;
		char at[32];
		clock_iso8601(j->now, at);
		json_t *rej = json_pack("{s:s,s:s?,s:I,s:s,s:i}", "reason", dec->reason,
					"reason_template", dec->reason_template, "reviewer_id",
					(json_int_t)j->user_id, "at", at, "round", t.round);
		char *rej_text = json_dumps(rej, JSON_OUT);
		json_decref(rej);
		sqlite3_stmt *st = db_stmt(c, "UPDATE tasks SET state = ?, updated_at = ?,"
					      " rejections = rejections + 1, rejection = ?,"
					      " lease_until = NULL WHERE id = ?");
		db_bind_text(st, 1, task_state_name(t.state));
		db_bind_int(st, 2, j->now);
		db_bind_text(st, 3, rej_text);
		db_bind_int(st, 4, t.id);
		rc = db_exec_stmt(st, err);
		free(rej_text);
		if (!rc && t.worker_id)
			rc = store_rejection_counted(c, t.worker_id, t.project_id,
						     t.rejections == 0, err);
	}
	/* Every review decision earns the reviewer's fee, once per task and round, and counts. */
	int64_t paid = 0;
	if (!rc)
		rc = store_ledger_on_review(c, t.project_id, t.id, reviewed_round, j->user_id,
					    j->now, &paid, err);
	if (!rc)
		rc = store_review_counted(c, j->user_id, t.project_id, paid, err);
	if (rc)
		return rc;
	j->out = t.id;
	return 0;
}


static int task_resolve_job(db_conn *c, void *ctx, cl_error *err)
{
	struct task_job *j = ctx;
	task_row t;
	task_state to;
	int rc = task_load(c, j->task_id, &t);
	if (rc)
		return cl_fail(err, rc, NULL, "task not found");
	if (j->action == TASK_DISCARD) {
		rc = transition(c, &t, j->user_id, TASK_DISCARD, false,
				j->reason ? json_pack("{s:s}", "reason", j->reason) : NULL, j->now,
				&to, err);
		if (!rc) {
			sqlite3_stmt *st =
			    db_stmt(c, "UPDATE tasks SET state = 'discarded',"
				       " updated_at = ?, lease_until = NULL WHERE id = ?");
			db_bind_int(st, 1, j->now);
			db_bind_int(st, 2, t.id);
			rc = db_exec_stmt(st, err);
		}
	} else {
		int64_t aid = t.annotation_id;
		if (t.state == TASK_ESCALATED && j->annotation) {
			aid = annotation_add(c, &t, t.round, j->user_id, "resolve", j->annotation,
					     j->now, err);
			if (!aid)
				return CL_EINTERNAL;
		}
		rc = transition(c, &t, j->user_id, TASK_RESOLVE_APPROVE, false,
				json_pack("{s:I}", "annotation_id", (json_int_t)aid), j->now, &to,
				err);
		if (!rc)
			rc = approve_task(c, &t, false, aid, j->now, err);
	}
	if (rc)
		return rc;
	j->out = t.id;
	return 0;
}


int store_leases_expire(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	int64_t now = clock_now_ms();
	/* Through the indexes of live leases (a worker's lease or rework, a reviewer's lease):
	 * as many rows as workers are busy, and no index on the lease itself costs an entry moved
	 * on every claim. Bounded per run so one sweep never holds the writer long; the next run
	 * continues. */
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id FROM tasks INDEXED BY tasks_worker_live WHERE state = 'assigned'"
		       " AND lease_until <= ?1 UNION ALL"
		       " SELECT id FROM tasks INDEXED BY tasks_reviewer WHERE state = 'in_review'"
		       " AND lease_until <= ?1 LIMIT 2000");
	db_bind_int(st, 1, now);
	int64_t ids[2000];
	int n = 0;
	while (n < 2000 && db_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (int i = 0; i < n; i++) {
		task_row t;
		task_state to;
		if (task_load(c, ids[i], &t))
			continue;
		bool review = t.state == TASK_IN_REVIEW;
		json_t *payload = json_pack("{s:I}", review ? "reviewer_id" : "worker_id",
					    (json_int_t)(review ? t.reviewer_id : t.worker_id));
		int rc = transition(c, &t, 0, review ? TASK_REVIEW_EXPIRE : TASK_EXPIRE, false,
				    payload, now, &to, err);
		if (rc)
			return rc;
		st = review ? db_stmt(c, "UPDATE tasks SET state = 'submitted', updated_at = ?,"
					 " reviewer_id = NULL, lease_until = NULL WHERE id = ?")
			    : db_stmt(c, "UPDATE tasks SET state = 'open', updated_at = ?,"
					 " worker_id = NULL, lease_until = NULL WHERE id = ?");
		db_bind_int(st, 1, now);
		db_bind_int(st, 2, t.id);
		if ((rc = db_exec_stmt(st, err)))
			return rc;
	}
	return 0;
}

/* ---- changes started without waiting ---- */

struct task_change {
	struct task_job j;
	struct task_job next; /* the chained claim (j.then), when there is one */
	project p; /* copies of what the job reads: the request's may be gone by then */
	char *annotation;
	review_decision dec;
	char *reason, *reason_template, *fix;
	cl_error err;
	int rc;
	db_done_fn done;
	void *done_arg;
};

static char *dup_or_null(const char *s)
{
	return s ? strdup(s) : NULL;
}

static task_change *change_new(const project *p, int64_t task_id, int64_t user_id,
			       task_detail detail)
{
	task_change *tc = calloc(1, sizeof *tc);
	if (!tc)
		return NULL;
	project_init(&tc->p);
	if (p) {
		project_copy(&tc->p, p);
		tc->j.p = &tc->p;
	}
	tc->j.task_id = task_id;
	tc->j.user_id = user_id;
	tc->j.now = clock_now_ms();
	tc->j.detail = detail;
	buf_init(&tc->j.detail_text, 0);
	return tc;
}

int store_task_next_start(const project *p, int64_t user_id, task_change **out)
{
	*out = change_new(p, 0, user_id, TASK_WITH_ITEM);
	if (!*out)
		return CL_ENOMEM;
	(*out)->j.fn = task_next_job;
	return 0;
}

int store_task_submit_start(int64_t task_id, int64_t user_id, const char *annotation,
			    bool auto_approve, task_change **out)
{
	task_change *tc = *out = change_new(NULL, task_id, user_id, TASK_BARE);
	if (!tc)
		return CL_ENOMEM;
	tc->annotation = dup_or_null(annotation);
	tc->j.annotation = tc->annotation;
	tc->j.auto_approve = auto_approve;
	tc->j.fn = task_submit_job;
	return 0;
}

int store_review_next_start(const project *p, int64_t user_id, task_change **out)
{
	*out = change_new(p, 0, user_id, TASK_WITH_HISTORY);
	if (!*out)
		return CL_ENOMEM;
	(*out)->j.fn = review_next_job;
	return 0;
}

int store_task_review_start(const project *p, int64_t task_id, int64_t user_id,
			    const review_decision *dec, task_change **out)
{
	task_change *tc = *out = change_new(p, task_id, user_id, TASK_BARE);
	if (!tc)
		return CL_ENOMEM;
	tc->reason = dup_or_null(dec->reason);
	tc->reason_template = dup_or_null(dec->reason_template);
	tc->fix = dup_or_null(dec->annotation);
	tc->dec = (review_decision){.action = dec->action, .reason = tc->reason,
				    .reason_template = tc->reason_template,
				    .annotation = tc->fix};
	tc->j.dec = &tc->dec;
	tc->j.fn = task_review_job;
	return 0;
}

void store_task_change_chain(task_change *tc, const project *p, bool review)
{
	if (!tc->j.p) {
		project_copy(&tc->p, p);
		tc->j.p = &tc->p;
	}
	tc->next = (struct task_job){
	    .p = tc->j.p,
	    .user_id = tc->j.user_id,
	    .now = tc->j.now,
	    .detail = review ? TASK_WITH_HISTORY : TASK_WITH_ITEM,
	    .fn = review ? review_next_job : task_next_job,
	};
	buf_init(&tc->next.detail_text, 0);
	tc->j.then = &tc->next;
}

static void change_done(void *arg, int rc)
{
	task_change *tc = arg;
	tc->rc = rc;
	tc->done(tc->done_arg, rc);
}

void store_task_change_run(db *d, task_change *tc, db_done_fn done, void *arg)
{
	tc->done = done;
	tc->done_arg = arg;
	int rc = db_write_async_rerunnable(d, task_job_with_row, &tc->j, &tc->err, change_done, tc);
	if (rc) {
		tc->rc = rc;
		done(arg, rc);
	}
}

int store_task_change_answer(db *d, task_change *tc, buf *task, cl_error *err)
{
	if (tc->rc) {
		if (err)
			*err = tc->err;
		return tc->rc;
	}
	if (!tc->j.has_row)
		return 0;
	int rc = task_answer_write(d, task, &tc->j.row, tc->j.detail, tc->j.p, &tc->j.detail_text);
	struct task_job *n = tc->j.then;
	if (tc->j.has_facts)
		facts_remember(d, tc->j.row.id, &tc->j.facts);
	if (n && n->has_row && n->has_facts)
		facts_remember(d, n->row.id, &n->facts);
	if (!rc && n) {
		/* The change's answer with the claim's added before its closing brace. */
		task->len--;
		rc = buf_puts(task, ",\"next\":");
		if (!rc && n->has_row)
			rc = task_answer_write(d, task, &n->row, n->detail, n->p, &n->detail_text);
		else if (!rc)
			rc = buf_puts(task, "null");
		if (!rc && n->rc) {
			rc = buf_puts(task, ",\"next_error\":{\"code\":");
			rc =
			    put_string(task, rc, n->err.name[0] ? n->err.name : cl_err_name(n->rc));
			rc = put(task, rc, ",\"message\":");
			rc = put_string(task, rc, n->err.message);
			rc = put(task, rc, "}");
		}
		rc = put(task, rc, "}");
	}
	return rc ? cl_fail(err, rc, NULL, "the answer does not fit in memory") : 0;
}

void store_task_change_free(void *arg)
{
	task_change *tc = arg;
	if (!tc)
		return;
	task_fields_release(&tc->j.row);
	buf_release(&tc->j.detail_text);
	task_facts_release(&tc->j.facts);
	task_fields_release(&tc->next.row);
	buf_release(&tc->next.detail_text);
	task_facts_release(&tc->next.facts);
	project_release(&tc->p);
	free(tc->annotation);
	free(tc->reason);
	free(tc->reason_template);
	free(tc->fix);
	free(tc);
}

/* ---- the same changes, waited for ---- */

/* Runs a prepared change (`rc`: the result of preparing it) and waits until it is durable. */
static int change_wait(db *d, int rc, task_change *tc, json_t **task, cl_error *err)
{
	*task = NULL;
	if (rc)
		return cl_fail(err, rc, NULL, "out of memory");
	db_wait w;
	db_wait_init(&w);
	store_task_change_run(d, tc, db_wait_done, &w);
	db_wait_for(&w);
	buf b;
	buf_init(&b, 0);
	rc = store_task_change_answer(d, tc, &b, err);
	if (!rc && b.len && !(*task = answer_json(&b, 0)))
		rc = cl_fail(err, CL_EINTERNAL, NULL, "the task answer could not be read back");
	buf_release(&b);
	store_task_change_free(tc);
	return rc;
}

int store_task_next(db *d, const project *p, int64_t user_id, json_t **task, cl_error *err)
{
	task_change *tc = NULL;
	int rc = store_task_next_start(p, user_id, &tc);
	return change_wait(d, rc, tc, task, err);
}

int store_task_submit(db *d, int64_t task_id, int64_t user_id, const char *annotation,
		      bool auto_approve, json_t **task, cl_error *err)
{
	task_change *tc = NULL;
	int rc = store_task_submit_start(task_id, user_id, annotation, auto_approve, &tc);
	return change_wait(d, rc, tc, task, err);
}

int store_review_next(db *d, const project *p, int64_t user_id, json_t **task, cl_error *err)
{
	task_change *tc = NULL;
	int rc = store_review_next_start(p, user_id, &tc);
	return change_wait(d, rc, tc, task, err);
}

int store_task_review(db *d, const project *p, int64_t task_id, int64_t user_id,
		      const review_decision *dec, json_t **task, cl_error *err)
{
	task_change *tc = NULL;
	int rc = store_task_review_start(p, task_id, user_id, dec, &tc);
	return change_wait(d, rc, tc, task, err);
}

int store_task_release(db *d, int64_t task_id, int64_t user_id, json_t **task, cl_error *err)
{
	task_change *tc = change_new(NULL, task_id, user_id, TASK_BARE);
	if (tc)
		tc->j.fn = task_release_job;
	return change_wait(d, tc ? 0 : CL_ENOMEM, tc, task, err);
}

int store_task_resolve(db *d, int64_t task_id, int64_t user_id, int action,
		       const char *annotation, const char *reason, json_t **task, cl_error *err)
{
	task_change *tc = change_new(NULL, task_id, user_id, TASK_BARE);
	if (tc) {
		tc->annotation = dup_or_null(annotation);
		tc->reason = dup_or_null(reason);
		tc->j.annotation = tc->annotation;
		tc->j.reason = tc->reason;
		tc->j.action = action;
		tc->j.fn = task_resolve_job;
	}
	return change_wait(d, tc ? 0 : CL_ENOMEM, tc, task, err);
}
