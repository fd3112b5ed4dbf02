/* Managed model server processes (model_server.h), on top of the local executor's process
 * groups (local.h). */
#include "jobs/model_server.h"

#include <arpa/inet.h>
#include <errno.h>
#include <signal.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define PROBE_EVERY_MS 100
#define PROBE_NOT_READY_EVERY_MS 1000

static void strv_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* A NULL-ended copy of v (NULL for NULL), at most `max` strings; *ok false when too many or out
 * of memory. */
static char **strv_copy(const char *const *v, size_t max, bool *ok)
{
	size_t n = 0;
	while (v && v[n])
		n++;
	*ok = n <= max;
	char **c = *ok ? calloc(n + 1, sizeof *c) : NULL;
	for (size_t i = 0; c && i < n; i++)
		if (!(c[i] = strdup(v[i]))) {
			strv_free(c);
			c = NULL;
		}
	*ok = *ok && c;
	return c;
}

int model_server_init(model_server *s, const model_server_spec *spec, cl_error *err)
{
	memset(s, 0, sizeof *s);
	s->state = MODEL_SERVER_STOPPED;
	if (!spec->argv || !spec->argv[0] || !spec->workdir ||
	    strlen(spec->workdir) >= sizeof s->workdir - 16)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a model server needs a command and a directory");
	bool ok_argv, ok_env = true;
	s->argv = strv_copy(spec->argv, MODEL_SERVER_MAX_ARGS, &ok_argv);
	if (spec->env)
		s->env = strv_copy(spec->env, MODEL_SERVER_MAX_ENV, &ok_env);
	if (!ok_argv || !ok_env) {
		model_server_release(s);
		return cl_fail(err, CL_EINVAL, NULL,
			       "a model server has at most %d arguments and %d "
			       "variables",
			       MODEL_SERVER_MAX_ARGS, MODEL_SERVER_MAX_ENV);
	}
	snprintf(s->workdir, sizeof s->workdir, "%s", spec->workdir);
	snprintf(s->log_path, sizeof s->log_path, "%s/server.log", spec->workdir);
	snprintf(s->model_dir, sizeof s->model_dir, "%s", spec->model_dir ? spec->model_dir : "");
	s->ready_timeout_ms = spec->ready_timeout_ms;
	return 0;
}

void model_server_release(model_server *s)
{
	strv_free(s->argv);
	strv_free(s->env);
	s->argv = s->env = NULL;
}

const char *model_server_state_name(enum model_server_state st)
{
	static const char *const names[] = {"starting", "ready",    "not_ready",
					    "backoff",	"stopping", "stopped"};
	return st >= 0 && st <= MODEL_SERVER_STOPPED ? names[st] : "?";
}

int64_t model_server_backoff_ms(int failures)
{
	int64_t ms = MODEL_SERVER_BACKOFF_MIN_MS;
	for (int i = 1; i < failures && ms < MODEL_SERVER_BACKOFF_MAX_MS; i++)
		ms *= 2;
	return ms < MODEL_SERVER_BACKOFF_MAX_MS ? ms : MODEL_SERVER_BACKOFF_MAX_MS;
}

bool model_server_arg(const char *arg, int port, const char *model_dir, char *out, size_t size)
{
	char port_text[16];
	snprintf(port_text, sizeof port_text, "%d", port);
	size_t n = 0;
	while (*arg) {
		const char *with = NULL;
		if (!strncmp(arg, "{port}", 6))
			with = port_text, arg += 6;
		else if (!strncmp(arg, "{model_dir}", 11))
			with = model_dir ? model_dir : "", arg += 11;
		size_t len = with ? strlen(with) : 1;
		if (n + len >= size)
			return false;
		memcpy(out + n, with ? with : arg, len);
		n += len;
		arg += with ? 0 : 1;
	}
	out[n] = '\0';
	return true;
}

int model_server_free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof a;
	int port = 0;
	if (fd >= 0 && !bind(fd, (struct sockaddr *)&a, sizeof a) &&
	    !getsockname(fd, (struct sockaddr *)&a, &len))
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

/* The argv and env of one start, with the port and model directory in: one allocation each,
 * freed by the caller. */
static char **argv_of(const model_server *s, int port)
{
	size_t n = 0;
	while (s->argv[n])
		n++;
	char **v = calloc(n + 1, sizeof *v);
	for (size_t i = 0; v && i < n; i++) {
		char buf[4096];
		if (!model_server_arg(s->argv[i], port, s->model_dir, buf, sizeof buf) ||
		    !(v[i] = strdup(buf))) {
			strv_free(v);
			return NULL;
		}
	}
	return v;
}

static char **env_of(const model_server *s, int port)
{
	size_t n = 0;
	while (s->env && s->env[n])
		n++;
	char **v = calloc(n + 3, sizeof *v);
	size_t k = 0;
	for (size_t i = 0; v && i < n; i++)
		v[k++] = strdup(s->env[i]);
	char line[1100];
	snprintf(line, sizeof line, "PORT=%d", port);
	if (v)
		v[k++] = strdup(line);
	if (v && s->model_dir[0]) {
		snprintf(line, sizeof line, "MODEL_DIR=%s", s->model_dir);
		v[k++] = strdup(line);
	}
	for (size_t i = 0; v && i < k; i++)
		if (!v[i]) {
			for (size_t j = 0; j < k; j++)
				free(v[j]);
			free(v);
			return NULL;
		}
	return v;
}

