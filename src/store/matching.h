/* Matching's reads in SQL (matching.c): what core/matching.c ranks, each in one read snapshot.
 * The arrays are owned by the caller (matching_projects_release, matching_workers_release in
 * core/matching.h). */
#ifndef CROWDLOOP_STORE_MATCHING_H
#define CROWDLOOP_STORE_MATCHING_H

#include <stdint.h>

#include "core/matching_types.h"
#include "store/db.h"

/* The open projects user_id may take, their required courses and whether user_id holds each,
 * and user_id's history on each of their kinds (store_ops.matching_projects): 0, or CL_ENOMEM
 * with nothing owned. */
int store_matching_projects(db *d, int64_t user_id, matching_projects *m);
/* The workers who may fit project_id, of kind `kind`: who labeled the kind anywhere or holds a
 * course of it, with their history on the kind, their role in the project, and which of its
 * required courses they hold (store_ops.matching_workers): 0, or CL_ENOMEM with nothing owned. */
int store_matching_workers(db *d, int64_t project_id, task_kind kind, matching_workers *m);

#endif
