/* Unit tests of training jobs' rules (core/runs.c, core/registry.c) through an in-memory table
 * of store operations, and of the pieces the runner reads a job with: metric lines
 * (jobs/metric_lines.c) and artifacts (jobs/artifacts.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/registry.h"
#include "core/runs.h"
#include "jobs/artifacts.h"
#include "jobs/metric_lines.h"
#include "fake_runs.h"
#include "tmpdir.h"

/* ---- the in-memory store of jobs and models (fake_runs.h) ---- */

static const store_ops fake_ops = {FAKE_RUNS_OPS};

static const store st = {&fake_ops, NULL};
static const run_limits node = {.cpus = 4, .gpus = 1, .mem_bytes = 8LL << 30,
				.allow_custom = true};

static int reset(void **state)
{
	(void)state;
	fake_runs_reset();
	/* Dataset 1 is org 1's text_class version, dataset 2 org 2's. */
	jobs_mem.n_datasets = 2;
	jobs_mem.dataset_org[2] = 2;
	return 0;
}

static json_t *command(void)
{
	return json_pack("[s,s]", "sh", "-c");
}

static int submit_custom(const run_limits *lim, const char *role, int64_t dataset, int max_retries,
			 cl_error *err)
{
	json_t *cmd = command();
	run_request req = {.org_id = 1, .user_id = 7, .org_role = role, .dataset_id = dataset,
			   .command = cmd, .max_retries = max_retries};
	int64_t id = 0;
	int rc = run_submit(&st, lim, &req, &id, err);
	json_decref(cmd);
	return rc ? rc : (int)id;
}

/* ---- submission ---- */

static void test_custom_commands_need_the_flag_and_the_role(void **state)
{
	(void)state;
	cl_error err = {0};
	run_limits closed = node;
	closed.allow_custom = false;
	assert_int_equal(submit_custom(&closed, "owner", 1, 0, &err), CL_EFORBIDDEN);
	assert_string_equal(err.name, "custom_jobs_disabled");
	assert_int_equal(submit_custom(&node, "manager", 1, 0, &err), CL_EFORBIDDEN);
	assert_int_equal(submit_custom(&node, "", 1, 0, &err), CL_EFORBIDDEN);
	assert_int_equal(jobs_mem.n_jobs, 0);
	assert_int_equal(submit_custom(&node, "engineer", 1, 0, &err), 1);
	assert_int_equal(submit_custom(&node, "owner", 1, 0, &err), 2);
	assert_string_equal(jobs_mem.jobs[0].state, "queued");
	assert_string_equal(jobs_mem.jobs[0].kind, "custom");
	/* Another org's dataset version is not found. */
	assert_int_equal(submit_custom(&node, "owner", 2, 0, &err), CL_ENOTFOUND);
	assert_int_equal(submit_custom(&node, "owner", 9, 0, &err), CL_ENOTFOUND);
}

static int submit_builtin(const char *trainer, json_t *params, int cpus, cl_error *err)
{
	run_request req = {.org_id = 1, .user_id = 7, .org_role = "engineer", .dataset_id = 1,
			   .trainer = trainer, .params = params, .cpus = cpus};
	int64_t id = 0;
	int rc = run_submit(&st, &node, &req, &id, err);
	json_decref(params);
	return rc ? rc : (int)id;
}

static void test_builtin_trainers_are_checked_before_queueing(void **state)
{
	(void)state;
	cl_error err = {0};
	assert_int_equal(submit_builtin("no-such", NULL, 1, &err), CL_EINVAL);
	assert_string_equal(err.name, "unknown_trainer");
	assert_int_equal(submit_builtin("image-hog", NULL, 1, &err), CL_EINVAL);
	assert_string_equal(err.name, "trainer_kind");
	assert_int_equal(submit_builtin("text-linear", json_pack("{s:i}", "bogus", 1), 1, &err),
			 CL_EINVAL);
	assert_non_null(strstr(err.message, "bogus"));
	assert_int_equal(submit_builtin("text-linear", NULL, 5, &err), CL_EINVAL);
	assert_int_equal(jobs_mem.n_jobs, 0);
	assert_int_equal(submit_builtin("text-linear", NULL, 4, &err), 1);
	assert_string_equal(jobs_mem.jobs[0].trainer, "text-linear");
	/* Neither, or both, of a trainer and a command. */
	json_t *cmd = command();
	run_request both = {.org_id = 1, .org_role = "owner", .dataset_id = 1,
			    .trainer = "text-linear", .command = cmd};
	int64_t id;
	assert_int_equal(run_submit(&st, &node, &both, &id, &err), CL_EINVAL);
	json_decref(cmd);
}

