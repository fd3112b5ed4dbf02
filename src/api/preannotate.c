/* Batch pre-annotation: see api/preannotate.h. */
#include "api/preannotate.h"
#include "core/project_load.h"
#include "core/prediction_loop.h"
#include "core/serving.h"
#include "store/blobs.h"
#include "store/store_endpoints.h"
#include "store/store_preannotate.h"
#include "store/store_projects.h"
#include "util/fs.h"
#include "util/log.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- routes ---- */

/* The kinds a model's answer pre-annotates (core/prediction_loop.h loop_preannotation). */
static bool kind_takes_preannotation(task_kind k)
{
	return k == KIND_TEXT_CLASS || k == KIND_TEXT_SPANS || k == KIND_IMAGE_CLASS ||
	       k == KIND_IMAGE_TRANSCRIPTION;
}

/* The run's endpoint, of the project's org and active: its id into m. */
static int run_endpoint(http_request *r, const project *p, const char *name, preannotation_model *m)
{
	endpoint_row e = {0};
	if (store_endpoint_by_name(api_app(r)->db, p->org_id, name, &e))
		return http_fail(r, CL_ENOTFOUND, NULL, "endpoint \"%.64s\" not found", name);
	bool active = e.active;
	m->endpoint_id = e.id;
	endpoint_row_release(&e);
	return active ? 0 : http_fail(r, CL_EUNAVAIL, "endpoint_paused", "the endpoint is paused");
}

/* A model version of the project's org, checked and loaded now (400/404 naming the problem):
 * *d the loaded deployment, which becomes the run's own slot in the serving registry. */
static int run_version(http_request *r, const project *p, int64_t version_id,
		       preannotation_model *m, json_t **targets, serving_deployment **d)
{
	json_t *given = json_pack("[{s:I}]", "model_version_id", (json_int_t)version_id);
	json_t *shadow = NULL;
	int rc = api_targets_load(r, p->org_id, given, NULL, targets, &shadow, d);
	json_decref(given);
	json_decref(shadow);
	m->model_version_id = version_id;
	return rc;
}

int api_preannotations_create(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	json_t *body = NULL, *out = NULL, *targets = NULL;
	serving_deployment *d = NULL;
	preannotation_model m = {0};
	int rc = http_body_json(r, &body);
	const char *name = json_string_value(json_object_get(body, "endpoint"));
	const json_t *version = json_object_get(body, "model_version_id");
	if (!rc && !kind_takes_preannotation(p->kind))
		rc = http_fail(r, CL_EINVAL, NULL,
			       "batch pre-annotation takes a text_class, text_spans, image_class or"
			       " image_transcription project, not %s",
			       task_kind_name(p->kind));
	if (!rc && !name == !version)
		rc = http_fail(r, CL_EINVAL, NULL,
			       "name one of \"endpoint\" and \"model_version_id\"");
	if (!rc)
		rc = name ? run_endpoint(r, p, name, &m)
			  : run_version(r, p, json_integer_value(version), &m, &targets, &d);
	char *text = targets ? json_dumps(targets, JSON_COMPACT) : NULL;
	m.targets = text;
	if (!rc)
		rc = store_preannotation_run_create(api_app(r)->db, p->id, &m, r->user.id, &out,
						    &r->err);
	if (!rc && d) {
		/* The loaded model waits for the runner in the run's own slot. */
		serving_install(api_app(r)->serving,
				-json_integer_value(json_object_get(out, "id")), 1, d);
		d = NULL;
	}
	if (!rc)
		http_json(r, 201, out);
	serving_release(d);
	free(text);
	json_decref(targets);
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

/* {"image_bytes_b64"} of an image item's blob; NULL when it cannot be read. */
static json_t *image_input(app *a, const char *blob)
{
	char path[2300];
	size_t n = 0;
	if (blob_path(a->data_dir, blob, path, sizeof path))
		return NULL;
	char *bytes = fs_read_all_n(path, PREANNOTATE_MAX_IMAGE_BYTES, &n);
	if (!bytes)
		return NULL;
	size_t len = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
	char *b64 = malloc(len);
	json_t *in = NULL;
	if (b64) {
		sodium_bin2base64(b64, len, (const unsigned char *)bytes, n,
				  sodium_base64_VARIANT_ORIGINAL);
		in = json_pack("{s:s}", "image_bytes_b64", b64);
	}
	free(b64);
	free(bytes);
	return in;
}

/* The pre-annotation of an item by deployment `d`'s production target, or NULL (skipped). */
static json_t *predict_item(app *a, serving_deployment *d, const project *p,
			    const preannotation_item *it)
{
	json_t *in = it->text	 ? json_pack("{s:s}", "text", it->content)
		     : it->image ? image_input(a, it->content)
				 : NULL;
	if (!in)
		return NULL;
	serving_answer ans;
	serving_answer_target(d, serving_production(d), in, &ans);
	json_decref(in);
	json_t *pre = NULL;
	if (!ans.rc)
		pre = it->text ? loop_preannotation(p, it->content, ans.output)
			       : loop_preannotation_image(p, it->width, it->height, ans.output);
	json_decref(ans.output);
	return pre;
}

/* Predicts one slice of the run's items and writes it. */
static int step_slice(app *a, const preannotation_run *run, const project *p, serving_deployment *d,
		      bool *finished, cl_error *err)
{
	preannotation_item items[PREANNOTATE_SLICE];
	preannotation_result results[PREANNOTATE_SLICE];
	int n = 0;
	store_preannotation_items(a->db, run->project_id, run->cursor, items, PREANNOTATE_SLICE,
				  &n);
	int64_t cursor = run->cursor;
	for (int i = 0; i < n; i++) {
		results[i] = (preannotation_result){items[i].id, predict_item(a, d, p, &items[i])};
		cursor = items[i].id;
	}
	*finished = n < PREANNOTATE_SLICE;
	int rc = store_preannotation_apply(a->db, run->id, results, n, cursor, *finished, err);
	for (int i = 0; i < n; i++) {
		json_decref((json_t *)results[i].preannotation);
		free(items[i].content);
	}
	return rc;
}

/* The deployment of a run of a model version: its own slot (-run id) of the registry. */
static const char *version_prepare(app *a, const preannotation_run *run, serving_deployment **d,
				   char *why, size_t why_size)
{
	cl_error err = {0};
	if (!serving_acquire(a->serving, -run->id, 1, run->targets, NULL, d, &err))
		return NULL;
	snprintf(why, why_size, "the model version cannot be loaded: %s", err.message);
	return why;
}

/* Why the run cannot go on (its endpoint or project gone, paused or not loading), or NULL
 * with *d and *p loaded. */
static const char *step_prepare(app *a, const preannotation_run *run, project *p,
				serving_deployment **d, char *why, size_t why_size)
{
	endpoint_row e = {0};
	if (project_get(&a->store, run->project_id, p))
		return "the project is gone";
	if (run->targets)
		return version_prepare(a, run, d, why, why_size);
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
	bool finished = true;
	const char *problem = step_prepare(a, &run, &p, &d, why, sizeof why);
	int rc = problem ? store_preannotation_fail(a->db, run.id, problem, &err)
			 : step_slice(a, &run, &p, d, &finished, &err);
	if (rc)
		log_error("msg=\"pre-annotation step failed\" run=%lld err=\"%s\"",
			  (long long)run.id, err.message);
	serving_release(d);
	/* A model version's own slot goes with its run. */
	if (run.targets && finished)
		serving_forget(a->serving, -run.id);
	json_decref(run.targets);
	project_release(&p);
}
