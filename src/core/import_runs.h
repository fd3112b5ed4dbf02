/* Background imports: an upload too large to import while its request waits is queued here and
 * imported by a small pool of threads of its own, off the HTTP threads, all or nothing as any
 * import. The caller gives the work (parse and store: the api layer's) and what it owns; this
 * file keeps each import's state, progress and report, and its cancel, in memory while it runs
 * and as a record in the store at each change of state, so that its end is known after a
 * restart. A record turns done in the transaction that stores the import's items. A server
 * that stops cancels the imports still running (nothing of them is kept); one killed leaves
 * them queued, running or storing, and the next start fails them ("interrupted"): their upload
 * was an unnamed spool file, gone with the process, and an upload that killed the server would
 * kill it again were it run at every start. */
#ifndef CROWDLOOP_CORE_IMPORT_RUNS_H
#define CROWDLOOP_CORE_IMPORT_RUNS_H

#include "core/import.h"
#include "store/ops.h"
#include "util/err.h"

#include <jansson.h>
#include <stdint.h>

/* Threads that run background imports: each holds one import's items in memory until they are
 * stored in one transaction, so they are few. */
#define IMPORT_RUN_THREADS 2
/* Imports queued or running at once; one more is refused (CL_EUNAVAIL). */
#define IMPORT_RUN_QUEUE 16
/* Finished imports remembered for GET; the oldest is forgotten past this. */
#define IMPORT_RUN_KEEP 1000

typedef struct import_runs import_runs;
typedef struct import_job import_job;

/* The work of one import: fills `report` (an ImportReport) and returns 0, or an error in `err`.
 * It reports its progress in `pr` and stops when pr->cancel is set; before it writes anything
 * it calls import_job_storing, and stops when that refuses. Runs on a pool thread. */
typedef int (*import_work)(import_job *job, void *ctx, import_progress *pr, json_t *report,
			   cl_error *err);

/* What an import was asked for, kept with it. */
typedef struct import_request {
	int64_t project_id;
	int64_t bytes_total; /* the upload's size */
	import_work work;
	void *ctx; /* the work's, owned: freed with free_ctx when the import ends */
	void (*free_ctx)(void *ctx); /* releases the upload (the spooled file is removed) */
} import_request;

/* Starts the pool, its records in store `s` (NULL: in memory only); the imports a killed server
 * left unended are failed first. NULL when out of memory or threads. */
import_runs *import_runs_new(const store *s);
/* Cancels every import, waits for the running ones to stop, and frees everything. NULL is
 * fine. */
void import_runs_free(import_runs *rs);

/* Queues an import; *id is its id. On failure (CL_EUNAVAIL: the queue is full, or the pool is
 * stopping) the request's ctx is freed as well. */
int import_runs_start(import_runs *rs, const import_request *req, int64_t *id, cl_error *err);
/* The import `id` of project `project_id` as an Import object (docs/API.md): id, state
 * (queued, running, storing, done, failed, cancelled), progress, and when it ended its report
 * or error; NULL when there is none. */
json_t *import_runs_get(import_runs *rs, int64_t project_id, int64_t id);
/* Cancels the import: a queued one at once, a running one at its next entry (its state says
 * "running" with "cancelling": true until it stopped); CL_ENOTFOUND, or CL_ECONFLICT once it is
 * being stored or has ended. */
int import_runs_cancel(import_runs *rs, int64_t project_id, int64_t id, cl_error *err);

/* Called by the work before it writes: 0 and the import is "storing", from when on it can no
 * longer be cancelled; CL_ECONFLICT when it was cancelled first. */
int import_job_storing(import_job *job, cl_error *err);
/* The import's record as its items' transaction turns it done (import_target.record): filled
 * by import_job_storing; NULL when the imports keep no records. */
const import_record *import_job_record(import_job *job);

#endif
