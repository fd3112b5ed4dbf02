/* The automated retraining pipeline: its settings, the promotion rule, and the runs the
 * runner's thread moves on step by step (trigger, dataset, train, evaluate, compare, then
 * promote, wait or keep). */
#include "core/pipeline.h"
#include "core/dataset.h"
#include "core/project.h"
#include "core/project_load.h"
#include "core/registry.h"
#include "ml/trainer.h"
#include "util/clock.h"
#include "util/log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the rule ---- */

pipeline_decision pipeline_decide(const pipeline_figures *f)
{
	bool better =
	    !f->has_production || (f->production_comparable && f->candidate > f->production &&
				   f->candidate - f->production >= f->margin - 1e-12);
	if (f->has_production && !f->production_comparable)
		return PIPELINE_WAIT;
	if (!better)
		return PIPELINE_KEEP;
	return f->approve_mode ? PIPELINE_WAIT : PIPELINE_PROMOTE;
}

const char *pipeline_decision_name(pipeline_decision d)
{
	static const char *const names[] = {"promote", "wait", "keep"};
	return names[d];
}

/* A member, or spans' entity F1 in {"entity":{"f1"}}. */
const json_t *pipeline_figure_in(const json_t *evaluation, const char *metric)
{
	if (!strcmp(metric, PIPELINE_ENTITY_F1))
		return json_object_get(json_object_get(evaluation, "entity"), "f1");
	return json_object_get(evaluation, metric);
}

bool pipeline_figure_of(const char *evaluation, const char *metric, double *out)
{
	json_t *e = evaluation ? json_loads(evaluation, 0, NULL) : NULL;
	const json_t *v = pipeline_figure_in(e, metric);
	bool ok = json_is_number(v) && isfinite(json_number_value(v));
	if (ok)
		*out = json_number_value(v);
	json_decref(e);
	return ok;
}

/* ---- settings ---- */

static bool one_of(const char *s, const char *a, const char *b)
{
	return s && (!strcmp(s, a) || !strcmp(s, b));
}

static int recipe_check(const json_t *in, const char *kind, cl_error *err)
{
	const char *name = json_string_value(json_object_get(in, "trainer"));
	const ml_trainer *t = name ? ml_trainer_find(name) : NULL;
	if (!t)
		return cl_fail(err, CL_EINVAL, "unknown_trainer",
			       "\"trainer\" must name a built-in trainer");
	if (!ml_trainer_takes(t, kind))
		return cl_fail(err, CL_EINVAL, "trainer_kind", "%s does not train %s projects",
			       t->name, kind);
	const json_t *params = json_object_get(in, "params");
	if (params && !json_is_object(params))
		return cl_fail(err, CL_EINVAL, NULL, "\"params\" must be an object");
	return ml_trainer_check(t, params, err);
}

/* A metric the project's kind is scored by: spans by entity F1, classes by accuracy or
 * macro-F1. */
static int metric_check(const json_t *metric, const char *kind, cl_error *err)
{
	bool spans = kind && !strcmp(kind, "text_spans");
	const char *m = json_string_value(metric);
	if (spans && metric && !(m && !strcmp(m, PIPELINE_ENTITY_F1)))
		return cl_fail(err, CL_EINVAL, NULL,
			       "\"metric\" of a text_spans project is entity_f1");
	if (!spans && metric && !one_of(m, "accuracy", "macro_f1"))
		return cl_fail(err, CL_EINVAL, NULL, "\"metric\" is accuracy or macro_f1");
	return 0;
}

static int figures_check(const json_t *in, cl_error *err)
{
	const json_t *threshold = json_object_get(in, "threshold");
	if (threshold && (!json_is_integer(threshold) || json_integer_value(threshold) < 1 ||
			  json_integer_value(threshold) > PIPELINE_THRESHOLD_MAX))
		return cl_fail(err, CL_EINVAL, NULL, "\"threshold\" is from 1 to %d",
			       PIPELINE_THRESHOLD_MAX);
	const json_t *margin = json_object_get(in, "margin");
	if (margin && (!json_is_number(margin) || !(json_number_value(margin) >= 0) ||
		       json_number_value(margin) > PIPELINE_MARGIN_MAX))
		return cl_fail(err, CL_EINVAL, NULL, "\"margin\" is from 0 to 1");
	const json_t *mode = json_object_get(in, "mode");
	if (mode && !one_of(json_string_value(mode), "auto", "approve"))
		return cl_fail(err, CL_EINVAL, NULL, "\"mode\" is auto or approve");
	const json_t *enabled = json_object_get(in, "enabled");
	if (enabled && !json_is_boolean(enabled))
		return cl_fail(err, CL_EINVAL, NULL, "\"enabled\" is true or false");
	return 0;
}

