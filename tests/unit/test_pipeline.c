/* Unit tests of the retraining pipeline (core/pipeline.c): the promotion rule as a table, then
 * whole runs driven by pipeline_tick through an in-memory table of store operations: the first
 * version promoted, a better one promoted by the margin, a worse or equal one kept, a failed
 * step that never touches production, approve mode and a person's decision. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pipeline.h"
#include "fake_runs.h"
#include "ml/train.h"
#include "tmpdir.h"

/* ---- the rule ---- */

static void test_the_rule(void **state)
{
	(void)state;
	static const struct {
		pipeline_figures f;
		pipeline_decision want;
	} cases[] = {
	    {{.candidate = 0.80, .has_production = false}, PIPELINE_PROMOTE},
	    {{.candidate = 0.80, .has_production = false, .approve_mode = true}, PIPELINE_WAIT},
	    {{.candidate = 0.85,
	      .has_production = true,
	      .production_comparable = true,
	      .production = 0.80,
	      .margin = 0.02},
	     PIPELINE_PROMOTE},
	    {{.candidate = 0.82,
	      .has_production = true,
	      .production_comparable = true,
	      .production = 0.80,
	      .margin = 0.02},
	     PIPELINE_PROMOTE}, /* exactly the margin */
	    {{.candidate = 0.81,
	      .has_production = true,
	      .production_comparable = true,
	      .production = 0.80,
	      .margin = 0.02},
	     PIPELINE_KEEP},
	    {{.candidate = 0.80,
	      .has_production = true,
	      .production_comparable = true,
	      .production = 0.80,
	      .margin = 0},
	     PIPELINE_KEEP}, /* equal never promotes */
	    {{.candidate = 0.70,
	      .has_production = true,
	      .production_comparable = true,
	      .production = 0.80},
	     PIPELINE_KEEP},
	    {{.candidate = 0.90,
	      .has_production = true,
	      .production_comparable = true,
	      .production = 0.80,
	      .approve_mode = true},
	     PIPELINE_WAIT},
	    {{.candidate = 0.90, .has_production = true, .production_comparable = false},
	     PIPELINE_WAIT},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		if (pipeline_decide(&cases[i].f) != cases[i].want)
			fail_msg("case %zu: got %s, want %s", i,
				 pipeline_decision_name(pipeline_decide(&cases[i].f)),
				 pipeline_decision_name(cases[i].want));
	}
}

static void test_settings_are_checked(void **state)
{
	(void)state;
	json_t *out = NULL;
	cl_error err = {0};
	json_t *ok = json_pack("{s:s,s:s,s:i}", "trainer", "text-linear", "model", "sentiment",
			       "threshold", 10);
	assert_int_equal(pipeline_settings_check(ok, "text_class", &out, &err), 0);
	assert_string_equal(json_string_value(json_object_get(out, "mode")), "auto");
	assert_string_equal(json_string_value(json_object_get(out, "metric")), "accuracy");
	assert_true(json_is_true(json_object_get(out, "enabled")));
	json_decref(out);
	assert_int_equal(pipeline_settings_check(ok, "image_class", &out, &err), CL_EINVAL);
	/* Spans are scored by entity F1, and only by it. */
	json_t *spans = json_pack("{s:s,s:s}", "trainer", "spans-linear", "model", "ner");
	assert_int_equal(pipeline_settings_check(spans, "text_spans", &out, &err), 0);
	assert_string_equal(json_string_value(json_object_get(out, "metric")), "entity_f1");
	json_decref(out);
	json_object_set_new(spans, "metric", json_string("accuracy"));
	assert_int_equal(pipeline_settings_check(spans, "text_spans", &out, &err), CL_EINVAL);
	assert_non_null(strstr(err.message, "entity_f1"));
	json_object_set_new(ok, "metric", json_string("entity_f1"));
	assert_int_equal(pipeline_settings_check(ok, "text_class", &out, &err), CL_EINVAL);
	json_decref(spans);
	static const char *const bad[] = {
	    "{\"trainer\":\"text-linear\",\"model\":\"m\",\"threshold\":0}",
	    "{\"trainer\":\"text-linear\",\"model\":\"m\",\"margin\":2}",
	    "{\"trainer\":\"text-linear\",\"model\":\"m\",\"metric\":\"loss\"}",
	    "{\"trainer\":\"text-linear\",\"model\":\"m\",\"mode\":\"sometimes\"}",
	    "{\"trainer\":\"text-linear\",\"model\":\"bad name!\"}",
	    "{\"trainer\":\"nope\",\"model\":\"m\"}",
	    "{\"trainer\":\"text-linear\",\"model\":\"m\",\"params\":{\"C\":-1}}",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		json_t *in = json_loads(bad[i], 0, NULL);
		if (pipeline_settings_check(in, "text_class", &out, &err) != CL_EINVAL)
			fail_msg("accepted %s", bad[i]);
		json_decref(in);
	}
	json_decref(ok);
}

