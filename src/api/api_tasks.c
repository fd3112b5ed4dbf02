/* The labeling loop over HTTP: next task, submit, release, next review, review decision,
 * manager resolution of escalated tasks, and reading tasks with their history. */
#include "api/api.h"
#include "api/task_json.h"
#include "core/annotation.h"
#include "core/task_desk.h"
#include "core/task_loop.h"
#include "util/clock.h"
#include "util/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Validates an annotation against the project and the item of `f` (read here when it has no
 * item's facts yet); *text gets the compact JSON to store (caller frees). */
static int validate(http_request *r, const project *p, int64_t task_id, const task_facts *f,
		    const json_t *ann, char **text)
{
	if (!json_is_object(ann))
		return http_fail(r, CL_EANNOTATION, NULL, "\"annotation\" must be an object");
	task_facts read = {0};
	if (!f) {
		int rc = api_app(r)->store.ops->task_facts(api_app(r)->db, task_id, true, &read);
		if (rc)
			return rc == CL_ENOTFOUND
				   ? http_fail(r, CL_ENOTFOUND, NULL, "task not found")
				   : rc;
		f = &read;
	}
	item_facts item = {.type = task_kind_item_type(p->kind),
			   .text = f->text,
			   .width = f->width,
			   .height = f->height,
			   .task_id = task_id};
	int rc = annotation_validate(p, &item, ann, &r->err);
	task_facts_release(&read);
	if (rc)
		return rc;
	*text = json_dumps(ann, JSON_OUT);
	return *text ? 0 : CL_ENOMEM;
}

/* The answer of a task change started by one of the loop's routes, once it is durable. */
static int change_finish(http_request *r)
{
	buf task;
	buf_init(&task, 0);
	int rc = task_change_finish(r->defer_ctx, &r->err);
	if (!rc && task_json_change_write(&task, r->defer_ctx))
		rc = http_fail(r, CL_ENOMEM, NULL, "the answer does not fit in memory");
	if (!rc) {
		if (task.len)
			http_json_text(r, 200, &task);
		else
			http_no_content(r);
	}
	buf_release(&task);
	return rc;
}

/* Runs a prepared change (`rc` is the result of preparing *tc; a pointer, as C leaves the order
 * of arguments open) without blocking the I/O thread: the request waits, suspended, and
 * change_finish answers it when the store is done (ROUTE_ASYNC). */
static int change_defer(http_request *r, int rc, task_change **tc)
{
	if (rc)
		return rc;
	http_defer(r, change_finish, *tc, task_change_free);
	task_change_run(*tc, http_wake, r);
	return HTTP_DEFERRED;
}

int api_tasks_next(http_request *r)
{
	api_scope *s = api_scope_of(r);
	task_change *tc = NULL;
	int rc = api_academy_gate(r, &s->project, s->rights);
	if (!rc)
		rc = change_defer(r, task_claim_start(&api_app(r)->store, &s->project, r->user.id, &tc),
				  &tc);
	return rc;
}

int api_tasks_submit(http_request *r)
{
	api_scope *s = api_scope_of(r);
	project *p = &s->project;
	json_t *body = NULL;
	char *ann = NULL;
	task_change *tc = NULL;
	/* Whether the caller holds the lease is the writer's check (not_lease_holder). */
	int rc = http_body_json(r, &body);
	bool next = json_is_true(json_object_get(body, "next"));
	if (!rc)
		rc =
		    validate(r, p, r->ids[0], &s->facts, json_object_get(body, "annotation"), &ann);
	/* The next claim is refused as a claim alone would be, before anything changes. */
	if (!rc && next)
		rc = api_academy_gate(r, p, s->rights);
	if (!rc) {
		rc = task_submit_start(&api_app(r)->store, p, r->ids[0], r->user.id, ann, &tc);
		if (!rc && next)
			task_change_chain(tc, p, false);
		rc = change_defer(r, rc, &tc);
	}
	free(ann);
	json_decref(body);
	return rc;
}

/* Runs a change that answers at once (release, resolve) and answers its task; `rc` is the
 * result of preparing *tc, which is read here, after every argument was evaluated. */
