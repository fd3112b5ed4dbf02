/* Serving endpoints, managed by their org's owners and engineers: deploy (the targets load
 * before the endpoint is stored, so a target that cannot load answers 400 and nothing
 * changes), list, describe, change (a new revision's models load beside the old ones and are
 * swapped in once loaded), delete; API keys (stored hashed, shown once), usage per key and day,
 * and the prediction log. Calling an endpoint is api_inference.c's. */
#include "api/api.h"
#include "core/auth.h"
#include "core/endpoint.h"
#include "core/prediction_loop.h"
#include "core/project_load.h"
#include "core/serving.h"
#include "store/store_endpoints.h"
#include "store/store_jobs.h"
#include "store/store_projects.h"
#include "util/clock.h"
#include "util/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_NAME_MAX 100
#define USAGE_DAYS_DEFAULT 30
#define USAGE_DAYS_MAX 366

/* Where a model directory an endpoint serves may lie: the server's own models. */
static void models_root(http_request *r, char *out, size_t size)
{
	snprintf(out, size, "%s/models", api_app(r)->data_dir);
}

/* The plain fields of a create or change body (name, state, log_limit, log_days), into *f. */
static int plain_fields(http_request *r, const json_t *body, endpoint_fields *f)
{
	const char *problem = f->name ? endpoint_name_problem(f->name) : NULL;
	if (problem)
		return http_fail(r, CL_EINVAL, NULL, "%s", problem);
	f->state = json_string_value(json_object_get(body, "state"));
	if (f->state && strcmp(f->state, "active") && strcmp(f->state, "paused"))
		return http_fail(r, CL_EINVAL, NULL, "\"state\" is active or paused");
	const json_t *lim = json_object_get(body, "log_limit");
	f->log_limit = lim ? json_integer_value(lim) : 0;
	if (lim && (f->log_limit < 1 || f->log_limit > ENDPOINT_LOG_MAX))
		return http_fail(r, CL_EINVAL, NULL, "\"log_limit\" is from 1 to %d",
				 ENDPOINT_LOG_MAX);
	const json_t *days = json_object_get(body, "log_days");
	f->log_days = json_is_null(days) ? -1 : days ? json_integer_value(days) : 0;
	if (days && !json_is_null(days) && (f->log_days < 1 || f->log_days > ENDPOINT_LOG_DAYS_MAX))
		return http_fail(r, CL_EINVAL, NULL, "\"log_days\" is from 1 to %d, or null",
				 ENDPOINT_LOG_DAYS_MAX);
	return 0;
}

/* One target with the registry version it names, of the endpoint's org, resolved into *out
 * (new); other targets as they are. 404 for a version the org does not have. */
static int target_resolve(http_request *r, int64_t org_id, const json_t *t, json_t **out)
{
	int64_t version_id, id = 0;
	const char *model, *alias;
	char dir[1100];
	if (!endpoint_target_names_version(t, &version_id, &model, &alias)) {
		*out = json_incref((json_t *)t);
		return 0;
	}
	if (!store_model_version_find(api_app(r)->db, org_id, version_id, model, alias, &id, dir,
				      sizeof dir))
		return model ? http_fail(r, CL_ENOTFOUND, "model_version_not_found",
					 "model %.64s has no alias %.64s", model, alias)
			     : http_fail(r, CL_ENOTFOUND, "model_version_not_found",
					 "model version %lld not found", (long long)version_id);
	return endpoint_target_resolve(t, id, dir, out, &r->err);
}

/* Targets (an array) and shadow with their registry versions resolved: new references. */
static int targets_resolve(http_request *r, int64_t org, const json_t *targets,
			   const json_t *shadow, json_t **targets_out, json_t **shadow_out)
{
	int rc = 0;
	*shadow_out = NULL;
	*targets_out = json_is_array(targets) ? json_array() : json_incref((json_t *)targets);
	for (size_t i = 0; !rc && json_is_array(targets) && i < json_array_size(targets); i++) {
		json_t *t = NULL;
		rc = target_resolve(r, org, json_array_get(targets, i), &t);
		if (!rc)
			json_array_append_new(*targets_out, t);
	}
	if (!rc && shadow && json_is_object(shadow))
		rc = target_resolve(r, org, shadow, shadow_out);
	else if (!rc && shadow)
		*shadow_out = json_incref((json_t *)shadow);
	return rc;
}

