/* Unit tests of core/project: kind and item type names, the defaults, applying ProjectInput
 * objects (every field's range and type, unknown and read-only fields, the rules between
 * fields, creating versus patching, and that a refused input changes nothing), label lookup,
 * and the Project JSON the API answers with. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/project.h"
#include "util/buf.h"

static json_t *parse(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	if (!j)
		fail_msg("bad test JSON: %s: %s", e.text, text);
	return j;
}

/* Applies `input` and checks the result: 0, or CL_EINVAL with `message` in the text. */
static void apply_expect(project *p, const char *input, bool creating, const char *message)
{
	json_t *in = parse(input);
	cl_error err = {0};
	int rc = project_apply_json(p, in, creating, &err);
	json_decref(in);
	if (!message) {
		if (rc)
			fail_msg("%s: unexpected error %d: %s", input, rc, err.message);
		return;
	}
	if (rc != CL_EINVAL)
		fail_msg("%s: want CL_EINVAL (\"%s\"), got %d", input, message, rc);
	if (!strstr(err.message, message))
		fail_msg("%s: want \"%s\" in \"%s\"", input, message, err.message);
}

#define CREATE_BASE                                                                                \
	"\"org_id\":1,\"name\":\"Reviews\",\"kind\":\"text_class\",\"labels\":[\"pos\",\"neg\"]"

static void create(project *p, const char *extra)
{
	char input[4096];
	snprintf(input, sizeof input, "{" CREATE_BASE "%s%s}", extra && *extra ? "," : "",
		 extra ? extra : "");
	project_init(p);
	apply_expect(p, input, true, NULL);
}

static void test_kind_names(void **state)
{
	(void)state;
	static const char *const names[] = {"text_class", "image_class", "image_bbox",
					    "text_spans"};
	for (int i = 0; i < 4; i++) {
		task_kind k;
		assert_int_equal(task_kind_parse(names[i], &k), 0);
		assert_int_equal(k, i);
		assert_string_equal(task_kind_name(k), names[i]);
	}
	task_kind k = KIND_IMAGE_BBOX;
	assert_int_equal(task_kind_parse("text", &k), CL_EINVAL);
	assert_int_equal(task_kind_parse("TEXT_CLASS", &k), CL_EINVAL);
	assert_int_equal(task_kind_parse("", &k), CL_EINVAL);
	assert_int_equal(task_kind_parse(NULL, &k), CL_EINVAL);
	assert_int_equal(k, KIND_IMAGE_BBOX);
	assert_int_equal(task_kind_item_type(KIND_TEXT_CLASS), ITEM_TEXT);
	assert_int_equal(task_kind_item_type(KIND_TEXT_SPANS), ITEM_TEXT);
	assert_int_equal(task_kind_item_type(KIND_IMAGE_CLASS), ITEM_IMAGE);
	assert_int_equal(task_kind_item_type(KIND_IMAGE_BBOX), ITEM_IMAGE);
	assert_string_equal(item_type_name(ITEM_TEXT), "text");
	assert_string_equal(item_type_name(ITEM_IMAGE), "image");
}

static void test_defaults(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	assert_null(p.labels);
	assert_null(p.instructions);
	assert_false(p.review_sample);
	assert_int_equal(p.overlap, 1);
	assert_int_equal(p.lease_seconds, 1800);
	assert_int_equal(p.max_rounds, 3);
	assert_string_equal(p.status, "draft");
	assert_false(p.is_public);
	assert_false(p.multi_label);
	assert_int_equal(p.price, 0);
	assert_int_equal(p.reviewer_fee, 0);
	/* A project with nothing set still serializes. */
	json_t *j = project_to_json(&p);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "labels")), 0);
	assert_string_equal(json_string_value(json_object_get(j, "instructions")), "");
	json_decref(j);
	project_release(&p);
	project_release(&p); /* releasing twice is harmless */
}