/* <workdir>/server.pid: the process's pid and start time, so a server that was killed before
 * it could stop its model servers has the next one end them (model_server_end_leftover). */
static void pid_file_path(const char *workdir, char *out, size_t size)
{
	snprintf(out, size, "%s/server.pid", workdir);
}

static void pid_file_write(const model_server *s)
{
	char path[1100];
	pid_file_path(s->workdir, path, sizeof path);
	FILE *f = fopen(path, "we");
	if (!f)
		return;
	fprintf(f, "%d %llu\n", (int)s->job.pid, (unsigned long long)s->job.start_time);
	fclose(f);
}

static void pid_file_remove(const model_server *s)
{
	char path[1100];
	pid_file_path(s->workdir, path, sizeof path);
	unlink(path);
}

int model_server_end_leftover(const char *workdir)
{
	char path[1100];
	pid_file_path(workdir, path, sizeof path);
	FILE *f = fopen(path, "re");
	int pid = 0;
	unsigned long long start = 0;
	local_proc p;
	bool read = f && fscanf(f, "%d %llu", &pid, &start) == 2;
	if (f)
		fclose(f);
	unlink(path);
	/* Only the very process that was started: a pid the kernel gave to another since is left.
	 */
	if (!read || pid <= 1 || local_proc_read(pid, &p) || p.start_time != start || p.pgrp != pid)
		return 0;
	kill(-pid, SIGKILL);
	return pid;
}

int model_server_start(model_server *s, int64_t now_ms, cl_error *err)
{
	if (mkdir(s->workdir, 0700) && errno != EEXIST)
		return cl_fail(err, CL_EINTERNAL, "model_server_start", "%s: %s", s->workdir,
			       strerror(errno));
	int port = model_server_free_port();
	char **argv = port ? argv_of(s, port) : NULL;
	char **env = argv ? env_of(s, port) : NULL;
	int rc = env ? 0
		     : cl_fail(err, CL_EINTERNAL, "model_server_start",
			       port ? "out of memory, or an argument too long"
				    : "no free loopback port");
	local_spec spec = {.argv = argv,
			   .workdir = s->workdir,
			   .log_path = s->log_path,
			   .env = env,
			   .grace_ms = MODEL_SERVER_GRACE_MS};
	if (!rc)
		rc = local_start(&s->job, &spec, err);
	strv_free(argv);
	strv_free(env);
	if (rc)
		return rc;
	pid_file_write(s);
	s->port = port;
	s->state = MODEL_SERVER_STARTING;
	s->ready_by_ms = now_ms + s->ready_timeout_ms;
	s->next_probe_ms = now_ms;
	return 0;
}

/* It died (or could not start): wait, then start again. */
static void died(model_server *s, int64_t now_ms)
{
	pid_file_remove(s);
	s->failures++;
	s->state = MODEL_SERVER_BACKOFF;
	s->next_start_ms = now_ms + model_server_backoff_ms(s->failures);
	s->port = 0;
}

static bool running(const model_server *s)
{
	return s->state == MODEL_SERVER_STARTING || s->state == MODEL_SERVER_READY ||
	       s->state == MODEL_SERVER_NOT_READY;
}

bool model_server_step(model_server *s, int64_t now_ms)
{
	if (s->state == MODEL_SERVER_STOPPING && local_poll(&s->job) == LOCAL_DONE) {
		s->state = MODEL_SERVER_STOPPED;
		pid_file_remove(s);
	}
	if (running(s) && local_poll(&s->job) == LOCAL_DONE)
		died(s, now_ms);
	if (s->state == MODEL_SERVER_BACKOFF && now_ms >= s->next_start_ms) {
		s->restarts++;
		if (model_server_start(s, now_ms, NULL))
			died(s, now_ms);
	}
	if (s->state == MODEL_SERVER_STARTING && now_ms >= s->ready_by_ms)
		s->state = MODEL_SERVER_NOT_READY;
	return (s->state == MODEL_SERVER_STARTING || s->state == MODEL_SERVER_NOT_READY) &&
	       now_ms >= s->next_probe_ms;
}

void model_server_probed(model_server *s, int port, bool ready, int64_t now_ms)
{
	if (port != s->port ||
	    (s->state != MODEL_SERVER_STARTING && s->state != MODEL_SERVER_NOT_READY))
		return;
	if (ready) {
		s->state = MODEL_SERVER_READY;
		s->failures = 0;
		return;
	}
	s->next_probe_ms = now_ms + (s->state == MODEL_SERVER_NOT_READY ? PROBE_NOT_READY_EVERY_MS
									: PROBE_EVERY_MS);
}

void model_server_stop(model_server *s)
{
	if (running(s)) {
		local_cancel(&s->job);
		s->state = MODEL_SERVER_STOPPING;
	} else if (s->state == MODEL_SERVER_BACKOFF) {
		s->state = MODEL_SERVER_STOPPED;
	}
}
