/* The local executor (local.h). Everything the child needs (the environment, the open log, the
 * cgroup's procs file) is prepared before fork, so that the child only calls functions safe
 * between fork and exec in a threaded server: setpgid, dup2, chdir, setrlimit, write, exec. */
#include "jobs/local.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "jobs/job_env.h"
#include "util/clock.h"

extern char **environ;

static int64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* Appends one line of the executor's own to the job's log, so its reader sees why. */
static void note(const char *log_path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void note(const char *log_path, const char *fmt, ...)
{
	int fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return;
	char line[512];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof line - 2)
		n = (int)sizeof line - 2;
	line[n] = '\n';
	if (write(fd, line, (size_t)n + 1) < 0)
		(void)0; /* a log that cannot be written loses the note, nothing else */
	close(fd);
}

/* ---- /proc ---- */

int local_stat_parse(const char *text, local_proc *out)
{
	const char *p = strrchr(text, ')'); /* the command ends at the last ')' */
	if (!p)
		return CL_EINVAL;
	char state;
	int pgrp;
	unsigned long long start;
	/* Fields 3 (state) to 22 (starttime); the ones between are skipped. */
	if (sscanf(
		p + 1,
		" %c %*d %d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
		&state, &pgrp, &start) != 3)
		return CL_EINVAL;
	*out = (local_proc){state, (pid_t)pgrp, start};
	return CL_OK;
}