static json_t *member_or(const json_t *in, const char *key, json_t *fallback)
{
	const json_t *v = json_object_get(in, key);
	if (!v)
		return fallback;
	json_decref(fallback);
	return json_deep_copy(v);
}

int pipeline_settings_check(const json_t *in, const char *kind, json_t **out, cl_error *err)
{
	*out = NULL;
	const char *model = json_string_value(json_object_get(in, "model"));
	int rc = json_is_object(in) ? 0 : cl_fail(err, CL_EINVAL, NULL, "settings are an object");
	if (!rc && !registry_name_ok(model))
		rc = cl_fail(err, CL_EINVAL, NULL,
			     "\"model\" must be 1 to %d letters, digits, '_', '.' or '-'",
			     REGISTRY_NAME_MAX);
	if (!rc)
		rc = recipe_check(in, kind, err);
	if (!rc)
		rc = figures_check(in, err);
	if (!rc)
		rc = metric_check(json_object_get(in, "metric"), kind, err);
	if (rc)
		return rc;
	bool spans = !strcmp(kind, "text_spans");
	*out = json_pack(
	    "{s:o,s:o,s:s,s:o,s:s,s:o,s:o,s:o}", "enabled", member_or(in, "enabled", json_true()),
	    "threshold", member_or(in, "threshold", json_integer(50)), "trainer",
	    json_string_value(json_object_get(in, "trainer")), "params",
	    member_or(in, "params", json_object()), "model", model, "metric",
	    member_or(in, "metric", json_string(spans ? PIPELINE_ENTITY_F1 : "accuracy")), "margin",
	    member_or(in, "margin", json_real(0)), "mode",
	    member_or(in, "mode", json_string("auto")));
	return 0;
}

/* ---- steps ---- */

typedef struct step_job {
	const store_ops *ops;
	int64_t run_id, project_id, approved, actor;
	const char *step, *state, *reason, *metric;
	const json_t *figures, *set;
} step_job;

static int step_tx(store_tx *tx, void *ctx, cl_error *err)
{
	step_job *j = ctx;
	char *figures = j->figures ? json_dumps(j->figures, JSON_COMPACT) : NULL;
	int rc = j->ops->pipeline_step(tx, j->run_id, j->step, j->state, figures, j->reason,
				       j->actor, j->set, clock_now_ms(), err);
	free(figures);
	return rc;
}

/* Appends a step of run `run_id` and sets the run's columns of `set` (owned). */
static void step(const store *s, int64_t run_id, const char *name, const char *state,
		 json_t *figures, const char *reason, json_t *set)
{
	step_job j = {.ops = s->ops,
		      .run_id = run_id,
		      .step = name,
		      .state = state,
		      .reason = reason,
		      .figures = figures,
		      .set = set};
	cl_error err = {0};
	if (s->ops->write(s->db, step_tx, &j, &err))
		log_warn("msg=\"a pipeline step was not recorded\" run=%lld step=%s error=\"%s\"",
			 (long long)run_id, name, err.message);
	json_decref(figures);
	json_decref(set);
}

/* Ends run `run_id` at step `name`, failed for `reason`; production is never touched. */
static void fail(const store *s, int64_t run_id, const char *name, const char *reason)
{
	step(s, run_id, name, "failed", NULL, reason,
	     json_pack("{s:s,s:s}", "state", "failed", "reason", reason));
}

typedef struct load_job {
	const store_ops *ops;
	int64_t id;
	pipeline_run_row *out;
} load_job;