/* ---- an in-memory store: the jobs and models of fake_runs.h, and the pipeline's rows ---- */

static struct {
	char settings[512];
	int64_t approved, last_approved, base;
	pipeline_run_row run; /* the latest run; id 0: none */
	char steps[32][40];
	int n_steps;
	int64_t dataset_base[FAKE_RUNS_MAX];
	int promoted_calls;
	char ended[40];		   /* the last run to end: "id:state:reason-prefix" */
	char trigger_figures[128]; /* the latest run's trigger figures */
	int64_t trigger_actor;	   /* and who triggered it (0: the pipeline) */
	bool no_settings;	   /* the project has no pipeline settings */
} mem;

static int fake_pipeline_run_load(store_tx *tx, int64_t id, pipeline_run_row *out)
{
	(void)tx;
	if (!mem.run.id || id != mem.run.id)
		return CL_ENOTFOUND;
	*out = mem.run;
	return 0;
}

static bool live(void)
{
	return mem.run.id &&
	       (!strcmp(mem.run.state, "running") || !strcmp(mem.run.state, "waiting"));
}

static int64_t fake_run_waiting(store_tx *tx, int64_t project_id)
{
	(void)tx;
	return mem.run.id && mem.run.project_id == project_id && !strcmp(mem.run.state, "waiting")
		   ? mem.run.id
		   : 0;
}

static int fake_run_start(store_tx *tx, int64_t project_id, int64_t approved, const char *metric,
			  const char *figures, int64_t actor, int64_t now, int64_t *run_id,
			  cl_error *err)
{
	(void)tx, (void)now;
	snprintf(mem.trigger_figures, sizeof mem.trigger_figures, "%s", figures);
	mem.trigger_actor = actor;
	if (live())
		return cl_fail(err, CL_ECONFLICT, NULL, "a run is live");
	int64_t id = mem.run.id + 1;
	mem.run = (pipeline_run_row){.id = id, .project_id = project_id, .org_id = 1};
	snprintf(mem.run.state, sizeof mem.run.state, "running");
	snprintf(mem.run.metric, sizeof mem.run.metric, "%s", metric);
	mem.last_approved = approved;
	mem.n_steps = 0;
	snprintf(mem.steps[mem.n_steps++], 40, "trigger:done");
	*run_id = id;
	return 0;
}

static int fake_step(store_tx *tx, int64_t run_id, const char *step, const char *state,
		     const char *figures, const char *reason, int64_t actor, const json_t *set,
		     int64_t now, cl_error *err)
{
	(void)tx, (void)figures, (void)reason, (void)actor, (void)now, (void)err;
	assert_int_equal(run_id, mem.run.id);
	snprintf(mem.steps[mem.n_steps++], 40, "%s:%s", step, state);
	const char *to = json_string_value(json_object_get(set, "state"));
	if (to)
		snprintf(mem.run.state, sizeof mem.run.state, "%s", to);
	if (to && strcmp(to, "running") && strcmp(to, "waiting"))
		snprintf(mem.ended, sizeof mem.ended, "%lld:%s:%.10s", (long long)run_id, to,
			 reason ? reason : "");
	static const char *const keys[] = {"dataset_id", "job_id", "model_id", "model_version"};
	int64_t *cols[] = {&mem.run.dataset_id, &mem.run.job_id, &mem.run.model_id,
			   &mem.run.model_version};
	for (int i = 0; i < 4; i++)
		if (json_object_get(set, keys[i]))
			*cols[i] = json_integer_value(json_object_get(set, keys[i]));
	return 0;
}

static char *fake_settings(db *d, int64_t project_id)
{
	(void)d, (void)project_id;
	return strdup(mem.settings);
}

