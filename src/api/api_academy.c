/* The academy over HTTP: courses with a lesson, practice questions that show the answer and
 * its explanation after each try, an exam scored on the server with a pass score and a retry
 * cooldown, the qualifications passing grants, and the gate that keeps unqualified workers
 * from claiming tasks of a project that requires a course. */
#include "api/api.h"
#include "core/gold.h"
#include "core/academy.h"
#include "core/annotation.h"
#include "core/quality.h"
#include "store/store_quality.h"
#include "util/json.h"

#include <stdlib.h>
#include <string.h>

int api_academy_gate(http_request *r, const project *p, unsigned rights)
{
	char name[256];
	int64_t course =
	    academy_gate(&api_app(r)->store, p, r->user.id, rights & ACCESS_MANAGE, name);
	if (!course)
		return 0;
	r->err_detail = json_pack("{s:I}", "course_id", (json_int_t)course);
	return http_fail(r, CL_EFORBIDDEN, "qualification_required",
			 "this project requires course %lld (\"%.120s\"): pass its exam at "
			 "/api/v1/courses/%lld",
			 (long long)course, name, (long long)course);
}

int api_courses_create(http_request *r)
{
	app *a = api_app(r);
	json_t *body = NULL, *out = NULL;
	course_new c = {.pass_score = 0.8, .exam_size = 10, .cooldown_seconds = 3600, .lesson = ""};
	char *labels = NULL;
	project tmp;
	project_init(&tmp);
	int rc = http_body_json(r, &body);
	const char *kind = json_string_value(json_object_get(body, "kind"));
	const char *name = json_string_value(json_object_get(body, "name"));
	if (!rc)
		task_kind_parse(kind, &c.kind); /* one of task_kind_names (routes.c) */
	if (!rc && (!name[0] || strlen(name) > 200))
		rc = http_fail(r, CL_EINVAL, NULL, "\"name\" must be 1..200 bytes");
	if (!rc && !gold_kind_takes_gold(c.kind))
		rc = http_fail(r, CL_EINVAL, NULL, "%s courses cannot be scored: free text has no one"
			       " right answer", task_kind_name(c.kind));
	if (rc)
		goto out;
	c.name = name;
	/* Labels are checked by the project rules they mirror. */
	json_t *pin = json_pack("{s:s,s:s,s:I}", "name", name, "kind", kind, "org_id",
				(json_int_t)1);
	/* Absent labels are refused where the kind needs them; the LLM kinds take none. */
	if (json_object_get(body, "labels"))
		json_object_set(pin, "labels", json_object_get(body, "labels"));
	if (json_object_get(body, "multi_label"))
		json_object_set(pin, "multi_label", json_object_get(body, "multi_label"));
	rc = project_apply_json(&tmp, pin, true, &r->err);
	json_decref(pin);
	if (rc)
		goto out;
	labels = json_dumps(tmp.labels, JSON_OUT);
	c.labels = labels;
	c.multi_label = tmp.multi_label;
	json_t *v = json_object_get(body, "lesson");
	if (v && json_string_length(v) > PROJECT_MAX_INSTRUCTIONS) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"lesson\" must be markdown up to 64 KiB");
		goto out;
	}
	if (v)
		c.lesson = json_string_value(v);
	v = json_object_get(body, "pass_score");
	if (v && (json_number_value(v) <= 0 || json_number_value(v) > 1)) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"pass_score\" must be in (0,1]");
		goto out;
	}
	if (v)
		c.pass_score = json_number_value(v);
	v = json_object_get(body, "exam_size");
	if (v && (json_integer_value(v) < 1 || json_integer_value(v) > 500)) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"exam_size\" must be in 1..500");
		goto out;
	}
	if (v)
		c.exam_size = (int)json_integer_value(v);
	v = json_object_get(body, "cooldown_seconds");
	if (v && (json_integer_value(v) < 0 || json_integer_value(v) > 30 * 86400)) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"cooldown_seconds\" must be in 0..2592000");
		goto out;
	}
	if (v)
		c.cooldown_seconds = (int)json_integer_value(v);
	rc = store_course_create(a->db, &c, r->user.id, &out, &r->err);
	if (!rc)
		http_json(r, 201, out);