static int load_tx(store_tx *tx, void *ctx, cl_error *err)
{
	load_job *j = ctx;
	return j->ops->pipeline_run_load(tx, j->id, j->out)
		   ? cl_fail(err, CL_ENOTFOUND, NULL, "run not found")
		   : 0;
}

/* Reads run `id` in a transaction of its own; non-zero when missing. */
static int run_load(const store *s, int64_t id, pipeline_run_row *out)
{
	load_job j = {s->ops, id, out};
	cl_error err = {0};
	return s->ops->write(s->db, load_tx, &j, &err);
}

/* ---- starting a run: trigger, dataset, train ---- */

/* Closes the project's run that waits for a person, as MLflow and Kubeflow users expect of a
 * newer run: it is `superseded`, its model version stays registered and is never promoted.
 * *closed its id, 0 when none waited. */
static int supersede_waiting(store_tx *tx, const step_job *j, int64_t *closed, cl_error *err)
{
	*closed = j->ops->pipeline_run_waiting(tx, j->project_id);
	if (!*closed)
		return 0;
	json_t *set = json_pack("{s:s,s:s}", "state", "superseded", "reason", PIPELINE_SUPERSEDED);
	int rc = j->ops->pipeline_step(tx, *closed, "approval", "done", "{\"superseded\":true}",
				       PIPELINE_SUPERSEDED, 0, set, clock_now_ms(), err);
	json_decref(set);
	return rc;
}

/* Starts the run, superseding a run that waits for a person, in one transaction. */
static int start_tx(store_tx *tx, void *ctx, cl_error *err)
{
	step_job *j = ctx;
	int64_t closed = 0;
	int rc = supersede_waiting(tx, j, &closed, err);
	if (rc)
		return rc;
	json_t *figures = json_deep_copy(j->figures);
	if (closed)
		json_object_set_new(figures, "supersedes", json_integer(closed));
	char *text = json_dumps(figures, JSON_COMPACT);
	rc = j->ops->pipeline_run_start(tx, j->project_id, j->approved, j->metric, text, j->actor,
					clock_now_ms(), &j->run_id, err);
	free(text);
	json_decref(figures);
	return rc;
}

/* The dataset step: a version whose test split is the base's, the first one the base. */
static int dataset_step(const store *s, int64_t run_id, int64_t project_id, int64_t user,
			int64_t *dataset_id)
{
	int64_t base = s->ops->pipeline_base(s->db, project_id);
	cl_error err = {0};
	project p;
	project_init(&p);
	int rc = project_get(s, project_id, &p)
		     ? cl_fail(&err, CL_ENOTFOUND, NULL, "project not found")
		     : dataset_seal_pinned(s, &p, base, "made by the pipeline", user, dataset_id,
					   &err);
	project_release(&p);
	if (rc ||
	    (!base && s->ops->pipeline_base_set(s->db, project_id, *dataset_id, &err))) {
		fail(s, run_id, "dataset", err.message);
		return -1;
	}
	step(s, run_id, "dataset", "done",
	     json_pack("{s:I,s:I}", "dataset_id", (json_int_t)*dataset_id, "test_from",
		       (json_int_t)(base ? base : *dataset_id)),
	     NULL, json_pack("{s:I}", "dataset_id", (json_int_t)*dataset_id));
	return 0;
}

static void train_step(const pipeline_env *env, int64_t run_id, const json_t *c, int64_t dataset_id,
		       int64_t org_id)
{
	const json_t *settings = json_object_get(c, "settings");
	run_request req = {
	    .org_id = org_id,
	    .user_id = json_integer_value(json_object_get(c, "user_id")),
	    .org_role = "",
	    .dataset_id = dataset_id,
	    .trainer = json_string_value(json_object_get(settings, "trainer")),
	    .params = json_object_get(settings, "params"),
	};
	int64_t job_id = 0;
	cl_error err = {0};
	if (run_submit(env->store, env->limits, &req, &job_id, &err)) {
		fail(env->store, run_id, "train", err.message);
		return;
	}
	step(env->store, run_id, "train", "done",
	     json_pack("{s:I,s:s}", "job_id", (json_int_t)job_id, "trainer", req.trainer), NULL,
	     json_pack("{s:I}", "job_id", (json_int_t)job_id));
}

