/* The fields a JSON object may have, declared once: the same list checks a request body and
 * describes it in the OpenAPI document. */
#ifndef CROWDLOOP_UTIL_JSON_FIELDS_H
#define CROWDLOOP_UTIL_JSON_FIELDS_H

#include "util/err.h"

#include <jansson.h>
#include <stdbool.h>

typedef enum json_field_type {
	JSON_FIELD_ANY, /* any JSON value: its owner checks it */
	JSON_FIELD_STRING,
	JSON_FIELD_INTEGER,
	JSON_FIELD_NUMBER, /* an integer or a real */
	JSON_FIELD_BOOLEAN,
	JSON_FIELD_OBJECT,
	JSON_FIELD_ARRAY,
} json_field_type;

enum {
	JSON_FIELD_REQUIRED = 1,  /* must be present (never enforced on a PATCH) */
	JSON_FIELD_NULLABLE = 2,  /* null is taken as well as the type */
	JSON_FIELD_READ_ONLY = 4, /* answered, never set: present, it is refused */
};

typedef struct json_field {
	const char *name; /* NULL ends a list */
	json_field_type type;
	unsigned flags;
	const char *const *choices; /* a string field's allowed values (NULL-ended), or NULL */
} json_field;

/* Checks object `o` against `fields` (a list ended by a NULL name): no other key, each value of
 * its field's type and among its choices, and, when `enforce_required`, each required field
 * present. Returns 0, or
 * CL_EINVAL with `err` naming the first field in fault ("unknown_field" for a key not listed). */
int json_fields_check(const json_t *o, const json_field *fields, bool enforce_required,
		      cl_error *err);

/* The field named `name` in `fields`, or NULL. */
const json_field *json_field_find(const json_field *fields, const char *name);

/* The OpenAPI (JSON Schema) name of a type: "string", "integer", ...; NULL for any. */
const char *json_field_type_name(json_field_type t);

#endif
