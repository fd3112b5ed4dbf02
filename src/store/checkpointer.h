/* The store's checkpointer (checkpointer.c): a thread with a connection of its own that copies
 * the WAL back into the database file, so the writer stalls only for a RESTART's last frames. */
#ifndef CROWDLOOP_STORE_CHECKPOINTER_H
#define CROWDLOOP_STORE_CHECKPOINTER_H

#include "store/conn.h"

/* Opens the checkpointer's connection and starts its thread (db_open). */
int db_checkpointer_start(db *d, cl_error *err);
/* Stops the thread (the store must be stopping) and closes its connection (db_close). */
void db_checkpointer_stop(db *d);

#endif
