/* crowdloop-freezes: how long the machine itself stopped running during a benchmark, as a virtual
 * machine does when its host throttles it. One thread per CPU, pinned to it and, where allowed, at
 * the highest real-time priority, wakes every --tick-ms (1) on a fixed grid for --duration
 * seconds and counts every wake-up that came more than --late-ms (2) after its time. Such a
 * thread preempts every other thread of the guest at once, so a late wake-up is time the CPU did
 * not run at all (or ran only the guest kernel with interrupts off). Where real-time priority is
 * refused (not root), the threads run under the default policy and a late wake-up may also be
 * the guest's own threads in the way: the report says which. Prints per CPU the freezes, their
 * total and the longest, how many freezes every CPU had at the same time (their ends within one
 * tick), and one `RESULT key=value ...` line for scripts.
 *
 * It can also make the load itself, to see what draws the stops: --busy spins one thread on
 * each CPU (user space only), --flushes R writes 4 KiB to a file in $TMPDIR (or /tmp) and flushes
 * it with fdatasync R times a second (0: as often as one thread can), both under the default
 * policy. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_CPUS 256
#define MAX_FREEZES 100000

struct probe {
	pthread_t thread;
	int cpu;
	uint64_t count, total_ns, max_ns;
	uint64_t *ends; /* each freeze's end (ns), for the ones all CPUs had at once */
	size_t n_ends;
};

static double duration = 10, tick_ms = 1, late_ms = 2, flush_rate = -1;
static int realtime, busy;
static atomic_bool loads_stop;
static atomic_ulong flushes;

static uint64_t ns_of(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ULL + (uint64_t)t->tv_nsec;
}

static struct timespec timespec_of(uint64_t ns)
{
	return (struct timespec){(time_t)(ns / 1000000000ULL), (long)(ns % 1000000000ULL)};
}

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return ns_of(&t);
}

static void *probe_main(void *arg)
{
	struct probe *p = arg;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(p->cpu, &set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	uint64_t tick = (uint64_t)(tick_ms * 1e6), late = (uint64_t)(late_ms * 1e6);
	uint64_t due = now_ns(), end = due + (uint64_t)(duration * 1e9);
	while (due < end) {
		due += tick;
		struct timespec t = timespec_of(due);
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
			;
		uint64_t woke = now_ns(), behind = woke - due;
		if (behind <= late)
			continue;
		p->count++;
		p->total_ns += behind;
		if (behind > p->max_ns)
			p->max_ns = behind;
		if (p->n_ends < MAX_FREEZES)
			p->ends[p->n_ends++] = woke;
		due = woke - woke % tick; /* back on the grid, without a burst of catch-up ticks */
	}
	return NULL;
}

static void *busy_main(void *arg)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET((int)(intptr_t)arg, &set);
	pthread_setaffinity_np(pthread_self(), sizeof set, &set);
	volatile uint64_t spins = 0;
	while (!atomic_load_explicit(&loads_stop, memory_order_relaxed))
		spins++;
	return NULL;
}

static void *flush_main(void *arg)
{
	int fd = (int)(intptr_t)arg;
	static char block[4096];
	memset(block, 'x', sizeof block);
	uint64_t gap = flush_rate > 0 ? (uint64_t)(1e9 / flush_rate) : 0, due = now_ns();
	off_t at = 0;
	while (!atomic_load(&loads_stop)) {
		if (gap) {
			due += gap;
			struct timespec t = timespec_of(due);
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR)
				;
		}
		if (pwrite(fd, block, sizeof block, at) != (ssize_t)sizeof block || fdatasync(fd))
			break;
		at = (at + (off_t)sizeof block) % (8 << 20);
		atomic_fetch_add(&flushes, 1);
	}
	return NULL;
}

/* Starts the loads asked for (before the probes take the real-time policy): 0, or -1. */
static int start_loads(int n, pthread_t *threads, int *started)
{
	*started = 0;
	for (int c = 0; busy && c < n; c++)
		if (pthread_create(&threads[(*started)++], NULL, busy_main, (void *)(intptr_t)c))
			return -1;
	if (flush_rate < 0)
		return 0;
	const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	char path[4096];
	snprintf(path, sizeof path, "%s/crowdloop-freezes-XXXXXX", dir);
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	unlink(path);
	return pthread_create(&threads[(*started)++], NULL, flush_main, (void *)(intptr_t)fd) ? -1
												 : 0;
}

/* Freezes of CPU 0 that every other CPU also had, ending within one tick of it. Each CPU's ends
 * are in time order, so one pass a CPU keeps the count linear in the freezes. */
