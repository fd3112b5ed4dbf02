/* Endpoint rules (core/endpoint.h): names, targets and their split, key rates. */
#include "core/endpoint.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "ml/runtime.h"

/* The built-in services a fresh install serves, by name. */
static const char *const services[] = {"ocr", "langid", NULL};

const char *endpoint_name_problem(const char *name)
{
	size_t n = strlen(name);
	if (!n || n > ENDPOINT_NAME_MAX)
		return "an endpoint name has 1 to 63 characters";
	if (name[0] < 'a' || name[0] > 'z')
		return "an endpoint name starts with a lowercase letter";
	for (size_t i = 1; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') || (name[i] >= '0' && name[i] <= '9') ||
		      name[i] == '-'))
			return "an endpoint name holds lowercase letters, digits and '-'";
	return NULL;
}

static bool known_service(const char *s)
{
	for (const char *const *p = services; *p; p++)
		if (!strcmp(*p, s))
			return true;
	return false;
}

/* {"languages":"Hangul"}: the OCR service's options, with the default spelled out. Hangul is
 * Tesseract's script model (Hangul and Latin in one network): a line is read once, where
 * "kor+eng" reads a doubtful line again with the other language. */
static int ocr_options_check(const json_t *opt, json_t **out, cl_error *err)
{
	const json_t *lang = json_object_get(opt, "languages");
	if (opt && (!json_is_object(opt) || json_object_size(opt) > (lang ? 1u : 0u)))
		return cl_fail(err, CL_EINVAL, NULL, "the ocr service takes only \"languages\"");
	const char *l = lang ? json_string_value(lang) : "Hangul";
	static const char *const allowed[] = {"Hangul", "kor+eng", "eng+kor", "kor", "eng", NULL};
	for (const char *const *a = allowed; l && *a; a++)
		if (!strcmp(*a, l)) {
			*out = json_pack("{s:s}", "languages", l);
			return 0;
		}
	return cl_fail(err, CL_EINVAL, NULL, "\"languages\" is one of Hangul, kor+eng, eng+kor, kor, eng");
}

static int service_check(const json_t *t, json_t *out, cl_error *err)
{
	const char *s = json_string_value(json_object_get(t, "service"));
	if (!s || !known_service(s))
		return cl_fail(err, CL_EINVAL, NULL, "\"service\" is one of: ocr, langid");
	json_t *opt = NULL;
	const json_t *given = json_object_get(t, "options");
	int rc = 0;
	if (!strcmp(s, "ocr"))
		rc = ocr_options_check(given, &opt, err);
	else if (given && !(json_is_object(given) && !json_object_size(given)))
		rc = cl_fail(err, CL_EINVAL, NULL, "the %s service takes no options", s);
	else
		opt = json_object();
	if (!rc) {
		json_object_set_new(out, "service", json_string(s));
		json_object_set_new(out, "options", opt);
	}
	return rc;
}

static bool under(const char *dir, const char *root)
{
	size_t n = strlen(root);
	return !strncmp(dir, root, n) && (dir[n] == '/' || (n && root[n - 1] == '/'));
}

static int model_check(const json_t *t, const char *models_root, json_t *out, cl_error *err)
{
	const char *dir = json_string_value(json_object_get(t, "model_dir"));
	const char *runtime = json_string_value(json_object_get(t, "runtime"));
	const json_t *version = json_object_get(t, "model_version_id");
	if (!dir || dir[0] != '/' || strstr(dir, "/..") || strlen(dir) > 1024)
		return cl_fail(err, CL_EINVAL, NULL, "\"model_dir\" is an absolute path");
	bool registry = version && json_is_integer(version);
	/* A registry version's directory was read from the store (endpoint_target_resolve), not
	 * from the caller. */
	if (models_root && !registry && !under(dir, models_root))
		return cl_fail(err, CL_EINVAL, NULL, "\"model_dir\" must lie under %s",
			       models_root);
	if (!runtime || !ml_runtime_find(runtime))
		return cl_fail(err, CL_EINVAL, NULL, "\"runtime\" names no model runtime");
	if (version && !json_is_null(version) &&
	    (!json_is_integer(version) || json_integer_value(version) <= 0))
		return cl_fail(err, CL_EINVAL, NULL,
			       "\"model_version_id\" is a positive id or null");
	json_object_set_new(out, "model_dir", json_string(dir));
	json_object_set_new(out, "runtime", json_string(runtime));
	json_object_set(out, "model_version_id", version ? (json_t *)version : json_null());
	static const char *const names[] = {"model", "alias", NULL};
	for (const char *const *n = names; registry && *n; n++)
		if (json_is_string(json_object_get(t, *n)))
			json_object_set(out, *n, json_object_get(t, *n));
	return 0;
}

