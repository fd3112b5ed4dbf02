/* Training jobs over HTTP: submit (core/runs.c checks who may run what), list, read, cancel,
 * the log (a tail, or followed as it grows until the job ends), metric series (read, and
 * logged in batches by a client or by the job's own token), artifacts, and the comparison of
 * runs' final metrics. */
#include "api/api.h"
#include "core/code_bundle.h"
#include "core/runs.h"
#include "jobs/artifacts.h"
#include "store/store_jobs.h"
#include "util/clock.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOG_TAIL_MAX 10000	       /* lines */
#define LOG_TAIL_BYTES (1 << 20)       /* read back from the end to find them */
#define LOG_FOLLOW_WAIT_MS 50          /* a follower's wait for the log to grow */
#define METRICS_READ_MAX 100000	       /* points in one answer */
#define COMPARE_MAX 1000	       /* runs in one comparison */

static void int_field(const json_t *body, const char *key, int64_t fallback, int64_t *out)
{
	json_t *v = json_object_get(body, key);
	*out = v ? json_integer_value(v) : fallback;
}

/* POST /orgs/{id}/jobs */
int api_jobs_create(http_request *r)
{
	app *a = api_app(r);
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (rc)
		return rc;
	int64_t cpus, gpus, mem_mb, priority, retries, limit_s;
	int_field(body, "cpus", 1, &cpus);
	int_field(body, "gpus", 0, &gpus);
	int_field(body, "mem_mb", 1024, &mem_mb);
	int_field(body, "priority", 0, &priority);
	int_field(body, "max_retries", 0, &retries);
	int_field(body, "time_limit_s", 0, &limit_s);
	if (cpus < 1 || cpus > 4096 || gpus < 0 || gpus > 64 || mem_mb < 1 ||
	    mem_mb > (int64_t)1 << 30 || priority < 0 || priority > 9 || retries < 0 ||
	    retries > 100 || limit_s < 0 || limit_s > (int64_t)1 << 30) {
		json_decref(body);
		return http_fail(r, CL_EINVAL, NULL,
				 "cpus, gpus, mem_mb, priority, max_retries or time_limit_s is out "
				 "of range");
	}
	run_request req = {
	    .org_id = r->ids[0],
	    .user_id = r->user.id,
	    .org_role = api_scope_of(r)->org_role,
	    .dataset_id = json_integer_value(json_object_get(body, "dataset_id")),
	    .trainer = json_string_value(json_object_get(body, "trainer")),
	    .params = json_object_get(body, "params"),
	    .command = json_object_get(body, "command"),
	    .format = json_string_value(json_object_get(body, "format")),
	    .code_sha256 = json_string_value(json_object_get(body, "code_sha256")),
	    .cpus = (int)cpus,
	    .gpus = (int)gpus,
	    .priority = (int)priority,
	    .max_retries = (int)retries,
	    .mem_bytes = mem_mb << 20,
	    .time_limit_ms = limit_s * 1000,
	};
	int64_t id = 0;
	rc = run_submit(&a->store, &a->runs, &req, &id, &r->err);
	json_decref(body);
	if (rc)
		return rc;
	json_t *job = store_job_get(a->db, id);
	if (!job)
		return http_fail(r, CL_EINTERNAL, NULL, "cannot read the new job");
	http_json(r, 201, job);
	return 0;
}

/* POST /orgs/{id}/code: the body is the tar.gz itself. Only those who may run custom commands
 * upload one, as only they may run it. */
int api_jobs_code_upload(http_request *r)
{
	app *a = api_app(r);
	const char *role = api_scope_of(r)->org_role;
	if (!a->runs.allow_custom)
		return http_fail(r, CL_EFORBIDDEN, "custom_jobs_disabled",
				 "this server does not run custom commands (--allow-custom-jobs)");
	if (!r->user.is_admin && strcmp(role, "owner") && strcmp(role, "engineer"))
		return http_fail(r, CL_EFORBIDDEN, NULL,
				 "only the org's owners and engineers upload code");
	if (r->files || !r->upload.len)
		return http_fail(r, CL_EINVAL, NULL, "the body must be the bundle (a tar.gz) alone");
	char sha[65];
	size_t files = 0;
	int rc = code_bundle_store(a->data_dir, r->upload.data, r->upload.len, sha, &files,
				   &r->err);
	if (rc)
		return rc;
	http_json(r, 201, json_pack("{s:s,s:I,s:I}", "sha256", sha, "size",
				    (json_int_t)r->upload.len, "entries", (json_int_t)files));
	return 0;
}

