/* Unit tests of a job's environment (jobs/job_env.c), the one builder the local and Slurm
 * executors share: the server's own settings (CROWDLOOP_*, MLFLOW_*) never reach a job, what
 * the spec sets replaces the server's entry of that name, CUDA_VISIBLE_DEVICES is the job's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jobs/job_env.h"

static int count(char **env, const char *prefix)
{
	int n = 0;
	for (size_t i = 0; env[i]; i++)
		n += !strncmp(env[i], prefix, strlen(prefix));
	return n;
}

static void test_server_settings_stay_out(void **state)
{
	(void)state;
	char *base[] = {"PATH=/usr/bin",
			"CROWDLOOP_ADMIN_PASSWORD=secret",
			"MLFLOW_TRACKING_TOKEN=server-token",
			"FOO=old",
			"CUDA_VISIBLE_DEVICES=0,1,2",
			"HOME=/root",
			NULL};
	char *spec[] = {"FOO=new", "CROWDLOOP_RUN_ID=7", "MLFLOW_RUN_ID=7", NULL};
	char **env = job_env_build(base, spec, "1");
	assert_non_null(env);
	assert_int_equal(count(env, "CROWDLOOP_ADMIN_PASSWORD="), 0);
	assert_int_equal(count(env, "MLFLOW_TRACKING_TOKEN="), 0);
	assert_int_equal(count(env, "FOO="), 1);
	assert_int_equal(count(env, "FOO=new"), 1);
	assert_int_equal(count(env, "CROWDLOOP_RUN_ID=7"), 1);
	assert_int_equal(count(env, "MLFLOW_RUN_ID=7"), 1);
	assert_int_equal(count(env, "CUDA_VISIBLE_DEVICES="), 1);
	assert_int_equal(count(env, "CUDA_VISIBLE_DEVICES=1"), 1);
	assert_int_equal(count(env, "PATH=/usr/bin"), 1);
	assert_int_equal(count(env, "HOME=/root"), 1);
	free(env);
	/* Without devices of its own (Slurm gives them), the server's entry passes as it is. */
	env = job_env_build(base, NULL, NULL);
	assert_int_equal(count(env, "CUDA_VISIBLE_DEVICES=0,1,2"), 1);
	assert_int_equal(count(env, "CROWDLOOP_"), 0);
	assert_int_equal(count(env, "MLFLOW_"), 0);
	free(env);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_server_settings_stay_out),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
