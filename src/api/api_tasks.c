/* The labeling loop over HTTP: next task, submit, release, next review, review decision,
 * manager resolution of escalated tasks, and reading tasks with their history. */
#include "api/api.h"
#include "core/annotation.h"
#include "core/task.h"
#include "util/json.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define REASON_MAX 2000

/* Validates an annotation against the project and the item of `f` (read here when it has no
 * item's facts yet); *text gets the compact JSON to store (caller frees). */
static int validate(http_request *r, const project *p, int64_t task_id, const task_facts *f,
		    const json_t *ann, char **text)
{
	if (!json_is_object(ann))
		return http_fail(r, CL_EANNOTATION, NULL, "\"annotation\" must be an object");
	task_facts read = {0};
	if (!f) {
		int rc = store_task_facts(api_app(r)->db, task_id, true, &read);
		if (rc)
			return rc == CL_ENOTFOUND
				   ? http_fail(r, CL_ENOTFOUND, NULL, "task not found")
				   : rc;
		f = &read;
	}
	item_facts item = {.type = task_kind_item_type(p->kind),
			   .text = f->text,
			   .width = f->width,
			   .height = f->height};
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
	int rc = store_task_change_answer(api_app(r)->db, r->defer_ctx, &task, &r->err);
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
	http_defer(r, change_finish, *tc, store_task_change_free);
	store_task_change_run(api_app(r)->db, *tc, http_wake, r);
	return HTTP_DEFERRED;
}

int api_tasks_next(http_request *r)
{
	api_scope *s = api_scope_of(r);
	task_change *tc = NULL;
	int rc = api_academy_gate(r, &s->project, s->rights);
	if (!rc)
		rc = change_defer(r, store_task_next_start(&s->project, r->user.id, &tc), &tc);
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
		/* A sampled review policy approves the rest without a reviewer. */
		bool skip = p->review_sample &&
			    (double)randombytes_uniform(1000000) / 1e6 >= p->review_rate;
		rc = store_task_submit_start(r->ids[0], r->user.id, ann, skip, &tc);
		if (!rc && next)
			store_task_change_chain(tc, p, false);
		rc = change_defer(r, rc, &tc);
	}
	free(ann);
	json_decref(body);
	return rc;
}

int api_tasks_release(http_request *r)
{
	json_t *task = NULL;
	int rc = store_task_release(api_app(r)->db, r->ids[0], r->user.id, &task, &r->err);
	if (!rc)
		http_json(r, 200, task);
	return rc;
}

int api_reviews_next(http_request *r)
{
	task_change *tc = NULL;
	return change_defer(r, store_review_next_start(&api_scope_of(r)->project, r->user.id, &tc),
			    &tc);
}

/* A string the route declares (null or absent: *out NULL), up to `max` bytes. */
static int optional_string(http_request *r, const json_t *body, const char *key, size_t max,
			   const char **out)
{
	json_t *v = json_object_get(body, key);
	*out = json_string_value(v);
	if (*out && strlen(*out) > max)
		return http_fail(r, CL_EINVAL, NULL, "\"%s\" is longer than %zu bytes", key, max);
	*out = json_string_value(v);
	return 0;
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
	const char *decision = json_string_value(json_object_get(body, "decision"));
	if (!rc)
		rc = optional_string(r, body, "reason", REASON_MAX, &dec.reason);
	if (!rc)
		rc = optional_string(r, body, "reason_template", 200, &dec.reason_template);
	if (rc)
		goto out;
	if (!strcmp(decision, "approve")) {
		dec.action = TASK_APPROVE;
	} else if (!strcmp(decision, "reject")) {
		dec.action = TASK_REJECT;
		const char *s = dec.reason;
		while (s && (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r'))
			s++;
		if (!s || !*s) {
			rc = http_fail(r, CL_EANNOTATION, "reason_required",
				       "a rejection needs a reason the worker can act on");
			goto out;
		}
	} else { /* "fix", the last the route declares */
		dec.action = TASK_FIX;
		rc = validate(r, p, r->ids[0], NULL, json_object_get(body, "annotation"), &ann);
		if (rc)
			goto out;
		dec.annotation = ann;
	}
	rc = store_task_review_start(p, r->ids[0], r->user.id, &dec, &tc);
	if (!rc && next)
		store_task_change_chain(tc, p, true);
	rc = change_defer(r, rc, &tc);
out:
	free(ann);
	json_decref(body);
	return rc;
}

int api_tasks_resolve(http_request *r)
{
	project *p = &api_scope_of(r)->project;
	json_t *body = NULL, *task = NULL;
	char *ann = NULL;
	const char *reason = NULL;
	int action = 0;
	int rc = http_body_json(r, &body);
	const char *decision = json_string_value(json_object_get(body, "decision"));
	if (!rc)
		rc = optional_string(r, body, "reason", REASON_MAX, &reason);
	if (rc)
		goto out;
	if (!strcmp(decision, "approve")) {
		action = TASK_RESOLVE_APPROVE;
		json_t *a = json_object_get(body, "annotation");
		if (a && !json_is_null(a) && (rc = validate(r, p, r->ids[0], NULL, a, &ann)))
			goto out;
	} else { /* "discard", the other the route declares */
		action = TASK_DISCARD;
	}
	rc = store_task_resolve(api_app(r)->db, r->ids[0], r->user.id, action, ann, reason, &task,
				&r->err);
	if (!rc)
		http_json(r, 200, task);
out:
	free(ann);
	json_decref(body);
	return rc;
}

int api_tasks_get(http_request *r)
{
	json_t *task = store_task_get(api_app(r)->db, r->ids[0]);
	if (!task)
		return http_fail(r, CL_ENOTFOUND, NULL, "task not found");
	http_json(r, 200, task);
	return 0;
}

int api_tasks_list(http_request *r)
{
	project *p = &api_scope_of(r)->project;
	int64_t cursor, next, worker;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (!rc)
		rc = http_query_id(r, "worker_id", &worker);
	const char *state = http_query(r, "state");
	task_state s;
	if (!rc && state && task_state_parse(state, &s))
		rc = http_fail(r, CL_EINVAL, NULL, "unknown state filter \"%.32s\"", state);
	if (!rc) {
		json_t *items = store_tasks_list(api_app(r)->db, p->id, state, worker, cursor,
						 limit, desc, &next);
		http_json_page(r, items, &next);
	}
	return rc;
}
