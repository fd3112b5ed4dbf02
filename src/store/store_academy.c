/* The academy in SQL: courses per task kind, practice and exam questions (exam answers never
 * leave the store except to score), exam attempts with a retry cooldown after a failure, and
 * the qualifications passing grants. */
#include "store/store_academy.h"
#include "store/store_projects.h"
#include "util/clock.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *json_text(const char *s)
{
	json_t *v = s ? json_loads(s, 0, NULL) : NULL;
	return v ? v : json_null();
}

static json_t *course_json(db_conn *c, int64_t id, int64_t user_id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT id, kind, name, lesson, labels, multi_label,"
		       " pass_score, exam_size, cooldown_seconds, created_at, created_by,"
		       " (SELECT count(*) FROM course_questions q WHERE q.course_id = c.id"
		       "  AND q.role = 'practice'),"
		       " (SELECT count(*) FROM course_questions q WHERE q.course_id = c.id"
		       "  AND q.role = 'exam')"
		       " FROM courses c WHERE id = ?");
	db_bind_int(st, 1, id);
	json_t *o = NULL;
	int cooldown = 0;
	if (db_step(st) == SQLITE_ROW) {
		char at[32];
		clock_iso8601(sqlite3_column_int64(st, 9), at);
		cooldown = sqlite3_column_int(st, 8);
		o = json_pack("{s:I,s:s,s:s,s:s,s:o,s:b,s:f,s:i,s:i,s:s,s:I,s:I}", "id",
			      (json_int_t)id, "kind", db_col_text(st, 1), "name",
			      db_col_text(st, 2), "lesson", db_col_text(st, 3), "labels",
			      json_text(db_col_text(st, 4)), "multi_label",
			      sqlite3_column_int(st, 5), "pass_score", sqlite3_column_double(st, 6),
			      "exam_size", sqlite3_column_int(st, 7), "cooldown_seconds", cooldown,
			      "created_at", at, "practice_questions",
			      (json_int_t)sqlite3_column_int64(st, 11), "exam_questions",
			      (json_int_t)sqlite3_column_int64(st, 12));
		json_object_set_new(o, "created_by",
				    sqlite3_column_type(st, 10) == SQLITE_NULL
					? json_null()
					: json_integer(sqlite3_column_int64(st, 10)));
	}
	sqlite3_reset(st);
	if (!o || !user_id)
		return o;
	st = db_stmt(c, "SELECT count(*) FROM qualifications WHERE user_id = ? AND course_id = ?");
	db_bind(st, DB_INT(user_id), DB_INT(id));
	bool qualified = db_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0;
	sqlite3_reset(st);
	json_object_set_new(o, "qualified", json_boolean(qualified));
	st = db_stmt(c, "SELECT finished_at, passed, score FROM exam_attempts WHERE user_id = ?"
			" AND course_id = ? AND finished_at IS NOT NULL ORDER BY id DESC LIMIT 1");
	db_bind(st, DB_INT(user_id), DB_INT(id));
	json_t *retry = json_null(), *last = json_null();
	if (db_step(st) == SQLITE_ROW) {
		last = json_real(sqlite3_column_double(st, 2));
		int64_t until = sqlite3_column_int64(st, 0) + (int64_t)cooldown * 1000;
		if (!sqlite3_column_int(st, 1) && until > clock_now_ms()) {
			char at[32];
			clock_iso8601(until, at);
			json_decref(retry);
			retry = json_string(at);
		}
	}
	sqlite3_reset(st);
	json_object_set_new(o, "last_score", last);
	json_object_set_new(o, "retry_at", retry);
	return o;
}

struct course_job {
	const course_new *in;
	int64_t actor, id, course_id, project_id;
	const char *role, *item, *answer, *explanation;
	int added;
};

