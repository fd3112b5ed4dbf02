/* Serving endpoints' rules, without HTTP or SQL: an endpoint's name, its targets (what answers:
 * a built-in service such as "ocr", or a model directory with its runtime) with their traffic
 * split, its shadow target, and the limits of its keys. Checked before anything is stored. */
#ifndef CROWDLOOP_CORE_ENDPOINT_H
#define CROWDLOOP_CORE_ENDPOINT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

#define ENDPOINT_NAME_MAX 63
#define ENDPOINT_MAX_TARGETS 4
/* A key's requests per second: the default, and the range allowed. */
#define ENDPOINT_RATE_DEFAULT 10.0
#define ENDPOINT_RATE_MIN 0.01
#define ENDPOINT_RATE_MAX 100000.0
/* Requests a second a member of the org may make with a session (the web playground). */
#define ENDPOINT_SESSION_RATE 10.0
/* Predictions kept per endpoint: the default, and the most allowed. */
#define ENDPOINT_LOG_DEFAULT 10000
#define ENDPOINT_LOG_MAX 1000000
/* The most days a prediction log may be kept for (log_days; 0: no time limit). */
#define ENDPOINT_LOG_DAYS_MAX 3650
/* A custom model server's command and environment: the most strings, and the most bytes of one. */
#define ENDPOINT_SERVER_MAX_ARGS 64
#define ENDPOINT_SERVER_MAX_ENV 64
#define ENDPOINT_SERVER_MAX_TEXT 4096
/* The prefix of every endpoint key, so a key is told from a session token at a glance. */
#define ENDPOINT_KEY_PREFIX "clk_"

/* NULL when `name` is a good endpoint name (a lowercase letter, then up to 62 lowercase
 * letters, digits or '-': never all digits, so /endpoints/{name} and /endpoints/{id} differ),
 * else what is wrong with it. */
const char *endpoint_name_problem(const char *name);

/* Checks and completes an endpoint's targets and shadow (borrowed): each target is
 *   {"service":"ocr","options":{"languages":"kor+eng"},"weight":W} or
 *   {"service":"langid","weight":W} (fastText's lid.176.ftz, in the server's models folder),
 *   {"model_dir":"/abs/dir","runtime":"ocr_tesseract","model_version_id":N|null,"weight":W}
 *   (a registry version resolved by endpoint_target_resolve keeps "model" and "alias"), or a
 *   custom model server (core/model_servers.h) {"command":["argv",...,"{port}"],"env":{...},
 *   "model_name":"model","ready_timeout_s":60,"timeout_s":30,"model_dir":...|absent,
 *   "model_version_id":N|null,"weight":W} (its model directory optional, as a model's)
 * with weights (integers 0-100) summing to 100; a lone target's weight defaults to 100. The
 * shadow (may be NULL) is one target without a weight. A model_dir must lie under
 * `models_root` (when not NULL). *targets_out and *shadow_out (NULL when none) are new
 * references with every member spelled out. CL_EINVAL naming the problem. */
int endpoint_targets_check(const json_t *targets, const json_t *shadow, const char *models_root,
			   json_t **targets_out, json_t **shadow_out, cl_error *err);

/* Whether target `t` names a model registry version: {"model_version_id":N} or
 * {"model":"name","alias":"production"} (the alias defaults to production; a named model's
 * alias wins over a version id stored by an earlier resolution). */
bool endpoint_target_names_version(const json_t *t, int64_t *version_id, const char **model,
				   const char **alias);
/* Target `t` (borrowed) completed with the registry version the store found (its id and
 * artifact directory): model_dir, runtime (read from its model.json) and model_version_id, into
 * *out (new). CL_EINVAL "target_unavailable" when the directory holds no model.json. Only
 * these directories escape the models root: they were read from the store, not the caller. */
int endpoint_target_resolve(const json_t *t, int64_t version_id, const char *dir, json_t **out,
			    cl_error *err);

/* Whether a checked target is a custom model server ({"command":[...]}). */
bool endpoint_target_is_server(const json_t *target);
/* Who may deploy custom model servers among targets and shadow: with `allow_custom` (the
 * server's --allow-custom-jobs, as custom training jobs) and by an org owner or engineer.
 * CL_EFORBIDDEN "custom_jobs_disabled" or "forbidden"; 0 when none is a model server. */
int endpoint_servers_allowed(const json_t *targets, const json_t *shadow, bool allow_custom,
			     const char *org_role, cl_error *err);

/* What identifies a checked target's loaded model, as the prediction log names it:
 * "ocr:kor+eng", "model:/dir", "model:v<registry version id>:/dir",
 * "server:<SHA-256 of the target less its weight>". */
void endpoint_target_key(const json_t *target, char *out, size_t size);

/* The kind of labeling (model.json's "kind": "text_class", ...) the first of checked targets
 * answers, into out; false for a built-in service or a model without one. */
bool endpoint_model_kind(const json_t *targets, char *out, size_t size);

/* Checks a key's rate (requests per second). */
int endpoint_rate_check(double rate, cl_error *err);

#endif
