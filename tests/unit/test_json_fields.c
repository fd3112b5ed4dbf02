/* Unit tests of util/json_fields: a body checked against its declared fields, data-driven (input
 * object, whether required fields are enforced, expected result and message), and the project
 * and quality-settings declarations agreeing with the code that applies them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "core/project.h"
#include "core/quality.h"
#include "util/json_fields.h"

static const char *const decisions[] = {"approve", "reject", NULL};

static const json_field fields[] = {
    {"name", JSON_FIELD_STRING, JSON_FIELD_REQUIRED, NULL},
    {"count", JSON_FIELD_INTEGER, 0, NULL},
    {"rate", JSON_FIELD_NUMBER, 0, NULL},
    {"on", JSON_FIELD_BOOLEAN, 0, NULL},
    {"split", JSON_FIELD_OBJECT, JSON_FIELD_NULLABLE, NULL},
    {"labels", JSON_FIELD_ARRAY, 0, NULL},
    {"annotation", JSON_FIELD_ANY, 0, NULL},
    {"id", JSON_FIELD_INTEGER, JSON_FIELD_READ_ONLY, NULL},
    {"decision", JSON_FIELD_STRING, 0, decisions},
    {NULL, 0, 0, NULL},
};

static void test_bodies(void **state)
{
	(void)state;
	static const struct {
		const char *input;
		bool enforce_required;
		const char *message; /* NULL: accepted */
		const char *name;    /* the error's machine code, when one is expected */
	} cases[] = {
	    {"{\"name\":\"a\"}", true, NULL, NULL},
	    {"{\"name\":\"a\",\"count\":3,\"rate\":0.5,\"on\":false,\"split\":{},"
	     "\"labels\":[],\"annotation\":[1]}",
	     true, NULL, NULL},
	    {"{\"name\":\"a\",\"rate\":2}", true, NULL, NULL},
	    {"{\"name\":\"a\",\"split\":null}", true, NULL, NULL},
	    {"{\"name\":\"a\",\"annotation\":null}", true, NULL, NULL},
	    {"{}", false, NULL, NULL},
	    {"{}", true, "\"name\" is required", NULL},
	    {"{\"count\":1}", true, "\"name\" is required", NULL},
	    {"{\"name\":\"a\",\"colour\":\"red\"}", true, "unknown field \"colour\"",
	     "unknown_field"},
	    {"{\"colour\":1}", false, "unknown field \"colour\"", "unknown_field"},
	    {"{\"name\":5}", true, "\"name\" must be a string", NULL},
	    {"{\"name\":null}", true, "\"name\" must be a string", NULL},
	    {"{\"name\":\"a\",\"count\":\"3\"}", true, "\"count\" must be an integer", NULL},
	    {"{\"name\":\"a\",\"count\":3.0}", true, "\"count\" must be an integer", NULL},
	    {"{\"name\":\"a\",\"count\":null}", true, "\"count\" must be an integer", NULL},
	    {"{\"name\":\"a\",\"rate\":\"0.5\"}", true, "\"rate\" must be a number", NULL},
	    {"{\"name\":\"a\",\"on\":1}", true, "\"on\" must be true or false", NULL},
	    {"{\"name\":\"a\",\"split\":[]}", true, "\"split\" must be an object", NULL},
	    {"{\"name\":\"a\",\"labels\":{}}", true, "\"labels\" must be an array", NULL},
	    {"{\"name\":\"a\",\"id\":7}", true, "\"id\" cannot be set", NULL},
	    {"{\"name\":\"a\",\"decision\":\"reject\"}", true, NULL, NULL},
	    {"{\"name\":\"a\",\"decision\":\"maybe\"}", true,
	     "\"decision\" must be one of approve, reject", NULL},
	    {"{\"name\":\"a\",\"decision\":1}", true, "\"decision\" must be a string", NULL},
	    {"[]", true, "must be a JSON object", NULL},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *in = json_loads(cases[i].input, 0, NULL);
		assert_non_null(in);
		cl_error err = {0};
		int rc = json_fields_check(in, fields, cases[i].enforce_required, &err);
		json_decref(in);
		if (!cases[i].message) {
			if (rc)
				fail_msg("%s: unexpected error: %s", cases[i].input, err.message);
			continue;
		}
		if (rc != CL_EINVAL)
			fail_msg("%s: want CL_EINVAL, got %d", cases[i].input, rc);
		if (!strstr(err.message, cases[i].message))
			fail_msg("%s: want \"%s\" in \"%s\"", cases[i].input, cases[i].message,
				 err.message);
		if (cases[i].name && strcmp(err.name, cases[i].name))
			fail_msg("%s: want code %s, got %s", cases[i].input, cases[i].name,
				 err.name);
	}
}

static void test_types_and_lookup(void **state)
{
	(void)state;
	assert_string_equal(json_field_type_name(JSON_FIELD_NUMBER), "number");
	assert_string_equal(json_field_type_name(JSON_FIELD_BOOLEAN), "boolean");
	assert_null(json_field_type_name(JSON_FIELD_ANY));
	assert_ptr_equal(json_field_find(fields, "labels"), &fields[5]);
	assert_null(json_field_find(fields, "label"));
}

/* A value of a field's declared type that its setter may refuse for its range, never for its
 * name. */
static json_t *typed_value(json_field_type t)
{
	switch (t) {
	case JSON_FIELD_STRING: return json_string("x");
	case JSON_FIELD_INTEGER: return json_integer(1);
	case JSON_FIELD_NUMBER: return json_real(0.5);
	case JSON_FIELD_BOOLEAN: return json_true();
	case JSON_FIELD_OBJECT: return json_object();
	case JSON_FIELD_ARRAY: return json_array();
	case JSON_FIELD_ANY: break;
	}
	return json_null();
}

/* Every declared project field and quality setting is one its apply function knows: none answers
 * "unknown field" or the internal error of a field without a setter. */
static void test_declarations_match_their_setters(void **state)
{
	(void)state;
	for (const json_field *f = project_fields; f->name; f++) {
		json_t *in = json_object();
		json_object_set_new(in, f->name, typed_value(f->type));
		project p;
		project_init(&p);
		cl_error err = {0};
		int rc = project_apply_json(&p, in, true, &err);
		project_release(&p);
		json_decref(in);
		if (rc == CL_EINTERNAL || strstr(err.message, "unknown field"))
			fail_msg("project field %s: %s", f->name, err.message);
	}
	for (const json_field *f = quality_settings_fields; f->name; f++) {
		json_t *in = json_object();
		json_object_set_new(in, f->name, typed_value(f->type));
		quality_settings s;
		quality_settings_init(&s);
		cl_error err = {0};
		int rc = quality_settings_apply_json(&s, in, &err);
		json_decref(in);
		if (rc == CL_EINTERNAL || strstr(err.message, "unknown field"))
			fail_msg("quality setting %s: %s", f->name, err.message);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bodies),
	    cmocka_unit_test(test_types_and_lookup),
	    cmocka_unit_test(test_declarations_match_their_setters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