static void test_create_full(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	apply_expect(
	    &p,
	    "{\"org_id\":7,\"name\":\"Street scenes\",\"kind\":\"image_bbox\","
	    "\"labels\":[\"car\",\"person\",\"bike\"],\"instructions\":\"# Boxes\\nTight.\","
	    "\"price\":120,\"reviewer_fee\":30,\"review_policy\":\"sample\","
	    "\"review_rate\":0.25,\"overlap\":3,\"lease_minutes\":45,\"max_rounds\":5,"
	    "\"status\":\"open\",\"visibility\":\"public\",\"multi_label\":false}",
	    true, NULL);
	assert_int_equal(p.org_id, 7);
	assert_string_equal(p.name, "Street scenes");
	assert_int_equal(p.kind, KIND_IMAGE_BBOX);
	assert_int_equal(json_array_size(p.labels), 3);
	assert_string_equal(p.instructions, "# Boxes\nTight.");
	assert_int_equal(p.price, 120);
	assert_int_equal(p.reviewer_fee, 30);
	assert_true(p.review_sample);
	assert_true(p.review_rate == 0.25);
	assert_int_equal(p.overlap, 3);
	assert_int_equal(p.lease_seconds, 45 * 60);
	assert_int_equal(p.max_rounds, 5);
	assert_string_equal(p.status, "open");
	assert_true(p.is_public);
	assert_true(project_has_label(&p, "person"));
	assert_false(project_has_label(&p, "Person"));
	assert_false(project_has_label(&p, ""));
	assert_false(project_has_label(&p, NULL));

	p.id = 12;
	p.created_at = 1795328640123LL; /* 2026-11-22T06:24:00.123Z */
	snprintf(p.currency, sizeof p.currency, "USD");
	json_t *j = project_to_json(&p);
	json_t *want =
	    parse("{\"id\":12,\"org_id\":7,\"name\":\"Street scenes\",\"kind\":\"image_bbox\","
		  "\"labels\":[\"car\",\"person\",\"bike\"],\"multi_label\":false,"
		  "\"instructions\":\"# Boxes\\nTight.\",\"price\":120,\"reviewer_fee\":30,"
		  "\"currency\":\"USD\",\"review_policy\":\"sample\",\"review_rate\":0.25,"
		  "\"overlap\":3,\"lease_minutes\":45,\"lease_seconds\":2700,\"max_rounds\":5,"
		  "\"status\":\"open\",\"visibility\":\"public\","
		  "\"created_at\":\"2026-11-22T06:24:00.123Z\"}");
	if (!json_equal(j, want)) {
		char *got = json_dumps(j, JSON_SORT_KEYS);
		fail_msg("project_to_json: %s", got);
	}
	/* The answer is a copy: changing it leaves the project alone. */
	json_array_clear(json_object_get(j, "labels"));
	assert_int_equal(json_array_size(p.labels), 3);
	json_decref(j);
	json_decref(want);
	project_release(&p);
}

static void test_create_requires(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	apply_expect(&p, "{\"name\":\"x\",\"kind\":\"text_class\",\"labels\":[\"a\"]}", true,
		     "org_id is required");
	apply_expect(&p, "{\"org_id\":1,\"kind\":\"text_class\",\"labels\":[\"a\"]}", true,
		     "name is required");
	apply_expect(&p, "{\"org_id\":1,\"name\":\"x\",\"labels\":[\"a\"]}", true,
		     "kind is required");
	apply_expect(&p, "{\"org_id\":1,\"name\":\"x\",\"kind\":\"text_class\"}", true,
		     "labels is required");
	apply_expect(&p, "[]", true, "JSON object");
	apply_expect(&p, "{\"org_id\":0,\"name\":\"x\",\"kind\":\"text_class\",\"labels\":[\"a\"]}",
		     true, "org_id must be a positive integer");
	apply_expect(&p,
		     "{\"org_id\":\"1\",\"name\":\"x\",\"kind\":\"text_class\",\"labels\":[\"a\"]}",
		     true, "\"org_id\" must be an integer");
	assert_null(p.labels);
	project_release(&p);
}

