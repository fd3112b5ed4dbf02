/* Quality and workforce in SQL: per-project settings, gold items and their scores, review
 * honeypots, audits, the figures built from them, consensus and agreement over overlapping
 * annotations, automatic promotion and demotion, fair pay and matching. The arithmetic lives
 * in core/quality.c and core/ledger.c; this file feeds it rows. */
#include "store/store_quality.h"
#include "core/ledger.h"
#include "core/task.h"
#include "util/clock.h"
#include "util/json.h"

#include <math.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *json_text(const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	return v ? v : json_null();
}

static json_t *id_or_null(sqlite3_stmt *st, int col)
{
	return sqlite3_column_type(st, col) == SQLITE_NULL
		   ? json_null()
		   : json_integer(sqlite3_column_int64(st, col));
}

static int64_t one_int(sqlite3_stmt *st)
{
	int64_t v = db_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	return v;
}

/* True with probability `rate`. */
static bool chance(double rate)
{
	if (rate <= 0)
		return false;
	return (double)randombytes_uniform(1000000) < rate * 1e6;
}

/* ---- settings ---- */

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

struct settings_job {
	int64_t project_id;
	const json_t *in;
	quality_settings s;
};

static int settings_put_job(db_conn *c, void *ctx, cl_error *err)
{
	struct settings_job *j = ctx;
	store_quality_settings_load(c, j->project_id, &j->s);
	int rc = quality_settings_apply_json(&j->s, j->in, err);
	if (rc)
		return rc;
	for (int i = 0; i < j->s.n_required; i++) {
		sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM courses WHERE id = ?");
		db_bind_int(st, 1, j->s.required_courses[i]);
		if (!one_int(st))
			return cl_fail(err, CL_EINVAL, "unknown_course",
				       "course %lld does not exist",
				       (long long)j->s.required_courses[i]);
	}
	json_t *o = quality_settings_to_json(&j->s);
	char *text = json_dumps(o, JSON_OUT);
	json_decref(o);
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO project_quality(project_id, settings) VALUES (?,?)"
		       " ON CONFLICT(project_id) DO UPDATE SET settings = excluded.settings");
	db_bind_int(st, 1, j->project_id);
	db_bind_text(st, 2, text);
	free(text);
	return db_exec_stmt(st, err);
}

int store_quality_settings_put(db *d, int64_t project_id, const json_t *in, json_t **out,
			       cl_error *err)
{
	struct settings_job j = {.project_id = project_id, .in = in};
	int rc = db_write(d, settings_put_job, &j, err);
	*out = rc ? NULL : quality_settings_to_json(&j.s);
	return rc;
}

/* ---- events of role changes ---- */

static int role_event(db_conn *c, int64_t project_id, int64_t user_id, const char *change,
		      const char *from, const char *to, json_t *figures, int64_t now, cl_error *err)
{
	json_object_set_new(figures, "user_id", json_integer(user_id));
	char *text = json_dumps(figures, JSON_OUT);
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type,"
		       " from_state, to_state, payload) VALUES (?,NULL,NULL,?,?,?,?,?)");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, now);
	db_bind_text(st, 3, change);
	db_bind_text(st, 4, from);
	db_bind_text(st, 5, to);
	db_bind_text(st, 6, text);
	int rc = db_exec_stmt(st, err);
	if (!rc) {
		st = db_stmt(c, "INSERT INTO role_changes(project_id, user_id, change, figures, at)"
				" VALUES (?,?,?,?,?)");
		db_bind_int(st, 1, project_id);
		db_bind_int(st, 2, user_id);
		db_bind_text(st, 3, change);
		db_bind_text(st, 4, text);
		db_bind_int(st, 5, now);
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
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, user_id);
	role[0] = '\0';
	if (db_step(st) == SQLITE_ROW)
		snprintf(role, 16, "%s", db_col_text(st, 0));
	sqlite3_reset(st);
}

static int set_member_role(db_conn *c, int64_t project_id, int64_t user_id, const char *role,
			   cl_error *err)
{
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO project_members(project_id, user_id, role)"
				      " VALUES (?,?,?) ON CONFLICT(project_id, user_id)"
				      " DO UPDATE SET role = excluded.role");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, user_id);
	db_bind_text(st, 3, role);
	return db_exec_stmt(st, err);
}

static void worker_figures(db_conn *c, int64_t project_id, int64_t user_id,
			   quality_worker_figures *f)
{
	memset(f, 0, sizeof *f);
	sqlite3_stmt *st = db_stmt(c, "SELECT approved, first_pass, gold_answers, gold_correct"
				      " FROM worker_counts WHERE user_id = ? AND project_id = ?");
	db_bind_int(st, 1, user_id);
	db_bind_int(st, 2, project_id);
	if (db_step(st) == SQLITE_ROW) {
		f->approved = (long)sqlite3_column_int64(st, 0);
		f->first_pass = (long)sqlite3_column_int64(st, 1);
		f->gold_n = (long)sqlite3_column_int64(st, 2);
		f->gold_correct = (long)sqlite3_column_int64(st, 3);
	}
	sqlite3_reset(st);
}

/* What one job adds to a worker's figures in a project; `at`, when set, is a submit's time. */
typedef struct worker_delta {
	int64_t approved, first_pass, gold_answers, gold_correct, submissions, active_ms, paid, at;
	int64_t tasks_submitted, rejected, decided;
} worker_delta;

/* Adds to a worker's figures in a project (worker_counts, migrations 12, 15 and 17); the row
 * is made on the first need. */
static int worker_counted(db_conn *c, int64_t worker_id, int64_t project_id, const worker_delta *d,
			  cl_error *err)
{
	return db_count(
	    c,
	    "UPDATE worker_counts SET approved = approved + ?3,"
	    " first_pass = first_pass + ?4, gold_answers = gold_answers + ?5,"
	    " gold_correct = gold_correct + ?6, submissions = submissions + ?7,"
	    " active_ms = active_ms + ?8, paid = paid + ?9, last_at = max(last_at, ?10),"
	    " tasks_submitted = tasks_submitted + ?11, rejected = rejected + ?12,"
	    " decided = decided + ?13 WHERE user_id = ?1 AND project_id = ?2",
	    "INSERT INTO worker_counts(user_id, project_id, approved, first_pass, gold_answers,"
	    " gold_correct, submissions, active_ms, paid, last_at, tasks_submitted, rejected,"
	    " decided) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13)",
	    (int64_t[]){worker_id, project_id, d->approved, d->first_pass, d->gold_answers,
			d->gold_correct, d->submissions, d->active_ms, d->paid, d->at,
			d->tasks_submitted, d->rejected, d->decided},
	    13, err);
}

int store_approval_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_pass,
			   bool first_decision, int64_t paid, cl_error *err)
{
	return worker_counted(
	    c, worker_id, project_id,
	    &(worker_delta){
		.approved = 1, .first_pass = first_pass, .decided = first_decision, .paid = paid},
	    err);
}

int store_rejection_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_decision,
			    cl_error *err)
{
	return worker_counted(c, worker_id, project_id,
			      &(worker_delta){.rejected = 1, .decided = first_decision}, err);
}

int store_submit_counted(db_conn *c, int64_t worker_id, int64_t project_id, bool first_of_task,
			 int64_t active_ms, int64_t now, cl_error *err)
{
	return worker_counted(c, worker_id, project_id,
			      &(worker_delta){.submissions = 1,
					      .tasks_submitted = first_of_task,
					      .active_ms = active_ms,
					      .at = now},
			      err);
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
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, worker_id);
	if (one_int(st))
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

/* A reviewer's checks in a project: honeypots decided and audited approvals. */
static void reviewer_checks(db_conn *c, int64_t project_id, int64_t reviewer, long *hp,
			    long *caught, long *audits, long *passed)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught')"
				      " FROM honeypots WHERE project_id = ? AND reviewer_id = ?"
				      " AND outcome IS NOT NULL");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, reviewer);
	*hp = *caught = *audits = *passed = 0;
	if (db_step(st) == SQLITE_ROW) {
		*hp = (long)sqlite3_column_int64(st, 0);
		*caught = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE verdict = 'correct')"
			" FROM audit_items WHERE project_id = ? AND reviewer_id = ?"
			" AND verdict IS NOT NULL");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, reviewer);
	if (db_step(st) == SQLITE_ROW) {
		*audits = (long)sqlite3_column_int64(st, 0);
		*passed = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
}

