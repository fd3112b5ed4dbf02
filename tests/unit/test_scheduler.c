/* Unit tests of jobs/scheduler: its invariants under thousands of seeded random submissions,
 * cancels, finishes and passes (never oversubscribed, quotas held, a GPU held once, FIFO within
 * an org and a priority, no higher-priority job left waiting for what a lower one took), and the
 * order it promises in small fixed cases (priority, fair share, weights, no starvation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "jobs/scheduler.h"
#include "util/err.h"

#define GIB (1ll << 30)
#define MAXJOBS 20000
#define NORGS 5

/* The test's own record of every job, to check the scheduler from outside. */
typedef struct tjob {
	sched_job ask;
	int state; /* enum sched_state */
	uint64_t mask;
} tjob;

static tjob jobs[MAXJOBS];
static int njobs;
static const sched_node node = {16, 64 * GIB, 4};
static const sched_org_limits quotas[NORGS] = {
    {8, 2, 1, 24 * GIB},
    {SCHED_UNLIMITED, 1, 2, SCHED_UNLIMITED},
    {6, SCHED_UNLIMITED, 1, 12 * GIB},
    {SCHED_UNLIMITED, SCHED_UNLIMITED, 1, SCHED_UNLIMITED},
    {4, 0, 3, 40 * GIB}};

enum held_what { HELD_CPUS, HELD_GPUS, HELD_MEM };

static uint64_t rng_state;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static int rnd(int n)
{
	return (int)(rng() % (uint64_t)n);
}

static int64_t ask_of(const sched_job *a, enum held_what what)
{
	return what == HELD_GPUS ? a->gpus : what == HELD_MEM ? a->mem_bytes : a->cpus;
}

static int64_t org_held(int org, enum held_what what)
{
	int64_t sum = 0;
	for (int i = 0; i < njobs; i++)
		if (jobs[i].state == SCHED_RUNNING && jobs[i].ask.org == org)
			sum += ask_of(&jobs[i].ask, what);
	return sum;
}

static int quota_allows(int64_t limit, int64_t want)
{
	return limit == SCHED_UNLIMITED || want <= limit;
}

/* Running jobs never hold more than the node, nor an org more than its quota; each device is
 * held by one job; the scheduler's figures agree with the test's. */
static void check_holdings(const sched *s)
{
	int64_t cpus = 0, mem = 0, gpus = 0;
	uint64_t held = 0;
	for (int i = 0; i < njobs; i++) {
		if (jobs[i].state != SCHED_RUNNING)
			continue;
		cpus += jobs[i].ask.cpus;
		mem += jobs[i].ask.mem_bytes;
		gpus += jobs[i].ask.gpus;
		assert_int_equal(held & jobs[i].mask, 0);
		assert_int_equal(__builtin_popcountll(jobs[i].mask), jobs[i].ask.gpus);
		held |= jobs[i].mask;
	}
	assert_true(cpus <= node.cpus && mem <= node.mem_bytes && gpus <= node.gpus);
	assert_int_equal(held & ~((1ull << node.gpus) - 1), 0);
	sched_usage u;
	sched_available(s, &u);
	assert_int_equal(u.cpus, node.cpus - cpus);
	assert_int_equal(u.mem_bytes, node.mem_bytes - mem);
	assert_int_equal(u.gpu_mask, ((1ull << node.gpus) - 1) & ~held);
	for (int o = 0; o < NORGS; o++) {
		assert_true(quota_allows(quotas[o].max_cpus, org_held(o, 0)));
		assert_true(quota_allows(quotas[o].max_gpus, org_held(o, 1)));
		assert_true(quota_allows(quotas[o].max_mem_bytes, org_held(o, HELD_MEM)));
	}
}

/* The first queued job of each org at each priority, or -1: found again after every pass. */
static int heads[NORGS][SCHED_PRIORITY_MAX + 1];

