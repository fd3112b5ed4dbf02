/* Gold mixing and scoring: when a claim gets a gold task (only while real work remains, so that
 * it looks like real work), and what a gold answer scores (core/quality.c's
 * quality_gold_score; correct when it scores 1). */
#include "core/gold.h"
#include "core/quality.h"
#include "core/quality_settings.h"
#include "core/task.h"

#include <sodium.h>
#include <stdlib.h>

bool gold_chance(double rate)
{
	if (rate <= 0)
		return false;
	return (double)randombytes_uniform(1000000) < rate * 1e6;
}

int64_t gold_task_add(store_tx *tx, const store_ops *s, int64_t project_id, int64_t item_id,
		      task_state state, int64_t now, int64_t near)
{
	int64_t id = s->task_add(tx, project_id, item_id, state, now, near);
	if (id && task_state_live(state) && s->budget_live_count(tx, project_id, 0, 1, NULL))
		return 0;
	return id;
}

int64_t gold_pick(store_tx *tx, const store_ops *s, const project *p, int64_t worker_id,
		  int64_t open_id, int64_t now)
{
	quality_settings q;
	quality_settings_of(s, tx, p->id, &q);
	int64_t item = gold_chance(q.gold_rate) ? s->gold_item_draw(tx, p->id, worker_id) : 0;
	if (!item)
		return open_id;
	/* Its id next to the real task it stands in for, as that one's would be. */
	int64_t id = gold_task_add(tx, s, p->id, item, TASK_OPEN, now, open_id);
	return id ? id : open_id;
}

int gold_score(store_tx *tx, const store_ops *s, int64_t task_id, int round, int64_t worker_id,
	       const char *annotation, int64_t now, cl_error *err)
{
	gold_of_task g;
	if (!s->gold_of_task(tx, task_id, &g))
		return 0;
	json_t *gold = json_loads(g.answer, 0, NULL);
	json_t *ann = json_loads(annotation, 0, NULL);
	free(g.answer);
	double score = gold && ann ? quality_gold_score(g.kind, gold, ann) : 0;
	json_decref(gold);
	json_decref(ann);
	/* A round scored again replaces its result: the worker's counts take the difference. */
	int had = s->gold_result_get(tx, task_id, round);
	bool correct = score >= 1.0 - 1e-9;
	worker_delta d = {.gold_answers = had < 0, .gold_correct = (int)correct - (had > 0)};
	int rc = s->worker_count(tx, worker_id, g.project_id, &d, err);
	if (rc)
		return rc;
	gold_result r = {.task_id = task_id,
			 .project_id = g.project_id,
			 .item_id = g.item_id,
			 .worker_id = worker_id,
			 .at = now,
			 .round = round,
			 .kind = g.kind,
			 .correct = correct,
			 .score = score};
	return s->gold_result_put(tx, &r, err);
}

bool gold_kind_takes_gold(task_kind kind)
{
	return kind != KIND_LLM_RESPONSE;
}