static int check_demote(db_conn *c, int64_t project_id, int64_t reviewer, int64_t now,
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
	reviewer_checks(c, project_id, reviewer, &hp, &caught, &audits, &passed);
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

/* ---- gold ---- */

static int64_t new_slot_task(db_conn *c, int64_t project_id, int64_t item_id, task_state state,
			     int64_t now)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO tasks(project_id, item_id, slot, state,"
		       " updated_at) VALUES (?1, ?2, (SELECT coalesce(max(slot), -1) + 1"
		       " FROM tasks WHERE item_id = ?2), ?3, ?4)");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, item_id);
	db_bind_text(st, 3, task_state_name(state));
	db_bind_int(st, 4, now);
	if (db_exec_stmt(st, NULL))
		return 0;
	int64_t id = sqlite3_last_insert_rowid(db_handle(c));
	if (store_project_counted(c, project_id, 0, 1, NULL))
		return 0;
	if (task_state_live(state) && store_ledger_live(c, project_id, 0, 1, NULL))
		return 0;
	return id;
}

/* A gold item of the project at random, one `user_id` has no slot of (0: any), or 0. It is
 * the first such item from a random point of the project's gold item ids, wrapping around: a
 * few index steps however many gold items the project has, where sorting them all by random()
 * cost every pick a row per gold item, on the writer. An item after a wider gap in the ids is
 * picked a little more often. Slots are looked up by item, never by worker (see task_next_job):
 * a worker who has seen most of the gold walks past the items they have. */
static int64_t random_gold(db_conn *c, int64_t project_id, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT (SELECT item_id FROM gold_items WHERE project_id = ?1"
				      " ORDER BY item_id LIMIT 1), (SELECT item_id FROM gold_items"
				      " WHERE project_id = ?1 ORDER BY item_id DESC LIMIT 1)");
	db_bind_int(st, 1, project_id);
	int64_t lo = 0, hi = 0;
	if (db_step(st) == SQLITE_ROW) {
		lo = sqlite3_column_int64(st, 0);
		hi = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (!lo)
		return 0;
	uint64_t span = (uint64_t)(hi - lo) + 1, r = 0;
	randombytes_buf(&r, sizeof r);
	int64_t from = lo + (int64_t)(r % span);
	/* From the point to the end, then from the start up to the point. */
	st = db_stmt(c, "SELECT g.item_id FROM gold_items g WHERE g.project_id = ?1"
			" AND g.item_id >= ?3 AND g.item_id < ?4 AND NOT EXISTS (SELECT 1"
			" FROM tasks u WHERE u.item_id = g.item_id AND +u.worker_id = ?2)"
			" ORDER BY g.item_id LIMIT 1");
	int64_t item = 0;
	for (int pass = 0; pass < 2 && !item; pass++) {
		db_bind_int(st, 1, project_id);
		db_bind_int(st, 2, user_id);
		db_bind_int(st, 3, pass ? lo : from);
		db_bind_int(st, 4, pass ? from : hi + 1);
		item = one_int(st);
	}
	return item;
}

int64_t store_quality_gold_pick(db_conn *c, const project *p, int64_t user_id, int64_t open_id,
				int64_t now)
{
	quality_settings s;
	store_quality_settings_load(c, p->id, &s);
	if (!chance(s.gold_rate))
		return open_id;
	int64_t item = random_gold(c, p->id, user_id);
	if (!item)
		return open_id;
	int64_t id = new_slot_task(c, p->id, item, TASK_OPEN, now);
	return id ? id : open_id;
}

int store_quality_on_submit(db_conn *c, int64_t task_id, int round, int64_t worker_id,
			    const char *annotation, int64_t now, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT g.answer, p.kind, t.project_id, t.item_id FROM tasks t"
		       " JOIN gold_items g ON g.item_id = t.item_id"
		       " JOIN projects p ON p.id = t.project_id WHERE t.id = ?");
	db_bind_int(st, 1, task_id);
	if (db_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	json_t *gold = json_loads(db_col_text(st, 0), 0, NULL);
	char kind_name[32];
	snprintf(kind_name, sizeof kind_name, "%s", db_col_text(st, 1));
	int64_t project_id = sqlite3_column_int64(st, 2), item_id = sqlite3_column_int64(st, 3);
	sqlite3_reset(st);
	task_kind kind = KIND_TEXT_CLASS;
	task_kind_parse(kind_name, &kind);
	json_t *ann = json_loads(annotation, 0, NULL);
	double score = gold && ann ? quality_gold_score(kind, gold, ann) : 0;
	json_decref(gold);
	json_decref(ann);
	/* A round scored again replaces its result: the worker's counts take the difference. */
	st = db_stmt(c, "SELECT correct FROM gold_results WHERE task_id = ? AND round = ?");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, round);
	int had = db_step(st) == SQLITE_ROW ? (sqlite3_column_int(st, 0) != 0) : -1;
	sqlite3_reset(st);
	int correct = score >= 1.0 - 1e-9;
	int rc = worker_counted(
	    c, worker_id, project_id,
	    &(worker_delta){.gold_answers = had < 0, .gold_correct = correct - (had > 0)}, err);
	if (rc)
		return rc;
	st = db_stmt(c, "INSERT OR REPLACE INTO gold_results(task_id, round, project_id, item_id,"
			" worker_id, kind, correct, score, at) VALUES (?,?,?,?,?,?,?,?,?)");
	db_bind_int(st, 1, task_id);
	db_bind_int(st, 2, round);
	db_bind_int(st, 3, project_id);
	db_bind_int(st, 4, item_id);
	db_bind_int(st, 5, worker_id);
	db_bind_text(st, 6, kind_name);
	db_bind_int(st, 7, correct);
	sqlite3_bind_double(st, 8, score);
	db_bind_int(st, 9, now);
	return db_exec_stmt(st, err);
}

struct gold_job {
	const project *p;
	const gold_new *g;
	size_t n;
	int64_t actor;
	json_t *ids;
};

static int gold_add_job(db_conn *c, void *ctx, cl_error *err)
{
	struct gold_job *j = ctx;
	int64_t now = clock_now_ms();
	for (size_t i = 0; i < j->n; i++) {
		const gold_new *g = &j->g[i];
		int64_t item = g->item_id;
		if (item) {
			sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM items WHERE id = ?"
						      " AND project_id = ?");
			db_bind_int(st, 1, item);
			db_bind_int(st, 2, j->p->id);
			if (!one_int(st))
				return cl_fail(err, CL_EINVAL, NULL,
					       "items[%zu]: item %lld is not in this project", i,
					       (long long)item);
		} else {
			sqlite3_stmt *st =
			    db_stmt(c, "INSERT INTO items(project_id, type, content_hash,"
				       " text, meta, created_at) VALUES (?,'text',?,?,"
				       "'{}',?) ON CONFLICT(project_id, content_hash)"
				       " DO NOTHING");
			db_bind_int(st, 1, j->p->id);
			db_bind_text(st, 2, g->hash);
			db_bind_text(st, 3, g->text);
			db_bind_int(st, 4, now);
			int rc = db_exec_stmt(st, err);
			if (rc)
				return rc;
			if (sqlite3_changes(db_handle(c))) {
				item = sqlite3_last_insert_rowid(db_handle(c));
				if ((rc = store_project_counted(c, j->p->id, 1, 0, err)))
					return rc;
			} else {
				st = db_stmt(c, "SELECT id FROM items WHERE project_id = ?"
						" AND content_hash = ?");
				db_bind_int(st, 1, j->p->id);
				db_bind_text(st, 2, g->hash);
				item = one_int(st);
			}
		}
		sqlite3_stmt *st =
		    db_stmt(c, "INSERT INTO gold_items(item_id, project_id, answer,"
			       " explanation, created_by, created_at) VALUES (?,?,?,?,?,?)"
			       " ON CONFLICT(item_id) DO UPDATE SET answer = excluded.answer,"
			       " explanation = excluded.explanation");
		db_bind_int(st, 1, item);
		db_bind_int(st, 2, j->p->id);
		db_bind_text(st, 3, g->answer);
		db_bind_text(st, 4, g->explanation ? g->explanation : "");
		db_bind_int(st, 5, j->actor);
		db_bind_int(st, 6, now);
		int rc = db_exec_stmt(st, err);
		if (rc)
			return rc;
		json_array_append_new(j->ids, json_integer(item));
	}
	return 0;
}

