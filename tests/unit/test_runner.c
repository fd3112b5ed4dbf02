/* Unit tests of the job runner's hooks (core/runner.c, runner_hooks_tick): the work its thread
 * does between jobs, one list serving both the step each tick (batch pre-annotation) and the
 * step about once a second (the retraining pipeline), in the list's order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/runner.h"

/* What the hooks did: how often each ran, and the order of the last steps. */
typedef struct calls {
	int each_tick, each_second;
	char order[64];
	int n;
} calls;

static void step_each_tick(void *ctx)
{
	calls *c = ctx;
	c->each_tick++;
	if (c->n < (int)sizeof c->order)
		c->order[c->n++] = 't';
}

static void step_each_second(void *ctx)
{
	calls *c = ctx;
	c->each_second++;
	if (c->n < (int)sizeof c->order)
		c->order[c->n++] = 's';
}

static void ticks(const runner_hook *hooks, int since[], int n, int tick_ms)
{
	for (int i = 0; i < n; i++)
		runner_hooks_tick(hooks, since, tick_ms);
}

static void test_each_tick_and_each_second(void **state)
{
	(void)state;
	calls c = {0};
	const runner_hook hooks[RUNNER_MAX_HOOKS] = {
	    {.step = step_each_tick, .ctx = &c},
	    {.step = step_each_second, .ctx = &c, .every_ms = 1000},
	};
	int since[RUNNER_MAX_HOOKS] = {0};
	ticks(hooks, since, 9, 100);
	assert_int_equal(c.each_tick, 9);
	assert_int_equal(c.each_second, 0);
	ticks(hooks, since, 1, 100);
	assert_int_equal(c.each_second, 1);
	ticks(hooks, since, 10, 100);
	assert_int_equal(c.each_tick, 20);
	assert_int_equal(c.each_second, 2);
	/* On the tick a second is over, the list's order holds: the per-tick step first. */
	assert_int_equal(c.order[8], 't');
	assert_int_equal(c.order[9], 't');
	assert_int_equal(c.order[10], 's');
}

/* A tick longer than the period steps the hook on every tick, never twice in one. */
static void test_long_ticks_step_once_each(void **state)
{
	(void)state;
	calls c = {0};
	const runner_hook hooks[RUNNER_MAX_HOOKS] = {
	    {.step = step_each_second, .ctx = &c, .every_ms = 1000},
	};
	int since[RUNNER_MAX_HOOKS] = {0};
	ticks(hooks, since, 3, 2500);
	assert_int_equal(c.each_second, 3);
}

/* The list ends at the first hook without a step: none after it runs. */
static void test_list_ends_at_first_empty_hook(void **state)
{
	(void)state;
	calls c = {0};
	const runner_hook hooks[RUNNER_MAX_HOOKS] = {
	    {.step = NULL},
	    {.step = step_each_tick, .ctx = &c},
	};
	int since[RUNNER_MAX_HOOKS] = {0};
	ticks(hooks, since, 5, 100);
	assert_int_equal(c.each_tick, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_each_tick_and_each_second),
	    cmocka_unit_test(test_long_ticks_step_once_each),
	    cmocka_unit_test(test_list_ends_at_first_empty_hook),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
