/* The Slurm executor's table (jobs/executor.h): jobs/slurm.c's sbatch, scontrol and scancel
 * behind the executor slots the runner calls. Slurm places the jobs (its nodes and its gres
 * devices); each poll asks scontrol at most once every SLURM_POLL_EVERY_MS per job, as the
 * runner looks at its jobs far more often than a cluster's state changes. */
#include "jobs/executor.h"
#include "jobs/slurm.h"
#include "util/clock.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLURM_POLL_EVERY_MS 1000

typedef struct slurm_handle {
	slurm_job job;
	int64_t next_poll_ms; /* monotonic: when scontrol is asked again */
	bool cancel_wanted;   /* asked; scancel is sent again at each poll until it succeeds */
} slurm_handle;

static int64_t mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}

static slurm_spec slurm_of(const executor_spec *spec)
{
	return (slurm_spec){.argv = spec->argv,
			    .workdir = spec->workdir,
			    .log_path = spec->log_path,
			    .env = spec->env,
			    .job_name = spec->job_name,
			    .partition = spec->partition,
			    .cpus = spec->cpus,
			    .mem_bytes = spec->mem_bytes,
			    .gpus = spec->gpus,
			    .time_limit_ms = spec->time_limit_ms};
}

static int start(void **handle, const executor_spec *spec, executor_ref *ref, cl_error *err)
{
	slurm_handle *h = calloc(1, sizeof *h);
	if (!h)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	slurm_spec ss = slurm_of(spec);
	int rc = slurm_start(&h->job, &ss, err);
	if (rc) {
		free(h);
		return rc;
	}
	memset(ref, 0, sizeof *ref);
	snprintf(ref->cluster_id, sizeof ref->cluster_id, "%lld", (long long)h->job.id);
	*handle = h;
	return 0;
}

/* A controller that cannot be asked now is no proof the job is gone: the job is taken up
 * and polled later. Only Slurm's own "Invalid job id", with no exit-status file, loses it. */
static int adopt(void **handle, const executor_ref *ref, const executor_spec *spec)
{
	char *end;
	long long id = strtoll(ref->cluster_id, &end, 10);
	if (!ref->cluster_id[0] || *end || id <= 0)
		return CL_ENOTFOUND;
	slurm_handle *h = calloc(1, sizeof *h);
	if (!h)
		return CL_ENOMEM;
	int rc = slurm_adopt(&h->job, id, spec->workdir);
	if (rc == CL_EUNAVAIL) {
		h->job.id = id;
		h->job.adopted = 1;
		h->job.state = SLURM_QUEUED;
		rc = CL_OK;
	}
	if (rc) {
		free(h);
		return rc;
	}
	h->next_poll_ms = mono_ms() + SLURM_POLL_EVERY_MS;
	*handle = h;
	return 0;
}

static enum executor_end end_of(const slurm_job *j)
{
	switch (j->end) {
	case SLURM_EXITED: return EXECUTOR_EXITED;
	case SLURM_SIGNALED: return EXECUTOR_SIGNALED;
	case SLURM_CANCELLED: return EXECUTOR_CANCELLED;
	case SLURM_TIMED_OUT: return EXECUTOR_TIMED_OUT;
	default: return EXECUTOR_LOST; /* the runner reads the job's own exit note */
	}
}

static void poll_job(void *handle, executor_status *st)
{
	slurm_handle *h = handle;
	int64_t now = mono_ms();
	if (h->job.state != SLURM_DONE && now >= h->next_poll_ms) {
		if (h->cancel_wanted && !h->job.cancel_sent)
			slurm_cancel(&h->job, NULL);
		slurm_poll(&h->job);
		h->next_poll_ms = now + SLURM_POLL_EVERY_MS;
	}
	memset(st, 0, sizeof *st);
	snprintf(st->node, sizeof st->node, "%.*s", (int)sizeof st->node - 1, h->job.nodes);
	snprintf(st->gpus, sizeof st->gpus, "%s", h->job.gpus);
	if (h->job.state != SLURM_DONE) {
		st->end = EXECUTOR_RUNNING;
		return;
	}
	st->end = end_of(&h->job);
	st->exit_code = h->job.exit_code;
	st->signal = h->job.signal;
}

/* scancel, then a poll soon after; a scancel that fails (the controller unreachable) is sent
 * again at the next polls, never taken for an end. */
static void cancel(void *handle)
{
	slurm_handle *h = handle;
	h->cancel_wanted = true;
	slurm_cancel(&h->job, NULL);
	h->next_poll_ms = 0;
}

static void release(void *handle)
{
	free(handle);
}

static int find(const char *job_name, executor_ref *ref)
{
	int64_t id;
	int rc = slurm_find(job_name, &id, NULL);
	memset(ref, 0, sizeof *ref);
	if (!rc)
		snprintf(ref->cluster_id, sizeof ref->cluster_id, "%lld", (long long)id);
	return rc;
}

const executor executor_slurm = {.name = "slurm",
				 .places = true,
				 .start = start,
				 .adopt = adopt,
				 .poll = poll_job,
				 .cancel = cancel,
				 .release = release,
				 .find = find};