/* The dataset and training steps of started run `run_id`, for candidate `c` (an element of
 * ops->pipeline_candidates). */
static void first_steps(const pipeline_env *env, int64_t run_id, int64_t project_id,
			const json_t *c)
{
	const store *s = env->store;
	pipeline_run_row run;
	int64_t dataset_id = 0;
	if (dataset_step(s, run_id, project_id, json_integer_value(json_object_get(c, "user_id")),
			 &dataset_id))
		return;
	if (!run_load(s, run_id, &run))
		train_step(env, run_id, c, dataset_id, run.org_id);
}

/* Starts a run of candidate `c` (an element of ops->pipeline_candidates) when it is due. */
static void start_if_due(const pipeline_env *env, const json_t *c)
{
	const store *s = env->store;
	const json_t *settings = json_object_get(c, "settings");
	int64_t approved = json_integer_value(json_object_get(c, "approved"));
	int64_t since = approved - json_integer_value(json_object_get(c, "last_approved"));
	if (since < json_integer_value(json_object_get(settings, "threshold")))
		return;
	json_t *figures = json_pack("{s:I,s:I,s:s}", "approved", (json_int_t)approved,
				    "approved_since_last_run", (json_int_t)since, "trigger", "auto");
	step_job j = {.ops = s->ops,
		      .project_id = json_integer_value(json_object_get(c, "project_id")),
		      .approved = approved,
		      .figures = figures,
		      .metric = json_string_value(json_object_get(settings, "metric"))};
	cl_error err = {0};
	int rc = s->ops->write(s->db, start_tx, &j, &err);
	json_decref(figures);
	if (rc)
		return; /* a live run already holds the project */
	first_steps(env, j.run_id, j.project_id, c);
}

typedef struct candidate_job {
	const store_ops *ops;
	int64_t project_id;
	json_t *out;
} candidate_job;

static int candidate_tx(store_tx *tx, void *ctx, cl_error *err)
{
	candidate_job *j = ctx;
	j->out = j->ops->pipeline_candidate(tx, j->project_id);
	return j->out ? 0 : cl_fail(err, CL_ENOTFOUND, NULL, "the pipeline's settings are gone");
}

/* A run a person triggered (pipeline_trigger) has its trigger step only: the runner's thread
 * takes its dataset and training steps, never the request's. */
static void start_triggered(const pipeline_env *env, const pipeline_run_row *run)
{
	const store *s = env->store;
	candidate_job j = {.ops = s->ops, .project_id = run->project_id};
	cl_error err = {0};
	if (s->ops->write(s->db, candidate_tx, &j, &err)) {
		fail(s, run->id, "dataset", err.message);
		return;
	}
	first_steps(env, run->id, run->project_id, j.out);
	json_decref(j.out);
}

/* ---- following a run: evaluate, register, compare, decide ---- */

typedef struct promote_job {
	const store_ops *ops;
	int64_t run_id, project_id, actor, model_id;
	int version;
	bool approve; /* for a person's decision: approve, else reject */
	pipeline_run_row run;
} promote_job;

/* Moves production to the run's version and records it, in the caller's transaction. */
static int promote_in(store_tx *tx, promote_job *j, cl_error *err)
{
	if (!j->ops->model_has_version(tx, j->model_id, j->version))
		return cl_fail(err, CL_ENOTFOUND, "version_not_found",
			       "the model has no version %d", j->version);
	int from = j->ops->model_alias_get(tx, j->model_id, PIPELINE_ALIAS);
	int rc = j->ops->model_alias_move(tx, j->model_id, PIPELINE_ALIAS, from, j->version,
					  j->actor, clock_now_ms(), err);
	json_t *figures = json_pack("{s:i,s:o}", "to_version", j->version, "from_version",
				    from ? json_integer(from) : json_null());
	json_t *set = json_pack("{s:s}", "state", "promoted");
	char *text = json_dumps(figures, JSON_COMPACT);
	if (!rc)
		rc = j->ops->pipeline_step(tx, j->run_id, "promote", "done", text, NULL, j->actor,
					   set, clock_now_ms(), err);
	free(text);
	json_decref(figures);
	json_decref(set);
	return rc;
}

