/* MLflow's REST tracking API (/api/2.0/mlflow/...), the subset its clients use, over crowdloop's
 * projects (experiments: an experiment's id is its project's) and jobs (runs: a run created
 * here is a job with executor "external"). The routes take any signed-in user; each handler
 * reaches only experiments and runs of orgs where the caller is an owner or engineer, and
 * answers 404 for any other, as the route table does for /jobs/{id}. A running job's own token
 * (MLFLOW_TRACKING_TOKEN in its environment) reaches its own run's routes only. Errors come in
 * MLflow's shape (ROUTE_MLFLOW). */
#include "api/api.h"
#include "core/mlflow.h"
#include "core/project_load.h"
#include "store/store_accounts.h"
#include "store/store_jobs.h"
#include "store/store_mlflow.h"
#include "store/store_projects.h"
#include "util/clock.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEARCH_MAX 1000 /* runs or experiments in one answer */
#define SEARCH_DEFAULT 1000
#define SEARCH_EXPERIMENTS_MAX 100 /* experiment ids in one run search */
#define HISTORY_MAX 100000	   /* points in one history */
#define METRIC_SHAPE                                                                               \
	"{\"key\": string, \"value\": number, \"timestamp\": integer, \"step\"?: integer}"

/* An MLflow id: a decimal string (or a JSON integer), > 0; 0 when it is not one. */
static int64_t id_of(const json_t *v)
{
	if (json_is_integer(v))
		return json_integer_value(v) > 0 ? json_integer_value(v) : 0;
	const char *s = json_string_value(v);
	char *end;
	long long id = s && *s ? strtoll(s, &end, 10) : 0;
	return s && *s && !*end && id > 0 ? id : 0;
}

static int64_t query_id(http_request *r, const char *key)
{
	const char *s = http_query(r, key);
	json_t *v = s ? json_string(s) : NULL;
	int64_t id = id_of(v);
	json_decref(v);
	return id;
}

/* Whether the caller runs jobs in org `org` (an administrator does everywhere). */
static bool ml_member(http_request *r, int64_t org)
{
	char role[16];
	if (!org)
		return false;
	if (r->user.is_admin)
		return true;
	return !store_org_role(api_app(r)->db, org, r->user.id, role) &&
	       (!strcmp(role, "owner") || !strcmp(role, "engineer"));
}

/* Experiment `id` when the caller may reach it: a new reference, else NULL after a 404. */
static json_t *experiment_reached(http_request *r, int64_t id)
{
	int64_t org = 0;
	json_t *e = id ? store_mlflow_experiment(api_app(r)->db, id, &org) : NULL;
	if (e && ml_member(r, org))
		return e;
	json_decref(e);
	http_fail(r, CL_ENOTFOUND, NULL, "experiment %lld does not exist", (long long)id);
	return NULL;
}

/* Run `id` when the caller may reach it (a run's token: its own run only), else a 404. */
static int run_reached(http_request *r, int64_t id)
{
	if (r->user.job_id ? id == r->user.job_id
			   : id && ml_member(r, store_job_org(api_app(r)->db, id)))
		return 0;
	return http_fail(r, CL_ENOTFOUND, NULL, "run %lld does not exist", (long long)id);
}

/* The run a body names (run_id, or run_uuid as older clients send). */
static int body_run(http_request *r, const json_t *body, int64_t *id)
{
	json_t *v = json_object_get(body, "run_id");
	*id = id_of(v ? v : json_object_get(body, "run_uuid"));
	if (!*id)
		return http_fail(r, CL_EINVAL, NULL, "run_id must name a run");
	return run_reached(r, *id);
}

/* A body handler's call: its body, what its own check read, the object the body names. */
typedef struct ml_call {
	json_t *body;
	int64_t id;  /* the run or the experiment the body names, reached by the caller */
	int64_t org; /* an experiment's org */
	void *ctx;   /* the handler's own: what its check reads the body into */
} ml_call;

typedef int (*ml_step)(http_request *r, ml_call *c);

typedef enum { ML_RUN, ML_EXPERIMENT } ml_target;

