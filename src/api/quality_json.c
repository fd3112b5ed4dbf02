/* The quality figures as the answers show them: each proportion an interval, each flag a name. */
#include "api/quality_json.h"
#include "core/quality.h"

#include <stdio.h>

/* ["name"] when `raised`, else []. */
static json_t *flags(bool raised, const char *name)
{
	return raised ? json_pack("[s]", name) : json_array();
}

/* "p% (lo–hi), n=N" of the project's audits, or that there are none. */
static json_t *summary(const quality_interval *q)
{
	if (!q->n)
		return json_string("not audited yet");
	char line[96];
	snprintf(line, sizeof line, "%.1f%% (%.1f\xe2\x80\x93%.1f), n=%ld", q->p * 100, q->lo * 100,
		 q->hi * 100, q->n);
	return json_string(line);
}

static json_t *worker_json(const quality_worker_line *w)
{
	json_t *o = json_pack(
	    "{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:o}", "user_id", (json_int_t)w->user_id, "username",
	    w->username, "role", w->role, "submitted", (json_int_t)w->submitted, "approved",
	    (json_int_t)w->approved, "first_pass_approved", (json_int_t)w->first_pass, "rejections",
	    (json_int_t)w->rejections, "gold_accuracy", quality_interval_json(&w->gold_accuracy));
	json_object_set_new(o, "first_pass_rate",
			    w->approved ? json_real((double)w->first_pass / (double)w->approved)
					: json_null());
	json_object_set_new(o, "flags", flags(w->suspected_spammer, "suspected_spammer"));
	return o;
}

static json_t *reviewer_json(const quality_reviewer_line *r)
{
	json_t *o =
	    json_pack("{s:I,s:s,s:s,s:I,s:I,s:I,s:I,s:I,s:o}", "user_id", (json_int_t)r->user_id,
		      "username", r->username, "role", r->role, "reviews", (json_int_t)r->reviews,
		      "honeypots", (json_int_t)r->honeypots, "honeypots_caught",
		      (json_int_t)r->caught, "audits", (json_int_t)r->audits, "audits_passed",
		      (json_int_t)r->passed, "accuracy", quality_interval_json(&r->accuracy));
	json_object_set_new(o, "flags", flags(r->careless, "careless_reviewer"));
	return o;
}

json_t *quality_figures_json(const quality_figures *f)
{
	json_t *workers = json_array(), *reviewers = json_array();
	for (size_t i = 0; i < f->n_workers; i++)
		json_array_append_new(workers, worker_json(&f->workers[i]));
	for (size_t i = 0; i < f->n_reviewers; i++)
		json_array_append_new(reviewers, reviewer_json(&f->reviewers[i]));
	return json_pack("{s:I,s:o,s:o,s:{s:I,s:o},s:{s:I,s:I},s:o,s:o}", "project_id",
			 (json_int_t)f->project_id, "estimated_quality",
			 quality_interval_json(&f->estimated_quality), "summary",
			 summary(&f->estimated_quality), "gold", "items", (json_int_t)f->gold_items,
			 "accuracy", quality_interval_json(&f->gold_accuracy), "honeypots",
			 "decided", (json_int_t)f->honeypots_n, "caught",
			 (json_int_t)f->honeypots_k, "workers", workers, "reviewers", reviewers);
}

json_t *quality_me_json(const quality_me *m)
{
	json_t *kinds = json_object();
	for (int i = 0; i < m->n_kinds; i++)
		json_object_set_new(kinds, m->kinds[i].kind,
				    quality_interval_json(&m->kinds[i].accuracy));
	return json_pack("{s:I,s:o,s:o}", "user_id", (json_int_t)m->user_id, "gold_accuracy", kinds,
			 "reviewer_accuracy", quality_interval_json(&m->reviewer_accuracy));
}