/* GET /orgs/{id}/jobs */
int api_jobs_list(http_request *r)
{
	int64_t cursor, next;
	int limit;
	bool desc;
	int rc = http_page(r, NULL, &cursor, &limit, &desc);
	if (rc)
		return rc;
	const char *state = http_query(r, "state");
	http_json_page(r, store_jobs_list(api_app(r)->db, r->ids[0], state, cursor, limit, desc,
					  &next),
		       &next);
	return 0;
}

/* GET /jobs/{id} */
int api_jobs_get(http_request *r)
{
	json_t *job = store_job_get(api_app(r)->db, r->ids[0]);
	if (!job)
		return http_fail(r, CL_ENOTFOUND, NULL, "job not found");
	json_object_set_new(job, "final_metrics", store_job_final_metrics(api_app(r)->db, r->ids[0]));
	http_json(r, 200, job);
	return 0;
}

/* POST /jobs/{id}/cancel */
int api_jobs_cancel(http_request *r)
{
	int rc = run_cancel(&api_app(r)->store, r->ids[0], &r->err);
	if (rc)
		return rc;
	return api_jobs_get(r);
}

/* ---- the log ---- */

typedef struct log_stream {
	http_request *r; /* lives while its answer is sent */
	db *db;
	int64_t job;
	int fd;
	off_t base; /* where the answer starts in the file (a tail) */
	bool follow;
} log_stream;

static bool job_ended(log_stream *x)
{
	char path[8], state[RUN_STATE_LEN];
	if (!store_job_log(x->db, x->job, path, sizeof path, state))
		return true;
	return strcmp(state, "queued") && strcmp(state, "running");
}

/* A follower of a job still queued opens the log once the job has started. */
static bool log_open(log_stream *x)
{
	char path[1024], state[RUN_STATE_LEN];
	if (x->fd < 0 && store_job_log(x->db, x->job, path, sizeof path, state) && path[0])
		x->fd = open(path, O_RDONLY | O_CLOEXEC);
	return x->fd >= 0;
}

/* Nothing to send yet: the connection waits, suspended, and no I/O thread with it. */
static ssize_t log_wait(log_stream *x)
{
	return http_stream_wait(x->r, LOG_FOLLOW_WAIT_MS) ? MHD_CONTENT_READER_END_OF_STREAM : 0;
}

static ssize_t log_read(void *cls, uint64_t pos, char *out, size_t max)
{
	log_stream *x = cls;
	if (!log_open(x)) {
		if (job_ended(x))
			return MHD_CONTENT_READER_END_OF_STREAM;
		return log_wait(x);
	}
	ssize_t n = pread(x->fd, out, max, x->base + (off_t)pos);
	if (n > 0)
		return n;
	if (n < 0)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	/* At the end: a follower waits for more until the job has ended and all is read. */
	if (!x->follow)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (job_ended(x)) {
		n = pread(x->fd, out, max, x->base + (off_t)pos);
		return n > 0 ? n : MHD_CONTENT_READER_END_OF_STREAM;
	}
	return log_wait(x);
}

static void log_free(void *cls)
{
	log_stream *x = cls;
	if (x->fd >= 0)
		close(x->fd);
	free(x);
}

/* Where the last `lines` lines of the open log start. */
static off_t tail_start(int fd, long lines)
{
	struct stat st;
	if (fstat(fd, &st) || st.st_size == 0)
		return 0;
	off_t from = st.st_size > LOG_TAIL_BYTES ? st.st_size - LOG_TAIL_BYTES : 0;
	size_t len = (size_t)(st.st_size - from);
	char *buf = malloc(len);
	if (!buf || pread(fd, buf, len, from) != (ssize_t)len) {
		free(buf);
		return from;
	}
	size_t i = len;
	if (i && buf[i - 1] == '\n')
		i--;
	long seen = 0;
	while (i > 0) {
		if (buf[i - 1] == '\n' && ++seen == lines)
			break;
		i--;
	}
	free(buf);
	return from + (off_t)i;
}

