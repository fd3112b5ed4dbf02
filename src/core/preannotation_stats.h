/* What pre-annotations save (preannotation_stats.c): over a project's first submissions, the
 * time from claim to submit of tasks whose item carried a pre-annotation and of tasks without,
 * and how often the worker submitted the suggestion as it was ("accepted") or changed it. No
 * SQL: the store walks the rows (store_preannotation_rows) and these add them up. */
#ifndef CROWDLOOP_CORE_PREANNOTATION_STATS_H
#define CROWDLOOP_CORE_PREANNOTATION_STATS_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

typedef struct duration_list {
	int64_t *ms;
	size_t n, cap;
} duration_list;

typedef struct preannotation_stats {
	duration_list with, without;
	int64_t accepted, changed;
} preannotation_stats;

/* One first submission: its time from claim to submit (negative: unknown), the item's
 * pre-annotation (JSON text, NULL when none) and the submitted annotation (JSON text). */
void preannotation_stats_add(preannotation_stats *s, int64_t duration_ms, const char *pre,
			     const char *annotation);
/* {"with":{"tasks","mean_seconds","median_seconds"},"without":{...},"accepted","changed",
 * "changed_rate"} (new reference; figures of no tasks are null). Frees what `s` holds. */
json_t *preannotation_stats_finish(preannotation_stats *s);

#endif
