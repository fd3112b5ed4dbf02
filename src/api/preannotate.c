/* Batch pre-annotation: see api/preannotate.h. */
#include "api/preannotate.h"
#include "core/prediction_loop.h"
#include "core/serving.h"
#include "store/store_endpoints.h"
#include "store/store_preannotate.h"
#include "store/store_projects.h"
#include "util/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- routes ---- */

/* The kinds a model's answer pre-annotates (core/prediction_loop.h loop_preannotation). */
static bool kind_takes_preannotation(task_kind k)
{
	return k == KIND_TEXT_CLASS || k == KIND_TEXT_SPANS;
}

int api_preannotations_create(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	json_t *body = NULL, *out = NULL;
	endpoint_row e = {0};
	int rc = http_body_json(r, &body);
	const char *name = json_string_value(json_object_get(body, "endpoint"));
	if (!rc && !kind_takes_preannotation(p->kind))
		rc = http_fail(r, CL_EINVAL, NULL,
			       "batch pre-annotation takes a text_class or text_spans project, not %s",
			       task_kind_name(p->kind));
	if (!rc && store_endpoint_by_name(api_app(r)->db, p->org_id, name, &e))
		rc = http_fail(r, CL_ENOTFOUND, NULL, "endpoint \"%.64s\" not found", name);
	if (!rc && !e.active)
		rc = http_fail(r, CL_EUNAVAIL, "endpoint_paused", "the endpoint is paused");
	if (!rc)
		rc = store_preannotation_run_create(api_app(r)->db, p->id, e.id, r->user.id, &out,
						    &r->err);
	if (!rc)
		http_json(r, 201, out);
	endpoint_row_release(&e);
	json_decref(body);
	return rc;
}

int api_preannotations_list(http_request *r)
{
	http_json(r, 200,
		  json_pack("{s:o}", "items",
			    store_preannotation_runs(api_app(r)->db, api_scope_of(r)->project.id)));
	return 0;
}

/* ---- the runner's step ---- */

/* The pre-annotation of a text item by deployment `d`, or NULL (skipped). */
static json_t *predict_item(serving_deployment *d, const project *p, const preannotation_item *it)
{
	if (!it->text)
		return NULL;
	json_t *in = json_pack("{s:s}", "text", it->content);
	serving_answer a;
	serving_answer_target(d, serving_production(d), in, &a);
	json_decref(in);
	json_t *pre = a.rc ? NULL : loop_preannotation(p, it->content, a.output);
	json_decref(a.output);
	return pre;
}

/* Predicts one slice of the run's items and writes it. */
static int step_slice(app *a, const preannotation_run *run, const project *p,
		      serving_deployment *d, cl_error *err)
{
	preannotation_item items[PREANNOTATE_SLICE];
	preannotation_result results[PREANNOTATE_SLICE];
	int n = 0;
	store_preannotation_items(a->db, run->project_id, run->cursor, items, PREANNOTATE_SLICE,
				  &n);
	int64_t cursor = run->cursor;
	for (int i = 0; i < n; i++) {
		results[i] = (preannotation_result){items[i].id, predict_item(d, p, &items[i])};
		cursor = items[i].id;
	}
	int rc = store_preannotation_apply(a->db, run->id, results, n, cursor,
					   n < PREANNOTATE_SLICE, err);
	for (int i = 0; i < n; i++) {
		json_decref((json_t *)results[i].preannotation);
		free(items[i].content);
	}
	return rc;
}

/* Why the run cannot go on (its endpoint or project gone, paused or not loading), or NULL
 * with *d and *p loaded. */
static const char *step_prepare(app *a, const preannotation_run *run, project *p,
				serving_deployment **d, char *why, size_t why_size)
{
	endpoint_row e = {0};
	if (store_project_get(a->db, run->project_id, p))
		return "the project is gone";
	if (store_endpoint_row(a->db, run->endpoint_id, &e))
		return "the endpoint is gone";
	cl_error err = {0};
	const char *problem = NULL;
	if (!e.active)
		problem = "the endpoint is paused";
	else if (serving_acquire(a->serving, e.id, e.revision, e.targets, e.shadow, d, &err)) {
		snprintf(why, why_size, "the endpoint's model cannot be loaded: %s", err.message);
		problem = why;
	}
	endpoint_row_release(&e);
	return problem;
}

void preannotate_step(void *ctx)
{
	app *a = ctx;
	preannotation_run run;
	if (!a->serving || store_preannotation_run_next(a->db, &run))
		return;
	project p = {0};
	serving_deployment *d = NULL;
	char why[300];
	cl_error err = {0};
	const char *problem = step_prepare(a, &run, &p, &d, why, sizeof why);
	int rc = problem ? store_preannotation_fail(a->db, run.id, problem, &err)
			 : step_slice(a, &run, &p, d, &err);
	if (rc)
		log_error("msg=\"pre-annotation step failed\" run=%lld err=\"%s\"",
			  (long long)run.id, err.message);
	serving_release(d);
	project_release(&p);
}
