/* Batch pre-annotation (api/preannotate.c): the routes that start a run over a project's open
 * items with one of its org's endpoints and read its progress, and the step the job runner's
 * thread takes each tick (one of core/runner.h's hooks): a slice of the oldest run's items
 * predicted and written as their meta.preannotation, which the tasks show workers as a
 * suggestion. No HTTP thread ever waits for a model here. */
#ifndef CROWDLOOP_API_PREANNOTATE_H
#define CROWDLOOP_API_PREANNOTATE_H

#include "api/api.h"

/* Items one step predicts at most: a slice keeps the runner's other work going. */
#define PREANNOTATE_SLICE 32
/* An image item's bytes a run reads at most (an import's own limit). */
#define PREANNOTATE_MAX_IMAGE_BYTES (32u << 20)

/* One step of the oldest waiting run; `ctx` is the app. */
void preannotate_step(void *ctx);

#endif
