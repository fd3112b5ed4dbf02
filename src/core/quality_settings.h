/* A project's quality settings over the store's operations: read (decoded from the stored JSON,
 * kept in the connection's memo while who-may-do-what stays the same) and saved. */
#ifndef CROWDLOOP_CORE_QUALITY_SETTINGS_H
#define CROWDLOOP_CORE_QUALITY_SETTINGS_H

#include <jansson.h>
#include <stdint.h>

#include "core/quality_types.h"
#include "store/ops.h"
#include "util/err.h"

/* Settings from their stored JSON text: the defaults, then each member the text holds (NULL
 * or text that does not parse: the defaults). */
void quality_settings_decode(const char *text, quality_settings *s);
/* Project project_id's settings (the defaults when none were saved), inside job tx. */
void quality_settings_of(const store_ops *ops, store_tx *tx, int64_t project_id,
			 quality_settings *s);
/* The same on the calling thread's read connection. */
void quality_settings_read(const store *st, int64_t project_id, quality_settings *s);
/* Applies `in` over project_id's quality settings and saves them in one transaction (400
 * "unknown_course" for a required course that does not exist); *out the saved settings. */
int quality_settings_put(const store *s, int64_t project_id, const json_t *in, json_t **out,
			 cl_error *err);

#endif
