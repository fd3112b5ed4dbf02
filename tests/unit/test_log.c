/* Unit tests of util/log: lines written one by one, and gathered when buffering (the server's
 * request lines): nothing written until the buffer fills or log_flush, a warning written at once
 * after what was gathered, whole lines in order. Standard error goes to a temporary file. */
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

#include "util/log.h"

static char path[64];
static int saved_stderr = -1;

/* Long enough that no line here is written for its age. */
#define WAIT_MS 600000

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "/tmp/crowdloop-test-log-XXXXXX");
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	saved_stderr = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	close(fd);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	log_buffer(0);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	unlink(path);
	return 0;
}

/* What standard error holds so far (caller frees). */
static char *written(void)
{
	FILE *f = fopen(path, "rb");
	assert_non_null(f);
	static char data[1 << 20];
	size_t n = fread(data, 1, sizeof data - 1, f);
	fclose(f);
	data[n] = '\0';
	return strdup(data);
}

static size_t count(const char *text, const char *needle)
{
	size_t n = 0;
	for (const char *p = text; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static void test_unbuffered_lines_are_written_at_once(void **state)
{
	(void)state;
	log_info("msg=\"first\" n=%d", 1);
	char *got = written();
	assert_non_null(strstr(got, "level=info msg=\"first\" n=1\n"));
	assert_int_equal(strncmp(got, "ts=", 3), 0);
	free(got);
}

static void test_buffered_lines_wait_for_a_flush_or_a_warning(void **state)
{
	(void)state;
	log_buffer(WAIT_MS);
	log_info("msg=\"one\"");
	log_info("msg=\"two\"");
	char *got = written();
	assert_string_equal(got, "");
	free(got);

	log_warn("msg=\"three\"");
	got = written();
	char *one = strstr(got, "msg=\"one\"\n"), *two = strstr(got, "msg=\"two\"\n"),
	     *three = strstr(got, "level=warn msg=\"three\"\n");
	assert_true(one && two && three && one < two && two < three);
	free(got);

	log_info("msg=\"four\"");
	got = written();
	assert_null(strstr(got, "four"));
	free(got);
	log_flush();
	got = written();
	assert_non_null(strstr(got, "level=info msg=\"four\"\n"));
	free(got);
}

static void test_a_full_buffer_is_written_in_whole_lines(void **state)
{
	(void)state;
	log_buffer(WAIT_MS);
	char pad[200];
	memset(pad, 'x', sizeof pad - 1);
	pad[sizeof pad - 1] = '\0';
	int lines = 0;
	char *got = written();
	while (!*got) {
		free(got);
		log_info("line=%d pad=%s", lines++, pad);
		assert_true(lines * 200 < 4 * LOG_BUFFER_BYTES);
		got = written();
	}
	/* Everything logged so far, each line whole and in order. */
	assert_true(strlen(got) >= LOG_BUFFER_BYTES);
	assert_int_equal(count(got, "\n"), (size_t)lines);
	assert_int_equal(count(got, "ts="), (size_t)lines);
	assert_int_equal(got[strlen(got) - 1], '\n');
	char last[32];
	snprintf(last, sizeof last, "line=%d ", lines - 1);
	assert_non_null(strstr(got, last));
	free(got);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_unbuffered_lines_are_written_at_once, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_buffered_lines_wait_for_a_flush_or_a_warning,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_full_buffer_is_written_in_whole_lines, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
