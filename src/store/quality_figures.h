/* Quality figures in SQL (quality_figures.c): a project's estimated quality, gold, honeypots,
 * workers and reviewers, and a user's own figures. JSON answers are new references. */
#ifndef CROWDLOOP_STORE_QUALITY_FIGURES_H
#define CROWDLOOP_STORE_QUALITY_FIGURES_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"

/* The project's quality figures (docs/API.md, Quality). */
json_t *store_quality_figures(db *d, const project *p);
/* The caller's own figures across projects: gold accuracy per kind, reviewer accuracy. Gold
 * answers and honeypots count only as given before `cutoff`, in whole batches of `batch` taken
 * in the order they were given (core/quality.h, quality_report). */
json_t *store_quality_me(db *d, int64_t user_id, int64_t cutoff, int batch);
/* A reviewer's checks in a project: honeypots decided (*hp) and caught, audited approvals
 * (*audits) and passed. */
void store_reviewer_checks(db_conn *c, int64_t project_id, int64_t reviewer, long *hp, long *caught,
			   long *audits, long *passed);

#endif
