/* The numbered schema migrations, applied in order at start (db_open, store/conn.c). Never edit
 * one that has shipped: add the next number. */
#ifndef CROWDLOOP_STORE_MIGRATIONS_H
#define CROWDLOOP_STORE_MIGRATIONS_H

#include <stddef.h>

typedef struct migration {
	int version;
	const char *name;
	const char *sql;
} migration;

extern const migration migrations[];
extern const size_t migrations_count;

#endif
