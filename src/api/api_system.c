/* Health, Prometheus metrics and the OpenAPI document made from the route table. */
#include "api/api.h"
#include "core/quality.h"
#include "core/serving.h"
#include "core/task.h"
#include "core/upload_type.h"
#include "util/work_queue.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* 200 {"status":"ok"}; 503 while the store cannot write (its disk is full), so that a
 * monitor sees it before the callers do. */
int api_healthz(http_request *r)
{
	static const char ok[] = "{\"status\":\"ok\"}";
	static const char full[] = "{\"status\":\"unavailable\",\"store\":\"cannot_write\","
				   "\"message\":\"the store cannot write: its disk is full\"}";
	if (db_can_write(api_app(r)->db)) {
		http_bytes(r, 200, "application/json", ok, sizeof ok - 1);
		return 0;
	}
	http_bytes(r, 503, "application/json", full, sizeof full - 1);
	http_header(r, "Retry-After", "30");
	return 0;
}

static void endpoint_metrics(void *ctx, int64_t id, const serving_stats *st)
{
	buf *out = ctx;
	buf_printf(out, "crowdloop_endpoint_requests_total{endpoint=\"%lld\"} %llu\n", (long long)id,
		   (unsigned long long)st->requests);
	buf_printf(out, "crowdloop_endpoint_errors_total{endpoint=\"%lld\"} %llu\n", (long long)id,
		   (unsigned long long)st->errors);
	for (int i = 0; i < SERVING_BUCKETS; i++)
		buf_printf(out, "crowdloop_endpoint_seconds_bucket{endpoint=\"%lld\",le=\"%g\"} %llu\n",
			   (long long)id, serving_bucket_bounds[i], (unsigned long long)st->buckets[i]);
	buf_printf(out,
		   "crowdloop_endpoint_seconds_bucket{endpoint=\"%lld\",le=\"+Inf\"} %llu\n"
		   "crowdloop_endpoint_seconds_sum{endpoint=\"%lld\"} %.6f\n"
		   "crowdloop_endpoint_seconds_count{endpoint=\"%lld\"} %llu\n",
		   (long long)id, (unsigned long long)st->requests, (long long)id, st->seconds,
		   (long long)id, (unsigned long long)st->requests);
}

/* The shadow queue (api/shadow.h): answers queued, logged and dropped, and waiting now. */
static void shadow_metrics(app *a, buf *out)
{
	if (!a->shadows)
		return;
	work_queue_counts c;
	work_queue_counts_get(a->shadows, &c);
	buf_printf(out,
		   "# HELP crowdloop_shadow_queued_total Shadow answers queued.\n"
		   "# TYPE crowdloop_shadow_queued_total counter\n"
		   "crowdloop_shadow_queued_total %llu\n"
		   "# HELP crowdloop_shadow_done_total Shadow answers made and logged.\n"
		   "# TYPE crowdloop_shadow_done_total counter\n"
		   "crowdloop_shadow_done_total %llu\n"
		   "# HELP crowdloop_shadow_dropped_total Shadow answers dropped: the queue was full.\n"
		   "# TYPE crowdloop_shadow_dropped_total counter\n"
		   "crowdloop_shadow_dropped_total %llu\n"
		   "# HELP crowdloop_shadow_waiting Shadow answers waiting in the queue.\n"
		   "# TYPE crowdloop_shadow_waiting gauge\n"
		   "crowdloop_shadow_waiting %zu\n",
		   (unsigned long long)c.queued, (unsigned long long)c.done,
		   (unsigned long long)c.dropped, c.waiting);
}

/* Each endpoint's predictions by this server: counts, errors and a latency histogram (the
 * model's time, by endpoint id). */
static void serving_metrics(app *a, buf *out)
{
	if (!a->serving)
		return;
	buf_puts(out, "# HELP crowdloop_endpoint_requests_total Predictions answered, by endpoint.\n"
		      "# TYPE crowdloop_endpoint_requests_total counter\n"
		      "# HELP crowdloop_endpoint_errors_total Predictions that failed, by endpoint.\n"
		      "# TYPE crowdloop_endpoint_errors_total counter\n"
		      "# HELP crowdloop_endpoint_seconds The model's time per prediction.\n"
		      "# TYPE crowdloop_endpoint_seconds histogram\n");
	serving_stats_each(a->serving, endpoint_metrics, out);
	shadow_metrics(a, out);
}