static void test_quotas(void **state)
{
	(void)state;
	cl_error err = {0};
	run_quota bad[] = {{-2, 0, 1, -1},  {0, 100001, 1, -1}, {1, 1, 0, -1},
			   {1, 1, 1001, -1}, {1, 1, 1, -2},	  {1, 1, 1, RUN_QUOTA_MEM_MB_MAX + 1}};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(run_quota_set(&st, 1, &bad[i], &err), CL_EINVAL);
	assert_int_equal(jobs_mem.quota.weight, 1);
	run_quota two = {2, 0, 3, 512};
	assert_int_equal(run_quota_set(&st, 1, &two, &err), 0);
	assert_int_equal(submit_builtin("text-linear", NULL, 3, &err), CL_EINVAL);
	assert_string_equal(err.name, "over_quota");
	/* A job asks 1 GiB by default: over a quota of 512 MiB. */
	assert_int_equal(submit_builtin("text-linear", NULL, 2, &err), CL_EINVAL);
	assert_string_equal(err.name, "over_quota");
	assert_non_null(strstr(err.message, "mem_mb"));
	assert_int_equal(jobs_mem.n_jobs, 0);
	two.max_mem_mb = 1024;
	assert_int_equal(run_quota_set(&st, 1, &two, &err), 0);
	assert_int_equal(submit_builtin("text-linear", NULL, 2, &err), 1);
}

/* ---- ends, retries, cancel ---- */

static void test_an_attempt_ends_by_the_rules(void **state)
{
	(void)state;
	assert_string_equal(run_outcome_state(RUN_EXITED, 0), "succeeded");
	assert_string_equal(run_outcome_state(RUN_EXITED, 3), "failed");
	assert_string_equal(run_outcome_state(RUN_SIGNALED, 0), "failed");
	assert_string_equal(run_outcome_state(RUN_TIMED_OUT, 0), "failed");
	assert_string_equal(run_outcome_state(RUN_CANCELLED, 0), "cancelled");
	assert_string_equal(run_outcome_state(RUN_LOST, 0), "lost");
	assert_true(run_retries("failed", 1, 1));
	assert_false(run_retries("failed", 2, 1));
	assert_false(run_retries("cancelled", 1, 5));
	assert_false(run_retries("lost", 1, 5));
	assert_false(run_retries("succeeded", 1, 5));
}

static void start_and_end(int64_t id, enum run_outcome o, int code, bool *requeued)
{
	cl_error err = {0};
	run_row j;
	assert_int_equal(run_starting(&st, id, &j, &err), 0);
	assert_string_equal(fake_job(id)->state, "running");
	run_end e = {.outcome = o, .exit_code = code};
	assert_int_equal(run_finished(&st, id, &e, requeued, &err), 0);
}

static void test_retries_up_to_max_retries(void **state)
{
	(void)state;
	cl_error err = {0};
	bool requeued;
	int id = submit_custom(&node, "owner", 1, 1, &err);
	start_and_end(id, RUN_EXITED, 1, &requeued);
	assert_true(requeued);
	assert_string_equal(fake_job(id)->state, "queued");
	start_and_end(id, RUN_EXITED, 1, &requeued);
	assert_false(requeued);
	assert_string_equal(fake_job(id)->state, "failed");
	assert_int_equal(fake_job(id)->attempt, 2);
	assert_int_equal(fake_job(id)->exit_status, 1);
	/* An ended job never starts again. */
	run_row j;
	assert_int_equal(run_starting(&st, id, &j, &err), CL_ECONFLICT);
}

