/* `crowdloop serve`: opens the store, starts the HTTP server and runs until SIGINT or SIGTERM,
 * then lets requests in flight finish and closes the store cleanly. */
#include "api/api.h"
#include "api/preannotate.h"
#include "api/shadow.h"
#include "cli/cmd.h"
#include "cli/demo.h"
#include "cli/options.h"
#include "core/auth.h"
#include "core/import_runs.h"
#include "core/model_servers.h"
#include "core/serving.h"
#include "core/runner.h"
#include "jobs/node.h"
#include "core/task_loop.h"
#include "util/fs.h"
#include "util/log.h"
#include "util/work_queue.h"

#include <errno.h>
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

#define PARTITION_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-"

/* What the command line asks for. */
typedef struct serve_args {
	const char *data, *listen, *web, *sync, *sched, *tls_cert, *tls_key, *executor;
	const char *partition;
	bool demo, quiet;
	long long io_threads, handlers, min_wage, max_image_megapixels, gpus;
	long long per_address, header_timeout, report_batch, report_period, background_import_kb;
	long long commit_interval_us;
} serve_args;

static const char *const sync_words[] = {"full", "normal", NULL};
static const char *const sched_words[] = {"batch", "normal", NULL};
static const char *const executor_words[] = {"local", "slurm", NULL};

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
	    OPT_INT("max-connections-per-address", &args->per_address, 0, HTTP_MAX_CONNECTIONS, "N",
		    "connections one client address may hold (default 128;\n"
		    "0: no limit, for a proxy in front that limits them)"),
	    OPT_INT("header-timeout", &args->header_timeout, 1, 3600, "SECONDS",
		    "time a request's whole header may take to arrive, and an\n"
		    "idle connection may wait for its next request (default 30)"),
	    OPT_CHOICE("sync", &args->sync, sync_words,
		       "full (default): a write is answered once the WAL holding it\n"
		       "is flushed to disk; normal: once committed (survives a\n"
		       "killed process, not a power cut)"),
	    OPT_INT("commit-interval-us", &args->commit_interval_us, 0, 1000000, "N",
		    "with --sync full, commit writes at most once every N\n"
		    "microseconds (default 0: as soon as the last flush ends);\n"
		    "a light load then shares one flush among more writes"),
	    OPT_CHOICE("sched", &args->sched, sched_words,
		       "batch (default): the server's threads (all but the one\n"
		       "that waits on the disk) run under Linux's SCHED_BATCH policy,\n"
		       "so a woken thread waits for the running one's time slice\n"
		       "instead of preempting it; normal: the default policy"),
	    OPT_BOOL("secure-cookies", &a->secure_cookies,
		     "mark session cookies Secure (behind a TLS proxy; implied\n"
		     "by --tls-cert)"),
	    OPT_STRING(0, "tls-cert", &args->tls_cert, "FILE",
		       "serve HTTPS with this certificate chain (PEM); needs\n"
		       "--tls-key; answers then carry Strict-Transport-Security"),
	    OPT_STRING(0, "tls-key", &args->tls_key, "FILE", "the certificate's private key (PEM)"),
	    OPT_INT("min-wage", &args->min_wage, 1, 0, "N",
		    "hourly minimum wage for the fair-pay check (default 10320)"),
	    OPT_INT("max-image-megapixels", &args->max_image_megapixels, 1, 1000000, "N",
		    "refuse imported images of more pixels, read from\n"
		    "their header before decoding (default 50)"),
	    OPT_INT("gold-report-batch", &args->report_batch, 1, 1000, "N",
		    "a worker's own gold figures (and a reviewer's honeypot\n"
		    "figures) count whole batches of N answers only (default 5)"),
	    OPT_INT("gold-report-period", &args->report_period, 1, 86400, "S",
		    "and only answers given before the start of the current\n"
		    "period of S seconds (default 3600)"),
	    OPT_INT("background-import-kb", &args->background_import_kb, 1, 1 << 20, "N",
		    "an import of a larger upload runs in the background and\n"
		    "answers 202 with its progress (default 8192)"),
	    OPT_BOOL("quiet", &args->quiet, "no log line per request"),
	    OPT_INT("gpus", &args->gpus, 0, 64, "N",
		    "declare N GPUs on this node instead of asking NVML\n"
		    "(0: none; for testing the scheduling without GPUs)"),
	    OPT_BOOL("allow-custom-jobs", &a->runs.allow_custom,
		     "let org owners and engineers run their own commands\n"
		     "as training jobs on this machine"),
	    OPT_CHOICE("executor", &args->executor, executor_words,
		       "where jobs run: local (default), processes on this\n"
		       "machine; slurm, submitted with sbatch to the cluster of\n"
		       "$SLURM_CONF (or /etc/slurm/slurm.conf), which places them;\n"
		       "the data directory must be at the same path on its nodes"),
	    OPT_STRING(0, "slurm-partition", &args->partition, "NAME",
		       "the Slurm partition jobs go to (default: the cluster's)"),
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
	if (args->report_batch > 0)
		a->report.batch = (int)args->report_batch;
	if (args->report_period > 0)
		a->report.period_ms = args->report_period * 1000;
	if (args->background_import_kb > 0)
		a->import_background_bytes = (size_t)args->background_import_kb * 1024;
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