static uint64_t shared_freezes(const struct probe *p, int n)
{
	uint64_t tick = (uint64_t)(tick_ms * 1e6), shared = 0;
	size_t at[MAX_CPUS] = {0};
	for (size_t i = 0; i < p[0].n_ends; i++) {
		uint64_t a = p[0].ends[i];
		int all = 1;
		for (int c = 1; c < n; c++) {
			while (at[c] < p[c].n_ends && p[c].ends[at[c]] + tick < a)
				at[c]++;
			all &= at[c] < p[c].n_ends && p[c].ends[at[c]] <= a + tick;
		}
		shared += (uint64_t)all;
	}
	return shared;
}

static int parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--busy") == 0) {
			busy = 1;
			continue;
		}
		double *to = strcmp(argv[i], "--duration") == 0  ? &duration
			     : strcmp(argv[i], "--tick-ms") == 0 ? &tick_ms
			     : strcmp(argv[i], "--late-ms") == 0 ? &late_ms
			     : strcmp(argv[i], "--flushes") == 0 ? &flush_rate
								 : NULL;
		char *end = NULL;
		if (!to || i + 1 == argc) {
			fprintf(stderr, "usage: crowdloop-freezes [--duration 10] [--tick-ms 1] "
					"[--late-ms 2] [--busy] [--flushes R]\n");
			return -1;
		}
		*to = strtod(argv[++i], &end);
		double least = to == &flush_rate ? 0 : 1e-9;
		if (!end || *end || !(*to >= least && *to <= 86400 * (to == &flush_rate ? 1000 : 1))) {
			fprintf(stderr, "crowdloop-freezes: bad value for %s: %s\n", argv[i - 1],
				argv[i]);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (parse_args(argc, argv))
		return 2;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int n = cpus < 1 ? 1 : cpus > MAX_CPUS ? MAX_CPUS : (int)cpus;
	struct probe *p = calloc((size_t)n, sizeof *p);
	pthread_t loads[MAX_CPUS + 1];
	int n_loads = 0;
	if (!p)
		return 1;
	if (start_loads(n, loads, &n_loads)) {
		fprintf(stderr, "crowdloop-freezes: cannot start the load: %s\n", strerror(errno));
		return 1;
	}
	/* Threads take the policy of the thread that makes them. */
	struct sched_param sp = {.sched_priority = sched_get_priority_max(SCHED_FIFO)};
	realtime = pthread_setschedparam(pthread_self(), SCHED_FIFO, &sp) == 0;
	for (int c = 0; c < n; c++) {
		p[c].cpu = c;
		p[c].ends = malloc(MAX_FREEZES * sizeof *p[c].ends);
		if (!p[c].ends || pthread_create(&p[c].thread, NULL, probe_main, &p[c])) {
			fprintf(stderr, "crowdloop-freezes: cannot start a probe\n");
			return 1;
		}
	}
	uint64_t count = 0, total = 0, max = 0;
	for (int c = 0; c < n; c++) {
		pthread_join(p[c].thread, NULL);
		printf("cpu %d: %llu freezes over %.1f ms, %.1f ms in all, the longest %.1f ms\n", c,
		       (unsigned long long)p[c].count, late_ms, (double)p[c].total_ns / 1e6,
		       (double)p[c].max_ns / 1e6);
		count += p[c].count;
		total += p[c].total_ns;
		max = p[c].max_ns > max ? p[c].max_ns : max;
	}
	atomic_store(&loads_stop, true);
	for (int i = 0; i < n_loads; i++)
		pthread_join(loads[i], NULL);
	uint64_t shared = shared_freezes(p, n);
	printf("%s; %llu freezes of every CPU at once, in %.1f s\n",
	       realtime ? "real-time probes: a late wake-up is time the CPU did not run"
			: "probes under the default policy (real-time refused): a late wake-up may "
			  "also be the guest's own threads",
	       (unsigned long long)shared, duration);
	if (busy)
		printf("load: a busy thread on each CPU\n");
	if (flush_rate >= 0)
		printf("load: %lu flushes (%.0f a second)\n", (unsigned long)atomic_load(&flushes),
		       (double)atomic_load(&flushes) / duration);
	printf("RESULT cpus=%d realtime=%d seconds=%.1f freezes=%llu frozen_ms_per_cpu=%.1f "
	       "longest_ms=%.1f shared=%llu flushes=%lu\n",
	       n, realtime, duration, (unsigned long long)count, (double)total / 1e6 / n,
	       (double)max / 1e6, (unsigned long long)shared, (unsigned long)atomic_load(&flushes));
	for (int c = 0; c < n; c++)
		free(p[c].ends);
	free(p);
	return 0;
}
