/* The consensus page (GET /projects/{id}/consensus): each approved item's annotations
 * consolidated into one answer, computed in core over the items the store walks. */
#ifndef CROWDLOOP_CORE_CONSENSUS_H
#define CROWDLOOP_CORE_CONSENSUS_H

#include <jansson.h>

#include "core/project.h"
#include "store/ops.h"

/* A page of up to `limit` items with an approved annotation (gold left out) in item order,
 * after `cursor` (the first approved task of the last item seen; 0: from the start), as a new
 * array; *next the cursor of the page that follows, 0 when none. */
json_t *consensus_page(const store *s, const project *p, int64_t cursor, int limit,
		       int64_t *next);

#endif
