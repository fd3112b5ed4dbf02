/* crowdloop-loadgen: a load generator for the crowdloop HTTP API. `--threads` threads (2) each run
 * an epoll event loop over their share of N keep-alive HTTP/1.1 connections on plain sockets, so
 * the generator stays cheap and leaves the CPU to the server under test, while a group of answers
 * that arrives at once is not answered one client after another as a single thread would.
 * `--healthz` hammers GET /healthz to measure the HTTP ceiling; `--cycles` splits the connections
 * between simulated workers (tasks/next, then submit) and reviewers (reviews/next, then approve),
 * each connection with its own bearer token, and counts full cycles (approvals). With `--chained`
 * each submit and approval asks for the next task in the same request ("next": true), so a worker
 * or reviewer goes back to tasks/next or reviews/next only when that came back empty. `--predict
 * NAME` POSTs /api/v1/endpoints/NAME/predict with an endpoint key (`--key`) on every connection,
 * the bodies taken in turn from `--body FILE` (one JSON body a line). By default each connection
 * sends its next request as soon as the last is answered (the most the server gives, and the
 * latency at that load); `--rate R` (with --healthz or --predict) paces the connections to R
 * requests a second in all instead, each connection's requests due at fixed times, and times each
 * request from when it was due rather than from when it could be sent, so that an answer that
 * came late and held the next request back counts against that one too (no coordinated
 * omission): the latency a server gives at that load. Every round
 * trip lands in a per-route log-linear histogram that is exact to the microsecond below 2 ms and
 * within 0.1% above; at the end it prints rates, p50/p99/max per route, non-2xx answers by status
 * and errors, plus one `RESULT key=value ...` line for scripts. Every loop is bounded: the run
 * stops after --duration (or --max-cycles), each request has a timeout, and buffers have caps. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 4096
#define OUT_CAP 2048
#define IN_CAP_MAX ((size_t)8 << 20)
#define MAX_TOKEN 512
#define MAX_BODY 1400 /* a --predict body, so that it fits OUT_CAP with its headers */
#define MAX_BODIES 100000
#define CONNECT_PHASE_NS (5 * 1000000000ULL)
#define RECONNECT_DELAY_NS (20 * 1000000ULL)

/* Histogram: values below 2*HIST_SUB microseconds get one bucket each; above, every power of two
 * is cut into HIST_SUB buckets. Values are capped at 2^41 - 1 microseconds. */
#define HIST_SUB_BITS 10
#define HIST_SUB (1u << HIST_SUB_BITS)
#define HIST_MAX_MSB 40
#define HIST_BUCKETS (2 * HIST_SUB + (HIST_MAX_MSB - HIST_SUB_BITS) * HIST_SUB)

enum route { R_HEALTHZ, R_TASK_NEXT, R_SUBMIT, R_REVIEW_NEXT, R_REVIEW, R_PREDICT, R_COUNT };

static const char *const route_names[R_COUNT] = {
    "GET /healthz",
    "POST /projects/{id}/tasks/next",
    "POST /tasks/{id}/submit",
    "POST /projects/{id}/reviews/next",
    "POST /tasks/{id}/review",
    "POST /endpoints/{name}/predict",
};

/* Short names for the RESULT line. */
static const char *const route_keys[R_COUNT] = {
    "healthz", "task_next", "submit", "review_next", "review", "predict",
};

enum role { ROLE_HEALTHZ, ROLE_WORKER, ROLE_REVIEWER, ROLE_PREDICT };

enum cstate {
	C_READY,      /* connected, nothing in flight (connect phase only) */
	C_CONNECTING, /* non-blocking connect in progress */
	C_BUSY,	      /* a request is being sent or its answer read */
	C_SLEEPING,   /* backing off until wake_at; fd < 0 means reconnect then */
};

struct conn {
	int fd;
	enum role role;
	enum cstate state;
	enum route route; /* route of the request in flight */
	const char *token;
	long long task_id; /* the task leased by this connection, 0 when none */
	int want_out;	   /* EPOLLOUT is in the interest set */
	char out[OUT_CAP];
	size_t out_len, out_off;
	char *in;
	size_t in_len, in_cap;
	int index;	   /* among all the connections, from 0 */
	uint64_t sent_at;  /* ns, when the request was issued (under --rate, when it was due) */
	uint64_t due;	   /* ns, under --rate: when the next request is due; 0 before the first */
	uint64_t wake_at;  /* ns, for C_SLEEPING */
	uint64_t deadline; /* ns, for C_BUSY and C_CONNECTING */
};

struct route_stats {
	uint64_t count, ok, no_content, max_us, sum_us;
	uint64_t hist[HIST_BUCKETS];
};

struct response {
	int status;
	int close;
	char *body;
	size_t body_len;
};

struct options {
	int healthz, cycles, chained;
	const char *predict; /* the endpoint's name for --predict */
	const char *key, *body_file;
	struct in_addr host;
	int port;
	int connections;
	int reviewers; /* -1: half */
	double duration, warmup, timeout;
	long long project;
	const char *workers_file, *reviewers_file;
	long backoff_ms;
	long long max_cycles;
	const char *mark_file;
	int threads;
	double rate; /* requests a second in all; 0: each connection as fast as it is answered */
};

/* What a thread counts; added to `merged` when it ends. */
struct stats {
	struct route_stats rstats[R_COUNT];
	uint64_t status_counts[600];
	uint64_t status_other;
	uint64_t cycles; /* approvals inside the measured window */
	struct {
		uint64_t connect, reset, timeout, parse, no_id, server_close;
	} errs;
};

static struct options opt;
static volatile sig_atomic_t stop_flag;

/* --predict's request bodies, one a line of --body's file, and the next one each thread sends. */
static char **bodies;
static int nbodies;
static __thread unsigned next_body;

/* Each thread's own connections, epoll set and counts. */
static __thread struct conn *conns;
static __thread int nconns;
static __thread int epfd = -1;
static __thread struct stats mine;

