/* Runs a command to its end and collects what it printed: for the Slurm executor's sbatch,
 * scontrol and scancel. The command is spawned directly (posix_spawnp, no shell): each argument
 * reaches it as one argv entry, whatever characters it holds. It runs in a process group of its
 * own, with stdin from /dev/null, no file descriptor of the server's but the one the call passes,
 * and a time limit after which the whole group is killed, so a hung cluster never hangs a poll.
 *
 * The caller's process must not ignore SIGCHLD: the command is reaped with waitpid(). */
#ifndef CROWDLOOP_JOBS_COMMAND_H
#define CROWDLOOP_JOBS_COMMAND_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#define COMMAND_OUT_MAX 16384 /* stdout kept; the rest is read and dropped */
#define COMMAND_ERR_MAX 1024  /* stderr kept */

/* What to run. argv is required; the rest may be 0 or NULL. */
typedef struct command_call {
	char *const *argv;  /* argv[0] is looked up in PATH */
	int pass_fd;	    /* given to the command as its fd 3 (e.g. a pipe to read); -1: none */
	int64_t timeout_ms; /* killed (the whole group) after this long; 0: never */
	char *const *envp;  /* its environment; NULL: the server's */
} command_call;

/* How a command ended and what it said. Fixed buffers: nothing to free. */
typedef struct command_result {
	int status;	/* its exit status, or 128 + the signal that ended it */
	int truncated;	/* stdout or stderr was longer than its buffer */
	size_t out_len; /* bytes in `out`, which is NUL-terminated */
	char out[COMMAND_OUT_MAX];
	char err[COMMAND_ERR_MAX];
} command_result;

/* Runs `call` to its end into `res`. CL_OK when it ran and ended, whatever its status;
 * CL_EUNAVAIL when it ran past its time limit (killed; what it said so far is in `res`);
 * CL_EINTERNAL when it could not be started (not installed, no pipe), said in `err`. */
int command_run(const command_call *call, command_result *res, cl_error *err);

#endif
