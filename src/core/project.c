/* A project's settings: the names of task kinds and item types, the defaults of a new project,
 * applying a ProjectInput object (docs/API.md) field by field from one table of setters, and the
 * Project object the API answers with. Applying builds a copy of the project and swaps it in
 * only when every field and every rule between fields holds, so a refused input changes
 * nothing. */
#include "core/project.h"
#include "core/endpoint.h"
#include "util/clock.h"
#include "util/json_write.h"
#include "util/text.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const task_kind_names[] = {
    [KIND_TEXT_CLASS] = "text_class",
    [KIND_IMAGE_CLASS] = "image_class",
    [KIND_IMAGE_BBOX] = "image_bbox",
    [KIND_TEXT_SPANS] = "text_spans",
    [KIND_LLM_PREFERENCE] = "llm_preference",
    [KIND_LLM_RESPONSE] = "llm_response",
    [KIND_IMAGE_TRANSCRIPTION] = "image_transcription",
    NULL,
};

#define KIND_COUNT (sizeof task_kind_names / sizeof task_kind_names[0] - 1)

static const char *const review_policies[] = {"full", "sample", NULL};
static const char *const statuses[] = {"draft", "open", "paused", "closed", NULL};
static const char *const visibilities[] = {"private", "public", NULL};

const char *task_kind_name(task_kind kind)
{
	if ((unsigned)kind < KIND_COUNT)
		return task_kind_names[kind];
	return "unknown";
}

int task_kind_parse(const char *name, task_kind *out)
{
	if (!name)
		return CL_EINVAL;
	for (size_t i = 0; i < KIND_COUNT; i++) {
		if (strcmp(name, task_kind_names[i]) == 0) {
			*out = (task_kind)i;
			return 0;
		}
	}
	return CL_EINVAL;
}

item_type task_kind_item_type(task_kind kind)
{
	bool image =
	    kind == KIND_IMAGE_CLASS || kind == KIND_IMAGE_BBOX || kind == KIND_IMAGE_TRANSCRIPTION;
	return image ? ITEM_IMAGE : ITEM_TEXT;
}

bool task_kind_uses_labels(task_kind kind)
{
	return kind == KIND_TEXT_CLASS || kind == KIND_IMAGE_CLASS || kind == KIND_IMAGE_BBOX ||
	       kind == KIND_TEXT_SPANS;
}

const char *item_type_name(item_type type)
{
	return type == ITEM_IMAGE ? "image" : "text";
}

void project_init(project *p)
{
	memset(p, 0, sizeof *p);
	p->kind = KIND_TEXT_CLASS;
	snprintf(p->currency, sizeof p->currency, "KRW");
	p->review_sample = false;
	p->review_rate = 0;
	p->overlap = 1;
	p->lease_seconds = 30 * 60;
	p->max_rounds = 3;
	snprintf(p->status, sizeof p->status, "draft");
	p->is_public = false;
	project_llm_load(&p->llm, NULL);
}

void project_release(project *p)
{
	json_decref(p->labels);
	p->labels = NULL;
	free(p->instructions);
	p->instructions = NULL;
}

/* The copy under construction and what the input named, for the rules between fields. */
struct apply {
	project next;	    /* labels and instructions still borrowed from the original */
	json_t *labels;	    /* new labels, owned until the swap */
	char *instructions; /* new instructions, owned until the swap */
	bool creating;
	bool has_name, has_kind, has_labels, has_org_id;
	bool has_lease_minutes, has_lease_seconds, has_review_rate;
	/* The LLM settings given, by the kinds they apply to. */
	bool has_preference_setting, has_response_setting, has_scale, has_prefill;
	const char *preference_key, *response_key;
};

/* Counts the code points of a valid UTF-8 string. */
static size_t utf8_chars(const char *s, size_t len)
{
	size_t n = 0;
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			n++;
	return n;
}

static int bad(cl_error *err, const char *fmt, const char *key)
{
	return cl_fail(err, CL_EINVAL, NULL, fmt, key);
}