/* Shared by the threads. */
static struct stats merged;
static pthread_mutex_t merged_lock = PTHREAD_MUTEX_INITIALIZER;
static _Atomic uint64_t cycles_total;  /* approvals since the start, warm-up included */
static _Atomic uint64_t measure_start; /* ns; 0 until the measured window opens */
static double cpu0;		       /* the process's CPU seconds when it opened */
static uint64_t go_at;		       /* ns: when the connections start their requests */
static uint64_t rate_gap;	       /* ns between two requests of a connection under --rate */
static uint64_t warm_end, end_at;      /* ns: the warm-up's end and the run's */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double cpu_seconds(void);

/* Opens the measured window at `now` (and tells --mark's file), noting the CPU time so far;
 * the first thread to call it does. */
static void start_measuring(uint64_t now)
{
	uint64_t closed = 0;
	if (!atomic_compare_exchange_strong(&measure_start, &closed, now))
		return;
	cpu0 = cpu_seconds();
	if (opt.mark_file) {
		FILE *f = fopen(opt.mark_file, "w");
		if (f)
			fclose(f);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

static void usage(FILE *f)
{
	fputs("usage: crowdloop-loadgen --port PORT [--host 127.0.0.1]\n"
	      "         (--healthz | --cycles | --predict NAME)\n"
	      "         [--connections 64] [--threads 2] [--duration 10] [--warmup 0] [--timeout "
	      "10]\n"
	      "  --cycles also needs: --project ID --workers-file F --reviewers-file F\n"
	      "         [--reviewers N (reviewer connections, default half)] [--backoff-ms 2]\n"
	      "         [--max-cycles N (stop after N approvals, 0: no limit)]\n"
	      "         [--chained (submit and approve with \"next\": true)]\n"
	      "  --warmup ends early once a fifth of --max-cycles are done, so that a fast run\n"
	      "  still measures most of them; --mark FILE creates FILE when measuring starts\n"
	      "  --predict NAME also needs: --key clk_... --body FILE (one JSON body a line,\n"
	      "         each under 1.5 KB, sent in turn)\n"
	      "  --rate R (with --healthz or --predict): R requests a second in all, each\n"
	      "         timed from when it was due\n",
	      f);
}

/* Parses a whole decimal integer in [lo, hi]; returns 0 or -1. */
static int parse_ll(const char *s, long long lo, long long hi, long long *out)
{
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (errno || end == s || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_seconds(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end != '\0' || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

static int parse_args(int argc, char **argv)
{
	opt.connections = 64;
	opt.threads = 2;
	opt.reviewers = -1;
	opt.duration = 10;
	opt.warmup = 0;
	opt.timeout = 10;
	opt.backoff_ms = 2;
	inet_pton(AF_INET, "127.0.0.1", &opt.host);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		long long n;
		if (strcmp(a, "--healthz") == 0) {
			opt.healthz = 1;
			continue;
		}
		if (strcmp(a, "--cycles") == 0) {
			opt.cycles = 1;
			continue;
		}
		if (strcmp(a, "--chained") == 0) {
			opt.chained = 1;
			continue;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			usage(stdout);
			exit(0);
		}
		if (!v) {
			fprintf(stderr, "loadgen: %s needs a value\n", a);
			return -1;
		}
		i++;
		if (strcmp(a, "--host") == 0) {
			if (inet_pton(AF_INET, v, &opt.host) != 1) {
				fprintf(stderr, "loadgen: --host takes an IPv4 address\n");
				return -1;
			}
		} else if (strcmp(a, "--port") == 0) {
			if (parse_ll(v, 1, 65535, &n))
				goto bad;
			opt.port = (int)n;
		} else if (strcmp(a, "--connections") == 0) {
			if (parse_ll(v, 1, MAX_CONNS, &n))
				goto bad;
			opt.connections = (int)n;
		} else if (strcmp(a, "--threads") == 0) {
			if (parse_ll(v, 1, 64, &n))
				goto bad;
			opt.threads = (int)n;
		} else if (strcmp(a, "--reviewers") == 0) {
			if (parse_ll(v, 0, MAX_CONNS, &n))
				goto bad;
			opt.reviewers = (int)n;
		} else if (strcmp(a, "--duration") == 0) {
			if (parse_seconds(v, 0.1, 86400, &opt.duration))
				goto bad;
		} else if (strcmp(a, "--warmup") == 0) {
			if (parse_seconds(v, 0, 3600, &opt.warmup))
				goto bad;
		} else if (strcmp(a, "--timeout") == 0) {
			if (parse_seconds(v, 0.01, 3600, &opt.timeout))
				goto bad;
		} else if (strcmp(a, "--project") == 0) {
			if (parse_ll(v, 1, INT64_MAX, &n))
				goto bad;
			opt.project = n;
		} else if (strcmp(a, "--workers-file") == 0) {
			opt.workers_file = v;
		} else if (strcmp(a, "--reviewers-file") == 0) {
			opt.reviewers_file = v;
		} else if (strcmp(a, "--backoff-ms") == 0) {
			if (parse_ll(v, 0, 10000, &n))
				goto bad;
			opt.backoff_ms = (long)n;
		} else if (strcmp(a, "--predict") == 0) {
			opt.predict = v;
		} else if (strcmp(a, "--key") == 0) {
			opt.key = v;
		} else if (strcmp(a, "--body") == 0) {
			opt.body_file = v;
		} else if (strcmp(a, "--mark") == 0) {
			opt.mark_file = v;
		} else if (strcmp(a, "--rate") == 0) {
			if (parse_seconds(v, 1, 1e7, &opt.rate))
				goto bad;
		} else if (strcmp(a, "--max-cycles") == 0) {
			if (parse_ll(v, 0, INT64_MAX, &n))
				goto bad;
			opt.max_cycles = n;
		} else {
			fprintf(stderr, "loadgen: unknown option %s\n", a);
			usage(stderr);
			return -1;
		}
		continue;
	bad:
		fprintf(stderr, "loadgen: bad value for %s: %s\n", a, v);
		return -1;
	}
	if (opt.healthz + opt.cycles + !!opt.predict != 1 || !opt.port) {
		usage(stderr);
		return -1;
	}
	/* With MAX_BODY, the bounds keep a predict request inside OUT_CAP. */
	if (opt.predict && (!opt.key || !opt.body_file || strlen(opt.key) > 128 ||
			    strlen(opt.predict) > 64)) {
		fprintf(stderr, "loadgen: --predict needs --key (at most 128 characters) and --body; "
				"the name is at most 64 characters\n");
		return -1;
	}
	if (opt.rate > 0 && opt.cycles) {
		fprintf(stderr, "loadgen: --rate goes with --healthz or --predict\n");
		return -1;
	}
	if (opt.cycles) {
		if (!opt.project || !opt.workers_file || !opt.reviewers_file) {
			fprintf(stderr, "loadgen: --cycles needs --project, --workers-file and "
					"--reviewers-file\n");
			return -1;
		}
		if (opt.reviewers < 0)
			opt.reviewers = opt.connections / 2;
		if (opt.reviewers > opt.connections) {
			fprintf(stderr, "loadgen: --reviewers is more than --connections\n");
			return -1;
		}
	}
	return 0;
}

/* What load_lines reads: one thing a line of a file. */
struct line_kind {
	const char *what; /* "token", "body": for the messages */
	size_t max_len;	  /* the longest line, at most MAX_LINE */
	int max_lines;
	int token; /* trailing blanks dropped; control and space bytes refused */
};

#define MAX_LINE (MAX_BODY > MAX_TOKEN ? MAX_BODY : MAX_TOKEN)

static const struct line_kind token_lines = {"token", MAX_TOKEN, MAX_CONNS, 1};
/* A --predict body must fit a request with its headers in OUT_CAP. */
static const struct line_kind body_lines = {"body", MAX_BODY, MAX_BODIES, 0};

/* The length of line once its end is dropped (its newline, and for a token trailing blanks). */
static size_t line_trim(char *line, const struct line_kind *k)
{
	size_t len = strlen(line);
	while (len && (line[len - 1] == '\n' || line[len - 1] == '\r' ||
		       (k->token && (line[len - 1] == ' ' || line[len - 1] == '\t'))))
		line[--len] = '\0';
	return len;
}

/* Whether a token holds a control or space byte, which no header may carry. */
static int token_bad(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)line[i] <= ' ' || (unsigned char)line[i] >= 0x7f)
			return 1;
	return 0;
}

/* Reads one k->what a line (blank lines skipped, at most k->max_lines) into a NULL-terminated
 * array; returns the count or -1. */
static int load_lines(const char *path, const struct line_kind *k, char ***out)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		fprintf(stderr, "loadgen: %s: %s\n", path, strerror(errno));
		return -1;
	}
	char **list = NULL;
	int n = 0, cap = 0;
	char line[MAX_LINE + 2];
	while (n < k->max_lines && fgets(line, sizeof line, f)) {
		if (strcspn(line, "\r\n") > k->max_len) {
			fprintf(stderr, "loadgen: %s: a %s longer than %zu bytes\n", path, k->what,
				k->max_len);
			goto fail;
		}
		size_t len = line_trim(line, k);
		if (!len)
			continue;
		if (k->token && token_bad(line, len)) {
			fprintf(stderr, "loadgen: %s: token with a control or space byte\n", path);
			goto fail;
		}
		if (n + 1 >= cap) {
			cap = cap ? cap * 2 : 64;
			char **p = realloc(list, (size_t)cap * sizeof *p);
			if (!p)
				goto fail;
			list = p;
		}
		if (!(list[n] = strdup(line)))
			goto fail;
		list[++n] = NULL;
	}
	fclose(f);
	if (!n) {
		fprintf(stderr, "loadgen: %s holds no %s\n", path, k->what);
		free(list);
		return -1;
	}
	*out = list;
	return n;
fail:
	fclose(f);
	for (int i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return -1;
}

static unsigned hist_index(uint64_t us)
{
	if (us < 2 * HIST_SUB)
		return (unsigned)us;
	if (us >> (HIST_MAX_MSB + 1))
		us = (1ULL << (HIST_MAX_MSB + 1)) - 1;
	unsigned msb = 63u - (unsigned)__builtin_clzll(us);
	unsigned shift = msb - HIST_SUB_BITS;
	return 2 * HIST_SUB + (shift - 1) * HIST_SUB + (unsigned)((us >> shift) - HIST_SUB);
}

/* The highest value that lands in bucket `i`. */
static uint64_t hist_upper(unsigned i)
{
	if (i < 2 * HIST_SUB)
		return i;
	unsigned shift = (i - 2 * HIST_SUB) / HIST_SUB + 1;
	uint64_t sub = (i - 2 * HIST_SUB) % HIST_SUB + HIST_SUB;
	return ((sub + 1) << shift) - 1;
}

static uint64_t hist_percentile(const struct route_stats *s, double p)
{
	if (!s->count)
		return 0;
	uint64_t rank = (uint64_t)(p * (double)s->count);
	if ((double)rank < p * (double)s->count)
		rank++;
	if (rank < 1)
		rank = 1;
	uint64_t seen = 0;
	for (unsigned i = 0; i < HIST_BUCKETS; i++) {
		seen += s->hist[i];
		if (seen >= rank) {
			uint64_t v = hist_upper(i);
			return v < s->max_us ? v : s->max_us;
		}
	}
	return s->max_us;
}

static void record(enum route r, int status, uint64_t sent_at, uint64_t done)
{
	if (!measure_start || sent_at < measure_start)
		return;
	struct route_stats *s = &mine.rstats[r];
	uint64_t us = (done - sent_at) / 1000;
	s->count++;
	s->sum_us += us;
	if (us > s->max_us)
		s->max_us = us;
	s->hist[hist_index(us)]++;
	if (status >= 200 && status < 300) {
		s->ok++;
		if (status == 204)
			s->no_content++;
	} else if (status >= 100 && status < 600) {
		mine.status_counts[status]++;
	} else {
		mine.status_other++;
	}
}

/* Set once the clock starts: connections then issue requests as soon as they are ready. */
static int running;

static void set_events(struct conn *c, int want_out)
{
	if (c->fd < 0 || c->want_out == want_out)
		return;
	struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	c->want_out = want_out;
}

static void close_conn(struct conn *c)
{
	if (c->fd >= 0) {
		epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
		close(c->fd);
		c->fd = -1;
	}
	c->in_len = 0;
	c->out_len = c->out_off = 0;
	c->want_out = 0;
}

static void sleep_conn(struct conn *c, uint64_t ns)
{
	c->state = C_SLEEPING;
	c->wake_at = now_ns() + ns;
}

/* Drops the connection and reconnects after `ns`; the role's next step is kept. */
static void reconnect_later(struct conn *c, uint64_t ns)
{
	close_conn(c);
	sleep_conn(c, ns);
}

static void start_connect(struct conn *c)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		mine.errs.connect++;
		sleep_conn(c, RECONNECT_DELAY_NS * 10);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	struct sockaddr_in sa = {
	    .sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port), .sin_addr = opt.host};
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
		close(fd);
		mine.errs.connect++;
		sleep_conn(c, RECONNECT_DELAY_NS * 10);
		return;
	}
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		mine.errs.connect++;
		sleep_conn(c, RECONNECT_DELAY_NS * 10);
		return;
	}
	c->fd = fd;
	c->want_out = 1;
	c->state = C_CONNECTING;
	c->deadline = now_ns() + (uint64_t)(opt.timeout * 1e9);
}