static int promote_tx(store_tx *tx, void *ctx, cl_error *err)
{
	return promote_in(tx, ctx, err);
}

typedef struct job_job {
	const store_ops *ops;
	int64_t id;
	run_row row;
	int alias; /* production's version, for compare */
	int64_t model_id;
} job_job;

static int job_tx(store_tx *tx, void *ctx, cl_error *err)
{
	job_job *j = ctx;
	return j->ops->run_load(tx, j->id, &j->row)
		   ? cl_fail(err, CL_ENOTFOUND, NULL, "the run's job is gone")
		   : 0;
}

static int alias_tx(store_tx *tx, void *ctx, cl_error *err)
{
	(void)err;
	job_job *j = ctx;
	j->alias = j->ops->model_alias_get(tx, j->model_id, PIPELINE_ALIAS);
	return 0;
}

/* The model the settings name, made when the org has none by that name; 0 after failing. */
static int64_t model_of(const store *s, const pipeline_run_row *run, const char *name, int64_t by)
{
	int64_t id = s->ops->model_find(s->db, run->org_id, name);
	cl_error err = {0};
	if (!id && registry_model_create(s, run->org_id, name, by, &id, &err)) {
		fail(s, run->id, "register", err.message);
		return 0;
	}
	return id;
}

/* Production's model (job `job`'s output) evaluated on the run's test items. */
static bool evaluate_here(const pipeline_env *env, int64_t job, const pipeline_run_row *run,
			  double *out)
{
	const store *s = env->store;
	job_job j = {.ops = s->ops, .id = job};
	cl_error err = {0};
	if (!job || s->ops->write(s->db, job_tx, &j, &err))
		return false;
	bool ok = j.row.output_dir[0] && pipeline_evaluate_on(s, env->data_dir, j.row.output_dir,
							      run->dataset_id, run->metric, out);
	run_row_release(&j.row);
	return ok;
}

/* Production's figure on this run's test split into f: its own evaluation when its job
 * trained on a version with the same test items, else measured here. */
static void production_figures(const pipeline_env *env, const pipeline_run_row *run,
			       int64_t model_id, pipeline_figures *f, int *version)
{
	const store *s = env->store;
	job_job a = {.ops = s->ops, .model_id = model_id};
	cl_error err = {0};
	s->ops->write(s->db, alias_tx, &a, &err);
	*version = a.alias;
	f->has_production = a.alias > 0;
	if (!f->has_production)
		return;
	int64_t dataset_id = 0;
	int64_t job = s->ops->model_version_job(s->db, model_id, a.alias);
	char *evaluation = s->ops->job_evaluation(s->db, job, &dataset_id);
	f->production_comparable = dataset_id &&
				   s->ops->dataset_test_base(s->db, dataset_id) ==
				       s->ops->dataset_test_base(s->db, run->dataset_id) &&
				   pipeline_figure_of(evaluation, run->metric, &f->production);
	free(evaluation);
	if (!f->production_comparable)
		f->production_comparable = f->production_here =
		    evaluate_here(env, job, run, &f->production);
}

