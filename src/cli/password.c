/* Password input for the command line: a file ("-" for stdin), an environment variable, or a
 * prompt with echo off that puts the terminal back even when a signal ends it. */
#include "cli/password.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Drops one trailing "\n" or "\r\n". */
static void chomp(char *s)
{
	size_t n = strlen(s);
	if (n && s[n - 1] == '\n')
		s[--n] = '\0';
	if (n && s[n - 1] == '\r')
		s[--n] = '\0';
}

/* Reads the first line of `path` ("-": stdin) into out; returns 0 or -1 after printing. */
static int read_password_file(const char *path, char *out, size_t size)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
	if (!f) {
		fprintf(stderr, "crowdloop: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	if (!fgets(out, (int)size, f)) {
		out[0] = '\0';
		if (ferror(f)) {
			fprintf(stderr, "crowdloop: cannot read %s: %s\n", path,
				strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0 && strlen(out) == size - 1 && out[size - 2] != '\n') {
		fprintf(stderr, "crowdloop: the password in %s is longer than %d bytes\n",
			path, PASSWORD_MAX_BYTES);
		rc = -1;
	}
	if (f != stdin)
		fclose(f);
	return rc;
}

/* The terminal settings to put back if a signal ends the prompt. */
static struct termios saved_termios;
static volatile sig_atomic_t echo_off;

static void restore_echo_and_die(int sig)
{
	if (echo_off)
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
	signal(sig, SIG_DFL);
	raise(sig);
}

/* Asks on the terminal with echo off; returns 0 or -1 after printing. */
static int prompt_password(const char *env, const char *prompt, char *out, size_t size)
{
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "crowdloop: no password given and stdin is not a terminal; "
				"use --password-file FILE or set %s\n", env);
		return -1;
	}
	if (tcgetattr(STDIN_FILENO, &saved_termios)) {
		fprintf(stderr, "crowdloop: cannot read the terminal settings: %s\n",
			strerror(errno));
		return -1;
	}
	struct sigaction sa = {0}, old_int, old_term, old_quit, old_hup;
	sa.sa_handler = restore_echo_and_die;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGQUIT, &sa, &old_quit);
	sigaction(SIGHUP, &sa, &old_hup);

	struct termios quiet = saved_termios;
	quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
	quiet.c_lflag |= ICANON;
	int rc = 0;
	echo_off = 1;
	/* Echo goes off before the prompt shows: an answer typed at the prompt must not be
	 * flushed away by TCSAFLUSH, nor echoed. */
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)) {
		echo_off = 0;
		fprintf(stderr, "crowdloop: cannot turn off echo: %s\n", strerror(errno));
		rc = -1;
	} else {
		fprintf(stderr, "%s", prompt);
		fflush(stderr);
		if (!fgets(out, (int)size, stdin)) {
			out[0] = '\0';
			rc = -1;
		}
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
		echo_off = 0;
		fputc('\n', stderr);
		if (rc)
			fprintf(stderr, "crowdloop: no password read\n");
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return rc;
}

int password_read(const char *file, const char *env, const char *prompt, char *out, size_t size)
{
	out[0] = '\0';
	const char *from_env = env ? getenv(env) : NULL;
	if (file) {
		if (read_password_file(file, out, size))
			return -1;
	} else if (from_env && *from_env) {
		if (strlen(from_env) > PASSWORD_MAX_BYTES) {
			fprintf(stderr, "crowdloop: %s is longer than %d bytes\n", env,
				PASSWORD_MAX_BYTES);
			return -1;
		}
		snprintf(out, size, "%s", from_env);
	} else if (prompt_password(env ? env : "a variable", prompt, out, size)) {
		return -1;
	}
	chomp(out);
	return 0;
}
