/* The quality figures' answers (quality_json.c): docs/API.md, Quality. New references, NULL when
 * out of memory. */
#ifndef CROWDLOOP_API_QUALITY_JSON_H
#define CROWDLOOP_API_QUALITY_JSON_H

#include <jansson.h>

#include "core/quality_types.h"

/* A project's figures, judged (core/quality_figures.h). */
json_t *quality_figures_json(const quality_figures *f);
/* A user's own figures, judged. */
json_t *quality_me_json(const quality_me *m);

#endif
