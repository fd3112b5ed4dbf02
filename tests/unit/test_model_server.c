/* Unit tests of the managed model servers' pure parts: the restart backoff, the "{port}" and
 * "{model_dir}" arguments, the free loopback port (jobs/model_server.c), the mapping of an Open
 * Inference Protocol answer to the runtimes' shape (ml/oip_remote.c), and a model server
 * target's checks and key (core/endpoint.c); then a real process under the state machine: it
 * is started, becomes ready when the probe says so, is restarted after a SIGKILL with its count
 * raised, and stops. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/endpoint.h"
#include "jobs/model_server.h"
#include "ml/oip_remote.h"
#include "tmpdir.h"
#include "util/clock.h"

static void test_backoff_doubles_to_a_cap(void **state)
{
	(void)state;
	assert_int_equal(model_server_backoff_ms(1), MODEL_SERVER_BACKOFF_MIN_MS);
	assert_int_equal(model_server_backoff_ms(2), 2 * MODEL_SERVER_BACKOFF_MIN_MS);
	assert_int_equal(model_server_backoff_ms(3), 4 * MODEL_SERVER_BACKOFF_MIN_MS);
	assert_int_equal(model_server_backoff_ms(40), MODEL_SERVER_BACKOFF_MAX_MS);
}

static void test_arguments_get_the_port(void **state)
{
	(void)state;
	char out[64];
	assert_true(model_server_arg("--port={port}", 8123, "/m", out, sizeof out));
	assert_string_equal(out, "--port=8123");
	assert_true(model_server_arg("{model_dir}/w.bin", 1, "/models/a", out, sizeof out));
	assert_string_equal(out, "/models/a/w.bin");
	assert_true(model_server_arg("{port}x{por", 7, NULL, out, sizeof out));
	assert_string_equal(out, "7x{por");
	assert_false(model_server_arg("{port}{port}", 65535, NULL, out, 8));
	int port = model_server_free_port();
	assert_true(port > 0 && port < 65536);
}

static json_t *parse(const char *text)
{
	json_t *j = json_loads(text, 0, NULL);
	assert_non_null(j);
	return j;
}

static void test_answers_map_to_labels_and_scores(void **state)
{
	(void)state;
	json_t *a = parse("{\"outputs\":[{\"name\":\"labels\",\"datatype\":\"BYTES\",\"shape\":[2],"
			  "\"data\":[\"pos\",\"neg\"]},{\"name\":\"scores\",\"datatype\":\"FP32\","
			  "\"shape\":[2],\"data\":[0.25,0.75]}]}");
	json_t *out = oip_remote_output(a);
	assert_string_equal(json_string_value(json_object_get(out, "label")), "neg");
	assert_true(json_real_value(json_object_get(json_object_get(out, "scores"), "pos")) ==
		    0.25);
	json_decref(out);
	json_decref(a);
	a = parse("{\"outputs\":[{\"name\":\"label\",\"data\":[\"cat\"]}]}");
	out = oip_remote_output(a);
	assert_string_equal(json_string_value(json_object_get(out, "label")), "cat");
	json_decref(out);
	json_decref(a);
	a = parse("{\"outputs\":[{\"name\":\"embedding\",\"data\":[1,2]}]}");
	out = oip_remote_output(a);
	assert_true(json_is_array(json_object_get(out, "outputs")));
	json_decref(out);
	json_decref(a);
	a = parse("{\"error\":\"no\"}");
	assert_null(oip_remote_output(a));
	json_decref(a);
	json_t *in = parse("{\"text\":\"hi\"}");
	json_t *req = oip_remote_request(in);
	json_t *t = json_array_get(json_object_get(req, "inputs"), 0);
	assert_string_equal(json_string_value(json_object_get(t, "name")), "text");
	assert_string_equal(json_string_value(json_array_get(json_object_get(t, "data"), 0)), "hi");
	json_decref(req);
	json_decref(in);
}

static void test_server_targets_check(void **state)
{
	(void)state;
	json_t *targets = parse("[{\"command\":[\"srv\",\"{port}\"],\"env\":{\"A\":\"1\"}}]");
	json_t *out = NULL, *shadow = NULL;
	cl_error err = {0};
	assert_int_equal(endpoint_targets_check(targets, NULL, "/data/models", &out, &shadow, &err),
			 0);
	json_t *t = json_array_get(out, 0);
	assert_true(endpoint_target_is_server(t));
	assert_string_equal(json_string_value(json_object_get(t, "model_name")), "model");
	assert_int_equal(json_integer_value(json_object_get(t, "ready_timeout_s")), 60);
	char key[160], again[160];
	endpoint_target_key(t, key, sizeof key);
	assert_int_equal(strncmp(key, "server:", 7), 0);
	json_object_set_new(t, "weight", json_integer(7)); /* the weight is not the server */
	endpoint_target_key(t, again, sizeof again);
	assert_string_equal(key, again);
	assert_int_equal(endpoint_servers_allowed(out, NULL, false, "owner", &err), CL_EFORBIDDEN);
	assert_string_equal(err.name, "custom_jobs_disabled");
	assert_int_equal(endpoint_servers_allowed(out, NULL, true, "manager", &err), CL_EFORBIDDEN);
	assert_int_equal(endpoint_servers_allowed(out, NULL, true, "engineer", &err), 0);
	json_decref(out);
	json_decref(targets);
	const char *bad[] = {"[{\"command\":\"srv\"}]",
			     "[{\"command\":[\"\"]}]",
			     "[{\"command\":[\"s\"],\"env\":{\"PORT\":\"1\"}}]",
			     "[{\"command\":[\"s\"],\"model_dir\":\"/etc\"}]",
			     "[{\"command\":[\"s\"],\"timeout_s\":301}]",
			     NULL};
	for (const char **b = bad; *b; b++) {
		targets = parse(*b);
		assert_int_equal(
		    endpoint_targets_check(targets, NULL, "/data/models", &out, &shadow, &err),
		    CL_EINVAL);
		json_decref(targets);
	}
}