/* An integer field within [lo, hi]. */
static int get_int(const char *key, const json_t *v, int64_t lo, int64_t hi, int64_t *out,
		   cl_error *err)
{
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return cl_fail(err, CL_EINVAL, NULL, "%s must be an integer from %lld to %lld", key,
			       (long long)lo, (long long)hi);
	*out = json_integer_value(v);
	return 0;
}

static int get_bool(const char *key, const json_t *v, bool *out, cl_error *err)
{
	if (!json_is_boolean(v))
		return bad(err, "%s must be true or false", key);
	*out = json_is_true(v);
	return 0;
}

/* One of `choices` (NULL-terminated); returns its index in *out. */
static int get_enum(const char *key, const json_t *v, const char *const *choices, int *out,
		    cl_error *err)
{
	if (json_is_string(v)) {
		for (int i = 0; choices[i]; i++) {
			if (strcmp(json_string_value(v), choices[i]) == 0) {
				*out = i;
				return 0;
			}
		}
	}
	char list[160] = "";
	size_t used = 0;
	for (int i = 0; choices[i]; i++) {
		int n =
		    snprintf(list + used, sizeof list - used, "%s%s", i ? ", " : "", choices[i]);
		if (n < 0 || (size_t)n >= sizeof list - used)
			break;
		used += (size_t)n;
	}
	return cl_fail(err, CL_EINVAL, NULL, "%s must be one of %s", key, list);
}

static int set_name(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	if (!json_is_string(v))
		return bad(err, "%s must be a string", key);
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	size_t chars = utf8_chars(s, len);
	if (chars < 1 || chars > 200)
		return bad(err, "%s must be 1 to 200 characters", key);
	if (memchr(s, '\0', len))
		return bad(err, "%s must not contain NUL characters", key);
	if (strspn(s, " \t\r\n\v\f") == len)
		return bad(err, "%s must not be blank", key);
	/* 200 characters of at most 4 bytes each always fit. */
	memcpy(a->next.name, s, len);
	a->next.name[len] = '\0';
	a->has_name = true;
	return 0;
}

static int set_kind(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	if (!a->creating)
		return bad(err, "%s cannot be changed", key);
	if (!json_is_string(v) || task_kind_parse(json_string_value(v), &a->next.kind))
		return bad(err,
			   "%s must be one of text_class, image_class, image_bbox, text_spans,"
			   " llm_preference, llm_response, image_transcription",
			   key);
	a->has_kind = true;
	return 0;
}

static int set_org_id(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	if (!a->creating)
		return bad(err, "%s cannot be changed", key);
	if (!json_is_integer(v) || json_integer_value(v) < 1)
		return bad(err, "%s must be a positive integer", key);
	a->next.org_id = json_integer_value(v);
	a->has_org_id = true;
	return 0;
}

static int set_labels(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	if (!json_is_array(v))
		return bad(err, "%s must be an array of strings", key);
	size_t n = json_array_size(v);
	if (n < 1 || n > PROJECT_MAX_LABELS)
		return cl_fail(err, CL_EINVAL, NULL, "%s must hold 1 to %d labels", key,
			       PROJECT_MAX_LABELS);
	int rc = CL_ENOMEM;
	json_t *seen = json_object();
	json_t *labels = json_array();
	if (!seen || !labels)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const json_t *l = json_array_get(v, i);
		if (!json_is_string(l)) {
			rc = cl_fail(err, CL_EINVAL, NULL, "%s[%zu] must be a string", key, i);
			goto out;
		}
		const char *s = json_string_value(l);
		size_t len = json_string_length(l);
		if (len == 0) {
			rc = cl_fail(err, CL_EINVAL, NULL, "%s[%zu] must not be empty", key, i);
			goto out;
		}
		if (len > PROJECT_MAX_LABEL_LEN) {
			rc = cl_fail(err, CL_EINVAL, NULL, "%s[%zu] is longer than %d bytes", key,
				     i, PROJECT_MAX_LABEL_LEN);
			goto out;
		}
		if (memchr(s, '\0', len)) {
			rc = cl_fail(err, CL_EINVAL, NULL,
				     "%s[%zu] must not contain NUL characters", key, i);
			goto out;
		}
		const json_t *first = json_object_get(seen, s);
		if (first) {
			char q[48];
			text_quote(s, len, q);
			rc = cl_fail(err, CL_EINVAL, NULL, "%s[%zu]: label \"%s\" repeats %s[%lld]",
				     key, i, q, key, (long long)json_integer_value(first));
			goto out;
		}
		if (json_object_set_new(seen, s, json_integer((json_int_t)i)) ||
		    json_array_append_new(labels, json_stringn(s, len))) {
			rc = CL_ENOMEM;
			goto out;
		}
	}
	json_decref(a->labels);
	a->labels = labels;
	labels = NULL;
	a->has_labels = true;
	rc = 0;