static void find_heads(void)
{
	memset(heads, -1, sizeof heads);
	for (int i = njobs - 1; i >= 0; i--)
		if (jobs[i].state == SCHED_QUEUED)
			heads[jobs[i].ask.org][jobs[i].ask.priority] = i;
}

static int is_head(int i)
{
	return heads[jobs[i].ask.org][jobs[i].ask.priority] == i;
}

/* Whether waiting head `h` had room in its org's quota, whatever the pass did for its org's
 * lower priorities: its org's running jobs, the heads waiting above it, and itself. */
static int quota_eligible(int h)
{
	int64_t org = jobs[h].ask.org, cpus = org_held((int)org, 0), gpus = org_held((int)org, 1);
	int64_t mem = org_held((int)org, HELD_MEM);
	for (int p = jobs[h].ask.priority + 1; p <= SCHED_PRIORITY_MAX; p++)
		if (heads[org][p] >= 0) {
			cpus += jobs[heads[org][p]].ask.cpus;
			gpus += jobs[heads[org][p]].ask.gpus;
			mem += jobs[heads[org][p]].ask.mem_bytes;
		}
	return quota_allows(quotas[org].max_cpus, cpus + jobs[h].ask.cpus) &&
	       quota_allows(quotas[org].max_gpus, gpus + jobs[h].ask.gpus) &&
	       quota_allows(quotas[org].max_mem_bytes, mem + jobs[h].ask.mem_bytes);
}

/* A job placed at out[k] had room beyond every waiting, eligible head of a higher priority, in
 * each resource it took: free at its placement = free after the pass + what was placed from it
 * on. */
static void check_priority(const sched *s, const sched_placement *out, size_t n, size_t k)
{
	sched_usage u;
	sched_available(s, &u);
	int64_t free_c = u.cpus, free_m = u.mem_bytes, free_g = u.gpus;
	for (size_t m = k; m < n; m++) {
		const sched_job *a = &jobs[out[m].id].ask;
		free_c += a->cpus, free_m += a->mem_bytes, free_g += a->gpus;
	}
	const sched_job *l = &jobs[out[k].id].ask;
	int64_t want_c = l->cpus, want_m = l->mem_bytes, want_g = l->gpus;
	for (int h = 0; h < njobs; h++)
		if (jobs[h].state == SCHED_QUEUED && jobs[h].ask.priority > l->priority &&
		    is_head(h) && quota_eligible(h)) {
			want_c += jobs[h].ask.cpus;
			want_m += jobs[h].ask.mem_bytes;
			want_g += jobs[h].ask.gpus;
		}
	assert_true(want_c <= free_c);
	assert_true(l->mem_bytes == 0 || want_m <= free_m);
	assert_true(l->gpus == 0 || want_g <= free_g);
}

/* Nor did the job placed at out[k] take its org's quota from the org's heads waiting above it:
 * what the org held at its placement, itself and those heads fit the quota. */
static void check_quota_order(const sched_placement *out, size_t n, size_t k)
{
	const sched_job *l = &jobs[out[k].id].ask;
	int64_t cpus = org_held((int)l->org, 0), gpus = org_held((int)l->org, 1);
	int64_t mem = org_held((int)l->org, HELD_MEM);
	for (size_t m = k + 1; m < n; m++)
		if (jobs[out[m].id].ask.org == l->org) {
			cpus -= jobs[out[m].id].ask.cpus;
			gpus -= jobs[out[m].id].ask.gpus;
			mem -= jobs[out[m].id].ask.mem_bytes;
		}
	for (int p = l->priority + 1; p <= SCHED_PRIORITY_MAX; p++)
		if (heads[l->org][p] >= 0) {
			cpus += jobs[heads[l->org][p]].ask.cpus;
			gpus += jobs[heads[l->org][p]].ask.gpus;
			mem += jobs[heads[l->org][p]].ask.mem_bytes;
		}
	assert_true(quota_allows(quotas[l->org].max_cpus, cpus));
	assert_true(quota_allows(quotas[l->org].max_gpus, gpus));
	assert_true(quota_allows(quotas[l->org].max_mem_bytes, mem));
}

