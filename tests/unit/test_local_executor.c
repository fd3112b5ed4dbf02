/* Unit tests of jobs/local: exit statuses and signals, the log capturing stdout and stderr, the
 * environment, devices and working directory, rlimits, the memory limit said in the log where no
 * cgroup allows it, cancel and the time limit ending the whole process group (a child ignoring
 * SIGTERM is killed after the grace, not before), and adoption by pid and start time. Waits are
 * bounded generously: the machine is shared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs/local.h"
#include "tmpdir.h"
#include "util/clock.h"

static char dir[64], log_path[128];

static int setup(void **state)
{
	(void)state;
	if (tmpdir_make(dir, sizeof dir, "local") != 0)
		return -1;
	snprintf(log_path, sizeof log_path, "%s/job.log", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	return tmpdir_remove(dir);
}

static int64_t ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* Polls until done, at most 30 s. */
static void wait_done(local_job *job)
{
	int64_t until = ms() + 30000;
	while (local_poll(job) != LOCAL_DONE && ms() < until)
		usleep(10000);
	assert_int_equal(job->state, LOCAL_DONE);
}

static void run_shell(local_job *job, local_spec *spec, const char *script)
{
	static char *argv[] = {"sh", "-c", NULL, NULL}; /* outlives the call, as spec->argv does */
	argv[2] = (char *)script;
	spec->argv = argv;
	spec->workdir = dir;
	spec->log_path = log_path;
	unlink(log_path);
	cl_error err;
	assert_int_equal(local_start(job, spec, &err), CL_OK);
	assert_true(job->pid > 0);
	assert_true(job->start_time > 0);
}

static char *read_all(const char *path)
{
	static char text[8192];
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	return text;
}

/* Reads a pid the job wrote to `name` in its directory, waiting for it at most 30 s. */
static pid_t read_pid(const char *name)
{
	char path[200];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	for (int64_t until = ms() + 30000; ms() < until; usleep(10000)) {
		char *text = read_all(path);
		if (text && strchr(text, '\n'))
			return (pid_t)strtol(text, NULL, 10);
	}
	fail_msg("the job did not write %s", name);
	return -1;
}

/* Whether `pid` is gone, or a zombie nobody reaped, within 30 s: a signal is delivered when
 * the process next runs, after kill() has returned. */
static int proc_gone(pid_t pid)
{
	local_proc p;
	for (int64_t until = ms() + 30000; ms() < until; usleep(10000))
		if (local_proc_read(pid, &p) != CL_OK || p.state == 'Z' || p.state == 'X')
			return 1;
	return 0;
}

static void test_exit_and_log(void **state)
{
	(void)state;
	local_job job;
	local_spec spec = {0};
	run_shell(&job, &spec, "echo out; echo err >&2; exit 3");
	wait_done(&job);
	assert_int_equal(job.end, LOCAL_EXITED);
	assert_int_equal(job.exit_code, 3);
	assert_int_equal(job.signal, 0);
	assert_string_equal(read_all(log_path), "out\nerr\n");

	run_shell(&job, &spec, "kill -USR1 $$");
	wait_done(&job);
	assert_int_equal(job.end, LOCAL_SIGNALED);
	assert_int_equal(job.signal, SIGUSR1);

	char *argv[] = {"/nonexistent/trainer", NULL};
	spec.argv = argv;
	assert_int_equal(local_start(&job, &spec, NULL), CL_OK);
	wait_done(&job);
	assert_int_equal(job.exit_code, 127);
	assert_non_null(strstr(read_all(log_path), "cannot execute"));
	spec.log_path = NULL;
	assert_int_equal(local_start(&job, &spec, NULL), CL_EINVAL);
}

static void test_environment_and_limits(void **state)
{
	(void)state;
	local_job job;
	char *env[] = {"FOO=bar", "HOME=/job-home", NULL};
	local_spec spec = {
	    .env = env, .cuda_devices = "1,3", .as_bytes = 1ll << 30, .cpu_seconds = 7};
	setenv("CUDA_VISIBLE_DEVICES", "0,1,2,3", 1);
	/* The server's own settings stay out of the job. */
	setenv("CROWDLOOP_ADMIN_PASSWORD", "secret", 1);
	run_shell(&job, &spec,
		  "echo \"$CUDA_VISIBLE_DEVICES|$FOO|$HOME|$(pwd)|$CROWDLOOP_ADMIN_PASSWORD\"; "
		  "ulimit -v; ulimit -t");
	wait_done(&job);
	unsetenv("CUDA_VISIBLE_DEVICES");
	unsetenv("CROWDLOOP_ADMIN_PASSWORD");
	assert_int_equal(job.exit_code, 0);
	char want[256];
	snprintf(want, sizeof want, "1,3|bar|/job-home|%s|\n1048576\n7\n", dir);
	assert_string_equal(read_all(log_path), want);
}

