/* Training jobs' rules: submission (who may run what, on which data, with which resources),
 * cancel, the end of an attempt (its state, a retry, its evaluation and artifacts in the same
 * transaction), lost jobs and metric batches. */
#include "core/runs.h"
#include "core/code_bundle.h"
#include "core/export.h"
#include "core/label_check.h"
#include "ml/trainer.h"
#include "util/clock.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void run_row_release(run_row *j)
{
	free(j->params);
	free(j->command);
	j->params = j->command = NULL;
}

const char *run_outcome_state(enum run_outcome o, int exit_code)
{
	switch (o) {
	case RUN_EXITED: return exit_code == 0 ? "succeeded" : "failed";
	case RUN_CANCELLED: return "cancelled";
	case RUN_LOST: return "lost";
	default: return "failed";
	}
}

const char *run_outcome_reason(enum run_outcome o)
{
	static const char *const names[] = {"exited", "signaled", "cancelled", "timed_out", "lost"};
	return o >= RUN_EXITED && o <= RUN_LOST ? names[o] : "exited";
}

bool run_retries(const char *state, int attempt, int max_retries)
{
	return !strcmp(state, "failed") && attempt <= max_retries;
}

/* ---- submission ---- */

typedef struct submit_job {
	const store_ops *ops;
	const run_request *req;
	run_row row;
	const ml_trainer *trainer;
} submit_job;

/* The dataset version must be of the caller's org (else it is not found) and of a kind the
 * trainer takes. */
/* A custom job's export format must hold its version's kind, as an export's must. */
static int format_fits(const char *format, const char *kind_name, cl_error *err)
{
	export_format f;
	task_kind kind;
	if (!format[0] || !strcmp(format, "crowdloop") || export_format_parse(format, &f) ||
	    task_kind_parse(kind_name, &kind) || export_format_supports(f, kind))
		return 0;
	return cl_fail(err, CL_EINVAL, "unsupported_format", "%s cannot hold %s annotations",
		       format, kind_name);
}

static int dataset_fits(store_tx *tx, const store_ops *ops, submit_job *j, cl_error *err)
{
	int64_t org = 0;
	char kind[24];
	if (ops->run_dataset_of(tx, j->req->dataset_id, &org, &j->row.project_id, kind) ||
	    org != j->req->org_id || (j->req->project_id && j->req->project_id != j->row.project_id))
		return cl_fail(err, CL_ENOTFOUND, NULL, "dataset version not found");
	if (j->trainer && !ml_trainer_takes(j->trainer, kind))
		return cl_fail(err, CL_EINVAL, "trainer_kind", "%s does not train %s projects",
			       j->trainer->name, kind);
	return format_fits(j->row.format, kind, err);
}

/* Params are written once, beside the job, each as its JSON text. */
static int params_write(store_tx *tx, const store_ops *ops, int64_t id, const json_t *params,
			cl_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach((json_t *)params, key, v) {
		char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		int rc = text ? ops->run_param_put(tx, id, key, text, err) : CL_ENOMEM;
		free(text);
		if (rc)
			return rc;
	}
	return 0;
}

/* A job its org's quota could never run is refused now, not left queued forever. */
static int within_quota(const run_quota *q, const run_row *r, cl_error *err)
{
	if (q->max_cpus >= 0 && r->cpus > q->max_cpus)
		return cl_fail(err, CL_EINVAL, "over_quota",
			       "cpus: the org's quota allows %d at a time", q->max_cpus);
	if (q->max_gpus >= 0 && r->gpus > q->max_gpus)
		return cl_fail(err, CL_EINVAL, "over_quota",
			       "gpus: the org's quota allows %d at a time", q->max_gpus);
	if (q->max_mem_mb >= 0 && r->mem_bytes > q->max_mem_mb << 20)
		return cl_fail(err, CL_EINVAL, "over_quota",
			       "mem_mb: the org's quota allows %lld at a time",
			       (long long)q->max_mem_mb);
	return 0;
}

static int submit_tx(store_tx *tx, void *ctx, cl_error *err)
{
	submit_job *j = ctx;
	const store_ops *ops = j->ops;
	int rc = dataset_fits(tx, ops, j, err);
	if (!rc)
		rc = ops->run_insert(tx, &j->row, err);
	if (!rc && j->req->params)
		rc = params_write(tx, ops, j->row.id, j->req->params, err);
	return rc;
}