static json_t *fake_candidates(db *d)
{
	(void)d;
	if (mem.run.id && !strcmp(mem.run.state, "running"))
		return json_array();
	return json_pack("[{s:i,s:I,s:I,s:i,s:o}]", "project_id", 10, "approved",
			 (json_int_t)mem.approved, "last_approved", (json_int_t)mem.last_approved,
			 "user_id", 7, "settings", json_loads(mem.settings, 0, NULL));
}

static json_t *fake_candidate(store_tx *tx, int64_t project_id)
{
	(void)tx;
	if (mem.no_settings || project_id != 10)
		return NULL;
	return json_pack("{s:i,s:I,s:I,s:i,s:o}", "project_id", 10, "approved",
			 (json_int_t)mem.approved, "last_approved", (json_int_t)mem.last_approved,
			 "user_id", 7, "settings", json_loads(mem.settings, 0, NULL));
}

static json_t *fake_running(db *d)
{
	(void)d;
	return mem.run.id && !strcmp(mem.run.state, "running") ? json_pack("[I]", mem.run.id)
							       : json_array();
}

static int64_t fake_base(db *d, int64_t project_id)
{
	(void)d, (void)project_id;
	return mem.base;
}

static int fake_base_set(db *d, int64_t project_id, int64_t dataset_id, cl_error *err)
{
	(void)d, (void)project_id, (void)err;
	mem.base = dataset_id;
	return 0;
}

/* A project of one label, and a version sealed over no rows: the pipeline's steps only need its
 * id and the version whose test split it keeps. */
static int fake_project_row(db *d, int64_t id, int64_t user_id, project_row_fn *fn, void *ctx)
{
	(void)d, (void)user_id;
	fn(&(project_row){.id = id, .org_id = 1, .kind = "text_class", .labels = "[\"a\"]"}, ctx);
	return 0;
}

static void *fake_rows_open(store_tx *tx, int64_t project_id, rows_order order)
{
	(void)tx, (void)project_id, (void)order;
	return &mem;
}

/* The test rows of a version production is evaluated on (pipeline_evaluate_on). */
static struct {
	export_row rows[64];
	char text[64][96], annotation[64][96], blob[64][32], spans[64][160];
	int n, at;
} evalset;

static void *fake_dataset_rows_open(db *d, int64_t dataset_id)
{
	(void)d, (void)dataset_id;
	evalset.at = 0;
	return &evalset;
}

/* The approved rows a version is sealed over: none; a version's rows: evalset's. */
static int fake_rows_next(void *rows, export_row *row)
{
	if (rows != &evalset || evalset.at >= evalset.n)
		return 0;
	*row = evalset.rows[evalset.at++];
	return 1;
}

/* A blob's file: the name itself under data_dir (the test's dataset directory). */
static int fake_blob_file(const char *data_dir, const char *hash, char *out, size_t size)
{
	snprintf(out, size, "%s/%s", data_dir, hash);
	return 0;
}

static void fake_rows_close(void *rows)
{
	(void)rows;
}

static int fake_dataset_version_add(store_tx *tx, const dataset_version *v, int64_t now,
				    int64_t *id, cl_error *err)
{
	(void)tx, (void)now, (void)err;
	*id = ++jobs_mem.n_datasets;
	mem.dataset_base[*id] = v->test_from ? v->test_from : *id;
	return 0;
}

static int fake_version_seal(store_tx *tx, int64_t id, const char *digest, int64_t rows,
			     int64_t items, const char *counts, cl_error *err)
{
	(void)tx, (void)id, (void)digest, (void)rows, (void)items, (void)counts, (void)err;
	return 0;
}

static int64_t fake_test_base(db *d, int64_t id)
{
	(void)d;
	return id >= 1 && id <= jobs_mem.n_datasets ? mem.dataset_base[id] : 0;
}

static int64_t fake_model_find(db *d, int64_t org_id, const char *name)
{
	(void)d, (void)org_id, (void)name;
	return 1;
}

static int64_t fake_version_job(db *d, int64_t model_id, int version)
{
	(void)d, (void)model_id;
	return version >= 1 && version <= jobs_mem.versions[1] ? jobs_mem.version_job[1][version]
							       : 0;
}

static char *fake_job_evaluation(db *d, int64_t job_id, int64_t *dataset_id)
{
	(void)d;
	run_row *j = fake_job(job_id);
	*dataset_id = j ? j->dataset_id : 0;
	return j ? strdup(jobs_mem.evaluation[job_id - 1]) : NULL;
}