static void test_memory_limit(void **state)
{
	(void)state;
	local_job job;
	local_spec spec = {.mem_bytes = 64ll << 20};
	run_shell(&job, &spec, "echo ran");
	wait_done(&job);
	assert_non_null(strstr(read_all(log_path), "no cgroup v2 memory limit"));
	assert_non_null(strstr(read_all(log_path), "ran\n"));

	/* A directory laid out as a delegated cgroup v2 one: the limit is written, the child joins.
	 */
	char cg[200], file[300];
	snprintf(cg, sizeof cg, "%s/cg", dir);
	snprintf(file, sizeof file, "%s/cg/job-1", dir);
	assert_int_equal(mkdir(cg, 0700) || mkdir(file, 0700), 0);
	const char *files[] = {"cg/cgroup.subtree_control", "cg/job-1/memory.max",
			       "cg/job-1/cgroup.procs"};
	for (int i = 0; i < 3; i++) {
		snprintf(file, sizeof file, "%s/%s", dir, files[i]);
		FILE *f = fopen(file, "w");
		assert_non_null(f);
		fputs(i == 0 ? "cpu memory\n" : "", f);
		fclose(f);
	}
	spec.cgroup_dir = cg;
	spec.cgroup_name = "job-1";
	run_shell(&job, &spec, "echo ran");
	snprintf(file, sizeof file, "%s/cg/job-1", dir);
	assert_string_equal(job.cgroup, file);
	wait_done(&job);
	snprintf(file, sizeof file, "%s/cg/job-1/memory.max", dir);
	assert_string_equal(read_all(file), "67108864");
	snprintf(file, sizeof file, "%s/cg/job-1/cgroup.procs", dir);
	assert_string_equal(read_all(file), "0");
	assert_string_equal(read_all(log_path), "ran\n");
}

/* Cancel: the shell and its child both ignore SIGTERM; SIGKILL ends them after the grace. */
static void test_cancel_kills_group(void **state)
{
	(void)state;
	local_job job;
	local_spec spec = {.grace_ms = 300};
	run_shell(&job, &spec, "trap '' TERM; sleep 600 & echo $! > child.pid; wait");
	pid_t child = read_pid("child.pid");
	assert_int_equal(local_poll(&job), LOCAL_RUNNING);
	int64_t t0 = ms();
	local_cancel(&job);
	assert_int_equal(job.state, LOCAL_STOPPING);
	wait_done(&job);
	assert_true(ms() - t0 >= 300);
	assert_int_equal(job.end, LOCAL_CANCELLED);
	assert_int_equal(job.signal, SIGKILL);
	assert_true(proc_gone(child));
	assert_non_null(strstr(read_all(log_path), "SIGKILL"));
}

/* The time limit: SIGTERM to the group ends the shell and its child. */
static void test_time_limit(void **state)
{
	(void)state;
	local_job job;
	local_spec spec = {.time_limit_ms = 200, .grace_ms = 20000};
	run_shell(&job, &spec, "sleep 600 & echo $! > child.pid; wait");
	pid_t child = read_pid("child.pid");
	wait_done(&job);
	assert_int_equal(job.end, LOCAL_TIMED_OUT);
	assert_int_equal(job.signal, SIGTERM);
	assert_int_equal(job.kill_sent, 0);
	assert_true(proc_gone(child));
	assert_non_null(strstr(read_all(log_path), "time limit"));

	/* A command that exits leaving a child behind: the child is ended too. */
	spec = (local_spec){.grace_ms = 20000};
	run_shell(&job, &spec, "sleep 600 & echo $! > child.pid");
	child = read_pid("child.pid");
	wait_done(&job);
	assert_int_equal(job.end, LOCAL_EXITED);
	assert_true(proc_gone(child));
}

static void test_adopt(void **state)
{
	(void)state;
	local_job job, again;
	local_spec spec = {.grace_ms = 5000};
	run_shell(&job, &spec, "exec sleep 600");
	/* What an adopter knows of a job: its log and limits, not its command. */
	spec = (local_spec){.log_path = log_path, .grace_ms = 5000};
	assert_int_equal(local_adopt(&again, job.pid, job.start_time + 1, &spec), CL_ENOTFOUND);
	assert_int_equal(local_adopt(&again, job.pid, job.start_time, &spec), CL_OK);
	assert_int_equal(local_poll(&again), LOCAL_RUNNING);
	local_cancel(&again);
	/* Not our child: it ends as a zombie of the first job, which the adopter sees as gone. */
	for (int64_t until = ms() + 30000; local_poll(&again) != LOCAL_DONE && ms() < until;)
		usleep(10000);
	assert_int_equal(again.state, LOCAL_DONE);
	assert_int_equal(again.end, LOCAL_CANCELLED);
	wait_done(&job);
	assert_int_equal(job.signal, SIGTERM);
	assert_int_equal(local_adopt(&again, job.pid, job.start_time, &spec), CL_ENOTFOUND);
	/* A live process that does not lead its own group is not a job. */
	pid_t pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	local_proc p;
	assert_int_equal(local_proc_read(pid, &p), CL_OK);
	assert_int_equal(local_adopt(&again, pid, p.start_time, &spec), CL_ENOTFOUND);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void test_stat_parse(void **state)
{
	(void)state;
	local_proc p;
	const char *text =
	    "4242 (we) ird (name) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 "
	    "987654321 1000 200\n";
	assert_int_equal(local_stat_parse(text, &p), CL_OK);
	assert_int_equal(p.state, 'S');
	assert_int_equal(p.pgrp, 4242);
	assert_int_equal(p.start_time, 987654321);
	assert_int_equal(local_stat_parse("4242 (x S 1", &p), CL_EINVAL);
	assert_int_equal(local_proc_read(getpid(), &p), CL_OK);
	assert_int_equal(p.state, 'R');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_and_log), cmocka_unit_test(test_environment_and_limits),
	    cmocka_unit_test(test_memory_limit), cmocka_unit_test(test_cancel_kills_group),
	    cmocka_unit_test(test_time_limit),	 cmocka_unit_test(test_adopt),
	    cmocka_unit_test(test_stat_parse),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