/* Checks targets and shadow and loads them: *targets, *shadow (new references) and *d; a model
 * server among them only for `org_role` an owner or engineer. */
static int targets_load(http_request *r, int64_t org, const char *org_role, const json_t *given,
			const json_t *given_shadow, json_t **targets_out, json_t **shadow_out,
			serving_deployment **d)
{
	char root[2100];
	models_root(r, root, sizeof root);
	*d = NULL;
	json_t *targets = NULL, *shadow = NULL;
	int rc = targets_resolve(r, org, given, given_shadow, &targets, &shadow);
	if (!rc)
		rc =
		    endpoint_targets_check(targets, shadow, root, targets_out, shadow_out, &r->err);
	json_decref(targets);
	json_decref(shadow);
	if (!rc)
		rc = endpoint_servers_allowed(*targets_out, *shadow_out,
					      api_app(r)->runs.allow_custom, org_role, &r->err);
	cl_error load = {0};
	if (!rc && (rc = serving_load(api_app(r)->serving, *targets_out, *shadow_out, d, &load)))
		rc = http_fail(r, CL_EINVAL, "target_unavailable", "a target does not load: %s",
			       load.message);
	return rc;
}

int api_targets_load(http_request *r, int64_t org, const json_t *given,
		     const json_t *given_shadow, json_t **targets_out, json_t **shadow_out,
		     serving_deployment **d)
{
	/* Without a caller's scope this is the server's own refresh (an alias moved by the
	 * pipeline) of what an owner or engineer deployed: the server's switch still holds. */
	const api_scope *scope = api_scope_of(r);
	return targets_load(r, org, scope ? scope->org_role : "owner", given, given_shadow,
			    targets_out, shadow_out, d);
}

/* "feedback" (the loop's project and threshold, or null to stop it; NULL: unchanged) into *f,
 * checked against the project and the kind of model `targets` serve. */
static int feedback_fields(http_request *r, int64_t org, const json_t *fb, const json_t *targets,
			   endpoint_fields *f)
{
	if (!fb)
		return 0;
	f->feedback_given = true;
	if (json_is_null(fb))
		return 0;
	project p = {0};
	int64_t id = json_integer_value(json_object_get(fb, "project_id"));
	bool found = id > 0 && !project_get(&api_app(r)->store, id, &p);
	char kind[64];
	bool model = endpoint_model_kind(targets, kind, sizeof kind);
	loop_settings ls = {0};
	int rc = loop_settings_check(fb, found ? &p : NULL, org, model ? kind : NULL, &ls, &r->err);
	f->feedback_project_id = ls.project_id;
	f->feedback_threshold = ls.threshold;
	f->feedback_daily_cap = ls.daily_cap;
	f->feedback_canary_share = ls.canary_share;
	f->feedback_image_budget = ls.image_budget_kb * 1024;
	f->feedback_image_days = ls.image_days;
	if (found)
		project_release(&p);
	return rc;
}

/* An endpoint's answer `e` (borrowed) with, when it serves custom model servers, "servers": each
 * one's process as now ({"target": index or "shadow", "state", "pid", "port", "restarts",
 * "log"}). A new reference. */
static json_t *with_servers(http_request *r, json_t *e)
{
	json_t *out = json_deep_copy(e), *list = json_array(), *t;
	size_t i;
	json_array_foreach(json_object_get(e, "targets"), i, t)
	{
		json_t *st = serving_server_status(api_app(r)->serving, t);
		if (st)
			json_object_set_new(st, "target", json_integer((json_int_t)i));
		if (st)
			json_array_append_new(list, st);
	}
	json_t *sh = serving_server_status(api_app(r)->serving, json_object_get(e, "shadow"));
	if (sh) {
		json_object_set_new(sh, "target", json_string("shadow"));
		json_array_append_new(list, sh);
	}
	if (json_array_size(list))
		json_object_set(out, "servers", list);
	json_decref(list);
	return out;
}

