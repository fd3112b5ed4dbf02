/* A project's figures: counts by state, throughput, first-pass approval, per worker, and what
 * pre-annotations save. */
#include "api/api.h"
#include "core/preannotation_stats.h"
#include "core/stats.h"
#include "store/store_stats.h"
#include "util/clock.h"

#include <stdlib.h>
#include <string.h>

static void preannotation_row(void *ctx, int64_t ms, const char *pre, const char *ann)
{
	preannotation_stats_add(ctx, ms, pre, ann);
}

static json_t *tasks_json(const project_stats *s)
{
	json_t *states = json_object();
	for (int i = 0; i < TASK_STATE_COUNT; i++)
		json_object_set_new(states, task_state_names[i], json_integer(s->tasks[i]));
	return states;
}

static json_t *per_hour_json(const project_stats *s)
{
	json_t *per_hour = json_array();
	for (int i = 0; i < 24; i++) {
		char at[32];
		clock_iso8601(s->hours_since + (int64_t)i * 3600 * 1000, at);
		json_array_append_new(per_hour, json_pack("{s:s,s:I}", "hour", at, "approved",
							  (json_int_t)s->approved_per_hour[i]));
	}
	return per_hour;
}

static json_t *workers_json(const project_stats *s)
{
	json_t *workers = json_array();
	for (size_t i = 0; i < s->n_workers; i++) {
		const stats_worker *w = &s->workers[i];
		json_array_append_new(
		    workers, json_pack("{s:I,s:s,s:I,s:I,s:I,s:I,s:I}", "user_id",
				       (json_int_t)w->user_id, "username", w->username, "submitted",
				       (json_int_t)w->submitted, "approved", (json_int_t)w->approved,
				       "rejected", (json_int_t)w->rejected, "first_pass_approved",
				       (json_int_t)w->first_pass, "reviews_done", (json_int_t)w->reviews));
	}
	return workers;
}

/* The Stats answer of the counted figures (docs/API.md). */
static json_t *stats_json(int64_t project_id, const project_stats *s)
{
	double rate;
	bool known = project_stats_first_pass_rate(s, &rate);
	return json_pack("{s:I,s:I,s:o,s:I,s:o,s:I,s:I,s:o,s:o}", "project_id",
			 (json_int_t)project_id, "items", (json_int_t)s->items, "tasks",
			 tasks_json(s), "total_tasks", (json_int_t)s->total_tasks,
			 "approved_per_hour", per_hour_json(s), "approved_last_hour",
			 (json_int_t)s->approved_last_hour, "reviews", (json_int_t)s->reviews,
			 "workers", workers_json(s), "first_pass_approval_rate",
			 known ? json_real(rate) : json_null());
}

/* The project's figures, with what its pre-annotations save (core/preannotation_stats.h). */
int api_stats(http_request *r)
{
	db *d = api_app(r)->db;
	project_stats s;
	if (store_project_stats(d, r->ids[0], clock_now_ms(), &s)) {
		free(s.workers);
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	}
	json_t *o = stats_json(r->ids[0], &s);
	free(s.workers);
	preannotation_stats pre = {0};
	store_preannotation_rows(d, r->ids[0], preannotation_row, &pre);
	json_object_set_new(o, "preannotation", preannotation_stats_finish(&pre));
	http_json(r, 200, o);
	return 0;
}
