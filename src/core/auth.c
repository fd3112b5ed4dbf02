/* Passwords, tokens and the failed-login throttle. */
#include "core/auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
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

/* The last token a thread hashed, with its digest: a client sends the same key or session on
 * request after request, and an I/O thread answers a connection's requests in turn, so most
 * digests are this memo's (a SHA-256 a request was 2.5% of a prediction's instructions). The
 * token is compared in constant time; tokens longer than the memo are hashed each time. */
#define TOKEN_MEMO_MAX 160
static _Thread_local struct {
	size_t len;
	char token[TOKEN_MEMO_MAX];
	char digest[AUTH_DIGEST_HEX];
} last_token;

void auth_token_digest(const char *token, char out[AUTH_DIGEST_HEX])
{
	size_t len = strlen(token);
	if (len && len == last_token.len && !sodium_memcmp(token, last_token.token, len)) {
		memcpy(out, last_token.digest, AUTH_DIGEST_HEX);
		return;
	}
	unsigned char d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256(d, (const unsigned char *)token, len);
	sodium_bin2hex(out, AUTH_DIGEST_HEX, d, sizeof d);
	if (len > 0 && len <= TOKEN_MEMO_MAX) {
		last_token.len = len;
		memcpy(last_token.token, token, len);
		memcpy(last_token.digest, out, AUTH_DIGEST_HEX);
	}
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

/* Two tables of failures. Addresses and unknown usernames share a bounded table whose oldest key
 * is evicted when full, which errs on the side of letting a login through. Existing accounts
 * have their own table that grows and never evicts: nobody else's failures, however many, can
 * lift an account's lock. It holds an entry per account that failed within the window (entries
 * whose failures all left it are dropped when it grows), so it is bounded by the accounts. */
#define THROTTLE_KEYS 4096

typedef struct throttle_entry {
	char key[80];
	int64_t fails[AUTH_THROTTLE_LIMIT]; /* ring of failure times */
	int count;
	int64_t last;
} throttle_entry;

static throttle_entry throttle[THROTTLE_KEYS];
static throttle_entry *accounts; /* open addressing, a power of two of slots */
static size_t accounts_cap, accounts_used;
static pthread_mutex_t throttle_lock = PTHREAD_MUTEX_INITIALIZER;

static uint32_t throttle_hash(const char *key)
{
	uint32_t h = 2166136261u;
	for (const char *p = key; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

static throttle_entry *throttle_find(const char *key, bool create, int64_t now)
{
	throttle_entry *oldest = NULL;
	uint32_t h = throttle_hash(key);
	for (int n = 0; n < 16; n++) {
		throttle_entry *e = &throttle[(h + (uint32_t)n) % THROTTLE_KEYS];
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

/* The slot of `key` in the accounts' table: its entry, or the empty slot where it goes. */
static throttle_entry *account_slot(throttle_entry *table, size_t cap, const char *key)
{
	for (size_t i = throttle_hash(key) & (cap - 1);; i = (i + 1) & (cap - 1))
		if (!table[i].key[0] || !strcmp(table[i].key, key))
			return &table[i];
}

/* Doubles the table (or starts it), keeping the entries that failed within the window. */
static int accounts_grow(int64_t now)
{
	size_t cap = accounts_cap ? accounts_cap * 2 : 256;
	throttle_entry *t = calloc(cap, sizeof *t);
	if (!t)
		return -1;
	size_t used = 0;
	for (size_t i = 0; i < accounts_cap; i++) {
		throttle_entry *e = &accounts[i];
		if (e->key[0] && now - e->last < AUTH_THROTTLE_WINDOW_MS) {
			*account_slot(t, cap, e->key) = *e;
			used++;
		}
	}
	free(accounts);
	accounts = t;
	accounts_cap = cap;
	accounts_used = used;
	return 0;
}

static throttle_entry *account_find(const char *key, bool create, int64_t now)
{
	if (!accounts_cap && !create)
		return NULL;
	if ((accounts_used + 1) * 4 > accounts_cap * 3 && create && accounts_grow(now))
		return NULL;
	throttle_entry *e = account_slot(accounts, accounts_cap, key);
	if (e->key[0] || !create)
		return e->key[0] ? e : NULL;
	snprintf(e->key, sizeof e->key, "%s", key);
	accounts_used++;
	return e;
}

static int64_t entry_wait(const throttle_entry *e, int64_t now)
{
	if (!e || e->count < AUTH_THROTTLE_LIMIT)
		return 0;
	int64_t oldest = e->fails[e->count % AUTH_THROTTLE_LIMIT];
	return now - oldest < AUTH_THROTTLE_WINDOW_MS ? AUTH_THROTTLE_WINDOW_MS - (now - oldest)
						      : 0;
}

static void entry_fail(throttle_entry *e, int64_t now)
{
	e->fails[e->count % AUTH_THROTTLE_LIMIT] = now;
	e->count++;
	e->last = now;
}

int64_t auth_throttle_check(const char *key, int64_t now)
{
	pthread_mutex_lock(&throttle_lock);
	int64_t wait = entry_wait(throttle_find(key, false, now), now);
	int64_t own = entry_wait(account_find(key, false, now), now);
	pthread_mutex_unlock(&throttle_lock);
	return own > wait ? own : wait;
}

void auth_throttle_fail(const char *key, int64_t now)
{
	pthread_mutex_lock(&throttle_lock);
	entry_fail(throttle_find(key, true, now), now);
	pthread_mutex_unlock(&throttle_lock);
}

void auth_throttle_fail_account(const char *key, int64_t now)
{
	pthread_mutex_lock(&throttle_lock);
	throttle_entry *e = account_find(key, true, now);
	/* Out of memory: the shared table still counts the failure. */
	entry_fail(e ? e : throttle_find(key, true, now), now);
	pthread_mutex_unlock(&throttle_lock);
}

void auth_throttle_reset(const char *key)
{
	pthread_mutex_lock(&throttle_lock);
	throttle_entry *e = throttle_find(key, false, 0);
	if (e)
		e->count = 0;
	if ((e = account_find(key, false, 0)))
		e->count = 0;
	pthread_mutex_unlock(&throttle_lock);
}
