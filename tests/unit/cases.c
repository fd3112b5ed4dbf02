/* The shared runner of the data-driven unit test suites (cases.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases.h"
#include "util/buf.h"

char *cases_path(const char *suite, const char *rel)
{
	const char *env = getenv("CROWDLOOP_TEST_DATA");
	buf b;
	buf_init(&b, 4096);
	if (env && *env)
		buf_printf(&b, "%s/%s/%s", env, suite, rel);
	else
		buf_printf(&b, "%s/tests/data/%s/%s", CROWDLOOP_SOURCE_DIR, suite, rel);
	return buf_detach(&b, NULL);
}

char *cases_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	buf b;
	buf_init(&b, 0);
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		assert_int_equal(buf_append(&b, chunk, n), 0);
	fclose(f);
	/* An empty append NUL-terminates even a file of no bytes. */
	assert_int_equal(buf_append(&b, "", 0), 0);
	return buf_detach(&b, len);
}

json_t *cases_load_json(const char *suite, const char *name)
{
	char *path = cases_path(suite, name);
	json_error_t e;
	json_t *j = json_load_file(path, 0, &e);
	if (!j)
		fail_msg("%s: %s (line %d)", path, e.text, e.line);
	free(path);
	return j;
}

static bool updating(void)
{
	const char *update = getenv("CROWDLOOP_UPDATE_EXPECTED");
	return update && *update && strcmp(update, "0") != 0;
}

bool cases_expect(const char *name, const char *path, const char *got, size_t len)
{
	if (updating()) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(got, 1, len, f);
		fclose(f);
	}
	size_t want_len = 0;
	char *want = cases_read(path, &want_len);
	bool same = want && want_len == len && memcmp(want, got, len) == 0;
	if (!want)
		fprintf(stderr, "%s: missing %s\n", name, path);
	else if (!same)
		fprintf(stderr, "%s: output differs from %s\n--- expected\n%s--- got\n%.*s", name,
			path, want, (int)len, got);
	free(want);
	return same;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names of a suite's cases, sorted; *n their count. NULL when the folder cannot be read. */
static char **case_names(const char *suite, bool (*is_case)(const char *name), size_t *n)
{
	char *dir = cases_path(suite, "");
	DIR *dh = opendir(dir);
	if (!dh) {
		fprintf(stderr, "cannot open %s\n", dir);
		free(dir);
		return NULL;
	}
	free(dir);
	char **names = NULL;
	size_t cap = 0;
	*n = 0;
	for (struct dirent *de; (de = readdir(dh));) {
		if (de->d_name[0] == '.' || (is_case && !is_case(de->d_name)))
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			names = realloc(names, cap * sizeof *names);
			assert_non_null(names);
		}
		names[(*n)++] = strdup(de->d_name);
	}
	closedir(dh);
	if (*n)
		qsort(names, *n, sizeof *names, by_name);
	return names;
}

int cases_run(const char *suite, bool (*is_case)(const char *name), void (*test)(void **state),
	      size_t min)
{
	size_t n = 0;
	char **names = case_names(suite, is_case, &n);
	if (!names) {
		fprintf(stderr, "no %s cases found\n", suite);
		return 1;
	}
	struct CMUnitTest *tests = calloc(n ? n : 1, sizeof *tests);
	for (size_t i = 0; i < n; i++) {
		tests[i].name = names[i];
		tests[i].test_func = test;
		tests[i].initial_state = names[i];
	}
	int failed = 0;
	if (n < min) {
		fprintf(stderr, "%zu %s cases found, want at least %zu\n", n, suite, min);
		failed++;
	}
	if (n) {
		char group[64];
		snprintf(group, sizeof group, "%s_cases", suite);
		failed += _cmocka_run_group_tests(group, tests, n, NULL, NULL);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(tests);
	return failed;
}
