/* The runner of the data-driven unit test suites (tests/data/<suite>/, input file -> expected
 * output, in the manner of jansson's test suites): one cmocka test per case found in a suite's
 * folder, in name order, and what the suites share to find, read and compare their files. */
#ifndef CROWDLOOP_TESTS_CASES_H
#define CROWDLOOP_TESTS_CASES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The path of `rel` in tests/data/<suite>/ (under CROWDLOOP_TEST_DATA when set, else the
 * source tree's); a new string the caller frees. */
char *cases_path(const char *suite, const char *rel);
/* The whole file, NUL-terminated, in a new buffer (*len: its size without the NUL; len may be
 * NULL); NULL when it cannot be read. */
char *cases_read(const char *path, size_t *len);
/* The JSON document tests/data/<suite>/<name> (a new reference); fails the running test when it
 * cannot be read or parsed. */
json_t *cases_load_json(const char *suite, const char *name);
/* Compares the output `got` (`len` bytes) of case `name` with its expected output file `path`,
 * which it rewrites first when CROWDLOOP_UPDATE_EXPECTED is set (and not "0"). On a difference
 * prints both to stderr (cmocka's own printing cuts long messages). True when they are the
 * same. */
bool cases_expect(const char *name, const char *path, const char *got, size_t len);
/* Runs test(state) as one cmocka test per entry of tests/data/<suite>/ that `is_case` accepts
 * (NULL: every entry whose name does not start with '.'), in name order, with *state the
 * entry's name (a string). Finding fewer than `min` cases counts as one failure. Returns the
 * number of failures. */
int cases_run(const char *suite, bool (*is_case)(const char *name), void (*test)(void **state),
	      size_t min);

#endif
