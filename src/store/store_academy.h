/* The academy in SQL (store_academy.c): courses with lessons and questions, practice, exams and the
 * qualifications they grant. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_ACADEMY_H
#define CROWDLOOP_STORE_STORE_ACADEMY_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "core/quality_types.h"
#include "store/db.h"
#include "util/err.h"

typedef struct course_new {
	task_kind kind;
	const char *name, *lesson;
	const char *labels; /* JSON array text */
	bool multi_label;
	double pass_score;
	int exam_size;
	int cooldown_seconds;
} course_new;

int store_course_create(db *d, const course_new *c, int64_t actor, json_t **out, cl_error *err);
/* A course for a user: lesson, counts and the user's standing (qualified, retry_at). */
json_t *store_course_get(db *d, int64_t course_id, int64_t user_id);
/* A page of courses in id order after `cursor` (0: from the start), without their lessons;
 * *next is the cursor of the page after, 0 at the end. */
json_t *store_courses_list(db *d, int64_t user_id, int64_t cursor, int limit, int64_t *next);
/* The course's kind, labels and multi_label, to validate answers; CL_ENOTFOUND. */
int store_course_project(db *d, int64_t course_id, project *p);
/* Adds a question (answers validated by the caller). */
int store_course_question_add(db *d, int64_t course_id, const char *role, const char *item,
			      const char *answer, const char *explanation, json_t **out,
			      cl_error *err);
/* Copies a project's gold items as exam questions; *added the count. */
int store_course_questions_from_gold(db *d, int64_t course_id, int64_t project_id, int *added,
				     cl_error *err);
/* The project item a question of course_id shows (one added with an "item_id"), 0 when none. */
int64_t store_course_question_item(db *d, int64_t course_id, int64_t question_id);
/* A page of a course's practice questions, without answers, in id order after `cursor`; *next as
 * for db_page. New reference. */
json_t *store_course_practice(db *d, int64_t course_id, int64_t cursor, int limit, bool desc,
			      int64_t *next);
/* A practice question's item, answer and explanation (new references in *q); CL_ENOTFOUND. */
int store_course_practice_answer(db *d, int64_t course_id, int64_t question_id, json_t **item,
				 json_t **answer, char **explanation);
/* The rows of an exam (store/ops.h documents each as its slot): a course's exam settings, a
 * qualification held, the last failed attempt's end, a new attempt on questions drawn at random
 * (*attempt_id 0 when the course has none), an attempt finished once, a qualification granted. */
int store_course_exam(db_conn *c, int64_t course_id, int *size, int *cooldown_seconds,
		      double *pass_score);
bool store_qualified(db_conn *c, int64_t user_id, int64_t course_id);
int64_t store_exam_failed_at(db_conn *c, int64_t user_id, int64_t course_id);
int store_exam_attempt_add(db_conn *c, int64_t course_id, int64_t user_id, int size, int64_t now,
			   int64_t *attempt_id, cl_error *err);
bool store_exam_attempt_finish(db_conn *c, int64_t attempt_id, double score, bool passed,
			       int64_t now, int64_t *user_id, int64_t *course_id);
int store_qualification_add(db_conn *c, int64_t user_id, int64_t course_id, int64_t attempt_id,
			    int64_t now, cl_error *err);
/* An attempt as its taker sees it: its questions without their answers (ExamAttempt). */
json_t *store_exam_shown(db *d, int64_t attempt_id, int64_t course_id);
/* The attempt's user, course and whether it is finished. */
int store_exam_attempt(db *d, int64_t attempt_id, int64_t *user_id, int64_t *course_id,
		       bool *finished);
/* The attempt's questions with answers, for scoring: [{"id","item","answer"}]. */
json_t *store_exam_questions(db *d, int64_t attempt_id);
/* The user's qualifications. */
json_t *store_qualifications(db *d, int64_t user_id);
/* The first course of `s` the user lacks (0 when none) and its name. */
int64_t store_academy_missing(db *d, int64_t user_id, const quality_settings *s, char name[256]);
/* True when the user is an owner or manager of some org (may author courses). */
bool store_user_manages_any_org(db *d, int64_t user_id);

#endif
