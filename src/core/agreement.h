/* A project's agreement report (GET /projects/{id}/agreement), computed in core over the rows
 * the store walks. */
#ifndef CROWDLOOP_CORE_AGREEMENT_H
#define CROWDLOOP_CORE_AGREEMENT_H

#include <jansson.h>

#include "core/project.h"
#include "store/ops.h"

/* The report as a new object; NULL when out of memory. */
json_t *agreement_report(const store *s, const project *p);

#endif