out:
	if (rc == CL_ENOMEM)
		cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	json_decref(labels);
	json_decref(seen);
	return rc;
}

static int set_multi_label(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	return get_bool(key, v, &a->next.multi_label, err);
}

static int set_instructions(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	if (!json_is_string(v))
		return bad(err, "%s must be a string", key);
	size_t len = json_string_length(v);
	if (len > PROJECT_MAX_INSTRUCTIONS)
		return cl_fail(err, CL_EINVAL, NULL, "%s must be at most %d bytes", key,
			       PROJECT_MAX_INSTRUCTIONS);
	if (memchr(json_string_value(v), '\0', len))
		return bad(err, "%s must not contain NUL characters", key);
	char *s = strdup(json_string_value(v));
	if (!s)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	free(a->instructions);
	a->instructions = s;
	return 0;
}

static int set_price(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	return get_int(key, v, 0, PROJECT_MAX_PRICE, &a->next.price, err);
}

static int set_reviewer_fee(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	return get_int(key, v, 0, PROJECT_MAX_PRICE, &a->next.reviewer_fee, err);
}

static int set_review_policy(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	int i;
	int rc = get_enum(key, v, review_policies, &i, err);
	if (!rc)
		a->next.review_sample = i == 1;
	return rc;
}

static int set_review_rate(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	if (!json_is_number(v) || !(json_number_value(v) > 0) || json_number_value(v) > 1)
		return bad(err, "%s must be a number in (0,1]", key);
	a->next.review_rate = json_number_value(v);
	a->has_review_rate = true;
	return 0;
}

static int set_overlap(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	int64_t n = 0;
	int rc = get_int(key, v, 1, 10, &n, err);
	if (!rc)
		a->next.overlap = (int)n;
	return rc;
}

static int set_lease_minutes(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	int64_t n = 0;
	int rc = get_int(key, v, 1, 1440, &n, err);
	if (!rc) {
		a->next.lease_seconds = (int)n * 60;
		a->has_lease_minutes = true;
	}
	return rc;
}

static int set_lease_seconds(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	int64_t n = 0;
	int rc = get_int(key, v, 1, 86400, &n, err);
	if (!rc) {
		a->next.lease_seconds = (int)n;
		a->has_lease_seconds = true;
	}
	return rc;
}

static int set_max_rounds(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	int64_t n = 0;
	int rc = get_int(key, v, 1, 20, &n, err);
	if (!rc)
		a->next.max_rounds = (int)n;
	return rc;
}

static int set_status(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	int i;
	int rc = get_enum(key, v, statuses, &i, err);
	if (!rc)
		snprintf(a->next.status, sizeof a->next.status, "%s", statuses[i]);
	return rc;
}

static int set_visibility(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	int i;
	int rc = get_enum(key, v, visibilities, &i, err);
	if (!rc)
		a->next.is_public = i == 1;
	return rc;
}

/* ---- the LLM kinds' settings ---- */

