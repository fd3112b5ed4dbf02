/* Validation of submitted annotations, one checker per task kind (docs/API.md, "Annotations by
 * kind"): classification labels, image boxes, text spans, LLM preferences, written answers and
 * transcribed lines. Each checker refuses unknown keys,
 * wrong types and values outside the item, and its message names the path of the first problem
 * found, such as `boxes[1].w must be > 0`, in the order of the input. */
#include "core/annotation.h"
#include "core/llm_item.h"
#include "util/text.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Boxes are compared with the image in floating point; this much slack keeps a box that ends
 * on the edge, written as a sum of fractions, inside. */
#define EDGE_SLACK 1e-6

static int fail(cl_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(cl_error *err, const char *fmt, ...)
{
	if (err) {
		err->code = CL_EANNOTATION;
		err->name[0] = '\0';
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof err->message, fmt, ap);
		va_end(ap);
	}
	return CL_EANNOTATION;
}

/* Refuses any key of `obj` not in `allowed` (NULL-terminated); `where` prefixes the message. */
static int check_keys(const json_t *obj, const char *const *allowed, const char *where,
		      cl_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known) {
			char q[48];
			text_quote(key, strlen(key), q);
			return fail(err, "%sunknown key \"%s\"", where, q);
		}
	}
	return 0;
}

/* A label string in the project's set; `path` names it ("labels[0]", "boxes[2].label"), and
 * `owner` the element a set miss is reported on ("labels[0]", "boxes[2]"). */
static int check_label(const project *p, const json_t *v, const char *path, const char *owner,
		       cl_error *err)
{
	if (!json_is_string(v))
		return fail(err, "%s must be a string", path);
	const char *s = json_string_value(v);
	size_t len = json_string_length(v);
	if (memchr(s, '\0', len) || !project_has_label(p, s)) {
		char q[48];
		text_quote(s, len, q);
		return fail(err, "%s: label \"%s\" is not in the project's label set", owner, q);
	}
	return 0;
}

/* The one array member an annotation has ("labels", "boxes", "spans"). */
static int top_array(const json_t *a, const char *name, const json_t **out, cl_error *err)
{
	const char *const allowed[] = {name, NULL};
	int rc = check_keys(a, allowed, "", err);
	if (rc)
		return rc;
	const json_t *v = json_object_get(a, name);
	if (!v)
		return fail(err, "%s is required", name);
	if (!json_is_array(v))
		return fail(err, "%s must be an array", name);
	if (json_array_size(v) > ANNOTATION_MAX_PARTS)
		return fail(err, "%s may hold at most %d entries", name, ANNOTATION_MAX_PARTS);
	*out = v;
	return 0;
}

static int validate_class(const project *p, const json_t *a, cl_error *err)
{
	const json_t *labels;
	int rc = top_array(a, "labels", &labels, err);
	if (rc)
		return rc;
	size_t n = json_array_size(labels);
	if (!p->multi_label && n != 1)
		return fail(err, "exactly one label required");
	if (p->multi_label && n < 1)
		return fail(err, "at least one label required");
	for (size_t i = 0; i < n; i++) {
		const json_t *l = json_array_get(labels, i);
		char path[32];
		snprintf(path, sizeof path, "labels[%zu]", i);
		rc = check_label(p, l, path, path, err);
		if (rc)
			return rc;
		/* In the set, so at most as many distinct ones as the set holds (500). */
		for (size_t j = 0; j < i; j++) {
			if (json_equal(l, json_array_get(labels, j))) {
				char q[48];
				text_quote(json_string_value(l), json_string_length(l), q);
				return fail(err, "%s: duplicate label \"%s\" (also labels[%zu])",
					    path, q, j);
			}
		}
	}
	return 0;
}

/* A number member of a box; the box's path is `where` ("boxes[1]"). */
static int box_number(const json_t *box, const char *where, const char *name, double *out,
		      cl_error *err)
{
	const json_t *v = json_object_get(box, name);
	if (!v)
		return fail(err, "%s.%s is required", where, name);
	if (!json_is_number(v))
		return fail(err, "%s.%s must be a number", where, name);
	*out = json_number_value(v);
	return 0;
}