int local_proc_read(pid_t pid, local_proc *out)
{
	char path[64], text[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return CL_ENOTFOUND;
	ssize_t n = read(fd, text, sizeof text - 1);
	close(fd);
	if (n <= 0)
		return CL_ENOTFOUND;
	text[n] = '\0';
	return local_stat_parse(text, out);
}

/* Whether `pid` is still the live process that started at `start_time` and leads its group. */
static int proc_same(pid_t pid, uint64_t start_time)
{
	local_proc p;
	return local_proc_read(pid, &p) == CL_OK && p.start_time == start_time && p.pgrp == pid &&
	       p.state != 'Z' && p.state != 'X';
}

/* ---- cgroup v2 ---- */

int local_cgroup_usable(const char *dir, char *why, size_t size)
{
	char path[600], controllers[256] = "";
	snprintf(path, sizeof path, "%s/cgroup.subtree_control", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		snprintf(why, size, "%s is not a cgroup v2 directory", dir);
		return 0;
	}
	size_t n = fread(controllers, 1, sizeof controllers - 1, f);
	fclose(f);
	controllers[n] = '\0';
	if (!strstr(controllers, "memory")) {
		snprintf(why, size, "the memory controller is not enabled in %s", dir);
		return 0;
	}
	if (access(dir, W_OK) != 0) {
		snprintf(why, size, "%s is not writable", dir);
		return 0;
	}
	return 1;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[600];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* Makes the job's cgroup with its memory.max; the fd of its cgroup.procs for the child to join,
 * or -1 with `why` filled. */
static int cgroup_prepare(local_job *job, const local_spec *spec, char *why, size_t size)
{
	if (!spec->cgroup_dir || !spec->cgroup_name) {
		snprintf(why, size, "no cgroup v2 directory is delegated to the server");
		return -1;
	}
	if (!local_cgroup_usable(spec->cgroup_dir, why, size))
		return -1;
	snprintf(job->cgroup, sizeof job->cgroup, "%s/%s", spec->cgroup_dir, spec->cgroup_name);
	char limit[32], procs[600];
	snprintf(limit, sizeof limit, "%lld", (long long)spec->mem_bytes);
	snprintf(procs, sizeof procs, "%s/cgroup.procs", job->cgroup);
	int fd = -1;
	if ((mkdir(job->cgroup, 0755) == 0 || errno == EEXIST) &&
	    write_file(job->cgroup, "memory.max", limit) == 0)
		fd = open(procs, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, size, "%s: %s", job->cgroup, strerror(errno));
		job->cgroup[0] = '\0';
	}
	return fd;
}

static int cgroup_open(local_job *job, const local_spec *spec)
{
	if (spec->mem_bytes <= 0)
		return -1;
	char why[700];
	int fd = cgroup_prepare(job, spec, why, sizeof why);
	if (fd < 0)
		note(job->log_path,
		     "crowdloop: no cgroup v2 memory limit (%s); the job runs with its "
		     "rlimits only",
		     why);
	return fd;
}

/* ---- the child ---- */

static void child_say(int fd, const char *text)
{
	if (write(fd, text, strlen(text)) < 0)
		(void)0; /* nowhere else to say it */
}

/* Sets `resource` to `soft` (hard: `slack` above it), within the hard limit the server has. */
static void child_limit(int resource, int64_t soft, int64_t slack)
{
	struct rlimit now, r = {(rlim_t)soft, (rlim_t)(soft + slack)};
	if (soft <= 0 || getrlimit(resource, &now) != 0)
		return;
	if (now.rlim_max != RLIM_INFINITY && r.rlim_max > now.rlim_max)
		r.rlim_max = now.rlim_max;
	if (r.rlim_cur > r.rlim_max)
		r.rlim_cur = r.rlim_max;
	if (setrlimit(resource, &r) != 0)
		child_say(2, "crowdloop: a resource limit could not be set\n");
}

/* In the child: its own group, its cgroup, its files, limits and signals, then the command. */
static void child_run(const local_spec *spec, char **envp, int logfd, int nullfd, int cgfd)
{
	setpgid(0, 0);
	dup2(nullfd, 0);
	dup2(logfd, 1);
	dup2(logfd, 2);
	if (cgfd >= 0 && write(cgfd, "0", 1) != 1)
		child_say(2, "crowdloop: the job could not join its cgroup: no memory limit\n");
	if (chdir(spec->workdir) != 0) {
		child_say(2, "crowdloop: cannot enter the job's working directory\n");
		_exit(127);
	}
	child_limit(RLIMIT_AS, spec->as_bytes, 0);
	/* SIGXCPU at the soft limit; SIGKILL a few seconds later if the job catches it. */
	child_limit(RLIMIT_CPU, spec->cpu_seconds, 5);
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	const int reset[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof reset / sizeof reset[0]; i++)
		signal(reset[i], SIG_DFL);
	close_range(3, ~0u, 0);
	execvpe(spec->argv[0], spec->argv, envp);
	child_say(2, "crowdloop: cannot execute the job's command\n");
	_exit(127);
}

/* ---- start, adopt ---- */

/* Fills `job` from the spec's log, grace and time limit. */
static int job_init(local_job *job, const local_spec *spec, cl_error *err)
{
	if (!spec->log_path || strlen(spec->log_path) >= sizeof job->log_path)
		return cl_fail(err, CL_EINVAL, "bad_job",
			       "a job needs a log path, of a sane length");
	memset(job, 0, sizeof *job);
	snprintf(job->log_path, sizeof job->log_path, "%s", spec->log_path);
	job->grace_ms = spec->grace_ms > 0 ? spec->grace_ms : LOCAL_GRACE_MS;
	job->deadline_ms = spec->time_limit_ms > 0 ? now_ms() + spec->time_limit_ms : 0;
	return CL_OK;
}

/* Forks the child with the files opened; the pid, or -1. */
static pid_t spawn(const local_spec *spec, char **envp, int logfd, int cgfd)
{
	int nullfd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	if (nullfd < 0)
		return -1;
	pid_t pid = fork();
	if (pid == 0)
		child_run(spec, envp, logfd, nullfd, cgfd);
	if (pid > 0)
		setpgid(pid, pid); /* as the child does: whichever runs first, the group exists */
	close(nullfd);
	return pid;
}

int local_start(local_job *job, const local_spec *spec, cl_error *err)
{
	if (!spec->argv || !spec->argv[0] || !spec->workdir)
		return cl_fail(err, CL_EINVAL, "bad_job", "a job needs a command and a directory");
	int rc = job_init(job, spec, err);
	if (rc != CL_OK)
		return rc;
	int logfd = open(spec->log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (logfd < 0)
		return cl_fail(err, CL_EINTERNAL, "job_log", "%s: %s", spec->log_path,
			       strerror(errno));
	int cgfd = cgroup_open(job, spec);
	char **envp = job_env_build(environ, spec->env, spec->cuda_devices);
	pid_t pid = envp ? spawn(spec, envp, logfd, cgfd) : -1;
	int saved = errno;
	free(envp);
	close(logfd);
	if (cgfd >= 0)
		close(cgfd);
	if (pid < 0) {
		if (job->cgroup[0])
			rmdir(job->cgroup);
		return cl_fail(err, CL_EINTERNAL, "job_start", "fork: %s", strerror(saved));
	}
	job->pid = pid;
	local_proc p;
	if (local_proc_read(pid, &p) == CL_OK)
		job->start_time = p.start_time;
	return CL_OK;
}

int local_adopt(local_job *job, pid_t pid, uint64_t start_time, const local_spec *spec)
{
	if (pid <= 0 || !proc_same(pid, start_time))
		return CL_ENOTFOUND;
	if (job_init(job, spec, NULL) != CL_OK)
		return CL_EINVAL;
	job->pid = pid;
	job->start_time = start_time;
	job->adopted = 1;
	return CL_OK;
}

/* ---- poll, cancel ---- */

/* Collects the command's end, when it has come. */
static void reap(local_job *job)
{
	if (job->adopted) {
		if (!proc_same(job->pid, job->start_time)) {
			job->reaped = 1;
			if (job->end == LOCAL_END_NONE)
				job->end = LOCAL_LOST;
		}
		return;
	}
	int status;
	if (waitpid(job->pid, &status, WNOHANG) != job->pid)
		return;
	job->reaped = 1;
	if (WIFEXITED(status))
		job->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		job->signal = WTERMSIG(status);
	if (job->end == LOCAL_END_NONE)
		job->end = WIFSIGNALED(status) ? LOCAL_SIGNALED : LOCAL_EXITED;
}

static void terminate(local_job *job, enum local_end why, const char *what)
{
	if (job->end == LOCAL_END_NONE)
		job->end = why;
	job->term_sent = 1;
	job->kill_at_ms = now_ms() + job->grace_ms;
	job->state = LOCAL_STOPPING;
	note(job->log_path, "crowdloop: %s: SIGTERM to the job's processes", what);
	kill(-job->pid, SIGTERM);
}

/* Whether a process of group `pgrp` still runs. kill(-pgrp, 0) also finds zombies, which a
 * container's init may never reap, so a hit is checked against /proc. */
static int group_alive(pid_t pgrp)
{
	if (kill(-pgrp, 0) != 0 && errno != EPERM)
		return 0;
	DIR *d = opendir("/proc");
	if (!d)
		return 1;
	int alive = 0;
	struct dirent *e;
	local_proc p;
	while (!alive && (e = readdir(d)))
		alive = e->d_name[0] >= '1' && e->d_name[0] <= '9' &&
			local_proc_read((pid_t)strtol(e->d_name, NULL, 10), &p) == CL_OK &&
			p.pgrp == pgrp && p.state != 'Z' && p.state != 'X';
	closedir(d);
	return alive;
}

static void finish(local_job *job)
{
	job->state = LOCAL_DONE;
	if (job->cgroup[0])
		rmdir(
		    job->cgroup); /* empty once its processes are gone; else the kernel keeps it */
}

void local_cancel(local_job *job)
{
	if (job->state == LOCAL_RUNNING && !job->term_sent)
		terminate(job, LOCAL_CANCELLED, "cancelled");
}

enum local_state local_poll(local_job *job)
{
	if (job->state == LOCAL_DONE)
		return job->state;
	if (!job->reaped)
		reap(job);
	int64_t now = now_ms();
	if (!job->reaped && !job->term_sent && job->deadline_ms && now >= job->deadline_ms)
		terminate(job, LOCAL_TIMED_OUT, "time limit reached");
	if (job->term_sent && !job->kill_sent && now >= job->kill_at_ms) {
		job->kill_sent = 1;
		note(job->log_path, "crowdloop: still running after the grace period: SIGKILL");
		kill(-job->pid, SIGKILL);
	}
	if (!job->reaped)
		return job->state;
	/* SIGKILL is final: what it left are zombies for their parents to reap. */
	if (job->kill_sent || !group_alive(job->pid))
		finish(job);
	else if (!job->term_sent)
		terminate(job, job->end, "the command ended, its leftover processes do not");
	return job->state;
}
