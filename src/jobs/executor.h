/* The executors a job runner drives, as one table each: start a job, adopt one an earlier
 * server started, poll it without blocking, cancel it, release what it holds. The local
 * executor (jobs/local.c) fills the table in jobs/executor_local.c; a cluster executor (Slurm)
 * fills another with the same slots. */
#ifndef CROWDLOOP_JOBS_EXECUTOR_H
#define CROWDLOOP_JOBS_EXECUTOR_H

#include <stdint.h>

#include "jobs/local.h"
#include "util/err.h"

/* What to run: the same fields for every executor (local.h's spec). */
typedef local_spec executor_spec;

/* How a job ended, as an executor saw it. */
enum executor_end {
	EXECUTOR_RUNNING,
	EXECUTOR_EXITED,    /* exit_code */
	EXECUTOR_SIGNALED,  /* killed by a signal the runner did not send: signal */
	EXECUTOR_CANCELLED,
	EXECUTOR_TIMED_OUT,
	EXECUTOR_LOST, /* it ended and its status is unknown */
};

typedef struct executor_status {
	enum executor_end end;
	int exit_code, signal;
} executor_status;

/* Where a started job can be found again after a restart: a local pid and its start time, or
 * a cluster's job id. */
typedef struct executor_ref {
	int64_t pid;
	uint64_t start_time;
	char cluster_id[32];
} executor_ref;

typedef struct executor {
	const char *name; /* "local", "slurm" */
	/* Starts `spec` into *handle (owned: release it); fills *ref. CL_EINVAL, CL_EINTERNAL. */
	int (*start)(void **handle, const executor_spec *spec, executor_ref *ref, cl_error *err);
	/* Takes up a job of an earlier server from `ref`: CL_OK, or CL_ENOTFOUND when it is gone. */
	int (*adopt)(void **handle, const executor_ref *ref, const executor_spec *spec);
	/* Advances the job without blocking; fills *st, whose end is EXECUTOR_RUNNING until done. */
	void (*poll)(void *handle, executor_status *st);
	/* Asks the job to stop (its whole process group); poll until it ends. */
	void (*cancel)(void *handle);
	/* Frees the handle (the job itself is left as it is). */
	void (*release)(void *handle);
} executor;

/* The local executor: processes on this machine. */
extern const executor executor_local;

/* The executor named `name`, or NULL ("local" only for now). */
const executor *executor_find(const char *name);

#endif