static int course_create_job(db_conn *c, void *ctx, cl_error *err)
{
	struct course_job *j = ctx;
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO courses(kind, name, lesson, labels, multi_label,"
		       " pass_score, exam_size, cooldown_seconds, created_by, created_at)"
		       " VALUES (?,?,?,?,?,?,?,?,?,?)");
	db_bind(st, DB_TEXT(task_kind_names[j->in->kind]), DB_TEXT(j->in->name),
		DB_TEXT(j->in->lesson), DB_TEXT(j->in->labels), DB_INT(j->in->multi_label),
		DB_REAL(j->in->pass_score), DB_INT(j->in->exam_size),
		DB_INT(j->in->cooldown_seconds), DB_INT(j->actor), DB_INT(clock_now_ms()));
	int rc = db_exec_stmt(st, err);
	if (rc == CL_ECONFLICT)
		return cl_fail(err, CL_ECONFLICT, "name_taken", "a course with that name exists");
	j->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_course_create(db *d, const course_new *c, int64_t actor, json_t **out, cl_error *err)
{
	struct course_job j = {.in = c, .actor = actor};
	int rc = db_write(d, course_create_job, &j, err);
	*out = rc ? NULL : course_json(db_reader(d), j.id, actor);
	return rc;
}

json_t *store_course_get(db *d, int64_t course_id, int64_t user_id)
{
	return course_json(db_reader(d), course_id, user_id);
}

json_t *store_courses_list(db *d, int64_t user_id, int64_t cursor, int limit, int64_t *next)
{
	db_conn *c = db_reader(d);
	sqlite3_stmt *st = db_stmt(c, "SELECT id FROM courses WHERE id > ? ORDER BY id LIMIT ?");
	db_bind(st, DB_INT(cursor), DB_INT(limit + 1));
	int64_t ids[501] = {0};
	int n = 0;
	while (n <= limit && n < 501 && db_step(st) == SQLITE_ROW)
		ids[n++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	*next = 0;
	if (n > limit) {
		n = limit;
		*next = ids[limit - 1];
	}
	json_t *items = json_array();
	for (int i = 0; i < n; i++) {
		json_t *o = course_json(c, ids[i], user_id);
		if (o) {
			json_object_del(o, "lesson"); /* the list stays small */
			json_array_append_new(items, o);
		}
	}
	return items;
}

int store_course_project(db *d, int64_t course_id, project *p)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT kind, labels, multi_label, created_by"
						 " FROM courses WHERE id = ?");
	db_bind_int(st, 1, course_id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		p->kind = store_kind_of(db_col_text(st, 0));
		json_decref(p->labels);
		p->labels = json_loads(db_col_text(st, 1), 0, NULL);
		if (!p->labels)
			p->labels = json_array();
		p->multi_label = sqlite3_column_int(st, 2);
		p->org_id = sqlite3_column_int64(st, 3); /* the author, for the edit check */
		p->id = course_id;
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

static int question_add_job(db_conn *c, void *ctx, cl_error *err)
{
	struct course_job *j = ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO course_questions(course_id, role, item, answer,"
				      " explanation, created_at) VALUES (?,?,?,?,?,?)");
	db_bind(st, DB_INT(j->course_id), DB_TEXT(j->role), DB_TEXT(j->item), DB_TEXT(j->answer),
		DB_TEXT(j->explanation ? j->explanation : ""), DB_INT(clock_now_ms()));
	int rc = db_exec_stmt(st, err);
	j->id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

int store_course_question_add(db *d, int64_t course_id, const char *role, const char *item,
			      const char *answer, const char *explanation, json_t **out,
			      cl_error *err)
{
	struct course_job j = {.course_id = course_id,
			       .role = role,
			       .item = item,
			       .answer = answer,
			       .explanation = explanation};
	int rc = db_write(d, question_add_job, &j, err);
	*out = rc ? NULL
		  : json_pack("{s:I,s:I,s:s,s:o}", "id", (json_int_t)j.id, "course_id",
			      (json_int_t)course_id, "role", role, "item", json_text(item));
	return rc;
}

static int from_gold_job(db_conn *c, void *ctx, cl_error *err)
{
	struct course_job *j = ctx;
	sqlite3_stmt *st = db_stmt(c, "SELECT (SELECT kind FROM courses WHERE id = ?1) ="
				      " (SELECT kind FROM projects WHERE id = ?2)");
	db_bind(st, DB_INT(j->course_id), DB_INT(j->project_id));
	bool same = db_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	if (!same)
		return cl_fail(err, CL_EINVAL, NULL, "the project's kind is not the course's");
	st = db_stmt(c,
		     "INSERT INTO course_questions(course_id, role, item, answer, explanation,"
		     " created_at) SELECT ?1, 'exam', json_object('text', i.text, 'width', i.width,"
		     " 'height', i.height, 'item_id', i.id), g.answer, g.explanation, ?3"
		     " FROM gold_items g JOIN items i ON i.id = g.item_id WHERE g.project_id = ?2"
		     " ORDER BY g.item_id");
	db_bind(st, DB_INT(j->course_id), DB_INT(j->project_id), DB_INT(clock_now_ms()));
	int rc = db_exec_stmt(st, err);
	j->added = sqlite3_changes(db_handle(c));
	return rc;
}

int store_course_questions_from_gold(db *d, int64_t course_id, int64_t project_id, int *added,
				     cl_error *err)
{
	struct course_job j = {.course_id = course_id, .project_id = project_id};
	int rc = db_write(d, from_gold_job, &j, err);
	*added = j.added;
	return rc;
}

/* A question's item as a learner sees it: one taken from a project (an "item_id") shows through
 * the course's own asset route, so a learner needs no access to that project and never sees
 * which item it is. Takes `item` (an object of its own) and returns it changed. */
static json_t *shown_item(int64_t course_id, int64_t question_id, json_t *item)
{
	if (!json_is_integer(json_object_get(item, "item_id")))
		return item;
	json_object_del(item, "item_id");
	if (!json_is_string(json_object_get(item, "text"))) {
		char url[96];
		snprintf(url, sizeof url, "/api/v1/courses/%lld/questions/%lld/asset",
			 (long long)course_id, (long long)question_id);
		json_object_del(item, "text");
		json_object_set_new(item, "image_url", json_string(url));
	}
	return item;
}

int64_t store_course_question_item(db *d, int64_t course_id, int64_t question_id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT json_extract(item, '$.item_id')"
				  " FROM course_questions WHERE id = ? AND course_id = ?");
	db_bind(st, DB_INT(question_id), DB_INT(course_id));
	int64_t id = db_one_int(st);
	return id;
}

static json_t *practice_json(sqlite3_stmt *st)
{
	int64_t id = sqlite3_column_int64(st, 0);
	return json_pack(
	    "{s:I,s:o}", "id", (json_int_t)id, "item",
	    shown_item(sqlite3_column_int64(st, 2), id, json_text(db_col_text(st, 1))));
}

#define PRACTICE_QUERY                                                                             \
	"SELECT id, item, course_id FROM course_questions"                                         \
	" WHERE course_id = ?1 AND role = 'practice'"

json_t *store_course_practice(db *d, int64_t course_id, int64_t cursor, int limit, bool desc,
			      int64_t *next)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), DB_PAGE_SQL(desc, PRACTICE_QUERY, "id"));
	return db_owned_page(st, course_id, cursor, limit, desc, practice_json, next);
}

