/* The supervisor of managed model servers (model_servers.h). One mutex guards the list and every
 * server's state; only the supervisor thread steps servers and frees them, so a request that
 * found a server ready may read its port under the lock and call it outside. Readiness probes
 * run outside the lock too. */
#include "core/model_servers.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "jobs/model_server.h"
#include "ml/oip_remote.h"
#include "util/clock.h"
#include "util/log.h"

#define TICK_MS 50
#define PROBE_TIMEOUT_MS 1000
#define READY_TIMEOUT_DEFAULT_S 60
#define INFER_TIMEOUT_DEFAULT_S 30
#define PROBES_MAX 32

struct managed_server {
	model_servers *ms;
	char key[160];
	char model_name[128];
	int64_t timeout_ms;
	model_server proc;
	bool closed;
	struct managed_server *next;
};

struct model_servers {
	pthread_mutex_t lock;
	pthread_t thread;
	bool stopping;
	char root[1100]; /* DATA/serving */
	managed_server *list;
};

static int64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* ---- the supervisor thread ---- */

typedef struct probe {
	managed_server *s;
	int port;
	bool ready;
} probe;

/* Steps every server; frees those closed and stopped; the probes to make, into p. */
static int step_all(model_servers *ms, probe *p)
{
	int n = 0;
	int64_t now = now_ms();
	for (managed_server **at = &ms->list; *at;) {
		managed_server *s = *at;
		if (model_server_step(&s->proc, now) && n < PROBES_MAX)
			p[n++] = (probe){s, s->proc.port, false};
		if (s->closed && s->proc.state == MODEL_SERVER_STOPPED) {
			*at = s->next;
			model_server_release(&s->proc);
			free(s);
			continue;
		}
		at = &s->next;
	}
	return n;
}

static void *supervise(void *arg)
{
	model_servers *ms = arg;
	probe p[PROBES_MAX];
	pthread_mutex_lock(&ms->lock);
	while (!ms->stopping || ms->list) {
		int n = step_all(ms, p);
		pthread_mutex_unlock(&ms->lock);
		for (int i = 0; i < n; i++)
			p[i].ready = oip_remote_ready(p[i].port, PROBE_TIMEOUT_MS);
		struct timespec tick = {0, TICK_MS * 1000000L};
		nanosleep(&tick, NULL);
		pthread_mutex_lock(&ms->lock);
		for (int i = 0; i < n; i++)
			model_server_probed(&p[i].s->proc, p[i].port, p[i].ready, now_ms());
	}
	pthread_mutex_unlock(&ms->lock);
	return NULL;
}

/* Model servers an earlier server left running (it was killed): their endpoints start new ones. */
static void end_leftovers(const char *root)
{
	DIR *d = opendir(root);
	struct dirent *e;
	while (d && (e = readdir(d))) {
		char dir[1400];
		if (e->d_name[0] == '.')
			continue;
		snprintf(dir, sizeof dir, "%s/%s", root, e->d_name);
		int pid = model_server_end_leftover(dir);
		if (pid)
			log_warn(
			    "msg=\"ended a model server an earlier server left running\" pid=%d "
			    "dir=\"%s\"",
			    pid, dir);
	}
	if (d)
		closedir(d);
}

model_servers *model_servers_new(const char *data_dir, cl_error *err)
{
	model_servers *ms = calloc(1, sizeof *ms);
	if (!ms || oip_remote_global_init()) {
		free(ms);
		cl_fail(err, CL_EINTERNAL, NULL, "cannot ready the model servers' client");
		return NULL;
	}
	snprintf(ms->root, sizeof ms->root, "%s/serving", data_dir);
	if (mkdir(ms->root, 0700) && errno != EEXIST)
		log_warn("msg=\"cannot make the model servers' folder\" dir=\"%s\"", ms->root);
	end_leftovers(ms->root);
	pthread_mutex_init(&ms->lock, NULL);
	if (pthread_create(&ms->thread, NULL, supervise, ms)) {
		pthread_mutex_destroy(&ms->lock);
		free(ms);
		cl_fail(err, CL_EINTERNAL, NULL, "cannot start the model servers' supervisor");
		return NULL;
	}
	return ms;
}

void model_servers_free(model_servers *ms)
{
	if (!ms)
		return;
	pthread_mutex_lock(&ms->lock);
	ms->stopping = true;
	for (managed_server *s = ms->list; s; s = s->next) {
		s->closed = true;
		model_server_stop(&s->proc);
	}
	pthread_mutex_unlock(&ms->lock);
	pthread_join(ms->thread, NULL);
	pthread_mutex_destroy(&ms->lock);
	oip_remote_global_cleanup();
	free(ms);
}

/* ---- opening one ---- */

/* The target's "env" object as "KEY=VALUE" strings, NULL-ended (new), or NULL for none. */
static char **env_strings(const json_t *env)
{
	size_t n = json_object_size(env), k = 0;
	char **v = calloc(n + 1, sizeof *v);
	const char *name;
	json_t *value;
	json_object_foreach((json_t *)env, name, value)
	{
		size_t len = strlen(name) + json_string_length(value) + 2;
		if (v && (v[k] = malloc(len)))
			snprintf(v[k++], len, "%s=%s", name, json_string_value(value));
	}
	return v;
}

static void strings_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