static const store_ops fake_ops = {
    FAKE_RUNS_OPS,
    .pipeline_run_load = fake_pipeline_run_load,
    .pipeline_run_start = fake_run_start,
    .pipeline_run_waiting = fake_run_waiting,
    .pipeline_step = fake_step,
    .pipeline_settings = fake_settings,
    .pipeline_candidates = fake_candidates,
    .pipeline_candidate = fake_candidate,
    .pipeline_runs_running = fake_running,
    .pipeline_base = fake_base,
    .pipeline_base_set = fake_base_set,
    .project_row = fake_project_row,
    .approved_rows_open_tx = fake_rows_open,
    .dataset_rows_next = fake_rows_next,
    .dataset_rows_open = fake_dataset_rows_open,
    .blob_file = fake_blob_file,
    .dataset_rows_close = fake_rows_close,
    .dataset_version_add = fake_dataset_version_add,
    .dataset_version_seal = fake_version_seal,
    .dataset_test_base = fake_test_base,
    .model_find = fake_model_find,
    .model_version_job = fake_version_job,
    .job_evaluation = fake_job_evaluation,
};

static const store st = {&fake_ops, NULL};
static const run_limits node = {.cpus = 4, .mem_bytes = 8LL << 30};

static void promoted(void *ctx, int64_t org_id, const char *model)
{
	(void)ctx;
	assert_int_equal(org_id, 1);
	assert_string_equal(model, "sentiment");
	mem.promoted_calls++;
}

static const pipeline_env env = {.store = &st, .limits = &node, .promoted = promoted};

static void settings(const char *mode, double margin)
{
	snprintf(mem.settings, sizeof mem.settings,
		 "{\"enabled\":true,\"threshold\":10,\"trainer\":\"text-linear\",\"params\":{},"
		 "\"model\":\"sentiment\",\"metric\":\"accuracy\",\"margin\":%g,\"mode\":\"%s\"}",
		 margin, mode);
}

static int reset(void **state)
{
	(void)state;
	memset(&mem, 0, sizeof mem);
	fake_runs_reset();
	jobs_mem.model_org[1] = 1; /* the pipeline's model, `sentiment`, is org 1's model 1 */
	settings("auto", 0.02);
	return 0;
}

/* The live run's job ends as `state` with `evaluation`. */
static void job_end(const char *state, const char *evaluation)
{
	int64_t i = mem.run.job_id - 1;
	assert_true(i >= 0 && i < jobs_mem.n_jobs);
	snprintf(jobs_mem.jobs[i].state, sizeof jobs_mem.jobs[i].state, "%s", state);
	snprintf(jobs_mem.evaluation[i], sizeof jobs_mem.evaluation[i], "%s", evaluation);
}

/* Ten more approvals, a tick that starts a run, the job ending as `job_state` with
 * `accuracy`, and a tick that follows the run to its decision. */
static void one_run(const char *job_state, double accuracy)
{
	mem.approved += 10;
	pipeline_tick(&env);
	assert_string_equal(mem.run.state, "running");
	char evaluation[64];
	snprintf(evaluation, sizeof evaluation, "{\"accuracy\":%g}", accuracy);
	job_end(job_state, evaluation);
	pipeline_tick(&env);
}

static void assert_steps(const char *const *want)
{
	int n = 0;
	for (; want[n]; n++)
		if (n >= mem.n_steps || strcmp(mem.steps[n], want[n]))
			fail_msg("step %d: got %s, want %s", n,
				 n < mem.n_steps ? mem.steps[n] : "-", want[n]);
	assert_int_equal(mem.n_steps, n);
}

static void test_no_run_below_the_threshold(void **state)
{
	(void)state;
	mem.approved = 9;
	pipeline_tick(&env);
	assert_int_equal(mem.run.id, 0);
}

static void test_the_first_version_is_promoted(void **state)
{
	(void)state;
	one_run("succeeded", 0.8);
	assert_string_equal(mem.run.state, "promoted");
	assert_int_equal(jobs_mem.alias, 1);
	assert_int_equal(jobs_mem.alias_actor, 0); /* the pipeline */
	assert_int_equal(mem.promoted_calls, 1);
	assert_int_equal(mem.base, 1);
	assert_steps((const char *const[]){"trigger:done", "dataset:done", "train:done",
					   "evaluate:done", "register:done", "compare:done",
					   "promote:done", NULL});
}

