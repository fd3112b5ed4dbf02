/* Matching in SQL (matching.c): projects ranked for a worker, workers ranked for a project. JSON
 * answers are new references. */
#ifndef CROWDLOOP_STORE_MATCHING_H
#define CROWDLOOP_STORE_MATCHING_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project_types.h"
#include "store/db.h"
#include "store/store_accounts.h"

/* Open projects ranked for a worker, each with the figures behind its rank. */
json_t *store_matches_for_worker(db *d, const principal *pr);
/* Workers ranked for a project, with their figures. */
json_t *store_matches_for_project(db *d, const project *p);

#endif