/* One pass: each placement was queued, FIFO within its org and priority, then the invariants. */
/* A digest of every placement of a run, to compare two runs. */
static uint64_t placed_digest;

static void pass(sched *s)
{
	static sched_placement out[MAXJOBS];
	size_t n = sched_place(s, out, MAXJOBS);
	for (size_t k = 0; k < n; k++)
		placed_digest = (placed_digest ^ (uint64_t)out[k].id ^ out[k].gpu_mask << 32) *
				0x100000001B3ull;
	for (size_t k = 0; k < n; k++) {
		tjob *j = &jobs[out[k].id];
		assert_int_equal(j->state, SCHED_QUEUED);
		assert_true(k == 0 || out[k - 1].id < out[k].id ||
			    jobs[out[k - 1].id].ask.org != j->ask.org ||
			    jobs[out[k - 1].id].ask.priority != j->ask.priority);
		j->state = SCHED_RUNNING;
		j->mask = out[k].gpu_mask;
		assert_int_equal(sched_job_state(s, out[k].id), SCHED_RUNNING);
	}
	find_heads();
	/* FIFO: nothing placed while an earlier job of its org and priority still waits. */
	for (size_t k = 0; k < n; k++) {
		const sched_job *a = &jobs[out[k].id].ask;
		assert_true(heads[a->org][a->priority] < 0 ||
			    heads[a->org][a->priority] > out[k].id);
	}
	check_holdings(s);
	for (size_t k = 0; k < n; k++) {
		check_priority(s, out, n, k);
		check_quota_order(out, n, k);
	}
}

static void submit_random(sched *s)
{
	int org = rnd(NORGS);
	int gmax = quotas[org].max_gpus == SCHED_UNLIMITED ? 3 : quotas[org].max_gpus;
	sched_job a = {
	    njobs, org, 1 + rnd(6), (int64_t)rnd(20) * GIB, rnd(4) == 0 ? rnd(gmax + 1) : 0,
	    rnd(4)};
	if (!quota_allows(quotas[org].max_cpus, a.cpus) ||
	    !quota_allows(quotas[org].max_mem_bytes, a.mem_bytes)) {
		assert_int_equal(sched_submit(s, &a), CL_EINVAL);
		return;
	}
	assert_int_equal(sched_submit(s, &a), CL_OK);
	jobs[njobs++] = (tjob){a, SCHED_QUEUED, 0};
}

/* The finish or cancel of a random job in `state`, when there is one. */
static void end_random(sched *s, int state)
{
	int start = rnd(njobs ? njobs : 1);
	for (int k = 0; k < njobs; k++) {
		int i = (start + k) % njobs;
		if (jobs[i].state != state)
			continue;
		int rc = state == SCHED_RUNNING ? sched_finish(s, i) : sched_cancel(s, i);
		assert_int_equal(rc, CL_OK);
		jobs[i].state = SCHED_UNKNOWN;
		assert_int_equal(sched_job_state(s, i), SCHED_UNKNOWN);
		return;
	}
}

static void run_random(uint64_t seed, int steps)
{
	rng_state = seed;
	njobs = 0;
	placed_digest = 0xCBF29CE484222325ull;
	sched *s = sched_new(&node);
	assert_non_null(s);
	for (int o = 0; o < NORGS; o++)
		assert_int_equal(sched_org_set(s, o, &quotas[o]), CL_OK);
	for (int step = 0; step < steps && njobs < MAXJOBS; step++) {
		int r = rnd(100);
		if (r < 40)
			submit_random(s);
		else if (r < 65)
			end_random(s, SCHED_RUNNING);
		else if (r < 72)
			end_random(s, SCHED_QUEUED);
		else
			pass(s);
	}
	sched_free(s);
}

