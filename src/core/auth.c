/* Passwords, tokens and the failed-login throttle. */
#include "core/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

int auth_init(void)
{
	return sodium_init() < 0 ? -1 : 0;
}

int auth_password_hash(const char *password, char out[AUTH_HASH_LEN])
{
	return crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
				 crypto_pwhash_MEMLIMIT_INTERACTIVE);
}

bool auth_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static char dummy_hash[AUTH_HASH_LEN];
static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;

static void dummy_make(void)
{
	if (auth_password_hash("not a password anyone has", dummy_hash))
		dummy_hash[0] = '\0';
}

void auth_password_verify_dummy(const char *password)
{
	pthread_once(&dummy_once, dummy_make);
	if (dummy_hash[0] && crypto_pwhash_str_verify(dummy_hash, password, strlen(password)) == 0)
		return; /* the time spent is the point, not the answer */
}

void auth_token_new(char out[AUTH_TOKEN_LEN])
{
	unsigned char raw[32];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(out, AUTH_TOKEN_LEN, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

void auth_token_digest(const char *token, char out[AUTH_DIGEST_HEX])
{
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)token, strlen(token));
	sodium_bin2hex(out, AUTH_DIGEST_HEX, d, sizeof d);
}

bool auth_equal(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la != lb)
		return false;
	return sodium_memcmp(a, b, la) == 0;
}

const char *auth_username_problem(const char *u)
{
	size_t n = strlen(u);
	if (n < 3 || n > 64)
		return "username must be 3 to 64 characters";
	for (size_t i = 0; i < n; i++) {
		char c = u[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return "username may hold only letters, digits, '_', '.' and '-'";
	}
	return NULL;
}

const char *auth_password_problem(const char *p)
{
	size_t n = strlen(p);
	if (n < 8)
		return "password must be at least 8 characters";
	if (n > 1024)
		return "password must be at most 1024 bytes";
	return NULL;
}

/* The throttle keeps the last failures of a bounded number of keys; the oldest key is evicted
 * when full, which errs on the side of letting a login through rather than locking one out. */
#define THROTTLE_KEYS 4096

static struct throttle_entry {
	char key[80];
	int64_t fails[AUTH_THROTTLE_LIMIT]; /* ring of failure times */
	int count;
	int64_t last;
} throttle[THROTTLE_KEYS];
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static struct throttle_entry *throttle_find(const char *key, bool create, int64_t now)
{
	struct throttle_entry *oldest = NULL;
	uint32_t h = 2166136261u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	for (int n = 0; n < 16; n++) {
		struct throttle_entry *e = &throttle[(h + (uint32_t)n) % THROTTLE_KEYS];
		if (!strcmp(e->key, key))
			return e;
		if (!oldest || !e->key[0] || e->last < oldest->last)
			oldest = e;
		if (!e->key[0])
			break;
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof *oldest);
	snprintf(oldest->key, sizeof oldest->key, "%s", key);
	oldest->last = now;
	return oldest;
}

int64_t auth_throttle_check(const char *key, int64_t now)
{
	int64_t wait = 0;
	pthread_mutex_lock(&throttle_lock);
	struct throttle_entry *e = throttle_find(key, false, now);
	if (e && e->count >= AUTH_THROTTLE_LIMIT) {
		int64_t oldest = e->fails[e->count % AUTH_THROTTLE_LIMIT];
		if (now - oldest < AUTH_THROTTLE_WINDOW_MS)
			wait = AUTH_THROTTLE_WINDOW_MS - (now - oldest);
	}
	pthread_mutex_unlock(&throttle_lock);
	return wait;
}

void auth_throttle_fail(const char *key, int64_t now)
{
	pthread_mutex_lock(&throttle_lock);
	struct throttle_entry *e = throttle_find(key, true, now);
	e->fails[e->count % AUTH_THROTTLE_LIMIT] = now;
	e->count++;
	e->last = now;
	pthread_mutex_unlock(&throttle_lock);
}

void auth_throttle_reset(const char *key)
{
	pthread_mutex_lock(&throttle_lock);
	struct throttle_entry *e = throttle_find(key, false, 0);
	if (e)
		e->count = 0;
	pthread_mutex_unlock(&throttle_lock);
}