/* The request builders, one a role: each writes the connection's next request into c->out and
 * sets c->route; returns snprintf's count. */
static int healthz_request(struct conn *c)
{
	c->route = R_HEALTHZ;
	return snprintf(c->out, OUT_CAP, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n\r\n",
			opt.port);
}

/* The next of --body's bodies, in turn. */
static int predict_request(struct conn *c)
{
	const char *body = bodies[next_body++ % (unsigned)nbodies];
	c->route = R_PREDICT;
	return snprintf(c->out, OUT_CAP,
			"POST /api/v1/endpoints/%s/predict HTTP/1.1\r\n"
			"Host: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n"
			"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			opt.predict, opt.port, opt.key, strlen(body), body);
}

/* A worker's or reviewer's: the next task to lease, or the decision on the leased one. */
static int cycle_request(struct conn *c)
{
	static const char approve[] = "{\"decision\":\"approve\"}";
	static const char submit[] = "{\"annotation\":{\"labels\":[\"pos\"]}}";
	static const char approve_next[] = "{\"decision\":\"approve\",\"next\":true}";
	static const char submit_next[] = "{\"annotation\":{\"labels\":[\"pos\"]},\"next\":true}";
	char hdr[MAX_TOKEN + 128];
	int worker = c->role == ROLE_WORKER;

	snprintf(hdr, sizeof hdr, "Host: 127.0.0.1:%d\r\nAuthorization: Bearer %s\r\n", opt.port,
		 c->token);
	if (!c->task_id) {
		c->route = worker ? R_TASK_NEXT : R_REVIEW_NEXT;
		return snprintf(c->out, OUT_CAP,
				"POST /api/v1/projects/%lld/%s/next HTTP/1.1\r\n%s"
				"Content-Length: 0\r\n\r\n",
				opt.project, worker ? "tasks" : "reviews", hdr);
	}
	const char *body =
	    opt.chained ? (worker ? submit_next : approve_next) : (worker ? submit : approve);
	c->route = worker ? R_SUBMIT : R_REVIEW;
	return snprintf(c->out, OUT_CAP,
			"POST /api/v1/tasks/%lld/%s HTTP/1.1\r\n%s"
			"Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
			c->task_id, worker ? "submit" : "review", hdr, strlen(body), body);
}

static int (*const request_builders[])(struct conn *) = {
    [ROLE_HEALTHZ] = healthz_request,
    [ROLE_WORKER] = cycle_request,
    [ROLE_REVIEWER] = cycle_request,
    [ROLE_PREDICT] = predict_request,
};

/* Builds the connection's next request with its role's builder. */
static void build_request(struct conn *c)
{
	int n = request_builders[c->role](c);
	c->out_len = n > 0 && n < OUT_CAP ? (size_t)n : 0;
	c->out_off = 0;
}

static void flush_out(struct conn *c);

static void issue(struct conn *c)
{
	if (c->fd < 0) {
		start_connect(c);
		return;
	}
	uint64_t now = now_ns();
	if (rate_gap) {
		/* The connections' first requests spread evenly over one gap. */
		if (!c->due)
			c->due = go_at + rate_gap * (uint64_t)c->index / (uint64_t)opt.connections;
		if (c->due > now) {
			c->state = C_SLEEPING;
			c->wake_at = c->due;
			return;
		}
	}
	build_request(c);
	c->in_len = 0;
	c->state = C_BUSY;
	c->sent_at = rate_gap ? c->due : now;
	c->due += rate_gap;
	c->deadline = now + (uint64_t)(opt.timeout * 1e9);
	flush_out(c);
}

static void flush_out(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t w = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
		if (w > 0) {
			c->out_off += (size_t)w;
			continue;
		}
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			set_events(c, 1);
			return;
		}
		mine.errs.reset++;
		reconnect_later(c, RECONNECT_DELAY_NS);
		return;
	}
	set_events(c, 0);
}