static void test_field_errors(void **state)
{
	(void)state;
	static const struct {
		const char *input;
		const char *message;
	} cases[] = {
	    {"{\"name\":\"\"}", "name must be 1 to 200 characters"},
	    {"{\"name\":\"   \"}", "name must not be blank"},
	    {"{\"name\":5}", "\"name\" must be a string"},
	    {"{\"name\":null}", "\"name\" must be a string"},
	    {"{\"kind\":\"image_bbox\"}", "kind cannot be changed"},
	    {"{\"org_id\":2}", "org_id cannot be changed"},
	    {"{\"labels\":[]}", "labels must hold 1 to 500 labels"},
	    {"{\"labels\":\"a,b\"}", "\"labels\" must be an array"},
	    {"{\"labels\":[\"a\",3]}", "labels[1] must be a string"},
	    {"{\"labels\":[\"a\",\"\"]}", "labels[1] must not be empty"},
	    {"{\"labels\":[\"a\",\"b\",\"a\"]}", "labels[2]: label \"a\" repeats labels[0]"},
	    {"{\"multi_label\":1}", "\"multi_label\" must be true or false"},
	    {"{\"instructions\":[]}", "\"instructions\" must be a string"},
	    {"{\"price\":-1}", "price must be an integer from 0 to 1000000000000"},
	    {"{\"price\":1.5}", "\"price\" must be an integer"},
	    {"{\"price\":1000000000001}", "price must be an integer from 0"},
	    {"{\"reviewer_fee\":\"10\"}", "\"reviewer_fee\" must be an integer"},
	    {"{\"review_policy\":\"half\"}", "\"review_policy\" must be one of full, sample"},
	    {"{\"review_rate\":0}", "review_rate must be a number in (0,1]"},
	    {"{\"review_rate\":1.5}", "review_rate must be a number in (0,1]"},
	    {"{\"review_rate\":-0.1}", "review_rate must be a number in (0,1]"},
	    {"{\"review_rate\":\"0.5\"}", "\"review_rate\" must be a number"},
	    {"{\"review_policy\":\"sample\"}",
	     "review_policy \"sample\" needs review_rate in (0,1]"},
	    {"{\"overlap\":0}", "overlap must be an integer from 1 to 10"},
	    {"{\"overlap\":11}", "overlap must be an integer from 1 to 10"},
	    {"{\"lease_minutes\":0}", "lease_minutes must be an integer from 1 to 1440"},
	    {"{\"lease_minutes\":1441}", "lease_minutes must be an integer from 1 to 1440"},
	    {"{\"lease_minutes\":30.0}", "\"lease_minutes\" must be an integer"},
	    {"{\"lease_seconds\":0}", "lease_seconds must be an integer from 1 to 86400"},
	    {"{\"lease_seconds\":86401}", "lease_seconds must be an integer from 1 to 86400"},
	    {"{\"lease_minutes\":10,\"lease_seconds\":600}", "lease_minutes or lease_seconds"},
	    {"{\"max_rounds\":0}", "max_rounds must be an integer from 1 to 20"},
	    {"{\"max_rounds\":21}", "max_rounds must be an integer from 1 to 20"},
	    {"{\"status\":\"archived\"}", "\"status\" must be one of draft, open, paused, closed"},
	    {"{\"status\":true}", "\"status\" must be a string"},
	    {"{\"visibility\":\"secret\"}", "\"visibility\" must be one of private, public"},
	    {"{\"colour\":\"red\"}", "unknown field \"colour\""},
	    {"{\"id\":5}", "\"id\" cannot be set"},
	    {"{\"currency\":\"EUR\"}", "\"currency\" cannot be set"},
	    {"{\"created_at\":\"2026-01-01T00:00:00.000Z\"}", "\"created_at\" cannot be set"},
	    {"{\"name\":\"ok\",\"bogus\":1}", "unknown field \"bogus\""},
	};
	project p;
	create(&p, NULL);
	json_t *before = project_to_json(&p);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		apply_expect(&p, cases[i].input, false, cases[i].message);
		/* All or nothing: the project is as it was. */
		json_t *after = project_to_json(&p);
		if (!json_equal(before, after))
			fail_msg("%s changed the project", cases[i].input);
		json_decref(after);
	}
	json_decref(before);
	project_release(&p);
}

