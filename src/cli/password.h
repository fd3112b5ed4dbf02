/* Reading a password without a default: from a file, an environment variable, or a prompt on
 * the terminal with echo off. Shared by `admin create` and `login`. */
#ifndef CROWDLOOP_CLI_PASSWORD_H
#define CROWDLOOP_CLI_PASSWORD_H

#include <stddef.h>

#define PASSWORD_MAX_BYTES 1024 /* the server's limit */

/* Fills out (NUL-terminated, trailing newline removed) from `file` when not NULL ("-": stdin),
 * else from the environment variable `env` when set, else from a no-echo prompt when stdin is
 * a terminal. `size` should exceed PASSWORD_MAX_BYTES + 1 so a longer password is refused, not
 * cut. Returns 0, or -1 with a message on stderr. */
int password_read(const char *file, const char *env, const char *prompt, char *out, size_t size);

#endif