static int check_command(const json_t *cmd, cl_error *err)
{
	size_t n = json_array_size(cmd), i;
	json_t *a;
	if (!json_is_array(cmd) || n == 0 || n > RUN_COMMAND_MAX_ARGS)
		return cl_fail(err, CL_EINVAL, NULL,
			       "command must be an array of 1 to %d strings", RUN_COMMAND_MAX_ARGS);
	json_array_foreach(cmd, i, a) {
		if (!json_is_string(a) || (i == 0 && !json_string_length(a)) ||
		    strlen(json_string_value(a)) != json_string_length(a))
			return cl_fail(err, CL_EINVAL, NULL,
				       "command[%zu] must be a string without NUL", i);
	}
	return 0;
}

/* Who may run a custom command: it runs code on the node. */
static int custom_allowed(const run_limits *lim, const run_request *req, cl_error *err)
{
	if (!lim->allow_custom)
		return cl_fail(err, CL_EFORBIDDEN, "custom_jobs_disabled",
			       "this server does not run custom commands (--allow-custom-jobs)");
	if (strcmp(req->org_role, "owner") && strcmp(req->org_role, "engineer"))
		return cl_fail(err, CL_EFORBIDDEN, NULL,
			       "only the org's owners and engineers may run custom commands");
	return check_command(req->command, err);
}

static int check_resources(const run_limits *lim, const run_request *req, cl_error *err)
{
	if (req->cpus < 0 || req->cpus > lim->cpus)
		return cl_fail(err, CL_EINVAL, NULL, "cpus must be 1 to %d", lim->cpus);
	if (req->gpus < 0 || req->gpus > lim->gpus)
		return cl_fail(err, CL_EINVAL, NULL, "gpus must be 0 to %d", lim->gpus);
	if (req->mem_bytes < 0 || req->mem_bytes > lim->mem_bytes)
		return cl_fail(err, CL_EINVAL, NULL, "mem_mb must be at most %lld",
			       (long long)(lim->mem_bytes >> 20));
	if (req->priority < 0 || req->priority > 9)
		return cl_fail(err, CL_EINVAL, NULL, "priority must be 0 to 9");
	if (req->max_retries < 0 || req->max_retries > RUN_MAX_RETRIES)
		return cl_fail(err, CL_EINVAL, NULL, "max_retries must be 0 to %d",
			       RUN_MAX_RETRIES);
	if (req->time_limit_ms < 0 || req->time_limit_ms > RUN_MAX_TIME_LIMIT_MS)
		return cl_fail(err, CL_EINVAL, NULL, "time_limit_s must be at most %lld",
			       RUN_MAX_TIME_LIMIT_MS / 1000);
	return 0;
}

/* A command's code bundle: one uploaded to this server (POST /orgs/{id}/code). */
static int check_code(const run_limits *lim, const run_request *req, run_row *row,
		      cl_error *err)
{
	if (!req->code_sha256)
		return 0;
	if (!lim->data_dir || !code_bundle_exists(lim->data_dir, req->code_sha256))
		return cl_fail(err, CL_EINVAL, "unknown_code",
			       "code_sha256 names no uploaded code bundle (POST /orgs/{id}/code)");
	snprintf(row->code_hash, sizeof row->code_hash, "%s", req->code_sha256);
	return 0;
}

/* The trainer or the command, checked; the row's kind and what it runs. */
static int check_what_runs(const run_limits *lim, const run_request *req, submit_job *j,
			   cl_error *err)
{
	if (!req->trainer == !req->command)
		return cl_fail(err, CL_EINVAL, NULL, "give either a trainer or a command");
	if (req->params && !json_is_object(req->params))
		return cl_fail(err, CL_EINVAL, NULL, "params must be an object");
	if (req->command) {
		snprintf(j->row.kind, sizeof j->row.kind, "custom");
		export_format f;
		if (req->format && strcmp(req->format, "crowdloop") &&
		    export_format_parse(req->format, &f))
			return cl_fail(err, CL_EINVAL, "unknown_format",
				       "format must be crowdloop (project.json and rows.jsonl) or an "
				       "export format of GET /formats");
		snprintf(j->row.format, sizeof j->row.format, "%s",
			 req->format ? req->format : "crowdloop");
		int rc = custom_allowed(lim, req, err);
		return rc ? rc : check_code(lim, req, &j->row, err);
	}
	if (req->code_sha256)
		return cl_fail(err, CL_EINVAL, NULL, "code_sha256 goes with a command only");
	if (!(j->trainer = ml_trainer_find(req->trainer)))
		return cl_fail(err, CL_EINVAL, "unknown_trainer", "unknown trainer \"%.32s\"",
			       req->trainer);
	snprintf(j->row.kind, sizeof j->row.kind, "builtin");
	snprintf(j->row.trainer, sizeof j->row.trainer, "%s", req->trainer);
	return ml_trainer_check(j->trainer, req->params, err);
}

