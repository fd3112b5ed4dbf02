/* A project's quality figures and a user's own (docs/API.md, Quality): the store's counts with
 * their Wilson intervals, and the flags that the project's settings raise. */
#ifndef CROWDLOOP_CORE_QUALITY_FIGURES_H
#define CROWDLOOP_CORE_QUALITY_FIGURES_H

#include <stdint.h>

#include "core/quality_types.h"
#include "store/ops.h"
#include "util/err.h"

/* Fills f's intervals and flags from its counts: a worker mostly wrong on enough gold answers
 * (at least 8, the interval's top under 0.7) is a suspected spammer; a reviewer with enough
 * checks (s->demote_min_checks) whose accuracy is under s->demote_below is careless. */
void quality_figures_judge(quality_figures *f, const quality_settings *s);
/* Project project_id's figures, read and judged: 0, or CL_ENOMEM (release f either way). */
int quality_figures_read(const store *st, int64_t project_id, quality_figures *f);
void quality_figures_release(quality_figures *f);

/* Fills m's intervals from its counts. */
void quality_me_judge(quality_me *m);
/* A user's own figures, read and judged (cutoff and batch: core/quality.h, quality_report). */
void quality_me_read(const store *st, int64_t user_id, int64_t cutoff, int batch, quality_me *m);

#endif