int api_metrics(http_request *r)
{
	buf out;
	buf_init(&out, 0);
	http_metrics_render(http_request_server(r), &out);
	int64_t counts[8];
	store_task_state_counts(api_app(r)->db, counts);
	buf_puts(&out, "# HELP crowdloop_tasks Tasks by state.\n# TYPE crowdloop_tasks gauge\n");
	for (int s = 0; s < TASK_STATE_COUNT; s++)
		buf_printf(&out, "crowdloop_tasks{state=\"%s\"} %lld\n", task_state_name((task_state)s),
			   (long long)counts[s]);
	db_stats st;
	db_write_stats(api_app(r)->db, &st);
	buf_printf(&out, "# HELP crowdloop_db_commits_total Group commits of the store's writer.\n"
			 "# TYPE crowdloop_db_commits_total counter\ncrowdloop_db_commits_total %llu\n"
			 "# HELP crowdloop_db_write_jobs_total State changes committed (or refused) in "
			 "those groups.\n# TYPE crowdloop_db_write_jobs_total counter\n"
			 "crowdloop_db_write_jobs_total %llu\n"
			 "# HELP crowdloop_db_pages_written_total Pages those commits wrote to the WAL.\n"
			 "# TYPE crowdloop_db_pages_written_total counter\n"
			 "crowdloop_db_pages_written_total %llu\n"
			 "# HELP crowdloop_db_syncs_total Flushes of the WAL to disk that made those "
			 "commits durable.\n# TYPE crowdloop_db_syncs_total counter\n"
			 "crowdloop_db_syncs_total %llu\n",
		   (unsigned long long)st.commits, (unsigned long long)st.jobs,
		   (unsigned long long)st.pages, (unsigned long long)st.syncs);
	buf_printf(&out,
		   "# HELP crowdloop_db_writer_run_seconds_total Time the store's writer thread spent "
		   "running write jobs.\n# TYPE crowdloop_db_writer_run_seconds_total counter\n"
		   "crowdloop_db_writer_run_seconds_total %.6f\n"
		   "# HELP crowdloop_db_writer_commit_seconds_total Time it spent committing groups "
		   "(writing the WAL).\n# TYPE crowdloop_db_writer_commit_seconds_total counter\n"
		   "crowdloop_db_writer_commit_seconds_total %.6f\n"
		   "# HELP crowdloop_db_flush_seconds_total Time spent flushing the WAL to disk.\n"
		   "# TYPE crowdloop_db_flush_seconds_total counter\n"
		   "crowdloop_db_flush_seconds_total %.6f\n"
		   "# HELP crowdloop_db_wal_restarts_total Restarts of the WAL by the store's writer, "
		   "each holding the write lock.\n# TYPE crowdloop_db_wal_restarts_total counter\n"
		   "crowdloop_db_wal_restarts_total %llu\n"
		   "# HELP crowdloop_db_wal_restart_seconds_total Time those restarts took, the "
		   "writer waiting while one holds the lock.\n"
		   "# TYPE crowdloop_db_wal_restart_seconds_total counter\n"
		   "crowdloop_db_wal_restart_seconds_total %.6f\n",
		   (double)st.run_ns / 1e9, (double)st.commit_ns / 1e9, (double)st.flush_ns / 1e9,
		   (unsigned long long)st.wal_restarts, (double)st.wal_restart_ns / 1e9);
	serving_metrics(api_app(r), &out);
	http_bytes(r, 200, "text/plain; version=0.0.4", out.data, out.len);
	buf_release(&out);
	return 0;
}

/* "/api/v1/tasks/{id}/review" -> the same path with its parameters declared. */
static json_t *path_params(const char *pattern)
{
	json_t *params = json_array();
	int n = 0;
	for (const char *p = pattern; (p = strchr(p, '{')); p++) {
		const char *end = strchr(p, '}');
		if (!end)
			break;
		char name[32];
		snprintf(name, sizeof name, "%.*s", (int)(end - p - 1), p + 1);
		bool is_name = !strcmp(name, "name");
		if (n++ && !is_name)
			snprintf(name, sizeof name, "id%d", n);
		json_array_append_new(
		    params, is_name ? json_pack("{s:s,s:s,s:b,s:{s:s,s:s}}", "name", name, "in", "path",
						"required", 1, "schema", "type", "string", "pattern",
						"^[A-Za-z0-9._-]{1,63}$")
				    : json_pack("{s:s,s:s,s:b,s:{s:s,s:s}}", "name", name, "in", "path",
						"required", 1, "schema", "type", "integer", "format",
						"int64"));
	}
	return params;
}

