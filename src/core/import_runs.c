/* Background imports: a queue, a few threads, and each import's state, progress and end. */
#include "core/import_runs.h"
#include "util/clock.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

enum job_state { JOB_QUEUED, JOB_RUNNING, JOB_STORING, JOB_DONE, JOB_FAILED, JOB_CANCELLED };

static const char *const state_names[] = {"queued", "running", "storing",
					  "done",   "failed",  "cancelled"};

struct import_job {
	int64_t id;
	import_request req;
	enum job_state state;
	import_progress pr;
	json_t *report; /* the work's, kept once it is done */
	cl_error err;	/* why it failed */
	int64_t created_at, ended_at;
	import_runs *rs;
	struct import_job *next; /* oldest first */
};

struct import_runs {
	pthread_mutex_t mu;
	pthread_cond_t wake;
	pthread_t threads[IMPORT_RUN_THREADS];
	int nthreads;
	bool stopping;
	import_job *head, *tail;
	int64_t next_id;
	int active;   /* queued or running */
	int finished; /* ended and remembered */
};

static bool job_ended(const import_job *j)
{
	return j->state >= JOB_DONE;
}

static import_job *job_find(import_runs *rs, int64_t project_id, int64_t id)
{
	for (import_job *j = rs->head; j; j = j->next)
		if (j->id == id && j->req.project_id == project_id)
			return j;
	return NULL;
}

/* Frees the work's context: the spooled upload goes with it. */
static void job_release_ctx(import_request *req)
{
	if (req->free_ctx && req->ctx)
		req->free_ctx(req->ctx);
	req->ctx = NULL;
}

/* Forgets the oldest finished imports past IMPORT_RUN_KEEP. Called with the lock held. */
static void forget_old(import_runs *rs)
{
	import_job **pp = &rs->head, *prev = NULL;
	while (*pp && rs->finished > IMPORT_RUN_KEEP) {
		import_job *j = *pp;
		if (!job_ended(j)) {
			prev = j;
			pp = &j->next;
			continue;
		}
		*pp = j->next;
		if (rs->tail == j)
			rs->tail = prev;
		json_decref(j->report);
		free(j);
		rs->finished--;
	}
}

/* Marks j ended in `state`. Called with the lock held. */
static void job_end(import_job *j, enum job_state state)
{
	j->state = state;
	j->ended_at = clock_now_ms();
	j->rs->active--;
	j->rs->finished++;
	if (state != JOB_DONE) {
		json_decref(j->report); /* nothing of it was kept */
		j->report = NULL;
	}
}

static import_job *next_queued(import_runs *rs)
{
	for (import_job *j = rs->head; j; j = j->next)
		if (j->state == JOB_QUEUED)
			return j;
	return NULL;
}

static void job_run(import_job *j)
{
	import_runs *rs = j->rs;
	cl_error err = {0};
	int rc = j->req.work(j, j->req.ctx, &j->pr, j->report, &err);
	job_release_ctx(&j->req);
	pthread_mutex_lock(&rs->mu);
	if (!rc)
		job_end(j, JOB_DONE);
	else if (atomic_load(&j->pr.cancel) && j->state == JOB_RUNNING)
		job_end(j, JOB_CANCELLED);
	else {
		j->err = err;
		if (!j->err.code)
			cl_fail(&j->err, rc, NULL, "the import failed");
		job_end(j, JOB_FAILED);
	}
	forget_old(rs);
	pthread_mutex_unlock(&rs->mu);
}

static void *pool_thread(void *arg)
{
	import_runs *rs = arg;
	pthread_mutex_lock(&rs->mu);
	for (;;) {
		import_job *j = next_queued(rs);
		if (!j && rs->stopping)
			break;
		if (!j) {
			pthread_cond_wait(&rs->wake, &rs->mu);
			continue;
		}
		j->state = JOB_RUNNING;
		pthread_mutex_unlock(&rs->mu);
		job_run(j);
		pthread_mutex_lock(&rs->mu);
	}
	pthread_mutex_unlock(&rs->mu);
	return NULL;
}

import_runs *import_runs_new(void)
{
	import_runs *rs = calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	pthread_mutex_init(&rs->mu, NULL);
	pthread_cond_init(&rs->wake, NULL);
	rs->next_id = 1;
	for (int i = 0; i < IMPORT_RUN_THREADS; i++) {
		if (pthread_create(&rs->threads[i], NULL, pool_thread, rs))
			break;
		rs->nthreads++;
	}
	if (!rs->nthreads) {
		import_runs_free(rs);
		return NULL;
	}
	return rs;
}

/* Cancels every import: queued ones end now (their contexts are freed by the caller, after the
 * lock), running ones at their next entry. Called with the lock held. */
static void cancel_all(import_runs *rs)
{
	for (import_job *j = rs->head; j; j = j->next) {
		if (j->state == JOB_QUEUED)
			job_end(j, JOB_CANCELLED);
		else if (j->state == JOB_RUNNING)
			atomic_store(&j->pr.cancel, true);
	}
}