/* ---- custom model servers ---- */

static int command_check(const json_t *cmd, cl_error *err)
{
	size_t n = json_array_size(cmd), i;
	json_t *a;
	if (!json_is_array(cmd) || !n || n > ENDPOINT_SERVER_MAX_ARGS)
		return cl_fail(err, CL_EINVAL, NULL, "\"command\" is an array of 1 to %d strings",
			       ENDPOINT_SERVER_MAX_ARGS);
	json_array_foreach(cmd, i, a)
	{
		if (!json_is_string(a) || (!i && !json_string_length(a)) ||
		    strlen(json_string_value(a)) != json_string_length(a) ||
		    json_string_length(a) > ENDPOINT_SERVER_MAX_TEXT)
			return cl_fail(err, CL_EINVAL, NULL,
				       "command[%zu] is a string of up to %d bytes without NUL", i,
				       ENDPOINT_SERVER_MAX_TEXT);
	}
	return 0;
}

static bool env_name_ok(const char *k)
{
	if (!*k || (*k >= '0' && *k <= '9') || !strcmp(k, "PORT") || !strcmp(k, "MODEL_DIR"))
		return false;
	for (; *k; k++)
		if (!((*k >= 'A' && *k <= 'Z') || (*k >= 'a' && *k <= 'z') ||
		      (*k >= '0' && *k <= '9') || *k == '_'))
			return false;
	return strlen(k) <= 128;
}

static int env_check(const json_t *env, cl_error *err)
{
	const char *k;
	json_t *v;
	if (env && (!json_is_object(env) || json_object_size(env) > ENDPOINT_SERVER_MAX_ENV))
		return cl_fail(err, CL_EINVAL, NULL, "\"env\" is an object of up to %d strings",
			       ENDPOINT_SERVER_MAX_ENV);
	json_object_foreach((json_t *)env, k, v)
	{
		if (!env_name_ok(k))
			return cl_fail(err, CL_EINVAL, NULL,
				       "\"env\" names variables of letters, digits and '_' "
				       "(PORT and MODEL_DIR are the server's), not \"%.64s\"",
				       k);
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    json_string_length(v) > ENDPOINT_SERVER_MAX_TEXT)
			return cl_fail(err, CL_EINVAL, NULL,
				       "env.%.64s is a string of up to %d bytes without NUL", k,
				       ENDPOINT_SERVER_MAX_TEXT);
	}
	return 0;
}

