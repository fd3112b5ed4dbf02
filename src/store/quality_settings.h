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
/* The rows core's quality_settings_put writes and reads (store/ops.h documents each). */
int store_quality_settings_save(db_conn *c, int64_t project_id, const char *settings,
				cl_error *err);
bool store_course_exists(db_conn *c, int64_t id);

#endif