static int64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

/* Steps `s` until its state is `want` (5 s at most), answering probes with `ready`. */
static bool step_until(model_server *s, enum model_server_state want, bool ready)
{
	for (int i = 0; i < 500 && s->state != want; i++) {
		if (model_server_step(s, now_ms()))
			model_server_probed(s, s->port, ready, now_ms());
		struct timespec t = {0, 10000000};
		nanosleep(&t, NULL);
	}
	return s->state == want;
}

static void test_a_process_restarts_and_stops(void **state)
{
	(void)state;
	char dir[256];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "model-server"), 0);
	char work[300];
	snprintf(work, sizeof work, "%s/srv", dir);
	const char *argv[] = {"sleep", "60", NULL};
	model_server_spec spec = {.argv = argv, .workdir = work, .ready_timeout_ms = 10000};
	model_server s;
	cl_error err = {0};
	assert_int_equal(model_server_init(&s, &spec, &err), 0);
	assert_int_equal(model_server_start(&s, now_ms(), &err), 0);
	assert_int_equal(s.state, MODEL_SERVER_STARTING);
	assert_true(s.port > 0);
	assert_true(step_until(&s, MODEL_SERVER_READY, true));
	pid_t first = s.job.pid;
	kill(first, SIGKILL);
	assert_true(step_until(&s, MODEL_SERVER_BACKOFF, true));
	assert_true(step_until(&s, MODEL_SERVER_READY, true));
	assert_int_equal(s.restarts, 1);
	assert_int_not_equal(s.job.pid, first);
	model_server_stop(&s);
	assert_int_equal(s.state, MODEL_SERVER_STOPPING);
	assert_true(step_until(&s, MODEL_SERVER_STOPPED, true));
	model_server_release(&s);
	tmpdir_remove(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_backoff_doubles_to_a_cap),
	    cmocka_unit_test(test_arguments_get_the_port),
	    cmocka_unit_test(test_answers_map_to_labels_and_scores),
	    cmocka_unit_test(test_server_targets_check),
	    cmocka_unit_test(test_a_process_restarts_and_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