/* GET /jobs/{id}/logs?tail=N&follow=1 */
int api_jobs_logs(http_request *r)
{
	const char *tail = http_query(r, "tail"), *follow = http_query(r, "follow");
	long lines = 0;
	if (tail && (sscanf(tail, "%ld", &lines) != 1 || lines < 1 || lines > LOG_TAIL_MAX))
		return http_fail(r, CL_EINVAL, NULL, "tail must be 1 to %d", LOG_TAIL_MAX);
	if (follow && strcmp(follow, "1") && strcmp(follow, "0"))
		return http_fail(r, CL_EINVAL, NULL, "follow must be 0 or 1");
	char path[1024], state[RUN_STATE_LEN];
	if (!store_job_log(api_app(r)->db, r->ids[0], path, sizeof path, state))
		return http_fail(r, CL_ENOTFOUND, NULL, "job not found");
	bool following = follow && !strcmp(follow, "1");
	int fd = path[0] ? open(path, O_RDONLY | O_CLOEXEC) : -1;
	if (fd < 0 && !following) {
		http_bytes(r, 200, "text/plain; charset=utf-8", "", 0);
		return 0;
	}
	off_t start = lines && fd >= 0 ? tail_start(fd, lines) : 0;
	log_stream *x = calloc(1, sizeof *x);
	if (!x) {
		if (fd >= 0)
			close(fd);
		return http_fail(r, CL_ENOMEM, NULL, "out of memory");
	}
	*x = (log_stream){r, api_app(r)->db, r->ids[0], fd, start, following};
	r->response = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, log_read, x,
							 log_free);
	if (!r->response) {
		log_free(x);
		return http_fail(r, CL_EINTERNAL, NULL, "cannot start the log");
	}
	r->status = 200;
	http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain; charset=utf-8");
	return 0;
}

/* ---- metrics ---- */

/* GET /jobs/{id}/metrics?key=K */
int api_jobs_metrics(http_request *r)
{
	const char *key = http_query(r, "key");
	db *d = api_app(r)->db;
	http_json(r, 200,
		  json_pack("{s:I,s:o,s:o}", "job_id", (json_int_t)r->ids[0], "series",
			    store_job_metrics(d, r->ids[0], key, METRICS_READ_MAX), "final",
			    store_job_final_metrics(d, r->ids[0])));
	return 0;
}

/* One point of a batch: {"key", "value", "step"?, "time"? (ms since the epoch)}. */
static int metric_of(http_request *r, size_t i, const json_t *o, run_metric *m, int64_t now)
{
	json_t *step = json_object_get(o, "step"), *t = json_object_get(o, "time");
	json_t *v = json_object_get(o, "value");
	m->key = json_string_value(json_object_get(o, "key"));
	if (!json_is_object(o) || !m->key || !json_is_number(v) || (step && !json_is_integer(step)) ||
	    (t && !json_is_integer(t)))
		return http_fail(r, CL_EINVAL, NULL,
				 "metrics[%zu] must be {\"key\": string, \"value\": number,"
				 " \"step\"?: integer, \"time\"?: integer}",
				 i);
	m->value = json_number_value(v);
	m->step = step ? json_integer_value(step) : 0;
	m->at = t ? json_integer_value(t) : now;
	return 0;
}

/* POST /jobs/{id}/metrics {"metrics": [...]}: one transaction for the batch. */
int api_jobs_metrics_log(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (rc)
		return rc;
	json_t *list = json_object_get(body, "metrics");
	size_t n = json_array_size(list);
	run_metric *m = NULL;
	if (n > RUN_METRIC_BATCH_MAX) {
		rc = http_fail(r, CL_ETOOBIG, "batch_too_big", "a batch holds at most %d points",
			       RUN_METRIC_BATCH_MAX);
		goto out;
	}
	m = calloc(n ? n : 1, sizeof *m);
	if (!m) {
		rc = http_fail(r, CL_ENOMEM, NULL, "out of memory");
		goto out;
	}
	int64_t now = clock_now_ms();
	for (size_t i = 0; !rc && i < n; i++)
		rc = metric_of(r, i, json_array_get(list, i), &m[i], now);
	if (!rc)
		rc = run_log_metrics(&api_app(r)->store, r->ids[0], m, n, &r->err);
	if (!rc)
		http_json(r, 200, json_pack("{s:I}", "logged", (json_int_t)n));
out:
	free(m);
	json_decref(body);
	return rc;
}

/* ---- artifacts ---- */

/* GET /jobs/{id}/artifacts */
int api_jobs_artifacts(http_request *r)
{
	http_json(r, 200,
		  json_pack("{s:o}", "items", store_job_artifacts(api_app(r)->db, r->ids[0])));
	return 0;
}