static void test_all_or_nothing(void **state)
{
	(void)state;
	project p;
	create(&p, "\"instructions\":\"keep me\"");
	json_t *before = project_to_json(&p);
	/* Good fields first, a bad one last: none of them lands. */
	apply_expect(&p,
		     "{\"name\":\"New name\",\"labels\":[\"x\",\"y\"],\"instructions\":\"new\","
		     "\"price\":5,\"status\":\"open\",\"overlap\":99}",
		     false, "overlap");
	json_t *after = project_to_json(&p);
	assert_true(json_equal(before, after));
	assert_string_equal(p.instructions, "keep me");
	json_decref(after);
	json_decref(before);

	/* And a good patch lands whole, replacing what it names only. */
	apply_expect(&p, "{\"name\":\"New name\",\"labels\":[\"pos\",\"neg\",\"neutral\"]}", false,
		     NULL);
	assert_string_equal(p.name, "New name");
	assert_int_equal(json_array_size(p.labels), 3);
	assert_string_equal(p.instructions, "keep me");
	apply_expect(&p, "{}", false, NULL);
	assert_string_equal(p.name, "New name");
	project_release(&p);
}

static void test_names(void **state)
{
	(void)state;
	project p;
	create(&p, NULL);
	/* 200 characters of 4 bytes each fit; 201 do not. */
	buf b;
	buf_init(&b, 0);
	buf_puts(&b, "{\"name\":\"");
	for (int i = 0; i < 200; i++)
		buf_puts(&b, "\xf0\x9f\x98\x80");
	buf_puts(&b, "\"}");
	apply_expect(&p, b.data, false, NULL);
	assert_int_equal(strlen(p.name), 800);
	b.len -= 2;
	buf_puts(&b, "a\"}");
	apply_expect(&p, b.data, false, "name must be 1 to 200 characters");
	buf_release(&b);
	/* jansson's parser refuses \u0000 by default; a string built in code can still hold one. */
	json_t *in = json_object();
	json_object_set_new(in, "name", json_stringn("a\0b", 3));
	cl_error err = {0};
	assert_int_equal(project_apply_json(&p, in, false, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "NUL"));
	json_decref(in);
	project_release(&p);
}

static void test_labels_limits(void **state)
{
	(void)state;
	project p;
	create(&p, NULL);
	buf b;
	buf_init(&b, 0);
	buf_puts(&b, "{\"labels\":[");
	for (int i = 0; i < 500; i++)
		buf_printf(&b, "%s\"label%d\"", i ? "," : "", i);
	buf_puts(&b, "]}");
	apply_expect(&p, b.data, false, NULL);
	assert_int_equal(json_array_size(p.labels), 500);
	assert_true(project_has_label(&p, "label499"));
	b.len -= 2;
	buf_puts(&b, ",\"one more\"]}");
	apply_expect(&p, b.data, false, "labels must hold 1 to 500 labels");
	buf_release(&b);

	char input[512];
	char label[128];
	memset(label, 'x', 100);
	label[100] = '\0';
	snprintf(input, sizeof input, "{\"labels\":[\"%s\"]}", label);
	apply_expect(&p, input, false, NULL);
	label[100] = 'x';
	label[101] = '\0';
	snprintf(input, sizeof input, "{\"labels\":[\"ok\",\"%s\"]}", label);
	apply_expect(&p, input, false, "labels[1] is longer than 100 bytes");
	/* Case and white space make labels distinct. */
	apply_expect(&p, "{\"labels\":[\"Cat\",\"cat\",\"cat \"]}", false, NULL);
	assert_int_equal(json_array_size(p.labels), 3);
	project_release(&p);
}