static int ieq_prefix(const char *s, size_t n, const char *name)
{
	size_t k = strlen(name);
	if (n < k)
		return 0;
	for (size_t i = 0; i < k; i++) {
		char a = s[i];
		if (a >= 'A' && a <= 'Z')
			a = (char)(a - 'A' + 'a');
		if (a != name[i])
			return 0;
	}
	return 1;
}

/* Case-insensitive search for `word` in s[0..n). */
static int icontains(const char *s, size_t n, const char *word)
{
	size_t k = strlen(word);
	for (size_t i = 0; i + k <= n; i++)
		if (ieq_prefix(s + i, n - i, word))
			return 1;
	return 0;
}

/* Reads a hex chunk size line at p (up to the CRLF); returns bytes consumed including CRLF, 0
 * when incomplete, -1 when malformed. */
static long chunk_line(const char *p, size_t n, uint64_t *size)
{
	const char *crlf = memmem(p, n, "\r\n", 2);
	if (!crlf)
		return n > 1024 ? -1 : 0;
	uint64_t v = 0;
	size_t i = 0, len = (size_t)(crlf - p);
	int digits = 0;
	for (; i < len; i++) {
		char ch = p[i];
		int d;
		if (ch >= '0' && ch <= '9')
			d = ch - '0';
		else if (ch >= 'a' && ch <= 'f')
			d = ch - 'a' + 10;
		else if (ch >= 'A' && ch <= 'F')
			d = ch - 'A' + 10;
		else
			break;
		if (v >> 56)
			return -1;
		v = v * 16 + (uint64_t)d;
		digits++;
	}
	if (!digits || (i < len && p[i] != ';' && p[i] != ' '))
		return -1;
	*size = v;
	return (long)(len + 2);
}

