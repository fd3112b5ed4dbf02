/* A project's statistics as the store counts them (store/store_stats.c): types only. Core
 * derives the rates from them (core/stats.h), the API writes the answer (api/api_stats.c). */
#ifndef CROWDLOOP_CORE_STATS_TYPES_H
#define CROWDLOOP_CORE_STATS_TYPES_H

#include <stddef.h>
#include <stdint.h>

#include "core/task_types.h"

/* One worker's outcomes and the reviews they did, as each job counted them. */
typedef struct stats_worker {
	int64_t user_id;
	char username[72];
	int64_t submitted, approved, rejected, first_pass, reviews;
	int64_t decided; /* tasks with a decision: approved, or rejected and not yet approved */
} stats_worker;

typedef struct project_stats {
	int64_t items;
	int64_t tasks[TASK_STATE_COUNT], total_tasks;
	int64_t hours_since;		 /* the first hour of approved_per_hour (ms) */
	int64_t approved_per_hour[24];	 /* the last day, oldest first */
	int64_t approved_last_hour, reviews;
	stats_worker *workers; /* owned (free) */
	size_t n_workers;
} project_stats;

#endif
