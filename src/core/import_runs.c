/* Background imports: a queue, a few threads, and each import's state, progress and end. */
#include "core/import_runs.h"
#include "util/clock.h"
#include "util/log.h"

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
	import_record done;	 /* the record its items' transaction writes (import_job_record) */
	char *done_progress;	 /* done's progress, owned */
	bool end_recorded;	 /* its end is in the store (or there is no store) */
	struct import_job *next; /* oldest first */
};

/* A record as it was when its import changed state, written to the store after the lock. */
typedef struct record_change {
	import_record rec;
	char *progress; /* owned */
	cl_error err;
} record_change;

struct import_runs {
	const store *s; /* NULL: no records */
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

static void job_free(import_job *j)
{
	json_decref(j->report);
	free(j->done_progress);
	free(j);
}

static json_t *progress_json(const import_job *j);

/* The job's progress as JSON text (owned), NULL when out of memory. */
static char *progress_text(const import_job *j)
{
	json_t *o = progress_json(j);
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	return text;
}

/* The job's record as it is now. Called with the lock held. */
static void record_take(const import_job *j, record_change *c)
{
	*c = (record_change){0};
	c->progress = progress_text(j);
	c->rec = (import_record){j->id, j->req.project_id, state_names[j->state], c->progress,
				 NULL, NULL, j->ended_at};
	if (j->state == JOB_FAILED) {
		c->err = j->err;
		c->rec.error_code = c->err.name[0] ? c->err.name : cl_err_name(c->err.code);
		c->rec.error_message = c->err.message;
	}
}

/* Writes a change taken by record_take, after the lock: a store write may wait for the disk. */
static void record_put(const import_runs *rs, record_change *c)
{
	cl_error err = {0};
	if (rs->s && c->progress && rs->s->ops->import_update(rs->s->db, &c->rec, &err))
		log_warn("msg=\"an import's record was not written\" import=%lld state=%s reason=\"%s\"",
			 (long long)c->rec.id, c->rec.state, err.message);
	free(c->progress);
	c->progress = NULL;
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
		job_free(j);
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
	record_change c = {0};
	pthread_mutex_lock(&rs->mu);
	if (!rc) {
		job_end(j, JOB_DONE); /* its record turned done with its items, and ended then */
		if (rs->s)
			j->ended_at = j->done.ended_at;
	}
	else if (atomic_load(&j->pr.cancel) && j->state == JOB_RUNNING)
		job_end(j, JOB_CANCELLED);
	else {
		j->err = err;
		if (!j->err.code)
			cl_fail(&j->err, rc, NULL, "the import failed");
		job_end(j, JOB_FAILED);
	}
	if (rc)
		record_take(j, &c);
	j->end_recorded = true;
	forget_old(rs);
	pthread_mutex_unlock(&rs->mu);
	record_put(rs, &c);
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
		record_change c;
		record_take(j, &c);
		pthread_mutex_unlock(&rs->mu);
		record_put(rs, &c);
		job_run(j);
		pthread_mutex_lock(&rs->mu);
	}
	pthread_mutex_unlock(&rs->mu);
	return NULL;
}

/* The imports a killed server left unended are failed: their uploads went with it. */
static void fail_interrupted(const store *s)
{
	cl_error err = {0};
	int n = 0;
	if (s->ops->imports_interrupted(
		s->db, "interrupted",
		"the server stopped before the import was stored; nothing of it was kept: upload it "
		"again",
		clock_now_ms(), &n, &err))
		log_warn("msg=\"interrupted imports were not marked failed\" reason=\"%s\"",
			 err.message);
	else if (n)
		log_info("msg=\"imports interrupted by the last stop are failed\" count=%d", n);
}

