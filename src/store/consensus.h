/* Consensus and agreement in SQL (consensus.c) over overlapping approved annotations. JSON answers
 * are new references. */
#ifndef CROWDLOOP_STORE_CONSENSUS_H
#define CROWDLOOP_STORE_CONSENSUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/project.h"
#include "store/db.h"
#include "store/ops.h"

/* Consolidated answers per item with an approved annotation, a page in item order (the
 * cursor: the first approved task of the page's last item). */
json_t *store_consensus(db *d, const project *p, int64_t cursor, int limit, int64_t *next);
/* Agreement per project and per worker. */
/* Calls fn for each of a project's approved items (store_ops.each_approved_item). */
void store_each_approved_item(db *d, int64_t project_id, bool with_meta, approved_item_fn *fn,
			      void *ctx);
/* A user's name into out, "" when unknown (store_ops.user_name). */
void store_user_name(db *d, int64_t user_id, char *out, size_t size);

#endif
