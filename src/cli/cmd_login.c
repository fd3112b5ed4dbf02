/* `crowdloop login` and `crowdloop logout`. Login sends a username and password to
 * POST /auth/login and keeps the token it gets in the credentials file (see cli/config.h);
 * the password comes from --password-file, else $CROWDLOOP_PASSWORD, else a prompt on the
 * terminal with echo off (restored even when the prompt is interrupted). Logout revokes the
 * token in use with POST /auth/logout and then removes it from the credentials file. */
#include "cli/client.h"
#include "cli/cmd.h"
#include "cli/options.h"
#include "cli/password.h"
#include "cli/terminal.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

/* Wipes the string member `key` of obj (a password or token copied by jansson). */
static void wipe_member(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	if (s)
		explicit_bzero((char *)s, strlen(s));
}

/* The login request's body (new reference), or NULL after printing why; wipes password. */
static json_t *login_body(client *c, const char *username, const char *password_file)
{
	char password[PASSWORD_MAX_BYTES + 2], prompt[600];
	json_t *body = NULL;

	memset(password, 0, sizeof password);
	snprintf(prompt, sizeof prompt, "Password for %s at %s: ", username, c->server);
	if (password_read(password_file, "CROWDLOOP_PASSWORD", prompt, password, sizeof password))
		goto out;
	if (!password[0]) {
		fprintf(stderr, "crowdloop login: the password is empty\n");
		goto out;
	}
	if (cleartext_remote(c->server))
		fprintf(stderr,
			"crowdloop login: warning: %s is plain http; the password and the "
			"token cross the network unencrypted\n",
			c->server);
	body = json_pack("{s:s, s:s}", "username", username, "password", password);
	if (!body)
		fprintf(stderr, "crowdloop login: the username or password is not valid UTF-8\n");
out:
	explicit_bzero(password, sizeof password);
	return body;
}

/* Keeps the answer's token for this server and says who is logged in. */
static int keep_token(client *c, json_t *answer, const char *username)
{
	const char *token = json_string_value(json_object_get(answer, "token"));
	const char *name =
	    json_string_value(json_object_get(json_object_get(answer, "user"), "username"));
	if (!token || !*token) {
		fprintf(stderr, "crowdloop login: the server's answer has no token\n");
		return -1;
	}
	cli_config cfg = {
	    .server = c->server,
	    .token = (char *)token,
	    .username = (char *)(name ? name : username),
	};
	if (config_save(&cfg))
		return -1;
	printf("Logged in to %s as ", c->server);
	terminal_fput_text(stdout, cfg.username);
	putchar('\n');
	if (getenv("CROWDLOOP_TOKEN") && *getenv("CROWDLOOP_TOKEN"))
		fprintf(stderr, "crowdloop login: note: CROWDLOOP_TOKEN is set and is used instead "
				"of the stored token\n");
	return 0;
}

static int log_in(client *c, const char *username, const char *password_file)
{
	json_t *body = login_body(c, username, password_file), *answer = NULL;
	int rc = -1;
	if (body) {
		long status = client_post_json(c, "/auth/login", body, &answer);
		if (client_status_ok(status))
			rc = keep_token(c, answer, username);
	}
	wipe_member(body, "password");
	json_decref(body);
	wipe_member(answer, "token");
	json_decref(answer);
	return rc;
}

int cmd_login(int argc, char **argv)
{
	const char *server = NULL, *username = NULL, *password_file = NULL;
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_STRING(0, "username", &username, "NAME", "account name (default: the stored one)"),
	    OPT_STRING(0, "password-file", &password_file, "FILE",
		       "read the password from the first line of FILE (- for stdin)"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "login",
	    .synopses = USAGE("[--server URL] --username NAME [--password-file FILE]"),
	    .about = "Logs in and keeps the token in $XDG_CONFIG_HOME/crowdloop/credentials.json\n"
		     "(default ~/.config/crowdloop/credentials.json, readable by you only).",
	    .notes = "Without --password-file the password comes from $CROWDLOOP_PASSWORD, else "
		     "from a\nprompt on the terminal.",
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;

	client c;
	ret = 1;
	if (client_open(&c, server, 0))
		goto out; /* client_open leaves c ready for client_close */
	/* Log in afresh: whatever token is around is not sent along. */
	client_drop_token(&c);
	if (!username && c.cfg.username && c.cfg.server && !strcmp(c.cfg.server, c.server))
		username = c.cfg.username;
	if (!username || !*username)
		ret = options_usage_error(&spec, "--username is required");
	else if (log_in(&c, username, password_file) == 0)
		ret = 0;
out:
	client_close(&c);
	return ret;
}

/* Forgets a revoked token: removes it from the credentials file, or asks to unset the
 * variable it came from. */
static int forget_token(client *c)
{
	if (c->token_from_env) {
		fprintf(stderr, "crowdloop logout: the token in CROWDLOOP_TOKEN is revoked; "
				"unset the variable\n");
		return 0;
	}
	cli_config cfg = c->cfg;
	cfg.token = NULL;
	if (config_save(&cfg))
		return -1;
	printf("Logged out of %s\n", c->server);
	return 0;
}

int cmd_logout(int argc, char **argv)
{
	const char *server = NULL;
	const cli_option opts[] = {OPT_SERVER(&server), OPT_END()};
	const options_spec spec = {
	    .command = "logout",
	    .synopses = USAGE("[--server URL]"),
	    .about = "Revokes the token on the server and removes it from the credentials file.",
	    .options = opts,
	};
	int operand, ret = options_parse(&spec, argc, argv, &operand);
	if (ret >= 0)
		return ret;

	client c;
	ret = 1;
	if (client_open(&c, server, 1))
		goto out;
	long status = client_post_json(&c, "/auth/logout", NULL, NULL);
	if (status == 0)
		goto out; /* not revoked: keep the token so that logout can be retried */
	if (status == 401)
		fprintf(stderr, "crowdloop logout: the token was no longer valid\n");
	else if (!client_status_ok(status))
		goto out;
	if (forget_token(&c) == 0)
		ret = 0;
out:
	client_close(&c);
	return ret;
}