static void test_random_invariants(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 4; seed++)
		run_random(seed * 0x9E3779B97F4A7C15ull, 3000);
}

/* Deterministic: the same calls in the same order place the same jobs on the same devices. */
static void test_deterministic(void **state)
{
	(void)state;
	run_random(42, 2000);
	uint64_t first = placed_digest;
	run_random(42, 2000);
	assert_int_equal(placed_digest, first);
	run_random(43, 2000);
	assert_int_not_equal(placed_digest, first);
}

static void submit(sched *s, int64_t id, int64_t org, int cpus, int gpus, int prio)
{
	sched_job a = {id, org, cpus, GIB, gpus, prio};
	assert_int_equal(sched_submit(s, &a), CL_OK);
}

static size_t place(sched *s, sched_placement *out)
{
	return sched_place(s, out, 64);
}

static void test_priority_then_fifo(void **state)
{
	(void)state;
	sched *s = sched_new(&(sched_node){4, 16 * GIB, 0});
	submit(s, 1, 7, 2, 0, 1);
	submit(s, 2, 7, 2, 0, 5);
	submit(s, 3, 7, 2, 0, 5);
	submit(s, 4, 7, 2, 0, 5);
	sched_placement out[64];
	assert_int_equal(place(s, out), 2);
	assert_int_equal(out[0].id, 2);
	assert_int_equal(out[1].id, 3);
	assert_int_equal(sched_finish(s, 2), CL_OK);
	assert_int_equal(place(s, out), 1);
	assert_int_equal(out[0].id, 4);
	assert_int_equal(sched_job_state(s, 1), SCHED_QUEUED);
	sched_free(s);
}

/* Two orgs at one priority: the one holding less of the node goes first; with weight 3 an org
 * is owed three times the share. */
static void test_fair_share(void **state)
{
	(void)state;
	sched *s = sched_new(&(sched_node){8, 16 * GIB, 0});
	sched_placement out[64];
	submit(s, 1, 100, 2, 0, 3);
	assert_int_equal(place(s, out), 1);
	for (int i = 0; i < 3; i++)
		submit(s, 10 + i, 100, 1, 0, 3);
	for (int i = 0; i < 3; i++)
		submit(s, 20 + i, 200, 1, 0, 3);
	assert_int_equal(place(s, out), 6);
	/* org 200 holds nothing, org 100 two cpus: 200 twice, then turns by the earlier head. */
	int64_t want[6] = {20, 21, 10, 22, 11, 12};
	for (int i = 0; i < 6; i++)
		assert_int_equal(out[i].id, want[i]);
	sched_free(s);

	s = sched_new(&(sched_node){8, 16 * GIB, 0});
	assert_int_equal(sched_org_set(s, 200, &(sched_org_limits){-1, -1, 3, -1}), CL_OK);
	for (int i = 0; i < 8; i++) {
		submit(s, 10 + i, 100, 1, 0, 3);
		submit(s, 20 + i, 200, 1, 0, 3);
	}
	assert_int_equal(place(s, out), 8);
	sched_usage u;
	assert_int_equal(sched_org_usage(s, 200, &u), CL_OK);
	assert_int_equal(u.cpus, 6);
	sched_free(s);
}

