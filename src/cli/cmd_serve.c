/* `crowdloop serve`: opens the store, starts the HTTP server and runs until SIGINT or SIGTERM,
 * then lets requests in flight finish and closes the store cleanly. */
#include "api/api.h"
#include "cli/cmd.h"
#include "cli/demo.h"
#include "core/auth.h"
#include "core/task_loop.h"
#include "util/fs.h"
#include "util/log.h"

#include <getopt.h>
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

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: crowdloop serve [options]\n"
	    "  --data DIR          where the store and files live (default: data)\n"
	    "  --listen ADDR:PORT  address to bind; IPv6 in brackets, [::1]:8080; [::]:8080\n"
	    "                      is every address, IPv4 too (default: 127.0.0.1:8080)\n"
	    "  --allow-signup      let workers create their own accounts\n"
	    "  --demo              seed a demo organization, projects and accounts\n"
	    "  --web DIR           the built web app (default: the source tree's web/dist)\n"
	    "  --io-threads N      HTTP I/O threads (default: 2 per core)\n"
	    "  --handlers N        request handler threads (default: 8 per core; 0: handlers\n"
	    "                      run on the I/O threads)\n"
	    "  --sync normal|full  full (default): a write is answered once the WAL holding it\n"
	    "                      is flushed to disk; normal: once committed (survives a\n"
	    "                      killed process, not a power cut)\n"
	    "  --sched batch|normal  batch (default): the server's threads (all but the one\n"
	    "                      that waits on the disk) run under Linux's SCHED_BATCH policy,\n"
	    "                      so a woken thread waits for the running one's time slice\n"
	    "                      instead of preempting it; normal: the default policy\n"
	    "  --secure-cookies    mark session cookies Secure (behind TLS)\n"
	    "  --min-wage N        hourly minimum wage for the fair-pay check (default 10320)\n"
	    "  --quiet             no log line per request\n");
}

/* An option that takes one of two words: *on is whether it is `yes`; true for any other word. */
static bool either(const char *arg, const char *yes, const char *no, bool *on)
{
	if (strcmp(arg, yes) && strcmp(arg, no))
		return true;
	*on = !strcmp(arg, yes);
	return false;
}

int cmd_serve(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"data", required_argument, NULL, 'd'},
	    {"listen", required_argument, NULL, 'l'},
	    {"allow-signup", no_argument, NULL, 's'},
	    {"demo", no_argument, NULL, 'D'},
	    {"web", required_argument, NULL, 'w'},
	    {"io-threads", required_argument, NULL, 'i'},
	    {"handlers", required_argument, NULL, 'H'},
	    {"sync", required_argument, NULL, 'y'},
	    {"sched", required_argument, NULL, 'S'},
	    {"secure-cookies", no_argument, NULL, 'c'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"min-wage", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {0, 0, 0, 0},
	};
	static app a;
	const char *data = "data", *listen = "127.0.0.1:8080", *web = CROWDLOOP_WEB_DIR;
	bool demo = false, durable = true, batch = true, bad_word = false;
	int io = 0, handlers = 0, c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'd': data = optarg; break;
		case 'l': listen = optarg; break;
		case 's': a.allow_signup = true; break;
		case 'D': demo = true; break;
		case 'w': web = optarg; break;
		case 'i': io = (int)strtol(optarg, NULL, 10); break;
		case 'H':
			handlers = (int)strtol(optarg, NULL, 10);
			if (handlers == 0)
				handlers = -1;
			break;
		case 'y': bad_word |= either(optarg, "full", "normal", &durable); break;
		case 'S': bad_word |= either(optarg, "batch", "normal", &batch); break;
		case 'c': a.secure_cookies = true; break;
		case 'q': setenv("CROWDLOOP_QUIET_REQUESTS", "1", 1); break;
		case 'm':
			a.min_wage = strtoll(optarg, NULL, 10);
			if (a.min_wage <= 0) {
				usage(stderr);
				return 2;
			}
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (bad_word) {
		usage(stderr);
		return 2;
	}
	if (auth_init()) {
		log_error("msg=\"cannot initialize libsodium\"");
		return 1;
	}
	if (fs_make_dirs(data) || access(data, W_OK)) {
		log_error("msg=\"cannot use the data directory\" dir=\"%s\"", data);
		return 1;
	}
	char *abs = realpath(data, NULL);
	snprintf(a.data_dir, sizeof a.data_dir, "%s", abs ? abs : data);
	free(abs);
	snprintf(a.web_dir, sizeof a.web_dir, "%s", web);

	/* Every thread started from here inherits the policy (the store's syncer alone sets its
	 * own). A request hops between threads (I/O thread, store writer, syncer, back to an I/O
	 * thread) and a flushed group wakes dozens at once: under the default policy each wake-up
	 * may preempt the thread that made it, halfway through its batch, and the cores spend
	 * their time switching (docs/BENCHMARKS.md, after run 19). */
	if (batch) {
		struct sched_param sp = {0};
		if (sched_setscheduler(0, SCHED_BATCH, &sp))
			log_warn(
			    "msg=\"cannot use SCHED_BATCH, running under the default policy\"");
	}

	/* Signals are taken by sigwait below; every thread started from here inherits the mask. */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGINT);
	sigaddset(&stop, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stop, NULL);
	signal(SIGPIPE, SIG_IGN);

	cl_error err = {0};
	if (db_open(a.data_dir, durable, &a.db, &err)) {
		log_error("msg=\"%s\"", err.message);
		return 1;
	}
	a.store = (store){.ops = &store_sqlite_ops, .db = a.db};
	db_set_periodic(a.db, task_leases_expire, (void *)&store_sqlite_ops, 1000);

	http_config cfg = {
	    .listen = listen,
	    .io_threads = io,
	    .handler_threads = handlers,
	    .routes = api_routes,
	    .n_routes = api_routes_count,
	    .authenticate = api_authenticate,
	    .authorize = api_authorize,
	    .release = api_release,
	    .fallback = api_static,
	    .app = &a,
	};
	http_server *srv;
	if (http_server_start(&cfg, &srv, &err)) {
		log_error("msg=\"%s\"", err.message);
		db_close(a.db);
		return 1;
	}
	char host[256];
	snprintf(host, sizeof host, "%.*s", (int)(strrchr(listen, ':') - listen), listen);
	char url[300];
	snprintf(url, sizeof url, "http://%s:%d", host, http_server_port(srv));
	if (demo && demo_seed(&a, url)) {
		http_server_stop(srv, 0);
		db_close(a.db);
		return 1;
	}
	log_info("msg=\"listening\" url=%s data=\"%s\"", url, a.data_dir);
	fprintf(stderr, "crowdloop: listening on %s\n", url);

	/* A line per request: written in batches, and at least every REQUEST_LOG_MS. */
	log_buffer(REQUEST_LOG_MS);
	const struct timespec tick = {0, REQUEST_LOG_MS * 1000000L};
	int sig;
	while ((sig = sigtimedwait(&stop, NULL, &tick)) < 0)
		log_flush();
	log_info("msg=\"stopping\" signal=%d", sig);
	http_server_stop(srv, 10000);
	db_close(a.db);
	log_buffer(0);
	log_info("msg=\"stopped\"");
	return 0;
}
