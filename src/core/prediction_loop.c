/* The loop's rules (core/prediction_loop.h). */
#include "core/prediction_loop.h"

#include <string.h>

#include "core/annotation.h"

/* A number member from 0 to 1, or `fallback` when missing. */
static int share_member(const json_t *settings, const char *name, double fallback, double *out,
			cl_error *err)
{
	const json_t *v = json_object_get(settings, name);
	if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1))
		return cl_fail(err, CL_EINVAL, NULL, "\"%s\" is a number from 0 to 1", name);
	*out = v ? json_number_value(v) : fallback;
	return 0;
}

/* An integer member from `min` to `max`, or `fallback` when missing. */
static int int_member(const json_t *settings, const char *name, int64_t min, int64_t max,
		      int64_t fallback, int64_t *out, cl_error *err)
{
	const json_t *v = json_object_get(settings, name);
	if (v && (!json_is_integer(v) || json_integer_value(v) < min || json_integer_value(v) > max))
		return cl_fail(err, CL_EINVAL, NULL, "\"%s\" is an integer from %lld to %lld", name,
			       (long long)min, (long long)max);
	*out = v ? json_integer_value(v) : fallback;
	return 0;
}

/* How much of its input images the endpoint keeps for feedback. */
static int image_members(const json_t *settings, loop_settings *out, cl_error *err)
{
	int rc = int_member(settings, "image_budget_kb", 0, LOOP_IMAGE_BUDGET_KB_MAX,
			    LOOP_IMAGE_BUDGET_KB_DEFAULT, &out->image_budget_kb, err);
	return rc ? rc
		  : int_member(settings, "image_days", 1, LOOP_IMAGE_DAYS_MAX,
			       LOOP_IMAGE_DAYS_DEFAULT, &out->image_days, err);
}

/* The settings' own shape: members, threshold, cap, canary share and kept images. */
static int settings_shape(const json_t *settings, loop_settings *out, cl_error *err)
{
	static const char *const known[] = {"project_id",   "threshold",       "daily_cap",
					    "canary_share", "image_budget_kb", "image_days"};
	size_t members = 0;
	for (size_t i = 0; i < sizeof known / sizeof *known; i++)
		members += json_object_get(settings, known[i]) != NULL;
	const json_t *c = json_object_get(settings, "daily_cap");
	if (!json_is_object(settings) ||
	    !json_is_integer(json_object_get(settings, "project_id")) ||
	    json_object_size(settings) > members)
		return cl_fail(err, CL_EINVAL, NULL,
			       "\"feedback\" is {\"project_id\",\"threshold\"?,\"daily_cap\"?,"
			       "\"canary_share\"?,\"image_budget_kb\"?,\"image_days\"?} or null");
	if (c && (!json_is_integer(c) || json_integer_value(c) < 1 ||
		  json_integer_value(c) > LOOP_DAILY_CAP_MAX))
		return cl_fail(err, CL_EINVAL, NULL, "\"daily_cap\" is an integer from 1 to %d",
			       LOOP_DAILY_CAP_MAX);
	out->daily_cap = c ? json_integer_value(c) : LOOP_DAILY_CAP_DEFAULT;
	int rc = share_member(settings, "threshold", 0.5, &out->threshold, err);
	if (!rc)
		rc = share_member(settings, "canary_share", 0, &out->canary_share, err);
	return rc ? rc : image_members(settings, out, err);
}

int loop_settings_check(const json_t *settings, const project *p, int64_t endpoint_org,
			const char *model_kind, loop_settings *out, cl_error *err)
{
	int rc = settings_shape(settings, out, err);
	if (rc)
		return rc;
	if (!p || p->org_id != endpoint_org)
		return cl_fail(err, CL_ENOTFOUND, NULL, "project not found");
	if (!loop_project_open(p))
		return cl_fail(err, CL_ECONFLICT, "project_closed",
			       "the feedback project is closed: it takes no new items");
	if (!model_kind)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a feedback project takes an endpoint serving a trained model");
	if (strcmp(model_kind, task_kind_name(p->kind)))
		return cl_fail(err, CL_EINVAL, NULL, "the project labels %s, the model answers %s",
			       task_kind_name(p->kind), model_kind);
	out->project_id = json_integer_value(json_object_get(settings, "project_id"));
	return 0;
}

bool loop_canary_sampled(double canary_share, unsigned draw)
{
	return (double)draw < canary_share * 1000000.0;
}

/* An answer's top label: its "label", the first of its "labels", or the best of its
 * "scores"; NULL when it has none. */
static const char *top_label(const json_t *output)
{
	const char *label = json_string_value(json_object_get(output, "label"));
	if (label)
		return label;
	if ((label = json_string_value(json_array_get(json_object_get(output, "labels"), 0))))
		return label;
	double top = -1;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(output, "scores"), k, v)
	{
		if (json_number_value(v) > top) {
			top = json_number_value(v);
			label = k;
		}
	}
	return label;
}

static json_t *spans_of(const json_t *spans);

/* Whether two OCR answers read the same lines, in order. */
static bool same_lines(const json_t *a, const json_t *b)
{
	if (json_array_size(a) != json_array_size(b))
		return false;
	for (size_t i = 0; i < json_array_size(a); i++)
		if (!json_equal(json_object_get(json_array_get(a, i), "text"),
				json_object_get(json_array_get(b, i), "text")))
			return false;
	return true;
}

