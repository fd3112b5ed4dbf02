/* The academy's rules: starting an exam, scoring it, and the qualification gate. */
#include "core/academy.h"
#include "core/annotation.h"
#include "core/quality.h"
#include "core/quality_settings.h"
#include "util/clock.h"

struct exam_job {
	const store_ops *ops;
	int64_t course_id, user_id, attempt_id;
	double score;
	bool passed;
};

static int exam_start_job(store_tx *tx, void *ctx, cl_error *err)
{
	struct exam_job *j = ctx;
	int64_t now = clock_now_ms();
	int size, cooldown;
	double pass;
	if (j->ops->course_exam(tx, j->course_id, &size, &cooldown, &pass))
		return cl_fail(err, CL_ENOTFOUND, NULL, "course not found");
	if (j->ops->qualified(tx, j->user_id, j->course_id))
		return cl_fail(err, CL_ECONFLICT, "already_qualified",
			       "you already passed this course");
	int64_t failed_at = j->ops->exam_failed_at(tx, j->user_id, j->course_id);
	int64_t retry_at = failed_at + (int64_t)cooldown * 1000;
	if (failed_at && retry_at > now) {
		char at[32];
		clock_iso8601(retry_at, at);
		return cl_fail(err, CL_ECONFLICT, "exam_cooldown",
			       "you may retry the exam after %s", at);
	}
	int rc =
	    j->ops->exam_attempt_add(tx, j->course_id, j->user_id, size, now, &j->attempt_id, err);
	if (!rc && !j->attempt_id)
		return cl_fail(err, CL_ECONFLICT, "no_exam",
			       "the course has no exam questions yet");
	return rc;
}

int exam_start(const store *s, int64_t course_id, int64_t user_id, int64_t *attempt_id,
	       cl_error *err)
{
	struct exam_job j = {.ops = s->ops, .course_id = course_id, .user_id = user_id};
	int rc = s->ops->write(s->db, exam_start_job, &j, err);
	*attempt_id = rc ? 0 : j.attempt_id;
	return rc;
}

/* The score of one answer to question q: its gold score when it is a valid annotation of the
 * question's item, else 0. */
static double answer_score(const project *cp, const json_t *q, const json_t *ann)
{
	const json_t *item = json_object_get(q, "item");
	item_facts f = {.type = task_kind_item_type(cp->kind),
			.text = json_string_value(json_object_get(item, "text")),
			.width = json_integer_value(json_object_get(item, "width")),
			.height = json_integer_value(json_object_get(item, "height"))};
	cl_error ignored;
	if (!json_is_object(ann) || annotation_validate(cp, &f, ann, &ignored))
		return 0;
	return quality_gold_score(cp->kind, json_object_get(q, "answer"), ann);
}

/* The answer given to question `id`, NULL when none. */
static const json_t *answer_to(const json_t *answers, json_int_t id)
{
	size_t k;
	json_t *e;
	json_array_foreach(answers, k, e)
	{
		if (json_integer_value(json_object_get(e, "question_id")) == id)
			return json_object_get(e, "annotation");
	}
	return NULL;
}

double exam_score(const project *cp, const json_t *questions, const json_t *answers)
{
	size_t n = json_array_size(questions), i;
	double sum = 0;
	json_t *q;
	json_array_foreach(questions, i, q)
	{
		const json_t *ann =
		    answer_to(answers, json_integer_value(json_object_get(q, "id")));
		if (ann)
			sum += answer_score(cp, q, ann);
	}
	return n ? sum / (double)n : 0;
}

static int exam_finish_job(store_tx *tx, void *ctx, cl_error *err)
{
	struct exam_job *j = ctx;
	int64_t now = clock_now_ms(), user, course;
	int size, cooldown;
	double pass;
	if (j->ops->course_exam(tx, j->course_id, &size, &cooldown, &pass))
		return cl_fail(err, CL_ENOTFOUND, NULL, "course not found");
	j->passed = j->score >= pass - 1e-9;
	if (!j->ops->exam_attempt_finish(tx, j->attempt_id, j->score, j->passed, now, &user,
					 &course))
		return cl_fail(err, CL_ECONFLICT, "exam_finished",
			       "this attempt is already scored");
	return j->passed ? j->ops->qualification_add(tx, user, course, j->attempt_id, now, err) : 0;
}

int exam_submit(const store *s, int64_t attempt_id, int64_t course_id, bool finished,
		const json_t *answers, double *score, bool *passed, cl_error *err)
{
	if (finished)
		return cl_fail(err, CL_ECONFLICT, "exam_finished",
			       "this attempt is already scored");
	project cp;
	project_init(&cp);
	int rc = s->ops->course_project(s->db, course_id, &cp);
	if (rc) {
		project_release(&cp);
		return cl_fail(err, CL_ENOTFOUND, NULL, "course not found");
	}
	json_t *qs = s->ops->exam_questions(s->db, attempt_id);
	struct exam_job j = {.ops = s->ops,
			     .course_id = course_id,
			     .attempt_id = attempt_id,
			     .score = exam_score(&cp, qs, answers)};
	json_decref(qs);
	project_release(&cp);
	rc = s->ops->write(s->db, exam_finish_job, &j, err);
	*score = j.score;
	*passed = j.passed;
	return rc;
}

int64_t academy_gate(const store *s, const project *p, int64_t user_id, bool manages,
		     char name[256])
{
	if (manages)
		return 0;
	quality_settings q;
	quality_settings_read(s, p->id, &q);
	return s->ops->course_missing(s->db, user_id, &q, name);
}
