/* Changing a project's settings as a use case (core/project_change.c): the settings themselves
 * are checked by project_apply_json (core/project.h); what needs the store is checked here, in
 * the transaction that saves them. */
#ifndef CROWDLOOP_CORE_PROJECT_CHANGE_H
#define CROWDLOOP_CORE_PROJECT_CHANGE_H

#include "core/project.h"
#include "store/ops.h"

/* Saves every setting of p. Once any of its tasks was labeled, a label set that drops one of the
 * labels answers CL_ECONFLICT "labels_in_use": the annotations using it would dangle. */
int project_update(const store *s, const project *p, cl_error *err);

#endif