int store_course_practice_answer(db *d, int64_t course_id, int64_t question_id, json_t **item,
				 json_t **answer, char **explanation)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT item, answer, explanation"
				  " FROM course_questions WHERE id = ? AND course_id = ?"
				  " AND role = 'practice'");
	db_bind(st, DB_INT(question_id), DB_INT(course_id));
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*item = json_text(db_col_text(st, 0));
		*answer = json_text(db_col_text(st, 1));
		*explanation = strdup(db_col_text(st, 2));
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

int store_course_exam(db_conn *c, int64_t course_id, int *size, int *cooldown_seconds,
		      double *pass_score)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT exam_size, cooldown_seconds, pass_score FROM courses"
				      " WHERE id = ?");
	db_bind_int(st, 1, course_id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*size = sqlite3_column_int(st, 0);
		*cooldown_seconds = sqlite3_column_int(st, 1);
		*pass_score = sqlite3_column_double(st, 2);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

bool store_qualified(db_conn *c, int64_t user_id, int64_t course_id)
{
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT count(*) FROM qualifications WHERE user_id = ? AND course_id = ?");
	db_bind(st, DB_INT(user_id), DB_INT(course_id));
	return db_one_int(st) > 0;
}

int64_t store_exam_failed_at(db_conn *c, int64_t user_id, int64_t course_id)
{
	sqlite3_stmt *st = db_stmt(c, "SELECT finished_at FROM exam_attempts WHERE user_id = ?"
				      " AND course_id = ? AND finished_at IS NOT NULL AND NOT passed"
				      " ORDER BY id DESC LIMIT 1");
	db_bind(st, DB_INT(user_id), DB_INT(course_id));
	return db_one_int(st);
}

int store_exam_attempt_add(db_conn *c, int64_t course_id, int64_t user_id, int size, int64_t now,
			   int64_t *attempt_id, cl_error *err)
{
	*attempt_id = 0;
	sqlite3_stmt *st =
	    db_stmt(c, "SELECT json_group_array(id) FROM (SELECT id FROM course_questions"
		       " WHERE course_id = ? AND role = 'exam' ORDER BY random() LIMIT ?)");
	db_bind(st, DB_INT(course_id), DB_INT(size));
	char *ids = NULL;
	if (db_step(st) == SQLITE_ROW)
		ids = strdup(db_col_text(st, 0));
	sqlite3_reset(st);
	if (!ids || !strcmp(ids, "[]")) {
		free(ids);
		return 0;
	}
	st = db_stmt(c, "INSERT INTO exam_attempts(course_id, user_id, questions, started_at)"
			" VALUES (?,?,?,?)");
	db_bind(st, DB_INT(course_id), DB_INT(user_id), DB_TEXT(ids), DB_INT(now));
	free(ids);
	int rc = db_exec_stmt(st, err);
	if (!rc)
		*attempt_id = sqlite3_last_insert_rowid(db_handle(c));
	return rc;
}

json_t *store_exam_shown(db *d, int64_t attempt_id, int64_t course_id)
{
	json_t *qs = store_exam_questions(d, attempt_id);
	json_t *shown = json_array();
	size_t i;
	json_t *q;
	/* The answers stay here: the exam is scored on the server. */
	json_array_foreach(qs, i, q)
	{
		int64_t id = json_integer_value(json_object_get(q, "id"));
		json_t *item = json_deep_copy(json_object_get(q, "item"));
		json_array_append_new(
		    shown, json_pack("{s:I,s:o}", "id", (json_int_t)id, "item",
				     shown_item(course_id, id, item ? item : json_object())));
	}
	json_decref(qs);
	return json_pack("{s:I,s:I,s:o}", "attempt_id", (json_int_t)attempt_id, "course_id",
			 (json_int_t)course_id, "questions", shown);
}

int store_exam_attempt(db *d, int64_t attempt_id, int64_t *user_id, int64_t *course_id,
		       bool *finished)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT user_id, course_id, finished_at IS NOT NULL"
				  " FROM exam_attempts WHERE id = ?");
	db_bind_int(st, 1, attempt_id);
	int rc = CL_ENOTFOUND;
	if (db_step(st) == SQLITE_ROW) {
		*user_id = sqlite3_column_int64(st, 0);
		*course_id = sqlite3_column_int64(st, 1);
		*finished = sqlite3_column_int(st, 2);
		rc = 0;
	}
	sqlite3_reset(st);
	return rc;
}