out:
	free(labels);
	project_release(&tmp);
	json_decref(body);
	return rc;
}

int api_courses_list(http_request *r)
{
	return api_my_page(r, store_courses_list);
}

int api_courses_get(http_request *r)
{
	json_t *o = store_course_get(api_app(r)->db, r->ids[0], r->user.id);
	/* Gone since dispatch found it: as missing. */
	if (!o)
		return http_fail(r, CL_ENOTFOUND, NULL, "course not found");
	http_json(r, 200, o);
	return 0;
}

/* Validates `ann` as an answer to a question whose item is `item` ({"text"} or
 * {"width","height"}) in course project cp. */
static int check_answer(http_request *r, const project *cp, const json_t *item,
			const json_t *ann)
{
	if (!json_is_object(ann))
		return http_fail(r, CL_EANNOTATION, NULL, "the answer must be an object");
	item_facts f = {.type = task_kind_item_type(cp->kind),
			.text = json_string_value(json_object_get(item, "text")),
			.width = json_integer_value(json_object_get(item, "width")),
			.height = json_integer_value(json_object_get(item, "height"))};
	return annotation_validate(cp, &f, ann, &r->err);
}

/* A question made from an item of a project the caller manages ({"item_id"}): *out gets what
 * the question stores, {"item_id","width","height"} or {"item_id","text"}. */
static int project_item(http_request *r, const project *cp, const json_t *in, json_t **out)
{
	json_t *id = json_object_get(in, "item_id");
	if (!json_is_integer(id) || json_object_size(in) != 1)
		return http_fail(r, CL_EINVAL, NULL, "{\"item_id\"} takes an item id and nothing else");
	int64_t project_id;
	json_t *item = store_item_get(api_app(r)->db, json_integer_value(id), &project_id);
	if (!item)
		return http_fail(r, CL_ENOTFOUND, NULL, "item not found");
	project p;
	project_init(&p);
	int rc = api_project_access(r, project_id, ACCESS_MANAGE, &p, NULL);
	project_release(&p);
	if (rc) {
		json_decref(item);
		/* Someone who may not manage the item's project learns nothing of it. */
		return rc == CL_EFORBIDDEN ? http_fail(r, CL_ENOTFOUND, NULL, "item not found") : rc;
	}
	const char *type = json_string_value(json_object_get(item, "type"));
	if (!type || strcmp(type, task_kind_item_type(cp->kind) == ITEM_IMAGE ? "image" : "text")) {
		json_decref(item);
		return http_fail(r, CL_EINVAL, NULL, "the item is not of the course's kind");
	}
	*out = !strcmp(type, "image")
		       ? json_pack("{s:O,s:O,s:O}", "item_id", id, "width",
				   json_object_get(item, "width"), "height",
				   json_object_get(item, "height"))
		       : json_pack("{s:O,s:O}", "item_id", id, "text", json_object_get(item, "text"));
	json_decref(item);
	return *out ? 0 : CL_ENOMEM;
}

int api_courses_question_asset(http_request *r)
{
	/* Courses are open to every signed-in user, and so are the items their questions show. */
	int64_t item = store_course_question_item(api_app(r)->db, r->ids[0], r->ids[1]);
	if (!item)
		return http_fail(r, CL_ENOTFOUND, NULL, "the question shows no item");
	return api_item_asset_send(r, item);
}