import_runs *import_runs_new(const store *s)
{
	import_runs *rs = calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	rs->s = s;
	if (s)
		fail_interrupted(s);
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
		if (!j->end_recorded) { /* cancelled while queued */
			record_change c;
			record_take(j, &c);
			record_put(rs, &c);
		}
		job_release_ctx(&j->req);
		job_free(j);
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

/* Takes a place in the queue: false when it is full or the pool stops. */
static bool queue_reserve(import_runs *rs)
{
	pthread_mutex_lock(&rs->mu);
	bool full = rs->stopping || rs->active >= IMPORT_RUN_QUEUE;
	if (!full)
		rs->active++;
	pthread_mutex_unlock(&rs->mu);
	return !full;
}

/* The job's id: its new record's, or the next in memory without a store. */
static int job_identify(import_runs *rs, import_job *j, cl_error *err)
{
	if (rs->s)
		return rs->s->ops->import_insert(rs->s->db, j->req.project_id, j->req.bytes_total,
						 j->created_at, &j->id, err);
	pthread_mutex_lock(&rs->mu);
	j->id = rs->next_id++;
	pthread_mutex_unlock(&rs->mu);
	return 0;
}

int import_runs_start(import_runs *rs, const import_request *req, int64_t *id, cl_error *err)
{
	import_request own = *req;
	import_job *j = job_new(req);
	if (!j) {
		job_release_ctx(&own);
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	}
	int rc = queue_reserve(rs) ? 0
				   : cl_fail(err, CL_EUNAVAIL, "imports_busy",
					     "%d imports are queued or running already; try again "
					     "later",
					     IMPORT_RUN_QUEUE);
	if (!rc && (rc = job_identify(rs, j, err))) {
		pthread_mutex_lock(&rs->mu);
		rs->active--;
		pthread_mutex_unlock(&rs->mu);
	}
	if (rc) {
		job_free(j);
		job_release_ctx(&own);
		return rc;
	}
	pthread_mutex_lock(&rs->mu);
	*id = j->id;
	j->rs = rs;
	if (rs->tail)
		rs->tail->next = j;
	else
		rs->head = j;
	rs->tail = j;
	pthread_cond_signal(&rs->wake);
	pthread_mutex_unlock(&rs->mu);
	return 0;
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
	/* Not in memory: ended before this start, or forgotten. */
	if (!o && rs->s)
		o = rs->s->ops->import_get(rs->s->db, project_id, id);
	return o;
}

/* An import known only by its record has ended: CL_ECONFLICT, or CL_ENOTFOUND without one. */
static int cancel_recorded(import_runs *rs, int64_t project_id, int64_t id, cl_error *err)
{
	json_t *o = rs->s ? rs->s->ops->import_get(rs->s->db, project_id, id) : NULL;
	int rc = o ? cl_fail(err, CL_ECONFLICT, "import_not_cancellable",
			     "the import is %s: it can no longer be cancelled",
			     json_string_value(json_object_get(o, "state")))
		   : cl_fail(err, CL_ENOTFOUND, NULL, "import not found");
	json_decref(o);
	return rc;
}

int import_runs_cancel(import_runs *rs, int64_t project_id, int64_t id, cl_error *err)
{
	import_request drop = {0};
	record_change c = {0};
	int rc = 0;
	pthread_mutex_lock(&rs->mu);
	import_job *j = job_find(rs, project_id, id);
	if (!j) {
		pthread_mutex_unlock(&rs->mu);
		return cancel_recorded(rs, project_id, id, err);
	}
	if (j->state == JOB_STORING || job_ended(j))
		rc = cl_fail(err, CL_ECONFLICT, "import_not_cancellable",
			     "the import is %s: it can no longer be cancelled",
			     state_names[j->state]);
	else if (j->state == JOB_QUEUED) {
		drop = j->req;
		j->req.ctx = NULL;
		job_end(j, JOB_CANCELLED);
		record_take(j, &c);
		j->end_recorded = true;
	} else
		atomic_store(&j->pr.cancel, true);
	pthread_mutex_unlock(&rs->mu);
	record_put(rs, &c);
	job_release_ctx(&drop);
	return rc;
}

int import_job_storing(import_job *job, cl_error *err)
{
	import_runs *rs = job->rs;
	pthread_mutex_lock(&rs->mu);
	bool cancelled = atomic_load(&job->pr.cancel);
	if (!cancelled) {
		job->state = JOB_STORING;
		free(job->done_progress);
		job->done_progress = progress_text(job);
		job->done = (import_record){job->id,	     job->req.project_id, "done",
					    job->done_progress, NULL,		  NULL,
					    clock_now_ms()};
	}
	pthread_mutex_unlock(&rs->mu);
	return cancelled
		   ? cl_fail(err, CL_ECONFLICT, "import_cancelled", "the import was cancelled")
		   : 0;
}

const import_record *import_job_record(import_job *job)
{
	return job->rs->s ? &job->done : NULL;
}