/* A waiting higher-priority job keeps what it needs: small lower ones do not starve it. */
static void test_no_starvation(void **state)
{
	(void)state;
	sched *s = sched_new(&(sched_node){4, 16 * GIB, 2});
	sched_placement out[64];
	for (int i = 0; i < 4; i++)
		submit(s, 1 + i, 1, 1, 0, 0);
	assert_int_equal(place(s, out), 4);
	submit(s, 100, 2, 4, 0, 9);
	for (int i = 0; i < 4; i++) {
		assert_int_equal(sched_finish(s, 1 + i), CL_OK);
		submit(s, 10 + i, 1, 1, 0, 0);
		size_t n = place(s, out);
		assert_int_equal(n, i == 3 ? 1 : 0);
	}
	assert_int_equal(out[0].id, 100);
	sched_free(s);

	/* A GPU job waiting for a device holds back the devices and its cpus, not the other cpus.
	 */
	s = sched_new(&(sched_node){4, 16 * GIB, 2});
	submit(s, 200, 3, 1, 2, 8);
	assert_int_equal(place(s, out), 1);
	submit(s, 201, 3, 1, 1, 8);
	submit(s, 202, 4, 1, 1, 1);
	submit(s, 10, 1, 1, 0, 0);
	submit(s, 11, 1, 1, 0, 0);
	assert_int_equal(place(s, out), 1);
	assert_int_equal(out[0].id, 10);
	assert_int_equal(sched_finish(s, 200), CL_OK);
	assert_int_equal(place(s, out), 3);
	assert_int_equal(out[0].id, 201);
	assert_int_equal(out[1].id, 202);
	assert_int_equal(out[2].id, 11);
	assert_int_equal(out[0].gpu_mask | out[1].gpu_mask, 3);
	sched_free(s);
}

static void test_quota_and_gpus(void **state)
{
	(void)state;
	sched *s = sched_new(&(sched_node){16, 16 * GIB, 4});
	sched_placement out[64];
	assert_int_equal(sched_org_set(s, 5, &(sched_org_limits){16, 2, 1, -1}), CL_OK);
	for (int i = 0; i < 3; i++)
		submit(s, 1 + i, 5, 1, 1, 2);
	submit(s, 9, 6, 1, 2, 0);
	assert_int_equal(place(s, out), 3);
	assert_int_equal(out[0].gpu_mask, 1);
	assert_int_equal(out[1].gpu_mask, 2);
	assert_int_equal(out[2].id, 9);
	assert_int_equal(out[2].gpu_mask, 12);
	char list[32];
	assert_int_equal(sched_gpu_list(out[2].gpu_mask, list, sizeof list), CL_OK);
	assert_string_equal(list, "2,3");
	assert_int_equal(sched_gpu_list(0, list, sizeof list), CL_OK);
	assert_string_equal(list, "");
	assert_int_equal(sched_gpu_list(1ull << 63 | 1, list, 4), CL_ETOOBIG);
	assert_int_equal(sched_job_state(s, 3), SCHED_QUEUED);
	sched_free(s);
}

/* Memory is an org's quota as cpus are: a job over it is refused, and jobs that fit one by one
 * but not together run one after the other, while another org's job takes the free room. */
static void test_memory_quota(void **state)
{
	(void)state;
	sched *s = sched_new(&(sched_node){16, 64 * GIB, 0});
	assert_int_equal(sched_org_set(s, 1, &(sched_org_limits){-1, -1, 1, 8 * GIB}), CL_OK);
	assert_int_equal(sched_submit(s, &(sched_job){1, 1, 1, 9 * GIB, 0, 0}), CL_EINVAL);
	assert_int_equal(sched_submit(s, &(sched_job){2, 1, 1, 6 * GIB, 0, 0}), CL_OK);
	assert_int_equal(sched_submit(s, &(sched_job){3, 1, 1, 6 * GIB, 0, 0}), CL_OK);
	assert_int_equal(sched_submit(s, &(sched_job){4, 2, 1, 6 * GIB, 0, 0}), CL_OK);
	sched_placement out[4];
	assert_int_equal(sched_place(s, out, 4), 2);
	assert_int_equal(sched_job_state(s, 2), SCHED_RUNNING);
	assert_int_equal(sched_job_state(s, 3), SCHED_QUEUED);
	assert_int_equal(sched_job_state(s, 4), SCHED_RUNNING);
	assert_int_equal(sched_finish(s, 2), CL_OK);
	assert_int_equal(sched_place(s, out, 4), 1);
	assert_int_equal(out[0].id, 3);
	sched_free(s);
}