const char *loop_canary_reason(const json_t *production, const json_t *canary)
{
	if (!production || !canary)
		return NULL;
	const json_t *la = json_object_get(production, "lines"), *lb = json_object_get(canary, "lines");
	if (json_is_array(la) || json_is_array(lb))
		return same_lines(la, lb) ? NULL : LOOP_CANARY_DISAGREEMENT;
	const char *a = top_label(production), *b = top_label(canary);
	if (a || b)
		return a && b && !strcmp(a, b) ? NULL : LOOP_CANARY_DISAGREEMENT;
	json_t *sa = spans_of(json_object_get(production, "spans"));
	json_t *sb = spans_of(json_object_get(canary, "spans"));
	bool same = json_equal(sa, sb);
	json_decref(sa);
	json_decref(sb);
	return same ? NULL : LOOP_CANARY_DISAGREEMENT;
}

/* How sure an OCR answer is: its least sure line's confidence (0 when it read no line). */
static double lines_certainty(const json_t *lines)
{
	double low = json_array_size(lines) ? 1 : 0;
	size_t i;
	json_t *l;
	json_array_foreach(lines, i, l)
	{
		double c = json_number_value(json_object_get(l, "confidence"));
		if (c < low)
			low = c;
	}
	return low;
}

/* The highest of an answer's scores, or of its spans' scores, or an OCR answer's certainty;
 * 1 when it has none. */
static double top_score(const json_t *output)
{
	if (json_is_array(json_object_get(output, "lines")))
		return lines_certainty(json_object_get(output, "lines"));
	double top = -1;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(output, "scores"), k, v)
	{
		if (json_number_value(v) > top)
			top = json_number_value(v);
	}
	size_t i;
	json_array_foreach(json_object_get(output, "spans"), i, v)
	{
		double score = json_number_value(json_object_get(v, "score"));
		if (score > top)
			top = score;
	}
	return top < 0 ? 1 : top;
}

const char *loop_reason(const json_t *output, double threshold)
{
	return output && top_score(output) < threshold ? LOOP_LOW_CONFIDENCE : NULL;
}

/* Spans without their scores: the annotation's shape. */
static json_t *spans_of(const json_t *spans)
{
	json_t *out = json_array(), *s;
	size_t i;
	json_array_foreach(spans, i, s)
	{
		json_array_append_new(out, json_pack("{s:O,s:O,s:O}", "start",
						     json_object_get(s, "start"), "end",
						     json_object_get(s, "end"), "label",
						     json_object_get(s, "label")));
	}
	return out;
}

json_t *loop_preannotation(const project *p, const char *text, const json_t *output)
{
	json_t *ann = NULL;
	const json_t *label = json_object_get(output, "label");
	const json_t *labels = json_object_get(output, "labels");
	if (p->kind == KIND_TEXT_CLASS && json_is_string(label))
		ann = json_pack("{s:[O]}", "labels", label);
	else if (p->kind == KIND_TEXT_CLASS && json_is_array(labels))
		ann = json_pack("{s:O}", "labels", labels);
	else if (p->kind == KIND_TEXT_SPANS && json_is_array(json_object_get(output, "spans")))
		ann = json_pack("{s:o}", "spans", spans_of(json_object_get(output, "spans")));
	item_facts item = {.type = ITEM_TEXT, .text = text};
	cl_error err = {0};
	if (ann && annotation_validate(p, &item, ann, &err)) {
		json_decref(ann);
		ann = NULL;
	}
	return ann;
}

json_t *loop_ocr_lines(const json_t *output, int64_t width, int64_t height)
{
	json_t *lines = json_array();
	size_t i;
	json_t *l;
	json_array_foreach(json_object_get(output, "lines"), i, l)
	{
		const char *text = json_string_value(json_object_get(l, "text"));
		if (!text || strspn(text, " \t\r\n") == strlen(text))
			continue;
		json_t *line = json_pack("{s:s}", "text", text);
		const json_t *b = json_object_get(l, "box");
		int64_t x = json_integer_value(json_array_get(b, 0));
		int64_t y = json_integer_value(json_array_get(b, 1));
		int64_t w = json_integer_value(json_array_get(b, 2));
		int64_t h = json_integer_value(json_array_get(b, 3));
		if (json_array_size(b) == 4 && x >= 0 && y >= 0 && x < width && y < height &&
		    w > 0 && h > 0)
			json_object_set_new(
			    line, "box",
			    json_pack("{s:I,s:I,s:I,s:I}", "x", (json_int_t)x, "y", (json_int_t)y,
				      "w", (json_int_t)(x + w > width ? width - x : w), "h",
				      (json_int_t)(y + h > height ? height - y : h)));
		json_array_append_new(lines, line);
	}
	return json_pack("{s:o}", "lines", lines);
}

json_t *loop_preannotation_image(const project *p, int64_t width, int64_t height,
				 const json_t *output)
{
	json_t *ann = NULL;
	const json_t *label = json_object_get(output, "label");
	if (p->kind == KIND_IMAGE_TRANSCRIPTION && json_is_array(json_object_get(output, "lines")))
		ann = loop_ocr_lines(output, width, height);
	else if (p->kind == KIND_IMAGE_CLASS && json_is_string(label))
		ann = json_pack("{s:[O]}", "labels", label);
	item_facts item = {.type = ITEM_IMAGE, .width = width, .height = height};
	cl_error err = {0};
	if (ann && annotation_validate(p, &item, ann, &err)) {
		json_decref(ann);
		ann = NULL;
	}
	return ann;
}

bool loop_project_open(const project *p)
{
	return strcmp(p->status, "closed") != 0;
}

json_t *loop_item_meta(const json_t *preannotation, int64_t endpoint_id, const char *reason)
{
	json_t *meta = json_pack("{s:{s:I,s:s}}", "prediction", "endpoint_id",
				 (json_int_t)endpoint_id, "reason", reason);
	if (preannotation)
		json_object_set(meta, "preannotation", (json_t *)preannotation);
	return meta;
}
