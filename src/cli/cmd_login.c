/* `crowdloop login` and `crowdloop logout`. Login sends a username and password to
 * POST /auth/login and keeps the token it gets in the credentials file (see cli/client.h);
 * the password comes from --password-file, else $CROWDLOOP_PASSWORD, else a prompt on the
 * terminal with echo off (restored even when the prompt is interrupted). Logout revokes the
 * token in use with POST /auth/logout and then removes it from the credentials file. */
#include "cli/client.h"
#include "cli/cmd.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024  /* the server's limit, in bytes */

static void login_usage(FILE *out)
{
	fprintf(out,
		"usage: crowdloop login [--server URL] --username NAME [--password-file FILE]\n"
		"\n"
		"Logs in and keeps the token in $XDG_CONFIG_HOME/crowdloop/credentials.json\n"
		"(default ~/.config/crowdloop/credentials.json, readable by you only).\n"
		"\n"
		"  --server URL          server to log in to (default: $CROWDLOOP_SERVER, then the\n"
		"                        stored server, then " CLIENT_DEFAULT_SERVER ")\n"
		"  --username NAME       account name (default: the stored one)\n"
		"  --password-file FILE  read the password from the first line of FILE (- for stdin)\n"
		"  -h, --help            show this help\n"
		"\n"
		"Without --password-file the password comes from $CROWDLOOP_PASSWORD, else from a\n"
		"prompt on the terminal.\n");
}