void import_runs_free(import_runs *rs)
{
	if (!rs)
		return;
	pthread_mutex_lock(&rs->mu);
	rs->stopping = true;
	cancel_all(rs);
	pthread_cond_broadcast(&rs->wake);
	pthread_mutex_unlock(&rs->mu);
	for (int i = 0; i < rs->nthreads; i++)
		pthread_join(rs->threads[i], NULL);
	for (import_job *j = rs->head, *next; j; j = next) {
		next = j->next;
		job_release_ctx(&j->req);
		json_decref(j->report);
		free(j);
	}
	pthread_cond_destroy(&rs->wake);
	pthread_mutex_destroy(&rs->mu);
	free(rs);
}

static import_job *job_new(const import_request *req)
{
	import_job *j = calloc(1, sizeof *j);
	if (!j)
		return NULL;
	j->report = json_object();
	if (!j->report) {
		free(j);
		return NULL;
	}
	j->req = *req;
	j->created_at = clock_now_ms();
	return j;
}

int import_runs_start(import_runs *rs, const import_request *req, int64_t *id, cl_error *err)
{
	import_request own = *req;
	import_job *j = job_new(req);
	if (!j) {
		job_release_ctx(&own);
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	pthread_mutex_lock(&rs->mu);
	bool full = rs->stopping || rs->active >= IMPORT_RUN_QUEUE;
	if (!full) {
		j->id = *id = rs->next_id++;
		j->rs = rs;
		if (rs->tail)
			rs->tail->next = j;
		else
			rs->head = j;
		rs->tail = j;
		rs->active++;
		pthread_cond_signal(&rs->wake);
	}
	pthread_mutex_unlock(&rs->mu);
	if (!full)
		return 0;
	json_decref(j->report);
	free(j);
	job_release_ctx(&own);
	return cl_fail(err, CL_EUNAVAIL, "imports_busy",
		       "%d imports are queued or running already; try again later",
		       IMPORT_RUN_QUEUE);
}

static json_t *progress_json(const import_job *j)
{
	const import_progress *pr = &j->pr;
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "bytes_total", (json_int_t)j->req.bytes_total,
			 "bytes_read", (json_int_t)atomic_load(&pr->bytes_read), "lines_read",
			 (json_int_t)atomic_load(&pr->lines_read), "items",
			 (json_int_t)atomic_load(&pr->items), "rejected",
			 (json_int_t)atomic_load(&pr->rejected));
}

static json_t *job_json(const import_job *j)
{
	char at[32];
	clock_iso8601(j->created_at, at);
	json_t *o = json_pack("{s:I,s:I,s:s,s:o,s:s}", "id", (json_int_t)j->id, "project_id",
			      (json_int_t)j->req.project_id, "state", state_names[j->state],
			      "progress", progress_json(j), "created_at", at);
	if (j->state == JOB_RUNNING && atomic_load(&j->pr.cancel))
		json_object_set_new(o, "cancelling", json_true());
	if (j->ended_at) {
		clock_iso8601(j->ended_at, at);
		json_object_set_new(o, "ended_at", json_string(at));
	}
	if (j->state == JOB_DONE)
		json_object_set(o, "report", j->report);
	if (j->state == JOB_FAILED)
		json_object_set_new(
		    o, "error",
		    json_pack("{s:s,s:s}", "code",
			      j->err.name[0] ? j->err.name : cl_err_name(j->err.code), "message",
			      j->err.message));
	return o;
}

json_t *import_runs_get(import_runs *rs, int64_t project_id, int64_t id)
{
	pthread_mutex_lock(&rs->mu);
	import_job *j = job_find(rs, project_id, id);
	json_t *o = j ? job_json(j) : NULL;
	pthread_mutex_unlock(&rs->mu);
	return o;
}

int import_runs_cancel(import_runs *rs, int64_t project_id, int64_t id, cl_error *err)
{
	import_request drop = {0};
	int rc = 0;
	pthread_mutex_lock(&rs->mu);
	import_job *j = job_find(rs, project_id, id);
	if (!j)
		rc = cl_fail(err, CL_ENOTFOUND, NULL, "import not found");
	else if (j->state == JOB_STORING || job_ended(j))
		rc = cl_fail(err, CL_ECONFLICT, "import_not_cancellable",
			     "the import is %s: it can no longer be cancelled",
			     state_names[j->state]);
	else if (j->state == JOB_QUEUED) {
		drop = j->req;
		j->req.ctx = NULL;
		job_end(j, JOB_CANCELLED);
	} else
		atomic_store(&j->pr.cancel, true);
	pthread_mutex_unlock(&rs->mu);
	job_release_ctx(&drop);
	return rc;
}

int import_job_storing(import_job *job, cl_error *err)
{
	import_runs *rs = job->rs;
	pthread_mutex_lock(&rs->mu);
	bool cancelled = atomic_load(&job->pr.cancel);
	if (!cancelled)
		job->state = JOB_STORING;
	pthread_mutex_unlock(&rs->mu);
	return cancelled
		   ? cl_fail(err, CL_ECONFLICT, "import_cancelled", "the import was cancelled")
		   : 0;
}
