/* Promotion and demotion (core/roles.c): a worker becomes a reviewer after an approval that meets
 * the project's thresholds; a reviewer goes back to labeling after a missed honeypot or a failed
 * audit leaves their accuracy under the project's threshold. Each change is recorded with the
 * figures behind it, inside the job of the change that prompted it. */
#ifndef CROWDLOOP_CORE_ROLES_H
#define CROWDLOOP_CORE_ROLES_H

#include "store/ops.h"

/* After an approval of a worker's task: promotes them when they pass every threshold. Org
 * staff, reviewers already and workers demoted in the project before are left as they are. */
int role_promote_check(store_tx *tx, const store_ops *s, int64_t project_id, int64_t worker_id,
		       int64_t now, cl_error *err);
/* After a honeypot's decision or an audit's verdict on a reviewer's work: demotes the reviewer
 * when their checks fall under the threshold. Nothing for org staff or workers. */
int role_demote_check(store_tx *tx, const store_ops *s, int64_t project_id, int64_t reviewer_id,
		      int64_t now, cl_error *err);

#endif