/* The experiment a body names (experiment_id), when the caller may reach it, else 400/404. */
static int body_experiment(http_request *r, const json_t *body, int64_t *id, int64_t *org)
{
	*id = id_of(json_object_get(body, "experiment_id"));
	if (!*id)
		return http_fail(r, CL_EINVAL, NULL, "experiment_id must name an experiment");
	json_t *e = store_mlflow_experiment(api_app(r)->db, *id, org);
	json_decref(e);
	if (e && ml_member(r, *org))
		return 0;
	return http_fail(r, CL_ENOTFOUND, NULL, "experiment %lld does not exist", (long long)*id);
}

/* The prologue every body handler shares: parses the body, lets `check` (when there is one)
 * read and judge it, reaches the run or experiment it names, then runs `act`, which writes
 * the answer. The check goes first so a bad body answers 400 whatever run it names. */
static int ml_body_call(http_request *r, ml_target target, ml_step check, ml_step act, void *ctx)
{
	ml_call c = {.ctx = ctx};
	int rc = http_body_json(r, &c.body);
	if (rc)
		return rc;
	if (check)
		rc = check(r, &c);
	if (!rc)
		rc = target == ML_RUN ? body_run(r, c.body, &c.id)
				      : body_experiment(r, c.body, &c.id, &c.org);
	if (!rc)
		rc = act(r, &c);
	json_decref(c.body);
	return rc;
}

/* The Run object with its status in MLflow's words. */
static json_t *run_json(http_request *r, int64_t id)
{
	json_t *run = store_mlflow_run(api_app(r)->db, id);
	json_t *info = json_object_get(run, "info");
	const char *state = json_string_value(json_object_get(info, "status"));
	if (state)
		json_object_set_new(info, "status", json_string(mlflow_status_of(state)));
	return run;
}

/* ---- experiments ---- */

static int experiment_answer(http_request *r, int64_t id)
{
	json_t *e = experiment_reached(r, id);
	if (!e)
		return r->err.code;
	http_json(r, 200, json_pack("{s:o}", "experiment", e));
	return 0;
}

#define ORGS_MAX 64 /* orgs read to pick an experiment's org */

/* The org a new experiment goes in: its tag crowdloop.org_id, or the caller's one org where
 * they run jobs; 400 when they run jobs in several and no tag names one. */
static int experiment_org(http_request *r, const json_t *tags, int64_t *org)
{
	size_t i;
	json_t *t;
	json_array_foreach(tags, i, t)
	{
		const char *key = json_string_value(json_object_get(t, "key"));
		if (!key || strcmp(key, "crowdloop.org_id"))
			continue;
		*org = id_of(json_object_get(t, "value"));
		return ml_member(r, *org) ? 0
					  : http_fail(r, CL_ENOTFOUND, NULL,
						      "tag crowdloop.org_id names no org of yours");
	}
	int64_t orgs[ORGS_MAX];
	int n = store_mlflow_orgs(api_app(r)->db, r->user.id, orgs, ORGS_MAX);
	if (n == 1) {
		*org = orgs[0];
		return 0;
	}
	return http_fail(r, CL_EINVAL, NULL,
			 n ? "you run jobs in several orgs: name one with the tag crowdloop.org_id"
			   : "only an org's owner or engineer creates experiments");
}

/* Makes the draft project of experiment `name` in org `org`; *id its id. */
static int experiment_make(http_request *r, int64_t org, const char *name, int64_t *id)
{
	project p;
	project_init(&p);
	int rc = mlflow_experiment_project(&p, org, name, &r->err);
	if (!rc)
		rc = project_create(&api_app(r)->store, &p, &r->err);
	*id = p.id;
	project_release(&p);
	return rc;
}

/* POST experiments/create {"name", "tags"?}: an experiment is a crowdloop project. The
 * caller's project of that name answers its id; else a draft project of that name is made in
 * the caller's org (the tag crowdloop.org_id picks it when they run jobs in several). */
