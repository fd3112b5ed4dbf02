/* The job runner (runner.h): replay at start, then a loop that takes new queued jobs and
 * cancel requests from the store, places jobs with the scheduler, starts, follows and ends
 * them. */
#include "core/runner.h"
#include "core/code_bundle.h"
#include "core/dataset_dir.h"
#include "core/export.h"
#include "core/auth.h"
#include "core/runs.h"
#include "jobs/artifacts.h"
#include "jobs/metric_lines.h"
#include "util/clock.h"
#include "util/fs.h"
#include "util/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define LIVE_BATCH 256
#define LOG_READ_MAX (256 * 1024) /* of a job's log per look */
#define LINE_MAX_BYTES 4096	  /* a longer log line is no metric line */
#define EVALUATION_MAX (1 << 20)
#define METRICS_FILE_MAX_LINES 1000000
#define PATH_BYTES 1024

/* A job this runner started or adopted. */
typedef struct active {
	int64_t id;
	void *handle;
	int attempt;
	char dir[PATH_BYTES + 64], log_path[PATH_BYTES + 96], out_dir[PATH_BYTES + 96];
	char exit_file[PATH_BYTES + 128];
	int64_t log_off;
	char line[LINE_MAX_BYTES];
	size_t line_len;
	bool line_too_long, cancel_sent, adopted;
	char node[64], gpus[RUN_GPU_LIST_LEN]; /* where a cluster placed it, as last recorded */
} active;

struct runner {
	runner_config cfg;
	char data_dir[PATH_BYTES], server_url[512], self_exe[PATH_BYTES], node_name[64];
	char partition[64];
	uint32_t tag; /* of the data directory, in cluster job names */
	sched *sched;
	active *act;
	size_t n_act, cap_act;
	int64_t seen; /* the highest job id taken from the store */
	run_row *live; /* LIVE_BATCH rows that take_live reads into, made at its first call */
	int64_t *orgs; /* the orgs whose quotas the scheduler holds */
	size_t n_orgs, cap_orgs;
	pthread_t thread;
	atomic_bool stop;
};

/* ---- metrics from the log and metrics.jsonl ---- */

/* Collects points and writes them in batches of RUN_METRIC_BATCH_MAX. */
typedef struct points {
	runner *r;
	int64_t job;
	metric_point p[64];
	run_metric m[64];
	size_t n;
} points;

static void points_flush(points *ps)
{
	if (!ps->n)
		return;
	int64_t now = clock_now_ms();
	for (size_t i = 0; i < ps->n; i++)
		ps->m[i] = (run_metric){ps->p[i].key, ps->p[i].value, ps->p[i].step, now};
	cl_error err = {0};
	if (run_log_metrics(&ps->r->cfg.store, ps->job, ps->m, ps->n, &err))
		log_warn("msg=\"cannot store a job's metrics\" job=%lld error=\"%s\"",
			 (long long)ps->job, err.message);
	ps->n = 0;
}

static void points_add(points *ps, const metric_point *p)
{
	ps->p[ps->n++] = *p;
	if (ps->n == sizeof ps->p / sizeof ps->p[0])
		points_flush(ps);
}

/* Takes one complete log line. */
static void log_line_take(active *a, points *ps, const char *line, size_t len)
{
	metric_point p;
	(void)a;
	if (metric_line_parse(line, len, &p))
		points_add(ps, &p);
}

/* Feeds new log bytes, line by line; a partial last line waits for the next look. */
static void log_feed(active *a, points *ps, const char *data, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = data[i];
		if (c == '\n') {
			if (!a->line_too_long)
				log_line_take(a, ps, a->line, a->line_len);
			a->line_len = 0;
			a->line_too_long = false;
		} else if (a->line_len < sizeof a->line) {
			a->line[a->line_len++] = c;
		} else {
			a->line_too_long = true;
		}
	}
}

