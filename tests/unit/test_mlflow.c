/* Unit tests of MLflow runs' rules (core/mlflow.c) through an in-memory table of store
 * operations: status names both ways, every batch limit checked before a row is written, a run
 * created as an external job, status changes only for external runs, a param written once. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <string.h>

#include "core/mlflow.h"
#include "core/runs.h"

static struct {
	run_row jobs[8];
	int n_jobs, writes, tags;
	size_t metrics;
	char param_key[8][32];
	int n_params;
} mem;

static int fake_write(db *d, store_job_fn job, void *ctx, cl_error *err)
{
	(void)d;
	mem.writes++;
	return job(NULL, ctx, err);
}

static int fake_insert(store_tx *tx, run_row *j, cl_error *err)
{
	(void)tx, (void)err;
	j->id = ++mem.n_jobs;
	mem.jobs[j->id - 1] = *j;
	return 0;
}

static int fake_load(store_tx *tx, int64_t id, run_row *j)
{
	(void)tx;
	if (id < 1 || id > mem.n_jobs)
		return CL_ENOTFOUND;
	*j = mem.jobs[id - 1];
	return 0;
}

static int fake_save(store_tx *tx, const run_row *j, cl_error *err)
{
	(void)tx, (void)err;
	mem.jobs[j->id - 1] = *j;
	return 0;
}

static int fake_metrics(store_tx *tx, int64_t id, const run_metric *m, size_t n, cl_error *err)
{
	(void)tx, (void)id, (void)m, (void)err;
	mem.metrics += n;
	return 0;
}

static int fake_param(store_tx *tx, int64_t id, const char *key, const char *value, cl_error *err)
{
	(void)tx, (void)id, (void)value;
	for (int i = 0; i < mem.n_params; i++)
		if (!strcmp(mem.param_key[i], key))
			return cl_fail(err, CL_ECONFLICT, "param_written", "written");
	strncpy(mem.param_key[mem.n_params++], key, 31);
	return 0;
}

static int fake_tag(store_tx *tx, int64_t id, const char *key, const char *value, cl_error *err)
{
	(void)tx, (void)id, (void)key, (void)value, (void)err;
	mem.tags++;
	return 0;
}

static const store_ops ops = {.write = fake_write,
			      .run_insert = fake_insert,
			      .run_load = fake_load,
			      .run_save = fake_save,
			      .run_metrics_add = fake_metrics,
			      .run_param_put = fake_param,
			      .run_tag_put = fake_tag};
static const store st = {&ops, NULL};

static int setup(void **state)
{
	(void)state;
	memset(&mem, 0, sizeof mem);
	return 0;
}

static void test_status_names(void **state)
{
	(void)state;
	const char *pairs[][2] = {{"RUNNING", "running"},
				  {"SCHEDULED", "queued"},
				  {"FINISHED", "succeeded"},
				  {"FAILED", "failed"},
				  {"KILLED", "cancelled"}};
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(mlflow_state_of(pairs[i][0]), pairs[i][1]);
		assert_string_equal(mlflow_status_of(pairs[i][1]), pairs[i][0]);
	}
	assert_string_equal(mlflow_status_of("lost"), "FAILED");
	assert_null(mlflow_state_of("DONE"));
	assert_null(mlflow_state_of(NULL));
}

static run_metric points[MLFLOW_BATCH_METRICS + 1];
static mlflow_pair pairs[MLFLOW_BATCH_PARAMS + 1];

static void fill(void)
{
	for (size_t i = 0; i <= MLFLOW_BATCH_METRICS; i++)
		points[i] = (run_metric){"loss", 0.5, (int64_t)i, 1};
	for (size_t i = 0; i <= MLFLOW_BATCH_PARAMS; i++)
		pairs[i] = (mlflow_pair){"k", "v"};
}

/* Each bad batch is refused with 400 and no transaction at all. */
static void test_limits_before_any_write(void **state)
{
	(void)state;
	fill();
	cl_error err = {0};
	mlflow_batch over[] = {
	    {.metrics = points, .n_metrics = MLFLOW_BATCH_METRICS + 1},
	    {.params = pairs, .n_params = MLFLOW_BATCH_PARAMS + 1},
	    {.tags = pairs, .n_tags = MLFLOW_BATCH_TAGS + 1},
	};
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(mlflow_log(&st, 1, &over[i], &err), CL_EINVAL);
	run_metric bad[] = {{"", 1, 0, 0}, {"x", NAN, 0, 0}, {"x", INFINITY, 0, 0}};
	for (size_t i = 0; i < 3; i++) {
		mlflow_batch b = {.metrics = points, .n_metrics = 1};
		run_metric two[2] = {points[0], bad[i]};
		b.metrics = two;
		b.n_metrics = 2;
		assert_int_equal(mlflow_log(&st, 1, &b, &err), CL_EINVAL);
	}
	static char long_value[MLFLOW_PARAM_VALUE_MAX + 2];
	memset(long_value, 'a', MLFLOW_PARAM_VALUE_MAX + 1);
	mlflow_pair p = {"k", long_value};
	mlflow_batch b = {.params = &p, .n_params = 1};
	assert_int_equal(mlflow_log(&st, 1, &b, &err), CL_EINVAL);
	assert_int_equal(mem.writes, 0);
	mlflow_batch full = {points, MLFLOW_BATCH_METRICS, pairs, 1, pairs, MLFLOW_BATCH_TAGS};
	assert_int_equal(mlflow_log(&st, 1, &full, &err), 0);
	assert_int_equal(mem.writes, 1);
	assert_int_equal(mem.metrics, MLFLOW_BATCH_METRICS);
	assert_int_equal(mem.tags, MLFLOW_BATCH_TAGS);
}

