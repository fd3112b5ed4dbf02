/* The local scheduler: which queued jobs start now on one node's free CPU slots, memory and GPUs.
 * A pure, deterministic module (no clock, no I/O, no randomness): the same calls in the same order
 * give the same placements, so the store can replay its queue into it after a restart.
 *
 * The order of placement: priority first (higher first); within a priority, the orgs that compete
 * take turns by fair share (the org whose running jobs hold the smaller part of the node, divided
 * by its weight, goes first; ties go to the earlier submission); within an org and a priority,
 * FIFO. A job that does not fit blocks its org's queue at that priority, and what it needs is
 * reserved: jobs considered after it (lower priorities, or orgs later in the turn) may use only
 * what is left beyond that reservation, so a large job is never starved by a stream of small ones;
 * a resource it cannot have is held back whole (no job that needs any of it starts behind it), the
 * others by its need only.
 * A job over its org's quota (concurrent cpus and gpus) reserves within that quota only, never
 * the node. GPUs are whole devices, held by one job at a time. */
#ifndef CROWDLOOP_JOBS_SCHEDULER_H
#define CROWDLOOP_JOBS_SCHEDULER_H

#include <stddef.h>
#include <stdint.h>

#define SCHED_PRIORITY_MAX 9 /* priorities run from 0 (lowest) to this */
#define SCHED_MAX_GPUS 64    /* GPU indices fit one uint64_t mask */
#define SCHED_UNLIMITED (-1) /* a quota that does not limit */

typedef struct sched sched;

/* What a node offers the scheduler. */
typedef struct sched_node {
	int cpus;
	int64_t mem_bytes;
	int gpus; /* 0 to SCHED_MAX_GPUS; devices 0..gpus-1 */
} sched_node;

/* An org's limits: concurrent cpus, gpus and memory of its running jobs, and its fair-share
 * weight. */
typedef struct sched_org_limits {
	int max_cpus;	       /* SCHED_UNLIMITED or >= 0 */
	int max_gpus;	       /* SCHED_UNLIMITED or >= 0 */
	int weight;	       /* 1 to 1000; weight 2 is owed twice the share of weight 1 */
	int64_t max_mem_bytes; /* SCHED_UNLIMITED or >= 0 */
} sched_org_limits;

/* What a job asks for. `id` is the caller's (the store's job id), unique among live jobs. */
typedef struct sched_job {
	int64_t id;
	int64_t org;
	int cpus;	   /* >= 1 */
	int64_t mem_bytes; /* >= 0 */
	int gpus;	   /* >= 0 */
	int priority;	   /* 0 to SCHED_PRIORITY_MAX */
} sched_job;

/* A job the scheduler started: run it on these GPU devices. */
typedef struct sched_placement {
	int64_t id;
	uint64_t gpu_mask; /* bit i: device i */
} sched_placement;

/* Free resources of the node, or what an org's running jobs hold. */
typedef struct sched_usage {
	int cpus;
	int64_t mem_bytes;
	int gpus;
	uint64_t gpu_mask; /* free devices (node), or held devices (org) */
	size_t queued;
	size_t running;
} sched_usage;

enum sched_state { SCHED_UNKNOWN, SCHED_QUEUED, SCHED_RUNNING };

/* A new scheduler for `node`; NULL when out of memory or `node` is out of range. Free with
 * sched_free(). */
sched *sched_new(const sched_node *node);
/* Frees `s` and everything it holds; NULL is fine. */
void sched_free(sched *s);

/* Sets `org`'s limits (an org never set has no quota and weight 1). CL_EINVAL for a limit out of
 * range, CL_ENOMEM. Lowering a quota stops nothing that runs; it holds back what is queued. */
int sched_org_set(sched *s, int64_t org, const sched_org_limits *limits);

/* Queues `job` (copied) behind everything submitted before it. CL_EINVAL when it asks for nothing
 * or for more than the node or its org's quota could ever give, CL_ECONFLICT when its id is live,
 * CL_ENOMEM. */
int sched_submit(sched *s, const sched_job *job);
/* Marks `job` running on `gpu_mask` without queueing it: a job found still running after a
 * restart, taken even over its org's quota (adopt them all before placing). CL_ECONFLICT when
 * its id is live, a device is held, or the node's free cpus or memory cannot hold it; CL_EINVAL
 * when its ask is out of range, over the node, or `gpu_mask` is not `gpus` devices. */
int sched_adopt(sched *s, const sched_job *job, uint64_t gpu_mask);
/* Removes a queued job. CL_ENOTFOUND when `id` is not queued (a running job ends by
 * sched_finish). */
int sched_cancel(sched *s, int64_t id);
/* Releases a running job's resources. CL_ENOTFOUND when `id` is not running. */
int sched_finish(sched *s, int64_t id);

/* Starts what fits now, in the order above: writes up to `max` placements into `out` and returns
 * how many. Placed jobs are running until sched_finish(). When it returns `max`, call it again. */
size_t sched_place(sched *s, sched_placement *out, size_t max);

/* Whether `id` is queued, running or unknown. */
enum sched_state sched_job_state(const sched *s, int64_t id);
/* The node's free resources, with the counts of queued and running jobs. */
void sched_available(const sched *s, sched_usage *out);
/* What `org`'s running jobs hold, with its counts; CL_ENOTFOUND for an org never seen. */
int sched_org_usage(const sched *s, int64_t org, sched_usage *out);

/* Writes the devices of `mask` as CUDA_VISIBLE_DEVICES wants them ("0,2,3"; "" for none) into
 * `out`; CL_ETOOBIG when `size` is too small. */
int sched_gpu_list(uint64_t mask, char *out, size_t size);

#endif
