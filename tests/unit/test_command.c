/* Unit tests of jobs/command: stdout and stderr collected apart, the exit status, arguments
 * passed as they are (no shell), the passed descriptor as fd 3 and no other of ours, output
 * beyond the buffer dropped and said, a command not found, and the time limit killing the
 * command's whole process group. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jobs/command.h"
#include "jobs/local.h"
#include "util/clock.h"

static command_result res;

static int run(char *const *argv, int pass_fd, int64_t timeout_ms, cl_error *err)
{
	command_call call = {argv, pass_fd, timeout_ms, NULL};
	return command_run(&call, &res, err);
}

static void test_output_and_status(void **state)
{
	(void)state;
	char *argv[] = {"sh",	"-c",  "printf '%s|' \"$@\"; echo warned >&2; exit 3",
			"sh",	"a b", "$(id)",
			"'q';", NULL};
	assert_int_equal(run(argv, -1, 10000, NULL), CL_OK);
	assert_int_equal(res.status, 3);
	assert_string_equal(res.out, "a b|$(id)|'q';|");
	assert_int_equal(res.out_len, strlen("a b|$(id)|'q';|"));
	assert_string_equal(res.err, "warned\n");
	assert_false(res.truncated);
}

static void test_signal_status(void **state)
{
	(void)state;
	char *argv[] = {"sh", "-c", "kill -9 $$", NULL};
	assert_int_equal(run(argv, -1, 10000, NULL), CL_OK);
	assert_int_equal(res.status, 128 + 9);
}

/* fd 3 is the passed pipe; a descriptor of ours without close-on-exec is not inherited. */
static void test_passed_fd_only(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "from the pipe", 13), 13);
	close(p[1]);
	int stray = dup2(p[0], 57); /* no O_CLOEXEC, as a careless open elsewhere would leave */
	assert_int_equal(stray, 57);
	char *argv[] = {"sh", "-c", "cat <&3; echo; [ -e /proc/self/fd/57 ] && echo leaked", NULL};
	assert_int_equal(run(argv, p[0], 10000, NULL), CL_OK);
	assert_string_equal(res.out, "from the pipe\n");
	close(p[0]);
	close(stray);
}

static void test_truncated(void **state)
{
	(void)state;
	char *argv[] = {"sh", "-c", "head -c 100000 /dev/zero | tr '\\0' a", NULL};
	assert_int_equal(run(argv, -1, 10000, NULL), CL_OK);
	assert_int_equal(res.status, 0);
	assert_true(res.truncated);
	assert_int_equal(res.out_len, COMMAND_OUT_MAX - 1);
	assert_int_equal(strlen(res.out), COMMAND_OUT_MAX - 1);
}

static void test_not_found(void **state)
{
	(void)state;
	char *argv[] = {"crowdloop-no-such-command", NULL};
	cl_error err = {0};
	assert_int_equal(run(argv, -1, 10000, &err), CL_EINTERNAL);
	assert_non_null(strstr(err.message, "crowdloop-no-such-command"));
}

/* A hung command and the child it started are both killed at the time limit. */
static void test_timeout_kills_the_group(void **state)
{
	(void)state;
	char *argv[] = {"sh", "-c", "sleep 600 & echo $!; wait", NULL};
	cl_error err = {0};
	assert_int_equal(run(argv, -1, 300, &err), CL_EUNAVAIL);
	assert_string_equal(err.name, "command_timeout");
	pid_t child = (pid_t)atoi(res.out);
	assert_true(child > 0);
	local_proc p;
	int64_t until = clock_mono_ns() / 1000000 + 10000;
	while (local_proc_read(child, &p) == CL_OK && p.state != 'Z' &&
	       clock_mono_ns() / 1000000 < until)
		usleep(10000);
	assert_true(local_proc_read(child, &p) != CL_OK || p.state == 'Z');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_output_and_status),
	    cmocka_unit_test(test_signal_status),
	    cmocka_unit_test(test_passed_fd_only),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_not_found),
	    cmocka_unit_test(test_timeout_kills_the_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
