/* The CLI's saved login: $XDG_CONFIG_HOME/crowdloop/credentials.json (default
 * ~/.config/crowdloop/), a JSON object {"server","token","username"} in a 0700 directory,
 * written 0600 through a temporary file and rename(). */
#ifndef CROWDLOOP_CLI_CONFIG_H
#define CROWDLOOP_CLI_CONFIG_H

#include <stddef.h>

/* What credentials.json holds. Every string is owned (malloc) or NULL. */
typedef struct cli_config {
	char *server; /* base URL without a trailing slash */
	char *token;  /* bearer token, NULL when logged out */
	char *username;
} cli_config;

/* Writes the credentials file path into out; returns 0, or -1 when no directory is known
 * (neither an absolute $XDG_CONFIG_HOME nor $HOME) or the path does not fit. */
int config_path(char *out, size_t size);
/* Reads the credentials file into cfg (zeroed first); a missing file leaves cfg empty.
 * Returns 0, or -1 after printing why (unreadable or malformed file). */
int config_load(cli_config *cfg);
/* Creates the directory (0700) and replaces the file atomically (0600). NULL fields are left
 * out. Returns 0, or -1 after printing why. */
int config_save(const cli_config *cfg);
/* Wipes the token and frees the strings; cfg is empty again. */
void config_release(cli_config *cfg);

#endif
