/* The job runner of `crowdloop serve` (core/runner.c): one thread that replays the store's
 * queued and running jobs at start (adopting live local processes by pid and start time,
 * marking dead ones lost: a job never runs twice), places queued jobs with the scheduler,
 * prepares each attempt (its directory, the dataset version materialised as the trainers'
 * dataset directory, its environment and a token that logs into its run only), starts it on an
 * executor, follows its log for metric lines, ends it (evaluation, metrics.jsonl, artifacts)
 * and retries it by the rules of core/runs.c. On an executor that places its own jobs (Slurm)
 * the scheduler holds orgs to their quotas only, the cluster chooses nodes and devices, and the
 * runner records what the cluster chose; a job is found again after a restart by its cluster id,
 * or by its name ("crowdloop-<id>-<attempt>-<tag>", the tag a hash of the data directory) when the
 * server died before recording the id. Stopping the runner leaves running jobs running, for the
 * next server to adopt. */
#ifndef CROWDLOOP_CORE_RUNNER_H
#define CROWDLOOP_CORE_RUNNER_H

#include "jobs/executor.h"
#include "jobs/scheduler.h"
#include "store/ops.h"

/* Work the runner's thread does besides its jobs: step(ctx) each tick, or about every
 * every_ms milliseconds. */
typedef struct runner_hook {
	void (*step)(void *ctx);
	void *ctx;
	int every_ms; /* 0: each tick */
} runner_hook;

#define RUNNER_MAX_HOOKS 4

typedef struct runner_config {
	store store;
	const char *data_dir;	/* jobs under <data_dir>/jobs/<id>, artifacts under artifacts/ */
	const char *server_url; /* CROWDLOOP_SERVER */
	const char *self_exe;	/* the server's own executable, for built-in trainers */
	const char *node_name;
	const executor *exec;
	sched_node node;       /* this machine; unused where the executor's cluster places jobs */
	const char *partition; /* where a cluster executor submits; NULL: its default */
	int grace_ms;	       /* SIGTERM to SIGKILL on cancel; 0: the executor's default */
	int tick_ms;	       /* how often it looks at the store and its jobs; 0: 100 */
	/* Other work the runner's thread takes a step of between its jobs, in this order, never
	 * on an HTTP thread (batch pre-annotation each tick, api/preannotate.h; the retraining
	 * pipeline's trigger each second, core/pipeline.h; the sweeps of the endpoints' logs, their
	 * kept images and old predictions, every two seconds, api_endpoint_logs_tick). The list
	 * ends at the first NULL
	 * step. */
	runner_hook hooks[RUNNER_MAX_HOOKS];
} runner_config;

typedef struct runner runner;

/* Replays the store's live jobs, then starts the runner's thread. NULL (with why in `err`) when
 * it cannot. Strings of `cfg` are copied. */
runner *runner_start(const runner_config *cfg, cl_error *err);
/* Stops the thread (running jobs go on) and frees the runner; NULL is fine. */
void runner_stop(runner *r);

/* One tick of the hooks (a list of RUNNER_MAX_HOOKS at most, ended by a NULL step), tick_ms after
 * the last: steps each one whose period is over. since_ms[i] holds hook i's milliseconds since
 * its last step, zeroed by the caller before the first tick. */
void runner_hooks_tick(const runner_hook *hooks, int since_ms[], int tick_ms);

#endif
