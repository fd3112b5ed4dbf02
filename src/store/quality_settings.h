/* A project's quality settings in SQL (quality_settings.c): the stored row, its JSON text as core
 * wrote it (core/quality_settings.c reads and writes it), and the courses it names. */
#ifndef CROWDLOOP_STORE_QUALITY_SETTINGS_H
#define CROWDLOOP_STORE_QUALITY_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

/* The project's stored settings, JSON text (caller frees), NULL when none were saved. */
char *store_quality_settings_row(db_conn *c, int64_t project_id);
/* The project's gold rate as stored (0, the default, when none was saved). */
double store_quality_gold_rate(db_conn *c, int64_t project_id);
/* The rows core's quality_settings_put writes and reads (store/ops.h documents each). */
int store_quality_settings_save(db_conn *c, int64_t project_id, const char *settings,
				cl_error *err);
bool store_course_exists(db_conn *c, int64_t id);

#endif
