/* Credentials: argon2id password hashes, random bearer tokens stored as SHA-256 digests,
 * username and password rules, and the failed-login throttle (libsodium). */
#ifndef CROWDLOOP_CORE_AUTH_H
#define CROWDLOOP_CORE_AUTH_H

#include <sodium.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AUTH_HASH_LEN crypto_pwhash_STRBYTES
#define AUTH_TOKEN_LEN 44   /* 32 random bytes, base64url without padding, + NUL */
#define AUTH_DIGEST_HEX 65  /* SHA-256 hex + NUL */

/* Initializes libsodium; call once at start. Returns 0 or -1. */
int auth_init(void);
/* Hashes with argon2id (interactive limits) into out; returns 0 or -1 (out of memory). */
int auth_password_hash(const char *password, char out[AUTH_HASH_LEN]);
/* Constant-time verification of a password against a stored hash. */
bool auth_password_verify(const char *hash, const char *password);
/* Burns about the time of one verification, so unknown usernames answer as slowly. */
void auth_password_verify_dummy(const char *password);
/* A fresh random token. */
void auth_token_new(char out[AUTH_TOKEN_LEN]);
/* The hex SHA-256 of a token, which is what the store keeps. */
void auth_token_digest(const char *token, char out[AUTH_DIGEST_HEX]);
/* Constant-time string equality. */
bool auth_equal(const char *a, const char *b);

/* NULL when valid, else the reason. Usernames: 3-64 of [A-Za-z0-9_.-]; passwords: 8-1024 bytes. */
const char *auth_username_problem(const char *username);
const char *auth_password_problem(const char *password);

/* Failed-login throttle: `key` is "u:<username>" or "a:<address>". After `limit` failures in
 * `window_ms` the key is refused until the oldest failure leaves the window. */
#define AUTH_THROTTLE_LIMIT 5
#define AUTH_THROTTLE_WINDOW_MS (15 * 60 * 1000)
/* 0 when allowed, else the milliseconds until the lock ends. */
int64_t auth_throttle_check(const char *key, int64_t now_ms);
/* Counts a failure of an address or an unknown username (a bounded table that may forget). */
void auth_throttle_fail(const char *key, int64_t now_ms);
/* Counts a failure of an existing account's username: kept until it leaves the window, whatever
 * other keys fail meanwhile. */
void auth_throttle_fail_account(const char *key, int64_t now_ms);
void auth_throttle_reset(const char *key);

#endif