/* A list of criteria: [{"name"}], 1 to PROJECT_MAX_CRITERIA distinct non-blank names. */
static int get_criteria(const char *key, const json_t *v, project_criteria *out, cl_error *err)
{
	size_t n = json_array_size(v);
	if (!json_is_array(v) || n < 1 || n > PROJECT_MAX_CRITERIA)
		return cl_fail(err, CL_EINVAL, NULL, "%s must be an array of 1 to %d {\"name\"}",
			       key, PROJECT_MAX_CRITERIA);
	project_criteria c = {0};
	for (size_t i = 0; i < n; i++) {
		const json_t *e = json_array_get(v, i);
		const json_t *name = json_object_get(e, "name");
		if (!json_is_object(e) || json_object_size(e) != 1 || !json_is_string(name))
			return cl_fail(err, CL_EINVAL, NULL, "%s[%zu] must be {\"name\": string}",
				       key, i);
		const char *s = json_string_value(name);
		size_t len = json_string_length(name);
		if (len < 1 || len > PROJECT_MAX_CRITERION_LEN || memchr(s, '\0', len) ||
		    strspn(s, " \t\r\n") == len)
			return cl_fail(err, CL_EINVAL, NULL,
				       "%s[%zu].name must be 1 to %d bytes, not blank", key, i,
				       PROJECT_MAX_CRITERION_LEN);
		for (int j = 0; j < c.n; j++) {
			if (!strcmp(c.name[j], s)) {
				char q[48];
				text_quote(s, len, q);
				return cl_fail(err, CL_EINVAL, NULL, "%s[%zu]: \"%s\" repeats", key,
					       i, q);
			}
		}
		memcpy(c.name[c.n], s, len + 1);
		c.n++;
	}
	*out = c;
	return 0;
}

static int set_criteria(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	a->has_preference_setting = true;
	a->preference_key = "criteria";
	return get_criteria(key, v, &a->next.llm.criteria, err);
}

static int set_rubric(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	a->has_response_setting = true;
	a->response_key = "rubric";
	return get_criteria(key, v, &a->next.llm.rubric, err);
}

static int set_scale(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	if (!json_is_integer(v) || (json_integer_value(v) != 5 && json_integer_value(v) != 7))
		return bad(err, "%s must be 5 or 7", key);
	a->next.llm.scale = (int)json_integer_value(v);
	a->has_scale = true;
	return 0;
}

static int set_require_reason(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	a->has_preference_setting = true;
	a->preference_key = "require_reason";
	return get_bool(key, v, &a->next.llm.require_reason, err);
}

static int set_rank_all(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	a->has_preference_setting = true;
	a->preference_key = "rank_all";
	return get_bool(key, v, &a->next.llm.rank_all, err);
}

/* The org's endpoint that pre-fills imported transcription images by its OCR: a name, or ""
 * for none. That the endpoint exists is the API's to check, with the store. */
static int set_prefill_endpoint(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	const char *name = json_string_value(v);
	a->has_prefill = true;
	if (!name)
		return bad(err, "%s must be an endpoint's name, or \"\" for none", key);
	if (name[0] && endpoint_name_problem(name))
		return cl_fail(err, CL_EINVAL, NULL, "%s: %s", key, endpoint_name_problem(name));
	snprintf(a->next.llm.prefill_endpoint, sizeof a->next.llm.prefill_endpoint, "%s", name);
	return 0;
}

/* {"min","max"}: code points of an llm_response answer, 0 <= min <= max, max >= 1. */
static int set_length(struct apply *a, const char *key, const json_t *v, cl_error *err)
{
	a->has_response_setting = true;
	a->response_key = "length";
	const json_t *min = json_object_get(v, "min"), *max = json_object_get(v, "max");
	if (!json_is_object(v) || !min || !max || json_object_size(v) != 2)
		return bad(err, "%s must be {\"min\": integer, \"max\": integer}", key);
	int64_t lo = 0, hi = 0;
	int rc = get_int("length.min", min, 0, PROJECT_MAX_ANSWER_LEN, &lo, err);
	rc = rc ? rc : get_int("length.max", max, 1, PROJECT_MAX_ANSWER_LEN, &hi, err);
	if (!rc && lo > hi)
		rc = bad(err, "%s.min must be <= max", key);
	if (!rc) {
		a->next.llm.length_min = lo;
		a->next.llm.length_max = hi;
	}
	return rc;
}

