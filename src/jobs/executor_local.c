/* The local executor's table (jobs/executor.h): jobs/local.c's processes behind the executor
 * slots the runner calls. */
#include "jobs/executor.h"

#include <stdlib.h>
#include <string.h>

/* local.h's spec of the fields a process on this machine takes. */
static local_spec local_of(const executor_spec *spec)
{
	return (local_spec){.argv = spec->argv,
			    .workdir = spec->workdir,
			    .log_path = spec->log_path,
			    .env = spec->env,
			    .cuda_devices = spec->cuda_devices,
			    .time_limit_ms = spec->time_limit_ms,
			    .grace_ms = spec->grace_ms};
}

static int start(void **handle, const executor_spec *spec, executor_ref *ref, cl_error *err)
{
	local_job *j = calloc(1, sizeof *j);
	if (!j)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	local_spec ls = local_of(spec);
	int rc = local_start(j, &ls, err);
	if (rc) {
		free(j);
		return rc;
	}
	memset(ref, 0, sizeof *ref);
	ref->pid = j->pid;
	ref->start_time = j->start_time;
	*handle = j;
	return 0;
}

static int adopt(void **handle, const executor_ref *ref, const executor_spec *spec)
{
	if (ref->pid <= 0)
		return CL_ENOTFOUND; /* a cluster's job, or one that never started */
	local_job *j = calloc(1, sizeof *j);
	if (!j)
		return CL_ENOMEM;
	local_spec ls = local_of(spec);
	int rc = local_adopt(j, (pid_t)ref->pid, ref->start_time, &ls);
	if (rc) {
		free(j);
		return rc;
	}
	*handle = j;
	return 0;
}

static void poll_job(void *handle, executor_status *st)
{
	local_job *j = handle;
	memset(st, 0, sizeof *st);
	if (local_poll(j) != LOCAL_DONE) {
		st->end = EXECUTOR_RUNNING;
		return;
	}
	static const enum executor_end ends[] = {
	    [LOCAL_END_NONE] = EXECUTOR_LOST,	  [LOCAL_EXITED] = EXECUTOR_EXITED,
	    [LOCAL_SIGNALED] = EXECUTOR_SIGNALED, [LOCAL_CANCELLED] = EXECUTOR_CANCELLED,
	    [LOCAL_TIMED_OUT] = EXECUTOR_TIMED_OUT, [LOCAL_LOST] = EXECUTOR_LOST,
	};
	st->end = ends[j->end];
	st->exit_code = j->exit_code;
	st->signal = j->signal;
}

static void cancel(void *handle)
{
	local_cancel(handle);
}

static void release(void *handle)
{
	free(handle);
}

const executor executor_local = {.name = "local",
				 .places = false,
				 .start = start,
				 .adopt = adopt,
				 .poll = poll_job,
				 .cancel = cancel,
				 .release = release,
				 .find = NULL};

const executor *executor_find(const char *name)
{
	if (name && !strcmp(name, "local"))
		return &executor_local;
	if (name && !strcmp(name, "slurm"))
		return &executor_slurm;
	return NULL;
}