json_t *store_exam_questions(db *d, int64_t attempt_id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT q.id, q.item, q.answer FROM exam_attempts a"
				  " JOIN json_each(a.questions) e"
				  " JOIN course_questions q ON q.id = e.value"
				  " WHERE a.id = ? ORDER BY e.key");
	db_bind_int(st, 1, attempt_id);
	json_t *items = json_array();
	while (db_step(st) == SQLITE_ROW)
		json_array_append_new(items, json_pack("{s:I,s:o,s:o}", "id",
						       (json_int_t)sqlite3_column_int64(st, 0),
						       "item", json_text(db_col_text(st, 1)),
						       "answer", json_text(db_col_text(st, 2))));
	sqlite3_reset(st);
	return items;
}

bool store_exam_attempt_finish(db_conn *c, int64_t attempt_id, double score, bool passed,
			       int64_t now, int64_t *user_id, int64_t *course_id)
{
	sqlite3_stmt *st = db_stmt(c, "UPDATE exam_attempts SET finished_at = ?, score = ?,"
				      " passed = ? WHERE id = ? AND finished_at IS NULL"
				      " RETURNING user_id, course_id");
	db_bind(st, DB_INT(now), DB_REAL(score), DB_INT(passed), DB_INT(attempt_id));
	*user_id = *course_id = 0;
	if (db_step(st) == SQLITE_ROW) {
		*user_id = sqlite3_column_int64(st, 0);
		*course_id = sqlite3_column_int64(st, 1);
	}
	sqlite3_reset(st);
	return *user_id != 0;
}