int store_gold_add(db *d, const project *p, const gold_new *g, size_t n, int64_t actor,
		   json_t *report, cl_error *err)
{
	struct gold_job j = {.p = p, .g = g, .n = n, .actor = actor, .ids = json_array()};
	int rc = db_write(d, gold_add_job, &j, err);
	if (!rc) {
		json_object_set_new(report, "added", json_integer((json_int_t)n));
		json_object_set(report, "item_ids", j.ids);
	}
	json_decref(j.ids);
	return rc;
}

static json_t *gold_row(sqlite3_stmt *st)
{
	json_t *o = json_pack(
	    "{s:I,s:o,s:s,s:s,s:I,s:I}", "item_id", (json_int_t)sqlite3_column_int64(st, 0),
	    "answer", json_text(db_col_text(st, 1)), "explanation", db_col_text(st, 2), "type",
	    db_col_text(st, 3), "answers", (json_int_t)sqlite3_column_int64(st, 5), "correct",
	    (json_int_t)sqlite3_column_int64(st, 6));
	if (sqlite3_column_type(st, 4) != SQLITE_NULL)
		json_object_set_new(o, "text", json_string(db_col_text(st, 4)));
	return o;
}

json_t *store_gold_list(db *d, int64_t project_id, int64_t cursor, int limit, int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT g.item_id, g.answer, g.explanation, i.type, i.text,"
		       " (SELECT count(*) FROM gold_results r WHERE r.item_id = g.item_id),"
		       " (SELECT coalesce(sum(correct), 0) FROM gold_results r"
		       "  WHERE r.item_id = g.item_id)"
		       " FROM gold_items g JOIN items i ON i.id = g.item_id"
		       " WHERE g.project_id = ?1 AND g.item_id > ?2 ORDER BY g.item_id LIMIT ?3");
	return db_owned_page(st, project_id, cursor, limit, false, gold_row, next);
}

json_t *store_gold_answer(db *d, int64_t item_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT answer FROM gold_items WHERE item_id = ?");
	db_bind_int(st, 1, item_id);
	json_t *v = db_step(st) == SQLITE_ROW ? json_loads(db_col_text(st, 0), 0, NULL) : NULL;
	sqlite3_reset(st);
	return v;
}

/* ---- honeypots ---- */

int64_t store_quality_honeypot_pick(db_conn *c, const project *p, int64_t reviewer_id,
				    int64_t real_id, int64_t now)
{
	(void)reviewer_id;
	quality_settings s;
	store_quality_settings_load(c, p->id, &s);
	if (!chance(s.honeypot_rate))
		return real_id;
	int64_t item = random_gold(c, p->id, 0);
	json_t *gold = NULL;
	sqlite3_stmt *st;
	if (item) {
		st = db_stmt(c, "SELECT answer FROM gold_items WHERE item_id = ?");
		db_bind_int(st, 1, item);
		if (db_step(st) == SQLITE_ROW)
			gold = json_loads(db_col_text(st, 0), 0, NULL);
		sqlite3_reset(st);
	}
	json_t *bad =
	    gold ? quality_plant_error(p->kind, gold, p->labels, randombytes_random()) : NULL;
	json_decref(gold);
	if (!bad)
		return real_id;
	char *text = json_dumps(bad, JSON_OUT);
	json_decref(bad);
	int64_t id = new_slot_task(c, p->id, item, TASK_SUBMITTED, now);
	int64_t aid = 0;
	if (id) {
		st = db_stmt(c, "INSERT INTO annotations(task_id, round, author_id, source, data,"
				" created_at) VALUES (?,1,0,'honeypot',?,?)");
		db_bind_int(st, 1, id);
		db_bind_text(st, 2, text);
		db_bind_int(st, 3, now);
		if (!db_exec_stmt(st, NULL))
			aid = sqlite3_last_insert_rowid(db_handle(c));
	}
	free(text);
	if (!aid)
		return real_id;
	st = db_stmt(c, "UPDATE tasks SET round = 1, annotation_id = ? WHERE id = ?");
	db_bind_int(st, 1, aid);
	db_bind_int(st, 2, id);
	if (db_exec_stmt(st, NULL))
		return real_id;
	st = db_stmt(c, "INSERT INTO honeypots(task_id, project_id, item_id, created_at)"
			" VALUES (?,?,?,?)");
	db_bind_int(st, 1, id);
	db_bind_int(st, 2, p->id);
	db_bind_int(st, 3, item);
	db_bind_int(st, 4, now);
	return db_exec_stmt(st, NULL) ? real_id : id;
}

int store_review_counted(db_conn *c, int64_t reviewer_id, int64_t project_id, int64_t paid,
			 cl_error *err)
{
	return db_count(c,
			"UPDATE review_counts SET decisions = decisions + 1, paid = paid + ?3"
			" WHERE user_id = ?1 AND project_id = ?2",
			"INSERT INTO review_counts(user_id, project_id, decisions, paid)"
			" VALUES (?1,?2,1,?3)",
			(int64_t[]){reviewer_id, project_id, paid}, 3, err);
}

int store_quality_honeypot_review(db_conn *c, int64_t task_id, int64_t reviewer_id, int action,
				  const char *reason, const char *fix, int64_t now, bool *handled,
				  cl_error *err)
{
	*handled = false;
	sqlite3_stmt *st = db_stmt(c, "SELECT h.project_id, g.answer, p.kind FROM honeypots h"
				      " JOIN gold_items g ON g.item_id = h.item_id"
				      " JOIN projects p ON p.id = h.project_id"
				      " WHERE h.task_id = ? AND h.outcome IS NULL");
	db_bind_int(st, 1, task_id);
	if (db_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return 0;
	}
	int64_t project_id = sqlite3_column_int64(st, 0);
	json_t *gold = json_loads(db_col_text(st, 1), 0, NULL);
	task_kind kind = KIND_TEXT_CLASS;
	task_kind_parse(db_col_text(st, 2), &kind);
	sqlite3_reset(st);
	*handled = true;
	bool caught = action == TASK_REJECT;
	if (action == TASK_FIX) {
		json_t *f = json_loads(fix, 0, NULL);
		caught = gold && f && quality_gold_score(kind, gold, f) >= 1.0 - 1e-9;
		json_decref(f);
	}
	json_decref(gold);
	const char *type = action == TASK_APPROVE ? "approve"
			   : action == TASK_FIX	  ? "fix"
						  : "reject";
	json_t *payload =
	    action == TASK_REJECT ? json_pack("{s:s?,s:i}", "reason", reason, "round", 1) : NULL;
	char *text = payload ? json_dumps(payload, JSON_OUT) : NULL;
	json_decref(payload);
	/* The task only ever existed to be reviewed: the decision closes it. */
	st = db_stmt(c, "INSERT INTO events(project_id, task_id, actor_id, at, type, from_state,"
			" to_state, payload) VALUES (?,?,?,?,?,'in_review','discarded',?)");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, task_id);
	db_bind_int(st, 3, reviewer_id);
	db_bind_int(st, 4, now);
	db_bind_text(st, 5, type);
	db_bind_text(st, 6, text);
	free(text);
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	st = db_stmt(c, "UPDATE tasks SET state = 'discarded', lease_until = NULL, updated_at = ?"
			" WHERE id = ?");
	db_bind_int(st, 1, now);
	db_bind_int(st, 2, task_id);
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	/* A honeypot is made submitted, never rejected, and leaves the work in progress here. */
	if ((rc = store_ledger_live(c, project_id, 0, -1, err)))
		return rc;
	st = db_stmt(c, "UPDATE honeypots SET outcome = ?, decision = ?, reviewer_id = ?,"
			" decided_at = ? WHERE task_id = ?");
	db_bind_text(st, 1, caught ? "caught" : "missed");
	db_bind_text(st, 2, type);
	db_bind_int(st, 3, reviewer_id);
	db_bind_int(st, 4, now);
	db_bind_int(st, 5, task_id);
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	int64_t paid = 0;
	if ((rc =
		 store_ledger_on_review(c, project_id, task_id, 0, reviewer_id, now, &paid, err)) ||
	    (rc = store_review_counted(c, reviewer_id, project_id, paid, err)))
		return rc;
	return check_demote(c, project_id, reviewer_id, now, err);
}