static json_t *criteria_json(const project_criteria *c)
{
	json_t *arr = json_array();
	for (int i = 0; arr && i < c->n; i++)
		json_array_append_new(arr, json_pack("{s:s}", "name", c->name[i]));
	return arr;
}

json_t *project_llm_json(const project_llm *s)
{
	json_t *o = json_pack("{s:o,s:i,s:b,s:b,s:{s:I,s:I},s:o}", "criteria",
			      criteria_json(&s->criteria), "scale", s->scale, "require_reason",
			      s->require_reason, "rank_all", s->rank_all, "length", "min",
			      (json_int_t)s->length_min, "max", (json_int_t)s->length_max, "rubric",
			      criteria_json(&s->rubric));
	/* Only a transcription project ever has one. */
	if (o && s->prefill_endpoint[0])
		json_object_set_new(o, "prefill_endpoint", json_string(s->prefill_endpoint));
	return o;
}

static void criteria_default(project_criteria *c)
{
	static const char *const names[] = {"helpfulness", "harmlessness", "factuality"};
	c->n = 3;
	for (int i = 0; i < 3; i++)
		snprintf(c->name[i], sizeof c->name[i], "%s", names[i]);
}

void project_llm_load(project_llm *s, const json_t *stored)
{
	*s = (project_llm){.scale = 5, .length_min = 1, .length_max = 10000};
	criteria_default(&s->criteria);
	criteria_default(&s->rubric);
	if (!json_is_object(stored))
		return;
	/* What the store holds was checked when it was set; a setter reads it again. */
	struct apply a = {.next.llm = *s};
	cl_error ignored;
	const json_t *v;
	if ((v = json_object_get(stored, "criteria")))
		set_criteria(&a, "criteria", v, &ignored);
	if ((v = json_object_get(stored, "rubric")))
		set_rubric(&a, "rubric", v, &ignored);
	if ((v = json_object_get(stored, "scale")))
		set_scale(&a, "scale", v, &ignored);
	if ((v = json_object_get(stored, "require_reason")))
		set_require_reason(&a, "require_reason", v, &ignored);
	if ((v = json_object_get(stored, "rank_all")))
		set_rank_all(&a, "rank_all", v, &ignored);
	if ((v = json_object_get(stored, "length")))
		set_length(&a, "length", v, &ignored);
	if ((v = json_object_get(stored, "prefill_endpoint")))
		set_prefill_endpoint(&a, "prefill_endpoint", v, &ignored);
	*s = a.next.llm;
}

const json_field project_fields[] = {
    {"name", JSON_FIELD_STRING, JSON_FIELD_REQUIRED, NULL},
    {"kind", JSON_FIELD_STRING, JSON_FIELD_REQUIRED, task_kind_names},
    {"org_id", JSON_FIELD_INTEGER, JSON_FIELD_REQUIRED, NULL},
    /* Required by the kinds that use labels (apply_check). */
    {"labels", JSON_FIELD_ARRAY, 0, NULL},
    {"criteria", JSON_FIELD_ARRAY, 0, NULL},
    {"scale", JSON_FIELD_INTEGER, 0, NULL},
    {"require_reason", JSON_FIELD_BOOLEAN, 0, NULL},
    {"rank_all", JSON_FIELD_BOOLEAN, 0, NULL},
    {"length", JSON_FIELD_OBJECT, 0, NULL},
    {"rubric", JSON_FIELD_ARRAY, 0, NULL},
    {"prefill_endpoint", JSON_FIELD_STRING, 0, NULL},
    {"multi_label", JSON_FIELD_BOOLEAN, 0, NULL},
    {"instructions", JSON_FIELD_STRING, 0, NULL},
    {"price", JSON_FIELD_INTEGER, 0, NULL},
    {"reviewer_fee", JSON_FIELD_INTEGER, 0, NULL},
    {"review_policy", JSON_FIELD_STRING, 0, review_policies},
    {"review_rate", JSON_FIELD_NUMBER, 0, NULL},
    {"overlap", JSON_FIELD_INTEGER, 0, NULL},
    {"lease_minutes", JSON_FIELD_INTEGER, 0, NULL},
    {"lease_seconds", JSON_FIELD_INTEGER, 0, NULL},
    {"max_rounds", JSON_FIELD_INTEGER, 0, NULL},
    {"status", JSON_FIELD_STRING, 0, statuses},
    {"visibility", JSON_FIELD_STRING, 0, visibilities},
    {"id", JSON_FIELD_INTEGER, JSON_FIELD_READ_ONLY, NULL},
    {"currency", JSON_FIELD_STRING, JSON_FIELD_READ_ONLY, NULL},
    {"created_at", JSON_FIELD_STRING, JSON_FIELD_READ_ONLY, NULL},
    {NULL, 0, 0, NULL},
};

