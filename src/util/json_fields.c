/* Checking a JSON object against its declared fields (json_fields.h). */
#include "util/json_fields.h"

#include <stdio.h>
#include <string.h>

const json_field *json_field_find(const json_field *fields, const char *name)
{
	for (const json_field *f = fields; f && f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

const char *json_field_type_name(json_field_type t)
{
	switch (t) {
	case JSON_FIELD_STRING: return "string";
	case JSON_FIELD_INTEGER: return "integer";
	case JSON_FIELD_NUMBER: return "number";
	case JSON_FIELD_BOOLEAN: return "boolean";
	case JSON_FIELD_OBJECT: return "object";
	case JSON_FIELD_ARRAY: return "array";
	case JSON_FIELD_ANY: break;
	}
	return NULL;
}

/* What a value of type `t` is called in an error message. */
static const char *type_phrase(json_field_type t)
{
	switch (t) {
	case JSON_FIELD_STRING: return "a string";
	case JSON_FIELD_INTEGER: return "an integer";
	case JSON_FIELD_NUMBER: return "a number";
	case JSON_FIELD_BOOLEAN: return "true or false";
	case JSON_FIELD_OBJECT: return "an object";
	case JSON_FIELD_ARRAY: return "an array";
	case JSON_FIELD_ANY: break;
	}
	return "a JSON value";
}

static bool type_ok(json_field_type t, const json_t *v)
{
	switch (t) {
	case JSON_FIELD_STRING: return json_is_string(v);
	case JSON_FIELD_INTEGER: return json_is_integer(v);
	case JSON_FIELD_NUMBER: return json_is_number(v);
	case JSON_FIELD_BOOLEAN: return json_is_boolean(v);
	case JSON_FIELD_OBJECT: return json_is_object(v);
	case JSON_FIELD_ARRAY: return json_is_array(v);
	case JSON_FIELD_ANY: break;
	}
	return true;
}

static bool choice_ok(const char *const *choices, const char *s)
{
	for (const char *const *c = choices; *c; c++)
		if (!strcmp(*c, s))
			return true;
	return false;
}

/* "\"decision\" must be one of approve, reject, fix" */
static int choice_fail(const json_field *f, cl_error *err)
{
	char list[160] = "";
	size_t n = 0;
	for (const char *const *c = f->choices; *c && n < sizeof list; c++)
		n += (size_t)snprintf(list + n, sizeof list - n, "%s%s",
				      c == f->choices ? "" : ", ", *c);
	return cl_fail(err, CL_EINVAL, NULL, "\"%s\" must be one of %s", f->name, list);
}

int json_fields_check(const json_t *o, const json_field *fields, bool enforce_required,
		      cl_error *err)
{
	if (!json_is_object(o))
		return cl_fail(err, CL_EINVAL, NULL, "the body must be a JSON object");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)o, key, v)
	{
		const json_field *f = json_field_find(fields, key);
		if (!f)
			return cl_fail(err, CL_EINVAL, "unknown_field", "unknown field \"%.64s\"",
				       key);
		if (f->flags & JSON_FIELD_READ_ONLY)
			return cl_fail(err, CL_EINVAL, NULL, "\"%s\" cannot be set", f->name);
		if (json_is_null(v) ? !(f->flags & JSON_FIELD_NULLABLE) && f->type != JSON_FIELD_ANY
				    : !type_ok(f->type, v))
			return cl_fail(err, CL_EINVAL, NULL, "\"%s\" must be %s", f->name,
				       type_phrase(f->type));
		if (f->choices && json_is_string(v) && !choice_ok(f->choices, json_string_value(v)))
			return choice_fail(f, err);
	}
	for (const json_field *f = fields; enforce_required && f->name; f++)
		if ((f->flags & JSON_FIELD_REQUIRED) && !json_object_get(o, f->name))
			return cl_fail(err, CL_EINVAL, NULL, "\"%s\" is required", f->name);
	return 0;
}
