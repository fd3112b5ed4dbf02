/* Matching over HTTP: open projects ranked for the calling worker, workers ranked for a
 * project's manager, each rank with the figures behind it, and the manager's invite. */
#include "api/api.h"
#include "core/matching.h"
#include "store/store_quality.h"
#include "util/clock.h"

/* The figures behind a fit, each null where the history has none. */
static void fit_json(json_t *why, const match_fit *f)
{
	json_object_set_new(why, "gold_accuracy",
			    f->has_gold_accuracy ? json_real(f->gold_accuracy) : json_null());
	json_object_set_new(why, "gold_answers", json_integer(f->gold_answers));
	json_object_set_new(why, "approval_rate",
			    f->has_approval_rate ? json_real(f->approval_rate) : json_null());
	json_object_set_new(why, "approved", json_integer(f->approved));
	json_object_set_new(why, "avg_seconds_per_task",
			    f->has_avg_seconds ? json_real(f->avg_seconds) : json_null());
	json_object_set_new(why, "days_since_last_task",
			    f->has_days_since_last ? json_real(f->days_since_last) : json_null());
	json_object_set_new(why, "weights",
			    json_pack("{s:f,s:f,s:f,s:f}", "gold_accuracy", MATCH_WEIGHT_GOLD,
				      "approval_rate", MATCH_WEIGHT_APPROVAL, "speed",
				      MATCH_WEIGHT_SPEED, "recency", MATCH_WEIGHT_RECENCY));
}

static json_t *project_match_json(const project_match *m)
{
	const matching_project *k = m->project;
	json_t *why = json_object();
	fit_json(why, &m->fit);
	json_object_set_new(why, "pay", json_real(m->pay));
	json_object_set_new(why, "qualified", json_boolean(m->qualified));
	json_t *missing = json_array();
	for (int q = 0; q < m->n_missing; q++)
		json_array_append_new(missing, json_integer(m->missing[q]));
	json_object_set_new(why, "missing_courses", missing);
	json_object_set_new(why, "open_tasks", json_integer(k->open));
	return json_pack("{s:I,s:s,s:s,s:I,s:s,s:s,s:f,s:o}", "project_id", (json_int_t)k->id,
			 "name", k->name, "kind", k->kind, "price", (json_int_t)k->price,
			 "currency", k->currency, "my_role", k->role[0] ? k->role : "worker",
			 "score", m->score, "figures", why);
}

static json_t *worker_match_json(const worker_match *m)
{
	const matching_worker *w = m->worker;
	json_t *why = json_object();
	fit_json(why, &m->fit);
	json_object_set_new(why, "qualified", json_boolean(m->qualified));
	json_t *o = json_pack("{s:I,s:s,s:f,s:o}", "user_id", (json_int_t)w->id, "username",
			      w->username, "score", m->score, "figures", why);
	json_object_set_new(o, "member_role",
			    w->member_role[0] ? json_string(w->member_role) : json_null());
	return o;
}

int api_me_matches(http_request *r)
{
	project_matches m;
	json_t *items = NULL;
	if (!matching_for_worker(&api_app(r)->store, r->user.id, clock_now_ms(), &m)) {
		items = json_array();
		for (size_t i = 0; i < m.n; i++)
			json_array_append_new(items, project_match_json(&m.top[i]));
	}
	project_matches_release(&m);
	http_json_page(r, items, NULL);
	return 0;
}

int api_projects_matches(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	worker_matches m;
	json_t *items = NULL;
	if (!matching_for_project(&api_app(r)->store, p->id, p->kind, clock_now_ms(), &m)) {
		items = json_array();
		for (size_t i = 0; i < m.n; i++)
			json_array_append_new(items, worker_match_json(&m.top[i]));
	}
	worker_matches_release(&m);
	http_json_page(r, items, NULL);
	return 0;
}

int api_projects_invite(http_request *r)
{
	const project *p = &api_scope_of(r)->project;
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	json_t *id = json_object_get(body, "user_id");
	if (!rc && json_integer_value(id) <= 0)
		rc = http_fail(r, CL_EINVAL, NULL, "\"user_id\" must be a positive integer");
	json_t *u = NULL;
	if (!rc && !(u = store_user_get(api_app(r)->db, json_integer_value(id))))
		rc = http_fail(r, CL_ENOTFOUND, "user_not_found", "no such user");
	json_decref(u);
	char org_role[16], member_role[16];
	if (!rc) {
		store_project_roles(api_app(r)->db, p->id, p->org_id, json_integer_value(id),
				    org_role, member_role);
		/* An invite never lowers a reviewer to a worker. */
		if (!member_role[0])
			rc = store_project_member_set(api_app(r)->db, p->id, json_integer_value(id),
						      "worker", &r->err);
	}
	if (!rc)
		http_json(r, 201,
			  json_pack("{s:I,s:I,s:s}", "project_id", (json_int_t)p->id, "user_id",
				    (json_int_t)json_integer_value(id), "role",
				    member_role[0] ? member_role : "worker"));
	json_decref(body);
	return rc;
}