int api_mlflow_experiment_create(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (rc)
		return rc;
	const char *name = json_string_value(json_object_get(body, "name"));
	int64_t id = name ? store_mlflow_experiment_named(api_app(r)->db, r->user.id, name) : 0,
		org = 0;
	if (!id)
		rc = experiment_org(r, json_object_get(body, "tags"), &org);
	if (!id && !rc)
		rc = experiment_make(r, org, name, &id);
	json_decref(body);
	if (rc)
		return rc;
	char sid[24];
	snprintf(sid, sizeof sid, "%lld", (long long)id);
	http_json(r, 200, json_pack("{s:s}", "experiment_id", sid));
	return 0;
}

/* GET experiments/get?experiment_id= */
int api_mlflow_experiment_get(http_request *r)
{
	int64_t id = query_id(r, "experiment_id");
	if (!id)
		return http_fail(r, CL_EINVAL, NULL, "experiment_id must name an experiment");
	return experiment_answer(r, id);
}

/* GET experiments/get-by-name?experiment_name= */
int api_mlflow_experiment_by_name(http_request *r)
{
	const char *name = http_query(r, "experiment_name");
	if (!name || !*name)
		return http_fail(r, CL_EINVAL, NULL, "experiment_name is required");
	int64_t id = store_mlflow_experiment_named(api_app(r)->db, r->user.id, name);
	if (!id)
		return http_fail(r, CL_ENOTFOUND, NULL, "experiment \"%.64s\" does not exist",
				 name);
	return experiment_answer(r, id);
}

/* A page's size (max_results) and start (page_token: the position, as text). */
static int page_of(http_request *r, const json_t *max, const json_t *token, int *limit,
		   int64_t *from)
{
	json_int_t asked = max ? json_integer_value(max) : SEARCH_DEFAULT;
	if (max && (!json_is_integer(max) || asked < 1 || asked > SEARCH_MAX))
		return http_fail(r, CL_EINVAL, NULL, "max_results must be 1 to %d", SEARCH_MAX);
	*limit = (int)asked;
	const char *t = json_string_value(token);
	char *end;
	*from = t && *t ? strtoll(t, &end, 10) : 0;
	if (token && !json_is_null(token) && (!t || (*t && (*end || *from < 0))))
		return http_fail(r, CL_EINVAL, NULL, "page_token is not one this server gave");
	return 0;
}

static void page_token(json_t *answer, int n, int limit, int64_t next)
{
	char t[24];
	snprintf(t, sizeof t, "%lld", (long long)next);
	if (n == limit)
		json_object_set_new(answer, "next_page_token", json_string(t));
}

/* POST experiments/search {"max_results", "page_token"} (GET experiments/list too). */
int api_mlflow_experiments_search(http_request *r)
{
	json_t *body = NULL;
	int rc = strcmp(r->method, "POST") ? 0 : http_body_json(r, &body);
	if (rc)
		return rc;
	int limit;
	int64_t after;
	rc = page_of(r, json_object_get(body, "max_results"), json_object_get(body, "page_token"),
		     &limit, &after);
	json_decref(body);
	if (rc)
		return rc;
	json_t *list =
	    store_mlflow_experiments(api_app(r)->db, r->user.id, r->user.is_admin, after, limit);
	size_t n = json_array_size(list);
	int64_t last = n ? id_of(json_object_get(json_array_get(list, n - 1), "experiment_id")) : 0;
	json_t *answer = json_pack("{s:o}", "experiments", list);
	page_token(answer, (int)n, limit, last);
	http_json(r, 200, answer);
	return 0;
}

/* ---- runs ---- */

/* Reads [{"key", "value"}] into pairs (borrowed from the body); n at most `max`, else 400. */
static int pairs_of(http_request *r, const json_t *list, const char *what, size_t max,
		    mlflow_pair **out, size_t *n)
{
	*n = json_array_size(list);
	*out = NULL;
	if (list && !json_is_array(list))
		return http_fail(r, CL_EINVAL, NULL, "%s must be an array", what);
	if (*n > max)
		return http_fail(r, CL_EINVAL, NULL, "%s holds at most %zu entries", what, max);
	*out = calloc(*n ? *n : 1, sizeof **out);
	if (!*out)
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		json_t *o = json_array_get(list, i);
		(*out)[i] = (mlflow_pair){json_string_value(json_object_get(o, "key")),
					  json_string_value(json_object_get(o, "value"))};
		if (!(*out)[i].key || !(*out)[i].value)
			return http_fail(r, CL_EINVAL, NULL,
					 "%s[%zu] must be {\"key\": string, \"value\": string}",
					 what, i);
	}
	return 0;
}

