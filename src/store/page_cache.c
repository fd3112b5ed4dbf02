/* SQLite's default page cache behind a thin layer that skips needless truncations.
 *
 * At every commit SQLite truncates the writer's page cache to the database's size. When a
 * B-tree split has reordered its new pages, it swapped two page numbers through a spare one
 * past the pending byte (page 262,145 at 4 KiB), and the default cache remembers that key as the
 * largest it ever held: the next truncation then walks every hash bucket and page header of the
 * cache (thousands of cache misses) to drop pages that are not there. That walk was 3.7% of the
 * writer's time on the labeling loop (docs/BENCHMARKS.md). This layer keeps its own bound on the
 * keys present, counting the spare key apart, and passes a truncation on only when some page may
 * lie past the limit. Everything else is the default cache's. */
#include "store/page_cache.h"

#include <sqlite3.h>
#include <stdbool.h>
#include <stdlib.h>

static sqlite3_pcache_methods2 inner;

typedef struct cache {
	sqlite3_pcache *inner;
	unsigned spare;	  /* the key B-tree splits swap pages through */
	unsigned max_key; /* no page has a larger key, but one at `spare` */
	bool spare_held;  /* a page may be at `spare` */
} cache;

static int pc_init(void *arg)
{
	return inner.xInit ? inner.xInit(arg) : SQLITE_OK;
}

static void pc_shutdown(void *arg)
{
	if (inner.xShutdown)
		inner.xShutdown(arg);
}

static sqlite3_pcache *pc_create(int page_size, int extra, int purgeable)
{
	cache *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->inner = inner.xCreate(page_size, extra, purgeable);
	if (!c->inner) {
		free(c);
		return NULL;
	}
	/* btree.c's PENDING_BYTE_PAGE with the default pending byte (1 GiB). */
	c->spare = page_size > 0 ? (unsigned)(0x40000000 / page_size) + 1 : 0;
	return (sqlite3_pcache *)c;
}

static void pc_cachesize(sqlite3_pcache *p, int n)
{
	cache *c = (cache *)p;
	inner.xCachesize(c->inner, n);
}

static int pc_pagecount(sqlite3_pcache *p)
{
	cache *c = (cache *)p;
	return inner.xPagecount(c->inner);
}

static sqlite3_pcache_page *pc_fetch(sqlite3_pcache *p, unsigned key, int create)
{
	cache *c = (cache *)p;
	sqlite3_pcache_page *page = inner.xFetch(c->inner, key, create);
	if (page && key == c->spare)
		c->spare_held = true;
	else if (page && key > c->max_key)
		c->max_key = key;
	return page;
}

static void pc_unpin(sqlite3_pcache *p, sqlite3_pcache_page *page, int discard)
{
	cache *c = (cache *)p;
	inner.xUnpin(c->inner, page, discard);
}

static void pc_rekey(sqlite3_pcache *p, sqlite3_pcache_page *page, unsigned from, unsigned to)
{
	cache *c = (cache *)p;
	inner.xRekey(c->inner, page, from, to);
	if (from == c->spare)
		c->spare_held = false;
	if (to == c->spare)
		c->spare_held = true;
	else if (to > c->max_key)
		c->max_key = to;
}

static void pc_truncate(sqlite3_pcache *p, unsigned limit)
{
	cache *c = (cache *)p;
	if (limit > c->max_key && (!c->spare_held || limit > c->spare))
		return; /* no page at or past the limit */
	inner.xTruncate(c->inner, limit);
	if (limit == 0)
		c->max_key = 0;
	else if (limit - 1 < c->max_key)
		c->max_key = limit - 1;
	if (limit <= c->spare)
		c->spare_held = false;
}

static void pc_destroy(sqlite3_pcache *p)
{
	cache *c = (cache *)p;
	inner.xDestroy(c->inner);
	free(c);
}

static void pc_shrink(sqlite3_pcache *p)
{
	cache *c = (cache *)p;
	inner.xShrink(c->inner);
}

void page_cache_install(void)
{
	if (sqlite3_config(SQLITE_CONFIG_GETPCACHE2, &inner) != SQLITE_OK || !inner.xCreate)
		return;
	static const sqlite3_pcache_methods2 layer = {
	    .iVersion = 1,
	    .xInit = pc_init,
	    .xShutdown = pc_shutdown,
	    .xCreate = pc_create,
	    .xCachesize = pc_cachesize,
	    .xPagecount = pc_pagecount,
	    .xFetch = pc_fetch,
	    .xUnpin = pc_unpin,
	    .xRekey = pc_rekey,
	    .xTruncate = pc_truncate,
	    .xDestroy = pc_destroy,
	    .xShrink = pc_shrink,
	};
	sqlite3_pcache_methods2 m = layer;
	m.pArg = inner.pArg;
	sqlite3_config(SQLITE_CONFIG_PCACHE2, &m);
}
