/* A project's quality settings in SQL (quality_settings.c): gold and honeypot rates, promotion and
 * demotion thresholds, required courses. */
#ifndef CROWDLOOP_STORE_QUALITY_SETTINGS_H
#define CROWDLOOP_STORE_QUALITY_SETTINGS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/quality_types.h"
#include "store/db.h"
#include "util/err.h"

/* The project's settings (defaults when none were saved), on any connection. */
void store_quality_settings_load(db_conn *c, int64_t project_id, quality_settings *s);
json_t *store_quality_settings_get(db *d, int64_t project_id);
/* Applies a partial QualitySettings object and saves; *out the whole settings. */
int store_quality_settings_put(db *d, int64_t project_id, const json_t *in, json_t **out,
			       cl_error *err);

#endif