static void row_from_request(const run_request *req, const char *executor, run_row *r)
{
	r->org_id = req->org_id;
	r->dataset_id = req->dataset_id;
	r->created_by = req->user_id;
	r->cpus = req->cpus ? req->cpus : 1;
	r->gpus = req->gpus;
	r->mem_bytes = req->mem_bytes ? req->mem_bytes : (int64_t)1 << 30;
	r->priority = req->priority;
	r->max_retries = req->max_retries;
	r->time_limit_ms = req->time_limit_ms ? req->time_limit_ms : RUN_DEFAULT_TIME_LIMIT_MS;
	r->exit_status = -1;
	snprintf(r->state, sizeof r->state, "queued");
	snprintf(r->executor, sizeof r->executor, "%s", executor ? executor : "local");
	r->queued_at = clock_now_ms();
}

/* The params stored on the job: the trainer's, and a label check's settings beside them. */
static char *params_text(const run_request *req)
{
	json_t *p = req->params ? json_deep_copy(req->params) : json_object();
	if (p && req->check_folds) {
		json_object_set_new(p, "check_folds", json_integer(req->check_folds));
		json_object_set_new(p, "check_threshold", json_real(req->check_threshold));
	}
	char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	return text;
}

int run_submit(const store *s, const run_limits *lim, const run_request *req, int64_t *job_id,
	       cl_error *err)
{
	submit_job j = {.ops = s->ops, .req = req};
	int rc = check_what_runs(lim, req, &j, err);
	if (!rc)
		rc = check_resources(lim, req, err);
	if (rc)
		return rc;
	row_from_request(req, lim->executor, &j.row);
	run_quota q;
	s->ops->org_quota(s->db, req->org_id, &q);
	if ((rc = within_quota(&q, &j.row, err)))
		return rc;
	j.row.params = params_text(req);
	j.row.command = req->command ? json_dumps(req->command, JSON_COMPACT) : NULL;
	if (!j.row.params || (req->command && !j.row.command))
		rc = cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	else
		rc = s->ops->write(s->db, submit_tx, &j, err);
	*job_id = j.row.id;
	run_row_release(&j.row);
	return rc;
}

/* ---- quotas ---- */

typedef struct quota_job {
	const store_ops *ops;
	int64_t org;
	const run_quota *q;
} quota_job;

static int quota_tx(store_tx *tx, void *ctx, cl_error *err)
{
	quota_job *j = ctx;
	return j->ops->org_quota_put(tx, j->org, j->q, err);
}

int run_quota_set(const store *s, int64_t org_id, const run_quota *q, cl_error *err)
{
	if (q->max_cpus < -1 || q->max_cpus > 100000)
		return cl_fail(err, CL_EINVAL, NULL, "max_cpus must be -1 (none) or 0 to 100000");
	if (q->max_gpus < -1 || q->max_gpus > 100000)
		return cl_fail(err, CL_EINVAL, NULL, "max_gpus must be -1 (none) or 0 to 100000");
	if (q->max_mem_mb < -1 || q->max_mem_mb > RUN_QUOTA_MEM_MB_MAX)
		return cl_fail(err, CL_EINVAL, NULL, "max_mem_mb must be -1 (none) or 0 to %lld",
			       (long long)RUN_QUOTA_MEM_MB_MAX);
	if (q->weight < 1 || q->weight > 1000)
		return cl_fail(err, CL_EINVAL, NULL, "weight must be 1 to 1000");
	quota_job j = {s->ops, org_id, q};
	return s->ops->write(s->db, quota_tx, &j, err);
}