static int validate_bbox(const project *p, const item_facts *item, const json_t *a, cl_error *err)
{
	static const char *const box_keys[] = {"x", "y", "w", "h", "label", NULL};
	if (item->width <= 0 || item->height <= 0)
		return fail(err, "the image's size is unknown");
	const json_t *boxes;
	int rc = top_array(a, "boxes", &boxes, err);
	if (rc)
		return rc;
	double width = (double)item->width, height = (double)item->height;
	size_t i;
	const json_t *box;
	json_array_foreach(boxes, i, box)
	{
		char where[32], prefix[40];
		snprintf(where, sizeof where, "boxes[%zu]", i);
		snprintf(prefix, sizeof prefix, "%s: ", where);
		if (!json_is_object(box))
			return fail(err, "%s must be an object", where);
		rc = check_keys(box, box_keys, prefix, err);
		if (rc)
			return rc;
		double x = 0, y = 0, w = 0, h = 0;
		if ((rc = box_number(box, where, "x", &x, err)) ||
		    (rc = box_number(box, where, "y", &y, err)) ||
		    (rc = box_number(box, where, "w", &w, err)) ||
		    (rc = box_number(box, where, "h", &h, err)))
			return rc;
		if (x < 0)
			return fail(err, "%s.x must be >= 0", where);
		if (y < 0)
			return fail(err, "%s.y must be >= 0", where);
		if (!(w > 0))
			return fail(err, "%s.w must be > 0", where);
		if (!(h > 0))
			return fail(err, "%s.h must be > 0", where);
		if (x + w > width + EDGE_SLACK)
			return fail(err, "%s is outside the image: x+w = %g > width %g", where,
				    x + w, width);
		if (y + h > height + EDGE_SLACK)
			return fail(err, "%s is outside the image: y+h = %g > height %g", where,
				    y + h, height);
		const json_t *label = json_object_get(box, "label");
		if (!label)
			return fail(err, "%s.label is required", where);
		char path[40];
		snprintf(path, sizeof path, "%s.label", where);
		rc = check_label(p, label, path, where, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* An integer member of a span. */
static int span_int(const json_t *span, const char *where, const char *name, json_int_t *out,
		    cl_error *err)
{
	const json_t *v = json_object_get(span, name);
	if (!v)
		return fail(err, "%s.%s is required", where, name);
	if (!json_is_integer(v))
		return fail(err, "%s.%s must be an integer", where, name);
	*out = json_integer_value(v);
	return 0;
}

/* Code points of valid UTF-8 text: every byte that does not continue a sequence. */
static json_int_t utf8_length(const char *s)
{
	json_int_t n = 0;
	for (; s && *s; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

static int validate_spans(const project *p, const item_facts *item, const json_t *a, cl_error *err)
{
	static const char *const span_keys[] = {"start", "end", "label", NULL};
	const json_t *spans;
	int rc = top_array(a, "spans", &spans, err);
	if (rc)
		return rc;
	json_int_t length = utf8_length(item->text);
	size_t i;
	const json_t *span;
	json_array_foreach(spans, i, span)
	{
		char where[32], prefix[40];
		snprintf(where, sizeof where, "spans[%zu]", i);
		snprintf(prefix, sizeof prefix, "%s: ", where);
		if (!json_is_object(span))
			return fail(err, "%s must be an object", where);
		rc = check_keys(span, span_keys, prefix, err);
		if (rc)
			return rc;
		json_int_t start = 0, end = 0;
		if ((rc = span_int(span, where, "start", &start, err)) ||
		    (rc = span_int(span, where, "end", &end, err)))
			return rc;
		if (start < 0)
			return fail(err, "%s.start must be >= 0", where);
		if (end <= start)
			return fail(err, "%s: start must be < end (start %lld, end %lld)", where,
				    (long long)start, (long long)end);
		if (end > length)
			return fail(err,
				    "%s.end %lld is past the end of the text (%lld characters)",
				    where, (long long)end, (long long)length);
		const json_t *label = json_object_get(span, "label");
		if (!label)
			return fail(err, "%s.label is required", where);
		char path[40];
		snprintf(path, sizeof path, "%s.label", where);
		rc = check_label(p, label, path, where, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- llm_preference ---- */

/* The index of string `v` among the responses' ids, or -1. */
static int response_index(const json_t *ids, const json_t *v)
{
	size_t i;
	const json_t *id;
	json_array_foreach(ids, i, id)
	{
		if (json_is_string(v) && json_equal(id, v))
			return (int)i;
	}
	return -1;
}

/* `name` is an array holding each response id once: a permutation of `ids`. */
static int check_permutation(const json_t *v, const char *name, const json_t *ids, cl_error *err)
{
	size_t n = json_array_size(ids);
	if (!json_is_array(v) || json_array_size(v) != n)
		return fail(err, "%s must be an array of the %zu response ids", name, n);
	bool seen[LLM_MAX_RESPONSES] = {false};
	for (size_t i = 0; i < n; i++) {
		int k = response_index(ids, json_array_get(v, i));
		if (k < 0)
			return fail(err, "%s[%zu] is not a response id of the item", name, i);
		if (seen[k])
			return fail(err, "%s[%zu] repeats a response id", name, i);
		seen[k] = true;
	}
	return 0;
}

/* The item's document and its response ids in stored order (both new references: the caller
 * frees them). */
static int preference_ids(const item_facts *item, json_t **doc, json_t **ids, cl_error *err)
{
	*doc = llm_item_parse(item->text, KIND_LLM_PREFERENCE);
	if (!*doc)
		return fail(err, "the item is not an llm_preference item (a prompt and responses)");
	json_t *ordered = json_array();
	size_t i;
	const json_t *r;
	json_array_foreach(llm_item_responses(*doc), i, r)
	{
		json_array_append(ordered, json_object_get(r, "id"));
	}
	*ids = ordered;
	return 0;
}

/* "order": the order the task showed the responses in (any permutation without a task). */
static int check_order(const item_facts *item, const json_t *doc, const json_t *ids,
		       const json_t *a, cl_error *err)
{
	const json_t *order = json_object_get(a, "order");
	if (!order)
		return fail(err, "order is required: the order the responses were shown in");
	int rc = check_permutation(order, "order", ids, err);
	if (rc || !item->task_id)
		return rc;
	json_t *shown = llm_response_order(item->task_id, doc);
	bool same = json_equal(shown, order);
	json_decref(shown);
	if (!same)
		return fail(err, "order must be the task's response_order, the order the responses"
				 " were shown in");
	return 0;
}

/* "best", "ranking" and "tie": a pick or a ranking (a ranking when rank_all), tie only without
 * a best, and a best that heads the ranking. */
static int check_choice(const project *p, const json_t *ids, const json_t *a, cl_error *err)
{
	const json_t *best = json_object_get(a, "best"), *ranking = json_object_get(a, "ranking");
	const json_t *tie = json_object_get(a, "tie");
	if (best && !json_is_null(best) && response_index(ids, best) < 0)
		return fail(err, "best must be a response id of the item or null");
	if (tie && !json_is_boolean(tie))
		return fail(err, "tie must be true or false");
	bool has_best = best && !json_is_null(best);
	if (json_is_true(tie) && has_best)
		return fail(err, "tie is allowed only without a best response (best: null)");
	if (ranking) {
		int rc = check_permutation(ranking, "ranking", ids, err);
		if (rc)
			return rc;
		if (has_best && !json_equal(best, json_array_get(ranking, 0)))
			return fail(err, "best must be the first of ranking");
	}
	if (p->llm.rank_all && !ranking)
		return fail(err, "ranking is required: the project ranks every response");
	if (!has_best && !ranking && !json_is_true(tie))
		return fail(err, "best or ranking is required (or best null with tie true)");
	return 0;
}

/* An object of scores: an integer 1..scale for every criterion of `c`, no other key. `path`
 * names it ("ratings.a", "rubric"), `list` the criteria in the message of an unknown key. */
static int check_scores(const project_criteria *c, int scale, const json_t *obj, const char *path,
			const char *list, cl_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)obj, key, v)
	{
		bool known = false;
		for (int i = 0; i < c->n && !known; i++)
			known = !strcmp(key, c->name[i]);
		if (!known) {
			char q[48];
			text_quote(key, strlen(key), q);
			return fail(err, "%s: \"%s\" is not a criterion of %s", path, q, list);
		}
	}
	for (int i = 0; i < c->n; i++) {
		const json_t *score = json_object_get(obj, c->name[i]);
		if (!score)
			return fail(err, "%s.%s is required", path, c->name[i]);
		if (!json_is_integer(score) || json_integer_value(score) < 1 ||
		    json_integer_value(score) > scale)
			return fail(err, "%s.%s must be an integer from 1 to %d", path, c->name[i],
				    scale);
	}
	return 0;
}

/* "ratings": every response, every criterion, an integer 1..scale. */
static int check_ratings(const project *p, const json_t *ids, const json_t *a, cl_error *err)
{
	const json_t *ratings = json_object_get(a, "ratings");
	if (!json_is_object(ratings))
		return fail(err, "ratings must be an object of each response's ratings");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)ratings, key, v)
	{
		json_t *k = json_string(key);
		int known = response_index(ids, k);
		json_decref(k);
		if (known < 0) {
			char q[48];
			text_quote(key, strlen(key), q);
			return fail(err, "ratings: \"%s\" is not a response id of the item", q);
		}
	}
	size_t i;
	const json_t *id;
	json_array_foreach(ids, i, id)
	{
		char path[32];
		snprintf(path, sizeof path, "ratings.%s", json_string_value(id));
		const json_t *r = json_object_get(ratings, json_string_value(id));
		if (!json_is_object(r))
			return fail(err, "%s is required: an object of the criteria", path);
		int rc = check_scores(&p->llm.criteria, p->llm.scale, r, path, "the project", err);
		if (rc)
			return rc;
	}
	return 0;
}

/* Code points of a JSON string value. */
static json_int_t string_chars(const json_t *v)
{
	return utf8_length(json_string_value(v));
}

static int check_reason(const project *p, const json_t *a, cl_error *err)
{
	const json_t *reason = json_object_get(a, "reason");
	if (reason && !json_is_string(reason))
		return fail(err, "reason must be a string");
	if (reason && string_chars(reason) > ANNOTATION_MAX_REASON_CHARS)
		return fail(err, "reason may be at most %d characters",
			    ANNOTATION_MAX_REASON_CHARS);
	const char *s = json_string_value(reason);
	if (p->llm.require_reason && (!s || strspn(s, " \t\r\n") == strlen(s)))
		return fail(err, "reason is required: the project asks why");
	return 0;
}

static int validate_preference(const project *p, const item_facts *item, const json_t *a,
			       cl_error *err)
{
	static const char *const keys[] = {"best",   "ranking", "tie", "ratings",
					   "reason", "order",	NULL};
	int rc = check_keys(a, keys, "", err);
	if (rc)
		return rc;
	json_t *doc = NULL, *ids = NULL;
	rc = preference_ids(item, &doc, &ids, err);
	rc = rc ? rc : check_order(item, doc, ids, a, err);
	rc = rc ? rc : check_choice(p, ids, a, err);
	rc = rc ? rc : check_ratings(p, ids, a, err);
	rc = rc ? rc : check_reason(p, a, err);
	json_decref(ids);
	json_decref(doc);
	return rc;
}

/* ---- llm_response ---- */

static int validate_response(const project *p, const item_facts *item, const json_t *a,
			     cl_error *err)
{
	static const char *const keys[] = {"text", NULL};
	int rc = check_keys(a, keys, "", err);
	if (rc)
		return rc;
	json_t *doc = llm_item_parse(item->text, KIND_LLM_RESPONSE);
	json_decref(doc);
	if (!doc)
		return fail(err, "the item is not an llm_response item (a prompt)");
	const json_t *text = json_object_get(a, "text");
	if (!text)
		return fail(err, "text is required");
	if (!json_is_string(text) ||
	    memchr(json_string_value(text), '\0', json_string_length(text)))
		return fail(err, "text must be a string");
	json_int_t n = string_chars(text);
	if (n < p->llm.length_min || n > p->llm.length_max)
		return fail(err, "text must be %lld to %lld characters, not %lld",
			    (long long)p->llm.length_min, (long long)p->llm.length_max,
			    (long long)n);
	return 0;
}

/* ---- image_transcription ---- */

/* An optional box {"x","y","w","h"} inside the image; `where` names its line. */
static int check_line_box(const item_facts *item, const json_t *box, const char *where,
			  cl_error *err)
{
	static const char *const keys[] = {"x", "y", "w", "h", NULL};
	char path[48], prefix[56];
	snprintf(path, sizeof path, "%s.box", where);
	snprintf(prefix, sizeof prefix, "%s: ", path);
	if (!json_is_object(box))
		return fail(err, "%s must be an object {x, y, w, h}", path);
	int rc = check_keys(box, keys, prefix, err);
	double x = 0, y = 0, w = 0, h = 0;
	if (rc || (rc = box_number(box, path, "x", &x, err)) ||
	    (rc = box_number(box, path, "y", &y, err)) ||
	    (rc = box_number(box, path, "w", &w, err)) ||
	    (rc = box_number(box, path, "h", &h, err)))
		return rc;
	if (x < 0 || y < 0)
		return fail(err, "%s.x and .y must be >= 0", path);
	if (!(w > 0) || !(h > 0))
		return fail(err, "%s.w and .h must be > 0", path);
	if (x + w > (double)item->width + EDGE_SLACK || y + h > (double)item->height + EDGE_SLACK)
		return fail(err, "%s is outside the image (%lld x %lld)", path,
			    (long long)item->width, (long long)item->height);
	return 0;
}

static int check_line(const item_facts *item, const json_t *line, size_t i, cl_error *err)
{
	static const char *const keys[] = {"text", "box", NULL};
	char where[32], prefix[40];
	snprintf(where, sizeof where, "lines[%zu]", i);
	snprintf(prefix, sizeof prefix, "%s: ", where);
	if (!json_is_object(line))
		return fail(err, "%s must be an object", where);
	int rc = check_keys(line, keys, prefix, err);
	if (rc)
		return rc;
	const json_t *text = json_object_get(line, "text");
	if (!text)
		return fail(err, "%s.text is required", where);
	if (!json_is_string(text) ||
	    memchr(json_string_value(text), '\0', json_string_length(text)))
		return fail(err, "%s.text must be a string", where);
	if (string_chars(text) > ANNOTATION_MAX_LINE_CHARS)
		return fail(err, "%s.text may be at most %d characters", where,
			    ANNOTATION_MAX_LINE_CHARS);
	const json_t *box = json_object_get(line, "box");
	return box ? check_line_box(item, box, where, err) : 0;
}

static int validate_transcription(const item_facts *item, const json_t *a, cl_error *err)
{
	if (item->width <= 0 || item->height <= 0)
		return fail(err, "the image's size is unknown");
	static const char *const keys[] = {"lines", NULL};
	int rc = check_keys(a, keys, "", err);
	if (rc)
		return rc;
	const json_t *lines = json_object_get(a, "lines");
	if (!lines)
		return fail(err, "lines is required");
	if (!json_is_array(lines))
		return fail(err, "lines must be an array");
	if (json_array_size(lines) > ANNOTATION_MAX_LINES)
		return fail(err, "lines may hold at most %d entries", ANNOTATION_MAX_LINES);
	size_t i;
	const json_t *line;
	json_array_foreach(lines, i, line)
	{
		if ((rc = check_line(item, line, i, err)))
			return rc;
	}
	return 0;
}

int annotation_rubric_check(const project *p, const json_t *rubric, cl_error *err)
{
	if (p->kind != KIND_LLM_RESPONSE)
		return fail(err, "rubric applies only to llm_response reviews, not %s",
			    task_kind_name(p->kind));
	if (!json_is_object(rubric))
		return fail(err, "rubric must be an object of the rubric's criteria");
	return check_scores(&p->llm.rubric, p->llm.scale, rubric, "rubric", "the project's rubric",
			    err);
}

int annotation_validate(const project *p, const item_facts *item, const json_t *annotation,
			cl_error *err)
{
	if (!json_is_object(annotation))
		return fail(err, "the annotation must be a JSON object");
	item_type want = task_kind_item_type(p->kind);
	if (item->type != want)
		return fail(err, "%s projects label %s items, not %s items",
			    task_kind_name(p->kind), item_type_name(want),
			    item_type_name(item->type));
	switch (p->kind) {
	case KIND_TEXT_CLASS:
	case KIND_IMAGE_CLASS: return validate_class(p, annotation, err);
	case KIND_IMAGE_BBOX: return validate_bbox(p, item, annotation, err);
	case KIND_TEXT_SPANS: return validate_spans(p, item, annotation, err);
	case KIND_LLM_PREFERENCE: return validate_preference(p, item, annotation, err);
	case KIND_LLM_RESPONSE: return validate_response(p, item, annotation, err);
	case KIND_IMAGE_TRANSCRIPTION: return validate_transcription(item, annotation, err);
	}
	return fail(err, "unknown task kind");
}