/* ---- audits ---- */

struct audit_job {
	int64_t project_id, audit_id, task_id, actor;
	int size;
	bool correct;
	const char *note;
};

static int audit_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct audit_job *j = ctx;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO audits(project_id, size, created_by, created_at)"
				      " VALUES (?,0,?,?)");
	db_bind_int(st, 1, j->project_id);
	db_bind_int(st, 2, j->actor);
	db_bind_int(st, 3, now);
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
	db_bind_int(st, 1, j->audit_id);
	db_bind_int(st, 2, j->project_id);
	db_bind_int(st, 3, j->size);
	if ((rc = db_exec_stmt(st, err)))
		return rc;
	int n = sqlite3_changes(db_handle(c));
	if (!n)
		return cl_fail(err, CL_ECONFLICT, "nothing_to_audit",
			       "no approved task is left to audit");
	st = db_stmt(c, "UPDATE audits SET size = ? WHERE id = ?");
	db_bind_int(st, 1, n);
	db_bind_int(st, 2, j->audit_id);
	return db_exec_stmt(st, err);
}

int store_audit_create(db *d, int64_t project_id, int size, int64_t actor, json_t **out,
		       cl_error *err)
{
	struct audit_job j = {.project_id = project_id, .size = size, .actor = actor};
	int rc = db_write(d, audit_create_job, &j, err);
	int64_t pid;
	*out = rc ? NULL : store_audit_get(d, j.audit_id, &pid);
	return rc;
}

static json_t *audit_head(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 4), at);
	return json_pack("{s:I,s:I,s:I,s:I,s:s,s:I,s:I}", "id",
			 (json_int_t)sqlite3_column_int64(st, 0), "project_id",
			 (json_int_t)sqlite3_column_int64(st, 1), "size",
			 (json_int_t)sqlite3_column_int64(st, 2), "created_by",
			 (json_int_t)sqlite3_column_int64(st, 3), "created_at", at, "decided",
			 (json_int_t)sqlite3_column_int64(st, 5), "correct",
			 (json_int_t)sqlite3_column_int64(st, 6));
}

json_t *store_audit_get(db *d, int64_t audit_id, int64_t *project_id)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT a.id, a.project_id, a.size, a.created_by, a.created_at,"
		       " (SELECT count(verdict) FROM audit_items i WHERE i.audit_id = a.id),"
		       " (SELECT count(*) FROM audit_items i WHERE i.audit_id = a.id"
		       "  AND verdict = 'correct') FROM audits a WHERE a.id = ?");
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
			" ai.worker_id, ai.reviewer_id, ai.verdict, ai.note FROM audit_items ai"
			" JOIN tasks t ON t.id = ai.task_id JOIN items i ON i.id = t.item_id"
			" LEFT JOIN annotations a ON a.id = t.annotation_id"
			" WHERE ai.audit_id = ? ORDER BY ai.task_id");
	db_bind_int(st, 1, audit_id);
	while (db_step(st) == SQLITE_ROW) {
		json_t *item = json_pack("{s:I,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 1),
					 "type", db_col_text(st, 2));
		if (sqlite3_column_type(st, 3) != SQLITE_NULL)
			json_object_set_new(item, "text", json_string(db_col_text(st, 3)));
		if (sqlite3_column_type(st, 4) != SQLITE_NULL) {
			json_object_set_new(item, "width",
					    json_integer(sqlite3_column_int64(st, 4)));
			json_object_set_new(item, "height",
					    json_integer(sqlite3_column_int64(st, 5)));
		}
		json_t *e = json_pack("{s:I,s:o,s:o,s:o,s:o}", "task_id",
				      (json_int_t)sqlite3_column_int64(st, 0), "item", item,
				      "annotation", json_text(db_col_text(st, 6)), "worker_id",
				      id_or_null(st, 7), "reviewer_id", id_or_null(st, 8));
		json_object_set_new(e, "verdict",
				    sqlite3_column_type(st, 9) == SQLITE_NULL
					? json_null()
					: json_string(db_col_text(st, 9)));
		json_object_set_new(e, "note",
				    sqlite3_column_type(st, 10) == SQLITE_NULL
					? json_null()
					: json_string(db_col_text(st, 10)));
		json_array_append_new(items, e);
	}
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
	"  AND verdict = 'correct') FROM audits a WHERE a.project_id = ?1"

json_t *store_audits_list(db *d, int64_t project_id, int64_t cursor, int limit, bool desc,
			  int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, DB_PAGE_SQL(desc, AUDIT_HEAD_QUERY, "a.id"));
	return db_owned_page(st, project_id, cursor, limit, desc, audit_head, next);
}

