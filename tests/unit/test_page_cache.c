/* Unit tests of store/page_cache: the layer over SQLite's page cache passes a truncation on only
 * when a page may lie at or past the limit, counting a page parked at the spare key that B-tree
 * splits swap pages through; and the store stays whole when it does skip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "store/page_cache.h"
#include "tmpdir.h"

#define PAGE 4096
#define SPARE (0x40000000u / PAGE + 1)

static sqlite3_pcache_methods2 layer, sqlite_cache;
static unsigned long truncations; /* passed on to SQLite's own cache */

/* Installed under the layer: SQLite's own truncation, counted. */
static void counted_truncate(sqlite3_pcache *p, unsigned limit)
{
	truncations++;
	sqlite_cache.xTruncate(p, limit);
}

static unsigned long page_cache_truncations(void)
{
	return truncations;
}

static sqlite3_pcache_page *fetch(sqlite3_pcache *c, unsigned key)
{
	sqlite3_pcache_page *p = layer.xFetch(c, key, 2);
	assert_non_null(p);
	return p;
}

static void test_truncation_skipped_only_when_nothing_lies_past(void **state)
{
	(void)state;
	sqlite3_pcache *c = layer.xCreate(PAGE, 64, 1);
	assert_non_null(c);
	layer.xCachesize(c, 100);
	sqlite3_pcache_page *p[11];
	for (unsigned k = 1; k <= 10; k++)
		p[k] = fetch(c, k);
	/* A split swaps pages 3 and 7 through the spare key, as btree.c's balance_nonroot does. */
	layer.xRekey(c, p[3], 3, SPARE);
	layer.xRekey(c, p[7], 7, 3);
	layer.xRekey(c, p[3], SPARE, 7);
	for (unsigned k = 1; k <= 10; k++)
		layer.xUnpin(c, p[k], 0);
	unsigned long before = page_cache_truncations();
	layer.xTruncate(c, 11); /* the commit's: nothing past page 10 */
	assert_int_equal(page_cache_truncations(), before);
	sqlite3_pcache_page *kept = layer.xFetch(c, 10, 0);
	assert_non_null(kept);
	layer.xUnpin(c, kept, 0);

	/* A page past the limit (a transaction that grew the file, rolled back): dropped. */
	layer.xUnpin(c, fetch(c, 20), 0);
	layer.xTruncate(c, 11);
	assert_int_equal(page_cache_truncations(), before + 1);
	assert_null(layer.xFetch(c, 20, 0));
	/* ... and the next truncation to the same limit has nothing to drop. */
	layer.xTruncate(c, 11);
	assert_int_equal(page_cache_truncations(), before + 1);

	/* A page still at the spare key is past the limit too. */
	sqlite3_pcache_page *q = fetch(c, 5);
	layer.xRekey(c, q, 5, SPARE);
	layer.xUnpin(c, q, 0);
	layer.xTruncate(c, 11);
	assert_int_equal(page_cache_truncations(), before + 2);
	assert_null(layer.xFetch(c, SPARE, 0));
	layer.xDestroy(c);
}

static int exec(sqlite3 *db, const char *sql)
{
	return sqlite3_exec(db, sql, NULL, NULL, NULL);
}

/* Splits, rollbacks of grown files and deletes through the layer: the file stays whole. */
static void test_store_stays_whole(void **state)
{
	(void)state;
	char dir[256], path[300];
	assert_int_equal(tmpdir_make(dir, sizeof dir, "pcache"), 0);
	snprintf(path, sizeof path, "%s/t.db", dir);
	sqlite3 *db;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(exec(db, "PRAGMA journal_mode=WAL; PRAGMA cache_size=-65536;"
				  "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, v BLOB);"
				  "CREATE INDEX t_k ON t(k);"),
			 SQLITE_OK);
	unsigned long before = page_cache_truncations();
	for (int round = 0; round < 40; round++) {
		char sql[512];
		snprintf(sql, sizeof sql,
			 "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
			 " WHERE i < 300) INSERT INTO t(k, v) SELECT hex(randomblob(12)),"
			 " randomblob(200 + abs(random()) %% 600) FROM n; %s",
			 round % 5 == 4 ? "ROLLBACK;" : "COMMIT;");
		assert_int_equal(exec(db, sql), SQLITE_OK);
		if (round % 3 == 2)
			assert_int_equal(exec(db, "DELETE FROM t WHERE id % 7 = 0"), SQLITE_OK);
	}
	sqlite3_stmt *st;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(st, 0), "ok");
	sqlite3_finalize(st);
	/* Every commit truncates the cache; the rollbacks of grown files had pages to drop. */
	unsigned long passed = page_cache_truncations() - before;
	print_message("truncations passed on: %lu\n", passed);
	assert_true(passed >= 1);
	sqlite3_close(db);
	assert_int_equal(tmpdir_remove(dir), 0);
}

int main(void)
{
	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &sqlite_cache) != SQLITE_OK)
		return 1;
	sqlite3_pcache_methods2 counted = sqlite_cache;
	counted.xTruncate = counted_truncate;
	sqlite3_config(SQLITE_CONFIG_PCACHE2, &counted);
	page_cache_install();
	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &layer) != SQLITE_OK ||
	    sqlite3_initialize() != SQLITE_OK)
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_truncation_skipped_only_when_nothing_lies_past),
	    cmocka_unit_test(test_store_stays_whole),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
