/* Saving a project's quality settings, a use case over the store's operations. */
#ifndef CROWDLOOP_CORE_QUALITY_SETTINGS_H
#define CROWDLOOP_CORE_QUALITY_SETTINGS_H

#include <jansson.h>
#include <stdint.h>

#include "store/ops.h"
#include "util/err.h"

/* Applies `in` over project_id's quality settings and saves them in one transaction (400
 * "unknown_course" for a required course that does not exist); *out the saved settings. */
int quality_settings_put(const store *s, int64_t project_id, const json_t *in, json_t **out,
			 cl_error *err);

#endif
