/* Validation of submitted annotations, one checker per task kind (docs/API.md, "Annotations by
 * kind"): classification labels, image boxes and text spans. Each checker refuses unknown keys,
 * wrong types and values outside the item, and its message names the path of the first problem
 * found, such as `boxes[1].w must be > 0`, in the order of the input. */
#include "core/annotation.h"
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
	}
	return fail(err, "unknown task kind");
}
