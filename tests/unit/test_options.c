/* Unit tests of the subcommands' option parser (cli/options.c): values of every type land in
 * their variables, options may follow operands, -h/--help answer 0, and a bad value, an unknown
 * option, a missing value or an operand where none is taken answer 2. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cli/client.h"
#include "cli/options.h"

static const char *const words[] = {"full", "normal", NULL};

/* What one parse produced. */
typedef struct parsed {
	const char *server, *output, *sync;
	long long project, n;
	bool json;
	int operand;
} parsed;

/* Parses the NULL-ended arguments (after the command name) into *p; the parser's answer. */
static int parse(parsed *p, int operands, ...)
{
	char *argv[16] = {"test"};
	int argc = 1;
	va_list ap;
	va_start(ap, operands);
	for (char *a; (a = va_arg(ap, char *)) && argc < 15;)
		argv[argc++] = a;
	va_end(ap);
	memset(p, 0, sizeof *p);
	p->sync = "full";
	const cli_option opts[] = {
	    OPT_SERVER(&p->server),
	    OPT_PROJECT(&p->project),
	    OPT_JSON(&p->json, "print JSON"),
	    OPT_INT("n", &p->n, 1, 500, "N", "a count"),
	    OPT_CHOICE("sync", &p->sync, words, "a word"),
	    OPT_STRING('o', "output", &p->output, "FILE", "a file"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "test",
	    .synopses = USAGE("[options] FILE..."),
	    .operands = operands,
	    .options = opts,
	};
	return options_parse(&spec, argc, argv, &p->operand);
}

static void test_values_land_in_their_variables(void **state)
{
	(void)state;
	parsed p;
	assert_int_equal(parse(&p, -1, "--server", "http://h:1", "--project", "12", "--json", "--n",
			       "500", "--sync", "normal", "-o", "out", "file", NULL),
			 -1);
	assert_string_equal(p.server, "http://h:1");
	assert_int_equal(p.project, 12);
	assert_true(p.json);
	assert_int_equal(p.n, 500);
	assert_string_equal(p.sync, "normal");
	assert_string_equal(p.output, "out");
	assert_int_equal(p.operand, 12);

	/* Options may follow the operands, and --output=FILE is the same as --output FILE. */
	assert_int_equal(parse(&p, -1, "a", "b", "--output=x", "--project=3", NULL), -1);
	assert_string_equal(p.output, "x");
	assert_int_equal(p.project, 3);
	assert_int_equal(p.operand, 3);
}

static void test_help_answers_zero(void **state)
{
	(void)state;
	parsed p;
	assert_int_equal(parse(&p, 0, "--help", NULL), 0);
	assert_int_equal(parse(&p, 0, "-h", NULL), 0);
}

static void test_usage_errors_answer_two(void **state)
{
	(void)state;
	parsed p;
	assert_int_equal(parse(&p, 0, "--project", "abc", NULL), 2);
	assert_int_equal(parse(&p, 0, "--project", "0", NULL), 2);
	assert_int_equal(parse(&p, 0, "--n", "501", NULL), 2);
	assert_int_equal(parse(&p, 0, "--n", "5x", NULL), 2);
	assert_int_equal(parse(&p, 0, "--sync", "fast", NULL), 2);
	assert_int_equal(parse(&p, 0, "--bogus", NULL), 2);
	assert_int_equal(parse(&p, 0, "-x", NULL), 2);
	assert_int_equal(parse(&p, 0, "--server", NULL), 2);
	assert_int_equal(parse(&p, 0, "-o", NULL), 2);
	assert_int_equal(parse(&p, 0, "file", NULL), 2);
	assert_int_equal(parse(&p, -1, "file", NULL), -1);
}

static void test_help_comes_from_the_table(void **state)
{
	(void)state;
	const char *server = NULL, *sync = "full";
	const cli_option opts[] = {
	    OPT_SERVER(&server),
	    OPT_CHOICE("sync", &sync, words, "how to sync\nsecond line"),
	    OPT_END(),
	};
	const options_spec spec = {
	    .command = "test", .synopses = USAGE("[--server URL]"), .options = opts};
	char *out = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&out, &len);
	assert_non_null(f);
	options_usage(&spec, f);
	fclose(f);
	assert_non_null(strstr(out, "usage: crowdloop test [--server URL]\n"));
	/* The help column starts two spaces past the widest option, "--sync full|normal". */
	assert_non_null(strstr(out, "\n  --server URL        the server"));
	assert_non_null(strstr(out, "\n  --sync full|normal  how to sync\n"
				    "                      second line\n"));
	assert_non_null(strstr(out, "\n  -h, --help          show this help\n"));
	free(out);
}

/* A repeatable option keeps every value in order, and refuses more than CLI_LIST_MAX. */
static void test_list_keeps_every_value(void **state)
{
	(void)state;
	cli_list list = {0};
	const cli_option opts[] = {OPT_LIST("param", &list, "K=V", "a param"), OPT_END()};
	const options_spec spec = {.command = "test", .synopses = USAGE("[--param K=V]..."),
				   .options = opts};
	char *argv[2 * CLI_LIST_MAX + 4] = {"test", "--param", "a=1", "--param", "b=2"};
	int operand;
	assert_int_equal(options_parse(&spec, 5, argv, &operand), -1);
	assert_int_equal(list.n, 2);
	assert_string_equal(list.items[0], "a=1");
	assert_string_equal(list.items[1], "b=2");
	int argc = 1;
	for (int i = 0; i <= CLI_LIST_MAX; i++) {
		argv[argc++] = "--param";
		argv[argc++] = "c=3";
	}
	list.n = 0;
	assert_int_equal(options_parse(&spec, argc, argv, &operand), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_values_land_in_their_variables),
	    cmocka_unit_test(test_help_answers_zero),
	    cmocka_unit_test(test_usage_errors_answer_two),
	    cmocka_unit_test(test_help_comes_from_the_table),
	    cmocka_unit_test(test_list_keeps_every_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