static int change_answer_now(http_request *r, int rc, task_change **tcp)
{
	task_change *tc = *tcp;
	if (!rc)
		rc = task_change_wait(tc, &r->err);
	buf task;
	buf_init(&task, 0);
	if (!rc && task_json_change_write(&task, tc))
		rc = http_fail(r, CL_ENOMEM, NULL, "the answer does not fit in memory");
	if (!rc)
		http_json_text(r, 200, &task);
	buf_release(&task);
	task_change_free(tc);
	return rc;
}

int api_tasks_release(http_request *r)
{
	task_change *tc = NULL;
	return change_answer_now(
	    r, task_release_start(&api_app(r)->store, r->ids[0], r->user.id, &tc), &tc);
}

int api_reviews_next(http_request *r)
{
	task_change *tc = NULL;
	int rc = review_claim_start(&api_app(r)->store, &api_scope_of(r)->project, r->user.id, &tc);
	return change_defer(r, rc, &tc);
}

/* A string member the route declares; NULL when null or absent. */
static const char *optional_string(const json_t *body, const char *key)
{
	return json_string_value(json_object_get(body, key));
}

/* The decision's action; the route's declared body holds the choices. */
static task_action decision_action(const char *decision)
{
	if (!strcmp(decision, "reject"))
		return TASK_REJECT;
	if (!strcmp(decision, "fix"))
		return TASK_FIX;
	return TASK_APPROVE;
}

int api_tasks_review(http_request *r)
{
	project *p = &api_scope_of(r)->project;
	json_t *body = NULL;
	task_change *tc = NULL;
	char *ann = NULL;
	review_decision dec = {0};
	/* Whether the caller holds the review lease, and is not the task's worker (own_work), is
	 * the writer's check. */
	int rc = http_body_json(r, &body);
	bool next = json_is_true(json_object_get(body, "next"));
	if (rc)
		goto out;
	dec.action = decision_action(json_string_value(json_object_get(body, "decision")));
	dec.reason = optional_string(body, "reason");
	dec.reason_template = optional_string(body, "reason_template");
	dec.rubric = json_object_get(body, "rubric");
	if (dec.rubric && (rc = annotation_rubric_check(p, dec.rubric, &r->err)))
		goto out;
	if (dec.action == TASK_FIX) {
		rc = validate(r, p, r->ids[0], NULL, json_object_get(body, "annotation"), &ann);
		if (rc)
			goto out;
		dec.annotation = ann;
	}
	rc = task_review_start(&api_app(r)->store, p, r->ids[0], r->user.id, &dec, &tc, &r->err);
	if (!rc && next)
		task_change_chain(tc, p, true);
	rc = change_defer(r, rc, &tc);
out:
	free(ann);
	json_decref(body);
	return rc;
}

int api_tasks_resolve(http_request *r)
{
	project *p = &api_scope_of(r)->project;
	json_t *body = NULL;
	char *ann = NULL;
	task_change *tc = NULL;
	int rc = http_body_json(r, &body);
	if (rc)
		goto out;
	bool discard = !strcmp(json_string_value(json_object_get(body, "decision")), "discard");
	json_t *a = json_object_get(body, "annotation");
	if (!discard && a && !json_is_null(a) && (rc = validate(r, p, r->ids[0], NULL, a, &ann)))
		goto out;
	rc = task_resolve_start(&api_app(r)->store, r->ids[0], r->user.id,
				discard ? TASK_DISCARD : TASK_RESOLVE_APPROVE, ann,
				optional_string(body, "reason"), &tc, &r->err);
	rc = change_answer_now(r, rc, &tc);
out:
	free(ann);
	json_decref(body);
	return rc;
}

/* The task's item, to those who hold or held the task as to staff: the one way a worker or
 * reviewer fetches an image, so that gold items are never looked up by id. */
int api_tasks_asset(http_request *r)
{
	return api_item_asset_send(r, api_scope_of(r)->task.item_id);
}

int api_tasks_get(http_request *r)
{
	task_view v;
	if (!api_app(r)->store.ops->task_view_read(api_app(r)->db, r->ids[0], TASK_WITH_HISTORY,
						    &v))
		return http_fail(r, CL_ENOTFOUND, NULL, "task not found");
	buf task;
	buf_init(&task, 0);
	int rc = 0;
	if (task_json_write(&task, &v, &api_scope_of(r)->project))
		rc = http_fail(r, CL_ENOMEM, NULL, "the answer does not fit in memory");
	else
		http_json_text(r, 200, &task);
	buf_release(&task);
	task_view_release(&v);
	return rc;
}

