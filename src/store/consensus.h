/* The approved annotations of each item in SQL (consensus.c), walked for core's consensus and
 * agreement figures. */
#ifndef CROWDLOOP_STORE_CONSENSUS_H
#define CROWDLOOP_STORE_CONSENSUS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "store/ops.h"

/* Calls fn for each of a project's approved items that w names (store_ops.each_approved_item). */
void store_each_approved_item(db *d, int64_t project_id, const approved_walk *w,
			      approved_item_fn *fn, void *ctx);
/* A user's name into out, "" when unknown (store_ops.user_name). */
void store_user_name(db *d, int64_t user_id, char *out, size_t size);

#endif