/* A route's query parameters, optional all: ids and counts are integers, the rest strings
 * (a cursor is opaque). */
static void query_params(json_t *params, const char *const *query)
{
	static const char *const integers[] = {"limit", "against", "worker_id", "org_id",
					       "user_id"};
	for (const char *const *q = query; q && *q; q++) {
		bool integer = false;
		for (size_t i = 0; i < sizeof integers / sizeof *integers; i++)
			integer = integer || !strcmp(*q, integers[i]);
		json_array_append_new(params, json_pack("{s:s,s:s,s:b,s:{s:s}}", "name", *q, "in",
							"query", "required", 0, "schema", "type",
							integer ? "integer" : "string"));
	}
}

enum fields_required { REQUIRE_DECLARED, REQUIRE_NONE, REQUIRE_ALL };

/* An object of declared fields as a schema, nothing else allowed. A field of any type carries
 * no "type" (JSON Schema's "any value"). */
static json_t *fields_schema(const json_field *fields, enum fields_required which)
{
	json_t *props = json_object(), *required = json_array();
	for (const json_field *f = fields; f->name; f++) {
		json_t *p = json_object();
		const char *type = json_field_type_name(f->type);
		if (type)
			json_object_set_new(p, "type", json_string(type));
		if (f->flags & JSON_FIELD_NULLABLE)
			json_object_set_new(p, "nullable", json_true());
		if (f->flags & JSON_FIELD_READ_ONLY)
			json_object_set_new(p, "readOnly", json_true());
		if (f->choices) {
			json_t *choices = json_array();
			for (const char *const *c = f->choices; *c; c++)
				json_array_append_new(choices, json_string(*c));
			json_object_set_new(p, "enum", choices);
		}
		json_object_set_new(props, f->name, p);
		if (which == REQUIRE_ALL ||
		    (which == REQUIRE_DECLARED && (f->flags & JSON_FIELD_REQUIRED)))
			json_array_append_new(required, json_string(f->name));
	}
	json_t *schema = json_pack("{s:s,s:o,s:b}", "type", "object", "properties", props,
				   "additionalProperties", 0);
	if (json_array_size(required))
		json_object_set_new(schema, "required", required);
	else
		json_decref(required);
	return schema;
}

/* A route's JSON body: its declared fields; on a PATCH none is required. */
static json_t *body_schema(const route *rt)
{
	json_t *schema =
	    fields_schema(rt->body, !strcmp(rt->method, "PATCH") ? REQUIRE_NONE : REQUIRE_DECLARED);
	return json_pack("{s:b,s:{s:{s:o}}}", "required",
			 json_object_get(schema, "required") != NULL, "content", "application/json",
			 "schema", schema);
}

/* A Content-Type of an upload body: text, or bytes for images and archives. */
static json_t *upload_media(const upload_type *t)
{
	if (t->parser == UPLOAD_IMAGE || t->parser == UPLOAD_ARCHIVE)
		return json_pack("{s:{s:s,s:s}}", "schema", "type", "string", "format", "binary");
	return json_pack("{s:{s:s}}", "schema", "type", "string");
}

/* What an upload route (an import) takes, by Content-Type: the types of core/upload_type.h
 * (aliases included), or files in a multipart form (docs/API.md, "Import bodies"). Label Studio
 * and COCO files are left out: in this document application/json marks a route whose body is
 * the JSON fields it declares; docs/API.md and GET /formats describe them. */
static json_t *upload_body(void)
{
	json_t *content = json_object();
	for (size_t i = 0; i < upload_types_count; i++) {
		const upload_type *t = &upload_types[i];
		if (t->parser == UPLOAD_TOOL_JSON)
			continue;
		json_object_set_new(content, t->content_type, upload_media(t));
		for (const char *const *a = t->aliases; *a; a++)
			json_object_set_new(content, *a, upload_media(t));
	}
	json_object_set_new(content, "multipart/form-data",
			    json_pack("{s:{s:s,s:{s:{s:s,s:{s:s,s:s}}}}}", "schema", "type",
				      "object", "properties", "file", "type", "array", "items",
				      "type", "string", "format", "binary"));
	return json_pack("{s:b,s:o}", "required", 1, "content", content);
}