/* A PEM file of serve's, read whole; NULL after logging why. */
static char *read_pem(const char *path, const char *what)
{
	char *pem = fs_read_all(path, 1 << 20);
	if (!pem)
		log_error("msg=\"cannot read the TLS %s\" path=\"%s\" error=\"%s\"", what, path,
			  strerror(errno));
	return pem;
}

/* Reads --tls-cert and --tls-key into cfg; 0, or -1 after logging why. */
static int use_tls(app *a, const serve_args *args, http_config *cfg)
{
	if (!args->tls_cert && !args->tls_key)
		return 0;
	if (!args->tls_cert || !args->tls_key) {
		log_error("msg=\"--tls-cert and --tls-key go together\"");
		return -1;
	}
	char *cert = read_pem(args->tls_cert, "certificate");
	char *key = cert ? read_pem(args->tls_key, "key") : NULL;
	if (!key) {
		free(cert);
		return -1;
	}
	cfg->tls_cert_pem = cert;
	cfg->tls_key_pem = key;
	a->secure_cookies = true;
	return 0;
}

/* After the server stopped (MHD may read them while it runs): the key is wiped. */
static void forget_tls(http_config *cfg)
{
	if (cfg->tls_key_pem) {
		explicit_bzero((char *)cfg->tls_key_pem, strlen(cfg->tls_key_pem));
		free((char *)cfg->tls_key_pem);
	}
	free((char *)cfg->tls_cert_pem);
	cfg->tls_cert_pem = cfg->tls_key_pem = NULL;
}

/* An upload's spool met a full disk: the store's disk, under the data directory. */
static void spool_disk_full(void *arg)
{
	db_disk_full(((app *)arg)->db);
}