static void test_better_by_the_margin_is_promoted(void **state)
{
	(void)state;
	one_run("succeeded", 0.8);
	one_run("succeeded", 0.83);
	assert_string_equal(mem.run.state, "promoted");
	assert_int_equal(jobs_mem.alias, 2);
	/* The second version keeps the first's test split. */
	assert_int_equal(fake_test_base(NULL, mem.run.dataset_id), 1);
}

static void test_worse_or_equal_keeps_production(void **state)
{
	(void)state;
	one_run("succeeded", 0.8);
	one_run("succeeded", 0.81); /* better, not by the margin */
	assert_string_equal(mem.run.state, "kept");
	one_run("succeeded", 0.8);
	assert_string_equal(mem.run.state, "kept");
	one_run("succeeded", 0.5);
	assert_string_equal(mem.run.state, "kept");
	assert_int_equal(jobs_mem.alias, 1);
	assert_int_equal(jobs_mem.alias_moves, 1);
}

static void test_a_failed_step_leaves_production(void **state)
{
	(void)state;
	one_run("succeeded", 0.8);
	one_run("failed", 0.99);
	assert_string_equal(mem.run.state, "failed");
	assert_steps((const char *const[]){"trigger:done", "dataset:done", "train:done",
					   "train:failed", NULL});
	assert_int_equal(jobs_mem.alias, 1);
	assert_int_equal(jobs_mem.alias_moves, 1);
	/* An evaluation without the metric fails the evaluate step. */
	mem.approved += 10;
	pipeline_tick(&env);
	job_end("succeeded", "{}");
	pipeline_tick(&env);
	assert_string_equal(mem.run.state, "failed");
	assert_string_equal(mem.steps[mem.n_steps - 1], "evaluate:failed");
	assert_int_equal(jobs_mem.alias, 1);
}

