/* Unit tests of what jobs/slurm reads from Slurm without a Slurm: each job state of
 * `scontrol show job -o -d` mapped to our states and ends with its exit code or signal, the GPU
 * indices of the detail, fields read up to the next field (a path with a space), arguments of
 * the job's command that look like fields never taken for the real ones, a cancelled job that
 * stays stopping until Slurm says it ended, and Slurm's index lists expanded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jobs/slurm.h"

/* A line as scontrol writes it (22.05), with the state, exit code, detail and command given. */
static void line_make(char *out, size_t size, const char *state, const char *exit_code,
		      const char *detail, const char *command)
{
	snprintf(out, size,
		 "JobId=7 JobName=crowdloop-7 UserId=root(0) GroupId=root(0) MCS_label=N/A "
		 "Priority=4294901759 Nice=0 Account=(null) QOS=(null) JobState=%s Reason=None "
		 "Dependency=(null) Requeue=0 Restarts=0 BatchFlag=1 Reboot=0 ExitCode=%s "
		 "DerivedExitCode=0:0 RunTime=00:00:01 TimeLimit=00:01:00 Partition=debug "
		 "AllocNode:Sid=vm:2 ReqNodeList=(null) ExcNodeList=(null) NodeList=node1 "
		 "BatchHost=node1 NumNodes=1 NumCPUs=1 CPUs/Task=1 ReqB:S:C:T=0:0:*:* "
		 "TRES=cpu=1,mem=32M,node=1,billing=1 JOB_GRES=gpu:1   %s MinCPUsNode=1 "
		 "Command=/data/jobs/7/crowdloop-slurm.sh %s WorkDir=/data/jobs/job 7 "
		 "StdErr=/data/jobs/7/job.log StdIn=/dev/null StdOut=/data/jobs/7/job.log Power= "
		 "TresPerNode=gres:gpu:1\n",
		 state, exit_code, detail, command);
}

static void parse(slurm_job *job, const char *state, const char *exit_code)
{
	char line[2048];
	line_make(line, sizeof line, state, exit_code,
		  "Nodes=node1 CPU_IDs=0 Mem=32 GRES=", "true");
	assert_int_equal(slurm_show_parse(job, line), CL_OK);
}

static void test_states(void **state)
{
	(void)state;
	static const struct {
		const char *word, *exit_code;
		enum slurm_state state;
		enum slurm_end end;
		int exit_code_is, signal;
	} cases[] = {
	    {"PENDING", "0:0", SLURM_QUEUED, SLURM_END_NONE, 0, 0},
	    {"RUNNING", "0:0", SLURM_RUNNING, SLURM_END_NONE, 0, 0},
	    {"COMPLETING", "0:0", SLURM_RUNNING, SLURM_END_NONE, 0, 0},
	    {"COMPLETED", "0:0", SLURM_DONE, SLURM_EXITED, 0, 0},
	    {"FAILED", "3:0", SLURM_DONE, SLURM_EXITED, 3, 0},
	    {"FAILED", "0:9", SLURM_DONE, SLURM_SIGNALED, 0, 9},
	    {"CANCELLED", "0:15", SLURM_DONE, SLURM_CANCELLED, 0, 0},
	    {"TIMEOUT", "0:15", SLURM_DONE, SLURM_TIMED_OUT, 0, 0},
	    {"NODE_FAIL", "0:0", SLURM_DONE, SLURM_FAILED, 0, 0},
	    {"OUT_OF_MEMORY", "0:125", SLURM_DONE, SLURM_FAILED, 0, 0},
	    {"SOMETHING_NEW", "0:0", SLURM_RUNNING, SLURM_END_NONE, 0, 0},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		slurm_job job = {.state = SLURM_QUEUED};
		parse(&job, cases[i].word, cases[i].exit_code);
		assert_string_equal(job.slurm_state, cases[i].word);
		assert_int_equal(job.state, cases[i].state);
		assert_int_equal(job.end, cases[i].end);
		assert_int_equal(job.exit_code, cases[i].exit_code_is);
		assert_int_equal(job.signal, cases[i].signal);
		assert_string_equal(job.nodes, "node1");
	}
}