static void test_cancel(void **state)
{
	(void)state;
	cl_error err = {0};
	int queued = submit_custom(&node, "owner", 1, 3, &err);
	assert_int_equal(run_cancel(&st, queued, &err), 0);
	assert_string_equal(fake_job(queued)->state, "cancelled");
	run_row j;
	assert_int_equal(run_starting(&st, queued, &j, &err), CL_ECONFLICT);
	assert_int_equal(run_cancel(&st, queued, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "job_ended");

	int running = submit_custom(&node, "owner", 1, 3, &err);
	assert_int_equal(run_starting(&st, running, &j, &err), 0);
	assert_int_equal(run_cancel(&st, running, &err), 0);
	assert_string_equal(fake_job(running)->state, "running");
	assert_int_equal(fake_job(running)->cancel_requested, 1);
	bool requeued;
	run_end e = {.outcome = RUN_CANCELLED};
	assert_int_equal(run_finished(&st, running, &e, &requeued, &err), 0);
	assert_false(requeued); /* a cancelled job is not retried, whatever max_retries says */
	assert_string_equal(fake_job(running)->state, "cancelled");
}

static void test_success_keeps_artifacts_and_refusal_is_not_retried(void **state)
{
	(void)state;
	cl_error err = {0};
	int id = submit_custom(&node, "owner", 1, 2, &err);
	run_row j;
	assert_int_equal(run_starting(&st, id, &j, &err), 0);
	struct run_artifact arts[] = {{"model.json", "ab", 3}, {"evaluation.json", "cd", 4}};
	run_end e = {.outcome = RUN_EXITED, .artifacts = arts, .n_artifacts = 2};
	bool requeued;
	assert_int_equal(run_finished(&st, id, &e, &requeued, &err), 0);
	assert_string_equal(fake_job(id)->state, "succeeded");
	assert_int_equal(jobs_mem.n_artifacts, 2);
	int refused = submit_custom(&node, "owner", 1, 5, &err);
	assert_int_equal(run_refused(&st, refused, &err), 0);
	assert_string_equal(fake_job(refused)->state, "failed");
	assert_string_equal(fake_job(refused)->end_reason, "refused");
}

static void test_metric_batches(void **state)
{
	(void)state;
	cl_error err = {0};
	run_metric *m = calloc(RUN_METRIC_BATCH_MAX + 1, sizeof *m);
	for (int i = 0; i <= RUN_METRIC_BATCH_MAX; i++)
		m[i] = (run_metric){"loss", 1.0 / (i + 1), i, 0};
	assert_int_equal(run_log_metrics(&st, 1, m, RUN_METRIC_BATCH_MAX + 1, &err), CL_ETOOBIG);
	assert_int_equal(jobs_mem.metrics, 0);
	assert_int_equal(run_log_metrics(&st, 1, m, RUN_METRIC_BATCH_MAX, &err), 0);
	assert_int_equal(jobs_mem.metrics, RUN_METRIC_BATCH_MAX);
	m[3].value = NAN;
	assert_int_equal(run_log_metrics(&st, 1, m, 10, &err), CL_EINVAL);
	m[3].value = 1;
	m[4].key = "";
	assert_int_equal(run_log_metrics(&st, 1, m, 10, &err), CL_EINVAL);
	assert_int_equal(jobs_mem.metrics, RUN_METRIC_BATCH_MAX);
	free(m);
}

/* ---- the registry ---- */

static void test_versions_come_from_succeeded_runs_of_the_org(void **state)
{
	(void)state;
	cl_error err = {0};
	bool requeued;
	int ok = submit_custom(&node, "owner", 1, 0, &err);
	start_and_end(ok, RUN_EXITED, 0, &requeued);
	int bad = submit_custom(&node, "owner", 1, 0, &err);
	start_and_end(bad, RUN_EXITED, 2, &requeued);
	jobs_mem.model_org[1] = 1; /* model 1 is org 1's, model 2 org 2's */
	jobs_mem.model_org[2] = 2;
	int version = 0, from = -1;
	assert_int_equal(registry_version_add(&st, 1, bad, 7, &version, &err), CL_ECONFLICT);
	assert_string_equal(err.name, "job_not_succeeded");
	assert_int_equal(registry_version_add(&st, 2, ok, 7, &version, &err), CL_ENOTFOUND);
	assert_int_equal(registry_version_add(&st, 1, ok, 7, &version, &err), 0);
	assert_int_equal(version, 1);
	assert_int_equal(registry_alias_move(&st, 1, "production", 2, 7, &from, &err),
			 CL_ENOTFOUND);
	assert_int_equal(registry_alias_move(&st, 1, "bad name!", 1, 7, &from, &err), CL_EINVAL);
	assert_int_equal(jobs_mem.alias_moves, 0);
	assert_int_equal(registry_alias_move(&st, 1, "production", 1, 7, &from, &err), 0);
	assert_int_equal(from, 0);
	assert_int_equal(registry_version_add(&st, 1, ok, 7, &version, &err), 0);
	assert_int_equal(registry_alias_move(&st, 1, "production", 2, 7, &from, &err), 0);
	assert_int_equal(from, 1);
	assert_int_equal(jobs_mem.alias_moves, 2);
}

/* ---- metric lines ---- */

static void test_metric_lines(void **state)
{
	(void)state;
	metric_point p;
	const char *good = "CROWDLOOP_METRIC train/loss=0.125 step=42";
	assert_int_equal(metric_line_parse(good, strlen(good), &p), 1);
	assert_string_equal(p.key, "train/loss");
	assert_true(p.value == 0.125);
	assert_int_equal(p.step, 42);
	const char *nostep = "CROWDLOOP_METRIC acc=1e-1\r";
	assert_int_equal(metric_line_parse(nostep, strlen(nostep), &p), 1);
	assert_int_equal(p.step, 0);
	const char *bad[] = {"CROWDLOOP_METRIC loss=abc step=1", "CROWDLOOP_METRIC =1",
			     "CROWDLOOP_METRIC loss=nan", "CROWDLOOP_METRIC lo ss=1",
			     "CROWDLOOP_METRIC loss=1 step=-1", "CROWDLOOP_METRIC loss=1 step=1.5",
			     "CROWDLOOP_METRIC loss=1 epoch=1", "metric loss=1", "CROWDLOOP_METRIC"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		assert_int_equal(metric_line_parse(bad[i], strlen(bad[i]), &p), 0);
	const char *json = "{\"key\":\"f1\",\"value\":0.5,\"step\":3}\n";
	assert_int_equal(metric_json_parse(json, strlen(json), &p), 1);
	assert_string_equal(p.key, "f1");
	assert_int_equal(p.step, 3);
	const char *jbad[] = {"{\"key\":\"f1\"}", "{\"key\":\"\",\"value\":1}", "[1]",
			      "{\"key\":\"a\",\"value\":1,\"step\":-2}", "not json"};
	for (size_t i = 0; i < sizeof jbad / sizeof *jbad; i++)
		assert_int_equal(metric_json_parse(jbad[i], strlen(jbad[i]), &p), 0);
}

/* ---- artifacts ---- */

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_artifacts_are_content_addressed(void **state)
{
	(void)state;
	char dir[64], out[128], sub[160], store_dir[128], path[256];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "artifacts"), 0);
	snprintf(out, sizeof out, "%s/out", dir);
	snprintf(sub, sizeof sub, "%s/nested", out);
	snprintf(store_dir, sizeof store_dir, "%s/store", dir);
	assert_int_equal(mkdir(out, 0700), 0);
	assert_int_equal(mkdir(sub, 0700), 0);
	snprintf(path, sizeof path, "%s/a.txt", out);
	write_file(path, "abc");
	snprintf(path, sizeof path, "%s/b.txt", sub);
	write_file(path, "abc"); /* the same content: one stored file */
	snprintf(path, sizeof path, "%s/link", out);
	assert_int_equal(symlink("/etc/passwd", path), 0); /* never followed */
	artifact_list l = {0};
	cl_error err = {0};
	assert_int_equal(artifacts_collect(out, store_dir, &l, &err), 0);
	assert_int_equal(l.n, 2);
	assert_string_equal(l.files[0].path, "a.txt");
	assert_string_equal(l.files[1].path, "nested/b.txt");
	/* SHA-256 of "abc". */
	assert_string_equal(l.files[0].sha256,
			    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_string_equal(l.files[0].sha256, l.files[1].sha256);
	assert_int_equal(l.files[0].size, 3);
	snprintf(path, sizeof path, "%s/%s", store_dir, l.files[0].sha256);
	assert_int_equal(access(path, R_OK), 0);
	assert_true(artifacts_name_ok(l.files[0].sha256));
	assert_false(artifacts_name_ok("../etc/passwd"));
	artifacts_free(&l);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_custom_commands_need_the_flag_and_the_role, reset),
	    cmocka_unit_test_setup(test_builtin_trainers_are_checked_before_queueing, reset),
	    cmocka_unit_test_setup(test_quotas, reset),
	    cmocka_unit_test_setup(test_an_attempt_ends_by_the_rules, reset),
	    cmocka_unit_test_setup(test_retries_up_to_max_retries, reset),
	    cmocka_unit_test_setup(test_cancel, reset),
	    cmocka_unit_test_setup(test_success_keeps_artifacts_and_refusal_is_not_retried, reset),
	    cmocka_unit_test_setup(test_metric_batches, reset),
	    cmocka_unit_test_setup(test_versions_come_from_succeeded_runs_of_the_org, reset),
	    cmocka_unit_test(test_metric_lines),
	    cmocka_unit_test(test_artifacts_are_content_addressed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
