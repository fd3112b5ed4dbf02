/* How long the local scheduler (src/jobs/scheduler.c) takes to place a large queue:
 * `crowdloop-sched-bench [JOBS] [ORGS]` (default 10,000 jobs across 20 orgs, seeded, so every run
 * places the same jobs). Two cases: a node large enough for the whole queue, placed in one pass;
 * and a contended node (64 cpus, 8 GPUs, quotas on half the orgs) that runs the queue through by
 * finishing the oldest running job and placing again, until every job has run. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jobs/scheduler.h"
#include "util/clock.h"

#define GIB (1ll << 30)

static uint64_t rng_state = 0x2545F4914F6CDD1Dull;

static int rnd(int n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (int)(rng_state % (uint64_t)n);
}

static sched_job *make_jobs(int n, int orgs)
{
	sched_job *jobs = malloc((size_t)n * sizeof *jobs);
	for (int i = 0; jobs && i < n; i++)
		jobs[i] = (sched_job){i,
				      rnd(orgs),
				      1 + rnd(8),
				      (int64_t)(1 + rnd(16)) * GIB,
				      rnd(4) == 0 ? 1 + rnd(2) : 0,
				      rnd(SCHED_PRIORITY_MAX + 1)};
	return jobs;
}

static sched *make_sched(const sched_node *node, int orgs, int quotas)
{
	sched *s = sched_new(node);
	for (int o = 0; s && quotas && o < orgs; o += 2)
		sched_org_set(s, o, &(sched_org_limits){16, 2, 1 + o % 3, SCHED_UNLIMITED});
	return s;
}

static double ms_since(int64_t t0)
{
	return (double)(clock_mono_ns() - t0) / 1e6;
}

/* The whole queue fits: submit it all, then one pass places every job. The node has cpus and
 * memory for all, but no more than 64 GPUs, so the GPU jobs ask for cpus and memory only here. */
static void bench_one_pass(const sched_job *jobs, int n, int orgs, sched_placement *out)
{
	sched *s = make_sched(&(sched_node){16 * n, 16 * GIB * n, 64}, orgs, 0);
	int64_t t0 = clock_mono_ns();
	for (int i = 0; i < n; i++) {
		sched_job cpu_only = jobs[i];
		cpu_only.gpus = 0;
		sched_submit(s, &cpu_only);
	}
	double submit_ms = ms_since(t0);
	t0 = clock_mono_ns();
	size_t placed = sched_place(s, out, (size_t)n);
	double place_ms = ms_since(t0);
	printf("large node: submit %d jobs %.2f ms; one pass placed %zu in %.2f ms\n", n, submit_ms,
	       placed, place_ms);
	sched_free(s);
}

/* A node far smaller than the queue: finish the oldest running job, place, until all have run. */
static void bench_contended(const sched_job *jobs, int n, int orgs, sched_placement *out)
{
	sched *s = make_sched(&(sched_node){64, 256 * GIB, 8}, orgs, 1);
	for (int i = 0; i < n; i++)
		sched_submit(s, &jobs[i]);
	int64_t *running = malloc((size_t)n * sizeof *running);
	size_t head = 0, tail = 0, passes = 0;
	int64_t t0 = clock_mono_ns();
	double first_ms = -1;
	while (tail < (size_t)n) {
		size_t k = sched_place(s, out, (size_t)n);
		if (first_ms < 0)
			first_ms = ms_since(t0);
		passes++;
		for (size_t i = 0; i < k; i++)
			running[tail++] = out[i].id;
		if (k == 0 && head == tail)
			break; /* nothing runs and nothing fits: cannot happen with these asks */
		if (head < tail)
			sched_finish(s, running[head++]);
	}
	double total_ms = ms_since(t0);
	printf("contended node (64 cpus, 8 GPUs): first pass %.3f ms; all %zu jobs through %zu "
	       "passes in %.1f ms (%.1f us a pass)\n",
	       first_ms, tail, passes, total_ms, total_ms * 1000 / (double)passes);
	free(running);
	sched_free(s);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 10000;
	int orgs = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20;
	if (n < 1 || orgs < 1) {
		fprintf(stderr, "usage: crowdloop-sched-bench [JOBS] [ORGS]\n");
		return 2;
	}
	sched_job *jobs = make_jobs(n, orgs);
	sched_placement *out = malloc((size_t)n * sizeof *out);
	if (!jobs || !out)
		return 1;
	bench_one_pass(jobs, n, orgs, out);
	bench_contended(jobs, n, orgs, out);
	free(jobs);
	free(out);
	return 0;
}