int api_courses_question_add(http_request *r)
{
	app *a = api_app(r);
	const project *cp = &api_scope_of(r)->project;
	json_t *body = NULL, *out = NULL;
	char *item = NULL, *answer = NULL;
	int rc = http_body_json(r, &body);
	const char *role = json_string_value(json_object_get(body, "role"));
	if (rc)
		goto out;
	json_t *from = json_object_get(body, "from_project");
	if (from) {
		/* Exam questions copied from a project's gold items, for its managers. */
		project p;
		project_init(&p);
		if (!json_is_integer(from) || strcmp(role, "exam"))
			rc = http_fail(r, CL_EINVAL, NULL, "\"from_project\" takes a project id, with"
				       " role exam");
		if (!rc)
			rc = api_project_access(r, json_integer_value(from), ACCESS_MANAGE, &p, NULL);
		int added = 0;
		if (!rc)
			rc = store_course_questions_from_gold(a->db, cp->id, p.id, &added, &r->err);
		if (!rc)
			http_json(r, 201, json_pack("{s:i}", "added", added));
		project_release(&p);
		goto out;
	}
	json_t *it = json_object_get(body, "item"), *ans = json_object_get(body, "answer");
	json_t *expl = json_object_get(body, "explanation");
	if (!json_is_object(it)) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"item\" must be an object ({\"text\"},"
			       " {\"item_id\"} or {\"width\",\"height\",\"image_url\"})");
		goto out;
	}
	json_t *from_item = NULL;
	if (json_object_get(it, "item_id")) {
		if ((rc = project_item(r, cp, it, &from_item)))
			goto out;
		it = from_item;
		json_object_set_new(body, "item", from_item); /* owned by body from here */
	}
	if (expl && !json_is_string(expl)) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"explanation\" must be a string");
		goto out;
	}
	if ((rc = check_answer(r, cp, it, ans)))
		goto out;
	item = json_dumps(it, JSON_OUT);
	answer = json_dumps(ans, JSON_OUT);
	rc = store_course_question_add(a->db, cp->id, role, item, answer,
				       expl ? json_string_value(expl) : "", &out, &r->err);
	if (!rc)
		http_json(r, 201, out);
out:
	free(item);
	free(answer);
	json_decref(body);
	return rc;
}

int api_courses_practice(http_request *r)
{
	return api_list_page(r, store_course_practice, r->ids[0]);
}

int api_courses_practice_try(http_request *r)
{
	const project *cp = &api_scope_of(r)->project;
	json_t *body = NULL, *item = NULL, *answer = NULL;
	char *expl = NULL;
	int rc = 0;
	if (store_course_practice_answer(api_app(r)->db, r->ids[0], r->ids[1], &item, &answer,
					 &expl)) {
		rc = http_fail(r, CL_ENOTFOUND, NULL, "practice question not found");
		goto out;
	}
	rc = http_body_json(r, &body);
	json_t *ann = json_object_get(body, "annotation");
	if (!rc)
		rc = check_answer(r, cp, item, ann);
	if (!rc) {
		double score = quality_gold_score(cp->kind, answer, ann);
		/* Practice teaches: the answer and why come back after every try. */
		http_json(r, 200, json_pack("{s:b,s:f,s:O,s:s}", "correct", score >= 1.0 - 1e-9,
					    "score", score, "answer", answer, "explanation", expl));
	}
out:
	free(expl);
	json_decref(item);
	json_decref(answer);
	json_decref(body);
	return rc;
}

int api_courses_exam_start(http_request *r)
{
	int64_t attempt;
	int rc = exam_start(&api_app(r)->store, r->ids[0], r->user.id, &attempt, &r->err);
	json_t *out = rc ? NULL : store_exam_shown(api_app(r)->db, attempt, r->ids[0]);
	if (!rc && !out)
		rc = http_fail(r, CL_EINTERNAL, NULL, "the attempt could not be read back");
	if (!rc)
		http_json(r, 201, out);
	return rc;
}

int api_exams_submit(http_request *r)
{
	api_scope *s = api_scope_of(r);
	json_t *body = NULL;
	double score = 0;
	bool passed = false;
	int rc = http_body_json(r, &body);
	if (!rc)
		rc = exam_submit(&api_app(r)->store, r->ids[0], s->course_id, s->finished,
				 json_object_get(body, "answers"), &score, &passed, &r->err);
	if (!rc)
		http_json(r, 200,
			  json_pack("{s:I,s:f,s:b,s:b}", "attempt_id", (json_int_t)r->ids[0],
				    "score", score, "passed", passed, "qualified", passed));
	json_decref(body);
	return rc;
}

int api_me_qualifications(http_request *r)
{
	http_json_page(r, store_qualifications(api_app(r)->db, r->user.id), NULL);
	return 0;
}
