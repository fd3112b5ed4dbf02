/* Unit tests of the bounded work queue (util/work_queue.c), the shadow's path off the request:
 * a push never waits for a slow job, a full queue drops and counts, and every queued job runs
 * in order on the queue's thread. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>

#include "util/work_queue.h"

/* A job runner that holds the first job until the test opens the gate. */
typedef struct gate {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool open, started;
	int order[16];
	int ran;
} gate;

static void gated_run(void *ctx, void *job)
{
	gate *g = ctx;
	pthread_mutex_lock(&g->lock);
	g->started = true;
	pthread_cond_broadcast(&g->cond);
	while (!g->open)
		pthread_cond_wait(&g->cond, &g->lock);
	g->order[g->ran++] = *(int *)job;
	pthread_mutex_unlock(&g->lock);
	free(job);
}

static int freed;
static void count_free(void *job)
{
	freed++;
	free(job);
}

static int *job_of(int n)
{
	int *j = malloc(sizeof *j);
	*j = n;
	return j;
}

static void wait_started(gate *g)
{
	pthread_mutex_lock(&g->lock);
	while (!g->started)
		pthread_cond_wait(&g->cond, &g->lock);
	pthread_mutex_unlock(&g->lock);
}

static void test_slow_job_never_blocks_a_push(void **state)
{
	(void)state;
	gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	freed = 0;
	work_queue *q = work_queue_new(2, 0, gated_run, count_free, &g);
	assert_non_null(q);
	/* Job 1 starts and hangs; jobs 2 and 3 fill the queue; 4 and 5 are dropped, and every
	 * push returned while job 1 still hangs. */
	assert_true(work_queue_push(q, job_of(1)));
	wait_started(&g);
	assert_true(work_queue_push(q, job_of(2)));
	assert_true(work_queue_push(q, job_of(3)));
	assert_false(work_queue_push(q, job_of(4)));
	assert_false(work_queue_push(q, job_of(5)));
	work_queue_counts c;
	work_queue_counts_get(q, &c);
	assert_int_equal(c.queued, 3);
	assert_int_equal(c.dropped, 2);
	assert_int_equal(c.done, 0);
	assert_int_equal(c.waiting, 2);
	assert_int_equal(freed, 2);
	/* Opened, the queue runs what it kept, in order. */
	pthread_mutex_lock(&g.lock);
	g.open = true;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	work_queue_drain(q);
	work_queue_counts_get(q, &c);
	assert_int_equal(c.done, 3);
	assert_int_equal(c.waiting, 0);
	assert_int_equal(g.ran, 3);
	assert_int_equal(g.order[0], 1);
	assert_int_equal(g.order[1], 2);
	assert_int_equal(g.order[2], 3);
	/* Room again after the drain. */
	assert_true(work_queue_push(q, job_of(6)));
	work_queue_drain(q);
	assert_int_equal(g.order[3], 6);
	work_queue_free(q);
}

static void test_free_drops_waiting_jobs(void **state)
{
	(void)state;
	gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	freed = 0;
	work_queue *q = work_queue_new(4, 0, gated_run, count_free, &g);
	assert_true(work_queue_push(q, job_of(1)));
	wait_started(&g);
	assert_true(work_queue_push(q, job_of(2)));
	assert_true(work_queue_push(q, job_of(3)));
	/* The running job ends once the gate opens; the two waiting are freed unrun. */
	pthread_mutex_lock(&g.lock);
	g.open = true;
	pthread_cond_broadcast(&g.cond);
	pthread_mutex_unlock(&g.lock);
	work_queue_free(q);
	assert_int_equal(g.ran + freed, 3);
	assert_true(g.ran >= 1);
}

static void open_gate(gate *g)
{
	pthread_mutex_lock(&g->lock);
	g->open = true;
	pthread_cond_broadcast(&g->cond);
	pthread_mutex_unlock(&g->lock);
}

static void test_weight_bounds_what_waits(void **state)
{
	(void)state;
	gate g = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};
	freed = 0;
	work_queue *q = work_queue_new(8, 100, gated_run, count_free, &g);
	/* The running job's weight no longer counts: only what waits. */
	assert_true(work_queue_push_weighted(q, job_of(1), 100));
	wait_started(&g);
	assert_true(work_queue_push_weighted(q, job_of(2), 60));
	assert_false(work_queue_push_weighted(q, job_of(3), 41));
	assert_true(work_queue_push_weighted(q, job_of(4), 40));
	assert_false(work_queue_push_weighted(q, job_of(5), 1));
	assert_false(work_queue_push_weighted(q, job_of(6), 101));
	work_queue_counts c;
	work_queue_counts_get(q, &c);
	assert_int_equal(c.weight, 100);
	assert_int_equal(c.dropped, 3);
	open_gate(&g);
	work_queue_drain(q);
	work_queue_counts_get(q, &c);
	assert_int_equal(c.weight, 0);
	assert_int_equal(g.ran, 3);
	assert_int_equal(g.order[2], 4);
	work_queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_slow_job_never_blocks_a_push),
	    cmocka_unit_test(test_free_drops_waiting_jobs),
	    cmocka_unit_test(test_weight_bounds_what_waits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