/* The route's answer (route.answer, "200 Task" or "200 Task[]") in `responses`; a plain
 * "200 success" when the route does not describe its answer. */
static void answer_schema(json_t *responses, const char *answer)
{
	char status[4] = "200", name[64] = "";
	if (answer)
		sscanf(answer, "%3s %63s", status, name);
	size_t n = strlen(name);
	bool page = n > 2 && !strcmp(name + n - 2, "[]");
	if (page)
		name[n - 2] = '\0';
	if (!name[0]) {
		json_object_set_new(responses, status,
				    json_pack("{s:s}", "description", "success"));
		return;
	}
	char ref[96];
	snprintf(ref, sizeof ref, "#/components/schemas/%s", name);
	json_t *schema = json_pack("{s:s}", "$ref", ref);
	if (page)
		schema = json_pack("{s:s,s:[s,s],s:{s:{s:s,s:o},s:{s:s,s:b}}}", "type", "object",
				   "required", "items", "next_cursor", "properties", "items",
				   "type", "array", "items", schema, "next_cursor", "type",
				   "string", "nullable", 1);
	json_object_set_new(responses, status,
			    json_pack("{s:s,s:{s:{s:o}}}", "description", "success", "content",
				      "application/json", "schema", schema));
}

int api_openapi(http_request *r)
{
	json_t *paths = json_object();
	for (size_t i = 0; i < api_routes_count; i++) {
		const route *rt = &api_routes[i];
		/* OpenAPI wants distinct parameter names: {id} twice is not a problem here since
		 * no route has two ids. */
		json_t *item = json_object_get(paths, rt->pattern);
		if (!item) {
			item = json_object();
			json_object_set_new(paths, rt->pattern, item);
		}
		char method[8];
		size_t k;
		for (k = 0; rt->method[k] && k < sizeof method - 1; k++)
			method[k] = (char)(rt->method[k] | 0x20);
		method[k] = '\0';
		json_t *op = json_pack("{s:s,s:o,s:{s:{s:s,s:{s:{s:{s:s}}}}}}", "summary",
				       rt->summary ? rt->summary : "", "parameters",
				       path_params(rt->pattern), "responses", "default",
				       "description", "error", "content", "application/json",
				       "schema", "$ref",
				       rt->flags & ROUTE_OIP	  ? "#/components/schemas/OipError"
				       : rt->flags & ROUTE_MLFLOW ? "#/components/schemas/MlflowError"
								  : "#/components/schemas/Error");
		answer_schema(json_object_get(op, "responses"), rt->answer);
		query_params(json_object_get(op, "parameters"), rt->query);
		if (!(rt->flags & ROUTE_PUBLIC))
			json_object_set_new(op, "security", json_pack("[{s:[]},{s:[]}]", "bearer",
								      "session"));
		/* Who may call it, as the table declares and dispatch checks (api/authorize.c). */
		json_object_set_new(op, "x-access", api_access_json(rt));
		if (rt->body)
			json_object_set_new(op, "requestBody", body_schema(rt));
		else if (rt->flags & ROUTE_UPLOAD)
			json_object_set_new(op, "requestBody", upload_body());
		json_object_set_new(item, method, op);
	}
	json_t *doc = json_pack(
	    "{s:s,s:{s:s,s:s,s:s},s:[{s:s}],s:o,s:{s:{s:{s:s,s:s},s:{s:s,s:s,s:s}},s:o}}",
	    "openapi", "3.0.3", "info", "title", "crowdloop", "version", "1", "description",
	    "Crowd labeling with full review, datasets and models. See docs/API.md.", "servers",
	    "url", "/", "paths", paths, "components", "securitySchemes", "bearer", "type", "http",
	    "scheme", "bearer", "session", "type", "apiKey", "in", "cookie", "name", "cl_session",
	    "schemas", api_openapi_schemas());
	/* The quality settings answer with every field their PATCH body declares. */
	json_object_set_new(json_object_get(json_object_get(doc, "components"), "schemas"),
			    "QualitySettings", fields_schema(quality_settings_fields, REQUIRE_ALL));
	http_json(r, 200, doc);
	return 0;
}
