/* Unit tests of the CLI client's local parts: where the credentials file lives, that it is
 * written owner-only and read back, which server and token win (--server, $CROWDLOOP_SERVER,
 * the file, the default; $CROWDLOOP_TOKEN, and a stored token only for its own server), id
 * parsing, and the terminal text helpers. No server is contacted. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/options.h"
#include "cli/terminal.h"
#include "tmpdir.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	if (tmpdir_make(tmpdir, sizeof tmpdir, "client"))
		return -1;
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
	unsetenv("CROWDLOOP_SERVER");
	unsetenv("CROWDLOOP_TOKEN");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tmpdir_remove(tmpdir);
	return 0;
}

static void test_config_path_follows_xdg(void **state)
{
	(void)state;
	char path[PATH_MAX], want[PATH_MAX];
	assert_int_equal(config_path(path, sizeof path), 0);
	snprintf(want, sizeof want, "%s/crowdloop/credentials.json", tmpdir);
	assert_string_equal(path, want);

	/* A relative XDG_CONFIG_HOME is ignored, as the XDG spec says. */
	setenv("XDG_CONFIG_HOME", "relative", 1);
	setenv("HOME", tmpdir, 1);
	assert_int_equal(config_path(path, sizeof path), 0);
	snprintf(want, sizeof want, "%s/.config/crowdloop/credentials.json", tmpdir);
	assert_string_equal(path, want);
	setenv("XDG_CONFIG_HOME", tmpdir, 1);
}

static void test_config_round_trip_is_private(void **state)
{
	(void)state;
	cli_config cfg = {.server = "http://h:1", .token = "tok", .username = "ann"}, got;
	char path[PATH_MAX], dir[PATH_MAX];
	struct stat st;

	assert_int_equal(config_load(&got), 0); /* no file yet: empty */
	assert_null(got.server);
	assert_null(got.token);

	assert_int_equal(config_save(&cfg), 0);
	assert_int_equal(config_path(path, sizeof path), 0);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	snprintf(dir, sizeof dir, "%s/crowdloop", tmpdir);
	assert_int_equal(stat(dir, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0700);

	assert_int_equal(config_load(&got), 0);
	assert_string_equal(got.server, "http://h:1");
	assert_string_equal(got.token, "tok");
	assert_string_equal(got.username, "ann");
	config_release(&got);

	/* Saving without a token drops it. */
	cfg.token = NULL;
	assert_int_equal(config_save(&cfg), 0);
	assert_int_equal(config_load(&got), 0);
	assert_null(got.token);
	assert_string_equal(got.username, "ann");
	config_release(&got);
}

static void test_malformed_config_is_an_error(void **state)
{
	(void)state;
	char dir[PATH_MAX], path[PATH_MAX];
	cli_config got;
	snprintf(dir, sizeof dir, "%s/crowdloop", tmpdir);
	mkdir(dir, 0700);
	assert_int_equal(config_path(path, sizeof path), 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("{not json", f);
	fclose(f);
	assert_int_equal(config_load(&got), -1);
	assert_null(got.server);
}

static void test_server_and_token_precedence(void **state)
{
	(void)state;
	cli_config cfg = {.server = "http://stored:1/", .token = "stored-token"};
	client c;

	/* Nothing stored: the default server, no token; a token is then required. */
	assert_int_equal(client_open(&c, NULL, 0), 0);
	assert_string_equal(c.server, CLIENT_DEFAULT_SERVER);
	assert_null(c.token);
	client_close(&c);
	assert_int_equal(client_open(&c, NULL, 1), -1);
	client_close(&c);

	assert_int_equal(config_save(&cfg), 0);
	assert_int_equal(client_open(&c, NULL, 1), 0);
	assert_string_equal(c.server, "http://stored:1"); /* trailing slash dropped */
	assert_string_equal(c.token, "stored-token");
	client_close(&c);

	/* The stored token is not offered to another server. */
	setenv("CROWDLOOP_SERVER", "http://env:2", 1);
	assert_int_equal(client_open(&c, NULL, 0), 0);
	assert_string_equal(c.server, "http://env:2");
	assert_null(c.token);
	client_close(&c);

	assert_int_equal(client_open(&c, "http://flag:3", 0), 0);
	assert_string_equal(c.server, "http://flag:3");
	client_close(&c);

	/* --server naming the stored server gets its token back. */
	assert_int_equal(client_open(&c, "http://stored:1", 1), 0);
	assert_string_equal(c.token, "stored-token");
	client_close(&c);

	setenv("CROWDLOOP_TOKEN", "env-token", 1);
	assert_int_equal(client_open(&c, NULL, 1), 0);
	assert_string_equal(c.token, "env-token");
	assert_true(c.token_from_env);
	client_close(&c);

	/* A token that would break the header is refused. */
	setenv("CROWDLOOP_TOKEN", "a\r\nX-Evil: 1", 1);
	assert_int_equal(client_open(&c, NULL, 1), -1);
	client_close(&c);

	assert_int_equal(client_open(&c, "ftp://x", 0), -1);
	client_close(&c);
	unsetenv("CROWDLOOP_SERVER");
	unsetenv("CROWDLOOP_TOKEN");
}

static void test_parse_id(void **state)
{
	(void)state;
	assert_int_equal(options_parse_id("12"), 12);
	assert_int_equal(options_parse_id("0"), 0);
	assert_int_equal(options_parse_id("-3"), 0);
	assert_int_equal(options_parse_id("12x"), 0);
	assert_int_equal(options_parse_id(" 1"), 0);
	assert_int_equal(options_parse_id(""), 0);
	assert_int_equal(options_parse_id("99999999999999999999999"), 0);
}

/* Prints one cell into a memory stream and compares the result. */
static void expect_cell(const char *s, int width, int right, const char *want)
{
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	terminal_fput_cell(f, s, width, right);
	fclose(f);
	assert_string_equal(out, want);
	free(out);
}

static void test_text_helpers(void **state)
{
	(void)state;
	assert_int_equal(terminal_text_width("abc"), 3);
	assert_int_equal(terminal_text_width("\xea\xb0\x80\xeb\x82\x98"), 4); /* two Hangul */
	expect_cell("ab", 4, 0, "ab  ");
	expect_cell("ab", 4, 1, "  ab");
	expect_cell("abcdef", 4, 0, "abc~");
	expect_cell("\x1b[31mred", 9, 0, "?[31mred ");
	expect_cell("\xea\xb0\x80\xeb\x82\x98\xeb\x8b\xa4", 4, 0, "\xea\xb0\x80~ ");
	expect_cell("\xff", 2, 0, "? ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_config_path_follows_xdg, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_config_round_trip_is_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_malformed_config_is_an_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_server_and_token_precedence, setup, teardown),
	    cmocka_unit_test(test_parse_id),
	    cmocka_unit_test(test_text_helpers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
