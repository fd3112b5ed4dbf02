/* An audit's verdict: a task found incorrect counts against the reviewer who approved it, and
 * their demotion is checked in the same transaction. */
#include "core/audit.h"
#include "core/roles.h"
#include "util/clock.h"

struct verdict_job {
	const store_ops *ops;
	int64_t audit_id, task_id, auditor_id;
	bool correct;
	const char *note;
};

static int verdict_job(store_tx *tx, void *ctx, cl_error *err)
{
	struct verdict_job *j = ctx;
	int64_t now = clock_now_ms(), project_id, reviewer_id;
	int rc = j->ops->audit_verdict_set(tx, j->audit_id, j->task_id, j->correct, j->note,
					   j->auditor_id, now, &project_id, &reviewer_id, err);
	/* Nobody checks their own work: the task's worker may not audit it. */
	task_row t;
	if (!rc && !j->ops->task_load(tx, j->task_id, &t) && t.worker_id == j->auditor_id)
		return cl_fail(err, CL_EFORBIDDEN, "own_work", "you cannot audit your own work");
	return rc ? rc : role_demote_check(tx, j->ops, project_id, reviewer_id, now, err);
}

int audit_verdict(const store *s, int64_t audit_id, int64_t task_id, bool correct, const char *note,
		  int64_t auditor_id, cl_error *err)
{
	struct verdict_job j = {s->ops, audit_id, task_id, auditor_id, correct, note};
	return s->ops->write(s->db, verdict_job, &j, err);
}