/* A page of tasks as a JSON array (NULL when out of memory). */
static json_t *tasks_page(app *a, const task_query *q, int64_t *next)
{
	task_view *v = NULL;
	int n = a->store.ops->tasks_page(a->db, q, &v, next);
	json_t *items = n < 0 ? NULL : json_array();
	for (int i = 0; i < n; i++) {
		if (items && json_array_append_new(items, task_json(&v[i], NULL))) {
			json_decref(items);
			items = NULL;
		}
		task_view_release(&v[i]);
	}
	free(v);
	return items;
}

/* Where the task browser's filters are read from: the request's query, or the "filter" object
 * of a bulk call, whose numbers and booleans read as the query would spell them. */
typedef struct filter_src {
	http_request *r;
	const json_t *obj; /* NULL: the query */
	char num[4][24];
	int used;
} filter_src;

/* The filter's value of `key` as text; NULL when absent, "" for a value of the wrong type (which
 * every parser refuses). */
static const char *filter_get(filter_src *f, const char *key)
{
	if (!f->obj)
		return http_query(f->r, key);
	const json_t *v = json_object_get(f->obj, key);
	if (!v || json_is_null(v))
		return NULL;
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_boolean(v))
		return json_is_true(v) ? "true" : "false";
	if (!json_is_integer(v) || f->used == 4)
		return "";
	snprintf(f->num[f->used], sizeof f->num[0], "%lld", (long long)json_integer_value(v));
	return f->num[f->used++];
}

/* How a message names key: as a query parameter or as a field of the filter. */
static const char *filter_what(const filter_src *f)
{
	return f->obj ? "filter field" : "query parameter";
}

static int filter_id(filter_src *f, const char *key, int64_t *out)
{
	const char *v = filter_get(f, key);
	char *end;
	*out = 0;
	if (!v)
		return 0;
	long long id = strtoll(v, &end, 10);
	if (!*v || *end || id <= 0)
		return http_fail(f->r, CL_EINVAL, NULL, "%s %s must be a positive integer",
				 filter_what(f), key);
	*out = id;
	return 0;
}

/* A date or a time of the filter, "2026-12-06" or "2026-12-06T09:30:00Z", as ms; a date alone
 * that ends a range (`end_of_day`) holds that whole day. */
