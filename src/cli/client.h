/* The HTTP client behind the API subcommands (login, projects, import, export, stats): where
 * the server and the token come from, JSON requests that print the server's error for the user,
 * and streaming upload and download with a progress callback. Credentials live in
 * $XDG_CONFIG_HOME/crowdloop/credentials.json (default ~/.config/crowdloop/), a JSON object
 * {"server","token","username"} in a 0700 directory, written 0600 through a temporary file and
 * rename(). Paths given to the request helpers are relative to /api/v1 ("/projects"). */
#ifndef CROWDLOOP_CLI_CLIENT_H
#define CROWDLOOP_CLI_CLIENT_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#define CLIENT_DEFAULT_SERVER "http://127.0.0.1:8080"

/* What credentials.json holds. Every string is owned (malloc) or NULL. */
typedef struct client_config {
	char *server;   /* base URL without a trailing slash */
	char *token;    /* bearer token, NULL when logged out */
	char *username;
} client_config;

/* Writes the credentials file path into out; returns 0, or -1 when no directory is known
 * (neither an absolute $XDG_CONFIG_HOME nor $HOME) or the path does not fit. */
int client_config_path(char *out, size_t size);
/* Reads the credentials file into cfg (zeroed first); a missing file leaves cfg empty.
 * Returns 0, or -1 after printing why (unreadable or malformed file). */
int client_config_load(client_config *cfg);
/* Creates the directory (0700) and replaces the file atomically (0600). NULL fields are left
 * out. Returns 0, or -1 after printing why. */
int client_config_save(const client_config *cfg);
/* Frees the strings; cfg is empty again. */
void client_config_release(client_config *cfg);

/* One connection to a server, for one command. */
typedef struct client {
	char *server;          /* owned: --server, else $CROWDLOOP_SERVER, else the config, else
				* CLIENT_DEFAULT_SERVER; no trailing slash */
	char *token;           /* owned: $CROWDLOOP_TOKEN, else the stored token when it was
				* stored for this same server; NULL when none */
	int token_from_env;    /* the token came from $CROWDLOOP_TOKEN */
	client_config cfg;     /* the credentials file as read */
	void *curl;            /* CURL easy handle, reused so the connection is kept alive */
	int curl_global;       /* this client holds a curl_global_init reference */
	char errbuf[256];      /* curl's message for the last transport failure */
} client;

/* Resolves server and token as described above and prepares curl. `server_override` is the
 * --server value or NULL. With `need_token`, a missing token is an error that tells the user
 * to log in. Returns 0, or -1 after printing why; client_close() is safe either way. */
int client_open(client *c, const char *server_override, int need_token);
void client_close(client *c);

/* JSON requests. Each returns the HTTP status, or 0 when no answer came (the reason printed).
 * *answer (when answer is not NULL) gets the parsed JSON body as a new reference, or NULL for
 * an empty or non-JSON body. A status outside 2xx prints the server's error to stderr
 * ("crowdloop: 404 not_found: project not found"). `body` is borrowed. */
long client_get_json(client *c, const char *path, json_t **answer);
long client_post_json(client *c, const char *path, const json_t *body, json_t **answer);

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

/* A one-line progress display on stderr, drawn at most ten times a second. */
typedef struct client_progress {
	const char *label;  /* borrowed */
	int enabled;        /* draw anything at all (e.g. isatty(2)) */
	int drawn;          /* something is on the line */
	int64_t last_ns;
} client_progress;

void client_progress_init(client_progress *p, const char *label, int enabled);
/* A client_progress_fn; arg is the client_progress. */
void client_progress_update(void *arg, int64_t done, int64_t total);
/* Clears the line so later output starts clean. */
void client_progress_end(client_progress *p);

/* Prints s with control characters (C0, DEL, C1, ESC) shown as '?', so that text from the
 * server cannot move the cursor or recolour the terminal. */
void client_fput_text(FILE *out, const char *s);
/* Prints s as a table cell `width` columns wide (left or right aligned), cut with "~" past
 * `width`; wide (East Asian) characters count two columns. */
void client_fput_cell(FILE *out, const char *s, int width, int right);
/* Terminal columns s takes (UTF-8; wide characters count two). */
int client_text_width(const char *s);

/* The text of a JSON scalar for a table: a string as is (borrowed from v), a number
 * formatted into tmp, "true"/"false", or "-" for null or a missing value. */
const char *client_json_text(const json_t *v, char *tmp, size_t size);
/* URL-escapes s for a query string; returns a malloc'd string, or NULL without memory. */
char *client_escape(client *c, const char *s);

/* Parses a positive decimal id ("12"); returns it, or 0 when s is not one. */
long long client_parse_id(const char *s);

#endif
