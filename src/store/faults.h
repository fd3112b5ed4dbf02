/* Store fault injection, for tests: in a build with the CMake option CROWDLOOP_FAULTS, the Nth
 * WAL write, WAL flush or SQLite allocation after store_faults_arm fails, once, as a full disk,
 * a failing device or exhausted memory would make it fail. The writes and flushes are the WAL
 * VFS's (wal_vfs.c) and the writer's flush of the WAL (writer.c); allocations are SQLite's own,
 * counted by an allocator wrapped around its default (SQLITE_CONFIG_MALLOC: Debian's SQLite has
 * no sqlite3_test_control for this). Without the option nothing here counts or fails. */
#ifndef CROWDLOOP_STORE_FAULTS_H
#define CROWDLOOP_STORE_FAULTS_H

#include <stdbool.h>

typedef enum store_fault {
	STORE_FAULT_WRITE, /* a write to the WAL file */
	STORE_FAULT_SYNC,  /* a sync or flush of the WAL file */
	STORE_FAULT_ALLOC, /* an allocation by SQLite */
	STORE_FAULT_KINDS
} store_fault;

#ifdef CROWDLOOP_FAULTS
/* From now on, the `n`th call of `kind` fails (n ≥ 1), once; every kind's count starts again. */
void store_faults_arm(store_fault kind, long n);
/* Nothing fails any more; the counts go on. */
void store_faults_disarm(void);
/* Calls of `kind` since the last arm. */
long store_faults_count(store_fault kind);
/* Whether the armed fault happened. */
bool store_faults_fired(void);
/* Counts a call of `kind`: true when this one must fail. */
bool store_fault_hit(store_fault kind);
/* Wraps SQLite's allocator; before SQLite is initialized (conn.c). */
void store_faults_install(void);
#else
static inline bool store_fault_hit(store_fault kind)
{
	(void)kind;
	return false;
}
static inline void store_faults_install(void)
{
}
#endif

#endif
