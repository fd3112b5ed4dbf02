/* Unit tests of core/annotation. Most cases are data: each .json file under
 * tests/data/annotation/ holds a ProjectInput (applied as a new project), an item
 * ({"type":"text","text"} or {"type":"image","width","height"}) and a list of cases, each an
 * annotation with either "ok": true or "error": a piece of the expected message; a case may
 * bring its own "item". Hand-written cases cover messages built from long or odd user strings,
 * and the cap on parts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "core/annotation.h"
#include "core/llm_item.h"
#include "util/buf.h"

/* Texts the cases' "data" items were written to, freed after each file. */
static json_t *data_texts;

/* Reads an item description; returns false when it is not one. An LLM item may be given as
 * {"type":"text","data":{...}}: its document, stored as its text like the importer does. */
static bool item_from_json(const json_t *j, item_facts *item)
{
	const char *type = json_string_value(json_object_get(j, "type"));
	memset(item, 0, sizeof *item);
	const json_t *data = json_object_get(j, "data");
	if (type && strcmp(type, "text") == 0 && data) {
		char *text = json_dumps(data, JSON_COMPACT | JSON_SORT_KEYS);
		if (!data_texts)
			data_texts = json_array();
		json_array_append_new(data_texts, json_string(text));
		free(text);
		item->type = ITEM_TEXT;
		item->text =
		    json_string_value(json_array_get(data_texts, json_array_size(data_texts) - 1));
		return item->text != NULL;
	}
	if (type && strcmp(type, "text") == 0) {
		item->type = ITEM_TEXT;
		item->text = json_string_value(json_object_get(j, "text"));
		return item->text != NULL;
	}
	if (type && strcmp(type, "image") == 0) {
		item->type = ITEM_IMAGE;
		item->width = json_integer_value(json_object_get(j, "width"));
		item->height = json_integer_value(json_object_get(j, "height"));
		return true;
	}
	return false;
}

/* Runs one case; on a mismatch appends a line to `problems`. */
static void run_case(const project *p, const item_facts *file_item, const json_t *c, size_t index,
		     buf *problems)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	char label[160];
	snprintf(label, sizeof label, "case %zu (%s)", index, name ? name : "unnamed");
	const json_t *annotation = json_object_get(c, "annotation");
	const json_t *want_error = json_object_get(c, "error");
	bool want_ok = json_is_true(json_object_get(c, "ok"));
	if (!annotation || want_ok == (want_error != NULL)) {
		buf_printf(problems, "%s: needs \"annotation\" and one of \"ok\" or \"error\"\n",
			   label);
		return;
	}
	item_facts item = *file_item;
	const json_t *own = json_object_get(c, "item");
	if (own && !item_from_json(own, &item)) {
		buf_printf(problems, "%s: bad \"item\"\n", label);
		return;
	}
	cl_error err;
	memset(&err, 0, sizeof err);
	int rc = annotation_validate(p, &item, annotation, &err);
	if (want_ok) {
		if (rc)
			buf_printf(problems, "%s: want ok, got %d: %s\n", label, rc, err.message);
		return;
	}
	if (rc != CL_EANNOTATION) {
		buf_printf(problems, "%s: want CL_EANNOTATION, got %d\n", label, rc);
		return;
	}
	if (err.code != CL_EANNOTATION)
		buf_printf(problems, "%s: err.code %d\n", label, err.code);
	if (!strstr(err.message, json_string_value(want_error)))
		buf_printf(problems, "%s: want \"%s\" in \"%s\"\n", label,
			   json_string_value(want_error), err.message);
	/* The message goes out in a JSON body: it must be a valid string. */
	json_t *s = json_string(err.message);
	if (!s)
		buf_printf(problems, "%s: message is not valid UTF-8\n", label);
	json_decref(s);
}

static void test_file(void **state)
{
	const char *name = *state;
	json_t *doc = cases_load_json("annotation", name);
	project p;
	project_init(&p);
	cl_error err;
	memset(&err, 0, sizeof err);
	int rc = project_apply_json(&p, json_object_get(doc, "project"), true, &err);
	item_facts item;
	bool item_ok = item_from_json(json_object_get(doc, "item"), &item);
	const json_t *cases = json_object_get(doc, "cases");
	buf problems;
	buf_init(&problems, 0);
	if (rc)
		buf_printf(&problems, "bad project: %s\n", err.message);
	else if (!item_ok)
		buf_puts(&problems, "bad item\n");
	else if (!json_is_array(cases) || json_array_size(cases) == 0)
		buf_puts(&problems, "no cases\n");
	else
		for (size_t i = 0; i < json_array_size(cases); i++)
			run_case(&p, &item, json_array_get(cases, i), i, &problems);
	bool ok = problems.len == 0;
	if (!ok)
		print_error("%s:\n%s", name, problems.data);
	buf_release(&problems);
	project_release(&p);
	json_decref(doc);
	json_decref(data_texts);
	data_texts = NULL;
	assert_true(ok);
}

