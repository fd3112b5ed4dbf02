/* Gold items in the loop (core/gold.c): a claim gets a task on a gold item instead of real work
 * at the project's gold rate, and a submission of a gold item is scored against its known
 * answer. Honeypots (core/honeypot.c) draw from the same gold. */
#ifndef CROWDLOOP_CORE_GOLD_H
#define CROWDLOOP_CORE_GOLD_H

#include <stdbool.h>

#include "core/project.h"
#include "store/ops.h"

/* True with probability `rate` (none at 0). */
bool gold_chance(double rate);
/* A task of a new slot of item `item_id` in `state`, counted in the work in progress when that
 * state is live, with an id next to task `near` among the project's real ones (0: anywhere);
 * its id, 0 when it could not be made. */
int64_t gold_task_add(store_tx *tx, const store_ops *s, int64_t project_id, int64_t item_id,
		      task_state state, int64_t now, int64_t near);
/* Maybe swaps the open task `open_id` a worker is about to claim for a new task on a gold item
 * they have not seen, at the project's gold rate; returns the task to claim. */
int64_t gold_pick(store_tx *tx, const store_ops *s, const project *p, int64_t worker_id,
		  int64_t open_id, int64_t now);
/* Scores round `round` of a submission when the task's item is gold, into the worker's gold
 * figures (a round scored again replaces its score). */
int gold_score(store_tx *tx, const store_ops *s, int64_t task_id, int round, int64_t worker_id,
	       const char *annotation, int64_t now, cl_error *err);

/* Whether a kind's projects take gold items: not llm_response, whose free-text answers have no
 * one right answer to score against (their review scores a rubric instead). */
bool gold_kind_takes_gold(task_kind kind);

#endif
