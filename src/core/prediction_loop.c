/* The loop's rules (core/prediction_loop.h). */
#include "core/prediction_loop.h"

#include <string.h>

#include "core/annotation.h"

/* The settings' own shape: members, threshold and cap, into *threshold and *cap. */
static int settings_shape(const json_t *settings, double *threshold, int64_t *cap, cl_error *err)
{
	const json_t *t = json_object_get(settings, "threshold");
	const json_t *c = json_object_get(settings, "daily_cap");
	if (!json_is_object(settings) ||
	    !json_is_integer(json_object_get(settings, "project_id")) ||
	    json_object_size(settings) > 1u + (t != NULL) + (c != NULL))
		return cl_fail(
		    err, CL_EINVAL, NULL,
		    "\"feedback\" is {\"project_id\",\"threshold\"?,\"daily_cap\"?} or null");
	if (t && (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 1))
		return cl_fail(err, CL_EINVAL, NULL, "\"threshold\" is a number from 0 to 1");
	if (c && (!json_is_integer(c) || json_integer_value(c) < 1 ||
		  json_integer_value(c) > LOOP_DAILY_CAP_MAX))
		return cl_fail(err, CL_EINVAL, NULL, "\"daily_cap\" is an integer from 1 to %d",
			       LOOP_DAILY_CAP_MAX);
	*threshold = t ? json_number_value(t) : 0.5;
	*cap = c ? json_integer_value(c) : LOOP_DAILY_CAP_DEFAULT;
	return 0;
}

int loop_settings_check(const json_t *settings, const project *p, int64_t endpoint_org,
			const char *model_kind, int64_t *project_id, double *threshold,
			int64_t *cap, cl_error *err)
{
	int rc = settings_shape(settings, threshold, cap, err);
	if (rc)
		return rc;
	if (!p || p->org_id != endpoint_org)
		return cl_fail(err, CL_ENOTFOUND, NULL, "project not found");
	if (!model_kind)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a feedback project takes an endpoint serving a trained model");
	if (strcmp(model_kind, task_kind_name(p->kind)))
		return cl_fail(err, CL_EINVAL, NULL, "the project labels %s, the model answers %s",
			       task_kind_name(p->kind), model_kind);
	*project_id = json_integer_value(json_object_get(settings, "project_id"));
	return 0;
}

/* The highest of an answer's scores, or of its spans' scores; 1 when it has none. */
static double top_score(const json_t *output)
{
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

json_t *loop_item_meta(const json_t *preannotation, int64_t endpoint_id, const char *reason)
{
	json_t *meta = json_pack("{s:{s:I,s:s}}", "prediction", "endpoint_id",
				 (json_int_t)endpoint_id, "reason", reason);
	if (preannotation)
		json_object_set(meta, "preannotation", (json_t *)preannotation);
	return meta;
}