static void make_project(project *p, const char *input)
{
	json_t *in = json_loads(input, 0, NULL);
	assert_non_null(in);
	project_init(p);
	cl_error err;
	assert_int_equal(project_apply_json(p, in, true, &err), 0);
	json_decref(in);
}

static void test_long_labels_in_messages(void **state)
{
	(void)state;
	project p;
	make_project(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"text_class\",\"labels\":[\"a\"]}");
	item_facts item = {.type = ITEM_TEXT, .text = "t"};
	/* 300 three-byte characters: the message is cut at a character boundary. */
	buf b;
	buf_init(&b, 0);
	for (int i = 0; i < 300; i++)
		buf_puts(&b, "\xed\x95\x9c");
	json_t *a = json_pack("{s:[s]}", "labels", b.data);
	cl_error err;
	assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "...\" is not in the project's label set"));
	json_t *s = json_string(err.message);
	assert_non_null(s);
	json_decref(s);
	json_decref(a);
	/* Control characters and unknown keys are shown tamed. */
	a = json_pack("{s:[s]}", "labels", "a\nb\x1b");
	assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "label \"a?b?\""));
	json_decref(a);
	a = json_pack("{s:[s],s:i}", "labels", "a", b.data, 1);
	assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "unknown key \""));
	s = json_string(err.message);
	assert_non_null(s);
	json_decref(s);
	json_decref(a);
	/* A label holding NUL is never in the set, even when its prefix is. */
	a = json_object();
	json_t *labels = json_array();
	json_array_append_new(labels, json_stringn("a\0b", 3));
	json_object_set_new(a, "labels", labels);
	assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "is not in the project's label set"));
	json_decref(a);
	buf_release(&b);
	project_release(&p);
}

static void test_parts_cap(void **state)
{
	(void)state;
	project p;
	make_project(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"text_spans\",\"labels\":[\"X\"]}");
	item_facts item = {.type = ITEM_TEXT, .text = "abc"};
	json_t *spans = json_array();
	for (int i = 0; i < ANNOTATION_MAX_PARTS; i++)
		json_array_append_new(
		    spans, json_pack("{s:i,s:i,s:s}", "start", 0, "end", 3, "label", "X"));
	json_t *a = json_pack("{s:O}", "spans", spans);
	cl_error err;
	assert_int_equal(annotation_validate(&p, &item, a, &err), 0);
	json_array_append_new(spans,
			      json_pack("{s:i,s:i,s:s}", "start", 0, "end", 3, "label", "X"));
	assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "spans may hold at most 10000 entries"));
	json_decref(a);
	json_decref(spans);
	project_release(&p);
}

static void test_null_err(void **state)
{
	(void)state;
	project p;
	make_project(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"image_class\",\"labels\":[\"a\"]}");
	item_facts item = {.type = ITEM_IMAGE, .width = 1, .height = 1};
	json_t *a = json_pack("{s:[s]}", "labels", "b");
	assert_int_equal(annotation_validate(&p, &item, a, NULL), CL_EANNOTATION);
	json_decref(a);
	project_release(&p);
}

/* With a task, "order" must be the order that task showed: llm_response_order of its id. */
static void test_shown_order(void **state)
{
	(void)state;
	project p;
	make_project(&p, "{\"org_id\":1,\"name\":\"n\",\"kind\":\"llm_preference\","
			 "\"criteria\":[{\"name\":\"h\"}]}");
	const char *text = "{\"prompt\":\"p\",\"responses\":[{\"id\":\"a\",\"text\":\"1\"},"
			   "{\"id\":\"b\",\"text\":\"2\"},{\"id\":\"c\",\"text\":\"3\"}]}";
	json_t *doc = llm_item_parse(text, KIND_LLM_PREFERENCE);
	assert_non_null(doc);
	bool orders_differ = false;
	for (int64_t task = 1; task <= 12; task++) {
		json_t *shown = llm_response_order(task, doc);
		json_t *again = llm_response_order(task, doc);
		assert_true(json_equal(shown, again)); /* the same on every read */
		json_t *first = llm_response_order(1, doc);
		orders_differ |= !json_equal(first, shown);
		json_decref(first);
		item_facts item = {.type = ITEM_TEXT, .text = text, .task_id = task};
		json_t *a = json_pack("{s:s,s:O,s:{s:{s:i},s:{s:i},s:{s:i}}}", "best", "a", "order",
				      shown, "ratings", "a", "h", 1, "b", "h", 2, "c", "h", 3);
		cl_error err;
		assert_int_equal(annotation_validate(&p, &item, a, &err), 0);
		/* Reversed, it is another order than the one shown. */
		json_t *rev = json_array();
		for (size_t i = json_array_size(shown); i-- > 0;)
			json_array_append(rev, json_array_get(shown, i));
		json_object_set_new(a, "order", rev);
		assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
		assert_non_null(strstr(err.message, "order must be the task's response_order"));
		json_decref(a);
		json_decref(shown);
		json_decref(again);
	}
	assert_true(orders_differ); /* 12 tasks do not all show one order */
	json_decref(doc);
	project_release(&p);
}

