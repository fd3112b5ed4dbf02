/* `crowdloop serve`: opens the store, starts the HTTP server and runs until SIGINT or SIGTERM,
 * then lets requests in flight finish and closes the store cleanly. */
#include "api/api.h"
#include "cli/cmd.h"
#include "cli/demo.h"
#include "cli/options.h"
#include "core/auth.h"
#include "core/runner.h"
#include "jobs/node.h"
#include "core/task_loop.h"
#include "util/fs.h"
#include "util/log.h"

#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

/* How long a request's log line may wait to be written with others. */
#define REQUEST_LOG_MS 200

/* What the command line asks for. */
typedef struct serve_args {
	const char *data, *listen, *web, *sync, *sched, *executor;
	bool demo, quiet;
	long long io_threads, handlers, min_wage, max_image_megapixels, gpus;
} serve_args;

static const char *const sync_words[] = {"full", "normal", NULL};
static const char *const sched_words[] = {"batch", "normal", NULL};
static const char *const executor_words[] = {"local", NULL};

/* Reads the options into args and a; -1 to go on, else the exit status. */
static int parse(int argc, char **argv, serve_args *args, app *a)
{
	const cli_option opts[] = {
	    OPT_STRING(0, "data", &args->data, "DIR",
		       "where the store and files live (default: data)"),
	    OPT_STRING(0, "listen", &args->listen, "ADDR:PORT",
		       "address to bind; IPv6 in brackets, [::1]:8080; [::]:8080\n"
		       "is every address, IPv4 too (default: 127.0.0.1:8080)"),
	    OPT_BOOL("allow-signup", &a->allow_signup, "let workers create their own accounts"),
	    OPT_BOOL("demo", &args->demo, "seed a demo organization, projects and accounts"),
	    OPT_STRING(0, "web", &args->web, "DIR",
		       "the built web app (default: the source tree's web/dist)"),
	    OPT_INT("io-threads", &args->io_threads, 0, 4096, "N",
		    "HTTP I/O threads (default: 2 per core)"),
	    OPT_INT("handlers", &args->handlers, 0, 4096, "N",
		    "request handler threads (default: 8 per core; 0: handlers\n"
		    "run on the I/O threads)"),
	    OPT_CHOICE("sync", &args->sync, sync_words,
		       "full (default): a write is answered once the WAL holding it\n"
		       "is flushed to disk; normal: once committed (survives a\n"
		       "killed process, not a power cut)"),
	    OPT_CHOICE("sched", &args->sched, sched_words,
		       "batch (default): the server's threads (all but the one\n"
		       "that waits on the disk) run under Linux's SCHED_BATCH policy,\n"
		       "so a woken thread waits for the running one's time slice\n"
		       "instead of preempting it; normal: the default policy"),
	    OPT_BOOL("secure-cookies", &a->secure_cookies,
		     "mark session cookies Secure (behind TLS)"),
	    OPT_INT("min-wage", &args->min_wage, 1, 0, "N",
		    "hourly minimum wage for the fair-pay check (default 10320)"),
	    OPT_INT("max-image-megapixels", &args->max_image_megapixels, 1, 1000000, "N",
		    "refuse imported images of more pixels, read from\n"
		    "their header before decoding (default 50)"),
	    OPT_BOOL("quiet", &args->quiet, "no log line per request"),
	    OPT_INT("gpus", &args->gpus, 0, 64, "N",
		    "declare N GPUs on this node instead of asking NVML\n"
		    "(0: none; for testing the scheduling without GPUs)"),
	    OPT_BOOL("allow-custom-jobs", &a->runs.allow_custom,
		     "let org owners and engineers run their own commands\n"
		     "as training jobs on this machine"),
	    OPT_CHOICE("executor", &args->executor, executor_words,
		       "where jobs run: local (default), processes on this\n"
		       "machine"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "serve",
	    .synopses = USAGE("[options]"),
	    .options = opts,
	};
	int operand, done = options_parse(&spec, argc, argv, &operand);
	if (done < 0 && args->quiet)
		setenv("CROWDLOOP_QUIET_REQUESTS", "1", 1);
	if (args->min_wage > 0)
		a->min_wage = args->min_wage;
	if (args->max_image_megapixels > 0)
		a->max_image_pixels = args->max_image_megapixels * 1000000;
	return done;
}

/* Makes the data directory and records the absolute paths in a; 0, or -1 after logging why. */
static int use_dirs(app *a, const char *data, const char *web)
{
	if (fs_make_dirs(data) || access(data, W_OK)) {
		log_error("msg=\"cannot use the data directory\" dir=\"%s\"", data);
		return -1;
	}
	char *abs = realpath(data, NULL);
	snprintf(a->data_dir, sizeof a->data_dir, "%s", abs ? abs : data);
	free(abs);
	snprintf(a->web_dir, sizeof a->web_dir, "%s", web);
	return 0;
}

/* Every thread started from here inherits the policy (the store's syncer alone sets its own).
 * A request hops between threads (I/O thread, store writer, syncer, back to an I/O thread) and
 * a flushed group wakes dozens at once: under the default policy each wake-up may preempt the
 * thread that made it, halfway through its batch, and the cores spend their time switching
 * (docs/BENCHMARKS.md, after run 19). */
static void use_batch_policy(void)
{
	struct sched_param sp = {0};
	if (sched_setscheduler(0, SCHED_BATCH, &sp))
		log_warn("msg=\"cannot use SCHED_BATCH, running under the default policy\"");
}

/* Signals are taken by sigwait in run(); every thread started from here inherits the mask. */
static void block_stop_signals(sigset_t *stop)
{
	sigemptyset(stop);
	sigaddset(stop, SIGINT);
	sigaddset(stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, stop, NULL);
	signal(SIGPIPE, SIG_IGN);
}

/* Starts the HTTP server on the open store; 0, or -1 after logging why. */
static int start_http(app *a, const serve_args *args, http_server **srv, char *url, size_t size)
{
	int handlers = args->handlers < 0 ? 0 : args->handlers == 0 ? -1 : (int)args->handlers;
	http_config cfg = {
	    .listen = args->listen,
	    .io_threads = (int)args->io_threads,
	    .handler_threads = handlers,
	    .routes = api_routes,
	    .n_routes = api_routes_count,
	    .authenticate = api_authenticate,
	    .authorize = api_authorize,
	    .release = api_release,
	    .fallback = api_static,
	    .app = a,
	};
	cl_error err = {0};
	if (http_server_start(&cfg, srv, &err)) {
		log_error("msg=\"%s\"", err.message);
		return -1;
	}
	const char *colon = strrchr(args->listen, ':');
	snprintf(url, size, "http://%.*s:%d", colon ? (int)(colon - args->listen) : 0, args->listen,
		 http_server_port(*srv));
	return 0;
}

static node_info node;

/* Reads this node's cores, memory and GPUs: what a job may ask for. 0, or -1 after logging. */
static int probe_node(app *a, const serve_args *args)
{
	if (node_probe(&node, (int)args->gpus, NODE_NVML_LIBRARY)) {
		log_error("msg=\"cannot read this machine's cores and memory\"");
		return -1;
	}
	a->runs.cpus = node.cpus;
	a->runs.gpus = node.gpu_count;
	a->runs.mem_bytes = (int64_t)node.memory_bytes;
	return 0;
}

/* Starts the job runner on the probed node; NULL after logging why. */
static runner *start_runner(app *a, const serve_args *args, const char *url)
{
	static char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
	self[n > 0 ? n : 0] = '\0';
	runner_config cfg = {
	    .store = a->store,
	    .data_dir = a->data_dir,
	    .server_url = url,
	    .self_exe = self,
	    .node_name = "local",
	    .exec = executor_find(args->executor),
	    .node = {.cpus = node.cpus, .mem_bytes = (int64_t)node.memory_bytes,
		     .gpus = node.gpu_count},
	    .grace_ms = 5000,
	};
	cl_error err = {0};
	runner *r = runner_start(&cfg, &err);
	if (!r)
		log_error("msg=\"cannot start the job runner\" error=\"%s\"", err.message);
	else
		log_info("msg=\"job runner started\" cpus=%d gpus=%d gpu_source=%s executor=%s",
			 node.cpus, node.gpu_count, node_gpu_source_name(node.gpu_source),
			 cfg.exec->name);
	return r;
}

/* Serves until SIGINT or SIGTERM, writing request log lines in batches, at least every
 * REQUEST_LOG_MS. */
static void run(const sigset_t *stop)
{
	log_buffer(REQUEST_LOG_MS);
	const struct timespec tick = {0, REQUEST_LOG_MS * 1000000L};
	int sig;
	while ((sig = sigtimedwait(stop, NULL, &tick)) < 0)
		log_flush();
	log_info("msg=\"stopping\" signal=%d", sig);
}

int cmd_serve(int argc, char **argv)
{
	static app a;
	serve_args args = {.data = "data",
			   .listen = "127.0.0.1:8080",
			   .web = CROWDLOOP_WEB_DIR,
			   .sync = "full",
			   .sched = "batch",
			   .executor = "local",
			   .gpus = -1,
			   .handlers = -1};
	int done = parse(argc, argv, &args, &a);
	if (done >= 0)
		return done;
	if (auth_init()) {
		log_error("msg=\"cannot initialize libsodium\"");
		return 1;
	}
	if (use_dirs(&a, args.data, args.web))
		return 1;
	if (!strcmp(args.sched, "batch"))
		use_batch_policy();
	sigset_t stop;
	block_stop_signals(&stop);

	cl_error err = {0};
	if (db_open(a.data_dir, !strcmp(args.sync, "full"), &a.db, &err)) {
		log_error("msg=\"%s\"", err.message);
		return 1;
	}
	a.store = (store){.ops = &store_sqlite_ops, .db = a.db};
	db_set_periodic(a.db, task_leases_expire, (void *)&store_sqlite_ops, 1000);
	http_server *srv = NULL;
	runner *jobs = NULL;
	char url[300];
	if (probe_node(&a, &args) || start_http(&a, &args, &srv, url, sizeof url) ||
	    !(jobs = start_runner(&a, &args, url)) || (args.demo && demo_seed(&a, url))) {
		runner_stop(jobs);
		if (srv)
			http_server_stop(srv, 0);
		db_close(a.db);
		return 1;
	}
	log_info("msg=\"listening\" url=%s data=\"%s\"", url, a.data_dir);
	fprintf(stderr, "crowdloop: listening on %s\n", url);
	run(&stop);
	runner_stop(jobs); /* running jobs go on: the next server adopts them */
	http_server_stop(srv, 10000);
	db_close(a.db);
	log_buffer(0);
	log_info("msg=\"stopped\"");
	return 0;
}