/* Records the comparison and acts on the decision. */
static void decide_step(const pipeline_env *env, const pipeline_run_row *run, pipeline_figures *f,
			int64_t model_id, int version, int prod_version, const char *model)
{
	const store *s = env->store;
	pipeline_decision d = pipeline_decide(f);
	json_t *figures = json_pack(
	    "{s:f,s:o,s:o,s:f,s:b,s:b,s:s}", "candidate", f->candidate, "production",
	    f->production_comparable ? json_real(f->production) : json_null(), "production_version",
	    prod_version ? json_integer(prod_version) : json_null(), "margin", f->margin,
	    "comparable", f->production_comparable, "production_evaluated_here", f->production_here,
	    "decision", pipeline_decision_name(d));
	json_t *set =
	    json_pack("{s:o,s:o}", "production_version",
		      prod_version ? json_integer(prod_version) : json_null(), "production_figure",
		      f->production_comparable ? json_real(f->production) : json_null());
	const char *why =
	    d == PIPELINE_KEEP ? "the new version does not beat production by the margin"
	    : f->has_production && !f->production_comparable
		? "production cannot be evaluated on these test items: a person decides"
		: "";
	if (d == PIPELINE_KEEP)
		json_object_set_new(set, "state", json_string("kept"));
	if (d == PIPELINE_KEEP)
		json_object_set_new(set, "reason", json_string(why));
	step(s, run->id, "compare", "done", figures, why, set);
	if (d == PIPELINE_WAIT) {
		step(s, run->id, "approval", "waiting", NULL, why,
		     json_pack("{s:s}", "state", "waiting"));
		return;
	}
	if (d == PIPELINE_KEEP)
		return;
	promote_job p = {
	    .ops = s->ops, .run_id = run->id, .model_id = model_id, .version = version};
	cl_error err = {0};
	if (s->ops->write(s->db, promote_tx, &p, &err))
		fail(s, run->id, "promote", err.message);
	else if (env->promoted)
		env->promoted(env->ctx, run->org_id, model);
}

/* A succeeded job: its figure, the model's new version, the comparison. */
static void evaluate_step(const pipeline_env *env, const pipeline_run_row *run, const run_row *job)
{
	const store *s = env->store;
	int64_t dataset_id = 0;
	char *evaluation = s->ops->job_evaluation(s->db, job->id, &dataset_id);
	pipeline_figures f = {0};
	bool has = pipeline_figure_of(evaluation, run->metric, &f.candidate);
	free(evaluation);
	if (!has) {
		fail(s, run->id, "evaluate", "the job's evaluation has no figure for the metric");
		return;
	}
	step(s, run->id, "evaluate", "done", json_pack("{s:f}", run->metric, f.candidate), NULL,
	     json_pack("{s:f}", "figure", f.candidate));
	char *text = s->ops->pipeline_settings(s->db, run->project_id);
	json_t *settings = text ? json_loads(text, 0, NULL) : NULL;
	free(text);
	const char *model = json_string_value(json_object_get(settings, "model"));
	f.margin = json_number_value(json_object_get(settings, "margin"));
	const char *mode = json_string_value(json_object_get(settings, "mode"));
	f.approve_mode = mode && !strcmp(mode, "approve");
	int64_t model_id = model ? model_of(s, run, model, job->created_by) : 0;
	int version = 0, prod_version = 0;
	cl_error err = {0};
	if (!model)
		fail(s, run->id, "register", "the pipeline's settings name no model");
	else if (model_id &&
		 registry_version_add(s, model_id, job->id, job->created_by, &version, &err))
		fail(s, run->id, "register", err.message);
	else if (model_id) {
		step(s, run->id, "register", "done",
		     json_pack("{s:s,s:i}", "model", model, "version", version), NULL,
		     json_pack("{s:I,s:i}", "model_id", (json_int_t)model_id, "model_version",
			       version));
		pipeline_run_row now = *run;
		production_figures(env, &now, model_id, &f, &prod_version);
		decide_step(env, &now, &f, model_id, version, prod_version, model);
	}
	json_decref(settings);
}

/* Moves running run `id` on when its job has ended. */
static void follow(const pipeline_env *env, int64_t id)
{
	const store *s = env->store;
	pipeline_run_row run;
	if (run_load(s, id, &run) || strcmp(run.state, "running"))
		return;
	if (!run.dataset_id && !run.job_id) {
		start_triggered(env, &run);
		return;
	}
	if (!run.job_id) {
		fail(s, id, "train", "the run stopped before its job was queued");
		return;
	}
	job_job j = {.ops = s->ops, .id = run.job_id};
	cl_error err = {0};
	if (s->ops->write(s->db, job_tx, &j, &err)) {
		fail(s, id, "train", err.message);
		return;
	}
	char reason[160];
	if (!strcmp(j.row.state, "succeeded"))
		evaluate_step(env, &run, &j.row);
	else if (strcmp(j.row.state, "queued") && strcmp(j.row.state, "running")) {
		snprintf(reason, sizeof reason, "job %lld %s (%s, exit status %d)",
			 (long long)run.job_id, j.row.state, j.row.end_reason, j.row.exit_status);
		fail(s, id, "train", reason);
	}
	run_row_release(&j.row);
}

