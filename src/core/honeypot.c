/* Honeypots: when a reviewer gets one (only while real work waits, so that it looks like real
 * work), what error is planted (core/quality.c's quality_plant_error), and what a decision on one
 * means. */
#include "core/honeypot.h"
#include "core/gold.h"
#include "core/pay.h"
#include "core/quality.h"
#include "core/roles.h"
#include "util/json.h"

#include <sodium.h>
#include <stdlib.h>

/* A copy of item `item`'s gold answer with one planted error, as JSON text (caller frees), or
 * NULL when none can be made. */
static char *planted_error(store_tx *tx, const store_ops *s, const project *p, int64_t item)
{
	char *answer = s->gold_answer(tx, item);
	json_t *gold = answer ? json_loads(answer, 0, NULL) : NULL;
	free(answer);
	json_t *bad =
	    gold ? quality_plant_error(p->kind, gold, p->labels, randombytes_random()) : NULL;
	json_decref(gold);
	char *text = bad ? json_dumps(bad, JSON_OUT) : NULL;
	json_decref(bad);
	return text;
}

/* Milliseconds, uniformly within [lo, hi]. */
static int64_t between(int64_t lo, int64_t hi)
{
	return lo + (int64_t)randombytes_uniform((uint32_t)(hi - lo + 1));
}

/* Whose submission the honeypot passes for, and when it was claimed and submitted: a worker of
 * the project other than the reviewer, who submitted up to ten minutes ago after about their
 * mean time on a task. False when the project has no such worker: a honeypot without one would
 * stand out. */
static bool cover_of(store_tx *tx, const store_ops *s, int64_t project_id, int64_t reviewer_id,
		     int64_t now, honeypot_cover *cover)
{
	int64_t mean_ms = 0;
	if (!s->honeypot_worker_draw(tx, project_id, reviewer_id, &cover->worker_id, &mean_ms))
		return false;
	if (mean_ms < 1000)
		mean_ms = 1000;
	if (mean_ms > 3600 * 1000)
		mean_ms = 3600 * 1000;
	cover->submitted_at = now - between(2000, 600 * 1000);
	cover->claimed_at = cover->submitted_at - between(mean_ms / 2, mean_ms * 3 / 2);
	return true;
}

int64_t honeypot_pick(store_tx *tx, const store_ops *s, const project *p, int64_t reviewer_id,
		      int64_t real_id, int64_t now)
{
	quality_settings q;
	s->quality_settings_load(tx, p->id, &q);
	honeypot_cover cover = {0};
	int64_t item = gold_chance(q.honeypot_rate) &&
			       cover_of(tx, s, p->id, reviewer_id, now, &cover)
			   ? s->gold_item_draw(tx, p->id, 0)
			   : 0;
	char *planted = item ? planted_error(tx, s, p, item) : NULL;
	cover.stands_for = real_id;
	int64_t id = planted ? s->honeypot_add(tx, p->id, item, planted, &cover, now) : 0;
	free(planted);
	/* Made submitted, it is work in progress until its review closes it. */
	if (id && s->budget_live_count(tx, p->id, 0, 1, NULL))
		id = 0;
	return id ? id : real_id;
}

/* Whether the decision caught the planted error. */
static bool caught_by(const gold_of_task *g, const review_decision *dec)
{
	if (dec->action != TASK_FIX)
		return dec->action == TASK_REJECT;
	json_t *gold = json_loads(g->answer, 0, NULL), *fix = json_loads(dec->annotation, 0, NULL);
	bool caught = gold && fix && quality_gold_score(g->kind, gold, fix) >= 1.0 - 1e-9;
	json_decref(gold);
	json_decref(fix);
	return caught;
}

/* The task only ever existed to be reviewed: the decision closes it, and it leaves the work in
 * progress (a honeypot is made submitted, never rejected). */
static int close_task(store_tx *tx, const store_ops *s, const task_row *t, int64_t reviewer_id,
		      const review_decision *dec, int64_t now, cl_error *err)
{
	json_t *payload = dec->action == TASK_REJECT
			      ? json_pack("{s:s?,s:i}", "reason", dec->reason, "round", 1)
			      : NULL;
	char *text = payload ? json_dumps(payload, JSON_OUT) : NULL;
	json_decref(payload);
	int rc = s->task_event_add(tx, t, reviewer_id, dec->action, TASK_DISCARDED, text, now, err);
	free(text);
	if (!rc)
		rc = s->task_discarded(tx, t, now, err);
	if (!rc)
		rc = s->budget_live_count(tx, t->project_id, 0, -1, err);
	return rc;
}

int honeypot_decide(store_tx *tx, const store_ops *s, const task_row *t, int64_t reviewer_id,
		    const review_decision *dec, int64_t now, bool *handled, cl_error *err)
{
	gold_of_task g;
	*handled = s->honeypot_of_task(tx, t->id, &g);
	if (!*handled)
		return 0;
	bool caught = caught_by(&g, dec);
	free(g.answer);
	int rc = close_task(tx, s, t, reviewer_id, dec, now, err);
	if (!rc)
		rc = s->honeypot_decided(tx, t->id, reviewer_id, task_action_event(dec->action),
					 caught, now, err);
	int64_t paid = 0;
	if (!rc)
		rc = pay_review(tx, s, t->project_id, t->id, 0, reviewer_id, now, &paid, err);
	if (!rc)
		rc = s->review_count(tx, reviewer_id, t->project_id, paid, err);
	return rc ? rc : role_demote_check(tx, s, t->project_id, reviewer_id, now, err);
}