static void test_approve_mode_waits_for_a_person(void **state)
{
	(void)state;
	settings("approve", 0);
	one_run("succeeded", 0.8);
	assert_string_equal(mem.run.state, "waiting");
	assert_int_equal(jobs_mem.alias, 0);
	int64_t org = 0;
	char model[65];
	cl_error err = {0};
	assert_int_equal(pipeline_decide_by(&st, 11, 1, true, 42, &org, model, &err), CL_ENOTFOUND);
	assert_int_equal(pipeline_decide_by(&st, 10, 1, true, 42, &org, model, &err), 0);
	assert_int_equal(jobs_mem.alias, 1);
	assert_int_equal(jobs_mem.alias_actor, 42);
	assert_string_equal(mem.run.state, "promoted");
	assert_string_equal(model, "sentiment");
	assert_int_equal(pipeline_decide_by(&st, 10, 1, true, 42, &org, model, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "not_waiting");
	/* A rejected one keeps production. */
	one_run("succeeded", 0.9);
	assert_string_equal(mem.run.state, "waiting");
	assert_int_equal(pipeline_decide_by(&st, 10, mem.run.id, false, 42, &org, model, &err), 0);
	assert_string_equal(mem.run.state, "rejected");
	assert_int_equal(jobs_mem.alias, 1);
}

static void test_a_new_trigger_supersedes_a_waiting_run(void **state)
{
	(void)state;
	settings("approve", 0);
	one_run("succeeded", 0.8);
	assert_string_equal(mem.run.state, "waiting");
	assert_int_equal(jobs_mem.versions[1], 1);
	/* Ten more approvals while it waits: the next run starts and closes the waiting one. */
	mem.approved += 10;
	pipeline_tick(&env);
	assert_int_equal(mem.run.id, 2);
	assert_string_equal(mem.run.state, "running");
	assert_string_equal(mem.ended, "1:superseded:superseded");
	assert_non_null(strstr(mem.trigger_figures, "\"supersedes\":1"));
	/* Its version stays registered and production never moved. */
	assert_int_equal(jobs_mem.versions[1], 1);
	assert_int_equal(jobs_mem.alias, 0);
	assert_int_equal(jobs_mem.alias_moves, 0);
	/* A person's decision on it is too late. */
	int64_t org = 0;
	char model[65];
	cl_error err = {0};
	mem.run.id = 1; /* the fake keeps one run: look at the first as it was left */
	snprintf(mem.run.state, sizeof mem.run.state, "superseded");
	assert_int_equal(pipeline_decide_by(&st, 10, 1, true, 42, &org, model, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "not_waiting");
	assert_int_equal(jobs_mem.alias, 0);
	mem.run.id = 2;
	snprintf(mem.run.state, sizeof mem.run.state, "running");
	/* The new run decides by its own figures. */
	job_end("succeeded", "{\"accuracy\":0.9}");
	pipeline_tick(&env);
	assert_string_equal(mem.run.state, "waiting");
	assert_int_equal(jobs_mem.versions[1], 2);
}

static void test_a_person_triggers_a_run(void **state)
{
	(void)state;
	mem.approved = 3; /* below the threshold: the runner starts nothing by itself */
	pipeline_tick(&env);
	assert_int_equal(mem.run.id, 0);
	int64_t run_id = 0;
	cl_error err = {0};
	assert_int_equal(pipeline_trigger(&st, 10, 42, &run_id, &err), 0);
	assert_int_equal(run_id, 1);
	assert_string_equal(mem.run.state, "running");
	assert_non_null(strstr(mem.trigger_figures, "\"trigger\":\"manual\""));
	assert_non_null(strstr(mem.trigger_figures, "\"approved_since_last_run\":3"));
	assert_int_equal(mem.trigger_actor, 42);
	/* The request only starts it: the steps are the runner's. */
	assert_steps((const char *const[]){"trigger:done", NULL});
	assert_int_equal(pipeline_trigger(&st, 10, 42, &run_id, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "pipeline_running");
	pipeline_tick(&env);
	assert_steps((const char *const[]){"trigger:done", "dataset:done", "train:done", NULL});
	assert_int_equal(mem.run.job_id, 1);
	job_end("succeeded", "{\"accuracy\":0.8}");
	pipeline_tick(&env);
	assert_string_equal(mem.run.state, "promoted");
	assert_int_equal(jobs_mem.alias, 1);
	/* Once it ended another may be triggered; the automatic trigger says it is automatic. */
	assert_int_equal(pipeline_trigger(&st, 10, 42, &run_id, &err), 0);
	assert_int_equal(run_id, 2);
	mem.run.id = 0; /* forget it: the fake keeps one run */
	mem.approved += 10;
	pipeline_tick(&env);
	assert_non_null(strstr(mem.trigger_figures, "\"trigger\":\"auto\""));
	assert_int_equal(mem.trigger_actor, 0);
	/* A project without settings has no pipeline to trigger. */
	mem.run.id = 0;
	mem.no_settings = true;
	assert_int_equal(pipeline_trigger(&st, 10, 42, &run_id, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "no_pipeline");
}

static void test_production_on_other_test_items_waits(void **state)
{
	(void)state;
	one_run("succeeded", 0.8);
	/* Production now points at a version trained on a version with its own test split. */
	int64_t dataset = ++jobs_mem.n_datasets;
	mem.dataset_base[dataset] = dataset;
	jobs_mem.jobs[jobs_mem.n_jobs] =
	    (run_row){.id = jobs_mem.n_jobs + 1, .dataset_id = dataset};
	snprintf(jobs_mem.evaluation[jobs_mem.n_jobs], sizeof jobs_mem.evaluation[0],
		 "{\"accuracy\":0.5}");
	jobs_mem.n_jobs++;
	jobs_mem.version_job[1][++jobs_mem.versions[1]] = jobs_mem.n_jobs;
	jobs_mem.alias = jobs_mem.versions[1];
	one_run("succeeded", 0.9);
	assert_string_equal(mem.run.state, "waiting");
	assert_int_equal(jobs_mem.alias, 2);
}

/* ---- production evaluated in process, each kind of built-in classifier ---- */

static void write_text(const char *dir, const char *name, const char *text)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

/* A test row of evalset, and the same row in the dataset's rows.jsonl (`rows`). */
/* A training row of the data set: a text or an image file with its labels (JSON strings). */
static void add_train_row(FILE *rows, const char *text, const char *image, const char *labels)
{
	fprintf(rows, "{\"split\":\"train\",\"%s\":\"%s\",\"annotation\":{\"labels\":[%s]}}\n",
		text ? "text" : "image", text ? text : image, labels);
}

static void add_test_row(FILE *rows, const char *text, const char *image, const char *labels)
{
	int i = evalset.n++;
	assert_true(i < 64);
	snprintf(evalset.annotation[i], sizeof evalset.annotation[i], "{\"labels\":[%s]}", labels);
	evalset.rows[i] = (export_row){.split = "test", .annotation = evalset.annotation[i]};
	if (text) {
		snprintf(evalset.text[i], sizeof evalset.text[i], "%s", text);
		evalset.rows[i].text = evalset.text[i];
		evalset.rows[i].type = ITEM_TEXT;
	} else {
		snprintf(evalset.blob[i], sizeof evalset.blob[i], "%s", image);
		evalset.rows[i].blob = evalset.blob[i];
		evalset.rows[i].type = ITEM_IMAGE;
	}
	fprintf(rows, "{\"split\":\"test\",\"%s\":\"%s\",\"annotation\":%s}\n",
		text ? "text" : "image", text ? text : image, evalset.annotation[i]);
}

/* Trains `trainer` on `data` into data/model and checks that production's figures measured by
 * the run on the same test rows are the job's own evaluation's, metric by metric. */
static void assert_scored_as(const char *trainer, const char *data, const char *const *metrics);

static void assert_scored_as_trained(const char *trainer, const char *data)
{
	static const char *const metrics[] = {"accuracy", "macro_f1", NULL};
	assert_scored_as(trainer, data, metrics);
}

static void assert_scored_as(const char *trainer, const char *data, const char *const *metrics)
{
	char model[128];
	snprintf(model, sizeof model, "%s/model", data);
	FILE *log = fopen("/dev/null", "w");
	cl_error err = {0};
	assert_int_equal(ml_train_run(trainer, data, model, NULL, 1, log, &err), 0);
	fclose(log);
	char path[160];
	snprintf(path, sizeof path, "%s/evaluation.json", model);
	json_t *own = json_load_file(path, 0, NULL);
	assert_non_null(own);
	for (int i = 0; metrics[i]; i++) {
		double figure = -1;
		assert_true(pipeline_evaluate_on(&st, data, model, 1, metrics[i], &figure));
		double want = json_number_value(pipeline_figure_in(own, metrics[i]));
		if (figure < want - 1e-9 || figure > want + 1e-9)
			fail_msg("%s %s: measured %f, the job's own %f", trainer, metrics[i],
				 figure, want);
	}
	json_decref(own);
}

/* Labels a, b, c by the words wa, wb, wc; a few test rows labelled against their words, so
 * the figures are not all 1. */
static void test_multi_label_text_is_evaluated_here(void **state)
{
	(void)state;
	char dir[64], text[96], labels[32];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "pipeline-multi"), 0);
	write_text(dir, "project.json",
		   "{\"kind\":\"text_class\",\"labels\":[\"a\",\"b\",\"c\"],\"multi_label\":true}");
	char path[128];
	snprintf(path, sizeof path, "%s/rows.jsonl", dir);
	FILE *rows = fopen(path, "w");
	assert_non_null(rows);
	evalset.n = 0;
	for (int i = 0; i < 120; i++) {
		int set = i % 7 + 1, shown = i >= 96 && i % 5 == 0 ? (set % 7) + 1 : set;
		snprintf(text, sizeof text, "row %d %s %s %s filler", i, set & 1 ? "wa" : "x",
			 set & 2 ? "wb" : "y", set & 4 ? "wc" : "z");
		snprintf(labels, sizeof labels, "%s%s%s%s%s", shown & 1 ? "\"a\"" : "",
			 shown & 1 && shown & 6 ? "," : "", shown & 2 ? "\"b\"" : "",
			 shown & 2 && shown & 4 ? "," : "", shown & 4 ? "\"c\"" : "");
		if (i < 96)
			add_train_row(rows, text, NULL, labels);
		else
			add_test_row(rows, text, NULL, labels);
	}
	fclose(rows);
	assert_scored_as_trained("text-linear", dir);
	tmpdir_remove(dir);
}

/* Names tagged PER and cities tagged LOC in one sentence shape; a few test rows tag a city as
 * a person, so the figure is not 1. */
static void test_spans_are_evaluated_here(void **state)
{
	(void)state;
	static const char *const names[] = {"Alice", "Bruno", "Chen", "Dmitri", "Eva", "Farah"};
	static const char *const cities[] = {"Paris", "Oslo", "Lima", "Seoul", "Cairo", "Quito"};
	char dir[64], path[128], text[96], ann[160];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "pipeline-spans"), 0);
	write_text(dir, "project.json", "{\"kind\":\"text_spans\",\"labels\":[\"PER\",\"LOC\"]}");
	snprintf(path, sizeof path, "%s/rows.jsonl", dir);
	FILE *rows = fopen(path, "w");
	assert_non_null(rows);
	evalset.n = 0;
	for (int i = 0; i < 90; i++) {
		const char *who = names[i % 6], *where = cities[(i / 6) % 6];
		int n = snprintf(text, sizeof text, "%s flew to %s on day %d", who, where, i);
		assert_true(n > 0);
		int at = (int)strlen(who) + 9; /* " flew to " */
		snprintf(ann, sizeof ann,
			 "{\"spans\":[{\"start\":0,\"end\":%d,\"label\":\"PER\"},"
			 "{\"start\":%d,\"end\":%d,\"label\":\"%s\"}]}",
			 (int)strlen(who), at, at + (int)strlen(where),
			 i >= 72 && i % 4 == 0 ? "PER" : "LOC");
		if (i < 72) {
			fprintf(rows, "{\"split\":\"train\",\"text\":\"%s\",\"annotation\":%s}\n",
				text, ann);
			continue;
		}
		int k = evalset.n++;
		snprintf(evalset.text[k], sizeof evalset.text[k], "%s", text);
		snprintf(evalset.spans[k], sizeof evalset.spans[k], "%s", ann);
		evalset.rows[k] = (export_row){.split = "test",
					       .type = ITEM_TEXT,
					       .text = evalset.text[k],
					       .annotation = evalset.spans[k]};
		fprintf(rows, "{\"split\":\"test\",\"text\":\"%s\",\"annotation\":%s}\n", text,
			ann);
	}
	fclose(rows);
	static const char *const metrics[] = {"entity_f1", NULL};
	assert_scored_as("spans-linear", dir, metrics);
	tmpdir_remove(dir);
}

