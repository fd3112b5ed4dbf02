/* The local executor: runs a job's command as a process group of its own on this machine, in its
 * working directory, with stdout and stderr appended to its log, its resource limits (rlimits, and
 * a cgroup v2 memory limit where a delegated cgroup allows it; the log says when none could be
 * set), CUDA_VISIBLE_DEVICES set to its devices, and the environment it is given. It cancels
 * (SIGTERM to the group, SIGKILL after a grace period), enforces a time limit, collects the exit
 * status without blocking, and after a server restart adopts a job still running, recognised by
 * its pid and the start time the kernel gave it.
 *
 * The caller polls: local_poll() reaps with waitpid(WNOHANG), so the process must not ignore
 * SIGCHLD. A job's whole group ends with it: processes left behind by a command that exited get
 * SIGTERM, then SIGKILL after the grace period. */
#ifndef CROWDLOOP_JOBS_LOCAL_H
#define CROWDLOOP_JOBS_LOCAL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "util/err.h"

#define LOCAL_GRACE_MS 10000 /* SIGTERM to SIGKILL, when the spec says 0 */

/* How to run a job. Only argv, workdir and log_path are required; 0 and NULL mean "none". */
typedef struct local_spec {
	char *const *argv;    /* argv[0] is looked up in PATH */
	const char *workdir;  /* must exist */
	const char *log_path; /* stdout and stderr, appended; made owner-only */
	char *const *env;     /* "KEY=VALUE" set on top of the server's environment; NULL-ended */
	const char
	    *cuda_devices;	/* CUDA_VISIBLE_DEVICES ("0,2"; "" hides every GPU); NULL: unset */
	int64_t as_bytes;	/* RLIMIT_AS: address space */
	int64_t cpu_seconds;	/* RLIMIT_CPU: SIGXCPU at this much CPU time */
	int64_t mem_bytes;	/* cgroup v2 memory.max */
	const char *cgroup_dir; /* a cgroup v2 directory delegated to the server (memory enabled) */
	const char *cgroup_name; /* the job's cgroup under it ("job-42") */
	int64_t time_limit_ms; /* wall-clock, from the start (for an adopted job: from adoption) */
	int64_t grace_ms;      /* SIGTERM to SIGKILL; 0: LOCAL_GRACE_MS */
} local_spec;

enum local_state {
	LOCAL_RUNNING,
	LOCAL_STOPPING, /* SIGTERM sent, waiting for the group to end or for the grace to run out */
	LOCAL_DONE,
};

/* Why a job ended. */
enum local_end {
	LOCAL_END_NONE,	 /* still running */
	LOCAL_EXITED,	 /* exited by itself: exit_code */
	LOCAL_SIGNALED,	 /* killed by a signal nobody here sent (a crash, SIGXCPU): signal */
	LOCAL_CANCELLED, /* local_cancel() */
	LOCAL_TIMED_OUT, /* its time limit */
	LOCAL_LOST,	 /* an adopted job that ended: not our child, so its status is unknown */
};

/* A started or adopted job. The caller owns it; it holds no memory, only the process. */
typedef struct local_job {
	pid_t pid;	     /* also its process group */
	uint64_t start_time; /* /proc/<pid>/stat field 22: clock ticks after boot; record it */
	enum local_state state;
	enum local_end end;
	int exit_code; /* LOCAL_EXITED (or a cancelled job that exited): its status */
	int signal;    /* the signal that ended the command, or 0 */
	int adopted, reaped, term_sent, kill_sent;
	int64_t deadline_ms, kill_at_ms, grace_ms; /* monotonic milliseconds; 0: none */
	char log_path[512];
	char cgroup[512]; /* the job's cgroup directory; "" when it has none */
} local_job;

/* What /proc/<pid>/stat says of a process. */
typedef struct local_proc {
	char state;	     /* 'R', 'S', 'Z', ... */
	pid_t pgrp;	     /* field 5 */
	uint64_t start_time; /* field 22 */
} local_proc;

/* Starts `spec`'s command into `job`. CL_EINVAL for a missing argv, workdir or log path, or a
 * log path too long; CL_EINTERNAL (with the reason in `err`) when the log cannot be opened or fork
 * fails. A command that cannot be executed is started all the same and exits 127, said in its log.
 */
int local_start(local_job *job, const local_spec *spec, cl_error *err);

/* Takes up a job of an earlier server: CL_OK when `pid` is alive, leads its process group and
 * started at `start_time`; CL_ENOTFOUND (lost) otherwise, a pid reused by another process
 * included; CL_EINVAL without a log path. Of `spec` it uses log_path, time_limit_ms and
 * grace_ms. */
int local_adopt(local_job *job, pid_t pid, uint64_t start_time, const local_spec *spec);

/* Advances `job` without blocking: reaps its exit, applies the time limit, sends SIGKILL when
 * the grace has run out, ends leftover processes. Returns the state; call until LOCAL_DONE. */
enum local_state local_poll(local_job *job);

/* SIGTERM to the job's process group, SIGKILL at a later poll once the grace has passed.
 * Nothing for a job already stopping or done. */
void local_cancel(local_job *job);

/* Reads /proc/<pid>/stat; CL_ENOTFOUND when there is no such process. */
int local_proc_read(pid_t pid, local_proc *out);
/* Parses the text of a /proc/<pid>/stat (its command may hold spaces and parentheses). */
int local_stat_parse(const char *text, local_proc *out);

/* Whether jobs can get a memory limit under cgroup v2 directory `dir`: it lists memory in its
 * cgroup.subtree_control and is writable. 1, or 0 with the reason in `why`. */
int local_cgroup_usable(const char *dir, char *why, size_t size);

#endif
