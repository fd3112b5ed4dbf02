/* Gold items in SQL (gold.c): known answers mixed into workers' claims and scored at submit.
 * Functions taking a db_conn run inside a write job of the task they belong to. */
#ifndef CROWDLOOP_STORE_GOLD_H
#define CROWDLOOP_STORE_GOLD_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"
#include "store/ops.h"
#include "util/err.h"

/* One gold item to add: an existing item of the project (item_id > 0) or new text. */
typedef struct gold_new {
	int64_t item_id;
	const char *text; /* new text item: its content and hash (hex) */
	char hash[65];
	const char *answer; /* validated annotation JSON */
	const char *explanation;
} gold_new;

/* Adds gold items in one transaction; report gets "added", "item_ids". New text items get no
 * tasks of their own: gold tasks are made per worker at claim time. */
int store_gold_add(db *d, const project *p, const gold_new *g, size_t n, int64_t actor,
		   json_t *report, cl_error *err);
/* A manager's page of gold items with answers. */
json_t *store_gold_list(db *d, int64_t project_id, int64_t cursor, int limit, int64_t *next);
/* The gold answer of an item of the project (new reference) or NULL when not gold. */
json_t *store_gold_answer(db *d, int64_t item_id);

/* A gold item of the project at random that `user_id` has no slot of (0: any); 0: none. */
int64_t store_gold_item_draw(db_conn *c, int64_t project_id, int64_t user_id);
/* A new task of item `item_id` in `state`, in the item's next slot, counted in the project's
 * totals, with a reserved id next to task `near` (store/id_holes.h); its id, or 0 when it could
 * not be made. */
int64_t store_gold_slot_task(db_conn *c, int64_t project_id, int64_t item_id, task_state state,
			     int64_t now, int64_t near);
/* The gold answer behind a task's item (store_ops.gold_of_task), or behind an undecided
 * honeypot (store_ops.honeypot_of_task). */
bool store_gold_of_task(db_conn *c, int64_t task_id, gold_of_task *g);
bool store_honeypot_of_task(db_conn *c, int64_t task_id, gold_of_task *g);
/* The gold answer of an item as JSON text (caller frees), NULL when not gold. */
char *store_gold_item_answer(db_conn *c, int64_t item_id);
/* A round's earlier score (-1: none, else correct), and a round's score recorded. */
int store_gold_result_get(db_conn *c, int64_t task_id, int round);
int store_gold_result_put(db_conn *c, const gold_result *r, cl_error *err);

#endif