/* Decodes a chunked body that starts at `body`: returns 1 with the data compacted in place and
 * its length in *out_len, 0 when more bytes are needed, -1 when malformed. Checks completeness
 * before it moves anything, so it can be called again as bytes arrive. */
static int dechunk(char *body, size_t n, size_t *out_len)
{
	size_t pos = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t w = 0;
		pos = 0;
		for (;;) {
			uint64_t size;
			long used = chunk_line(body + pos, n - pos, &size);
			if (used <= 0)
				return (int)used;
			pos += (size_t)used;
			if (size == 0)
				break;
			if (size > n - pos || n - pos - size < 2)
				return size > IN_CAP_MAX ? -1 : 0;
			if (pass)
				memmove(body + w, body + pos, size);
			w += size;
			pos += size;
			if (body[pos] != '\r' || body[pos + 1] != '\n')
				return -1;
			pos += 2;
		}
		/* Trailer lines, then the empty line. */
		for (;;) {
			const char *crlf = memmem(body + pos, n - pos, "\r\n", 2);
			if (!crlf)
				return 0;
			size_t len = (size_t)(crlf - (body + pos));
			pos += len + 2;
			if (!len)
				break;
		}
		if (pass)
			*out_len = w;
	}
	return 1;
}

/* Parses a complete answer from c->in: 1 done (fills r), 0 needs more bytes, -1 malformed. */
static int parse_response(struct conn *c, struct response *r)
{
	char *buf = c->in;
	size_t n = c->in_len;
	char *end = memmem(buf, n, "\r\n\r\n", 4);
	if (!end)
		return n > 65536 ? -1 : 0;
	size_t head_len = (size_t)(end - buf) + 4;
	if (n < 12 || memcmp(buf, "HTTP/1.", 7) != 0 || buf[8] != ' ')
		return -1;
	int status = 0;
	for (int i = 9; i < 12; i++) {
		if (buf[i] < '0' || buf[i] > '9')
			return -1;
		status = status * 10 + (buf[i] - '0');
	}
	int http10 = buf[7] == '0';
	int close_conn_flag = http10, chunked = 0, have_len = 0;
	uint64_t clen = 0;

	char *line = memmem(buf, head_len, "\r\n", 2) + 2;
	while (line < end) {
		char *eol = memmem(line, (size_t)(end + 2 - line), "\r\n", 2);
		size_t len = (size_t)(eol - line);
		char *colon = memchr(line, ':', len);
		if (colon) {
			size_t nlen = (size_t)(colon - line);
			char *v = colon + 1;
			size_t vlen = (size_t)(eol - v);
			if (nlen == 14 && ieq_prefix(line, nlen, "content-length")) {
				while (vlen && (*v == ' ' || *v == '\t')) {
					v++;
					vlen--;
				}
				if (!vlen || *v < '0' || *v > '9')
					return -1;
				clen = 0;
				for (; vlen && *v >= '0' && *v <= '9'; v++, vlen--) {
					if (clen > IN_CAP_MAX)
						return -1;
					clen = clen * 10 + (uint64_t)(*v - '0');
				}
				have_len = 1;
			} else if (nlen == 17 && ieq_prefix(line, nlen, "transfer-encoding")) {
				chunked = icontains(v, vlen, "chunked");
			} else if (nlen == 10 && ieq_prefix(line, nlen, "connection")) {
				if (icontains(v, vlen, "close"))
					close_conn_flag = 1;
				else if (icontains(v, vlen, "keep-alive"))
					close_conn_flag = 0;
			}
		}
		line = eol + 2;
	}

	r->status = status;
	r->close = close_conn_flag;
	r->body = buf + head_len;
	if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
		r->body_len = 0;
		return 1;
	}
	if (chunked) {
		size_t blen = 0;
		int rc = dechunk(buf + head_len, n - head_len, &blen);
		if (rc <= 0)
			return rc;
		r->body_len = blen;
		r->body[blen] = '\0';
		return 1;
	}
	if (have_len) {
		if (clen > IN_CAP_MAX)
			return -1;
		if (n - head_len < clen)
			return 0;
		r->body_len = (size_t)clen;
		return 1;
	}
	/* No length: the body runs to the end of the connection; not used by crowdloop. */
	return -1;
}

