/* Authentication and accounts: login (with the failed-login throttle), logout, signup, the
 * caller's own view, and user administration. Sessions are bearer tokens; the browser gets the
 * same token in an HttpOnly SameSite=Strict cookie plus a CSRF token derived from it. */
#include "api/api.h"
#include "core/auth.h"
#include "core/project_load.h"
#include "store/store_jobs.h"
#include "util/clock.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SESSION_DAYS 30

/* The CSRF token of a session: a digest of its token, so it can be recomputed from the cookie
 * and is worthless without it. */
static void csrf_of(const char *token, char out[AUTH_DIGEST_HEX])
{
	char salted[AUTH_TOKEN_LEN + 8];
	snprintf(salted, sizeof salted, "csrf:%s", token);
	auth_token_digest(salted, out);
}

int api_authenticate(http_request *r)
{
	app *a = api_app(r);
	const char *token = NULL;
	bool cookie = false;
	if (r->authorization) {
		if (strncasecmp(r->authorization, "Bearer ", 7))
			return http_fail(r, CL_EUNAUTH, NULL, "use an Authorization: Bearer token");
		token = r->authorization + 7;
	} else if (r->session_cookie) {
		token = r->session_cookie;
		cookie = true;
	} else {
		return http_fail(r, CL_EUNAUTH, NULL, "authentication required");
	}
	if (strlen(token) >= AUTH_TOKEN_LEN + 16)
		return http_fail(r, CL_EUNAUTH, NULL, "invalid or expired token");
	char digest[AUTH_DIGEST_HEX];
	auth_token_digest(token, digest);
	int64_t job_id = 0, owner = 0;
	if (!store_token_principal(a->db, digest, clock_now_ms(), &r->user)) {
		r->user.job_id = 0;
	} else if (!cookie && !store_run_token(a->db, digest, &job_id, &owner)) {
		/* A running job's own token: it logs into that run only (api_authorize). */
		memset(&r->user, 0, sizeof r->user);
		r->user.id = owner;
		r->user.job_id = job_id;
	} else {
		return http_fail(r, CL_EUNAUTH, NULL, "invalid or expired token");
	}
	if (cookie && strcmp(r->method, "GET") && strcmp(r->method, "HEAD")) {
		char csrf[AUTH_DIGEST_HEX];
		csrf_of(token, csrf);
		if (!r->csrf_header || !auth_equal(r->csrf_header, csrf))
			return http_fail(r, CL_EFORBIDDEN, "csrf", "missing or wrong X-CSRF-Token");
	}
	r->authed = true;
	r->via_cookie = cookie;
	return 0;
}

/* Makes a session for a user and answers {token, csrf_token, user} with the cookie. */
static int start_session(http_request *r, int64_t user_id, int status)
{
	app *a = api_app(r);
	char token[AUTH_TOKEN_LEN], digest[AUTH_DIGEST_HEX], csrf[AUTH_DIGEST_HEX],
		csrf_digest[AUTH_DIGEST_HEX];
	auth_token_new(token);
	auth_token_digest(token, digest);
	csrf_of(token, csrf);
	auth_token_digest(csrf, csrf_digest);
	int64_t expires = clock_now_ms() + (int64_t)SESSION_DAYS * 86400 * 1000;
	int rc = store_token_create(a->db, user_id, digest, csrf_digest, expires, &r->err);
	if (rc)
		return rc;
	json_t *user = store_user_get(a->db, user_id);
	http_json(r, status,
		  json_pack("{s:s,s:s,s:o}", "token", token, "csrf_token", csrf, "user",
			    user ? user : json_null()));
	char cookie[256];
	snprintf(cookie, sizeof cookie, "cl_session=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=%d%s",
		 token, SESSION_DAYS * 86400, a->secure_cookies ? "; Secure" : "");
	http_header(r, "Set-Cookie", cookie);
	return 0;
}

static int read_credentials(http_request *r, json_t **body, const char **username,
			    const char **password)
{
	int rc = http_body_json(r, body);
	*username = json_string_value(json_object_get(*body, "username"));
	*password = json_string_value(json_object_get(*body, "password"));
	return rc;
}

