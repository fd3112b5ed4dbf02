/* Figures in SQL (store_stats.c): a project's statistics as counted, and the task counts by
 * state for /metrics. */
#ifndef CROWDLOOP_STORE_STORE_STATS_H
#define CROWDLOOP_STORE_STORE_STATS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/stats_types.h"
#include "store/db.h"

/* A project's counted statistics as of `now` into *out (its workers to free); 0, or -1 when
 * memory ran out. */
int store_project_stats(db *d, int64_t project_id, int64_t now, project_stats *out);
/* Walks a project's first submissions (round 1): fn gets each one's time from its claim to its
 * submission (-1 when no claim was logged), its item's meta.preannotation (JSON text, NULL
 * when none) and the submitted annotation (JSON text). */
void store_preannotation_rows(db *d, int64_t project_id,
			      void (*fn)(void *ctx, int64_t ms, const char *pre, const char *ann),
			      void *ctx);
/* Counts of tasks by state across all projects, for /metrics. */
void store_task_state_counts(db *d, int64_t counts[8]);

#endif