/* The spec of a checked target, its argv and env pointing into `target` and `env`. */
static int spec_of(const json_t *target, char **env, const char **argv, model_server_spec *spec)
{
	const json_t *cmd = json_object_get(target, "command");
	size_t n = json_array_size(cmd);
	if (!n || n > MODEL_SERVER_MAX_ARGS)
		return CL_EINVAL;
	for (size_t i = 0; i < n; i++)
		argv[i] = json_string_value(json_array_get(cmd, i));
	argv[n] = NULL;
	const json_t *rt = json_object_get(target, "ready_timeout_s");
	*spec = (model_server_spec){
	    .argv = argv,
	    .env = (const char *const *)env,
	    .model_dir = json_string_value(json_object_get(target, "model_dir")),
	    .ready_timeout_ms = (rt ? json_integer_value(rt) : READY_TIMEOUT_DEFAULT_S) * 1000,
	};
	return 0;
}

int model_servers_open(model_servers *ms, const char *key, const json_t *target,
		       managed_server **out, cl_error *err)
{
	pthread_mutex_lock(&ms->lock);
	bool stopping = ms->stopping;
	pthread_mutex_unlock(&ms->lock);
	if (stopping)
		return cl_fail(err, CL_EUNAVAIL, NULL, "the server is stopping");
	managed_server *s = calloc(1, sizeof *s);
	if (!s)
		return cl_fail(err, CL_ENOMEM, NULL, "out of memory");
	const char *argv[MODEL_SERVER_MAX_ARGS + 1];
	char **env = env_strings(json_object_get(target, "env"));
	char workdir[1300];
	/* The key ends in the target's digest: its folder's name. */
	const char *digest = strrchr(key, ':');
	snprintf(workdir, sizeof workdir, "%s/%.16s", ms->root, digest ? digest + 1 : "server");
	model_server_spec spec;
	int rc = spec_of(target, env, argv, &spec);
	spec.workdir = workdir;
	if (rc)
		rc = cl_fail(err, CL_EINVAL, NULL,
			     "a model server's \"command\" has 1 to %d strings",
			     MODEL_SERVER_MAX_ARGS);
	if (!rc)
		rc = model_server_init(&s->proc, &spec, err);
	strings_free(env);
	if (!rc)
		rc = model_server_start(&s->proc, now_ms(), err);
	if (rc) {
		model_server_release(&s->proc);
		free(s);
		return rc;
	}
	const json_t *to = json_object_get(target, "timeout_s");
	const char *name = json_string_value(json_object_get(target, "model_name"));
	s->ms = ms;
	s->timeout_ms = (to ? json_integer_value(to) : INFER_TIMEOUT_DEFAULT_S) * 1000;
	snprintf(s->key, sizeof s->key, "%s", key);
	snprintf(s->model_name, sizeof s->model_name, "%s", name ? name : "model");
	log_info("msg=\"model server started\" key=%s pid=%d port=%d", key, (int)s->proc.job.pid,
		 s->proc.port);
	pthread_mutex_lock(&ms->lock);
	s->next = ms->list;
	ms->list = s;
	pthread_mutex_unlock(&ms->lock);
	*out = s;
	return 0;
}

void model_servers_close(managed_server *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->ms->lock);
	s->closed = true;
	model_server_stop(&s->proc);
	pthread_mutex_unlock(&s->ms->lock);
}

/* ---- using one ---- */

int model_servers_infer(managed_server *s, const json_t *input, json_t **out, cl_error *err)
{
	pthread_mutex_lock(&s->ms->lock);
	bool ready = s->proc.state == MODEL_SERVER_READY;
	int port = s->proc.port;
	enum model_server_state st = s->proc.state;
	pthread_mutex_unlock(&s->ms->lock);
	*out = NULL;
	if (!ready)
		return cl_fail(err, CL_EUNAVAIL, "model_not_ready",
			       "the endpoint's model server is not ready (%s)",
			       model_server_state_name(st));
	return oip_remote_infer(port, s->model_name, input, s->timeout_ms, out, err);
}

bool model_servers_ready(managed_server *s)
{
	pthread_mutex_lock(&s->ms->lock);
	bool ready = s->proc.state == MODEL_SERVER_READY;
	pthread_mutex_unlock(&s->ms->lock);
	return ready;
}

bool model_servers_wait_ready(managed_server *s)
{
	pthread_mutex_lock(&s->ms->lock);
	int64_t until = now_ms() + s->proc.ready_timeout_ms + 2 * TICK_MS;
	pthread_mutex_unlock(&s->ms->lock);
	for (;;) {
		pthread_mutex_lock(&s->ms->lock);
		enum model_server_state st = s->proc.state;
		pthread_mutex_unlock(&s->ms->lock);
		if (st == MODEL_SERVER_READY)
			return true;
		if ((st != MODEL_SERVER_STARTING && st != MODEL_SERVER_BACKOFF) ||
		    now_ms() >= until)
			return false;
		struct timespec tick = {0, TICK_MS * 1000000L};
		nanosleep(&tick, NULL);
	}
}

json_t *model_servers_status(model_servers *ms, const char *key)
{
	json_t *st = NULL;
	pthread_mutex_lock(&ms->lock);
	for (managed_server *s = ms->list; s && !st; s = s->next)
		if (!s->closed && !strcmp(s->key, key)) {
			bool up = s->proc.state != MODEL_SERVER_BACKOFF;
			st = json_pack("{s:s,s:I,s:i,s:i,s:s}", "state",
				       model_server_state_name(s->proc.state), "pid",
				       (json_int_t)(up ? s->proc.job.pid : 0), "port",
				       up ? s->proc.port : 0, "restarts", s->proc.restarts, "log",
				       s->proc.log_path);
		}
	pthread_mutex_unlock(&ms->lock);
	return st;
}
