/* The rows of training jobs, their metrics and the model registry as core's use cases and the
 * store exchange them: types only, so the store may include it (as core/task_types.h). */
#ifndef CROWDLOOP_CORE_RUN_TYPES_H
#define CROWDLOOP_CORE_RUN_TYPES_H

#include <stdint.h>

#define RUN_STATE_LEN 12
#define RUN_GPU_LIST_LEN 200

/* A job as it is stored; 0 and "" stand for NULL. Strings are owned by the row (the text
 * members are NULL or malloc'ed: run_row_release frees them). */
typedef struct run_row {
	int64_t id, org_id, project_id, dataset_id, created_by;
	char kind[8];	     /* "builtin", "custom" */
	char trainer[32];    /* a built-in trainer's name; "" for a custom command */
	char *params;	     /* JSON object text */
	char *command;	     /* JSON array of strings (custom) or NULL */
	char format[16];     /* the dataset format a custom command asked for */
	char code_hash[65];  /* an uploaded code bundle's sha256, "" when none */
	int cpus, gpus, priority, max_retries, attempt;
	int64_t mem_bytes, time_limit_ms;
	char state[RUN_STATE_LEN]; /* queued running succeeded failed cancelled lost */
	char node[64], executor[16];
	int64_t pid, proc_start;
	char slurm_id[32];
	char gpu_list[RUN_GPU_LIST_LEN]; /* CUDA_VISIBLE_DEVICES of the running attempt */
	int64_t queued_at, started_at, ended_at;
	int exit_status;    /* the command's exit code; -1 when none */
	char end_reason[16]; /* exited, signaled, cancelled, timed_out, lost, refused */
	int cancel_requested;
	char token_digest[65]; /* the run's logging token, hashed; "" when none */
	char log_path[512], output_dir[512];
} run_row;

/* One point of a metric series. `key` is borrowed. */
typedef struct run_metric {
	const char *key;
	double value;
	int64_t step, at;
} run_metric;

/* An org's limits on its running jobs: concurrent cpus, gpus and memory in MiB (-1: none) and
 * its fair-share weight (1 to 1000). */
typedef struct run_quota {
	int max_cpus, max_gpus, weight;
	int64_t max_mem_mb;
} run_quota;

#endif
