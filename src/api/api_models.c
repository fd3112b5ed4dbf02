/* The model registry over HTTP: models of an org, versions registered from succeeded runs with
 * their evaluation and lineage, and aliases moved by people or pipelines (each move an event).
 * The rules are core/registry.c's. */
#include "api/api.h"
#include "core/registry.h"
#include "store/store_jobs.h"

#include <stdio.h>

/* POST /orgs/{id}/models {"name"} */
int api_models_create(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	int64_t id = 0;
	if (!rc)
		rc = registry_model_create(&api_app(r)->store, r->ids[0],
					   json_string_value(json_object_get(body, "name")),
					   r->user.id, &id, &r->err);
	json_decref(body);
	if (rc)
		return rc;
	http_json(r, 201, store_model_get(api_app(r)->db, id));
	return 0;
}

/* GET /orgs/{id}/models */
int api_models_list(http_request *r)
{
	return api_list_page(r, store_models_list, r->ids[0]);
}

/* GET /models/{id} */
int api_models_get(http_request *r)
{
	json_t *m = store_model_get(api_app(r)->db, r->ids[0]);
	if (!m)
		return http_fail(r, CL_ENOTFOUND, NULL, "model not found");
	http_json(r, 200, m);
	return 0;
}

/* POST /models/{id}/versions {"job_id"} */
int api_models_version_add(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	int version = 0;
	if (!rc)
		rc = registry_version_add(&api_app(r)->store, r->ids[0],
					  json_integer_value(json_object_get(body, "job_id")),
					  r->user.id, &version, &r->err);
	json_decref(body);
	if (rc)
		return rc;
	json_t *v = store_model_version(api_app(r)->db, r->ids[0], version);
	http_json(r, 201, v ? v : json_pack("{s:i}", "version", version));
	return 0;
}

/* GET /models/{id}/versions */
int api_models_versions(http_request *r)
{
	http_json(r, 200,
		  json_pack("{s:o}", "items", store_model_versions(api_app(r)->db, r->ids[0])));
	return 0;
}

/* Endpoints serving this model by an alias go where its aliases point now. */
static void follow_alias(http_request *r)
{
	json_t *m = store_model_get(api_app(r)->db, r->ids[0]);
	const char *name = json_string_value(json_object_get(m, "name"));
	if (name)
		api_endpoints_follow_model(r, api_scope_of(r)->project.org_id, name);
	json_decref(m);
}

/* POST /models/{id}/aliases {"name", "version"} */
int api_models_alias_move(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	int from = 0;
	json_int_t version = json_integer_value(json_object_get(body, "version"));
	const char *name = json_string_value(json_object_get(body, "name"));
	if (!rc && (version < 1 || version > INT32_MAX))
		rc = http_fail(r, CL_EINVAL, NULL, "version must be a version number");
	if (!rc)
		rc = registry_alias_move(&api_app(r)->store, r->ids[0], name, (int)version,
					 r->user.id, &from, &r->err);
	if (!rc)
		follow_alias(r);
	if (!rc)
		http_json(r, 200,
			  json_pack("{s:s,s:o,s:I}", "alias", name, "from_version",
				    from ? json_integer(from) : json_null(), "to_version", version));
	json_decref(body);
	return rc;
}

/* GET /models/{id}/aliases: where each alias points, and every move. */
int api_models_aliases(http_request *r)
{
	db *d = api_app(r)->db;
	json_t *m = store_model_get(d, r->ids[0]);
	if (!m)
		return http_fail(r, CL_ENOTFOUND, NULL, "model not found");
	http_json(r, 200,
		  json_pack("{s:O,s:o}", "aliases", json_object_get(m, "aliases"), "events",
			    store_alias_events(d, r->ids[0])));
	json_decref(m);
	return 0;
}