/* ---- cancel ---- */

typedef struct id_job {
	const store_ops *ops;
	int64_t id;
} id_job;

static int cancel_tx(store_tx *tx, void *ctx, cl_error *err)
{
	const store_ops *ops = ((id_job *)ctx)->ops;
	int64_t id = ((id_job *)ctx)->id;
	run_row j;
	int rc = ops->run_load(tx, id, &j);
	if (rc)
		return cl_fail(err, rc, NULL, "job not found");
	if (!strcmp(j.state, "queued")) {
		/* Never started: it ends here; the runner drops it from its queue. */
		snprintf(j.state, sizeof j.state, "cancelled");
		snprintf(j.end_reason, sizeof j.end_reason, "cancelled");
		j.ended_at = clock_now_ms();
		rc = ops->run_save(tx, &j, err);
		if (!rc)
			rc = ops->run_cancel_request(tx, id, err);
	} else if (!strcmp(j.state, "running")) {
		rc = ops->run_cancel_request(tx, id, err);
	} else {
		rc = cl_fail(err, CL_ECONFLICT, "job_ended", "the job has ended (%s)", j.state);
	}
	run_row_release(&j);
	return rc;
}

int run_cancel(const store *s, int64_t job_id, cl_error *err)
{
	id_job j = {s->ops, job_id};
	return s->ops->write(s->db, cancel_tx, &j, err);
}

/* ---- metrics ---- */

typedef struct metrics_job {
	const store_ops *ops;
	int64_t id;
	const run_metric *m;
	size_t n;
} metrics_job;

static int metrics_tx(store_tx *tx, void *ctx, cl_error *err)
{
	metrics_job *j = ctx;
	return j->ops->run_metrics_add(tx, j->id, j->m, j->n, err);
}

int run_log_metrics(const store *s, int64_t job_id, const run_metric *m, size_t n,
		    cl_error *err)
{
	if (n > RUN_METRIC_BATCH_MAX)
		return cl_fail(err, CL_ETOOBIG, "batch_too_big",
			       "a batch holds at most %d points", RUN_METRIC_BATCH_MAX);
	for (size_t i = 0; i < n; i++) {
		size_t len = m[i].key ? strlen(m[i].key) : 0;
		if (!len || len > RUN_KEY_MAX)
			return cl_fail(err, CL_EINVAL, NULL,
				       "metrics[%zu].key must be 1 to %d characters", i, RUN_KEY_MAX);
		if (!isfinite(m[i].value))
			return cl_fail(err, CL_EINVAL, NULL, "metrics[%zu].value must be finite", i);
	}
	if (!n)
		return 0;
	metrics_job j = {s->ops, job_id, m, n};
	return s->ops->write(s->db, metrics_tx, &j, err);
}

/* ---- the runner's transitions ---- */

typedef struct save_job {
	const store_ops *ops;
	const run_row *row;
} save_job;

static int save_tx(store_tx *tx, void *ctx, cl_error *err)
{
	save_job *j = ctx;
	return j->ops->run_save(tx, j->row, err);
}

typedef struct starting_job {
	const store_ops *ops;
	run_row *row;
} starting_job;

/* Only a job still queued starts: one cancelled while the runner held it in its queue does
 * not. */
static int starting_tx(store_tx *tx, void *ctx, cl_error *err)
{
	starting_job *sj = ctx;
	run_row *j = sj->row;
	int rc = sj->ops->run_load(tx, j->id, j);
	if (rc)
		return cl_fail(err, rc, NULL, "job not found");
	if (strcmp(j->state, "queued"))
		return cl_fail(err, CL_ECONFLICT, "job_not_queued", "the job is %s", j->state);
	j->attempt++;
	snprintf(j->state, sizeof j->state, "running");
	j->started_at = clock_now_ms();
	j->ended_at = 0;
	j->pid = j->proc_start = 0;
	j->slurm_id[0] = '\0'; /* an earlier attempt's: never the one a restart looks for */
	j->exit_status = -1;
	j->end_reason[0] = '\0';
	return sj->ops->run_save(tx, j, err);
}