static void test_rules_between_fields(void **state)
{
	(void)state;
	project p;
	create(&p, NULL);
	/* "sample" with a rate in the same input, or a rate given earlier. */
	apply_expect(&p, "{\"review_policy\":\"sample\",\"review_rate\":1}", false, NULL);
	assert_true(p.review_sample);
	apply_expect(&p, "{\"review_policy\":\"full\"}", false, NULL);
	assert_false(p.review_sample);
	apply_expect(&p, "{\"review_policy\":\"sample\"}", false, NULL);
	assert_true(p.review_rate == 1.0);
	project_release(&p);

	/* multi_label is for classification kinds only. */
	project_init(&p);
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"text_spans\",\"labels\":[\"PER\"],"
		     "\"multi_label\":true}",
		     true, "multi_label applies only to text_class and image_class");
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"image_class\",\"labels\":[\"a\"],"
		     "\"multi_label\":true}",
		     true, NULL);
	assert_true(p.multi_label);
	project_release(&p);

	/* lease_seconds is kept as given; lease_minutes reads rounded up. */
	create(&p, "\"lease_seconds\":61");
	assert_int_equal(p.lease_seconds, 61);
	json_t *j = project_to_json(&p);
	assert_int_equal(json_integer_value(json_object_get(j, "lease_minutes")), 2);
	assert_int_equal(json_integer_value(json_object_get(j, "lease_seconds")), 61);
	assert_true(json_is_null(json_object_get(j, "review_rate")));
	assert_string_equal(json_string_value(json_object_get(j, "review_policy")), "full");
	assert_string_equal(json_string_value(json_object_get(j, "visibility")), "private");
	assert_string_equal(json_string_value(json_object_get(j, "status")), "draft");
	json_decref(j);
	apply_expect(&p, "{\"lease_minutes\":1440}", false, NULL);
	assert_int_equal(p.lease_seconds, 86400);
	apply_expect(&p, "{\"lease_seconds\":86400}", false, NULL);
	project_release(&p);
}

static void test_instructions(void **state)
{
	(void)state;
	project p;
	create(&p, NULL);
	char *big = malloc(PROJECT_MAX_INSTRUCTIONS + 2);
	memset(big, 'm', PROJECT_MAX_INSTRUCTIONS + 1);
	big[PROJECT_MAX_INSTRUCTIONS + 1] = '\0';
	json_t *in = json_object();
	json_object_set_new(in, "instructions", json_string(big));
	cl_error err = {0};
	assert_int_equal(project_apply_json(&p, in, false, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "instructions must be at most 65536 bytes"));
	big[PROJECT_MAX_INSTRUCTIONS] = '\0';
	json_object_set_new(in, "instructions", json_string(big));
	assert_int_equal(project_apply_json(&p, in, false, &err), 0);
	assert_int_equal(strlen(p.instructions), PROJECT_MAX_INSTRUCTIONS);
	/* Replacing frees the old text (checked by the leak sanitizer). */
	json_object_set_new(in, "instructions", json_string(""));
	assert_int_equal(project_apply_json(&p, in, false, &err), 0);
	assert_string_equal(p.instructions, "");
	json_decref(in);
	free(big);
	project_release(&p);
}

static void test_every_status_and_kind(void **state)
{
	(void)state;
	static const char *const statuses[] = {"draft", "open", "paused", "closed"};
	project p;
	create(&p, NULL);
	for (int i = 0; i < 4; i++) {
		char input[64];
		snprintf(input, sizeof input, "{\"status\":\"%s\"}", statuses[i]);
		apply_expect(&p, input, false, NULL);
		assert_string_equal(p.status, statuses[i]);
	}
	apply_expect(&p, "{\"visibility\":\"public\"}", false, NULL);
	assert_true(p.is_public);
	apply_expect(&p, "{\"visibility\":\"private\"}", false, NULL);
	assert_false(p.is_public);
	project_release(&p);

	static const char *const kinds[] = {"text_class", "image_class", "image_bbox",
					    "text_spans"};
	for (int i = 0; i < 4; i++) {
		char input[160];
		snprintf(input, sizeof input,
			 "{\"org_id\":1,\"name\":\"n\",\"kind\":\"%s\",\"labels\":[\"a\"]}",
			 kinds[i]);
		project_init(&p);
		apply_expect(&p, input, true, NULL);
		assert_int_equal(p.kind, i);
		json_t *j = project_to_json(&p);
		assert_string_equal(json_string_value(json_object_get(j, "kind")), kinds[i]);
		json_decref(j);
		project_release(&p);
	}
	project_init(&p);
	apply_expect(&p, "{\"org_id\":1,\"name\":\"n\",\"kind\":\"video\",\"labels\":[\"a\"]}",
		     true,
		     "\"kind\" must be one of text_class, image_class, image_bbox, text_spans");
	project_release(&p);
}