static void test_create_and_update(void **state)
{
	(void)state;
	cl_error err = {0};
	mlflow_pair tag = {"source", "unit"};
	mlflow_batch tags = {.tags = &tag, .n_tags = 1};
	int64_t id = 0;
	assert_int_equal(mlflow_run_create(&st, 3, 7, 9, 1000, &tags, &id, &err), 0);
	run_row *j = &mem.jobs[id - 1];
	assert_string_equal(j->executor, "external");
	assert_string_equal(j->state, "running");
	assert_int_equal(j->project_id, 7);
	assert_int_equal(j->started_at, 1000);
	assert_int_equal(mem.tags, 1);
	assert_int_equal(mlflow_run_update(&st, id, "DONE", 0, &err), CL_EINVAL);
	assert_int_equal(mlflow_run_update(&st, id, "FINISHED", 5000, &err), 0);
	assert_string_equal(j->state, "succeeded");
	assert_int_equal(j->ended_at, 5000);
	assert_int_equal(mlflow_run_update(&st, id, "RUNNING", 0, &err), 0);
	assert_int_equal(j->ended_at, 0);
	/* A job the runner runs keeps the status the runner gives it. */
	mem.jobs[mem.n_jobs++] = (run_row){.id = 2, .state = "running", .executor = "local"};
	assert_int_equal(mlflow_run_update(&st, 2, "FINISHED", 0, &err), CL_ECONFLICT);
	assert_string_equal(mem.jobs[1].state, "running");
	assert_int_equal(mlflow_run_update(&st, 99, "FINISHED", 0, &err), CL_ENOTFOUND);
}

static void test_param_written_once(void **state)
{
	(void)state;
	cl_error err = {0};
	mlflow_pair p = {"lr", "0.1"};
	mlflow_batch b = {.params = &p, .n_params = 1};
	assert_int_equal(mlflow_log(&st, 1, &b, &err), 0);
	assert_int_equal(mlflow_log(&st, 1, &b, &err), CL_EINVAL);
	assert_string_equal(err.name, "param_written");
}

/* The filter subset reads into clauses: fields, keys (quoted too), operators, numbers and
 * strings, a status in crowdloop's words; anything else is 400 naming the problem. */
static void test_filter_parse(void **state)
{
	(void)state;
	mlflow_query q = {0};
	cl_error err = {0};
	assert_int_equal(mlflow_filter_parse("metrics.acc >= 0.5 and params.lr = '0.1' AND "
					     "tags.`my tag` != \"x\" and attributes.status = "
					     "'FINISHED'",
					     &q, &err),
			 0);
	assert_int_equal(q.n_clauses, 4);
	assert_int_equal(q.clauses[0].field, MLFLOW_METRIC);
	assert_string_equal(q.clauses[0].key, "acc");
	assert_int_equal(q.clauses[0].op, MLFLOW_GE);
	assert_true(q.clauses[0].is_number && q.clauses[0].number == 0.5);
	assert_int_equal(q.clauses[1].field, MLFLOW_PARAM);
	assert_string_equal(q.clauses[1].text, "0.1");
	assert_int_equal(q.clauses[2].field, MLFLOW_TAG);
	assert_string_equal(q.clauses[2].key, "my tag");
	assert_int_equal(q.clauses[2].op, MLFLOW_NE);
	assert_int_equal(q.clauses[3].field, MLFLOW_STATUS);
	assert_string_equal(q.clauses[3].text, "succeeded");
	assert_int_equal(mlflow_filter_parse("  ", &q, &err), 0);
	assert_int_equal(q.n_clauses, 0);
	static const char *const bad[] = {
	    "metrics.x > 'a'", "params.lr > '1'", "params.lr = 1", "metrics.x ~ 1",
	    "metrics.x > 1 or metrics.y < 2", "metrics.x > 1 and", "colour = 'red'",
	    "attributes.status = 'DONE'", "attributes.owner = 'me'", "tags.x = 'open",
	    "metrics. > 1", "tags.`x = 1",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		err = (cl_error){0};
		assert_int_equal(mlflow_filter_parse(bad[i], &q, &err), CL_EINVAL);
		assert_true(err.message[0]);
	}
}

static void test_order_parse(void **state)
{
	(void)state;
	mlflow_query q = {0};
	cl_error err = {0};
	assert_int_equal(mlflow_order_parse("metrics.loss DESC", &q, &err), 0);
	assert_int_equal(mlflow_order_parse("start_time", &q, &err), 0);
	assert_int_equal(mlflow_order_parse("attributes.end_time ASC", &q, &err), 0);
	assert_int_equal(q.n_orders, 3);
	assert_int_equal(q.orders[0].field, MLFLOW_METRIC);
	assert_false(q.orders[0].ascending);
	assert_int_equal(q.orders[1].field, MLFLOW_START_TIME);
	assert_true(q.orders[1].ascending);
	assert_int_equal(q.orders[2].field, MLFLOW_END_TIME);
	assert_int_equal(mlflow_order_parse("metrics.loss sideways", &q, &err), CL_EINVAL);
	assert_int_equal(mlflow_order_parse("attributes.status", &q, &err), CL_EINVAL);
	assert_int_equal(mlflow_order_parse("colour", &q, &err), CL_EINVAL);
	assert_int_equal(q.n_orders, 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_status_names, setup),
	    cmocka_unit_test_setup(test_limits_before_any_write, setup),
	    cmocka_unit_test_setup(test_create_and_update, setup),
	    cmocka_unit_test_setup(test_param_written_once, setup),
	    cmocka_unit_test(test_filter_parse),
	    cmocka_unit_test(test_order_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