int run_starting(const store *s, int64_t job_id, run_row *j, cl_error *err)
{
	memset(j, 0, sizeof *j);
	j->id = job_id;
	starting_job sj = {s->ops, j};
	int rc = s->ops->write(s->db, starting_tx, &sj, err);
	if (rc)
		run_row_release(j);
	return rc;
}

int run_started(const store *s, const run_row *j, cl_error *err)
{
	save_job sj = {s->ops, j};
	return s->ops->write(s->db, save_tx, &sj, err);
}

typedef struct placed_job {
	const store_ops *ops;
	int64_t id;
	const char *node, *gpus;
} placed_job;

static int placed_tx(store_tx *tx, void *ctx, cl_error *err)
{
	placed_job *p = ctx;
	run_row j;
	int rc = p->ops->run_load(tx, p->id, &j);
	if (rc)
		return cl_fail(err, rc, NULL, "job not found");
	if (!strcmp(j.state, "running")) {
		if (p->node[0])
			snprintf(j.node, sizeof j.node, "%s", p->node);
		if (p->gpus[0])
			snprintf(j.gpu_list, sizeof j.gpu_list, "%s", p->gpus);
		rc = p->ops->run_save(tx, &j, err);
	}
	run_row_release(&j);
	return rc;
}

int run_placed(const store *s, int64_t job_id, const char *node, const char *gpus,
	       cl_error *err)
{
	placed_job p = {s->ops, job_id, node ? node : "", gpus ? gpus : ""};
	return s->ops->write(s->db, placed_tx, &p, err);
}

typedef struct finish_job {
	const store_ops *ops;
	int64_t id;
	const run_end *end;
	bool refused; /* it cannot run here: no attempt, no retry */
	bool requeued;
} finish_job;

/* What an attempt's end leaves: the state, a retry, no token; on success the evaluation and
 * the artifacts. */
static int finish_tx(store_tx *tx, void *ctx, cl_error *err)
{
	finish_job *f = ctx;
	const store_ops *ops = f->ops;
	const run_end *e = f->end;
	run_row j;
	int rc = ops->run_load(tx, f->id, &j);
	if (rc)
		return cl_fail(err, rc, NULL, "job not found");
	const char *state = run_outcome_state(e->outcome, e->exit_code);
	f->requeued = !f->refused && run_retries(state, j.attempt, j.max_retries);
	snprintf(j.state, sizeof j.state, "%s", f->requeued ? "queued" : state);
	snprintf(j.end_reason, sizeof j.end_reason, "%s",
		 f->refused ? "refused" : run_outcome_reason(e->outcome));
	j.exit_status = e->outcome == RUN_EXITED ? e->exit_code : -1;
	j.ended_at = f->requeued ? 0 : clock_now_ms();
	j.token_digest[0] = '\0';
	j.pid = j.proc_start = 0;
	/* An attempt that failed to start has its reason in a log its row does not name yet. */
	if (e->log_path && !j.log_path[0] && strlen(e->log_path) < sizeof j.log_path)
		memcpy(j.log_path, e->log_path, strlen(e->log_path) + 1);
	rc = ops->run_save(tx, &j, err);
	if (!rc && e->evaluation)
		rc = ops->run_evaluation_set(tx, j.id, e->evaluation, err);
	for (size_t i = 0; !rc && i < e->n_artifacts; i++)
		rc = ops->run_artifact_add(tx, j.id, e->artifacts[i].path, e->artifacts[i].sha256,
					   e->artifacts[i].size, err);
	if (!rc && !strcmp(j.state, "succeeded") && label_check_is(&j))
		rc = label_check_record(tx, ops, &j, e->evaluation, err);
	run_row_release(&j);
	return rc;
}

int run_finished(const store *s, int64_t job_id, const run_end *end, bool *requeued,
		 cl_error *err)
{
	finish_job f = {.ops = s->ops, .id = job_id, .end = end};
	int rc = s->ops->write(s->db, finish_tx, &f, err);
	*requeued = !rc && f.requeued;
	return rc;
}

int run_refused(const store *s, int64_t job_id, cl_error *err)
{
	/* Not an attempt: no retry can make it fit. */
	run_end e = {.outcome = RUN_SIGNALED};
	finish_job f = {.ops = s->ops, .id = job_id, .end = &e, .refused = true};
	return s->ops->write(s->db, finish_tx, &f, err);
}
