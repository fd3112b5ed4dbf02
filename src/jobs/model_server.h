/* A model server the engineer brought, run as a managed process: a command (argv, no shell)
 * started in its own process group and working directory with its log captured
 * (jobs/local.h), on a free loopback port the server picks and hands it as PORT in its
 * environment and "{port}" in its arguments. This file is the process's life and nothing else:
 * whether it answers (its readiness) is asked by the caller, who drives every step from one
 * thread and tells it what the probe found; no HTTP here.
 *
 * States: starting (running, not yet ready), ready, not_ready (running, its readiness deadline
 * passed: it takes no traffic, and is still asked now and then), backoff (it died: restarted
 * after a delay that doubles with each death before it became ready), stopping (SIGTERM sent,
 * SIGKILL after the grace period) and stopped. */
#ifndef CROWDLOOP_JOBS_MODEL_SERVER_H
#define CROWDLOOP_JOBS_MODEL_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "jobs/local.h"
#include "util/err.h"

#define MODEL_SERVER_BACKOFF_MIN_MS 500
#define MODEL_SERVER_BACKOFF_MAX_MS 30000
#define MODEL_SERVER_GRACE_MS 5000
#define MODEL_SERVER_MAX_ARGS 64
#define MODEL_SERVER_MAX_ENV 64

enum model_server_state {
	MODEL_SERVER_STARTING,
	MODEL_SERVER_READY,
	MODEL_SERVER_NOT_READY,
	MODEL_SERVER_BACKOFF,
	MODEL_SERVER_STOPPING,
	MODEL_SERVER_STOPPED,
};

/* How to run one. Strings are copied by model_server_init. */
typedef struct model_server_spec {
	const char *const *argv;  /* NULL-ended; "{port}" and "{model_dir}" are replaced */
	const char *const *env;	  /* "KEY=VALUE", NULL-ended, or NULL */
	const char *workdir;	  /* made when missing */
	const char *model_dir;	  /* its model's files (MODEL_DIR), or NULL */
	int64_t ready_timeout_ms; /* from each start to being ready */
} model_server_spec;

/* One managed server; the caller owns it and steps it from one thread. */
typedef struct model_server {
	char **argv, **env; /* owned copies of the spec's */
	char workdir[1024], log_path[1100], model_dir[1024];
	int64_t ready_timeout_ms;
	enum model_server_state state;
	local_job job;
	int port;
	int restarts; /* times it was started again after dying */
	int failures; /* deaths since it was last ready: the backoff's exponent */
	int64_t ready_by_ms, next_probe_ms, next_start_ms;
} model_server;

/* Copies `spec` into `s`, state stopped. CL_EINVAL for a missing argv or workdir, too many
 * arguments or variables; CL_ENOMEM. */
int model_server_init(model_server *s, const model_server_spec *spec, cl_error *err);
/* Frees the copies; the process must be stopped. */
void model_server_release(model_server *s);

/* Starts it on a fresh port (state starting); CL_EINTERNAL naming why it could not. */
int model_server_start(model_server *s, int64_t now_ms, cl_error *err);
/* Advances it without blocking: reaps a death (then backoff), restarts after the backoff,
 * SIGKILLs after the grace, passes a readiness deadline. Returns whether its readiness should
 * be asked now (then tell the answer to model_server_probed). */
bool model_server_step(model_server *s, int64_t now_ms);
/* What the readiness probe of port `port` found. */
void model_server_probed(model_server *s, int port, bool ready, int64_t now_ms);
/* Stops it: SIGTERM to its group, SIGKILL once the grace has passed (at a later step); a
 * server waiting to restart is stopped at once. */
void model_server_stop(model_server *s);

/* Ends (SIGKILL to its group) the process an earlier server left running in `workdir`, as its
 * server.pid names it, when that process still is the one started (pid and start time): its
 * pid, or 0 when there was none. */
int model_server_end_leftover(const char *workdir);

/* The state's name ("ready", ...). */
const char *model_server_state_name(enum model_server_state st);
/* How long to wait before starting again after `failures` deaths in a row (1, 2, ...):
 * MODEL_SERVER_BACKOFF_MIN_MS, doubling, at most MODEL_SERVER_BACKOFF_MAX_MS. */
int64_t model_server_backoff_ms(int failures);
/* `arg` with "{port}" and "{model_dir}" replaced, into out (size bytes); false when it does not
 * fit. */
bool model_server_arg(const char *arg, int port, const char *model_dir, char *out, size_t size);
/* A free TCP port on 127.0.0.1, from the kernel; 0 when none could be had. */
int model_server_free_port(void);

#endif
