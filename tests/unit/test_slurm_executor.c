/* Tests of jobs/slurm against a real one-node Slurm that this test starts (tests/slurm/start.sh,
 * as root or with sudo): a job followed to its exit status, its log and its environment; a
 * failing job's status; cancel ending the job's process; two 1-GPU jobs at once on the node's
 * two fake GPUs getting different devices, as the job itself sees them; Slurm's time limit;
 * adoption by Slurm id by a fresh job state, and the exit-status file when Slurm has forgotten
 * the job; a job found by its name; an unreachable controller; sbatch's refusals.
 *
 * The time-limited job is submitted first and followed last: Slurm's limits are whole minutes,
 * so it runs while the others do. When Slurm cannot be started here the test is skipped (exit
 * 77), except under CI=true, where it fails. Waits are bounded generously: the machine is
 * shared. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs/command.h"
#include "jobs/local.h"
#include "jobs/slurm.h"
#include "tmpdir.h"
#include "util/clock.h"

static char dir[64], slurm_dir[96], jobs_dir[96], slurm_conf[160];
static slurm_job time_limited; /* submitted by the first test, followed by the last */

static int64_t ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* A job's own directory and log under jobs_dir. */
static void job_paths(const char *name, char *workdir, char *log, size_t size)
{
	snprintf(workdir, size, "%s/%s", jobs_dir, name);
	assert_int_equal(mkdir(workdir, 0755), 0);
	snprintf(log, size, "%s/job.log", workdir);
}

/* Submits `sh -c script` as job `name` with `gpus` GPUs. */
static void submit_shell(slurm_job *job, const char *name, const char *script, int gpus,
			 char *workdir, char *log, size_t size)
{
	char *argv[] = {"sh", "-c", (char *)script, NULL};
	job_paths(name, workdir, log, size);
	slurm_spec spec = {.argv = argv,
			   .workdir = workdir,
			   .log_path = log,
			   .job_name = name,
			   .cpus = 1,
			   .mem_bytes = 32 << 20,
			   .gpus = gpus};
	cl_error err = {0};
	assert_int_equal(slurm_start(job, &spec, &err), CL_OK);
	assert_true(job->id > 0);
}

/* Polls until `job` reaches `state` (or ends), at most `limit_ms`. */
static void wait_state(slurm_job *job, enum slurm_state state, int64_t limit_ms)
{
	int64_t until = ms() + limit_ms;
	while (slurm_poll(job) != state && job->state != SLURM_DONE && ms() < until)
		usleep(200000);
	assert_int_equal(job->state, state);
}

static void wait_file(const char *path, int64_t limit_ms)
{
	int64_t until = ms() + limit_ms;
	while (access(path, F_OK) != 0 && ms() < until)
		usleep(100000);
	assert_int_equal(access(path, F_OK), 0);
}

/* The file's text (at most 4 KiB) into `out`. */
static void read_text(const char *path, char *out, size_t size)
{
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	size_t n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	fclose(f);
}

static void touch(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
}

/* Asks scontrol about job `id` directly, for what the executor does not keep. */
static void scontrol_show(int64_t id, command_result *res)
{
	char text[24];
	snprintf(text, sizeof text, "%lld", (long long)id);
	char *argv[] = {"scontrol", "show", "job", "-o", text, NULL};
	command_call call = {argv, -1, 30000, NULL};
	assert_int_equal(command_run(&call, res, NULL), CL_OK);
	assert_int_equal(res->status, 0);
}

/* ---- the tests ---- */

static void time_limit_submitted(void **state)
{
	(void)state;
	char workdir[256], log[256];
	char *argv[] = {"sleep", "600", NULL};
	job_paths("limited", workdir, log, sizeof workdir);
	/* 1.5 s is rounded up to Slurm's unit, one minute. */
	slurm_spec spec = {.argv = argv,
			   .workdir = workdir,
			   .log_path = log,
			   .job_name = "limited",
			   .time_limit_ms = 1500};
	assert_int_equal(slurm_start(&time_limited, &spec, NULL), CL_OK);
	command_result *res = malloc(sizeof *res);
	scontrol_show(time_limited.id, res);
	assert_non_null(strstr(res->out, " TimeLimit=00:01:00 "));
	free(res);
}