static void test_refusals_and_adopt(void **state)
{
	(void)state;
	sched *s = sched_new(&(sched_node){4, GIB, 2});
	assert_int_equal(sched_org_set(s, 1, &(sched_org_limits){2, 0, 1, -1}), CL_OK);
	assert_int_equal(sched_org_set(s, 1, &(sched_org_limits){2, 0, 0, -1}), CL_EINVAL);
	assert_int_equal(sched_org_set(s, 1, &(sched_org_limits){2, 0, 1, -2}), CL_EINVAL);
	sched_job bad[] = {{1, 2, 0, 0, 0, 0}, {1, 2, 5, 0, 0, 0},  {1, 2, 1, 2 * GIB, 0, 0},
			   {1, 2, 1, 0, 3, 0}, {1, 2, 1, 0, 0, 10}, {1, 1, 3, 0, 0, 0},
			   {1, 1, 1, 0, 1, 0}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(sched_submit(s, &bad[i]), CL_EINVAL);
	sched_job a = {7, 2, 2, 0, 1, 0};
	assert_int_equal(sched_adopt(s, &a, 2), CL_OK);
	assert_int_equal(sched_adopt(s, &(sched_job){8, 2, 1, 0, 1, 0}, 2), CL_ECONFLICT);
	assert_int_equal(sched_submit(s, &a), CL_ECONFLICT);
	assert_int_equal(sched_cancel(s, 7), CL_ENOTFOUND);
	sched_placement out[4];
	submit(s, 8, 2, 1, 1, 0);
	assert_int_equal(sched_place(s, out, 4), 1);
	assert_int_equal(out[0].gpu_mask, 1);
	assert_int_equal(sched_finish(s, 7), CL_OK);
	assert_int_equal(sched_finish(s, 7), CL_ENOTFOUND);
	/* Adopted over a quota lowered meanwhile: it runs, and holds the org's queue back; never
	 * over what the node has free. */
	assert_int_equal(sched_adopt(s, &(sched_job){9, 1, 4, 0, 0, 0}, 0), CL_ECONFLICT);
	assert_int_equal(sched_finish(s, 8), CL_OK);
	assert_int_equal(sched_adopt(s, &(sched_job){9, 1, 4, 0, 0, 0}, 0), CL_OK);
	assert_int_equal(sched_adopt(s, &(sched_job){10, 1, 1, 0, 1, 0}, 0), CL_EINVAL);
	submit(s, 11, 1, 1, 0, 9);
	assert_int_equal(sched_place(s, out, 4), 0);
	assert_int_equal(sched_finish(s, 9), CL_OK);
	assert_int_equal(sched_place(s, out, 4), 1);
	sched_usage u;
	assert_int_equal(sched_org_usage(s, 3, &u), CL_ENOTFOUND);
	sched_free(s);
}

/* Many live ids through the index: growth, and removals in the middle of probe runs. */
static void test_many_ids(void **state)
{
	(void)state;
	sched *s = sched_new(&(sched_node){1, GIB, 0});
	for (int64_t id = 0; id < 5000; id++)
		assert_int_equal(sched_submit(s, &(sched_job){id * 4096, id % 20, 1, 0, 0, 0}),
				 CL_OK);
	for (int64_t id = 0; id < 5000; id += 2)
		assert_int_equal(sched_cancel(s, id * 4096), CL_OK);
	for (int64_t id = 0; id < 5000; id++)
		assert_int_equal(sched_job_state(s, id * 4096),
				 id % 2 ? SCHED_QUEUED : SCHED_UNKNOWN);
	sched_free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random_invariants),  cmocka_unit_test(test_deterministic),
	    cmocka_unit_test(test_priority_then_fifo), cmocka_unit_test(test_fair_share),
	    cmocka_unit_test(test_no_starvation),      cmocka_unit_test(test_quota_and_gpus),
	    cmocka_unit_test(test_memory_quota),
	    cmocka_unit_test(test_refusals_and_adopt), cmocka_unit_test(test_many_ids),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
