/* The Slurm executor: runs a job on a Slurm cluster through its commands, as the local executor
 * (local.h) runs one on this machine, with the same shape: start, poll, cancel, adopt; and
 * find, for a job submitted by a server that died before it recorded the Slurm id.
 *
 * slurm_start() submits with sbatch: --cpus-per-task, --mem, --gres=gpu:N, --time, --output (the
 * job's log, appended), --chdir, --job-name, --no-requeue (a job never runs twice), and the
 * job's environment through --export-file on a pipe (no size or comma limits of --export, and no
 * token on a command line that `ps` shows). The batch script is fixed text written into the
 * working directory: it runs its arguments as the command, so nothing is ever interpolated into a
 * shell string, and writes the command's exit status to crowdloop-exit.<slurm id> there.
 *
 * Slurm does the scheduling, the GPU devices (CUDA_VISIBLE_DEVICES is set by Slurm's gres; the
 * script sets it empty for a job given none) and the time limit. A plain Slurm keeps no accounting
 * database: a job disappears from the controller MinJobAge seconds after it ends. slurm_poll()
 * reads `scontrol show job` while the controller keeps the job, then falls back to the exit-status
 * file; a job known to neither is lost (scontrol alone, not squeue: one answer holds the state, the
 * exit code and the devices). Every command runs with a time limit: an unreachable controller makes
 * a poll report an error and change nothing, never a job lost.
 *
 * The commands find the cluster as Slurm's own do: /etc/slurm/slurm.conf, or $SLURM_CONF. */
#ifndef CROWDLOOP_JOBS_SLURM_H
#define CROWDLOOP_JOBS_SLURM_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define SLURM_COMMAND_TIMEOUT_MS 30000 /* sbatch, scontrol or scancel that says nothing by then */
#define SLURM_ENV_MAX 32768	       /* bytes of the job's environment ("KEY=VALUE\0" each) */
#define SLURM_NAME_MAX 64	       /* job name and partition */

/* How to run a job. argv, workdir and log_path are required; 0 and NULL mean "none" or the
 * cluster's default. The paths must be the same on the nodes (a shared file system). */
typedef struct slurm_spec {
	char *const *argv;     /* argv[0] is looked up in the job's PATH on the node */
	const char *workdir;   /* must exist; the batch script and the exit status go here */
	const char *log_path;  /* stdout and stderr, appended; made owner-only */
	char *const *env;      /* "KEY=VALUE" on top of the server's environment; NULL-ended */
	const char *job_name;  /* letters, digits, '.', '_', '-'; NULL: "crowdloop" */
	const char *partition; /* the same characters; NULL: the cluster's default */
	int cpus;	       /* --cpus-per-task; 0: 1 */
	int64_t mem_bytes;     /* --mem, rounded up to MiB; 0: the partition's default */
	int gpus;	       /* --gres=gpu:N; 0: none, and CUDA_VISIBLE_DEVICES="" hides any */
	int64_t time_limit_ms; /* --time, rounded up to whole minutes (Slurm's unit); 0: none */
} slurm_spec;

enum slurm_state {
	SLURM_QUEUED,	/* waiting in Slurm's queue */
	SLURM_RUNNING,	/* started on a node (or ending there) */
	SLURM_STOPPING, /* scancel sent, waiting for Slurm to say it ended */
	SLURM_DONE,
};

/* Why a job ended. */
enum slurm_end {
	SLURM_END_NONE,	 /* not ended */
	SLURM_EXITED,	 /* the command ended by itself: exit_code (128 + n for a signal n) */
	SLURM_SIGNALED,	 /* the batch script was killed by a signal nobody asked for: signal */
	SLURM_CANCELLED, /* scancel, ours or an administrator's */
	SLURM_TIMED_OUT, /* its time limit */
	SLURM_FAILED,	 /* Slurm ended it (node failure, out of memory, preemption): slurm_state */
	SLURM_LOST,	 /* neither Slurm nor an exit-status file knows how it ended */
};

/* A submitted or adopted job. The caller owns it; it holds no memory. */
typedef struct slurm_job {
	int64_t id; /* Slurm's job id: record it, it is what slurm_adopt() needs */
	enum slurm_state state;
	enum slurm_end end;
	int exit_code; /* of the command (SLURM_EXITED), else what Slurm reported */
	int signal;    /* SLURM_SIGNALED: the signal */
	int adopted, cancel_sent;
	char slurm_state[24]; /* Slurm's last word: "PENDING", "RUNNING", "TIMEOUT", ... */
	char reason[64];      /* Slurm's Reason= (why it waits), "" for None */
	char nodes[128];      /* NodeList= once it runs */
	char gpus[64];	      /* the GPU indices it was given, as "0,1"; "" for none */
	char workdir[512];    /* where its exit-status file is */
	char error[256];      /* why the last poll got no answer; "" when it got one */
} slurm_job;

/* Submits `spec` into `job` (job->id is then Slurm's id). CL_EINVAL for a missing argv, workdir
 * or log path, a bad name or an environment over SLURM_ENV_MAX; CL_EUNAVAIL when sbatch does not
 * answer in time; CL_EINTERNAL when it refuses (its message in `err`) or cannot be run. */
int slurm_start(slurm_job *job, const slurm_spec *spec, cl_error *err);

/* Takes up Slurm job `id` of an earlier server into a fresh `job` and polls it once. `workdir`
 * is where its exit-status file is; NULL: the directory Slurm reports. CL_OK when Slurm or the
 * exit-status file knows the job (job->state says whether it still runs); CL_ENOTFOUND when
 * neither does (the job is SLURM_LOST); CL_EUNAVAIL when Slurm could not be asked (poll later). */
int slurm_adopt(slurm_job *job, int64_t id, const char *workdir);

/* Asks Slurm where `job` is (one scontrol) and returns its state; call until SLURM_DONE. When
 * Slurm cannot be asked, job->error says why and nothing else changes. */
enum slurm_state slurm_poll(slurm_job *job);

/* scancel: Slurm sends SIGTERM to every process of the job, SIGKILL after its KillWait. CL_OK
 * also for a job already ended; CL_EUNAVAIL or CL_EINTERNAL when scancel fails (`err`). */
int slurm_cancel(slurm_job *job, cl_error *err);

/* Finds the Slurm id of the job named `job_name` (the newest, if several) among the jobs the
 * controller keeps, ended ones included (squeue -t all): a server that died between sbatch and
 * recording the id finds its job again instead of submitting it twice, when each job's name is
 * its own ("crowdloop-42"). CL_OK with `*id`; CL_ENOTFOUND; CL_EINVAL for a bad name;
 * CL_EUNAVAIL when Slurm could not be asked. */
int slurm_find(const char *job_name, int64_t *id, cl_error *err);

/* Reads a line of `scontrol show job -o -d` into `job`'s state, end and facts. CL_EINVAL when
 * the line has no JobState. Exposed for the tests. */
int slurm_show_parse(slurm_job *job, const char *line);

/* Expands Slurm's GPU index list ("0-2,5") into `out` ("0,1,2,5"); CL_EINVAL when malformed or
 * too long. Exposed for the tests. */
int slurm_gpus_expand(const char *idx, char *out, size_t size);

#endif
