/* The Task answer (docs/API.md), written as JSON text straight from a task_view: stored
 * annotations, rejections, item metadata and event payloads are JSON the store wrote itself,
 * so they go in as they are, and one writer defines every task answer. */
#ifndef CROWDLOOP_API_TASK_JSON_H
#define CROWDLOOP_API_TASK_JSON_H

#include <jansson.h>

#include "core/project.h"
#include "core/task_loop.h"
#include "util/buf.h"

/* Appends task `v` as a JSON object: its fields and, by v->detail, its pre-annotation, item,
 * events and project `p` (the task's; may be NULL for TASK_BARE). 0, CL_ETOOBIG or CL_ENOMEM. */
int task_json_write(buf *b, const task_view *v, const project *p);
/* The same as a new jansson value (NULL when out of memory). */
json_t *task_json(const task_view *v, const project *p);
/* Appends the answer of a finished change: its task (nothing at all when a claim found none)
 * and, when a claim was chained, "next" and, when it was refused, "next_error". */
int task_json_change_write(buf *b, const task_change *tc);

#endif
