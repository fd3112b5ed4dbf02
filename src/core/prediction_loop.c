/* The loop's rules (core/prediction_loop.h). */
#include "core/prediction_loop.h"

#include <string.h>

#include "core/annotation.h"

int loop_settings_check(const json_t *settings, const project *p, int64_t endpoint_org,
			const char *model_kind, int64_t *project_id, double *threshold,
			cl_error *err)
{
	const json_t *id = json_object_get(settings, "project_id");
	const json_t *t = json_object_get(settings, "threshold");
	if (!json_is_object(settings) || !json_is_integer(id) ||
	    json_object_size(settings) > (t ? 2u : 1u))
		return cl_fail(err, CL_EINVAL, NULL,
			       "\"feedback\" is {\"project_id\":N,\"threshold\":T} or null");
	if (t && (!json_is_number(t) || json_number_value(t) < 0 || json_number_value(t) > 1))
		return cl_fail(err, CL_EINVAL, NULL, "\"threshold\" is a number from 0 to 1");
	if (!p || p->org_id != endpoint_org)
		return cl_fail(err, CL_ENOTFOUND, NULL, "project not found");
	if (!model_kind)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a feedback project takes an endpoint serving a trained model");
	if (strcmp(model_kind, task_kind_name(p->kind)))
		return cl_fail(err, CL_EINVAL, NULL, "the project labels %s, the model answers %s",
			       task_kind_name(p->kind), model_kind);
	*project_id = json_integer_value(id);
	*threshold = t ? json_number_value(t) : 0.5;
	return 0;
}

/* The highest of an answer's scores, or of its spans' scores; 1 when it has none. */
static double top_score(const json_t *output)
{
	double top = -1;
	const char *k;
	json_t *v;
	json_object_foreach((json_t *)json_object_get(output, "scores"), k,
			    v) if (json_number_value(v) > top) top = json_number_value(v);
	size_t i;
	json_array_foreach(json_object_get(output, "spans"), i,
			   v) if (json_number_value(json_object_get(v, "score")) > top) top =
	    json_number_value(json_object_get(v, "score"));
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
	json_array_foreach(spans, i, s) json_array_append_new(
	    out, json_pack("{s:O,s:O,s:O}", "start", json_object_get(s, "start"), "end",
			   json_object_get(s, "end"), "label", json_object_get(s, "label")));
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