static int audit_verdict_job(db_conn *c, void *ctx, cl_error *err)
{
	struct audit_job *j = ctx;
	int64_t now = clock_now_ms();
	sqlite3_stmt *st =
	    db_stmt(c, "UPDATE audit_items SET verdict = ?, note = ?, auditor_id = ?,"
		       " decided_at = ? WHERE audit_id = ? AND task_id = ?"
		       " RETURNING project_id, coalesce(reviewer_id, 0)");
	db_bind_text(st, 1, j->correct ? "correct" : "incorrect");
	db_bind_text(st, 2, j->note);
	db_bind_int(st, 3, j->actor);
	db_bind_int(st, 4, now);
	db_bind_int(st, 5, j->audit_id);
	db_bind_int(st, 6, j->task_id);
	int64_t project_id = 0, reviewer = 0;
	if (db_step(st) == SQLITE_ROW) {
		project_id = sqlite3_column_int64(st, 0);
		reviewer = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	if (!project_id)
		return cl_fail(err, CL_ENOTFOUND, NULL, "task %lld is not in this audit",
			       (long long)j->task_id);
	return check_demote(c, project_id, reviewer, now, err);
}

int store_audit_verdict(db *d, int64_t audit_id, int64_t task_id, bool correct, const char *note,
			int64_t actor, json_t **out, cl_error *err)
{
	struct audit_job j = {.audit_id = audit_id,
			      .task_id = task_id,
			      .correct = correct,
			      .note = note,
			      .actor = actor};
	int rc = db_write(d, audit_verdict_job, &j, err);
	int64_t pid;
	*out = rc ? NULL : store_audit_get(d, audit_id, &pid);
	return rc;
}

/* ---- figures ---- */

static json_t *interval(long k, long n)
{
	quality_interval q = quality_wilson(k, n, QUALITY_Z95);
	return quality_interval_json(&q);
}

json_t *store_quality_figures(db *d, const project *p)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	quality_settings s;
	store_quality_settings_load(c, p->id, &s);
	json_t *o = json_pack("{s:I}", "project_id", (json_int_t)p->id);

	sqlite3_stmt *st = db_stmt(c, "SELECT count(verdict), count(*) FILTER (WHERE verdict ="
				      " 'correct') FROM audit_items WHERE project_id = ?");
	db_bind_int(st, 1, p->id);
	long an = 0, ak = 0;
	if (db_step(st) == SQLITE_ROW) {
		an = (long)sqlite3_column_int64(st, 0);
		ak = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	quality_interval q = quality_wilson(ak, an, QUALITY_Z95);
	json_object_set_new(o, "estimated_quality", quality_interval_json(&q));
	if (an) {
		char line[96];
		snprintf(line, sizeof line, "%.1f%% (%.1f\xe2\x80\x93%.1f), n=%ld", q.p * 100,
			 q.lo * 100, q.hi * 100, an);
		json_object_set_new(o, "summary", json_string(line));
	} else {
		json_object_set_new(o, "summary", json_string("not audited yet"));
	}

	st = db_stmt(c, "SELECT count(*), coalesce(sum(correct), 0) FROM gold_results"
			" WHERE project_id = ?");
	db_bind_int(st, 1, p->id);
	long gn = 0, gk = 0;
	if (db_step(st) == SQLITE_ROW) {
		gn = (long)sqlite3_column_int64(st, 0);
		gk = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	st = db_stmt(c, "SELECT count(*) FROM gold_items WHERE project_id = ?");
	db_bind_int(st, 1, p->id);
	json_object_set_new(
	    o, "gold",
	    json_pack("{s:I,s:o}", "items", (json_int_t)one_int(st), "accuracy", interval(gk, gn)));
	st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught') FROM honeypots"
			" WHERE project_id = ? AND outcome IS NOT NULL");
	db_bind_int(st, 1, p->id);
	long hn = 0, hk = 0;
	if (db_step(st) == SQLITE_ROW) {
		hn = (long)sqlite3_column_int64(st, 0);
		hk = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	json_object_set_new(
	    o, "honeypots",
	    json_pack("{s:I,s:I}", "decided", (json_int_t)hn, "caught", (json_int_t)hk));

	/* Workers: the outcomes of their work and their gold answers, as each job counted them
	 * (worker_counts). */
	json_t *workers = json_array();
	st = db_stmt(
	    c, "SELECT u.id, u.username, coalesce(pm.role, ''), w.tasks_submitted, w.approved,"
	       " w.first_pass, w.rejected, w.gold_answers, w.gold_correct FROM worker_counts w"
	       " JOIN users u ON u.id = w.user_id LEFT JOIN project_members pm"
	       " ON pm.project_id = ?1 AND pm.user_id = u.id WHERE w.project_id = ?1"
	       " AND (w.tasks_submitted > 0 OR w.approved > 0 OR w.rejected > 0"
	       " OR w.gold_answers > 0) ORDER BY u.id");
	db_bind_int(st, 1, p->id);
	while (db_step(st) == SQLITE_ROW) {
		long sub = (long)sqlite3_column_int64(st, 3),
		     ap = (long)sqlite3_column_int64(st, 4);
		long fp = (long)sqlite3_column_int64(st, 5),
		     g_n = (long)sqlite3_column_int64(st, 7);
		long g_k = (long)sqlite3_column_int64(st, 8);
		quality_interval gq = quality_wilson(g_k, g_n, QUALITY_Z95);
		json_t *w =
		    json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:o}", "user_id",
			      (json_int_t)sqlite3_column_int64(st, 0), "username",
			      db_col_text(st, 1), "role", db_col_text(st, 2), "submitted",
			      (json_int_t)sub, "approved", (json_int_t)ap, "first_pass_approved",
			      (json_int_t)fp, "rejections", (json_int_t)sqlite3_column_int64(st, 6),
			      "gold_accuracy", quality_interval_json(&gq));
		json_object_set_new(w, "first_pass_rate",
				    ap ? json_real((double)fp / (double)ap) : json_null());
		/* Mostly wrong on known answers, with enough of them to be sure. */
		bool spam = g_n >= 8 && gq.hi < 0.7;
		json_object_set_new(w, "flags",
				    spam ? json_pack("[s]", "suspected_spammer") : json_array());
		json_array_append_new(workers, w);
	}
	sqlite3_reset(st);
	json_object_set_new(o, "workers", workers);

	/* Reviewers: anyone who decided a review here. */
	json_t *reviewers = json_array();
	st = db_stmt(c, "SELECT u.id, u.username, coalesce(pm.role, ''), r.decisions"
			" FROM review_counts r JOIN users u ON u.id = r.user_id"
			" LEFT JOIN project_members pm ON pm.project_id = r.project_id"
			" AND pm.user_id = u.id WHERE r.project_id = ? AND r.decisions > 0"
			" ORDER BY u.id");
	db_bind_int(st, 1, p->id);
	int64_t ids[256];
	char names[256][72];
	char roles[256][16];
	int64_t reviews[256];
	int nr = 0;
	while (nr < 256 && db_step(st) == SQLITE_ROW) {
		ids[nr] = sqlite3_column_int64(st, 0);
		snprintf(names[nr], sizeof names[nr], "%s", db_col_text(st, 1));
		snprintf(roles[nr], sizeof roles[nr], "%s", db_col_text(st, 2));
		reviews[nr] = sqlite3_column_int64(st, 3);
		nr++;
	}
	sqlite3_reset(st);
	for (int i = 0; i < nr; i++) {
		long hp, caught, audits, passed;
		reviewer_checks(c, p->id, ids[i], &hp, &caught, &audits, &passed);
		quality_interval rq = quality_wilson(caught + passed, hp + audits, QUALITY_Z95);
		json_t *r = json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "user_id",
				      (json_int_t)ids[i], "username", names[i], "role", roles[i],
				      "reviews", (json_int_t)reviews[i], "honeypots",
				      (json_int_t)hp, "honeypots_caught", (json_int_t)caught,
				      "audits", (json_int_t)audits, "audits_passed",
				      (json_int_t)passed, "accuracy", quality_interval_json(&rq));
		bool careless =
		    hp + audits >= s.demote_min_checks && hp + audits > 0 && rq.p < s.demote_below;
		json_object_set_new(
		    r, "flags", careless ? json_pack("[s]", "careless_reviewer") : json_array());
		json_array_append_new(reviewers, r);
	}
	json_object_set_new(o, "reviewers", reviewers);
	db_read_end(c);
	return o;
}

json_t *store_quality_me(db *d, int64_t user_id)
{
	db_conn *c = db_reader(d);
	json_t *kinds = json_object();
	sqlite3_stmt *st = db_stmt(c, "SELECT kind, count(*), coalesce(sum(correct), 0)"
				      " FROM gold_results WHERE worker_id = ? GROUP BY kind");
	db_bind_int(st, 1, user_id);
	while (db_step(st) == SQLITE_ROW)
		json_object_set_new(
		    kinds, db_col_text(st, 0),
		    interval((long)sqlite3_column_int64(st, 2), (long)sqlite3_column_int64(st, 1)));
	sqlite3_reset(st);
	st = db_stmt(c, "SELECT count(*), count(*) FILTER (WHERE outcome = 'caught') FROM honeypots"
			" WHERE reviewer_id = ? AND outcome IS NOT NULL");
	db_bind_int(st, 1, user_id);
	long hn = 0, hk = 0;
	if (db_step(st) == SQLITE_ROW) {
		hn = (long)sqlite3_column_int64(st, 0);
		hk = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	st = db_stmt(c, "SELECT count(verdict), count(*) FILTER (WHERE verdict = 'correct')"
			" FROM audit_items WHERE reviewer_id = ?");
	db_bind_int(st, 1, user_id);
	long an = 0, ak = 0;
	if (db_step(st) == SQLITE_ROW) {
		an = (long)sqlite3_column_int64(st, 0);
		ak = (long)sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return json_pack("{s:I,s:o,s:o}", "user_id", (json_int_t)user_id, "gold_accuracy", kinds,
			 "reviewer_accuracy", interval(hk + ak, hn + an));
}

/* ---- consensus and agreement ---- */

/* The approved annotations of one item, with their workers. */
static size_t item_annotations(db_conn *c, int64_t item_id, json_t **anns, int64_t *workers,
			       size_t max)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT a.data, coalesce(t.worker_id, 0) FROM tasks t"
		       " JOIN annotations a ON a.id = t.annotation_id"
		       " WHERE t.item_id = ? AND t.state = 'approved' ORDER BY t.slot");
	db_bind_int(st, 1, item_id);
	size_t n = 0;
	while (n < max && db_step(st) == SQLITE_ROW) {
		json_t *a = json_loads(db_col_text(st, 0), 0, NULL);
		if (!a)
			continue;
		anns[n] = a;
		workers[n] = sqlite3_column_int64(st, 1);
		n++;
	}
	sqlite3_reset(st);
	return n;
}

#define MAX_PER_ITEM 64

/* The project's items with an approved annotation (gold left out), in item order, after the
 * approved task `after`, at most `limit` (-1: all): column 0 is the item's first approved task,
 * column 1 the item. Each item is met at its first approved task, walking the approved tasks'
 * index, so a page reads only its own rows. An item's tasks are made with it: task order is
 * item order. */
static sqlite3_stmt *approved_items(db_conn *c, int64_t project_id, int64_t after, int limit)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT t.id, t.item_id FROM tasks t WHERE t.project_id = ?1"
		       " AND t.state = 'approved' AND t.id > ?2"
		       " AND NOT EXISTS (SELECT 1 FROM tasks s WHERE s.item_id = t.item_id"
		       " AND s.state = 'approved' AND s.id < t.id)"
		       " AND NOT EXISTS (SELECT 1 FROM gold_items g WHERE g.item_id = t.item_id)"
		       " ORDER BY t.id LIMIT ?3");
	db_bind_int(st, 1, project_id);
	db_bind_int(st, 2, after);
	db_bind_int(st, 3, limit);
	return st;
}

