/* Figures in SQL (store_stats.c): a project's statistics and the task counts by state for
 * /metrics. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_STORE_STATS_H
#define CROWDLOOP_STORE_STORE_STATS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"

json_t *store_project_stats(db *d, int64_t project_id, int64_t now);
/* Counts of tasks by state across all projects, for /metrics. */
void store_task_state_counts(db *d, int64_t counts[8]);

#endif
