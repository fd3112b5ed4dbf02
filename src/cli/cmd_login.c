/* `crowdloop login` and `crowdloop logout`. Login sends a username and password to
 * POST /auth/login and keeps the token it gets in the credentials file (see cli/client.h);
 * the password comes from --password-file, else $CROWDLOOP_PASSWORD, else a prompt on the
 * terminal with echo off (restored even when the prompt is interrupted). Logout revokes the
 * token in use with POST /auth/logout and then removes it from the credentials file. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/password.h"

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <termios.h>
#include <unistd.h>


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
	char password[PASSWORD_MAX_BYTES + 2];
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

	char prompt[600];
	snprintf(prompt, sizeof prompt, "Password for %s at %s: ", username, c.server);
	if (password_read(password_file, "CROWDLOOP_PASSWORD", prompt, password, sizeof password))
		goto out;
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