static void test_rubric(void **state)
{
	(void)state;
	project p;
	make_project(&p, "{\"org_id\":1,\"name\":\"n\",\"kind\":\"llm_response\",\"scale\":7,"
			 "\"rubric\":[{\"name\":\"accuracy\"},{\"name\":\"tone\"}]}");
	cl_error err;
	json_t *r = json_pack("{s:i,s:i}", "accuracy", 7, "tone", 1);
	assert_int_equal(annotation_rubric_check(&p, r, &err), 0);
	json_object_set_new(r, "tone", json_integer(8));
	assert_int_equal(annotation_rubric_check(&p, r, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "rubric.tone must be an integer from 1 to 7"));
	json_object_del(r, "tone");
	assert_int_equal(annotation_rubric_check(&p, r, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "rubric.tone is required"));
	json_object_set_new(r, "tone", json_integer(2));
	json_object_set_new(r, "style", json_integer(2));
	assert_int_equal(annotation_rubric_check(&p, r, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "\"style\" is not a criterion"));
	json_decref(r);
	project_release(&p);
	make_project(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"text_class\",\"labels\":[\"a\"]}");
	r = json_object();
	assert_int_equal(annotation_rubric_check(&p, r, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "rubric applies only to llm_response"));
	json_decref(r);
	project_release(&p);
}

/* At most ANNOTATION_MAX_LINES lines, each at most ANNOTATION_MAX_LINE_CHARS characters. */
static void test_transcription_caps(void **state)
{
	(void)state;
	project p;
	make_project(&p, "{\"org_id\":1,\"name\":\"n\",\"kind\":\"image_transcription\"}");
	item_facts item = {.type = ITEM_IMAGE, .width = 10, .height = 10};
	json_t *lines = json_array();
	for (int i = 0; i < ANNOTATION_MAX_LINES; i++)
		json_array_append_new(lines, json_pack("{s:s}", "text", "x"));
	json_t *a = json_pack("{s:O}", "lines", lines);
	cl_error err;
	assert_int_equal(annotation_validate(&p, &item, a, &err), 0);
	json_array_append_new(lines, json_pack("{s:s}", "text", "x"));
	assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "lines may hold at most 1000 entries"));
	json_array_clear(lines);
	buf b;
	buf_init(&b, 0);
	for (int i = 0; i < ANNOTATION_MAX_LINE_CHARS; i++)
		buf_puts(&b, "\xea\xb0\x80"); /* 가: three bytes, one character */
	json_array_append_new(lines, json_pack("{s:s}", "text", b.data));
	assert_int_equal(annotation_validate(&p, &item, a, &err), 0);
	buf_puts(&b, "a");
	json_array_set_new(lines, 0, json_pack("{s:s}", "text", b.data));
	assert_int_equal(annotation_validate(&p, &item, a, &err), CL_EANNOTATION);
	assert_non_null(strstr(err.message, "lines[0].text may be at most 10000 characters"));
	buf_release(&b);
	json_decref(a);
	json_decref(lines);
	project_release(&p);
}

static bool is_case(const char *name)
{
	size_t len = strlen(name);
	return len >= 5 && strcmp(name + len - 5, ".json") == 0;
}

int main(void)
{
	static const struct CMUnitTest fixed[] = {
	    cmocka_unit_test(test_long_labels_in_messages),
	    cmocka_unit_test(test_parts_cap),
	    cmocka_unit_test(test_null_err),
	    cmocka_unit_test(test_shown_order),
	    cmocka_unit_test(test_rubric),
	    cmocka_unit_test(test_transcription_caps),
	};
	int failed = cmocka_run_group_tests(fixed, NULL, NULL);

	failed += cases_run("annotation", is_case, test_file, 1);
	return failed ? 1 : 0;
}
