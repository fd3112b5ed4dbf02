/* Audits as a use case (core/audit.c): a manager's verdict on an audited task, which may demote
 * the reviewer who approved it. */
#ifndef CROWDLOOP_CORE_AUDIT_H
#define CROWDLOOP_CORE_AUDIT_H

#include <stdbool.h>

#include "store/ops.h"

/* Records `auditor_id`'s verdict (correct or not, with a note) on task `task_id` of audit
 * `audit_id` and checks the demotion of the task's reviewer, in one transaction; CL_ENOTFOUND
 * when the task is not in the audit, CL_EFORBIDDEN "own_work" when the auditor labeled it. */
int audit_verdict(const store *s, int64_t audit_id, int64_t task_id, bool correct, const char *note,
		  int64_t auditor_id, cl_error *err);

#endif