/* Starts the HTTP server on the open store; 0, or -1 after logging why. */
static int start_http(app *a, const serve_args *args, http_server **srv, http_config *tls,
		      char *url, size_t size)
{
	int handlers = args->handlers < 0 ? 0 : args->handlers == 0 ? -1 : (int)args->handlers;
	/* Uploads are spooled next to the store, on its disk and under its 0700 folder. */
	static char spool[sizeof a->data_dir + 16];
	snprintf(spool, sizeof spool, "%s/uploads", a->data_dir);
	if (fs_make_dirs(spool)) {
		log_error("msg=\"cannot make the uploads folder\" dir=\"%s\"", spool);
		return -1;
	}
	http_config cfg = {
	    .listen = args->listen,
	    .io_threads = (int)args->io_threads,
	    .handler_threads = handlers,
	    .max_per_address = args->per_address < 0 ? 0 : args->per_address == 0 ? -1
									     : (int)args->per_address,
	    .header_timeout_s = (int)args->header_timeout,
	    .routes = api_routes,
	    .n_routes = api_routes_count,
	    .authenticate = api_authenticate,
	    .authorize = api_authorize,
	    .release = api_release,
	    .fallback = api_static,
	    .spool_dir = spool,
	    .disk_full = spool_disk_full,
	    .app = a,
	};
	cl_error err = {0};
	/* Each thread that runs requests reads through a connection of its own. */
	db_set_readers(a->db, http_config_threads(&cfg));
	if (use_tls(a, args, &cfg))
		return -1;
	int rc = http_server_start(&cfg, srv, &err);
	bool https = cfg.tls_cert_pem != NULL;
	*tls = cfg;
	if (rc) {
		log_error("msg=\"%s\"", err.message);
		return -1;
	}
	const char *colon = strrchr(args->listen, ':');
	snprintf(url, size, "%s://%.*s:%d", https ? "https" : "http",
		 colon ? (int)(colon - args->listen) : 0, args->listen, http_server_port(*srv));
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
	a->runs.executor = args->executor;
	a->runs.data_dir = a->data_dir;
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
	    .node_name = args->executor,
	    .exec = executor_find(args->executor),
	    .partition = args->partition,
	    .node = {.cpus = node.cpus, .mem_bytes = (int64_t)node.memory_bytes,
		     .gpus = node.gpu_count},
	    .grace_ms = 5000,
	    .hooks = {{.step = preannotate_step, .ctx = a},
		      {.step = api_pipeline_tick, .ctx = a, .every_ms = 1000},
		      {.step = api_endpoint_logs_tick, .ctx = a, .every_ms = 2000}},
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

/* Tesseract's OpenMP reads OMP_THREAD_LIMIT when the process starts: without it, each OCR
 * engine would start a thread per core. The server runs itself again with it set. */
static void limit_openmp(int argc, char **argv)
{
	if (getenv("OMP_THREAD_LIMIT"))
		return;
	setenv("OMP_THREAD_LIMIT", "1", 1);
	char **again = calloc((size_t)argc + 2, sizeof *again);
	if (!again)
		return;
	again[0] = "crowdloop";
	for (int i = 0; i < argc; i++)
		again[i + 1] = argv[i];
	execv("/proc/self/exe", again);
	free(again); /* exec failed: serve on, with OpenMP's default */
}

int cmd_serve(int argc, char **argv)
{
	static app a;
	limit_openmp(argc, argv);
	serve_args args = {.data = "data",
			   .listen = "127.0.0.1:8080",
			   .web = CROWDLOOP_WEB_DIR,
			   .sync = "full",
			   .sched = "batch",
			   .executor = "local",
			   .gpus = -1,
			   .handlers = -1,
			   .per_address = -1};
	int done = parse(argc, argv, &args, &a);
	if (done >= 0)
		return done;
	if (args.partition && (strcmp(args.executor, "slurm") || !args.partition[0] ||
			       strlen(args.partition) > 63 ||
			       args.partition[strspn(args.partition, PARTITION_CHARS)])) {
		log_error("msg=\"--slurm-partition goes with --executor slurm and is letters,"
			  " digits, '.', '_' and '-'\"");
		return 2;
	}
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
	db_set_commit_interval(a.db, (unsigned)args.commit_interval_us);
	a.store = (store){.ops = &store_sqlite_ops, .db = a.db};
	a.serving = serving_registry_new(a.max_image_pixels);
	char langid[sizeof a.data_dir + 16];
	snprintf(langid, sizeof langid, "%s/models/langid", a.data_dir);
	if (a.serving)
		serving_registry_set_langid_dir(a.serving, langid);
	a.limiter = serving_limiter_new();
	a.imports = import_runs_new(&a.store);
	if (!a.imports)
		log_warn("msg=\"background imports cannot run: large imports run in their request\"");
	model_servers *servers = model_servers_new(a.data_dir, &err);
	if (!servers)
		log_warn("msg=\"custom model servers cannot run\" reason=\"%s\"", err.message);
	/* Without --allow-custom-jobs no model server runs; the supervisor still ends those a killed
	 * server left. */
	if (a.serving && a.runs.allow_custom) {
		serving_registry_set_servers(a.serving, servers);
		api_endpoints_start_servers(&a);
	}
	a.shadows = shadow_queue_new(&a);
	db_set_periodic(a.db, task_leases_expire, (void *)&store_sqlite_ops, 1000);
	http_server *srv = NULL;
	http_config tls = {0};
	runner *jobs = NULL;
	char url[300];
	if (probe_node(&a, &args) || start_http(&a, &args, &srv, &tls, url, sizeof url) ||
	    !(jobs = start_runner(&a, &args, url)) || (args.demo && demo_seed(&a, url))) {
		runner_stop(jobs);
		if (srv)
			http_server_stop(srv, 0);
		work_queue_free(a.shadows);
		import_runs_free(a.imports);
		forget_tls(&tls);
		serving_registry_free(a.serving);
		model_servers_free(servers);
		db_close(a.db);
		return 1;
	}
	log_info("msg=\"listening\" url=%s data=\"%s\"", url, a.data_dir);
	fprintf(stderr, "crowdloop: listening on %s\n", url);
	run(&stop);
	runner_stop(jobs); /* running jobs go on: the next server adopts them */
	http_server_stop(srv, 10000);
	work_queue_free(a.shadows);
	import_runs_free(a.imports); /* running imports are cancelled: nothing of them is kept */
	serving_registry_free(a.serving);
	model_servers_free(servers); /* each drained and stopped, SIGKILL after its grace */
	serving_limiter_free(a.limiter);
	forget_tls(&tls);
	db_close(a.db);
	log_buffer(0);
	log_info("msg=\"stopped\"");
	return 0;
}
