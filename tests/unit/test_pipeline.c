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

static int fake_run_start(store_tx *tx, int64_t project_id, int64_t approved, const char *metric,
			  const char *figures, int64_t now, int64_t *run_id, cl_error *err)
{
	(void)tx, (void)figures, (void)now;
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
	if (live())
		return json_array();
	return json_pack("[{s:i,s:I,s:I,s:i,s:o}]", "project_id", 10, "approved",
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
static int fake_project_get(db *d, int64_t id, project *p)
{
	(void)d;
	p->id = id;
	p->org_id = 1;
	p->kind = KIND_TEXT_CLASS;
	p->labels = json_pack("[s]", "a"); /* project_release frees it */
	return 0;
}

static void *fake_rows_open(store_tx *tx, int64_t project_id, rows_order order)
{
	(void)tx, (void)project_id, (void)order;
	return &mem;
}

static int fake_rows_next(void *rows, export_row *row)
{
	(void)rows, (void)row;
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
    .pipeline_step = fake_step,
    .pipeline_settings = fake_settings,
    .pipeline_candidates = fake_candidates,
    .pipeline_runs_running = fake_running,
    .pipeline_base = fake_base,
    .pipeline_base_set = fake_base_set,
    .project_get = fake_project_get,
    .approved_rows_open_tx = fake_rows_open,
    .dataset_rows_next = fake_rows_next,
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
	/* No new run while one waits. */
	mem.approved += 10;
	pipeline_tick(&env);
	assert_int_equal(mem.run.id, 1);
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
	    cmocka_unit_test_setup(test_production_on_other_test_items_waits, reset),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
