/* Store fault injection (faults.h): counters, the armed fault, and SQLite's counted allocator. */
#include "store/faults.h"

#ifdef CROWDLOOP_FAULTS
#include <sqlite3.h>
#include <stdatomic.h>
#include <stddef.h>

static atomic_long counts[STORE_FAULT_KINDS];
static atomic_long armed_at = 0; /* 0: nothing armed */
static atomic_int armed_kind = 0;
static atomic_bool fired = false;

void store_faults_arm(store_fault kind, long n)
{
	atomic_store(&armed_at, 0);
	for (int k = 0; k < STORE_FAULT_KINDS; k++)
		atomic_store(&counts[k], 0);
	atomic_store(&fired, false);
	atomic_store(&armed_kind, (int)kind);
	atomic_store(&armed_at, n);
}

void store_faults_disarm(void)
{
	atomic_store(&armed_at, 0);
}

long store_faults_count(store_fault kind)
{
	return atomic_load(&counts[kind]);
}

bool store_faults_fired(void)
{
	return atomic_load(&fired);
}

bool store_fault_hit(store_fault kind)
{
	long n = atomic_fetch_add(&counts[kind], 1) + 1;
	long at = atomic_load(&armed_at);
	if (!at || atomic_load(&armed_kind) != (int)kind || n != at)
		return false;
	atomic_store(&fired, true);
	return true;
}

static sqlite3_mem_methods real_mem;

static void *counted_malloc(int n)
{
	return store_fault_hit(STORE_FAULT_ALLOC) ? NULL : real_mem.xMalloc(n);
}

static void *counted_realloc(void *p, int n)
{
	return store_fault_hit(STORE_FAULT_ALLOC) ? NULL : real_mem.xRealloc(p, n);
}

void store_faults_install(void)
{
	if (sqlite3_config(SQLITE_CONFIG_GETMALLOC, &real_mem) != SQLITE_OK)
		return;
	sqlite3_mem_methods counted = real_mem;
	counted.xMalloc = counted_malloc;
	counted.xRealloc = counted_realloc;
	sqlite3_config(SQLITE_CONFIG_MALLOC, &counted);
}
#else
/* ISO C wants a translation unit to declare something. */
typedef int store_faults_off;
#endif