static void logout_usage(FILE *out)
{
	fprintf(out,
		"usage: crowdloop logout [--server URL]\n"
		"\n"
		"Revokes the token on the server and removes it from the credentials file.\n"
		"\n"
		"  --server URL  server to log out of (default: $CROWDLOOP_SERVER, then the stored one)\n"
		"  -h, --help    show this help\n");
}

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
		fprintf(stderr, "crowdloop login: cannot open %s: %s\n", path, strerror(errno));
		return -1;
	}
	int rc = 0;
	if (!fgets(out, (int)size, f)) {
		out[0] = '\0';
		if (ferror(f)) {
			fprintf(stderr, "crowdloop login: cannot read %s: %s\n", path,
				strerror(errno));
			rc = -1;
		}
	}
	if (rc == 0 && strlen(out) == size - 1 && out[size - 2] != '\n') {
		fprintf(stderr, "crowdloop login: the password in %s is longer than %d bytes\n",
			path, PASSWORD_MAX);
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
static int prompt_password(const char *username, const char *server, char *out, size_t size)
{
	if (!isatty(STDIN_FILENO)) {
		fprintf(stderr, "crowdloop login: no password given and stdin is not a terminal; "
				"use --password-file FILE or set CROWDLOOP_PASSWORD\n");
		return -1;
	}
	if (tcgetattr(STDIN_FILENO, &saved_termios)) {
		fprintf(stderr, "crowdloop login: cannot read the terminal settings: %s\n",
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
	fprintf(stderr, "Password for %s at %s: ", username, server);
	fflush(stderr);
	int rc = 0;
	echo_off = 1;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet)) {
		echo_off = 0;
		fprintf(stderr, "\ncrowdloop login: cannot turn off echo: %s\n", strerror(errno));
		rc = -1;
	} else {
		if (!fgets(out, (int)size, stdin)) {
			out[0] = '\0';
			rc = -1;
		}
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_termios);
		echo_off = 0;
		fputc('\n', stderr);
		if (rc)
			fprintf(stderr, "crowdloop login: no password read\n");
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGQUIT, &old_quit, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return rc;
}

/* True for http:// URLs to another machine, where the password would travel in clear. */
static int cleartext_remote(const char *url)
{
	if (strncasecmp(url, "http://", 7))
		return 0;
	const char *host = url + 7;
	static const char *local[] = {"127.", "localhost", "[::1]"};
	for (size_t i = 0; i < sizeof local / sizeof local[0]; i++)
		if (!strncasecmp(host, local[i], strlen(local[i])))
			return 0;
	return 1;
}

int cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"username", required_argument, NULL, 'u'},
		{"password-file", required_argument, NULL, 'p'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL, *username = NULL, *password_file = NULL;
	char password[PASSWORD_MAX + 2];
	client c;
	json_t *body = NULL, *answer = NULL;
	int ret = 1;

	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'u': username = optarg; break;
		case 'p': password_file = optarg; break;
		case 'h': login_usage(stdout); return 0;
		default:
			fprintf(stderr, "Try `crowdloop login --help`.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "crowdloop login: unexpected argument '%s'\n", argv[optind]);
		login_usage(stderr);
		return 2;
	}

	memset(password, 0, sizeof password);
	if (client_open(&c, server, 0))
		goto out;  /* client_open leaves c ready for client_close */
	/* Log in afresh: whatever token is around is not sent along. */
	if (c.token) {
		explicit_bzero(c.token, strlen(c.token));
		free(c.token);
		c.token = NULL;
	}
	if (!username && c.cfg.username && c.cfg.server && !strcmp(c.cfg.server, c.server))
		username = c.cfg.username;
	if (!username || !*username) {
		fprintf(stderr, "crowdloop login: --username is required\n");
		login_usage(stderr);
		ret = 2;
		goto out;
	}

	const char *env_password = getenv("CROWDLOOP_PASSWORD");
	if (password_file) {
		if (read_password_file(password_file, password, sizeof password))
			goto out;
	} else if (env_password && *env_password) {
		if (strlen(env_password) > PASSWORD_MAX) {
			fprintf(stderr, "crowdloop login: CROWDLOOP_PASSWORD is longer than %d "
					"bytes\n", PASSWORD_MAX);
			goto out;
		}
		snprintf(password, sizeof password, "%s", env_password);
	} else if (prompt_password(username, c.server, password, sizeof password)) {
		goto out;
	}
	chomp(password);
	if (!password[0]) {
		fprintf(stderr, "crowdloop login: the password is empty\n");
		goto out;
	}
	if (cleartext_remote(c.server))
		fprintf(stderr, "crowdloop login: warning: %s is plain http; the password and the "
				"token cross the network unencrypted\n", c.server);

	body = json_pack("{s:s, s:s}", "username", username, "password", password);
	explicit_bzero(password, sizeof password);
	if (!body) {
		fprintf(stderr, "crowdloop login: the username or password is not valid UTF-8\n");
		goto out;
	}
	long status = client_post_json(&c, "/auth/login", body, &answer);
	if (status < 200 || status > 299)
		goto out;
	const char *token = json_string_value(json_object_get(answer, "token"));
	const char *name = json_string_value(
		json_object_get(json_object_get(answer, "user"), "username"));
	if (!token || !*token) {
		fprintf(stderr, "crowdloop login: the server's answer has no token\n");
		goto out;
	}

	client_config cfg = {
		.server = c.server,
		.token = (char *)token,
		.username = (char *)(name ? name : username),
	};
	if (client_config_save(&cfg))
		goto out;
	printf("Logged in to %s as ", c.server);
	client_fput_text(stdout, cfg.username);
	putchar('\n');
	if (getenv("CROWDLOOP_TOKEN") && *getenv("CROWDLOOP_TOKEN"))
		fprintf(stderr, "crowdloop login: note: CROWDLOOP_TOKEN is set and is used instead "
				"of the stored token\n");
	ret = 0;
out:
	explicit_bzero(password, sizeof password);
	if (body) {
		/* json_pack copied the password; wipe that copy before freeing it. */
		json_t *pw = json_object_get(body, "password");
		const char *s = json_string_value(pw);
		if (s)
			explicit_bzero((char *)s, strlen(s));
	}
	json_decref(body);
	if (answer) {
		const char *t = json_string_value(json_object_get(answer, "token"));
		if (t)
			explicit_bzero((char *)t, strlen(t));
	}
	json_decref(answer);
	client_close(&c);
	return ret;
}

int cmd_logout(int argc, char **argv)
{
	static const struct option opts[] = {
		{"server", required_argument, NULL, 's'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *server = NULL;
	client c;
	int ret = 1;

	optind = 1;
	for (int ch; (ch = getopt_long(argc, argv, "h", opts, NULL)) != -1;) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'h': logout_usage(stdout); return 0;
		default:
			fprintf(stderr, "Try `crowdloop logout --help`.\n");
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "crowdloop logout: unexpected argument '%s'\n", argv[optind]);
		logout_usage(stderr);
		return 2;
	}
	if (client_open(&c, server, 1))
		goto out;

	long status = client_post_json(&c, "/auth/logout", NULL, NULL);
	if (status == 0)
		goto out;  /* not revoked: keep the token so that logout can be retried */
	if (status == 401) {
		fprintf(stderr, "crowdloop logout: the token was no longer valid\n");
	} else if (status < 200 || status > 299) {
		goto out;
	}

	if (c.token_from_env) {
		fprintf(stderr, "crowdloop logout: the token in CROWDLOOP_TOKEN is revoked; "
				"unset the variable\n");
	} else {
		client_config cfg = c.cfg;
		cfg.token = NULL;
		if (client_config_save(&cfg))
			goto out;
		printf("Logged out of %s\n", c.server);
	}
	ret = 0;
out:
	client_close(&c);
	return ret;
}