static int query_time(filter_src *f, const char *key, bool end_of_day, int64_t *out)
{
	const char *v = filter_get(f, key);
	*out = 0;
	if (!v)
		return 0;
	struct tm tm = {0};
	int used = 0;
	bool time = strlen(v) > 10;
	int n = time ? sscanf(v, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
			      &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &used)
		     : sscanf(v, "%4d-%2d-%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &used);
	if (n != (time ? 6 : 3) || v[used] || tm.tm_mon < 1 || tm.tm_mon > 12 || tm.tm_mday < 1 ||
	    tm.tm_mday > 31 || tm.tm_year < 1970)
		return http_fail(f->r, CL_EINVAL, NULL,
				 "%s %s must be a date (2026-12-06) or a UTC time"
				 " (2026-12-06T09:30:00Z)",
				 filter_what(f), key);
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	*out = (int64_t)timegm(&tm) * 1000 + (end_of_day && !time ? 86400000 : 0);
	return 0;
}

/* A short text filter; NULL when absent. */
static int query_text(filter_src *f, const char *key, const char **out)
{
	*out = filter_get(f, key);
	if (*out && (!**out || strlen(*out) > 200))
		return http_fail(f->r, CL_EINVAL, NULL, "%s %s must be 1 to 200 bytes",
				 filter_what(f), key);
	return 0;
}

static int query_round(filter_src *f, task_query *q)
{
	const char *round = filter_get(f, "round");
	if (!round)
		return 0;
	char *end;
	long v = strtol(round, &end, 10);
	q->by_round = true;
	q->round = (int)v;
	if (*end || !*round || v < 0 || v > 1000)
		return http_fail(f->r, CL_EINVAL, NULL, "%s round must be 0 to 1000",
				 filter_what(f));
	return 0;
}

/* The task browser's filters: the state, the worker and the rest. */
static int query_filters(filter_src *f, task_query *q)
{
	const char *gold = filter_get(f, "gold");
	task_state s;
	q->state = filter_get(f, "state");
	if (q->state && task_state_parse(q->state, &s))
		return http_fail(f->r, CL_EINVAL, NULL, "unknown state filter \"%.32s\"", q->state);
	int rc = filter_id(f, "worker_id", &q->worker_id);
	if (!rc)
		rc = filter_id(f, "reviewer_id", &q->reviewer_id);
	if (!rc)
		rc = query_round(f, q);
	if (!rc && gold) {
		q->gold = !strcmp(gold, "true") ? 1 : !strcmp(gold, "false") ? 2 : -1;
		if (q->gold < 0)
			rc = http_fail(f->r, CL_EINVAL, NULL, "%s gold must be true or false",
				       filter_what(f));
	}
	if (!rc)
		rc = query_text(f, "label", &q->label);
	if (!rc)
		rc = query_text(f, "q", &q->text);
	if (!rc)
		rc = query_time(f, "from", false, &q->from);
	if (!rc)
		rc = query_time(f, "to", true, &q->to);
	if (!rc && q->from && q->to && q->from >= q->to)
		rc = http_fail(f->r, CL_EINVAL, NULL,
			       "the range's \"from\" must come before its \"to\"");
	return rc;
}

int api_tasks_list(http_request *r)
{
	project *p = &api_scope_of(r)->project;
	int64_t next;
	task_query q = {.project_id = p->id};
	filter_src f = {.r = r};
	int rc = http_page(r, NULL, &q.cursor, &q.limit, &q.desc);
	if (!rc)
		rc = query_filters(&f, &q);
	if (!rc)
		http_json_page(r, tasks_page(api_app(r), &q, &next), &next);
	return rc;
}

/* The task ids of a bulk call's body into *ids (caller frees); 400 when one is not an id. */
static int bulk_ids(http_request *r, const json_t *list, int64_t **ids, int *n)
{
	size_t count = json_array_size(list);
	*n = 0;
	*ids = NULL;
	if (count < 1 || count > TASK_BULK_MAX)
		return http_fail(r, CL_EINVAL, NULL, "\"task_ids\" must name 1 to %d tasks",
				 TASK_BULK_MAX);
	if (!(*ids = calloc(count, sizeof **ids)))
		return CL_ENOMEM;
	for (size_t i = 0; i < count; i++) {
		json_t *v = json_array_get(list, i);
		if (!json_is_integer(v) || json_integer_value(v) <= 0)
			return http_fail(r, CL_EINVAL, NULL,
					 "\"task_ids\" must hold positive integers");
		(*ids)[i] = json_integer_value(v);
	}
	*n = (int)count;
	return 0;
}

/* The keys a bulk call's "filter" may hold: the task browser's. */
static const char *const filter_keys[] = {"state", "worker_id", "reviewer_id", "label", "round",
					  "gold", "q", "from", "to", NULL};

static int filter_keys_check(http_request *r, const json_t *filter)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)filter, key, v)
	{
		bool known = false;
		for (int i = 0; filter_keys[i] && !known; i++)
			known = !strcmp(key, filter_keys[i]);
		if (!known)
			return http_fail(r, CL_EINVAL, NULL, "unknown filter field \"%.32s\"", key);
	}
	return 0;
}

/* The ids of every task the browser's filter matches ("all N matching"), into *ids (caller
 * frees): 400 when more than TASK_BULK_MAX match, found before any task changes. */
static int bulk_ids_of_filter(http_request *r, const json_t *filter, int64_t **ids, int *n)
{
	app *a = api_app(r);
	filter_src f = {.r = r, .obj = filter};
	task_query q = {.project_id = r->ids[0], .limit = 200};
	*n = 0;
	int rc = filter_keys_check(r, filter);
	if (!rc)
		rc = query_filters(&f, &q);
	if (rc)
		return rc;
	if (!(*ids = calloc(TASK_BULK_MAX + 1, sizeof **ids)))
		return CL_ENOMEM;
	do {
		task_view *v = NULL;
		int64_t next = 0;
		int k = a->store.ops->tasks_page(a->db, &q, &v, &next);
		for (int i = 0; i < k; i++) {
			if (*n <= TASK_BULK_MAX)
				(*ids)[(*n)++] = v[i].id;
			task_view_release(&v[i]);
		}
		free(v);
		if (k < 0)
			return http_fail(r, CL_ENOMEM, NULL, "the tasks do not fit in memory");
		q.cursor = next;
	} while (q.cursor && *n <= TASK_BULK_MAX);
	if (*n > TASK_BULK_MAX)
		return http_fail(r, CL_EINVAL, "too_many_tasks",
				 "the filter matches more than %d tasks: narrow it", TASK_BULK_MAX);
	return 0;
}