int api_auth_login(http_request *r)
{
	app *a = api_app(r);
	json_t *body = NULL;
	const char *username, *password;
	int rc = read_credentials(r, &body, &username, &password);
	if (rc)
		goto out;
	char ukey[96], akey[80];
	snprintf(ukey, sizeof ukey, "u:%.64s", username);
	snprintf(akey, sizeof akey, "a:%s", r->remote);
	int64_t now = clock_now_ms();
	int64_t wait = auth_throttle_check(ukey, now), addr_wait = auth_throttle_check(akey, now);
	if (wait || addr_wait) {
		rc = api_rate_limited(r, wait > addr_wait ? wait : addr_wait,
				      "too many failed logins; try again later");
		goto out;
	}
	int64_t id;
	bool is_admin;
	char hash[AUTH_HASH_LEN];
	bool ok;
	bool known = !store_user_credentials(a->db, username, &id, &is_admin, hash, sizeof hash);
	if (!known) {
		auth_password_verify_dummy(password);
		ok = false;
	} else {
		ok = auth_password_verify(hash, password);
	}
	if (!ok) {
		/* An account's lock is kept apart, where other names' failures cannot evict it. */
		if (known)
			auth_throttle_fail_account(ukey, now);
		else
			auth_throttle_fail(ukey, now);
		auth_throttle_fail(akey, now);
		rc = http_fail(r, CL_EUNAUTH, "bad_credentials", "wrong username or password");
		goto out;
	}
	auth_throttle_reset(ukey);
	rc = start_session(r, id, 200);
out:
	json_decref(body);
	return rc;
}

int api_auth_logout(http_request *r)
{
	int rc = store_token_revoke(api_app(r)->db, r->user.token_id, &r->err);
	if (rc)
		return rc;
	http_no_content(r);
	http_header(r, "Set-Cookie", "cl_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
	return 0;
}

/* Validates and creates a user; *id set. */
static int create_user(http_request *r, const char *username, const char *password, bool admin,
		       json_t **user)
{
	const char *problem = auth_username_problem(username);
	if (!problem)
		problem = auth_password_problem(password);
	if (problem)
		return http_fail(r, CL_EINVAL, "invalid_credentials", "%s", problem);
	char hash[AUTH_HASH_LEN];
	if (auth_password_hash(password, hash))
		return http_fail(r, CL_ENOMEM, NULL, "cannot hash the password");
	return store_user_create(api_app(r)->db, username, hash, admin, user, &r->err);
}

int api_auth_signup(http_request *r)
{
	if (!api_app(r)->allow_signup)
		return http_fail(r, CL_EFORBIDDEN, "signup_disabled",
				 "self-signup is turned off on this server");
	json_t *body = NULL, *user = NULL;
	const char *username, *password;
	int rc = read_credentials(r, &body, &username, &password);
	if (!rc)
		rc = create_user(r, username, password, false, &user);
	if (!rc)
		rc = start_session(r, json_integer_value(json_object_get(user, "id")), 201);
	json_decref(user);
	json_decref(body);
	return rc;
}

/* /me carries the first of the caller's orgs and projects; their lists page the rest. */
#define ME_LIST_MAX 1000

int api_me(http_request *r)
{
	app *a = api_app(r);
	json_t *me = store_user_get(a->db, r->user.id);
	if (!me)
		return http_fail(r, CL_EUNAUTH, NULL, "the account no longer exists");
	int64_t next;
	json_t *orgs = store_orgs_list(a->db, &r->user, 0, ME_LIST_MAX, false, &next);
	size_t i;
	json_t *o;
	json_array_foreach(orgs, i, o)
	{
		char role[16];
		store_org_role(a->db, json_integer_value(json_object_get(o, "id")), r->user.id, role);
		json_object_set_new(o, "role", json_string(role[0] ? role : "admin"));
	}
	json_object_set_new(me, "orgs", orgs);
	json_object_set_new(me, "projects",
			    store_my_projects(a->db, r->user.id, 0, ME_LIST_MAX, false,
					      project_row_json, &next));
	if (r->via_cookie && r->session_cookie) {
		char csrf[AUTH_DIGEST_HEX];
		csrf_of(r->session_cookie, csrf);
		json_object_set_new(me, "csrf_token", json_string(csrf));
	}
	http_json(r, 200, me);
	return 0;
}

/* The projects I work in, each as the Project answer shows it. */
static json_t *my_projects(db *d, int64_t user_id, int64_t cursor, int limit, bool desc,
			   int64_t *next)
{
	return store_my_projects(d, user_id, cursor, limit, desc, project_row_json, next);
}

int api_me_projects(http_request *r)
{
	return api_list_page(r, my_projects, r->user.id);
}

int api_users_create(http_request *r)
{
	json_t *body = NULL, *user = NULL;
	const char *username, *password;
	int rc = read_credentials(r, &body, &username, &password);
	if (!rc)
		rc = create_user(r, username, password,
				 json_is_true(json_object_get(body, "is_admin")), &user);
	if (!rc)
		http_json(r, 201, user);
	json_decref(body);
	return rc;
}

int api_users_list(http_request *r)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (rc)
		return rc;
	json_t *items = store_users_list(api_app(r)->db, cursor, limit, desc, &next);
	http_json_page(r, items, &next);
	return 0;
}
