/* The errors planted in honeypots of the LLM and transcription kinds (core/honeypot.c), case by
 * case from tests/data/honeypot/<kind>.json: each planted answer is still a valid answer for
 * the project, differs from the gold one, and (where gold is scored) fails as gold would; a
 * case's "want" names fields the planted answer must hold, or null when none can be planted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cases.h"
#include "core/annotation.h"
#include "core/honeypot.h"
#include "core/quality.h"
#include "util/buf.h"

/* Checks one case; problems appended to `problems`. */
static void run_case(const project *p, const item_facts *item, const json_t *c, buf *problems)
{
	const char *name = json_string_value(json_object_get(c, "name"));
	const json_t *gold = json_object_get(c, "gold"), *want = json_object_get(c, "want");
	json_t *bad = honeypot_plant_error(
	    p->kind, gold, p->labels, (uint32_t)json_integer_value(json_object_get(c, "pick")));
	if (json_is_null(want)) {
		if (bad)
			buf_printf(problems, "%s: want nothing planted, got one\n", name);
		json_decref(bad);
		return;
	}
	if (!bad) {
		buf_printf(problems, "%s: nothing planted\n", name);
		return;
	}
	cl_error err = {0};
	if (annotation_validate(p, item, bad, &err))
		buf_printf(problems, "%s: planted answer invalid: %s\n", name, err.message);
	if (json_equal(bad, gold))
		buf_printf(problems, "%s: planted answer equals the gold one\n", name);
	if (p->kind != KIND_LLM_RESPONSE && quality_gold_score(p->kind, gold, bad) >= 1)
		buf_printf(problems, "%s: planted answer passes as gold\n", name);
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)want, key, v) if (!json_equal(json_object_get(bad, key), v))
	{
		char *got = json_dumps(json_object_get(bad, key), JSON_COMPACT | JSON_ENCODE_ANY);
		buf_printf(problems, "%s: %s is %s\n", name, key, got ? got : "missing");
		free(got);
	}
	json_decref(bad);
}

static void test_file(void **state)
{
	const char *name = *state;
	json_t *doc = cases_load_json("honeypot", name);
	project p;
	project_init(&p);
	cl_error err = {0};
	assert_int_equal(project_apply_json(&p, json_object_get(doc, "project"), true, &err), 0);
	const json_t *it = json_object_get(doc, "item");
	char *text = json_object_get(it, "width") ? NULL : json_dumps(it, JSON_COMPACT);
	item_facts item = {.type = text ? ITEM_TEXT : ITEM_IMAGE,
			   .text = text,
			   .width = json_integer_value(json_object_get(it, "width")),
			   .height = json_integer_value(json_object_get(it, "height"))};
	buf problems;
	buf_init(&problems, 0);
	const json_t *cases = json_object_get(doc, "cases");
	for (size_t i = 0; i < json_array_size(cases); i++)
		run_case(&p, &item, json_array_get(cases, i), &problems);
	bool ok = problems.len == 0;
	if (!ok)
		print_error("%s:\n%s", name, problems.data);
	buf_release(&problems);
	free(text);
	project_release(&p);
	json_decref(doc);
	assert_true(ok);
}

int main(void)
{
	return cases_run("honeypot", NULL, test_file, 3);
}