/* runs/create's act: the run made in the experiment reached, with the body's tags. */
static int run_create_act(http_request *r, ml_call *c)
{
	mlflow_batch tags = {0};
	mlflow_pair *pairs = NULL;
	int64_t job = 0;
	int rc = pairs_of(r, json_object_get(c->body, "tags"), "tags", MLFLOW_BATCH_TAGS, &pairs,
			  &tags.n_tags);
	tags.tags = pairs;
	if (!rc)
		rc = mlflow_run_create(&api_app(r)->store, c->org, c->id, r->user.id,
				       json_integer_value(json_object_get(c->body, "start_time")),
				       &tags, &job, &r->err);
	free(pairs);
	if (!rc)
		http_json(r, 200, json_pack("{s:o}", "run", run_json(r, job)));
	return rc;
}

/* POST runs/create {"experiment_id", "start_time"?, "tags"?} */
int api_mlflow_run_create(http_request *r)
{
	return ml_body_call(r, ML_EXPERIMENT, NULL, run_create_act, NULL);
}

/* runs/update's act: the run moved to the body's status, then its info. */
static int run_update_act(http_request *r, ml_call *c)
{
	const char *status = json_string_value(json_object_get(c->body, "status"));
	int rc =
	    mlflow_run_update(&api_app(r)->store, c->id, status ? status : "RUNNING",
			      json_integer_value(json_object_get(c->body, "end_time")), &r->err);
	/* A job's own script ending its run as MLflow clients do: the runner owns its status. */
	if (rc == CL_ECONFLICT && r->user.job_id == c->id)
		rc = 0;
	if (rc)
		return rc;
	json_t *run = run_json(r, c->id);
	http_json(r, 200, json_pack("{s:O}", "run_info", json_object_get(run, "info")));
	json_decref(run);
	return 0;
}

/* POST runs/update {"run_id", "status", "end_time"?} */
int api_mlflow_run_update(http_request *r)
{
	return ml_body_call(r, ML_RUN, NULL, run_update_act, NULL);
}

/* GET runs/get?run_id= */
int api_mlflow_run_get(http_request *r)
{
	int64_t id = query_id(r, http_query(r, "run_id") ? "run_id" : "run_uuid");
	int rc = id ? run_reached(r, id) : http_fail(r, CL_EINVAL, NULL, "run_id must name a run");
	if (rc)
		return rc;
	http_json(r, 200, json_pack("{s:o}", "run", run_json(r, id)));
	return 0;
}

/* The experiment ids of a run search, each reached by the caller; n at most
 * SEARCH_EXPERIMENTS_MAX. */
static int search_experiments(http_request *r, const json_t *list, int64_t *ids, int *n)
{
	*n = (int)json_array_size(list);
	if (!json_is_array(list) || *n < 1 || *n > SEARCH_EXPERIMENTS_MAX)
		return http_fail(r, CL_EINVAL, NULL, "experiment_ids must list 1 to %d experiments",
				 SEARCH_EXPERIMENTS_MAX);
	for (int i = 0; i < *n; i++) {
		ids[i] = id_of(json_array_get(list, i));
		json_t *e = experiment_reached(r, ids[i]);
		if (!e)
			return r->err.code;
		json_decref(e);
	}
	return 0;
}

/* The search's filter and order_by read into q; 400 naming what is wrong. */
static int search_query(http_request *r, const json_t *body, mlflow_query *q)
{
	int rc =
	    mlflow_filter_parse(json_string_value(json_object_get(body, "filter")), q, &r->err);
	const json_t *order = json_object_get(body, "order_by");
	size_t i;
	json_t *o;
	json_array_foreach(order, i, o)
	{
		if (!rc && !json_is_string(o))
			rc = http_fail(r, CL_EINVAL, NULL, "order_by[%zu] must be a string", i);
		if (!rc)
			rc = mlflow_order_parse(json_string_value(o), q, &r->err);
	}
	return rc;
}