int api_endpoints_create(http_request *r)
{
	json_t *body = NULL, *out = NULL, *targets = NULL, *shadow = NULL;
	serving_deployment *d = NULL;
	int rc = http_body_json(r, &body);
	endpoint_fields f = {.name = json_string_value(json_object_get(body, "name"))};
	if (!rc)
		rc = plain_fields(r, body, &f);
	if (!rc)
		rc = api_targets_load(r, r->ids[0], json_object_get(body, "targets"),
				  json_object_get(body, "shadow"), &targets, &shadow, &d);
	if (!rc)
		rc = feedback_fields(r, r->ids[0], json_object_get(body, "feedback"), targets, &f);
	if (!rc) {
		f.targets = targets;
		f.shadow = shadow;
		if (!f.log_limit)
			f.log_limit = ENDPOINT_LOG_DEFAULT;
		rc =
		    store_endpoint_create(api_app(r)->db, r->ids[0], r->user.id, &f, &out, &r->err);
	}
	if (!rc) {
		serving_install(api_app(r)->serving, json_integer_value(json_object_get(out, "id")),
				json_integer_value(json_object_get(out, "revision")), d);
		d = NULL;
		http_json(r, 201, with_servers(r, out));
		json_decref(out);
	}
	serving_release(d);
	json_decref(targets);
	json_decref(shadow);
	json_decref(body);
	return rc;
}

int api_endpoints_list(http_request *r)
{
	return api_list_page(r, store_endpoints_list, r->ids[0]);
}

int api_endpoints_get(http_request *r)
{
	http_json(r, 200, with_servers(r, api_scope_of(r)->object));
	return 0;
}

/* The new targets and shadow of a change, each the current one when the body leaves it out. */
static int patch_targets(http_request *r, const json_t *body, json_t **targets, json_t **shadow,
			 serving_deployment **d)
{
	const json_t *cur = api_scope_of(r)->object;
	const json_t *t = json_object_get(body, "targets");
	const json_t *sh = json_object_get(body, "shadow");
	if (!t && !sh)
		return 0;
	return api_targets_load(r, api_scope_of(r)->org_id, t ? t : json_object_get(cur, "targets"),
			    sh ? sh : json_object_get(cur, "shadow"), targets, shadow, d);
}

/* A change's feedback: the body's, or, when the targets change, the current one checked again
 * against the model they serve now. */
static int patch_feedback(http_request *r, const json_t *body, const json_t *targets,
			  endpoint_fields *f)
{
	const json_t *cur = api_scope_of(r)->object;
	const json_t *fb = json_object_get(body, "feedback");
	const json_t *kept = json_object_get(cur, "feedback");
	if (!fb && targets && json_is_object(kept))
		fb = kept;
	return feedback_fields(r, api_scope_of(r)->org_id, fb,
			       targets ? targets : json_object_get(cur, "targets"), f);
}

int api_endpoints_patch(http_request *r)
{
	json_t *body = NULL, *out = NULL, *targets = NULL, *shadow = NULL;
	serving_deployment *d = NULL;
	int rc = http_body_json(r, &body);
	endpoint_fields f = {.name = json_string_value(json_object_get(body, "name"))};
	if (!rc)
		rc = plain_fields(r, body, &f);
	if (!rc)
		rc = patch_targets(r, body, &targets, &shadow, &d);
	if (!rc)
		rc = patch_feedback(r, body, targets, &f);
	/* New model servers take the traffic only once ready: the old targets answer meanwhile. */
	if (!rc && d)
		rc = serving_wait_ready(d, &r->err);
	if (!rc) {
		f.targets = targets;
		/* A change of targets stores the shadow too: json null when there is none. */
		f.shadow = targets ? (shadow ? shadow : json_null()) : NULL;
		rc = store_endpoint_update(api_app(r)->db, r->ids[0], &f, &out, &r->err);
	}
	if (!rc && d) {
		serving_install(api_app(r)->serving, r->ids[0],
				json_integer_value(json_object_get(out, "revision")), d);
		d = NULL;
	}
	if (!rc)
		http_json(r, 200, with_servers(r, out));
	json_decref(out);
	serving_release(d);
	json_decref(targets);
	json_decref(shadow);
	json_decref(body);
	return rc;
}