json_t *store_consensus(db *d, const project *p, int64_t cursor, int limit, int64_t *next)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	sqlite3_stmt *st = approved_items(c, p->id, cursor, limit + 1);
	sqlite3_stmt *text = db_stmt(c, "SELECT text FROM items WHERE id = ?");
	int64_t *ids = calloc((size_t)limit + 1, sizeof *ids);
	int64_t last_task = 0;
	int n = 0;
	while (ids && n <= limit && db_step(st) == SQLITE_ROW) {
		if (n < limit)
			last_task = sqlite3_column_int64(st, 0);
		ids[n++] = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	*next = 0;
	if (n > limit) {
		n = limit;
		*next = last_task;
	}
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *anns[MAX_PER_ITEM];
		int64_t workers[MAX_PER_ITEM];
		size_t k = item_annotations(c, ids[i], anns, workers, MAX_PER_ITEM);
		double agreement = 0;
		json_t *cons = quality_consolidate(p->kind, p->multi_label, anns, k, &agreement);
		json_t *who = json_array();
		for (size_t q = 0; q < k; q++)
			json_array_append_new(who, json_integer(workers[q]));
		json_t *o =
		    json_pack("{s:I,s:I,s:b,s:o,s:o}", "item_id", (json_int_t)ids[i], "annotations",
			      (json_int_t)k, "complete", (int)k >= p->overlap, "workers", who,
			      "consolidated", cons ? cons : json_null());
		json_object_set_new(o, "agreement", k > 1 ? json_real(agreement) : json_null());
		db_bind_int(text, 1, ids[i]);
		json_object_set_new(o, "text",
				    db_step(text) == SQLITE_ROW &&
					    sqlite3_column_type(text, 0) != SQLITE_NULL
					? json_string(db_col_text(text, 0))
					: json_null());
		sqlite3_reset(text);
		json_array_append_new(items, o);
		for (size_t q = 0; q < k; q++)
			json_decref(anns[q]);
	}
	free(ids);
	db_read_end(c);
	return items;
}

/* Each worker's agreement with the consolidated answers, by user id in an open-addressed
 * table: a project may have any number of workers. */
typedef struct worker_agree {
	int64_t id;
	double sum;
	long n;
	bool used;
} worker_agree;

typedef struct agree_table {
	worker_agree *slots;
	size_t cap, n;
} agree_table;

static worker_agree *agree_find(agree_table *t, int64_t id)
{
	if (2 * (t->n + 1) > t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		worker_agree *slots = calloc(cap, sizeof *slots);
		if (!slots)
			return NULL;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->slots[i].used)
				continue;
			size_t h = (size_t)t->slots[i].id & (cap - 1);
			while (slots[h].used)
				h = (h + 1) & (cap - 1);
			slots[h] = t->slots[i];
		}
		free(t->slots);
		t->slots = slots;
		t->cap = cap;
	}
	size_t h = (size_t)id & (t->cap - 1);
	while (t->slots[h].used && t->slots[h].id != id)
		h = (h + 1) & (t->cap - 1);
	if (!t->slots[h].used) {
		t->slots[h] = (worker_agree){.id = id, .used = true};
		t->n++;
	}
	return &t->slots[h];
}

static int agree_by_user(const void *a, const void *b)
{
	const worker_agree *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

json_t *store_agreement(db *d, const project *p)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	bool classes = p->kind == KIND_TEXT_CLASS || p->kind == KIND_IMAGE_CLASS;
	quality_alpha alpha = {0};
	agree_table workers = {0};
	bool short_of_memory = false;
	size_t nitems = 0, overlapped = 0;
	double pair_sum = 0;
	long pairs = 0;
	sqlite3_stmt *st = approved_items(c, p->id, 0, -1);
	while (db_step(st) == SQLITE_ROW) {
		nitems++;
		json_t *anns[MAX_PER_ITEM];
		int64_t who[MAX_PER_ITEM];
		size_t k =
		    item_annotations(c, sqlite3_column_int64(st, 1), anns, who, MAX_PER_ITEM);
		if (k >= 2) {
			overlapped++;
			json_t *cons = quality_consolidate(p->kind, p->multi_label, anns, k, NULL);
			for (size_t a = 0; a < k; a++) {
				for (size_t b = a + 1; b < k; b++) {
					pair_sum += quality_similarity(p->kind, anns[a], anns[b]);
					pairs++;
				}
				worker_agree *w = agree_find(&workers, who[a]);
				if (!w) {
					short_of_memory = true;
					continue;
				}
				w->sum += cons ? quality_similarity(p->kind, anns[a], cons) : 0;
				w->n++;
			}
			json_decref(cons);
		}
		char *values[MAX_PER_ITEM];
		for (size_t a = 0; a < k; a++) {
			values[a] = classes ? quality_class_value(anns[a]) : NULL;
			json_decref(anns[a]);
		}
		if (classes && quality_alpha_add(&alpha, (const char *const *)values, k))
			short_of_memory = true;
		for (size_t a = 0; a < k; a++)
			free(values[a]);
	}
	sqlite3_reset(st);
	json_t *o = json_pack("{s:I,s:s,s:I,s:I}", "project_id", (json_int_t)p->id, "kind",
			      task_kind_name(p->kind), "items", (json_int_t)nitems,
			      "items_with_overlap", (json_int_t)overlapped);
	json_object_set_new(o, "pairwise",
			    pairs ? json_real(pair_sum / (double)pairs) : json_null());
	if (classes) {
		double a = quality_alpha_result(&alpha);
		json_object_set_new(o, "alpha", isnan(a) ? json_null() : json_real(a));
	} else {
		json_object_set_new(o, p->kind == KIND_IMAGE_BBOX ? "mean_iou" : "span_f1",
				    pairs ? json_real(pair_sum / (double)pairs) : json_null());
	}
	/* Packed to the front, then by user id. */
	size_t nw = 0;
	for (size_t i = 0; i < workers.cap; i++)
		if (workers.slots[i].used)
			workers.slots[nw++] = workers.slots[i];
	if (nw)
		qsort(workers.slots, nw, sizeof *workers.slots, agree_by_user);
	json_t *ws = json_array();
	for (size_t w = 0; w < nw; w++) {
		const worker_agree *wa = &workers.slots[w];
		json_t *u = store_user_get(d, wa->id);
		json_array_append_new(
		    ws,
		    json_pack("{s:I,s:s,s:I,s:f}", "user_id", (json_int_t)wa->id, "username",
			      u ? json_string_value(json_object_get(u, "username")) : "", "items",
			      (json_int_t)wa->n, "agreement", wa->sum / (double)wa->n));
		json_decref(u);
	}
	json_object_set_new(o, "workers", ws);
	quality_alpha_free(&alpha);
	free(workers.slots);
	db_read_end(c);
	if (short_of_memory) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *role_change_json(sqlite3_stmt *st)
{
	char at[32];
	clock_iso8601(sqlite3_column_int64(st, 5), at);
	return json_pack("{s:I,s:I,s:s,s:s,s:o,s:s}", "id", (json_int_t)sqlite3_column_int64(st, 0),
			 "user_id", (json_int_t)sqlite3_column_int64(st, 1), "username",
			 db_col_text(st, 2), "change", db_col_text(st, 3), "figures",
			 json_text(db_col_text(st, 4)), "at", at);
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

/* ---- fair pay ---- */

typedef struct pay_row {
	int64_t user, active_ms, submissions, approved, earned, hourly;
	char name[72];
} pay_row;

static int pay_row_cmp(const void *a, const void *b)
{
	const pay_row *x = a, *y = b;
	return x->hourly < y->hourly ? -1 : x->hourly > y->hourly;
}

json_t *store_fair_pay(db *d, const project *p, int64_t min_wage)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	/* Each worker's submissions, their time from each claim to its submit, approvals and what
	 * the ledger paid them, as their jobs counted them (worker_counts). */
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT w.user_id, u.username, w.submissions, w.active_ms, w.approved, w.paid,"
	       " EXISTS(SELECT 1 FROM ledger_accounts a WHERE a.kind = 'project'"
	       "  AND a.owner_id = ?1)"
	       " FROM worker_counts w JOIN users u ON u.id = w.user_id"
	       " WHERE w.project_id = ?1 AND w.submissions > 0 ORDER BY w.user_id");
	db_bind_int(st, 1, p->id);
	size_t cap = 64, n = 0;
	pay_row *rows = malloc(cap * sizeof *rows);
	while (rows && db_step(st) == SQLITE_ROW) {
		if (n == cap) {
			pay_row *bigger = realloc(rows, 2 * cap * sizeof *rows);
			if (!bigger) {
				/* Every worker or no report: a median of some would mislead. */
				free(rows);
				rows = NULL;
				break;
			}
			rows = bigger;
			cap *= 2;
		}
		pay_row *r = &rows[n++];
		r->user = sqlite3_column_int64(st, 0);
		snprintf(r->name, sizeof r->name, "%s", db_col_text(st, 1));
		r->submissions = sqlite3_column_int64(st, 2);
		r->active_ms = sqlite3_column_int64(st, 3);
		r->approved = sqlite3_column_int64(st, 4);
		/* Funded projects pay through the ledger; others owe approved x price. */
		r->earned = sqlite3_column_int(st, 6) ? sqlite3_column_int64(st, 5)
						      : r->approved * p->price;
		r->hourly = ledger_hourly(r->earned, r->active_ms);
	}
	sqlite3_reset(st);
	db_read_end(c);
	if (!rows)
		return NULL;
	json_t *workers = json_array();
	size_t timed = 0;
	for (size_t i = 0; i < n; i++) {
		json_array_append_new(
		    workers,
		    json_pack("{s:I,s:s,s:f,s:I,s:I,s:I,s:I}", "user_id", (json_int_t)rows[i].user,
			      "username", rows[i].name, "active_seconds",
			      (double)rows[i].active_ms / 1000.0, "submissions",
			      (json_int_t)rows[i].submissions, "approved",
			      (json_int_t)rows[i].approved, "earned", (json_int_t)rows[i].earned,
			      "hourly", (json_int_t)rows[i].hourly));
		if (rows[i].active_ms > 0)
			rows[timed++] = rows[i];
	}
	json_t *o = json_pack("{s:I,s:s,s:I,s:I,s:o}", "project_id", (json_int_t)p->id, "currency",
			      p->currency, "min_wage", (json_int_t)min_wage, "price",
			      (json_int_t)p->price, "workers", workers);
	if (timed) {
		qsort(rows, timed, sizeof *rows, pay_row_cmp);
		const pay_row *m = &rows[(timed - 1) / 2];
		bool below = m->hourly < min_wage;
		json_object_set_new(o, "median_hourly", json_integer(m->hourly));
		json_object_set_new(o, "below_min_wage", json_boolean(below));
		/* The price at which the median worker's pace earns the minimum wage; with nothing
		 * approved yet, their submissions stand in for approvals. */
		int64_t tasks = m->approved ? m->approved : m->submissions;
		int64_t suggest = ledger_suggest_price(min_wage, m->active_ms, tasks);
		json_object_set_new(o, "suggested_price",
				    below && suggest > p->price ? json_integer(suggest)
								: json_null());
	} else {
		json_object_set_new(o, "median_hourly", json_null());
		json_object_set_new(o, "below_min_wage", json_false());
		json_object_set_new(o, "suggested_price", json_null());
	}
	free(rows);
	return o;
}