/* Arguments reach the command as they are, the environment and the log as asked. */
static void job_followed_to_its_exit(void **state)
{
	(void)state;
	char workdir[256], log[256], text[4096];
	char *argv[] = {"sh",
			"-c",
			"printf '%s|' \"$@\"; echo; echo \"run=$CROWDLOOP_RUN\"; "
			"echo \"secret=[${CROWDLOOP_SERVER_SECRET-unset}]\"; "
			"echo \"cuda=[${CUDA_VISIBLE_DEVICES-unset}]\"; echo oops >&2; exit 0",
			"sh",
			"a b",
			"$(id)",
			"'q';",
			"--time=99",
			NULL};
	char *env[] = {"CROWDLOOP_RUN=a,b c=d", NULL};
	job_paths("follow", workdir, log, sizeof workdir);
	slurm_spec spec = {.argv = argv,
			   .workdir = workdir,
			   .log_path = log,
			   .env = env,
			   .job_name = "follow",
			   .cpus = 2,
			   .mem_bytes = 100 << 20};
	slurm_job job;
	/* The server's own settings stay out of the job, as a local job's do. */
	setenv("CROWDLOOP_SERVER_SECRET", "hidden", 1);
	assert_int_equal(slurm_start(&job, &spec, NULL), CL_OK);
	unsetenv("CROWDLOOP_SERVER_SECRET");
	wait_state(&job, SLURM_DONE, 60000);
	assert_int_equal(job.end, SLURM_EXITED);
	assert_int_equal(job.exit_code, 0);
	assert_string_equal(job.slurm_state, "COMPLETED");
	assert_string_equal(job.nodes, "crowdloop-node");
	/* Found again by its name, ended as it is: what a server that died in sbatch needs. */
	int64_t found = 0;
	assert_int_equal(slurm_find("follow", &found, NULL), CL_OK);
	assert_int_equal(found, job.id);
	assert_int_equal(slurm_find("no-such-job", &found, NULL), CL_ENOTFOUND);
	assert_int_equal(slurm_find("bad name", &found, NULL), CL_EINVAL);
	assert_string_equal(job.gpus, "");
	read_text(log, text, sizeof text);
	/* Arguments reach the command as they are: no shell, and none taken for sbatch's. */
	assert_non_null(strstr(text, "a b|$(id)|'q';|--time=99|\n"));
	assert_non_null(strstr(text, "run=a,b c=d\n"));
	assert_non_null(strstr(text, "secret=[unset]\n"));
	assert_non_null(strstr(text, "cuda=[]\n")); /* a job without GPUs sees none */
	assert_non_null(strstr(text, "oops\n"));
	struct stat st;
	assert_int_equal(stat(log, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The exit-status file the batch script leaves for when Slurm has forgotten the job. */
	char exit_file[320];
	snprintf(exit_file, sizeof exit_file, "%s/crowdloop-exit.%lld", workdir, (long long)job.id);
	read_text(exit_file, text, sizeof text);
	assert_string_equal(text, "0\n");
}

static void failing_job_has_its_status(void **state)
{
	(void)state;
	char workdir[256], log[256], text[4096];
	slurm_job job;
	submit_shell(&job, "failing", "echo about to fail; exit 3", 0, workdir, log,
		     sizeof workdir);
	wait_state(&job, SLURM_DONE, 60000);
	assert_int_equal(job.end, SLURM_EXITED);
	assert_int_equal(job.exit_code, 3);
	assert_string_equal(job.slurm_state, "FAILED");
	read_text(log, text, sizeof text);
	assert_non_null(strstr(text, "about to fail"));

	char *missing[] = {"crowdloop-no-such-command", NULL};
	slurm_spec spec = {.argv = missing, .workdir = workdir, .log_path = log};
	assert_int_equal(slurm_start(&job, &spec, NULL), CL_OK);
	wait_state(&job, SLURM_DONE, 60000);
	assert_int_equal(job.end, SLURM_EXITED);
	assert_int_equal(job.exit_code, 127);
}

/* Whether `pid` is gone (or a zombie nobody has reaped yet). */
static int process_gone(pid_t pid)
{
	local_proc p;
	return local_proc_read(pid, &p) != CL_OK || p.state == 'Z' || p.state == 'X';
}

static void cancel_ends_the_process(void **state)
{
	(void)state;
	char workdir[256], log[256], pid_file[300], text[64];
	slurm_job job;
	submit_shell(&job, "cancelled", "echo $$ >pid.tmp && mv pid.tmp pid && exec sleep 600", 0,
		     workdir, log, sizeof workdir);
	snprintf(pid_file, sizeof pid_file, "%s/pid", workdir);
	wait_file(pid_file, 60000);
	read_text(pid_file, text, sizeof text);
	pid_t pid = (pid_t)atoi(text);
	assert_true(pid > 0);
	assert_false(process_gone(pid));
	assert_int_equal(slurm_poll(&job), SLURM_RUNNING);

	cl_error err = {0};
	assert_int_equal(slurm_cancel(&job, &err), CL_OK);
	assert_int_equal(job.state, SLURM_STOPPING);
	wait_state(&job, SLURM_DONE, 60000);
	assert_int_equal(job.end, SLURM_CANCELLED);
	assert_string_equal(job.slurm_state, "CANCELLED");
	int64_t until = ms() + 30000;
	while (!process_gone(pid) && ms() < until)
		usleep(100000);
	assert_true(process_gone(pid));
	assert_int_equal(slurm_cancel(&job, &err), CL_OK); /* an ended job: nothing to do */
}

/* Two 1-GPU jobs that run at the same time (each waits for the release file) get the node's two
 * devices, one each, and each sees its own in CUDA_VISIBLE_DEVICES and SLURM_JOB_GPUS. */
static void gpus_given_one_each(void **state)
{
	(void)state;
	char workdir[2][256], log[2][256], release[300], text[4096], want[160];
	snprintf(release, sizeof release, "%s/release", jobs_dir);
	char script[512];
	snprintf(script, sizeof script,
		 "echo \"cuda=[$CUDA_VISIBLE_DEVICES] job_gpus=[$SLURM_JOB_GPUS]\"; i=0; "
		 "while [ ! -e %s ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done",
		 release);
	slurm_job job[2];
	submit_shell(&job[0], "gpu-a", script, 1, workdir[0], log[0], sizeof workdir[0]);
	submit_shell(&job[1], "gpu-b", script, 1, workdir[1], log[1], sizeof workdir[1]);
	wait_state(&job[0], SLURM_RUNNING, 60000);
	wait_state(&job[1], SLURM_RUNNING, 60000);
	assert_true(!strcmp(job[0].gpus, "0") || !strcmp(job[0].gpus, "1"));
	assert_true(!strcmp(job[1].gpus, "0") || !strcmp(job[1].gpus, "1"));
	assert_string_not_equal(job[0].gpus, job[1].gpus);
	touch(release);
	for (int i = 0; i < 2; i++) {
		wait_state(&job[i], SLURM_DONE, 60000);
		assert_int_equal(job[i].end, SLURM_EXITED);
		assert_int_equal(job[i].exit_code, 0);
		read_text(log[i], text, sizeof text);
		snprintf(want, sizeof want, "cuda=[%s] job_gpus=[%s]", job[i].gpus, job[i].gpus);
		assert_non_null(strstr(text, want));
	}
}

/* A server restarted: a fresh job state that knows only the Slurm id takes up a running job
 * and follows it to its end. */
static void adopted_by_slurm_id(void **state)
{
	(void)state;
	char workdir[256], log[256], release[300];
	slurm_job first;
	snprintf(release, sizeof release, "%s/adopt-release", jobs_dir);
	char script[400];
	snprintf(script, sizeof script,
		 "i=0; while [ ! -e %s ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; exit 5",
		 release);
	submit_shell(&first, "adopted", script, 0, workdir, log, sizeof workdir);
	wait_state(&first, SLURM_RUNNING, 60000);

	slurm_job again;
	assert_int_equal(slurm_adopt(&again, first.id, NULL), CL_OK);
	assert_int_equal(again.state, SLURM_RUNNING);
	assert_true(again.adopted);
	assert_string_equal(again.workdir, workdir); /* from Slurm: the exit file is found there */
	touch(release);
	wait_state(&again, SLURM_DONE, 60000);
	assert_int_equal(again.end, SLURM_EXITED);
	assert_int_equal(again.exit_code, 5);
}

/* Slurm forgets a job MinJobAge after its end: its exit-status file still tells the end, and a
 * job known to neither is lost. (Ids this fresh Slurm has never given.) */
static void forgotten_job_read_from_its_exit_file(void **state)
{
	(void)state;
	char workdir[256], log[256], exit_file[320];
	job_paths("forgotten", workdir, log, sizeof workdir);
	snprintf(exit_file, sizeof exit_file, "%s/crowdloop-exit.999901", workdir);
	FILE *f = fopen(exit_file, "w");
	assert_non_null(f);
	fputs("4\n", f);
	fclose(f);
	slurm_job job;
	assert_int_equal(slurm_adopt(&job, 999901, workdir), CL_OK);
	assert_int_equal(job.state, SLURM_DONE);
	assert_int_equal(job.end, SLURM_EXITED);
	assert_int_equal(job.exit_code, 4);

	assert_int_equal(slurm_adopt(&job, 999902, workdir), CL_ENOTFOUND);
	assert_int_equal(job.state, SLURM_DONE);
	assert_int_equal(job.end, SLURM_LOST);
}

static void refused_jobs(void **state)
{
	(void)state;
	char workdir[256], log[256];
	char *argv[] = {"true", NULL};
	job_paths("refused", workdir, log, sizeof workdir);
	slurm_spec spec = {.argv = argv, .workdir = workdir, .log_path = log, .gpus = 3};
	slurm_job job;
	cl_error err = {0};
	assert_int_equal(slurm_start(&job, &spec, &err), CL_EINVAL); /* the node has two */
	assert_string_equal(err.name, "slurm_refused");
	assert_non_null(strstr(err.message, "sbatch"));
	spec.gpus = 0;
	spec.partition = "nowhere";
	assert_int_equal(slurm_start(&job, &spec, &err), CL_EINVAL);
	assert_string_equal(err.name, "slurm_refused");
	/* Refused before sbatch runs. */
	spec.partition = "debug; rm -rf /";
	assert_int_equal(slurm_start(&job, &spec, &err), CL_EINVAL);
	assert_string_equal(err.name, "bad_job");
	spec.partition = NULL;
	spec.log_path = "/tmp/job-%j.log";
	assert_int_equal(slurm_start(&job, &spec, &err), CL_EINVAL);
	char *bad_env[] = {"NO_EQUALS_SIGN", NULL};
	spec.log_path = log;
	spec.env = bad_env;
	assert_int_equal(slurm_start(&job, &spec, &err), CL_EINVAL);
}

/* A controller that cannot be reached (a configuration naming a port nothing listens on): a
 * poll says why and changes nothing, a cancel fails and is not taken as sent. scontrol and
 * scancel retry for a while (about 18 and 9 s) before they give up. */
static void unreachable_controller_changes_nothing(void **state)
{
	(void)state;
	char dead[160], line[512], workdir[256], log[256];
	slurm_job job;
	submit_shell(&job, "unreachable", "exec sleep 600", 0, workdir, log, sizeof workdir);
	wait_state(&job, SLURM_RUNNING, 60000);
	snprintf(dead, sizeof dead, "%s/dead.conf", jobs_dir);
	FILE *in = fopen(slurm_conf, "r"), *out = fopen(dead, "w");
	assert_non_null(in);
	assert_non_null(out);
	while (fgets(line, sizeof line, in))
		fputs(strncmp(line, "SlurmctldPort=", 14) ? line : "SlurmctldPort=1\n", out);
	fclose(in);
	fclose(out);
	setenv("SLURM_CONF", dead, 1);
	assert_int_equal(slurm_poll(&job), SLURM_RUNNING);
	assert_non_null(strstr(job.error, "Unable to contact"));
	cl_error err = {0};
	assert_int_equal(slurm_cancel(&job, &err), CL_EUNAVAIL);
	assert_false(job.cancel_sent);
	assert_int_equal(job.state, SLURM_RUNNING);
	setenv("SLURM_CONF", slurm_conf, 1);
	assert_int_equal(slurm_poll(&job), SLURM_RUNNING);
	assert_string_equal(job.error, "");
	assert_int_equal(slurm_cancel(&job, &err), CL_OK);
	wait_state(&job, SLURM_DONE, 60000);
	assert_int_equal(job.end, SLURM_CANCELLED);
}

/* Points the commands at the test's Slurm again, whatever a test left. */
static int conf_restore(void **state)
{
	(void)state;
	return setenv("SLURM_CONF", slurm_conf, 1);
}

/* Slurm checks time limits every 30 s: the one-minute job ends within 60 to 90 s of its start. */
static void time_limit_ends_the_job(void **state)
{
	(void)state;
	wait_state(&time_limited, SLURM_DONE, 180000);
	assert_int_equal(time_limited.end, SLURM_TIMED_OUT);
	assert_string_equal(time_limited.slurm_state, "TIMEOUT");
}

/* ---- starting and stopping Slurm ---- */

/* Runs tests/slurm/<script> on the Slurm directory, its output on ours; its exit status. */
static int slurm_script(const char *script)
{
	const char *scripts = getenv("CROWDLOOP_SLURM_SCRIPTS");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", scripts ? scripts : "tests/slurm", script);
	pid_t pid = fork();
	if (pid == 0) {
		execl(path, path, slurm_dir, (char *)NULL);
		_exit(126);
	}
	int status;
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The last 2 KiB of one of Slurm's logs, on stderr: what CI shows of a failure. */
static void log_tail(const char *name)
{
	char path[160], text[2048];
	snprintf(path, sizeof path, "%s/%s", slurm_dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fseek(f, -(long)(sizeof text - 1), SEEK_END) != 0)
		rewind(f);
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	fprintf(stderr, "--- the end of %s:\n%s\n", path, text);
}

/* CROWDLOOP_SLURM_KEEP=1: Slurm's directory and the jobs' are kept, as stop.sh keeps its own. */
static int keep(void)
{
	const char *v = getenv("CROWDLOOP_SLURM_KEEP");
	return v && !strcmp(v, "1");
}

static int in_ci(void)
{
	const char *ci = getenv("CI");
	return ci && ci[0] && strcmp(ci, "0") && strcmp(ci, "false");
}

int main(void)
{
	if (tmpdir_make(dir, sizeof dir, "slurm") != 0)
		return 1;
	snprintf(slurm_dir, sizeof slurm_dir, "%s/slurm", dir);
	snprintf(jobs_dir, sizeof jobs_dir, "%s/jobs", dir);
	mkdir(jobs_dir, 0755);
	chmod(dir, 0755); /* the jobs run as this user, but slurmd reads the paths as root */
	int started = slurm_script("start.sh");
	if (started != 0) {
		slurm_script("stop.sh");
		tmpdir_remove(dir);
		if (started == 77 && !in_ci()) {
			fprintf(stderr, "test_slurm_executor: SKIPPED: Slurm cannot start here "
					"(see above); under CI=true this fails\n");
			return 77;
		}
		fprintf(stderr, "test_slurm_executor: FAILED: Slurm did not start\n");
		return 1;
	}
	snprintf(slurm_conf, sizeof slurm_conf, "%s/slurm.conf", slurm_dir);
	setenv("SLURM_CONF", slurm_conf, 1);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(time_limit_submitted),
	    cmocka_unit_test(job_followed_to_its_exit),
	    cmocka_unit_test(failing_job_has_its_status),
	    cmocka_unit_test(cancel_ends_the_process),
	    cmocka_unit_test(gpus_given_one_each),
	    cmocka_unit_test(adopted_by_slurm_id),
	    cmocka_unit_test(forgotten_job_read_from_its_exit_file),
	    cmocka_unit_test(refused_jobs),
	    cmocka_unit_test_teardown(unreachable_controller_changes_nothing, conf_restore),
	    cmocka_unit_test(time_limit_ends_the_job),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);
	if (failed) {
		log_tail("slurmctld.log");
		log_tail("slurmd.log");
	}
	slurm_script("stop.sh");
	if (!keep())
		tmpdir_remove(dir);
	else
		fprintf(stderr, "test_slurm_executor: Slurm's directory kept: %s\n", slurm_dir);
	return failed ? 1 : 0;
}
