/* The executors a job runner drives, as one table each: start a job, adopt one an earlier
 * server started, poll it without blocking, cancel it, release what it holds. The local
 * executor (jobs/local.c) fills the table in jobs/executor_local.c; the Slurm executor
 * (jobs/slurm.c) fills another with the same slots in jobs/executor_slurm.c. A cluster places
 * its jobs itself (`places`): it chooses the node and the GPU devices, and says which in its
 * status; the runner then only holds each org to its quota before submitting. */
#ifndef CROWDLOOP_JOBS_EXECUTOR_H
#define CROWDLOOP_JOBS_EXECUTOR_H

#include <stdbool.h>
#include <stdint.h>

#include "jobs/local.h"
#include "util/err.h"

/* What to run: the same fields for every executor. 0 and NULL mean "none" or the default. */
typedef struct executor_spec {
	char *const *argv;	  /* argv[0] is looked up in PATH */
	const char *workdir;	  /* the job's directory: must exist */
	const char *log_path;	  /* stdout and stderr, appended */
	char *const *env;	  /* "KEY=VALUE" on top of the server's environment; NULL-ended */
	const char *cuda_devices; /* local: the devices placed; a cluster chooses its own */
	int cpus, gpus;		  /* a cluster's ask (local placement is the scheduler's) */
	int64_t mem_bytes;
	int64_t time_limit_ms; /* from the start (for an adopted local job: from adoption) */
	int64_t grace_ms;      /* SIGTERM to SIGKILL on cancel (local) */
	const char *job_name;  /* the name a cluster knows the job by ("crowdloop-42-1-<tag>") */
	const char *partition; /* a cluster's partition; NULL: its default */
} executor_spec;

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
	char node[64]; /* where a cluster runs it, once known; "" for local */
	char gpus[64]; /* the GPU devices a cluster gave it ("0,1"), once known */
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
	bool places;	  /* the cluster chooses nodes and devices, not the runner's scheduler */
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
	/* Finds a job submitted under `job_name` whose ref was never recorded (the server died
	 * between submitting and recording): CL_OK with *ref, CL_ENOTFOUND, CL_EUNAVAIL. NULL
	 * where a job cannot outlive an unrecorded start (local). */
	int (*find)(const char *job_name, executor_ref *ref);
} executor;

/* The local executor: processes on this machine. */
extern const executor executor_local;
/* The Slurm executor: sbatch, scontrol and scancel on the cluster of $SLURM_CONF. */
extern const executor executor_slurm;

/* The executor named `name` ("local", "slurm"), or NULL. */
const executor *executor_find(const char *name);

#endif