/* The setter of each settable field of project_fields. */
static const struct field {
	const char *name;
	int (*set)(struct apply *a, const char *key, const json_t *v, cl_error *err);
} setters[] = {
    {"name", set_name},
    {"kind", set_kind},
    {"org_id", set_org_id},
    {"labels", set_labels},
    {"multi_label", set_multi_label},
    {"instructions", set_instructions},
    {"price", set_price},
    {"reviewer_fee", set_reviewer_fee},
    {"review_policy", set_review_policy},
    {"review_rate", set_review_rate},
    {"overlap", set_overlap},
    {"lease_minutes", set_lease_minutes},
    {"lease_seconds", set_lease_seconds},
    {"max_rounds", set_max_rounds},
    {"status", set_status},
    {"visibility", set_visibility},
    {"criteria", set_criteria},
    {"scale", set_scale},
    {"require_reason", set_require_reason},
    {"rank_all", set_rank_all},
    {"length", set_length},
    {"rubric", set_rubric},
    {"prefill_endpoint", set_prefill_endpoint},
};

static const struct field *field_find(const char *name)
{
	for (size_t i = 0; i < sizeof setters / sizeof setters[0]; i++)
		if (strcmp(setters[i].name, name) == 0)
			return &setters[i];
	return NULL;
}

/* The rules that tie fields together, checked on the finished copy. */
static int apply_check(const struct apply *a, cl_error *err)
{
	if (a->creating) {
		if (!a->has_org_id)
			return bad(err, "%s is required", "org_id");
		if (!a->has_name)
			return bad(err, "%s is required", "name");
		if (!a->has_kind)
			return bad(err, "%s is required", "kind");
		if (!a->has_labels && task_kind_uses_labels(a->next.kind))
			return bad(err, "%s is required", "labels");
	}
	if (a->has_lease_minutes && a->has_lease_seconds)
		return bad(err, "%s", "give lease_minutes or lease_seconds, not both");
	const project *n = &a->next;
	if (n->multi_label && n->kind != KIND_TEXT_CLASS && n->kind != KIND_IMAGE_CLASS)
		return bad(err, "multi_label applies only to text_class and image_class, not %s",
			   task_kind_name(n->kind));
	if (a->has_preference_setting && n->kind != KIND_LLM_PREFERENCE)
		return bad(err, "%s applies only to llm_preference", a->preference_key);
	if (a->has_response_setting && n->kind != KIND_LLM_RESPONSE)
		return bad(err, "%s applies only to llm_response", a->response_key);
	if (a->has_prefill && n->kind != KIND_IMAGE_TRANSCRIPTION)
		return bad(err, "%s", "prefill_endpoint applies only to image_transcription");
	if (a->has_scale && n->kind != KIND_LLM_PREFERENCE && n->kind != KIND_LLM_RESPONSE)
		return bad(err, "%s", "scale applies only to llm_preference and llm_response");
	if (n->review_sample && !(n->review_rate > 0 && n->review_rate <= 1))
		return bad(err, "%s", "review_policy \"sample\" needs review_rate in (0,1]");
	return 0;
}