/* A 16 × 16 grey image of stripes, horizontal or vertical, with a little noise. */
static void write_stripes(const char *dir, const char *name, bool horizontal, unsigned seed)
{
	char path[160];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fprintf(f, "P5\n16 16\n255\n");
	for (int y = 0; y < 16; y++)
		for (int x = 0; x < 16; x++) {
			seed = seed * 1103515245u + 12345u;
			int on = ((horizontal ? y : x) / 2) % 2;
			fputc((on ? 200 : 40) + (int)(seed >> 16) % 40, f);
		}
	fclose(f);
}

static void test_image_classes_are_evaluated_here(void **state)
{
	(void)state;
	char dir[64], name[32], path[128];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "pipeline-image"), 0);
	write_text(dir, "project.json", "{\"kind\":\"image_class\",\"labels\":[\"h\",\"v\"]}");
	snprintf(path, sizeof path, "%s/rows.jsonl", dir);
	FILE *rows = fopen(path, "w");
	assert_non_null(rows);
	evalset.n = 0;
	for (int i = 0; i < 48; i++) {
		bool horizontal = i % 2;
		/* Two test images labelled against their stripes. */
		const char *label = (i == 41 || i == 44) != horizontal ? "\"h\"" : "\"v\"";
		snprintf(name, sizeof name, "i%d.pgm", i);
		write_stripes(dir, name, horizontal, (unsigned)i);
		if (i < 36)
			add_train_row(rows, NULL, name, label);
		else
			add_test_row(rows, NULL, name, label);
	}
	fclose(rows);
	assert_scored_as_trained("image-hog", dir);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_the_rule),
	    cmocka_unit_test(test_settings_are_checked),
	    cmocka_unit_test_setup(test_no_run_below_the_threshold, reset),
	    cmocka_unit_test_setup(test_the_first_version_is_promoted, reset),
	    cmocka_unit_test_setup(test_better_by_the_margin_is_promoted, reset),
	    cmocka_unit_test_setup(test_worse_or_equal_keeps_production, reset),
	    cmocka_unit_test_setup(test_a_failed_step_leaves_production, reset),
	    cmocka_unit_test_setup(test_approve_mode_waits_for_a_person, reset),
	    cmocka_unit_test_setup(test_a_new_trigger_supersedes_a_waiting_run, reset),
	    cmocka_unit_test_setup(test_a_person_triggers_a_run, reset),
	    cmocka_unit_test_setup(test_production_on_other_test_items_waits, reset),
	    cmocka_unit_test(test_multi_label_text_is_evaluated_here),
	    cmocka_unit_test(test_image_classes_are_evaluated_here),
	    cmocka_unit_test(test_spans_are_evaluated_here),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