/* GET /jobs/{id}/artifacts/{id}: the file's bytes. */
int api_jobs_artifact(http_request *r)
{
	char sha[65], rel[512], path[4096];
	if (!store_job_artifact(api_app(r)->db, r->ids[0], r->ids[1], sha, rel, sizeof rel) ||
	    !artifacts_name_ok(sha))
		return http_fail(r, CL_ENOTFOUND, NULL, "artifact not found");
	snprintf(path, sizeof path, "%s/artifacts/%s", api_app(r)->data_dir, sha);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st)) {
		if (fd >= 0)
			close(fd);
		return http_fail(r, CL_ENOTFOUND, NULL, "artifact file missing");
	}
	r->response = MHD_create_response_from_fd((uint64_t)st.st_size, fd);
	if (!r->response) {
		close(fd);
		return http_fail(r, CL_EINTERNAL, NULL, "cannot send the artifact");
	}
	r->status = 200;
	http_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, "application/octet-stream");
	http_header(r, "X-Content-SHA256", sha);
	return 0;
}

/* ---- comparing runs ---- */

/* GET /orgs/{id}/runs?compare=1,2,3: each run's trainer, params, state and final metrics. */
int api_runs_compare(http_request *r)
{
	const char *list = http_query(r, "compare");
	if (!list || !*list)
		return http_fail(r, CL_EINVAL, NULL, "compare must list job ids: compare=1,2,3");
	db *d = api_app(r)->db;
	json_t *runs = json_array();
	const char *p = list;
	for (int n = 0; *p; n++) {
		char *end;
		long long id = strtoll(p, &end, 10);
		if (end == p || id <= 0 || (*end && *end != ',') || n >= COMPARE_MAX) {
			json_decref(runs);
			return http_fail(r, CL_EINVAL, NULL,
					 "compare must list 1 to %d job ids, comma-separated",
					 COMPARE_MAX);
		}
		json_t *job = store_job_org(d, id) == r->ids[0] ? store_job_get(d, id) : NULL;
		if (!job) {
			json_decref(runs);
			return http_fail(r, CL_ENOTFOUND, NULL, "job %lld not found", id);
		}
		json_t *row = json_pack("{s:O,s:O,s:O,s:O,s:O,s:o}", "id", json_object_get(job, "id"),
					"state", json_object_get(job, "state"), "trainer",
					json_object_get(job, "trainer"), "params",
					json_object_get(job, "params"), "dataset_id",
					json_object_get(job, "dataset_id"), "final_metrics",
					store_job_final_metrics(d, id));
		json_decref(job);
		json_array_append_new(runs, row);
		p = *end ? end + 1 : end;
	}
	http_json(r, 200, json_pack("{s:o}", "runs", runs));
	return 0;
}

/* ---- an org's quota ---- */

static json_t *quota_json(app *a, int64_t org)
{
	run_quota q;
	a->store.ops->org_quota(a->db, org, &q);
	return json_pack("{s:I,s:i,s:i,s:I,s:i}", "org_id", (json_int_t)org, "max_cpus",
			 q.max_cpus, "max_gpus", q.max_gpus, "max_mem_mb", (json_int_t)q.max_mem_mb,
			 "weight", q.weight);
}

/* GET /orgs/{id}/quota */
int api_orgs_quota(http_request *r)
{
	http_json(r, 200, quota_json(api_app(r), r->ids[0]));
	return 0;
}

/* POST /orgs/{id}/quota {"max_cpus", "max_gpus", "weight", "max_mem_mb"?}: the quota whole
 * (no max_mem_mb: none). */
int api_orgs_quota_set(http_request *r)
{
	json_t *body = NULL;
	int rc = http_body_json(r, &body);
	if (rc)
		return rc;
	json_int_t v[3];
	const char *keys[3] = {"max_cpus", "max_gpus", "weight"};
	for (int i = 0; i < 3; i++) {
		v[i] = json_integer_value(json_object_get(body, keys[i]));
		if (v[i] < -1 || v[i] > 100000)
			rc = http_fail(r, CL_EINVAL, NULL, "%s is out of range", keys[i]);
	}
	json_t *mem = json_object_get(body, "max_mem_mb");
	run_quota q = {(int)v[0], (int)v[1], (int)v[2], mem ? json_integer_value(mem) : -1};
	json_decref(body);
	if (!rc)
		rc = run_quota_set(&api_app(r)->store, r->ids[0], &q, &r->err);
	if (!rc)
		http_json(r, 200, quota_json(api_app(r), r->ids[0]));
	return rc;
}
