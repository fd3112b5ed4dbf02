/* Figures derived from a project's counted statistics (core/stats_types.h). */
#ifndef CROWDLOOP_CORE_STATS_H
#define CROWDLOOP_CORE_STATS_H

#include <stdbool.h>

#include "core/stats_types.h"

/* The share of decided tasks approved at their first review, over every worker; false when no
 * task has had a decision yet (the rate is unknown, not zero). */
bool project_stats_first_pass_rate(const project_stats *s, double *rate);

#endif
