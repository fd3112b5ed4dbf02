/* The HTTP client behind the API subcommands: where the server and the token come from, JSON
 * requests that print the server's error for the user, and streaming upload and download with
 * a progress callback. The saved login is cli/config.h's; what reaches the terminal goes
 * through cli/terminal.h. Paths given to the request helpers are relative to /api/v1
 * ("/projects"). */
#ifndef CROWDLOOP_CLI_CLIENT_H
#define CROWDLOOP_CLI_CLIENT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/config.h"

#define CLIENT_DEFAULT_SERVER "http://127.0.0.1:8080"

/* One connection to a server, for one command. */
typedef struct client {
	char *server;	    /* owned: --server, else $CROWDLOOP_SERVER, else the config, else
			     * CLIENT_DEFAULT_SERVER; no trailing slash */
	char *token;	    /* owned: $CROWDLOOP_TOKEN, else the stored token when it was
			     * stored for this same server; NULL when none */
	int token_from_env; /* the token came from $CROWDLOOP_TOKEN */
	cli_config cfg;	    /* the credentials file as read */
	void *curl;	    /* CURL easy handle, reused so the connection is kept alive */
	int curl_global;    /* this client holds a curl_global_init reference */
	char errbuf[256];   /* curl's message for the last transport failure */
} client;

/* Resolves server and token as described above and prepares curl. `server_override` is the
 * --server value or NULL. With `need_token`, a missing token is an error that tells the user
 * to log in (client_need_token). Returns 0, or -1 after printing why; client_close() is safe
 * either way. */
int client_open(client *c, const char *server_override, int need_token);
void client_close(client *c);
/* 0 when the client has a token; else -1 after telling the user how to log in. */
int client_need_token(const client *c);
/* Forgets the token (wiped), so that the next requests go without one. */
void client_drop_token(client *c);

/* JSON requests. Each returns the HTTP status, or 0 when no answer came (the reason printed).
 * *answer (when answer is not NULL) gets the parsed JSON body as a new reference, or NULL for
 * an empty or non-JSON body. A status outside 2xx prints the server's error to stderr
 * ("crowdloop: 404 not_found: project not found"). `body` is borrowed. */
long client_get_json(client *c, const char *path, json_t **answer);
long client_post_json(client *c, const char *path, const json_t *body, json_t **answer);
/* The same with another method ("PATCH", "DELETE"; NULL for POST); `body` may be NULL for an
 * empty one. */
long client_send_json(client *c, const char *method, const char *path, const json_t *body,
		      json_t **answer);

/* Whether an HTTP status is a success (2xx); 0 (no answer) is not. */
int client_status_ok(long status);

/* Progress of a transfer: bytes so far and the total, or -1 when the total is unknown. */
typedef void (*client_progress_fn)(void *arg, int64_t done, int64_t total);

/* Streams a GET answer into out. Only a 2xx body is written to out; any other answer is
 * printed as an error. Returns the status when the whole answer arrived, or 0 when the
 * transfer broke or out could not be written (the reason printed); then out holds a partial
 * body. `progress` may be NULL. */
long client_download(client *c, const char *path, FILE *out, client_progress_fn progress,
		     void *arg);

/* Streams the file at `file` as a POST body and parses the JSON answer like
 * client_post_json. With `multipart` the file is sent as one multipart/form-data part
 * named "file" with its base name and `content_type` as the part's type; otherwise
 * `content_type` is the request's Content-Type. `progress` may be NULL. */
long client_upload(client *c, const char *path, const char *file, const char *content_type,
		   int multipart, client_progress_fn progress, void *arg, json_t **answer);

/* The caller's org when `*org` is 0: the only org GET /orgs lists. 0, or -1 after printing why
 * (none, or several: then --org is needed). `command` names the command in messages. */
int client_default_org(client *c, const char *command, long long *org);

/* The id of org `org`'s endpoint named `name`: 0 when it has none, -1 when the list failed
 * (the reason printed). */
long long client_endpoint_id(client *c, long long org, const char *name);

/* URL-escapes s for a query string; returns a malloc'd string, or NULL without memory. */
char *client_escape(client *c, const char *s);

#endif
