/* SQLite's own page cache with one cost taken out (page_cache.c). */
#ifndef CROWDLOOP_STORE_PAGE_CACHE_H
#define CROWDLOOP_STORE_PAGE_CACHE_H

/* Installs it for every connection of the process; call before SQLite initializes (later, SQLite
 * keeps its own and this does nothing). */
void page_cache_install(void);

#endif
