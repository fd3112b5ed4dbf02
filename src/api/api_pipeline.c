/* A project's retraining pipeline (core/pipeline.h): its settings, its history of runs with
 * their steps, and a person's decision on a run waiting for one. The runs themselves move on
 * the job runner's thread, never here. */
#include "api/api.h"
#include "core/pipeline.h"
#include "util/clock.h"

#include <stdlib.h>

#define HISTORY_MAX 100

/* GET /projects/{id}/pipeline: the settings (null when none) and the latest runs. */
int api_pipeline_get(http_request *r)
{
	const store *s = &api_app(r)->store;
	int64_t project_id = api_scope_of(r)->project.id;
	char *text = s->ops->pipeline_settings(s->db, project_id);
	json_t *settings = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	http_json(r, 200,
		  json_pack("{s:o,s:I,s:o}", "settings", settings ? settings : json_null(),
			    "base_dataset_id", (json_int_t)s->ops->pipeline_base(s->db, project_id),
			    "runs", s->ops->pipeline_history(s->db, project_id, HISTORY_MAX)));
	return 0;
}

/* PUT /projects/{id}/pipeline: the whole settings object, checked. */
int api_pipeline_put(http_request *r)
{
	json_t *body = NULL, *settings = NULL;
	const store *s = &api_app(r)->store;
	const project *p = &api_scope_of(r)->project;
	int rc = http_body_json(r, &body);
	if (!rc)
		rc = pipeline_settings_check(body, task_kind_name(p->kind), &settings, &r->err);
	char *text = rc ? NULL : json_dumps(settings, JSON_COMPACT);
	if (!rc)
		rc = s->ops->pipeline_settings_put(s->db, p->id, text, r->user.id, clock_now_ms(),
						   &r->err);
	if (!rc) {
		http_json(r, 200, json_pack("{s:O}", "settings", settings));
	}
	free(text);
	json_decref(settings);
	json_decref(body);
	return rc;
}

/* POST /projects/{id}/pipeline/runs: a run now, by the caller; its steps go on the runner's
 * thread. */
int api_pipeline_trigger(http_request *r)
{
	const store *s = &api_app(r)->store;
	int64_t project_id = api_scope_of(r)->project.id, run_id = 0;
	int rc = pipeline_trigger(s, project_id, r->user.id, &run_id, &r->err);
	if (rc)
		return rc;
	/* Newest first: the new run, unless the runner ended it and started another already. */
	json_t *runs = s->ops->pipeline_history(s->db, project_id, 8), *run, *found = NULL;
	size_t i;
	json_array_foreach(runs, i, run)
	{
		if (json_integer_value(json_object_get(run, "id")) == run_id)
			found = run;
	}
	http_json(r, 201,
		  found ? json_incref(found)
			: json_pack("{s:I,s:s}", "id", (json_int_t)run_id, "state", "running"));
	json_decref(runs);
	return 0;
}

static int decide(http_request *r, bool approve)
{
	const project *p = &api_scope_of(r)->project;
	int64_t org = 0;
	char model[65];
	int rc = pipeline_decide_by(&api_app(r)->store, p->id, r->ids[1], approve, r->user.id, &org,
				    model, &r->err);
	if (!rc && approve && *model)
		api_endpoints_follow_model(r, org, model);
	if (!rc)
		http_json(r, 200,
			  json_pack("{s:I,s:s}", "run_id", (json_int_t)r->ids[1], "state",
				    approve ? "promoted" : "rejected"));
	return rc;
}

/* POST /projects/{id}/pipeline/runs/{id}/approve */
int api_pipeline_approve(http_request *r)
{
	return decide(r, true);
}

/* POST /projects/{id}/pipeline/runs/{id}/reject */
int api_pipeline_reject(http_request *r)
{
	return decide(r, false);
}

void api_pipeline_promoted(void *ctx, int64_t org_id, const char *model)
{
	http_request *r = calloc(1, sizeof *r);
	if (!r)
		return;
	r->app = ctx;
	r->route_index = -1;
	api_endpoints_follow_model(r, org_id, model);
	json_decref(r->err_detail);
	free(r);
}

void api_pipeline_tick(void *ctx)
{
	app *a = ctx;
	pipeline_env env = {.store = &a->store,
			    .data_dir = a->data_dir,
			    .limits = &a->runs,
			    .promoted = api_pipeline_promoted,
			    .ctx = a};
	pipeline_tick(&env);
}