/* Endpoint `id` re-deployed with its targets resolved anew, when that changes them: the new
 * revision loads first and is swapped in, as a PATCH does. */
static int endpoint_refresh(http_request *r, int64_t org, int64_t id)
{
	endpoint_row e = {0};
	json_t *targets = NULL, *shadow = NULL, *out = NULL;
	serving_deployment *d = NULL;
	int rc = store_endpoint_row(api_app(r)->db, id, &e);
	if (!rc)
		/* Whoever moved the alias, the endpoint's model servers were deployed by one of its
		 * org's owners or engineers: a new version of the same targets needs no more. */
		rc = targets_load(r, org, "engineer", e.targets, e.shadow, &targets, &shadow, &d);
	bool same = !rc && json_equal(targets, e.targets) &&
		    (shadow ? json_equal(shadow, e.shadow) : !e.shadow);
	if (!rc && !same)
		rc = serving_wait_ready(d, &r->err);
	endpoint_fields f = {.targets = targets, .shadow = shadow ? shadow : json_null()};
	if (!rc && !same)
		rc = store_endpoint_update(api_app(r)->db, id, &f, &out, &r->err);
	if (!rc && !same) {
		serving_install(api_app(r)->serving, id,
				json_integer_value(json_object_get(out, "revision")), d);
		d = NULL;
	}
	serving_release(d);
	json_decref(out);
	json_decref(targets);
	json_decref(shadow);
	endpoint_row_release(&e);
	return rc;
}

void api_endpoints_follow_model(http_request *r, int64_t org, const char *model)
{
	char needle[128];
	snprintf(needle, sizeof needle, "\"model\":\"%s\"", model);
	json_t *ids = store_endpoints_holding(api_app(r)->db, org, needle), *id;
	size_t i;
	cl_error kept = r->err;
	json_array_foreach(ids, i, id) if (endpoint_refresh(r, org, json_integer_value(id)))
	    log_warn("msg=\"an endpoint does not follow its alias\" endpoint=%lld "
		     "reason=\"%s\"",
		     (long long)json_integer_value(id), r->err.message);
	r->err = kept;
	json_decref(ids);
}

int api_endpoints_delete(http_request *r)
{
	int rc = store_endpoint_delete(api_app(r)->db, r->ids[0], api_app(r)->data_dir, &r->err);
	if (!rc) {
		serving_forget(api_app(r)->serving, r->ids[0]);
		http_no_content(r);
	}
	return rc;
}

void api_endpoints_start_servers(app *a)
{
	json_t *ids = store_endpoints_with_servers(a->db), *id;
	size_t i;
	json_array_foreach(ids, i, id)
	{
		endpoint_row e = {0};
		serving_deployment *d = NULL;
		cl_error err = {0};
		if (!store_endpoint_row(a->db, json_integer_value(id), &e) &&
		    serving_acquire(a->serving, e.id, e.revision, e.targets, e.shadow, &d, &err))
			log_warn("msg=\"an endpoint's model servers do not start\" endpoint=%lld "
				 "reason=\"%s\"",
				 (long long)e.id, err.message);
		serving_release(d);
		endpoint_row_release(&e);
	}
	json_decref(ids);
}

/* ---- keys ---- */

void api_endpoint_logs_tick(void *ctx)
{
	app *a = ctx;
	cl_error err = {0};
	int n = 0;
	if (store_kept_images_sweep(a->db, a->data_dir, clock_now_ms(), &n, &err))
		log_warn("msg=\"kept images were not swept\" error=\"%s\"", err.message);
	else if (n)
		log_info("msg=\"kept images let go\" images=%d", n);
	n = 0;
	if (store_log_age_sweep(a->db, a->data_dir, clock_now_ms(), &n, &err))
		log_warn("msg=\"old predictions were not swept\" error=\"%s\"", err.message);
	else if (n)
		log_info("msg=\"old predictions deleted\" predictions=%d", n);
}