/* Reads what the log gained since the last look (all of it when `all`). */
static void log_follow(runner *r, active *a, bool all)
{
	int fd = open(a->log_path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	points ps = {.r = r, .job = a->id};
	static _Thread_local char buf[64 * 1024];
	size_t budget = LOG_READ_MAX;
	while (all || budget) {
		ssize_t n = pread(fd, buf, sizeof buf, a->log_off);
		if (n <= 0)
			break;
		a->log_off += n;
		log_feed(a, &ps, buf, (size_t)n);
		budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
	}
	close(fd);
	points_flush(&ps);
}

static void metrics_file_read(runner *r, active *a)
{
	char path[PATH_BYTES + 128];
	snprintf(path, sizeof path, "%s/metrics.jsonl", a->out_dir);
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	points ps = {.r = r, .job = a->id};
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long lines = 0;
	metric_point p;
	while ((len = getline(&line, &cap, f)) > 0 && lines++ < METRICS_FILE_MAX_LINES)
		if (metric_json_parse(line, (size_t)len, &p))
			points_add(&ps, &p);
	free(line);
	fclose(f);
	points_flush(&ps);
}

/* ---- the end of an attempt ---- */

/* OUTPUT/evaluation.json when it is a JSON object of at most EVALUATION_MAX bytes. */
static char *evaluation_read(const active *a)
{
	char path[PATH_BYTES + 128];
	snprintf(path, sizeof path, "%s/evaluation.json", a->out_dir);
	json_error_t e;
	struct stat st;
	if (stat(path, &st) || st.st_size > EVALUATION_MAX)
		return NULL;
	json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &e);
	char *text = json_is_object(v) ? json_dumps(v, JSON_COMPACT) : NULL;
	json_decref(v);
	return text;
}

/* The exit status an adopted job's wrapper wrote, or -1. */
static int exit_file_read(const active *a)
{
	FILE *f = fopen(a->exit_file, "re");
	int code = -1;
	if (f) {
		if (fscanf(f, "%d", &code) != 1)
			code = -1;
		fclose(f);
	}
	return code;
}

static run_end end_of(const active *a, const executor_status *st)
{
	run_end e = {.exit_code = st->exit_code, .signal = st->signal};
	switch (st->end) {
	case EXECUTOR_EXITED: e.outcome = RUN_EXITED; break;
	case EXECUTOR_SIGNALED: e.outcome = RUN_SIGNALED; break;
	case EXECUTOR_CANCELLED: e.outcome = RUN_CANCELLED; break;
	case EXECUTOR_TIMED_OUT: e.outcome = RUN_TIMED_OUT; break;
	default:
		/* Not our child: its wrapper's note says how it ended, when it could write it. */
		e.exit_code = exit_file_read(a);
		e.outcome = e.exit_code >= 0 ? RUN_EXITED : RUN_LOST;
	}
	return e;
}

