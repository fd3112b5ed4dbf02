/* Runs a command to its end with its output collected (command.h). stdout and stderr are read
 * together with poll() until both close, so a command that fills one pipe while we wait on the
 * other never stalls; the time limit bounds the whole run, the kill included. */
#include "jobs/command.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util/clock.h"

extern char **environ;

/* Where one pipe's bytes go. */
typedef struct sink {
	int fd; /* read end; -1 once closed */
	char *buf;
	size_t cap, len;
	int *truncated;
} sink;

static int64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* Reads what `s`'s pipe holds; closes it at its end. */
static void sink_read(sink *s)
{
	char chunk[4096];
	ssize_t n = read(s->fd, chunk, sizeof chunk);
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(s->fd);
		s->fd = -1;
		return;
	}
	size_t room = s->cap - 1 - s->len, keep = (size_t)n < room ? (size_t)n : room;
	memcpy(s->buf + s->len, chunk, keep);
	s->len += keep;
	s->buf[s->len] = '\0';
	if (keep < (size_t)n)
		*s->truncated = 1;
}

/* Reads both pipes until they close or the deadline passes; 0, or -1 at the deadline. */
static int drain(sink *out, sink *err, int64_t deadline_ms)
{
	while (out->fd >= 0 || err->fd >= 0) {
		struct pollfd p[2] = {{out->fd, POLLIN, 0}, {err->fd, POLLIN, 0}};
		int wait = -1;
		if (deadline_ms) {
			int64_t left = deadline_ms - now_ms();
			if (left <= 0)
				return -1;
			wait = left > 1000 ? 1000 : (int)left;
		}
		if (poll(p, 2, wait) < 0 && errno != EINTR)
			return -1;
		if (out->fd >= 0 && p[0].revents)
			sink_read(out);
		if (err->fd >= 0 && p[1].revents)
			sink_read(err);
	}
	return 0;
}

/* The child's files: /dev/null in, the pipes out, `pass_fd` as 3, nothing else of ours. */
static int actions_init(posix_spawn_file_actions_t *fa, int out_w, int err_w, int pass_fd)
{
	if (posix_spawn_file_actions_init(fa) != 0)
		return -1;
	int rc = posix_spawn_file_actions_addopen(fa, 0, "/dev/null", O_RDONLY, 0);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(fa, out_w, 1);
	rc = rc ? rc : posix_spawn_file_actions_adddup2(fa, err_w, 2);
	if (pass_fd >= 0)
		rc = rc ? rc : posix_spawn_file_actions_adddup2(fa, pass_fd, 3);
	rc = rc ? rc : posix_spawn_file_actions_addclosefrom_np(fa, pass_fd >= 0 ? 4 : 3);
	if (rc != 0)
		posix_spawn_file_actions_destroy(fa);
	return rc ? -1 : 0;
}

/* Its own process group, no blocked signals, the usual dispositions. */
static int attr_init(posix_spawnattr_t *attr)
{
	sigset_t none, reset;
	sigemptyset(&none);
	sigemptyset(&reset);
	const int sigs[] = {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGCHLD, SIGUSR1, SIGUSR2};
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaddset(&reset, sigs[i]);
	if (posix_spawnattr_init(attr) != 0)
		return -1;
	posix_spawnattr_setflags(attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
					   POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setpgroup(attr, 0);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &reset);
	return 0;
}

/* Spawns the command with its stdout and stderr on `out_w` and `err_w`; 0 or an errno. */
static int spawn(const command_call *call, int out_w, int err_w, pid_t *pid)
{
	/* dup2 onto the same number would leave close-on-exec set: keep the passed fd above 3. */
	int pass = call->pass_fd >= 0 ? fcntl(call->pass_fd, F_DUPFD_CLOEXEC, 10) : -1;
	if (call->pass_fd >= 0 && pass < 0)
		return errno;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	int rc = EINVAL;
	if (actions_init(&fa, out_w, err_w, pass) == 0) {
		if (attr_init(&attr) == 0) {
			rc = posix_spawnp(pid, call->argv[0], &fa, &attr, call->argv,
					  call->envp ? call->envp : environ);
			posix_spawnattr_destroy(&attr);
		}
		posix_spawn_file_actions_destroy(&fa);
	}
	if (pass >= 0)
		close(pass);
	return rc;
}

/* Waits for `pid`; its exit status, or 128 + its signal. */
static int reap(pid_t pid)
{
	int status = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

int command_run(const command_call *call, command_result *res, cl_error *err)
{
	memset(res, 0, sizeof *res);
	if (!call->argv || !call->argv[0])
		return cl_fail(err, CL_EINVAL, "bad_command", "no command to run");
	int out[2], errp[2];
	if (pipe2(out, O_CLOEXEC) != 0)
		return cl_fail(err, CL_EINTERNAL, "command_pipe", "pipe: %s", strerror(errno));
	if (pipe2(errp, O_CLOEXEC) != 0) {
		close(out[0]);
		close(out[1]);
		return cl_fail(err, CL_EINTERNAL, "command_pipe", "pipe: %s", strerror(errno));
	}
	pid_t pid;
	int rc = spawn(call, out[1], errp[1], &pid);
	close(out[1]);
	close(errp[1]);
	if (rc != 0) {
		close(out[0]);
		close(errp[0]);
		return cl_fail(err, CL_EINTERNAL, "command_start", "%s: %s", call->argv[0],
			       strerror(rc));
	}
	sink so = {out[0], res->out, sizeof res->out, 0, &res->truncated};
	sink se = {errp[0], res->err, sizeof res->err, 0, &res->truncated};
	int64_t deadline = call->timeout_ms > 0 ? now_ms() + call->timeout_ms : 0;
	int late = drain(&so, &se, deadline) != 0;
	if (late)
		kill(-pid, SIGKILL); /* the group: a child that holds the pipes dies with it */
	if (so.fd >= 0)
		close(so.fd);
	if (se.fd >= 0)
		close(se.fd);
	res->out_len = so.len;
	res->status = reap(pid);
	if (late)
		return cl_fail(err, CL_EUNAVAIL, "command_timeout", "%s did not answer in %lld ms",
			       call->argv[0], (long long)call->timeout_ms);
	return CL_OK;
}