/* Answers the runs of a page, the next page's token when the page is full. */
static int search_answer(http_request *r, const int64_t *ids, int n, int limit, int64_t from)
{
	json_t *runs = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(runs, run_json(r, ids[i]));
	json_t *answer = json_pack("{s:o}", "runs", runs);
	page_token(answer, n, limit, from + n);
	http_json(r, 200, answer);
	return 0;
}

/* POST runs/search {"experiment_ids", "filter"?, "max_results"?, "order_by"?, "page_token"?} */
int api_mlflow_runs_search(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (rc)
		return rc;
	int64_t exps[SEARCH_EXPERIMENTS_MAX], from = 0, *ids = NULL;
	int n_exps = 0, limit = 0;
	mlflow_query *q = calloc(1, sizeof *q);
	rc = q ? search_experiments(r, json_object_get(body, "experiment_ids"), exps, &n_exps)
	       : http_fail(r, CL_ENOMEM, NULL, "out of memory");
	if (!rc)
		rc = search_query(r, body, q);
	if (!rc)
		rc = page_of(r, json_object_get(body, "max_results"),
			     json_object_get(body, "page_token"), &limit, &from);
	if (!rc && !(ids = calloc((size_t)limit, sizeof *ids)))
		rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
	json_decref(body);
	if (!rc)
		rc = search_answer(
		    r, ids, store_mlflow_run_ids(api_app(r)->db, exps, n_exps, q, from, limit, ids),
		    limit, from);
	free(ids);
	free(q);
	return rc;
}

/* What a log call's check reads its body into, and what the batch it writes points at. */
typedef struct ml_log {
	mlflow_batch b;
	run_metric metric;   /* log-metric's one point */
	mlflow_pair pair;    /* log-param's or set-tag's one pair */
	run_metric *metrics; /* log-batch's lists, freed by its handler */
	mlflow_pair *params, *tags;
} ml_log;

/* The act of every log call: writes the batch its check read into the run reached, then
 * answers {}. */
static int log_act(http_request *r, ml_call *c)
{
	const ml_log *l = c->ctx;
	int rc = mlflow_log(&api_app(r)->store, c->id, &l->b, &r->err);
	if (!rc)
		http_json(r, 200, json_object());
	return rc;
}

/* One metric point of MLflow's shape: {"key", "value", "timestamp", "step"?}; `what` names it
 * in an error, with its index `at` when it is one of a list (at >= 0). The name is written
 * only for an error: a batch reads up to MLFLOW_BATCH_METRICS of them. */
static int metric_of(http_request *r, const char *what, ptrdiff_t at, const json_t *o,
		     run_metric *m)
{
	json_t *v = json_object_get(o, "value"), *t = json_object_get(o, "timestamp");
	json_t *step = json_object_get(o, "step");
	m->key = json_string_value(json_object_get(o, "key"));
	if (!json_is_object(o) || !m->key || !json_is_number(v) || (t && !json_is_integer(t)) ||
	    (step && !json_is_integer(step)))
		return at < 0 ? http_fail(r, CL_EINVAL, NULL, "%s must be " METRIC_SHAPE, what)
			      : http_fail(r, CL_EINVAL, NULL, "%s[%td] must be " METRIC_SHAPE, what,
					  at);
	m->value = json_number_value(v);
	m->at = t ? json_integer_value(t) : clock_now_ms();
	m->step = step ? json_integer_value(step) : 0;
	return 0;
}

/* log-metric's check: the body is the one point. */
static int log_metric_check(http_request *r, ml_call *c)
{
	ml_log *l = c->ctx;
	return metric_of(r, "the metric", -1, c->body, &l->metric);
}

/* POST runs/log-metric {"run_id", "key", "value", "timestamp", "step"?} */
int api_mlflow_log_metric(http_request *r)
{
	ml_log l = {.b.n_metrics = 1};
	l.b.metrics = &l.metric;
	return ml_body_call(r, ML_RUN, log_metric_check, log_act, &l);
}