static void test_facts(void **state)
{
	(void)state;
	char line[2048];
	slurm_job job = {.state = SLURM_QUEUED};
	line_make(line, sizeof line, "RUNNING", "0:0",
		  "Nodes=node1 CPU_IDs=0-1 Mem=32 GRES=gpu:2(IDX:1,3)", "true");
	assert_int_equal(slurm_show_parse(&job, line), CL_OK);
	assert_string_equal(job.gpus, "1,3");
	assert_string_equal(job.workdir, "/data/jobs/job 7");
	assert_string_equal(job.reason, "");

	/* Slurm drops the detail at the end: the devices read while it ran stay. */
	parse(&job, "COMPLETED", "0:0");
	assert_string_equal(job.gpus, "1,3");

	slurm_job kept = {.state = SLURM_QUEUED, .workdir = "/given"};
	parse(&kept, "PENDING", "0:0");
	assert_string_equal(kept.workdir, "/given");

	char pending[2048];
	line_make(pending, sizeof pending, "PENDING", "0:0", "", "true");
	char *reason = strstr(pending, "Reason=None");
	memcpy(reason, "Reason=Pear", 11);
	slurm_job waiting = {.state = SLURM_QUEUED};
	assert_int_equal(slurm_show_parse(&waiting, pending), CL_OK);
	assert_string_equal(waiting.reason, "Pear");
}

/* The job's own arguments come after the real fields and before WorkDir. */
static void test_arguments_like_fields(void **state)
{
	(void)state;
	char line[2048];
	slurm_job job = {.state = SLURM_QUEUED};
	line_make(line, sizeof line, "RUNNING", "0:0",
		  "Nodes=node1 GRES=", "JobState=COMPLETED ExitCode=9:0 WorkDir=/evil NodeList=x");
	assert_int_equal(slurm_show_parse(&job, line), CL_OK);
	assert_int_equal(job.state, SLURM_RUNNING);
	assert_string_equal(job.workdir, "/data/jobs/job 7");
	assert_string_equal(job.nodes, "node1");
}

static void test_stopping_until_ended(void **state)
{
	(void)state;
	slurm_job job = {.state = SLURM_STOPPING, .cancel_sent = 1};
	parse(&job, "RUNNING", "0:0");
	assert_int_equal(job.state, SLURM_STOPPING);
	parse(&job, "COMPLETING", "0:0");
	assert_int_equal(job.state, SLURM_STOPPING);
	parse(&job, "CANCELLED", "0:15");
	assert_int_equal(job.state, SLURM_DONE);
	assert_int_equal(job.end, SLURM_CANCELLED);
}

static void test_no_state(void **state)
{
	(void)state;
	slurm_job job = {0};
	assert_int_equal(slurm_show_parse(&job, "JobId=7 JobName=x\n"), CL_EINVAL);
	assert_int_equal(slurm_show_parse(&job, ""), CL_EINVAL);
	/* DerivedExitCode= and ReqNodeList= are not the fields they end with. */
	assert_int_equal(slurm_show_parse(&job, "XJobState=RUNNING\n"), CL_EINVAL);
}

static void test_gpus_expand(void **state)
{
	(void)state;
	char out[64];
	assert_int_equal(slurm_gpus_expand("0-2,5", out, sizeof out), CL_OK);
	assert_string_equal(out, "0,1,2,5");
	assert_int_equal(slurm_gpus_expand("3", out, sizeof out), CL_OK);
	assert_string_equal(out, "3");
	assert_int_equal(slurm_gpus_expand("", out, sizeof out), CL_OK);
	assert_string_equal(out, "");
	assert_int_equal(slurm_gpus_expand("2-1", out, sizeof out), CL_EINVAL);
	assert_int_equal(slurm_gpus_expand("a", out, sizeof out), CL_EINVAL);
	assert_int_equal(slurm_gpus_expand("1,", out, sizeof out), CL_EINVAL);
	assert_int_equal(slurm_gpus_expand("0-1000", out, 16), CL_EINVAL); /* too long */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_states),
	    cmocka_unit_test(test_facts),
	    cmocka_unit_test(test_arguments_like_fields),
	    cmocka_unit_test(test_stopping_until_ended),
	    cmocka_unit_test(test_no_state),
	    cmocka_unit_test(test_gpus_expand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