/* The name the server answers under in /v2/models/{name}/infer: a URL path segment. */
static int model_name_check(const json_t *name, cl_error *err)
{
	const char *s = json_string_value(name);
	size_t n = s ? strlen(s) : 0;
	bool ok = name ? s && n && n <= 64 : true;
	for (size_t i = 0; ok && i < n; i++)
		ok = (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		     (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' || s[i] == '.';
	return ok ? 0
		  : cl_fail(err, CL_EINVAL, NULL,
			    "\"model_name\" has 1 to 64 letters, digits, '-', '_' or '.'");
}

/* An integer member from 1 to max, with its default, into out. */
static int seconds_check(const json_t *t, const char *name, int def, int max, json_t *out,
			 cl_error *err)
{
	const json_t *v = json_object_get(t, name);
	if (v && (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > max))
		return cl_fail(err, CL_EINVAL, NULL, "\"%s\" is from 1 to %d seconds", name, max);
	json_object_set_new(out, name, json_integer(v ? json_integer_value(v) : def));
	return 0;
}

/* A model server's optional model directory: under the models root, or a registry version's. */
static int server_dir_check(const json_t *t, const char *models_root, json_t *out, cl_error *err)
{
	const char *dir = json_string_value(json_object_get(t, "model_dir"));
	const json_t *version = json_object_get(t, "model_version_id");
	if (!json_object_get(t, "model_dir"))
		return version && !json_is_null(version)
			   ? cl_fail(err, CL_EINVAL, NULL,
				     "a model server's registry version is resolved by the server")
			   : 0;
	if (!dir || dir[0] != '/' || strstr(dir, "/..") || strlen(dir) > 1024)
		return cl_fail(err, CL_EINVAL, NULL, "\"model_dir\" is an absolute path");
	bool registry = json_is_integer(version) && json_integer_value(version) > 0;
	if (models_root && !registry && !under(dir, models_root))
		return cl_fail(err, CL_EINVAL, NULL, "\"model_dir\" must lie under %s",
			       models_root);
	json_object_set_new(out, "model_dir", json_string(dir));
	json_object_set(out, "model_version_id", version ? (json_t *)version : json_null());
	static const char *const names[] = {"model", "alias", NULL};
	for (const char *const *n = names; registry && *n; n++)
		if (json_is_string(json_object_get(t, *n)))
			json_object_set(out, *n, json_object_get(t, *n));
	return 0;
}

static int server_check(const json_t *t, const char *models_root, json_t *out, cl_error *err)
{
	const json_t *env = json_object_get(t, "env");
	const json_t *name = json_object_get(t, "model_name");
	if (json_object_get(t, "runtime") || json_object_get(t, "options"))
		return cl_fail(err, CL_EINVAL, NULL,
			       "a model server's target takes no \"runtime\" or \"options\"");
	int rc = command_check(json_object_get(t, "command"), err);
	if (!rc)
		rc = env_check(env, err);
	if (!rc)
		rc = model_name_check(name, err);
	if (!rc)
		rc = seconds_check(t, "ready_timeout_s", 60, 600, out, err);
	if (!rc)
		rc = seconds_check(t, "timeout_s", 30, 300, out, err);
	if (!rc)
		rc = server_dir_check(t, models_root, out, err);
	if (rc)
		return rc;
	json_object_set(out, "command", json_object_get(t, "command"));
	json_object_set_new(out, "env", env ? json_deep_copy(env) : json_object());
	json_object_set_new(out, "model_name",
			    json_string(name ? json_string_value(name) : "model"));
	return 0;
}

bool endpoint_target_is_server(const json_t *target)
{
	return json_object_get(target, "command") != NULL;
}

static bool has_server(const json_t *targets, const json_t *shadow)
{
	for (size_t i = 0; i < json_array_size(targets); i++)
		if (endpoint_target_is_server(json_array_get(targets, i)))
			return true;
	return shadow && endpoint_target_is_server(shadow);
}

int endpoint_servers_allowed(const json_t *targets, const json_t *shadow, bool allow_custom,
			     const char *org_role, cl_error *err)
{
	if (!has_server(targets, shadow))
		return 0;
	if (!allow_custom)
		return cl_fail(err, CL_EFORBIDDEN, "custom_jobs_disabled",
			       "this server does not run custom model servers "
			       "(--allow-custom-jobs)");
	if (!org_role || (strcmp(org_role, "owner") && strcmp(org_role, "engineer")))
		return cl_fail(err, CL_EFORBIDDEN, NULL,
			       "only the org's owners and engineers may deploy a model server");
	return 0;
}

/* "server:" and the SHA-256 of the target's JSON less its weight: two endpoints with the same
 * command, environment and model share one process. */
static void server_key(const json_t *target, char *out, size_t size)
{
	json_t *copy = json_deep_copy(target);
	json_object_del(copy, "weight");
	char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	crypto_hash_sha256(d, (const unsigned char *)(text ? text : ""), text ? strlen(text) : 0);
	sodium_bin2hex(hex, sizeof hex, d, sizeof d);
	snprintf(out, size, "server:%s", hex);
	free(text);
	json_decref(copy);
}

/* One target, into a new object; its weight is left to the caller. */
static int target_check(const json_t *t, const char *models_root, json_t **out, cl_error *err)
{
	if (!json_is_object(t))
		return cl_fail(err, CL_EINVAL, NULL, "a target is an object");
	bool service = json_object_get(t, "service") != NULL;
	bool server = json_object_get(t, "command") != NULL;
	bool model = !server && json_object_get(t, "model_dir") != NULL;
	if (service + server + model != 1)
		return cl_fail(err, CL_EINVAL, NULL,
			       "a target names either a \"service\", a \"model_dir\" or a "
			       "\"command\"");
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)t, key, v)
	{
		static const char *const members[] = {
		    "service",	  "options",	     "model_dir", "runtime", "model_version_id",
		    "model",	  "alias",	     "weight",	  "command", "env",
		    "model_name", "ready_timeout_s", "timeout_s", NULL};
		bool ok = false;
		for (const char *const *m = members; *m && !ok; m++)
			ok = !strcmp(*m, key);
		if (!ok)
			return cl_fail(err, CL_EINVAL, NULL, "a target has no member \"%.64s\"",
				       key);
	}
	*out = json_object();
	int rc = service  ? service_check(t, *out, err)
		 : server ? server_check(t, models_root, *out, err)
			  : model_check(t, models_root, *out, err);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int weight_of(const json_t *t, size_t n, int *w, cl_error *err)
{
	const json_t *jw = json_object_get(t, "weight");
	if (!jw && n == 1) {
		*w = 100;
		return 0;
	}
	if (!json_is_integer(jw) || json_integer_value(jw) < 0 || json_integer_value(jw) > 100)
		return cl_fail(err, CL_EINVAL, NULL,
			       "each target's \"weight\" is an integer from 0 to 100");
	*w = (int)json_integer_value(jw);
	return 0;
}

static int split_check(const json_t *targets, const char *models_root, json_t **out, cl_error *err)
{
	size_t n = json_array_size(targets);
	if (!json_is_array(targets) || !n || n > ENDPOINT_MAX_TARGETS)
		return cl_fail(err, CL_EINVAL, NULL, "\"targets\" is an array of 1 to %d targets",
			       ENDPOINT_MAX_TARGETS);
	*out = json_array();
	int sum = 0, rc = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		const json_t *t = json_array_get(targets, i);
		json_t *c = NULL;
		int w = 0;
		rc = target_check(t, models_root, &c, err);
		if (!rc && !(rc = weight_of(t, n, &w, err))) {
			json_object_set_new(c, "weight", json_integer(w));
			sum += w;
		}
		if (c)
			json_array_append_new(*out, c);
	}
	if (!rc && sum != 100)
		rc = cl_fail(err, CL_EINVAL, NULL, "the targets' weights sum to %d, not 100", sum);
	if (rc) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int endpoint_targets_check(const json_t *targets, const json_t *shadow, const char *models_root,
			   json_t **targets_out, json_t **shadow_out, cl_error *err)
{
	*targets_out = *shadow_out = NULL;
	int rc = split_check(targets, models_root, targets_out, err);
	if (rc || !shadow || json_is_null(shadow))
		return rc;
	if (json_object_get(shadow, "weight"))
		rc = cl_fail(err, CL_EINVAL, NULL, "the shadow target takes no \"weight\"");
	if (!rc)
		rc = target_check(shadow, models_root, shadow_out, err);
	if (rc) {
		json_decref(*targets_out);
		*targets_out = NULL;
	}
	return rc;
}

void endpoint_target_key(const json_t *target, char *out, size_t size)
{
	const char *service = json_string_value(json_object_get(target, "service"));
	if (endpoint_target_is_server(target))
		server_key(target, out, size);
	else if (service && strcmp(service, "ocr"))
		snprintf(out, size, "%s", service);
	else if (service)
		snprintf(out, size, "%s:%s", service,
			 json_string_value(
			     json_object_get(json_object_get(target, "options"), "languages")));
	else if (json_integer_value(json_object_get(target, "model_version_id")) > 0)
		/* The registry version first: the log names it, and a long folder cut to fit still
		 * leaves the key whole. */
		snprintf(out, size, "model:v%lld:%s",
			 (long long)json_integer_value(json_object_get(target, "model_version_id")),
			 json_string_value(json_object_get(target, "model_dir")));
	else
		snprintf(out, size, "model:%s",
			 json_string_value(json_object_get(target, "model_dir")));
}

int endpoint_rate_check(double rate, cl_error *err)
{
	if (!(rate >= ENDPOINT_RATE_MIN && rate <= ENDPOINT_RATE_MAX))
		return cl_fail(err, CL_EINVAL, NULL,
			       "\"rate_limit\" is from %g to %g requests a second",
			       ENDPOINT_RATE_MIN, ENDPOINT_RATE_MAX);
	return 0;
}

bool endpoint_target_names_version(const json_t *t, int64_t *version_id, const char **model,
				   const char **alias)
{
	const json_t *v = json_object_get(t, "model_version_id");
	*version_id = json_is_integer(v) ? json_integer_value(v) : 0;
	*model = json_string_value(json_object_get(t, "model"));
	*alias = json_string_value(json_object_get(t, "alias"));
	if (*model && !*alias)
		*alias = "production";
	/* An alias is resolved anew on each change: the version id it pointed at goes. */
	if (*model)
		*version_id = 0;
	return *version_id > 0 || *model;
}

int endpoint_target_resolve(const json_t *t, int64_t version_id, const char *dir, json_t **out,
			    cl_error *err)
{
	if (endpoint_target_is_server(t)) {
		/* A model server reads its version's files itself: no model.json is needed. */
		*out = json_deep_copy(t);
		json_object_set_new(*out, "model_dir", json_string(dir));
		json_object_set_new(*out, "model_version_id", json_integer(version_id));
		return 0;
	}
	json_t *meta = ml_model_meta(dir, NULL, err);
	const char *runtime = json_string_value(json_object_get(meta, "runtime"));
	if (!runtime) {
		json_decref(meta);
		return cl_fail(err, CL_EINVAL, "target_unavailable",
			       "model version %lld has no model.json naming its runtime",
			       (long long)version_id);
	}
	*out = json_deep_copy(t);
	json_object_set_new(*out, "model_dir", json_string(dir));
	json_object_set_new(*out, "runtime", json_string(runtime));
	json_object_set_new(*out, "model_version_id", json_integer(version_id));
	json_decref(meta);
	return 0;
}

bool endpoint_model_kind(const json_t *targets, char *out, size_t size)
{
	/* The OCR service reads lines: an image_transcription project's answers; the language-id
	 * service names a text's language: a text_class project's, its labels the languages. */
	const char *service =
	    json_string_value(json_object_get(json_array_get(targets, 0), "service"));
	if (service) {
		snprintf(out, size, "%s", !strcmp(service, "ocr") ? "image_transcription" : "text_class");
		return true;
	}
	const char *dir =
	    json_string_value(json_object_get(json_array_get(targets, 0), "model_dir"));
	cl_error err = {0};
	json_t *meta = dir ? ml_model_meta(dir, NULL, &err) : NULL;
	const char *kind = json_string_value(json_object_get(meta, "kind"));
	if (kind)
		snprintf(out, size, "%s", kind);
	json_decref(meta);
	return kind != NULL;
}