int project_apply_json(project *p, const json_t *in, bool creating, cl_error *err)
{
	if (!json_is_object(in))
		return bad(err, "%s", "a project must be a JSON object");
	struct apply a = {.next = *p, .creating = creating};
	int rc = json_fields_check(in, project_fields, false, err);
	if (rc)
		return rc;
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)in, key, v)
	{
		const struct field *f = field_find(key);
		if (!f) {
			rc = cl_fail(err, CL_EINTERNAL, NULL, "no setter for field \"%.64s\"", key);
			goto out;
		}
		rc = f->set(&a, key, v, err);
		if (rc)
			goto out;
	}
	rc = apply_check(&a, err);
	if (rc)
		goto out;
	if (!a.labels && !p->labels && !(a.labels = json_array())) {
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
		goto out;
	}
	if (a.labels) {
		json_decref(p->labels);
		a.next.labels = a.labels;
		a.labels = NULL;
	}
	if (a.instructions) {
		free(p->instructions);
		a.next.instructions = a.instructions;
		a.instructions = NULL;
	}
	*p = a.next;
out:
	json_decref(a.labels);
	free(a.instructions);
	return rc;
}

bool project_has_label(const project *p, const char *label)
{
	if (!label)
		return false;
	size_t i;
	json_t *l;
	json_array_foreach(p->labels, i, l)
	{
		const char *s = json_string_value(l);
		if (s && strcmp(s, label) == 0)
			return true;
	}
	return false;
}

json_t *project_to_json(const project *p)
{
	char created[32];
	clock_iso8601(p->created_at, created);
	json_t *labels = p->labels ? json_deep_copy(p->labels) : json_array();
	json_t *rate = p->review_rate > 0 ? json_real(p->review_rate) : json_null();
	json_t *o = json_object();
	if (!o || !labels || !rate) {
		json_decref(o);
		json_decref(labels);
		json_decref(rate);
		return NULL;
	}
	int bad_set = 0;
	bad_set |= json_object_set_new(o, "id", json_integer(p->id));
	bad_set |= json_object_set_new(o, "org_id", json_integer(p->org_id));
	bad_set |= json_object_set_new(o, "name", json_string(p->name));
	bad_set |= json_object_set_new(o, "kind", json_string(task_kind_name(p->kind)));
	bad_set |= json_object_set_new(o, "labels", labels);
	bad_set |= json_object_set_new(o, "multi_label", json_boolean(p->multi_label));
	bad_set |= json_object_set_new(o, "instructions",
				       json_string(p->instructions ? p->instructions : ""));
	bad_set |= json_object_set_new(o, "price", json_integer(p->price));
	bad_set |= json_object_set_new(o, "reviewer_fee", json_integer(p->reviewer_fee));
	bad_set |= json_object_set_new(o, "currency", json_string(p->currency));
	bad_set |= json_object_set_new(o, "review_policy",
				       json_string(p->review_sample ? "sample" : "full"));
	bad_set |= json_object_set_new(o, "review_rate", rate);
	bad_set |= json_object_set_new(o, "overlap", json_integer(p->overlap));
	bad_set |= json_object_set_new(o, "lease_minutes",
				       json_integer(((json_int_t)p->lease_seconds + 59) / 60));
	bad_set |= json_object_set_new(o, "lease_seconds", json_integer(p->lease_seconds));
	bad_set |= json_object_set_new(o, "max_rounds", json_integer(p->max_rounds));
	bad_set |= json_object_set_new(o, "status", json_string(p->status));
	bad_set |=
	    json_object_set_new(o, "visibility", json_string(p->is_public ? "public" : "private"));
	bad_set |= json_object_set_new(o, "created_at", json_string(created));
	if (project_is_llm(p))
		bad_set |= json_object_update_new(o, project_llm_json(&p->llm));
	if (p->kind == KIND_IMAGE_TRANSCRIPTION)
		bad_set |= json_object_set_new(o, "prefill_endpoint",
					       p->llm.prefill_endpoint[0]
						   ? json_string(p->llm.prefill_endpoint)
						   : json_null());
	if (bad_set) {
		json_decref(o);
		return NULL;
	}
	return o;
}