static void note(const char *log_path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#include <stdarg.h>
/* A line of the runner's own in a job's log. */
static void note(const char *log_path, const char *fmt, ...)
{
	FILE *f = fopen(log_path, "ae");
	if (!f)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("crowdloop: ", f);
	vfprintf(f, fmt, ap);
	fputc('\n', f);
	va_end(ap);
	fclose(f);
}

static void finish(runner *r, active *a, const executor_status *st)
{
	log_follow(r, a, true);
	metrics_file_read(r, a);
	run_end e = end_of(a, st);
	char *evaluation = NULL;
	artifact_list arts = {0};
	cl_error err = {0};
	if (e.outcome == RUN_EXITED && e.exit_code == 0) {
		evaluation = evaluation_read(a);
		char store_dir[PATH_BYTES + 16];
		snprintf(store_dir, sizeof store_dir, "%s/artifacts", r->data_dir);
		if (artifacts_collect(a->out_dir, store_dir, &arts, &err))
			note(a->log_path, "output files not all kept: %s", err.message);
	}
	struct run_artifact *list = calloc(arts.n ? arts.n : 1, sizeof *list);
	for (size_t i = 0; list && i < arts.n; i++)
		list[i] = (struct run_artifact){arts.files[i].path, arts.files[i].sha256,
						arts.files[i].size};
	e.evaluation = evaluation;
	e.log_path = a->log_path;
	e.artifacts = list;
	e.n_artifacts = list ? arts.n : 0;
	note(a->log_path, "attempt %d ended: %s, exit status %d", a->attempt,
	     run_outcome_reason(e.outcome), e.outcome == RUN_EXITED ? e.exit_code : -1);
	bool requeued = false;
	if (run_finished(&r->cfg.store, a->id, &e, &requeued, &err))
		log_error("msg=\"cannot record a job's end\" job=%lld error=\"%s\"", (long long)a->id,
			  err.message);
	free(list);
	free(evaluation);
	artifacts_free(&arts);
	log_info("msg=\"job ended\" job=%lld outcome=%s exit=%d requeued=%d", (long long)a->id,
		 run_outcome_reason(e.outcome), e.exit_code, requeued);
}

/* ---- the active list ---- */

static active *active_add(runner *r)
{
	if (r->n_act == r->cap_act) {
		size_t cap = r->cap_act ? r->cap_act * 2 : 8;
		active *n = realloc(r->act, cap * sizeof *n);
		if (!n)
			return NULL;
		r->act = n;
		r->cap_act = cap;
	}
	active *a = &r->act[r->n_act++];
	memset(a, 0, sizeof *a);
	return a;
}

static void active_remove(runner *r, size_t i)
{
	r->cfg.exec->release(r->act[i].handle);
	r->act[i] = r->act[--r->n_act];
}

static active *active_find(runner *r, int64_t id)
{
	for (size_t i = 0; i < r->n_act; i++)
		if (r->act[i].id == id)
			return &r->act[i];
	return NULL;
}

static void paths_of(runner *r, active *a, int64_t id, int attempt)
{
	a->id = id;
	a->attempt = attempt;
	snprintf(a->dir, sizeof a->dir, "%s/jobs/%lld", r->data_dir, (long long)id);
	snprintf(a->log_path, sizeof a->log_path, "%s/job.log", a->dir);
	snprintf(a->out_dir, sizeof a->out_dir, "%s/output", a->dir);
	snprintf(a->exit_file, sizeof a->exit_file, "%s/exit-%d", a->dir, attempt);
}

/* Gives the scheduler an org's quota. */
static void quota_load(runner *r, int64_t org)
{
	run_quota q;
	r->cfg.store.ops->org_quota(r->cfg.store.db, org, &q);
	sched_org_limits l = {
	    .max_cpus = q.max_cpus < 0 ? SCHED_UNLIMITED : q.max_cpus,
	    .max_gpus = q.max_gpus < 0 ? SCHED_UNLIMITED : q.max_gpus,
	    .max_mem_bytes = q.max_mem_mb < 0 ? SCHED_UNLIMITED : q.max_mem_mb << 20,
	    .weight = q.weight};
	if (sched_org_set(r->sched, org, &l))
		log_warn("msg=\"an org's quota is out of range\" org=%lld", (long long)org);
}

static void org_known(runner *r, int64_t org)
{
	for (size_t i = 0; i < r->n_orgs; i++)
		if (r->orgs[i] == org)
			return;
	if (r->n_orgs == r->cap_orgs) {
		size_t cap = r->cap_orgs ? r->cap_orgs * 2 : 16;
		int64_t *n = realloc(r->orgs, cap * sizeof *n);
		if (!n)
			return;
		r->orgs = n;
		r->cap_orgs = cap;
	}
	r->orgs[r->n_orgs++] = org;
	quota_load(r, org);
}

/* Before each placement, while jobs wait: a quota set now holds for the next placement. */
static void quotas_refresh(runner *r)
{
	sched_usage u;
	sched_available(r->sched, &u);
	for (size_t i = 0; u.queued && i < r->n_orgs; i++)
		quota_load(r, r->orgs[i]);
}

static sched_job sched_job_of(const run_row *j)
{
	return (sched_job){.id = j->id, .org = j->org_id, .cpus = j->cpus,
			   .mem_bytes = j->mem_bytes, .gpus = j->gpus, .priority = j->priority};
}

static uint64_t gpu_mask_of(const char *list)
{
	uint64_t mask = 0;
	for (const char *p = list; *p;) {
		char *end;
		long d = strtol(p, &end, 10);
		if (end == p)
			break;
		if (d >= 0 && d < SCHED_MAX_GPUS)
			mask |= 1ULL << d;
		p = *end == ',' ? end + 1 : end;
	}
	return mask;
}

/* ---- starting an attempt ---- */

#include "core/dataset_dir.h"

static void extend(json_t *a, json_t *more)
{
	json_array_extend(a, more);
	json_decref(more);
}

/* Copies `s` into `out` when it fits; "" when it does not (a path too long to keep). */
static void copy_path(char *out, size_t size, const char *s)
{
	size_t n = strlen(s);
	if (n >= size)
		n = 0;
	memcpy(out, s, n);
	out[n] = '\0';
}

/* A label check's settings as `trainer check` takes them (core/label_check.h). */
static void check_words(json_t *w, const json_t *params)
{
	char folds[24], threshold[32];
	snprintf(folds, sizeof folds, "%lld",
		 (long long)json_integer_value(json_object_get(params, "check_folds")));
	snprintf(threshold, sizeof threshold, "%.17g",
		 json_number_value(json_object_get(params, "check_threshold")));
	extend(w, json_pack("[s,s,s,s]", "--folds", folds, "--threshold", threshold));
}

/* The command an attempt runs: a built-in trainer through the server's own executable, or the
 * custom command; wrapped by a shell that notes its exit status for a later server that may
 * adopt it. `words` owns the strings. */
static char **argv_of(runner *r, const run_row *j, const active *a, json_t **words)
{
	json_t *w = json_array();
	json_array_append_new(w, json_string("/bin/sh"));
	json_array_append_new(w, json_string("-c"));
	json_array_append_new(w, json_string("\"$@\"; s=$?; echo $s > \"$0\"; exit $s"));
	json_array_append_new(w, json_string(a->exit_file));
	if (!strcmp(j->kind, "custom")) {
		json_t *cmd = json_loads(j->command ? j->command : "[]", 0, NULL);
		json_array_extend(w, cmd);
		json_decref(cmd);
	} else {
		char data[PATH_BYTES + 96], cpus[16];
		snprintf(data, sizeof data, "%s/data", a->dir);
		snprintf(cpus, sizeof cpus, "%d", j->cpus);
		json_t *p = json_loads(j->params ? j->params : "{}", 0, NULL);
		const json_t *folds = json_object_get(p, "check_folds");
		extend(w, json_pack("[s,s,s,s,s,s,s,s]", r->self_exe, "trainer",
				    folds ? "check" : "run", "--trainer", j->trainer, "--data", data,
				    "--output"));
		json_array_append_new(w, json_string(a->out_dir));
		if (folds)
			check_words(w, p);
		const char *key;
		json_t *v;
		json_object_foreach(p, key, v) {
			char kv[160];
			if (!strncmp(key, "check_", 6))
				continue;
			snprintf(kv, sizeof kv, "%s=%g", key, json_number_value(v));
			json_array_append_new(w, json_string("--param"));
			json_array_append_new(w, json_string(kv));
		}
		json_decref(p);
		extend(w, json_pack("[s,s]", "--cpus", cpus));
	}
	size_t n = json_array_size(w);
	char **argv = calloc(n + 1, sizeof *argv);
	for (size_t i = 0; argv && i < n; i++)
		argv[i] = (char *)json_string_value(json_array_get(w, i));
	*words = w;
	return argv;
}

#define ENV_MAX 14 /* the variables a job gets, below */

/* NULL-terminated: v[n] stays NULL. */
typedef struct env_list {
	char *v[ENV_MAX + 1];
	char store[ENV_MAX][2 * PATH_BYTES];
	int n;
} env_list;

static void env_set(env_list *e, const char *key, const char *value)
{
	if (e->n >= ENV_MAX)
		return;
	snprintf(e->store[e->n], sizeof e->store[e->n], "%s=%s", key, value);
	e->v[e->n] = e->store[e->n];
	e->n++;
}

/* A custom job's code bundle, extracted once into its working directory (a retry finds it
 * there, as the command may have changed its files). */
static int code_extract(runner *r, const run_row *j, active *a, cl_error *err)
{
	char done[PATH_BYTES + 128];
	snprintf(done, sizeof done, "%s/.code-complete", a->dir);
	if (!j->code_hash[0] || !access(done, F_OK))
		return 0;
	int rc = code_bundle_extract(r->data_dir, j->code_hash, a->dir, err);
	int fd = rc ? -1 : open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
	if (!rc)
		note(a->log_path, "code bundle %.12s extracted into the working directory",
		     j->code_hash);
	return rc;
}

/* Where a custom job finds its version in the export format it asked for: export.<ext> in
 * its dataset directory. */
static void export_file_of(const run_row *j, const char *data, char *out, size_t size)
{
	export_format f = EXPORT_JSONL;
	export_format_parse(j->format, &f);
	snprintf(out, size, "%s/export.%s", data, export_extension(f));
}

static int prepare_dirs(runner *r, const run_row *j, active *a, cl_error *err)
{
	char data[PATH_BYTES + 96];
	snprintf(data, sizeof data, "%s/data", a->dir);
	if (fs_make_dirs(a->out_dir))
		return cl_fail(err, CL_EINTERNAL, NULL, "cannot make %s", a->out_dir);
	int rc = code_extract(r, j, a, err);
	if (rc)
		return rc;
	/* A retry finds its data in place: a version never changes. */
	char done[PATH_BYTES + 128];
	snprintf(done, sizeof done, "%s/.complete", data);
	if (!access(done, F_OK))
		return 0;
	rc = dataset_dir_write(&r->cfg.store, j->dataset_id, r->data_dir, data, err);
	if (!rc && j->format[0] && strcmp(j->format, "crowdloop")) {
		char file[PATH_BYTES + 160];
		export_file_of(j, data, file, sizeof file);
		rc = dataset_export_write(&r->cfg.store, j->dataset_id, r->data_dir, j->format,
					  file, err);
	}
	if (!rc) {
		int fd = open(done, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
	}
	return rc;
}

/* The name a cluster knows an attempt by: one per attempt, so that a server that died between
 * submitting and recording finds that attempt and no earlier one; and one per data directory
 * (its tag), as two servers sharing a cluster number their jobs alike. */
static void job_name_of(const runner *r, const run_row *j, char *out, size_t size)
{
	snprintf(out, size, "crowdloop-%lld-%d-%08x", (long long)j->id, j->attempt, r->tag);
}

static int launch(runner *r, run_row *j, active *a, uint64_t mask, cl_error *err)
{
	char token[AUTH_TOKEN_LEN], data[PATH_BYTES + 96], id[24], gpus[RUN_GPU_LIST_LEN];
	char name[64];
	auth_token_new(token);
	auth_token_digest(token, j->token_digest);
	snprintf(data, sizeof data, "%s/data", a->dir);
	snprintf(id, sizeof id, "%lld", (long long)j->id);
	job_name_of(r, j, name, sizeof name);
	/* A cluster gives its own devices: the scheduler's mask means nothing there. */
	sched_gpu_list(j->gpus && !r->cfg.exec->places ? mask : 0, gpus, sizeof gpus);
	snprintf(j->gpu_list, sizeof j->gpu_list, "%s", gpus);
	env_list env = {0};
	env_set(&env, "CROWDLOOP_DATASET", data);
	env_set(&env, "CROWDLOOP_FORMAT", j->format[0] ? j->format : "crowdloop");
	char file[PATH_BYTES + 160];
	if (j->format[0] && strcmp(j->format, "crowdloop")) {
		export_file_of(j, data, file, sizeof file);
		env_set(&env, "CROWDLOOP_DATASET_FILE", file);
	}
	env_set(&env, "CROWDLOOP_OUTPUT", a->out_dir);
	env_set(&env, "CROWDLOOP_RUN_ID", id);
	env_set(&env, "CROWDLOOP_SERVER", r->server_url);
	env_set(&env, "CROWDLOOP_TOKEN", token);
	/* MLflow's clients log into this same run with the same token. */
	char project[24];
	snprintf(project, sizeof project, "%lld", (long long)j->project_id);
	env_set(&env, "MLFLOW_TRACKING_URI", r->server_url);
	env_set(&env, "MLFLOW_TRACKING_TOKEN", token);
	env_set(&env, "MLFLOW_RUN_ID", id);
	env_set(&env, "MLFLOW_EXPERIMENT_ID", project);
	json_t *words = NULL;
	char **argv = argv_of(r, j, a, &words);
	executor_spec spec = {.argv = argv,
			      .workdir = a->dir,
			      .log_path = a->log_path,
			      .env = env.v,
			      .cuda_devices = gpus,
			      .cpus = j->cpus,
			      .gpus = j->gpus,
			      .mem_bytes = j->mem_bytes,
			      .time_limit_ms = j->time_limit_ms,
			      .grace_ms = r->cfg.grace_ms,
			      .job_name = name,
			      .partition = r->partition[0] ? r->partition : NULL};
	executor_ref ref;
	if (r->cfg.exec->places)
		note(a->log_path, "attempt %d of job %lld submitted to %s as %s (cpus %d, gpus %d)",
		     j->attempt, (long long)j->id, r->cfg.exec->name, name, j->cpus, j->gpus);
	else
		note(a->log_path, "attempt %d of job %lld starting on %s (cpus %d, gpus [%s])",
		     j->attempt, (long long)j->id, r->node_name, j->cpus, gpus);
	snprintf(j->node, sizeof j->node, "%s", r->node_name);
	copy_path(j->log_path, sizeof j->log_path, a->log_path);
	copy_path(j->output_dir, sizeof j->output_dir, a->out_dir);
	int rc = argv ? 0 : cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	/* On a cluster the job may outlive a server that dies before recording its id: its
	 * token's digest is recorded first, so the job a restart finds by name can still log. */
	if (!rc && r->cfg.exec->places)
		rc = run_started(&r->cfg.store, j, err);
	if (!rc)
		rc = r->cfg.exec->start(&a->handle, &spec, &ref, err);
	free(argv);
	json_decref(words);
	if (rc)
		return rc;
	j->pid = ref.pid;
	j->proc_start = (int64_t)ref.start_time;
	snprintf(j->slurm_id, sizeof j->slurm_id, "%s", ref.cluster_id);
	return run_started(&r->cfg.store, j, err);
}

/* An attempt that could not start ends as failed (and may be retried through the store). A
 * process started whose start could not be recorded is ended. */
static void start_failed(runner *r, active *a, const cl_error *err)
{
	note(a->log_path, "cannot start: %s", err->message);
	log_warn("msg=\"cannot start a job\" job=%lld error=\"%s\"", (long long)a->id,
		 err->message);
	if (a->handle) {
		r->cfg.exec->cancel(a->handle);
		r->cfg.exec->release(a->handle);
		a->handle = NULL;
	}
	executor_status st = {.end = EXECUTOR_EXITED, .exit_code = 127};
	finish(r, a, &st);
	sched_finish(r->sched, a->id);
	if (r->seen >= a->id)
		r->seen = a->id - 1;
}

/* Starts a placed job. */
static void start_placed(runner *r, const sched_placement *p)
{
	run_row j;
	cl_error err = {0};
	if (run_starting(&r->cfg.store, p->id, &j, &err)) {
		sched_finish(r->sched, p->id); /* cancelled while queued */
		return;
	}
	active a;
	memset(&a, 0, sizeof a);
	paths_of(r, &a, j.id, j.attempt);
	int rc = prepare_dirs(r, &j, &a, &err);
	if (!rc)
		rc = launch(r, &j, &a, p->gpu_mask, &err);
	run_row_release(&j);
	active *slot = rc ? NULL : active_add(r);
	if (slot)
		*slot = a;
	else if (!rc)
		cl_fail(&err, CL_ENOMEM, NULL, "out of memory");
	if (!slot)
		start_failed(r, &a, &err);
}

/* ---- the store's queue ---- */

static void queue_job(runner *r, const run_row *j)
{
	org_known(r, j->org_id);
	sched_job sj = sched_job_of(j);
	int rc = sched_submit(r->sched, &sj);
	cl_error err = {0};
	if (rc == CL_EINVAL && run_refused(&r->cfg.store, j->id, &err))
		log_error("msg=\"cannot refuse a job\" job=%lld", (long long)j->id);
}

/* Where a running attempt can be found again: its recorded process or cluster id; on a
 * cluster, its name when the server died between submitting and recording the id (the id
 * found is recorded then). false when it is nowhere. */
static bool ref_of(runner *r, run_row *j, executor_ref *ref)
{
	memset(ref, 0, sizeof *ref);
	ref->pid = j->pid;
	ref->start_time = (uint64_t)j->proc_start;
	snprintf(ref->cluster_id, sizeof ref->cluster_id, "%s", j->slurm_id);
	if (j->pid || ref->cluster_id[0])
		return true;
	char name[64];
	job_name_of(r, j, name, sizeof name);
	if (!r->cfg.exec->find || r->cfg.exec->find(name, ref) != CL_OK)
		return false;
	snprintf(j->slurm_id, sizeof j->slurm_id, "%s", ref->cluster_id);
	cl_error err = {0};
	if (run_started(&r->cfg.store, j, &err))
		log_warn("msg=\"cannot record a found job's id\" job=%lld error=\"%s\"",
			 (long long)j->id, err.message);
	log_info("msg=\"job found by name\" job=%lld name=%s id=%s", (long long)j->id, name,
		 ref->cluster_id);
	return true;
}

/* The devices an adopted job holds in the scheduler: its own on this machine; on a cluster,
 * whichever are free, as the scheduler there counts GPUs against quotas only. */
static uint64_t adopted_mask(runner *r, const run_row *j)
{
	if (!r->cfg.exec->places)
		return gpu_mask_of(j->gpu_list);
	sched_usage u;
	sched_available(r->sched, &u);
	uint64_t mask = 0;
	for (int d = 0, n = 0; d < SCHED_MAX_GPUS && n < j->gpus; d++)
		if (u.gpu_mask & (1ULL << d)) {
			mask |= 1ULL << d;
			n++;
		}
	return mask;
}

/* A job found running at start: adopted when its process or cluster job lives, else lost. */
static void adopt_job(runner *r, run_row *j)
{
	active *a = active_add(r);
	if (!a)
		return;
	paths_of(r, a, j->id, j->attempt);
	org_known(r, j->org_id);
	executor_ref ref;
	int64_t left = j->time_limit_ms - (clock_now_ms() - j->started_at);
	executor_spec spec = {.workdir = a->dir, .log_path = a->log_path,
			      .time_limit_ms = left > 1 ? left : 1, .grace_ms = r->cfg.grace_ms};
	sched_job sj = sched_job_of(j);
	if (ref_of(r, j, &ref) && !r->cfg.exec->adopt(&a->handle, &ref, &spec) &&
	    !sched_adopt(r->sched, &sj, adopted_mask(r, j))) {
		a->adopted = true;
		a->log_off = 0;
		snprintf(a->node, sizeof a->node, "%s", j->node);
		snprintf(a->gpus, sizeof a->gpus, "%s", j->gpu_list);
		/* Metric lines already stored stay; the log is read from where it stands. */
		struct stat st;
		if (!stat(a->log_path, &st))
			a->log_off = st.st_size;
		if (ref.cluster_id[0])
			note(a->log_path, "adopted by a restarted server (%s job %s)",
			     r->cfg.exec->name, ref.cluster_id);
		else
			note(a->log_path, "adopted by a restarted server (pid %lld)",
			     (long long)j->pid);
		log_info("msg=\"job adopted\" job=%lld pid=%lld cluster_id=\"%s\"",
			 (long long)j->id, (long long)j->pid, ref.cluster_id);
		return;
	}
	if (a->handle)
		r->cfg.exec->release(a->handle);
	r->n_act--;
	note(a->log_path, "lost: its process was gone when the server restarted");
	run_end e = {.outcome = RUN_LOST};
	bool requeued;
	cl_error err = {0};
	run_finished(&r->cfg.store, j->id, &e, &requeued, &err);
	log_info("msg=\"job lost\" job=%lld", (long long)j->id);
}

/* Takes the store's live jobs above r->seen: at start, running ones too. */
static void take_live(runner *r, bool at_start)
{
	/* Once, not every tick: the store's read writes each row it hands back whole. */
	if (!r->live && !(r->live = malloc(LIVE_BATCH * sizeof *r->live)))
		return;
	run_row *rows = r->live;
	int n;
	do {
		n = r->cfg.store.ops->runs_live(r->cfg.store.db, r->seen, rows, LIVE_BATCH);
		for (int i = 0; i < n; i++) {
			run_row *j = &rows[i];
			r->seen = j->id;
			if (!strcmp(j->state, "queued"))
				queue_job(r, j);
			else if (at_start)
				adopt_job(r, j);
			run_row_release(j);
		}
	} while (n == LIVE_BATCH);
}

static void take_cancels(runner *r)
{
	int64_t ids[64];
	int n = r->cfg.store.ops->runs_cancel_asked(r->cfg.store.db, ids, 64);
	for (int i = 0; i < n; i++) {
		active *a = active_find(r, ids[i]);
		if (a && !a->cancel_sent) {
			r->cfg.exec->cancel(a->handle);
			a->cancel_sent = true;
			note(a->log_path, "cancel asked: ending the job's processes");
		}
	}
}

static void place(runner *r)
{
	/* Cancelled queued jobs are no longer live in the store; drop them at placement. */
	sched_placement p[16];
	size_t n;
	while ((n = sched_place(r->sched, p, 16)) > 0) {
		for (size_t i = 0; i < n; i++)
			start_placed(r, &p[i]);
		if (n < 16)
			break;
	}
}

/* Records where a cluster placed a job once it says so (its node, its GPU devices). */
static void placement_record(runner *r, active *a, const executor_status *st)
{
	bool node_new = st->node[0] && strcmp(st->node, a->node);
	bool gpus_new = st->gpus[0] && strcmp(st->gpus, a->gpus);
	if (!node_new && !gpus_new)
		return;
	snprintf(a->node, sizeof a->node, "%s", st->node[0] ? st->node : a->node);
	snprintf(a->gpus, sizeof a->gpus, "%s", st->gpus[0] ? st->gpus : a->gpus);
	cl_error err = {0};
	if (run_placed(&r->cfg.store, a->id, a->node, a->gpus, &err))
		log_warn("msg=\"cannot record where a job runs\" job=%lld error=\"%s\"",
			 (long long)a->id, err.message);
	else
		note(a->log_path, "placed by %s on %s (gpus [%s])", r->cfg.exec->name, a->node,
		     a->gpus);
}

static void poll_active(runner *r)
{
	for (size_t i = 0; i < r->n_act;) {
		active *a = &r->act[i];
		executor_status st;
		r->cfg.exec->poll(a->handle, &st);
		placement_record(r, a, &st);
		if (st.end == EXECUTOR_RUNNING) {
			log_follow(r, a, false);
			i++;
			continue;
		}
		int64_t id = a->id;
		finish(r, a, &st);
		active_remove(r, i);
		sched_finish(r->sched, id);
		/* A requeued attempt comes back through the store. */
		if (r->seen >= id)
			r->seen = id - 1;
	}
}

void runner_hooks_tick(const runner_hook *hooks, int since_ms[], int tick_ms)
{
	for (int i = 0; i < RUNNER_MAX_HOOKS && hooks[i].step; i++) {
		if ((since_ms[i] += tick_ms) < hooks[i].every_ms)
			continue;
		since_ms[i] = 0;
		hooks[i].step(hooks[i].ctx);
	}
}

static void *loop(void *arg)
{
	runner *r = arg;
	/* A tick of a second or more needs its seconds apart: nanosleep refuses 10^9 ns and more. */
	const struct timespec tick = {r->cfg.tick_ms / 1000, (long)(r->cfg.tick_ms % 1000) * 1000000L};
	int since_ms[RUNNER_MAX_HOOKS] = {0};
	while (!atomic_load(&r->stop)) {
		take_live(r, false);
		take_cancels(r);
		quotas_refresh(r);
		place(r);
		poll_active(r);
		runner_hooks_tick(r->cfg.hooks, since_ms, r->cfg.tick_ms);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/* FNV-1a of the data directory's path: a short tag that tells this server's cluster jobs from
 * another's. */
static uint32_t dir_tag(const char *dir)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)dir; *p; p++)
		h = (h ^ *p) * 16777619u;
	return h;
}

/* What the scheduler places on: this machine, or, where the cluster places jobs, a node no
 * quota-held org can fill, so that only the quotas hold jobs back. */
static sched_node sched_node_of(const runner_config *cfg)
{
	if (!cfg->exec->places)
		return cfg->node;
	return (sched_node){.cpus = 1 << 24, .mem_bytes = INT64_MAX / 4, .gpus = SCHED_MAX_GPUS};
}

runner *runner_start(const runner_config *cfg, cl_error *err)
{
	runner *r = calloc(1, sizeof *r);
	sched_node node = sched_node_of(cfg);
	if (!r || !(r->sched = sched_new(&node))) {
		free(r);
		cl_fail(err, CL_EINVAL, NULL, "cannot make a scheduler for this node");
		return NULL;
	}
	r->cfg = *cfg;
	snprintf(r->partition, sizeof r->partition, "%s", cfg->partition ? cfg->partition : "");
	r->tag = dir_tag(cfg->data_dir);
	if (!r->cfg.tick_ms)
		r->cfg.tick_ms = 100;
	snprintf(r->data_dir, sizeof r->data_dir, "%s", cfg->data_dir);
	snprintf(r->server_url, sizeof r->server_url, "%s", cfg->server_url);
	snprintf(r->self_exe, sizeof r->self_exe, "%s", cfg->self_exe);
	snprintf(r->node_name, sizeof r->node_name, "%s", cfg->node_name ? cfg->node_name : "local");
	take_live(r, true);
	if (pthread_create(&r->thread, NULL, loop, r)) {
		sched_free(r->sched);
		free(r->act);
		free(r->orgs);
		free(r->live);
		free(r);
		cl_fail(err, CL_EINTERNAL, NULL, "cannot start the job runner's thread");
		return NULL;
	}
	return r;
}

void runner_stop(runner *r)
{
	if (!r)
		return;
	atomic_store(&r->stop, true);
	pthread_join(r->thread, NULL);
	for (size_t i = 0; i < r->n_act; i++)
		r->cfg.exec->release(r->act[i].handle);
	free(r->act);
	free(r->orgs);
	free(r->live);
	sched_free(r->sched);
	free(r);
}
