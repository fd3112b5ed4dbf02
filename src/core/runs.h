/* Training jobs' rules (core/runs.c): what a job may ask for and who may submit one (a built-in
 * trainer on a dataset version of the caller's org whose kind it trains; a custom command only
 * by an org owner or engineer on a server started with --allow-custom-jobs), cancel, how a job
 * ends (succeeded, failed, cancelled, timed out: failed; retried up to max_retries), lost jobs,
 * and metric batches. Each change is one transaction through store_ops. */
#ifndef CROWDLOOP_CORE_RUNS_H
#define CROWDLOOP_CORE_RUNS_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "core/run_types.h"
#include "store/ops.h"

#define RUN_METRIC_BATCH_MAX 1000 /* points in one batch, as MLflow's log-batch */
#define RUN_KEY_MAX 250		  /* a metric key's length */
#define RUN_MAX_RETRIES 10
#define RUN_MAX_TIME_LIMIT_MS (7LL * 24 * 3600 * 1000)
#define RUN_DEFAULT_TIME_LIMIT_MS (24LL * 3600 * 1000)
#define RUN_COMMAND_MAX_ARGS 256

/* What this server can run: the node's size and whether custom commands are allowed. */
typedef struct run_limits {
	int cpus, gpus;
	int64_t mem_bytes;
	bool allow_custom;
	const char *executor; /* where jobs run ("local", "slurm"), recorded on each; NULL: local */
	const char *data_dir; /* where code bundles are stored (core/code_bundle.h) */
} run_limits;

/* A submission, as the API read it. Borrowed. 0 means the default for a resource. */
typedef struct run_request {
	int64_t org_id, user_id;
	const char *org_role; /* the caller's role in the org ("owner", "engineer", ...), or "" */
	int64_t dataset_id;
	const char *trainer;	 /* a built-in trainer, or NULL with a command */
	const json_t *params;	 /* the trainer's params, or NULL */
	const json_t *command;	 /* a custom command: array of strings, or NULL */
	const char *format;	 /* the dataset format a custom command asks for, or NULL */
	const char *code_sha256; /* an uploaded code bundle a custom command runs beside, or NULL */
	int cpus, gpus, priority, max_retries;
	int64_t mem_bytes, time_limit_ms;
	int64_t project_id;	/* the project the dataset version must be of; 0: any */
	int check_folds;	/* a label check (core/label_check.h): its folds; 0: training */
	double check_threshold; /* a label check's threshold */
} run_request;

/* How an attempt ended, as the executor saw it. */
enum run_outcome {
	RUN_EXITED,    /* exit_code */
	RUN_SIGNALED,  /* killed by a signal the server did not send */
	RUN_CANCELLED, /* cancelled */
	RUN_TIMED_OUT, /* its time limit */
	RUN_LOST,      /* its process is gone and its status unknown */
};

/* What the runner hands in when an attempt ends: outcome, evaluation and artifacts. */
typedef struct run_end {
	enum run_outcome outcome;
	int exit_code, signal;
	const char *evaluation; /* JSON text of OUTPUT/evaluation.json, or NULL */
	const char *log_path;	/* the attempt's log, kept when the job had none recorded */
	const struct run_artifact {
		const char *path, *sha256;
		int64_t size;
	} *artifacts;
	size_t n_artifacts;
} run_end;

/* Frees what a row owns (params, command) and clears them. */
void run_row_release(run_row *j);

/* Checks and queues a job; *job_id its id. 403 "custom_jobs_disabled" or "forbidden" for a
 * custom command not allowed, 404 for a dataset version of another org, 400 naming a bad
 * field (unknown trainer, a kind it does not train, a param, a resource over the node), 400
 * "over_quota" for more cpus or gpus than the org's quota ever allows. */
int run_submit(const store *s, const run_limits *lim, const run_request *req, int64_t *job_id,
	       cl_error *err);
/* Cancels a job: a queued one at once, a running one by asking the runner. 409 "job_ended"
 * when it has ended. */
int run_cancel(const store *s, int64_t job_id, cl_error *err);
/* Appends a batch of metric points to a job: 413 over RUN_METRIC_BATCH_MAX, 400 for a bad key
 * or a value that is not finite. One transaction. */
int run_log_metrics(const store *s, int64_t job_id, const run_metric *m, size_t n,
		    cl_error *err);

#define RUN_QUOTA_MEM_MB_MAX ((int64_t)1 << 30) /* an org's memory quota, in MiB: 1 PiB */

/* Sets org `org_id`'s quota: max_cpus and max_gpus -1 (none) or 0 to 100000, max_mem_mb -1 or
 * 0 to RUN_QUOTA_MEM_MB_MAX, weight 1 to 1000
 * (400 naming the bad one). */
int run_quota_set(const store *s, int64_t org_id, const run_quota *q, cl_error *err);

/* The runner's transitions. `j` is the job as the runner holds it. */
/* Records an attempt of queued job `job_id` about to start (running, attempt + 1, no process
 * yet) and loads it into *j, so that a server killed before the process is recorded finds it
 * running without a process: lost, never run again. CL_ECONFLICT when it is no longer queued. */
int run_starting(const store *s, int64_t job_id, run_row *j, cl_error *err);
/* Records the process of the attempt just started (pid, start time, token digest). */
int run_started(const store *s, const run_row *j, cl_error *err);
/* Records where a cluster placed a running job: its node and GPU devices ("" or NULL: keep). */
int run_placed(const store *s, int64_t job_id, const char *node, const char *gpus,
	       cl_error *err);
/* Ends an attempt: the job's end state by the rules below, its evaluation and artifacts, in
 * one transaction. *requeued when it goes back in the queue for another attempt. */
int run_finished(const store *s, int64_t job_id, const run_end *end, bool *requeued,
		 cl_error *err);
/* Ends a job that cannot run (it asks for more than the node has): failed, "refused". */
int run_refused(const store *s, int64_t job_id, cl_error *err);

/* The rules, pure. The state an attempt's outcome gives: "succeeded" (exit 0), "cancelled",
 * "lost", else "failed". */
const char *run_outcome_state(enum run_outcome o, int exit_code);
/* The end reason stored: exited, signaled, cancelled, timed_out, lost. */
const char *run_outcome_reason(enum run_outcome o);
/* Whether a failed attempt number `attempt` (1-based) of a job with `max_retries` runs again. */
bool run_retries(const char *state, int attempt, int max_retries);

#endif
