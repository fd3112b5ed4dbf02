/* Quality figures in SQL (quality_figures.c): the counts behind a project's estimated quality,
 * gold, honeypots, workers and reviewers, and behind a user's own figures. Core makes the
 * intervals and flags of them (core/quality_figures.c). */
#ifndef CROWDLOOP_STORE_QUALITY_FIGURES_H
#define CROWDLOOP_STORE_QUALITY_FIGURES_H

#include <stdbool.h>
#include <stdint.h>

#include "core/quality_types.h"
#include "store/db.h"

/* The counts of project_id's figures into f, in one read snapshot (store_ops.quality_counts):
 * 0, or CL_ENOMEM with nothing owned. */
int store_quality_counts(db *d, int64_t project_id, quality_figures *f);
/* The counts of a user's own figures (store_ops.quality_me_counts). Gold answers and honeypots
 * count only as given before `cutoff`, in whole batches of `batch` taken in the order they were
 * given (core/quality.h, quality_report). */
void store_quality_me_counts(db *d, int64_t user_id, int64_t cutoff, int batch, quality_me *m);
/* A reviewer's checks in a project: honeypots decided (*hp) and caught, audited approvals
 * (*audits) and passed. */
void store_reviewer_checks(db_conn *c, int64_t project_id, int64_t reviewer, long *hp, long *caught,
			   long *audits, long *passed);

#endif