/* ---- matching ---- */

typedef struct kind_figures {
	long gold_n, gold_k, approved, first_pass, submissions;
	double avg_seconds;
	int64_t last_at;
} kind_figures;

/* A worker's history on a kind: their counts in every project of that kind (worker_counts). */
static void figures_for_kind(db_conn *c, int64_t user, const char *kind, kind_figures *f)
{
	memset(f, 0, sizeof *f);
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT coalesce(sum(w.gold_answers), 0), coalesce(sum(w.gold_correct), 0),"
		       " coalesce(sum(w.approved), 0), coalesce(sum(w.first_pass), 0),"
		       " coalesce(sum(w.submissions), 0), coalesce(sum(w.active_ms), 0),"
		       " coalesce(max(w.last_at), 0)"
		       " FROM worker_counts w JOIN projects p ON p.id = w.project_id"
		       " WHERE w.user_id = ? AND p.kind = ?");
	db_bind_int(st, 1, user);
	db_bind_text(st, 2, kind);
	if (db_step(st) == SQLITE_ROW) {
		f->gold_n = (long)sqlite3_column_int64(st, 0);
		f->gold_k = (long)sqlite3_column_int64(st, 1);
		f->approved = (long)sqlite3_column_int64(st, 2);
		f->first_pass = (long)sqlite3_column_int64(st, 3);
		f->submissions = (long)sqlite3_column_int64(st, 4);
		int64_t active_ms = sqlite3_column_int64(st, 5);
		f->avg_seconds =
		    f->submissions ? (double)active_ms / (double)f->submissions / 1000.0 : 0;
		f->last_at = sqlite3_column_int64(st, 6);
	}
	sqlite3_reset(st);
}

/* The fit of a worker's history on a kind, in [0,1], and the figures that make it (into `why`
 * when not NULL). Missing figures count as an even 0.5 so newcomers are neither hidden nor
 * favoured. */
static double fit(const kind_figures *f, int64_t now, json_t *why)
{
	double acc = f->gold_n ? (double)f->gold_k / (double)f->gold_n : 0.5;
	double appr = f->approved ? (double)f->first_pass / (double)f->approved : 0.5;
	double speed = f->submissions ? 1.0 / (1.0 + f->avg_seconds / 60.0) : 0.5;
	double days = f->last_at ? (double)(now - f->last_at) / 86400000.0 : -1;
	double recency = days >= 0 ? exp(-days / 30.0) : 0.0;
	double score = 0.4 * acc + 0.3 * appr + 0.15 * speed + 0.15 * recency;
	if (!why)
		return score;
	json_object_set_new(why, "gold_accuracy", f->gold_n ? json_real(acc) : json_null());
	json_object_set_new(why, "gold_answers", json_integer(f->gold_n));
	json_object_set_new(why, "approval_rate", f->approved ? json_real(appr) : json_null());
	json_object_set_new(why, "approved", json_integer(f->approved));
	json_object_set_new(why, "avg_seconds_per_task",
			    f->submissions ? json_real(f->avg_seconds) : json_null());
	json_object_set_new(why, "days_since_last_task", days >= 0 ? json_real(days) : json_null());
	json_object_set_new(why, "weights",
			    json_pack("{s:f,s:f,s:f,s:f}", "gold_accuracy", 0.4, "approval_rate",
				      0.3, "speed", 0.15, "recency", 0.15));
	return score;
}

/* A ranking answers its best MATCHES_MAX, from every candidate: each is scored once without
 * its figures, and only those answered are scored again with them. */
#define MATCHES_MAX 500

/* A candidate of a ranking, at `at` in its query's rows. */
typedef struct ranked {
	size_t at;
	int64_t id;
	double score;
} ranked;

static int ranked_cmp(const void *a, const void *b)
{
	const ranked *x = a, *y = b;
	if (x->score != y->score)
		return x->score > y->score ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* Adds a candidate to a growing ranking; false when memory runs out. */
static bool rank_add(ranked **r, size_t *n, size_t *cap, int64_t id, double score)
{
	if (*n == *cap) {
		size_t more = *cap ? 2 * *cap : 256;
		ranked *bigger = realloc(*r, more * sizeof *bigger);
		if (!bigger)
			return false;
		*r = bigger;
		*cap = more;
	}
	(*r)[*n] = (ranked){*n, id, score};
	(*n)++;
	return true;
}

/* Sorts a ranking best first and gives how many of it to answer. */
static size_t rank_top(ranked *r, size_t n)
{
	if (n)
		qsort(r, n, sizeof *r, ranked_cmp);
	return n < MATCHES_MAX ? n : MATCHES_MAX;
}

static bool holds_course(db_conn *c, int64_t user, int64_t course)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT count(*) FROM qualifications WHERE user_id = ?"
				      " AND course_id = ?");
	db_bind_int(st, 1, user);
	db_bind_int(st, 2, course);
	return one_int(st) > 0;
}