/* The value of the "id" member of the top-level JSON object, or -1. */
/* Offset of the value of `key` in the top-level object of s[0..n), or -1. */
static long json_top_key(const char *s, size_t n, const char *key)
{
	size_t want = strlen(key);
	int depth = 0;
	size_t i = 0;
	while (i < n) {
		char ch = s[i];
		if (ch == '"') {
			size_t start = ++i;
			while (i < n && s[i] != '"')
				i += s[i] == '\\' ? 2 : 1;
			if (i >= n)
				return -1;
			size_t klen = i - start;
			i++;
			if (depth != 1 || klen != want || memcmp(s + start, key, want) != 0)
				continue;
			while (i < n &&
			       (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
				i++;
			if (i >= n || s[i] != ':')
				continue;
			i++;
			while (i < n &&
			       (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r'))
				i++;
			return i < n ? (long)i : -1;
		}
		if (ch == '{' || ch == '[')
			depth++;
		else if (ch == '}' || ch == ']')
			depth--;
		i++;
	}
	return -1;
}

/* The top-level "id" of a JSON object, or -1. */
static long long json_top_id(const char *s, size_t n)
{
	long at = json_top_key(s, n, "id");
	if (at < 0)
		return -1;
	long long v = 0;
	int digits = 0;
	for (size_t i = (size_t)at; i < n && s[i] >= '0' && s[i] <= '9' && digits < 18; i++) {
		v = v * 10 + (s[i] - '0');
		digits++;
	}
	return digits ? v : -1;
}

/* The id of the task in a chained answer's "next": 0 when it is null, -1 when absent. */
static long long json_next_id(const char *s, size_t n)
{
	long at = json_top_key(s, n, "next");
	if (at < 0)
		return -1;
	if (s[at] == 'n')
		return 0;
	return s[at] == '{' ? json_top_id(s + at, n - (size_t)at) : -1;
}

/* After a chained submit or approval: the next task to work on, or back off before asking for
 * one when none came. Returns whether to go on at once. */
static int take_next(struct conn *c, const struct response *r)
{
	long long id = json_next_id(r->body, r->body_len);
	if (id < 0)
		mine.errs.no_id++;
	c->task_id = id > 0 ? id : 0;
	return id > 0;
}

static uint64_t backoff_ns(void)
{
	return (uint64_t)opt.backoff_ms * 1000000ULL;
}

/* Acts on a complete answer: records it and issues the role's next request (or backs off). */
static void on_response(struct conn *c, const struct response *r, uint64_t done)
{
	int st = r->status;
	int ok = st >= 200 && st < 300;
	int again = 1; /* issue the next request now; 0: back off first */

	record(c->route, st, c->sent_at, done);
	switch (c->route) {
	case R_HEALTHZ:
	case R_PREDICT: break;
	case R_TASK_NEXT:
	case R_REVIEW_NEXT:
		if (st == 200) {
			long long id = json_top_id(r->body, r->body_len);
			if (id > 0) {
				c->task_id = id;
			} else {
				mine.errs.no_id++;
				again = 0;
			}
		} else {
			again = 0;
		}
		break;
	case R_SUBMIT:
		c->task_id = 0;
		again = opt.chained && st == 200 ? take_next(c, r) : ok;
		break;
	case R_REVIEW:
		c->task_id = 0;
		if (st == 200) {
			cycles_total++;
			uint64_t from = measure_start;
			if (from && c->sent_at >= from)
				mine.cycles++;
		}
		again = opt.chained && st == 200 ? take_next(c, r) : ok;
		break;
	case R_COUNT: break;
	}
	if (r->close) {
		mine.errs.server_close++;
		reconnect_later(c, again ? 0 : backoff_ns());
		return;
	}
	if (again)
		issue(c);
	else
		sleep_conn(c, backoff_ns());
}

static void on_readable(struct conn *c)
{
	for (int rounds = 0; rounds < 64; rounds++) {
		if (c->in_cap - c->in_len < 4096) {
			size_t cap = c->in_cap ? c->in_cap * 2 : 16384;
			if (cap > IN_CAP_MAX + 4096) {
				mine.errs.parse++;
				reconnect_later(c, RECONNECT_DELAY_NS);
				return;
			}
			char *p = realloc(c->in, cap);
			if (!p) {
				mine.errs.parse++;
				reconnect_later(c, RECONNECT_DELAY_NS);
				return;
			}
			c->in = p;
			c->in_cap = cap;
		}
		ssize_t got = recv(c->fd, c->in + c->in_len, c->in_cap - c->in_len - 1, 0);
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (got <= 0) {
			/* Closed (or reset). Idle connections closed by the server are not errors.
			 */
			if (c->state == C_BUSY)
				mine.errs.reset++;
			else
				mine.errs.server_close++;
			reconnect_later(c, c->state == C_BUSY ? RECONNECT_DELAY_NS : 0);
			return;
		}
		if (c->state != C_BUSY) {
			/* Bytes nobody asked for. */
			mine.errs.parse++;
			reconnect_later(c, RECONNECT_DELAY_NS);
			return;
		}
		c->in_len += (size_t)got;
		c->in[c->in_len] = '\0';
		struct response r;
		int rc = parse_response(c, &r);
		if (rc < 0) {
			mine.errs.parse++;
			reconnect_later(c, RECONNECT_DELAY_NS);
			return;
		}
		if (rc > 0) {
			on_response(c, &r, now_ns());
			return;
		}
	}
}

static void on_event(struct conn *c, uint32_t events)
{
	if (c->fd < 0)
		return;
	if (c->state == C_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err ||
		    (events & (EPOLLERR | EPOLLHUP))) {
			mine.errs.connect++;
			reconnect_later(c, RECONNECT_DELAY_NS * 10);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		set_events(c, 0);
		if (running)
			issue(c);
		else
			c->state = C_READY;
		return;
	}
	if ((events & EPOLLOUT) && c->state == C_BUSY && c->out_off < c->out_len) {
		flush_out(c);
		if (c->fd < 0)
			return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		on_readable(c);
}

/* Runs the timers: wakes sleeping connections and times out stuck ones. Returns the next
 * timer in ns (UINT64_MAX when none). */
static uint64_t run_timers(uint64_t now)
{
	uint64_t next = UINT64_MAX;
	for (int i = 0; i < nconns; i++) {
		struct conn *c = &conns[i];
		if (c->state == C_SLEEPING) {
			if (c->wake_at <= now) {
				if (c->fd < 0 || running)
					issue(c);
				else
					c->state = C_READY;
			}
		} else if (c->state == C_BUSY || c->state == C_CONNECTING) {
			if (c->deadline <= now) {
				mine.errs.timeout++;
				reconnect_later(c, RECONNECT_DELAY_NS);
			}
		}
		if (c->state == C_SLEEPING && c->wake_at < next)
			next = c->wake_at;
		else if ((c->state == C_BUSY || c->state == C_CONNECTING) && c->deadline < next)
			next = c->deadline;
	}
	return next;
}

/* One round of the event loop, waiting at most until `until` (ns). */
static void loop_once(uint64_t until)
{
	struct epoll_event evs[256];
	uint64_t now = now_ns();
	uint64_t next = run_timers(now);
	if (until < next)
		next = until;
	/* To the nanosecond, as --rate's due times need; whole milliseconds where the kernel has no
	 * epoll_pwait2. */
	static _Atomic int coarse;
	uint64_t wait = next > now ? next - now : 0;
	if (wait > 1000000000ULL)
		wait = 1000000000ULL;
	struct timespec ts = {(time_t)(wait / 1000000000ULL), (long)(wait % 1000000000ULL)};
	int n = coarse ? -1 : epoll_pwait2(epfd, evs, 256, &ts, NULL);
	if (n < 0 && errno == ENOSYS)
		coarse = 1;
	if (coarse)
		n = epoll_wait(epfd, evs, 256, (int)((wait + 999999) / 1000000));
	for (int i = 0; i < n; i++)
		on_event(evs[i].data.ptr, evs[i].events);
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 +
	       (double)ru.ru_stime.tv_sec + (double)ru.ru_stime.tv_usec / 1e6;
}

static void report(double elapsed, double cpu)
{
	uint64_t total = 0, ok = 0, non2xx = 0;
	for (int r = 0; r < R_COUNT; r++) {
		total += merged.rstats[r].count;
		ok += merged.rstats[r].ok;
	}
	non2xx = total - ok;
	double rps = elapsed > 0 ? (double)total / elapsed : 0;
	double cps = elapsed > 0 ? (double)merged.cycles / elapsed : 0;

	if (opt.healthz)
		printf("mode healthz: %d connections, %.2f s measured\n", opt.connections, elapsed);
	else if (opt.predict)
		printf("mode predict: endpoint %s, %d connections, %d bodies, %.2f s measured\n",
		       opt.predict, opt.connections, nbodies, elapsed);
	else
		printf("mode cycles%s: %d connections (%d workers, %d reviewers), project %lld, "
		       "%.2f s measured\n",
		       opt.chained ? " (chained)" : "", opt.connections,
		       opt.connections - opt.reviewers, opt.reviewers, opt.project, elapsed);
	if (opt.rate > 0)
		printf("paced: %.0f requests/s due in all, each timed from when it was due\n",
		       opt.rate);
	printf("requests: %llu (%.1f/s), 2xx %llu, non-2xx %llu\n", (unsigned long long)total, rps,
	       (unsigned long long)ok, (unsigned long long)non2xx);
	if (opt.cycles)
		printf("full cycles (approvals): %llu (%.1f/s)\n",
		       (unsigned long long)merged.cycles, cps);
	printf("%-34s %9s %9s %7s %8s %8s %8s %8s\n", "route", "count", "2xx", "204", "mean_us",
	       "p50_us", "p99_us", "max_us");
	for (int r = 0; r < R_COUNT; r++) {
		const struct route_stats *s = &merged.rstats[r];
		if (!s->count)
			continue;
		printf("%-34s %9llu %9llu %7llu %8llu %8llu %8llu %8llu\n", route_names[r],
		       (unsigned long long)s->count, (unsigned long long)s->ok,
		       (unsigned long long)s->no_content,
		       (unsigned long long)(s->sum_us / s->count),
		       (unsigned long long)hist_percentile(s, 0.50),
		       (unsigned long long)hist_percentile(s, 0.99), (unsigned long long)s->max_us);
	}
	printf("non-2xx by status:");
	int any = 0;
	for (int st = 0; st < 600; st++) {
		if (merged.status_counts[st]) {
			printf(" %d=%llu", st, (unsigned long long)merged.status_counts[st]);
			any = 1;
		}
	}
	if (merged.status_other) {
		printf(" other=%llu", (unsigned long long)merged.status_other);
		any = 1;
	}
	printf("%s\n", any ? "" : " none");
	printf("errors: connect %llu, reset %llu, timeout %llu, parse %llu, no_id %llu; "
	       "server closes %llu\n",
	       (unsigned long long)merged.errs.connect, (unsigned long long)merged.errs.reset,
	       (unsigned long long)merged.errs.timeout, (unsigned long long)merged.errs.parse,
	       (unsigned long long)merged.errs.no_id, (unsigned long long)merged.errs.server_close);
	printf("loadgen cpu: %.2f s (%.0f%% of one core)\n", cpu,
	       elapsed > 0 ? 100 * cpu / elapsed : 0);

	printf("RESULT mode=%s chained=%d connections=%d rate=%.0f elapsed_s=%.3f requests=%llu "
	       "rps=%.1f cycles=%llu "
	       "cycles_per_s=%.1f non2xx=%llu errors=%llu loadgen_cpu_pct=%.0f",
	       opt.healthz ? "healthz" : opt.predict ? "predict" : "cycles", opt.chained, opt.connections, opt.rate, elapsed,
	       (unsigned long long)total, rps, (unsigned long long)merged.cycles, cps,
	       (unsigned long long)non2xx,
	       (unsigned long long)(merged.errs.connect + merged.errs.reset + merged.errs.timeout +
				    merged.errs.parse + merged.errs.no_id),
	       elapsed > 0 ? 100 * cpu / elapsed : 0);
	for (int r = 0; r < R_COUNT; r++) {
		const struct route_stats *s = &merged.rstats[r];
		if (!s->count)
			continue;
		printf(" %s_count=%llu %s_p50_us=%llu %s_p99_us=%llu %s_max_us=%llu", route_keys[r],
		       (unsigned long long)s->count, route_keys[r],
		       (unsigned long long)hist_percentile(s, 0.50), route_keys[r],
		       (unsigned long long)hist_percentile(s, 0.99), route_keys[r],
		       (unsigned long long)s->max_us);
	}
	printf("\n");
	fflush(stdout);
}

/* One thread's share of the connections: every `threads`-th one. */
struct shard {
	pthread_t thread;
	struct conn *conns;
	int n;
	int connected; /* after the connect phase */
};

/* The threads meet twice: once all have connected (the main thread then starts the clock),
 * and once the clock is set. */
static pthread_barrier_t connected_all, clock_set;

static void merge_stats(void)
{
	pthread_mutex_lock(&merged_lock);
	for (int r = 0; r < R_COUNT; r++) {
		struct route_stats *to = &merged.rstats[r];
		const struct route_stats *from = &mine.rstats[r];
		to->count += from->count;
		to->ok += from->ok;
		to->no_content += from->no_content;
		to->sum_us += from->sum_us;
		if (from->max_us > to->max_us)
			to->max_us = from->max_us;
		for (unsigned i = 0; i < HIST_BUCKETS; i++)
			to->hist[i] += from->hist[i];
	}
	for (int i = 0; i < 600; i++)
		merged.status_counts[i] += mine.status_counts[i];
	merged.status_other += mine.status_other;
	merged.cycles += mine.cycles;
	merged.errs.connect += mine.errs.connect;
	merged.errs.reset += mine.errs.reset;
	merged.errs.timeout += mine.errs.timeout;
	merged.errs.parse += mine.errs.parse;
	merged.errs.no_id += mine.errs.no_id;
	merged.errs.server_close += mine.errs.server_close;
	pthread_mutex_unlock(&merged_lock);
}

static void *shard_main(void *arg)
{
	struct shard *sh = arg;
	conns = sh->conns;
	nconns = sh->n;
	epfd = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 0; i < nconns && epfd >= 0; i++)
		start_connect(&conns[i]);

	/* Connect phase: open every connection before the clock starts (bounded). */
	uint64_t connect_end = now_ns() + CONNECT_PHASE_NS;
	for (;;) {
		int ready = 0;
		for (int i = 0; i < nconns; i++)
			ready += conns[i].state == C_READY;
		if (ready == nconns || now_ns() >= connect_end || stop_flag || epfd < 0)
			break;
		loop_once(connect_end);
	}
	for (int i = 0; i < nconns; i++)
		sh->connected += conns[i].state == C_READY;
	pthread_barrier_wait(&connected_all);
	pthread_barrier_wait(&clock_set);

	/* Go: every ready connection issues its first request. During the warm-up requests flow
	 * but nothing is recorded. */
	for (int i = 0; running && i < nconns; i++)
		if (conns[i].state == C_READY)
			issue(&conns[i]);
	while (running && !stop_flag) {
		uint64_t now = now_ns();
		if (!measure_start &&
		    (now >= warm_end ||
		     (opt.max_cycles && cycles_total >= (uint64_t)opt.max_cycles / 5)))
			start_measuring(now);
		if (now >= end_at)
			break;
		if (opt.max_cycles && cycles_total >= (uint64_t)opt.max_cycles)
			break;
		loop_once(measure_start ? end_at : warm_end);
	}
	for (int i = 0; i < nconns; i++) {
		close_conn(&conns[i]);
		free(conns[i].in);
	}
	if (epfd >= 0)
		close(epfd);
	merge_stats();
	return NULL;
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv))
		return 2;

	char **wtok = NULL, **rtok = NULL;
	int nw = 0, nr = 0;
	int total_conns = opt.connections;
	int reviewers = opt.cycles ? opt.reviewers : 0;
	int workers = opt.cycles ? total_conns - reviewers : 0;
	if (opt.cycles) {
		if (workers && (nw = load_lines(opt.workers_file, &token_lines, &wtok)) < 0)
			return 2;
		if (reviewers && (nr = load_lines(opt.reviewers_file, &token_lines, &rtok)) < 0)
			return 2;
		if ((workers && nw < workers) || (reviewers && nr < reviewers))
			fprintf(stderr, "loadgen: warning: fewer tokens than connections; "
					"connections will share users\n");
	}

	if (opt.predict && (nbodies = load_lines(opt.body_file, &body_lines, &bodies)) < 0)
		return 2;

	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int threads = opt.threads < total_conns ? opt.threads : total_conns;
	struct shard *shards = calloc((size_t)threads, sizeof *shards);
	if (!shards) {
		fprintf(stderr, "loadgen: out of resources\n");
		return 1;
	}
	for (int t = 0; t < threads; t++) {
		shards[t].conns = calloc((size_t)(total_conns / threads + 1), sizeof(struct conn));
		if (!shards[t].conns) {
			fprintf(stderr, "loadgen: out of resources\n");
			return 1;
		}
	}
	/* Connection i goes to thread i % threads, so each thread has workers and reviewers. */
	for (int i = 0; i < total_conns; i++) {
		struct shard *sh = &shards[i % threads];
		struct conn *c = &sh->conns[sh->n++];
		c->fd = -1;
		c->index = i;
		if (opt.healthz) {
			c->role = ROLE_HEALTHZ;
		} else if (opt.predict) {
			c->role = ROLE_PREDICT;
		} else if (i < workers) {
			c->role = ROLE_WORKER;
			c->token = wtok[i % nw];
		} else {
			c->role = ROLE_REVIEWER;
			c->token = rtok[(i - workers) % nr];
		}
	}

	if (opt.rate > 0) {
		rate_gap = (uint64_t)((double)total_conns * 1e9 / opt.rate);
		if (!rate_gap)
			rate_gap = 1;
		/* Wake-ups on time: the threads take this slack from the main one. */
		prctl(PR_SET_TIMERSLACK, 1000UL, 0, 0, 0);
	}
	pthread_barrier_init(&connected_all, NULL, (unsigned)threads + 1);
	pthread_barrier_init(&clock_set, NULL, (unsigned)threads + 1);
	for (int t = 0; t < threads; t++)
		if (pthread_create(&shards[t].thread, NULL, shard_main, &shards[t])) {
			fprintf(stderr, "loadgen: cannot start a thread\n");
			return 1;
		}
	pthread_barrier_wait(&connected_all);
	int connected = 0;
	for (int t = 0; t < threads; t++)
		connected += shards[t].connected;
	if (!connected)
		fprintf(stderr, "loadgen: cannot connect to port %d\n", opt.port);
	else if (connected < total_conns)
		fprintf(stderr, "loadgen: warning: only %d of %d connections opened\n", connected,
			total_conns);

	uint64_t t0 = now_ns();
	go_at = t0;
	warm_end = t0 + (uint64_t)(opt.warmup * 1e9);
	end_at = warm_end + (uint64_t)(opt.duration * 1e9);
	if (connected && opt.warmup <= 0)
		start_measuring(t0);
	running = connected > 0;
	pthread_barrier_wait(&clock_set);
	for (int t = 0; t < threads; t++)
		pthread_join(shards[t].thread, NULL);
	if (!connected)
		return 1;

	uint64_t now = now_ns();
	uint64_t from = measure_start;
	double cpu = from ? cpu_seconds() - cpu0 : 0;
	double elapsed = from && now > from ? (double)(now - from) / 1e9 : 0;
	report(elapsed, cpu);

	uint64_t ok = 0;
	for (int r = 0; r < R_COUNT; r++)
		ok += merged.rstats[r].ok;
	for (int i = 0; wtok && wtok[i]; i++)
		free(wtok[i]);
	for (int i = 0; rtok && rtok[i]; i++)
		free(rtok[i]);
	free(wtok);
	free(rtok);
	for (int i = 0; i < nbodies; i++)
		free(bodies[i]);
	free(bodies);
	for (int t = 0; t < threads; t++)
		free(shards[t].conns);
	free(shards);
	return ok ? 0 : 1;
}
