/* Unit tests of http/spool: an upload's bytes land in an unnamed owner-only file, read back
 * whole and NUL-terminated through the mapping; the spool's limit holds before anything is
 * written past it; nothing is left in the folder. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"
#include "tmpdir.h"

static int entries_in(const char *dir)
{
	DIR *d = opendir(dir);
	int n = 0;
	for (struct dirent *e; d && (e = readdir(d));)
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static void test_bytes_come_back_whole(void **state)
{
	(void)state;
	char dir[64];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "spool"), 0);
	http_spool sp;
	http_spool_init(&sp, 1 << 20);
	char block[4096];
	for (size_t i = 0; i < sizeof block; i++)
		block[i] = (char)('a' + i % 26);
	/* A multiple of the page size: the NUL after the bytes must still be readable. */
	for (int i = 0; i < 4; i++)
		assert_int_equal(http_spool_append(&sp, dir, block, sizeof block), 0);
	assert_int_equal(sp.len, 4 * sizeof block);
	assert_int_equal(http_spool_finish(&sp), 0);
	assert_non_null(sp.data);
	assert_memory_equal(sp.data + 3 * sizeof block, block, sizeof block);
	assert_int_equal(sp.data[sp.len], '\0');
	/* Owner-only, and without a name in the folder. */
	struct stat sb;
	assert_int_equal(fstat(sp.fd, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(entries_in(dir), 0);
	http_spool_release(&sp);
	assert_int_equal(sp.fd, -1);
	assert_null(sp.data);
	assert_int_equal(entries_in(dir), 0);
	tmpdir_remove(dir);
}

static void test_the_limit_holds(void **state)
{
	(void)state;
	char dir[64];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "spool"), 0);
	http_spool sp;
	http_spool_init(&sp, 10);
	assert_int_equal(http_spool_append(&sp, dir, "0123456789", 10), 0);
	assert_int_equal(http_spool_append(&sp, dir, "x", 1), CL_ETOOBIG);
	assert_int_equal(sp.len, 10);
	assert_int_equal(http_spool_finish(&sp), 0);
	assert_string_equal(sp.data, "0123456789");
	http_spool_release(&sp);
	tmpdir_remove(dir);
}

static void test_an_empty_spool_makes_no_file(void **state)
{
	(void)state;
	http_spool sp;
	http_spool_init(&sp, 10);
	assert_int_equal(http_spool_finish(&sp), 0);
	assert_int_equal(sp.fd, -1);
	assert_null(sp.data);
	http_spool_release(&sp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_bytes_come_back_whole),
	    cmocka_unit_test(test_the_limit_holds),
	    cmocka_unit_test(test_an_empty_spool_makes_no_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