int store_qualification_add(db_conn *c, int64_t user_id, int64_t course_id, int64_t attempt_id,
			    int64_t now, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "INSERT INTO qualifications(user_id, course_id, granted_at, attempt_id)"
		       " VALUES (?,?,?,?) ON CONFLICT DO NOTHING");
	db_bind(st, DB_INT(user_id), DB_INT(course_id), DB_INT(now), DB_INT(attempt_id));
	return db_exec_stmt(st, err);
}

json_t *store_qualifications(db *d, int64_t user_id)
{
	sqlite3_stmt *st = db_stmt(db_reader(d), "SELECT q.course_id, c.name, c.kind, q.granted_at"
						 " FROM qualifications q JOIN courses c"
						 " ON c.id = q.course_id WHERE q.user_id = ?"
						 " ORDER BY q.course_id");
	db_bind_int(st, 1, user_id);
	json_t *items = json_array();
	while (db_step(st) == SQLITE_ROW) {
		char at[32];
		clock_iso8601(sqlite3_column_int64(st, 3), at);
		json_array_append_new(items, json_pack("{s:I,s:s,s:s,s:s}", "course_id",
						       (json_int_t)sqlite3_column_int64(st, 0),
						       "name", db_col_text(st, 1), "kind",
						       db_col_text(st, 2), "granted_at", at));
	}
	sqlite3_reset(st);
	return items;
}

int64_t store_academy_missing(db *d, int64_t user_id, const quality_settings *s, char name[256])
{
	db_conn *c = db_reader(d);
	for (int i = 0; i < s->n_required; i++) {
		sqlite3_stmt *st = db_stmt(c, "SELECT c.name, EXISTS(SELECT 1 FROM qualifications q"
					      " WHERE q.user_id = ? AND q.course_id = c.id)"
					      " FROM courses c WHERE c.id = ?");
		db_bind(st, DB_INT(user_id), DB_INT(s->required_courses[i]));
		bool missing = false;
		if (db_step(st) == SQLITE_ROW && !sqlite3_column_int(st, 1)) {
			snprintf(name, 256, "%s", db_col_text(st, 0));
			missing = true;
		}
		sqlite3_reset(st);
		if (missing)
			return s->required_courses[i];
	}
	return 0;
}

bool store_user_manages_any_org(db *d, int64_t user_id)
{
	sqlite3_stmt *st =
	    db_stmt(db_reader(d), "SELECT EXISTS(SELECT 1 FROM org_members"
				  " WHERE user_id = ? AND role IN ('owner','manager'))");
	db_bind_int(st, 1, user_id);
	bool yes = db_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
	sqlite3_reset(st);
	return yes;
}
