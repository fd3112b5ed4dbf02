/* SQLite connections for the store: cached prepared statements, one writer thread that runs
 * every state change and commits them in groups (many jobs, one transaction, one fsync), and
 * one read connection per thread. WAL mode lets readers run beside the writer. This header
 * only gathers conn.h (connections and statements) and writer.h (the writer). */
#ifndef CROWDLOOP_STORE_DB_H
#define CROWDLOOP_STORE_DB_H

#include "store/conn.h"
#include "store/writer.h"

#endif
