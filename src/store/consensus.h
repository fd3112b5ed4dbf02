/* Consensus and agreement in SQL (consensus.c) over overlapping approved annotations. JSON answers
 * are new references. */
#ifndef CROWDLOOP_STORE_CONSENSUS_H
#define CROWDLOOP_STORE_CONSENSUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project.h"
#include "store/db.h"

/* Consolidated answers per item with an approved annotation, a page in item order (the
 * cursor: the first approved task of the page's last item). */
json_t *store_consensus(db *d, const project *p, int64_t cursor, int limit, int64_t *next);
/* Agreement per project and per worker. */
json_t *store_agreement(db *d, const project *p);

#endif