int api_endpoint_keys_create(http_request *r)
{
	json_t *body = NULL, *out = NULL;
	int rc = http_body_json(r, &body);
	const char *name = json_string_value(json_object_get(body, "name"));
	const json_t *rate = json_object_get(body, "rate_limit");
	double per_s = rate ? json_number_value(rate) : ENDPOINT_RATE_DEFAULT;
	if (!rc && (!name || !*name || strlen(name) > KEY_NAME_MAX))
		rc = http_fail(r, CL_EINVAL, NULL, "\"name\" has 1 to %d bytes", KEY_NAME_MAX);
	if (!rc)
		rc = endpoint_rate_check(per_s, &r->err);
	char token[AUTH_TOKEN_LEN], key[AUTH_TOKEN_LEN + 8], digest[AUTH_DIGEST_HEX], prefix[16];
	auth_token_new(token);
	snprintf(key, sizeof key, ENDPOINT_KEY_PREFIX "%s", token);
	auth_token_digest(key, digest);
	snprintf(prefix, sizeof prefix, "%.10s", key);
	if (!rc)
		rc = store_key_create(api_app(r)->db, r->ids[0], r->user.id, name, prefix, digest,
				      per_s, &out, &r->err);
	if (!rc) {
		/* The key itself is answered here once; only its digest is kept. */
		json_object_set_new(out, "key", json_string(key));
		http_json(r, 201, out);
	}
	sodium_memzero(key, sizeof key);
	sodium_memzero(token, sizeof token);
	json_decref(body);
	return rc;
}

int api_endpoint_keys_list(http_request *r)
{
	return api_list_page(r, store_keys_list, r->ids[0]);
}

int api_endpoint_keys_revoke(http_request *r)
{
	int rc = store_key_revoke(api_app(r)->db, r->ids[0], r->ids[1], &r->err);
	if (!rc)
		http_no_content(r);
	return rc;
}

/* ---- usage and the log ---- */

int api_endpoint_usage(http_request *r)
{
	int64_t days = 0;
	int rc = http_query_id(r, "days", &days);
	if (!rc && days > USAGE_DAYS_MAX)
		rc = http_fail(r, CL_EINVAL, NULL, "days is at most %d", USAGE_DAYS_MAX);
	if (!days)
		days = USAGE_DAYS_DEFAULT;
	if (!rc)
		http_json(r, 200,
			  json_pack("{s:I,s:I,s:o}", "endpoint_id", (json_int_t)r->ids[0], "days",
				    (json_int_t)days, "usage",
				    store_endpoint_usage(api_app(r)->db, r->ids[0], (int)days)));
	return rc;
}

int api_endpoint_predictions(http_request *r)
{
	/* inbox=1: the feedback inbox, read from the feedback and the items, not the whole log. */
	const char *inbox = http_query(r, "inbox");
	if (inbox && strcmp(inbox, "1") && strcmp(inbox, "0"))
		return http_fail(r, CL_EINVAL, NULL, "inbox must be 0 or 1");
	bool filtered = inbox && !strcmp(inbox, "1");
	return api_list_page(r, filtered ? store_predictions_inbox : store_predictions_list,
			     r->ids[0]);
}

/* The histogram's buckets as [{"le","count"}] (cumulative, as Prometheus's), "+Inf" last. */
static json_t *latency_json(const serving_stats *st)
{
	json_t *buckets = json_array();
	for (int i = 0; i < SERVING_BUCKETS; i++)
		json_array_append_new(buckets,
				      json_pack("{s:f,s:I}", "le", serving_bucket_bounds[i],
						"count", (json_int_t)st->buckets[i]));
	json_array_append_new(
	    buckets, json_pack("{s:s,s:I}", "le", "+Inf", "count", (json_int_t)st->requests));
	return buckets;
}

/* What /metrics says of one endpoint, as JSON for its page: counted by this server since it
 * started. */
int api_endpoint_stats(http_request *r)
{
	serving_stats st;
	serving_stats_of(api_app(r)->serving, r->ids[0], &st);
	http_json(r, 200,
		  json_pack("{s:I,s:I,s:I,s:f,s:o}", "endpoint_id", (json_int_t)r->ids[0],
			    "requests", (json_int_t)st.requests, "errors", (json_int_t)st.errors,
			    "seconds", st.seconds, "latency", latency_json(&st)));
	return 0;
}