/* Copies the bytes of [first, last) of a struct. */
#define COPY_SPAN(to, from, type, first, last)                                                     \
	memcpy((char *)(to) + offsetof(type, first), (const char *)(from) + offsetof(type, first), \
	       offsetof(type, last) - offsetof(type, first))

static void criteria_copy(project_criteria *to, const project_criteria *from)
{
	to->n = from->n;
	memcpy(to->name, from->name, (size_t)from->n * sizeof from->name[0]);
}

/* The spans project_copy copies, with the name and the two criteria lists between them, cover
 * the whole struct: a field added between them would not be copied. */
_Static_assert(offsetof(project, kind) == offsetof(project, name) + sizeof(((project *)0)->name),
	       "project_copy: a field between name and kind");
_Static_assert(offsetof(project_llm, criteria) == 0 &&
		   offsetof(project_llm, rubric) == sizeof(project_criteria) &&
		   offsetof(project_llm, scale) == 2 * sizeof(project_criteria),
	       "project_copy: a field before or between the criteria lists");

/* The room of the name and the criteria is 2 KiB of the project's 2.5, and a project is copied
 * from the reading connection's memo into each request's scope and again into its change: the
 * copy writes only the bytes in use (the name up to its end, the criteria named), so each copy
 * touches a few cache lines, not forty. What lies past them is never read. */
void project_copy(project *to, const project *from)
{
	project_release(to);
	COPY_SPAN(to, from, project, id, name);
	memcpy(to->name, from->name, strnlen(from->name, sizeof from->name - 1) + 1);
	COPY_SPAN(to, from, project, kind, llm);
	criteria_copy(&to->llm.criteria, &from->llm.criteria);
	criteria_copy(&to->llm.rubric, &from->llm.rubric);
	memcpy((char *)to + offsetof(project, llm.scale),
	       (const char *)from + offsetof(project, llm.scale),
	       sizeof *to - offsetof(project, llm.scale));
	to->labels = json_incref(from->labels);
	to->instructions = from->instructions ? strdup(from->instructions) : NULL;
}

bool project_is_llm(const project *p)
{
	return p->kind == KIND_LLM_PREFERENCE || p->kind == KIND_LLM_RESPONSE;
}

/* The LLM settings as members of an open object: ",\"criteria\":[...],...". */
static int llm_brief_write(buf *out, const project_llm *s)
{
	json_t *o = project_llm_json(s);
	int rc = o ? 0 : CL_ENOMEM;
	const char *key;
	json_t *v;
	json_object_foreach(o, key, v)
	{
		rc = rc ? rc : buf_puts(out, ",");
		rc = rc ? rc : json_write_string(out, key, strlen(key));
		rc = rc ? rc : buf_puts(out, ":");
		rc = rc ? rc : json_write(out, v);
	}
	json_decref(o);
	return rc;
}

int project_brief_write(buf *out, const project *p)
{
	int rc = buf_puts(out, "{\"id\":");
	rc = rc ? rc : buf_put_int(out, p->id);
	rc = rc ? rc : buf_puts(out, ",\"name\":");
	rc = rc ? rc : json_write_string(out, p->name, strlen(p->name));
	rc = rc ? rc : buf_puts(out, ",\"kind\":");
	const char *kind = task_kind_name(p->kind);
	rc = rc ? rc : json_write_string(out, kind, strlen(kind));
	rc = rc ? rc : buf_puts(out, ",\"labels\":");
	rc = rc ? rc : p->labels ? json_write(out, p->labels) : buf_puts(out, "[]");
	rc = rc ? rc : buf_puts(out, ",\"multi_label\":");
	rc = rc ? rc : buf_puts(out, p->multi_label ? "true" : "false");
	rc = rc ? rc : buf_puts(out, ",\"instructions\":");
	const char *ins = p->instructions ? p->instructions : "";
	rc = rc ? rc : json_write_string(out, ins, strlen(ins));
	if (!rc && project_is_llm(p))
		rc = llm_brief_write(out, &p->llm);
	return rc ? rc : buf_puts(out, "}");
}