/* An open project a worker may take, as the ranking reads it. */
typedef struct project_cand {
	int64_t id, price, open;
	char name[804], kind[16], currency[8], role[16];
} project_cand;

/* A worker's fit for a project (figures into `why` when not NULL): their history on its kind,
 * its pay against the best paid, and whether they hold its courses and it has work. */
static double project_score(db_conn *c, int64_t user, const project_cand *k, const kind_figures *f,
			    int64_t max_price, int64_t now, json_t *why)
{
	double score = 0.85 * fit(f, now, why);
	double pay = max_price ? (double)k->price / (double)max_price : 0;
	score += 0.15 * pay;
	quality_settings s;
	store_quality_settings_load(c, k->id, &s);
	json_t *missing = json_array();
	for (int q = 0; q < s.n_required; q++)
		if (!holds_course(c, user, s.required_courses[q]))
			json_array_append_new(missing, json_integer(s.required_courses[q]));
	bool qualified = json_array_size(missing) == 0;
	if (!qualified)
		score *= 0.1; /* listed, but after everything the worker can take now */
	if (!k->open)
		score *= 0.5;
	if (why) {
		json_object_set_new(why, "pay", json_real(pay));
		json_object_set_new(why, "qualified", json_boolean(qualified));
		json_object_set_new(why, "missing_courses", missing);
		json_object_set_new(why, "open_tasks", json_integer(k->open));
	} else {
		json_decref(missing);
	}
	return score;
}

/* The figures of a worker on each kind, read once per kind for a ranking of projects. */
enum { KINDS = KIND_TEXT_SPANS + 1 };
typedef struct figures_memo {
	kind_figures of[KINDS];
	bool known[KINDS];
} figures_memo;

static const kind_figures *figures_of(db_conn *c, int64_t user, const char *kind, figures_memo *m)
{
	task_kind k = KIND_TEXT_CLASS;
	task_kind_parse(kind, &k); /* a project's kind always parses */
	if (!m->known[k]) {
		figures_for_kind(c, user, kind, &m->of[k]);
		m->known[k] = true;
	}
	return &m->of[k];
}

json_t *store_matches_for_worker(db *d, const principal *pr)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	int64_t now = clock_now_ms();
	/* Open projects I may work on, with their open tasks. */
#define CANDIDATES_OPEN OPEN_TASKS("p.id")
	sqlite3_stmt *st = db_stmt(c, "SELECT p.id, p.name, p.kind, p.price, o.currency,"
				      " coalesce(pm.role, ''), " CANDIDATES_OPEN
				      " FROM projects p JOIN orgs o ON o.id = p.org_id"
				      " LEFT JOIN project_members pm ON pm.project_id = p.id"
				      " AND pm.user_id = ?1 WHERE p.status = 'open'"
				      " AND (pm.role IS NOT NULL OR p.is_public) ORDER BY p.id");
#undef CANDIDATES_OPEN
	db_bind_int(st, 1, pr->id);
	project_cand *cs = NULL;
	size_t n = 0, cap = 0;
	bool short_of_memory = false;
	int64_t max_price = 0;
	while (db_step(st) == SQLITE_ROW) {
		if (n == cap) {
			size_t more = cap ? 2 * cap : 64;
			project_cand *bigger = realloc(cs, more * sizeof *bigger);
			if (!bigger) {
				short_of_memory = true;
				break;
			}
			cs = bigger;
			cap = more;
		}
		project_cand *k = &cs[n++];
		k->id = sqlite3_column_int64(st, 0);
		snprintf(k->name, sizeof k->name, "%s", db_col_text(st, 1));
		snprintf(k->kind, sizeof k->kind, "%s", db_col_text(st, 2));
		k->price = sqlite3_column_int64(st, 3);
		snprintf(k->currency, sizeof k->currency, "%s", db_col_text(st, 4));
		snprintf(k->role, sizeof k->role, "%s", db_col_text(st, 5));
		k->open = sqlite3_column_int64(st, 6);
		if (k->price > max_price)
			max_price = k->price;
	}
	sqlite3_reset(st);
	figures_memo memo = {0};
	ranked *rank = NULL;
	size_t ranked_n = 0, ranked_cap = 0;
	for (size_t i = 0; i < n && !short_of_memory; i++) {
		const kind_figures *f = figures_of(c, pr->id, cs[i].kind, &memo);
		double score = project_score(c, pr->id, &cs[i], f, max_price, now, NULL);
		short_of_memory = !rank_add(&rank, &ranked_n, &ranked_cap, cs[i].id, score);
	}
	json_t *items = short_of_memory ? NULL : json_array();
	size_t top = items ? rank_top(rank, ranked_n) : 0;
	for (size_t i = 0; i < top; i++) {
		const project_cand *k = &cs[rank[i].at];
		json_t *why = json_object();
		double score = project_score(c, pr->id, k, figures_of(c, pr->id, k->kind, &memo),
					     max_price, now, why);
		json_array_append_new(
		    items,
		    json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:f,s:o}", "project_id", (json_int_t)k->id,
			      "name", k->name, "kind", k->kind, "price", (json_int_t)k->price,
			      "currency", k->currency, "my_role", k->role[0] ? k->role : "worker",
			      "score", score, "figures", why));
	}
	free(rank);
	free(cs);
	db_read_end(c);
	return items;
}

/* A worker's fit for a project of `kind` (figures into `why` when not NULL). */
static double worker_score(db_conn *c, int64_t user, const char *kind, const quality_settings *s,
			   int64_t now, json_t *why)
{
	kind_figures f;
	figures_for_kind(c, user, kind, &f);
	double score = fit(&f, now, why);
	bool qualified = true;
	for (int q = 0; q < s->n_required && qualified; q++)
		qualified = holds_course(c, user, s->required_courses[q]);
	if (!qualified)
		score *= 0.5;
	if (why)
		json_object_set_new(why, "qualified", json_boolean(qualified));
	return score;
}

json_t *store_matches_for_project(db *d, const project *p)
{
	db_conn *c = db_reader(d);
	db_read_begin(c);
	int64_t now = clock_now_ms();
	quality_settings s;
	store_quality_settings_load(c, p->id, &s);
	const char *kind = task_kind_name(p->kind);
	/* Candidates: whoever has labeled this kind anywhere, or holds a required course. */
	sqlite3_stmt *st = db_stmt(
	    c, "SELECT u.id FROM users u WHERE u.id IN (SELECT w.user_id FROM worker_counts w"
	       " JOIN projects q ON q.id = w.project_id WHERE q.kind = ?1"
	       " AND w.submissions > 0"
	       " UNION SELECT user_id FROM qualifications q JOIN courses c"
	       " ON c.id = q.course_id WHERE c.kind = ?1) ORDER BY u.id");
	db_bind_text(st, 1, kind);
	ranked *rank = NULL;
	size_t n = 0, cap = 0;
	bool short_of_memory = false;
	while (!short_of_memory && db_step(st) == SQLITE_ROW) {
		int64_t user = sqlite3_column_int64(st, 0);
		double score = worker_score(c, user, kind, &s, now, NULL);
		short_of_memory = !rank_add(&rank, &n, &cap, user, score);
	}
	sqlite3_reset(st);
	json_t *items = short_of_memory ? NULL : json_array();
	size_t top = items ? rank_top(rank, n) : 0;
	sqlite3_stmt *who = db_stmt(c, "SELECT u.username, pm.role FROM users u"
				       " LEFT JOIN project_members pm ON pm.project_id = ?1"
				       " AND pm.user_id = u.id WHERE u.id = ?2");
	for (size_t i = 0; i < top; i++) {
		json_t *why = json_object();
		double score = worker_score(c, rank[i].id, kind, &s, now, why);
		db_bind_int(who, 1, p->id);
		db_bind_int(who, 2, rank[i].id);
		bool found = db_step(who) == SQLITE_ROW;
		json_t *o =
		    json_pack("{s:I,s:s,s:f,s:o}", "user_id", (json_int_t)rank[i].id, "username",
			      found ? db_col_text(who, 0) : "", "score", score, "figures", why);
		json_object_set_new(o, "member_role",
				    found && sqlite3_column_type(who, 1) != SQLITE_NULL
					? json_string(db_col_text(who, 1))
					: json_null());
		sqlite3_reset(who);
		json_array_append_new(items, o);
	}
	free(rank);
	db_read_end(c);
	return items;
}