/* The LLM kinds: no labels needed, their settings checked, refused on the kinds they do not
 * apply to, and read back from the JSON the store keeps. */
static void test_llm_settings(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"llm_preference\",\"scale\":7,"
		     "\"criteria\":[{\"name\":\"honesty\"}],\"rank_all\":true}",
		     true, NULL);
	assert_int_equal(task_kind_item_type(p.kind), ITEM_TEXT);
	assert_int_equal(json_array_size(p.labels), 0);
	assert_int_equal(p.llm.scale, 7);
	assert_true(p.llm.rank_all);
	assert_int_equal(p.llm.criteria.n, 1);
	assert_string_equal(p.llm.criteria.name[0], "honesty");
	/* stored and read back */
	json_t *stored = project_llm_json(&p.llm);
	project_llm rd;
	project_llm_load(&rd, stored);
	assert_int_equal(rd.scale, 7);
	assert_true(rd.rank_all && !rd.require_reason);
	assert_int_equal(rd.criteria.n, 1);
	assert_string_equal(rd.criteria.name[0], "honesty");
	assert_int_equal(rd.rubric.n, 3); /* the default, kept for every project */
	assert_int_equal(rd.length_max, 10000);
	json_decref(stored);
	apply_expect(&p, "{\"scale\":6}", false, "scale must be 5 or 7");
	apply_expect(&p, "{\"length\":{\"min\":1,\"max\":9}}", false,
		     "length applies only to llm_response");
	apply_expect(&p, "{\"criteria\":[]}", false, "criteria must be an array of 1 to 12");
	apply_expect(&p, "{\"criteria\":[{\"name\":\"a\"},{\"name\":\"a\"}]}", false,
		     "criteria[1]: \"a\" repeats");
	apply_expect(&p, "{\"criteria\":[{\"name\":\" \"}]}", false, "not blank");
	assert_int_equal(p.llm.scale, 7); /* nothing changed */
	project_release(&p);

	project_init(&p);
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"llm_response\","
		     "\"length\":{\"min\":5,\"max\":4}}",
		     true, "length.min must be <= max");
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"llm_response\","
		     "\"length\":{\"min\":0,\"max\":100001}}",
		     true, "length.max must be an integer from 1 to 100000");
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"llm_response\","
		     "\"require_reason\":true}",
		     true, "require_reason applies only to llm_preference");
	project_release(&p);

	project_init(&p);
	apply_expect(&p, "{\"org_id\":1,\"name\":\"n\",\"kind\":\"image_transcription\"}", true,
		     NULL);
	assert_int_equal(task_kind_item_type(p.kind), ITEM_IMAGE);
	json_t *j = project_to_json(&p);
	assert_null(json_object_get(j, "criteria")); /* the settings are the LLM kinds' */
	json_decref(j);
	apply_expect(&p, "{\"scale\":5}", false, "scale applies only to llm_preference and");
	project_release(&p);
	project_init(&p);
	apply_expect(&p, "{\"org_id\":1,\"name\":\"n\",\"kind\":\"text_class\"}", true,
		     "labels is required");
	project_release(&p);
}

/* prefill_endpoint: an endpoint's name on image_transcription only, kept with the kind's
 * settings, cleared with "". */