/* log-parameter and set-tag's check: the body's key and value, the batch's one pair. */
static int log_pair_check(http_request *r, ml_call *c)
{
	ml_log *l = c->ctx;
	l->pair = (mlflow_pair){json_string_value(json_object_get(c->body, "key")),
				json_string_value(json_object_get(c->body, "value"))};
	if (!l->pair.key || !l->pair.value)
		return http_fail(r, CL_EINVAL, NULL, "key and value must be strings");
	return 0;
}

/* log-parameter and set-tag: {"run_id", "key", "value"} */
static int log_pair(http_request *r, bool param)
{
	ml_log l = {.b.n_params = param, .b.n_tags = !param};
	l.b.params = l.b.tags = &l.pair;
	return ml_body_call(r, ML_RUN, log_pair_check, log_act, &l);
}

int api_mlflow_log_param(http_request *r)
{
	return log_pair(r, true);
}

int api_mlflow_set_tag(http_request *r)
{
	return log_pair(r, false);
}

/* delete-tag's act: the tag the body's key names goes, then {}. */
static int delete_tag_act(http_request *r, ml_call *c)
{
	int rc = mlflow_tag_delete(&api_app(r)->store, c->id,
				   json_string_value(json_object_get(c->body, "key")), &r->err);
	if (!rc)
		http_json(r, 200, json_object());
	return rc;
}

/* POST runs/delete-tag {"run_id", "key"} */
int api_mlflow_delete_tag(http_request *r)
{
	return ml_body_call(r, ML_RUN, NULL, delete_tag_act, NULL);
}

/* The metrics of a log-batch; at most MLFLOW_BATCH_METRICS, checked before any is read. */
static int batch_metrics(http_request *r, const json_t *list, run_metric **out, size_t *n)
{
	*n = json_array_size(list);
	*out = NULL;
	if (list && !json_is_array(list))
		return http_fail(r, CL_EINVAL, NULL, "metrics must be an array");
	if (*n > MLFLOW_BATCH_METRICS)
		return http_fail(r, CL_EINVAL, NULL, "metrics holds at most %d points",
				 MLFLOW_BATCH_METRICS);
	*out = calloc(*n ? *n : 1, sizeof **out);
	if (!*out)
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	for (size_t i = 0; i < *n; i++) {
		int rc = metric_of(r, "metrics", (ptrdiff_t)i, json_array_get(list, i), &(*out)[i]);
		if (rc)
			return rc;
	}
	return 0;
}

/* log-batch's check: its metrics, params and tags read into the batch, each list's limit
 * checked before it is read. */
static int log_batch_check(http_request *r, ml_call *c)
{
	ml_log *l = c->ctx;
	int rc =
	    batch_metrics(r, json_object_get(c->body, "metrics"), &l->metrics, &l->b.n_metrics);
	if (!rc)
		rc = pairs_of(r, json_object_get(c->body, "params"), "params", MLFLOW_BATCH_PARAMS,
			      &l->params, &l->b.n_params);
	if (!rc)
		rc = pairs_of(r, json_object_get(c->body, "tags"), "tags", MLFLOW_BATCH_TAGS,
			      &l->tags, &l->b.n_tags);
	l->b.metrics = l->metrics;
	l->b.params = l->params;
	l->b.tags = l->tags;
	return rc;
}

/* POST runs/log-batch {"run_id", "metrics"?, "params"?, "tags"?}: one transaction. */
int api_mlflow_log_batch(http_request *r)
{
	ml_log l = {0};
	int rc = ml_body_call(r, ML_RUN, log_batch_check, log_act, &l);
	free(l.metrics);
	free(l.params);
	free(l.tags);
	return rc;
}

/* GET metrics/get-history?run_id=&metric_key= */
int api_mlflow_metric_history(http_request *r)
{
	int64_t id = query_id(r, http_query(r, "run_id") ? "run_id" : "run_uuid");
	const char *key = http_query(r, "metric_key");
	int rc = id ? run_reached(r, id) : http_fail(r, CL_EINVAL, NULL, "run_id must name a run");
	if (!rc && (!key || !*key))
		rc = http_fail(r, CL_EINVAL, NULL, "metric_key is required");
	if (rc)
		return rc;
	http_json(r, 200,
		  json_pack("{s:o}", "metrics",
			    store_mlflow_history(api_app(r)->db, id, key, HISTORY_MAX)));
	return 0;
}