void pipeline_tick(const pipeline_env *env)
{
	json_t *running = env->store->ops->pipeline_runs_running(env->store->db), *v;
	size_t i;
	json_array_foreach(running, i, v) follow(env, json_integer_value(v));
	json_decref(running);
	json_t *due = env->store->ops->pipeline_candidates(env->store->db);
	json_array_foreach(due, i, v) start_if_due(env, v);
	json_decref(due);
}

/* ---- a person's trigger ---- */

/* Starts a manual run in one transaction: the settings as they are, the approved count, the
 * run with its trigger step by the person (a run waiting for a person superseded, as by the
 * automatic trigger). */
static int trigger_tx(store_tx *tx, void *ctx, cl_error *err)
{
	step_job *j = ctx;
	json_t *c = j->ops->pipeline_candidate(tx, j->project_id);
	if (!c)
		return cl_fail(err, CL_ECONFLICT, "no_pipeline",
			       "the project has no pipeline: set it first (PUT its pipeline)");
	j->approved = json_integer_value(json_object_get(c, "approved"));
	int64_t since = j->approved - json_integer_value(json_object_get(c, "last_approved"));
	json_t *figures = json_pack("{s:I,s:I,s:s}", "approved", (json_int_t)j->approved,
				    "approved_since_last_run", (json_int_t)since, "trigger",
				    "manual");
	j->figures = figures;
	j->metric = json_string_value(json_object_get(json_object_get(c, "settings"), "metric"));
	int rc = start_tx(tx, j, err);
	if (rc == CL_ECONFLICT)
		rc = cl_fail(err, CL_ECONFLICT, "pipeline_running",
			     "a run of the project's pipeline is running: trigger again once it ended");
	j->figures = NULL;
	j->metric = NULL;
	json_decref(figures);
	json_decref(c);
	return rc;
}

int pipeline_trigger(const store *s, int64_t project_id, int64_t user_id, int64_t *run_id,
		     cl_error *err)
{
	step_job j = {.ops = s->ops, .project_id = project_id, .actor = user_id};
	int rc = s->ops->write(s->db, trigger_tx, &j, err);
	*run_id = rc ? 0 : j.run_id;
	return rc;
}

/* ---- a person's decision ---- */

static int person_tx(store_tx *tx, void *ctx, cl_error *err)
{
	promote_job *j = ctx;
	if (j->ops->pipeline_run_load(tx, j->run_id, &j->run) || j->run.project_id != j->project_id)
		return cl_fail(err, CL_ENOTFOUND, NULL, "pipeline run not found");
	if (strcmp(j->run.state, "waiting"))
		return cl_fail(err, CL_ECONFLICT, "not_waiting",
			       "this run waits for no decision (it is %s)", j->run.state);
	j->model_id = j->run.model_id;
	j->version = (int)j->run.model_version;
	if (j->approve)
		return promote_in(tx, j, err);
	json_t *set = json_pack("{s:s,s:s}", "state", "rejected", "reason", "rejected by a person");
	int rc = j->ops->pipeline_step(tx, j->run_id, "approval", "done", "{\"approved\":false}",
				       "rejected by a person", j->actor, set, clock_now_ms(), err);
	json_decref(set);
	return rc;
}

int pipeline_decide_by(const store *s, int64_t project_id, int64_t run_id, bool approve,
		       int64_t user_id, int64_t *org_id, char model[65], cl_error *err)
{
	promote_job j = {.ops = s->ops,
			 .run_id = run_id,
			 .project_id = project_id,
			 .actor = user_id,
			 .approve = approve};
	int rc = s->ops->write(s->db, person_tx, &j, err);
	*org_id = j.run.org_id;
	char *text = rc ? NULL : s->ops->pipeline_settings(s->db, project_id);
	json_t *settings = text ? json_loads(text, 0, NULL) : NULL;
	const char *name = json_string_value(json_object_get(settings, "model"));
	snprintf(model, 65, "%s", name ? name : "");
	json_decref(settings);
	free(text);
	return rc;
}