static void test_prefill_endpoint(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"image_transcription\","
		     "\"prefill_endpoint\":\"ocr-main\"}",
		     true, NULL);
	assert_string_equal(p.llm.prefill_endpoint, "ocr-main");
	json_t *j = project_to_json(&p);
	assert_string_equal(json_string_value(json_object_get(j, "prefill_endpoint")), "ocr-main");
	json_decref(j);
	json_t *stored = project_llm_json(&p.llm);
	project_llm rd;
	project_llm_load(&rd, stored);
	json_decref(stored);
	assert_string_equal(rd.prefill_endpoint, "ocr-main");
	apply_expect(&p, "{\"prefill_endpoint\":\"Bad Name\"}", false,
		     "prefill_endpoint: an endpoint name starts with a lowercase letter");
	apply_expect(&p, "{\"prefill_endpoint\":3}", false, "must be a string");
	assert_string_equal(p.llm.prefill_endpoint, "ocr-main"); /* nothing changed */
	apply_expect(&p, "{\"prefill_endpoint\":\"\"}", false, NULL);
	assert_string_equal(p.llm.prefill_endpoint, "");
	j = project_to_json(&p);
	assert_true(json_is_null(json_object_get(j, "prefill_endpoint")));
	json_decref(j);
	project_release(&p);
	project_init(&p);
	apply_expect(&p,
		     "{\"org_id\":1,\"name\":\"n\",\"kind\":\"llm_response\","
		     "\"prefill_endpoint\":\"ocr\"}",
		     true, "prefill_endpoint applies only to image_transcription");
	project_release(&p);
}

/* A copy answers every field as the original, the LLM settings included, though it writes only
 * the bytes in use: copied over a project of other values, nothing of those shows through. */
static void test_copy(void **state)
{
	(void)state;
	project from, to;
	project_init(&from);
	apply_expect(&from,
		     "{\"org_id\":4,\"name\":\"Preferences\",\"kind\":\"llm_preference\","
		     "\"scale\":7,\"criteria\":[{\"name\":\"honesty\"},{\"name\":\"tone\"}],"
		     "\"rank_all\":true,\"instructions\":\"Pick one\",\"overlap\":2}",
		     true, NULL);
	from.id = 42;
	project_init(&to);
	apply_expect(&to,
		     "{\"org_id\":9,\"name\":\"A much longer name than the original one\","
		     "\"kind\":\"llm_preference\",\"criteria\":[{\"name\":\"a\"},{\"name\":\"b\"},"
		     "{\"name\":\"clarity of the whole answer\"}],\"require_reason\":true}",
		     true, NULL);
	project_copy(&to, &from);
	assert_int_equal(to.id, 42);
	assert_int_equal(to.org_id, 4);
	assert_string_equal(to.name, "Preferences");
	assert_int_equal(to.kind, KIND_LLM_PREFERENCE);
	assert_int_equal(to.overlap, 2);
	assert_string_equal(to.status, from.status);
	assert_string_equal(to.currency, from.currency);
	assert_string_equal(to.instructions, "Pick one");
	assert_ptr_not_equal(to.instructions, from.instructions);
	assert_ptr_equal(to.labels, from.labels);
	assert_int_equal(to.llm.scale, 7);
	assert_true(to.llm.rank_all && !to.llm.require_reason);
	assert_int_equal(to.llm.criteria.n, 2);
	assert_string_equal(to.llm.criteria.name[0], "honesty");
	assert_string_equal(to.llm.criteria.name[1], "tone");
	assert_int_equal(to.llm.rubric.n, from.llm.rubric.n);
	assert_string_equal(to.llm.rubric.name[2], from.llm.rubric.name[2]);
	assert_int_equal(to.llm.length_max, from.llm.length_max);
	assert_string_equal(to.llm.prefill_endpoint, from.llm.prefill_endpoint);
	/* Both answer the same JSON. */
	json_t *a = project_to_json(&from), *b = project_to_json(&to);
	assert_true(json_equal(a, b));
	json_decref(a);
	json_decref(b);
	project_release(&to);
	project_release(&from);
}

int main(void)
{
	static const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_llm_settings),     cmocka_unit_test(test_kind_names),
	    cmocka_unit_test(test_defaults),	     cmocka_unit_test(test_create_full),
	    cmocka_unit_test(test_create_requires),  cmocka_unit_test(test_field_errors),
	    cmocka_unit_test(test_all_or_nothing),   cmocka_unit_test(test_names),
	    cmocka_unit_test(test_labels_limits),    cmocka_unit_test(test_rules_between_fields),
	    cmocka_unit_test(test_instructions),     cmocka_unit_test(test_every_status_and_kind),
	    cmocka_unit_test(test_prefill_endpoint), cmocka_unit_test(test_copy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