/* The tasks a bulk call names: its "task_ids", or every task its "filter" matches. */
static int bulk_targets(http_request *r, const json_t *body, int64_t **ids, int *n)
{
	const json_t *list = json_object_get(body, "task_ids"),
		     *filter = json_object_get(body, "filter");
	if (!list == !filter)
		return http_fail(r, CL_EINVAL, NULL,
				 "give either \"task_ids\" or a \"filter\", not both");
	return list ? bulk_ids(r, list, ids, n) : bulk_ids_of_filter(r, filter, ids, n);
}

int api_tasks_bulk(http_request *r)
{
	json_t *body = NULL;
	int64_t *ids = NULL;
	task_bulk b = {.project_id = r->ids[0], .user_id = r->user.id};
	task_bulk_result res = {0};
	int rc = http_body_json(r, &body);
	if (!rc)
		rc = bulk_targets(r, body, &ids, &b.n);
	if (rc)
		goto out;
	/* A dry run says how many tasks the call names, for the browser to confirm. */
	if (json_is_true(json_object_get(body, "dry_run"))) {
		http_json(r, 200, json_pack("{s:s,s:i}", "action",
					    json_string_value(json_object_get(body, "action")),
					    "matching", b.n));
		goto out;
	}
	if (!b.n) {
		rc = http_fail(r, CL_EINVAL, NULL, "the filter matches no task");
		goto out;
	}
	task_bulk_action_parse(json_string_value(json_object_get(body, "action")), &b.action);
	json_t *priority = json_object_get(body, "priority");
	if (b.action == TASK_BULK_PRIORITY && !json_is_integer(priority)) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"priority\" is required to change priority");
		goto out;
	}
	json_t *worker = json_object_get(body, "worker_id");
	if (b.action == TASK_BULK_REASSIGN && !json_is_integer(worker)) {
		rc = http_fail(r, CL_EINVAL, NULL, "\"worker_id\" is required to reassign");
		goto out;
	}
	b.worker_id = json_integer_value(worker);
	b.lease_seconds = api_scope_of(r)->project.lease_seconds;
	json_int_t pv = json_integer_value(priority);
	b.priority = pv < INT32_MIN ? INT32_MIN : pv > INT32_MAX ? INT32_MAX : (int)pv;
	b.reason = optional_string(body, "reason");
	b.ids = ids;
	rc = task_bulk_run(&api_app(r)->store, &b, &res, &r->err);
	if (!rc)
		http_json(r, 200,
			  json_pack("{s:s,s:i,s:i,s:o}", "action",
				    json_string_value(json_object_get(body, "action")), "matching",
				    b.n, "changed", res.changed, "skipped", res.skipped));
out:
	free(ids);
	json_decref(body);
	return rc;
}

int api_tasks_annotations(http_request *r)
{
	json_t *rounds = api_app(r)->store.ops->task_rounds(api_app(r)->db, r->ids[0]);
	if (!rounds)
		return http_fail(r, CL_ENOMEM, NULL, "the answer does not fit in memory");
	http_json(r, 200, rounds);
	return 0;
}

int api_tasks_reopen(http_request *r)
{
	task_change *tc = NULL;
	int rc = task_reopen_start(&api_app(r)->store, &api_scope_of(r)->project, r->ids[0],
				   r->user.id, &tc);
	return change_answer_now(r, rc, &tc);
}

int api_tasks_left(http_request *r)
{
	int64_t left = api_app(r)->store.ops->tasks_left_for(api_app(r)->db, r->ids[0], r->user.id,
							     clock_now_ms());
	http_json(
	    r, 200,
	    json_pack("{s:I,s:I}", "project_id", (json_int_t)r->ids[0], "left", (json_int_t)left));
	return 0;
}
