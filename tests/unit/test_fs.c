/* Unit tests of util/fs: fs_make_dirs makes missing parents owner-only, accepts what exists,
 * and fails on a path through a file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tmpdir.h"
#include "util/fs.h"

static void test_make_dirs(void **state)
{
	(void)state;
	char root[64];
	assert_int_equal(tmpdir_make(root, sizeof root, "fs"), 0);
	char path[256], file[256];
	snprintf(path, sizeof path, "%s/a/b/c", root);
	assert_int_equal(fs_make_dirs(path), 0);
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_true(S_ISDIR(sb.st_mode));
	assert_int_equal(sb.st_mode & 0777, 0700);
	snprintf(file, sizeof file, "%s/a/b", root);
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	/* Again: it exists, which is success. */
	assert_int_equal(fs_make_dirs(path), 0);
	/* Through a file: refused. */
	snprintf(file, sizeof file, "%s/plain", root);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	snprintf(path, sizeof path, "%s/plain/sub", root);
	assert_int_equal(fs_make_dirs(path), -1);
	assert_int_equal(errno, ENOTDIR);
	assert_int_equal(fs_make_dirs(file), -1);
	assert_int_equal(fs_make_dirs(""), -1);
	assert_int_equal(tmpdir_remove(root), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_dirs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
