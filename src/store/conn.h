/* SQLite connections for the store (conn.c): opening and closing the store, one read connection
 * per thread, cached prepared statements, per-connection memos, and the helpers that bind, step
 * and page statements. WAL mode lets readers run beside the writer (writer.h). */
#ifndef CROWDLOOP_STORE_CONN_H
#define CROWDLOOP_STORE_CONN_H

#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

#include "util/err.h"

typedef struct db db;
typedef struct db_conn db_conn;

/* Opens (creating) DIR/crowdloop.db, applies pending migrations and starts the writer thread.
 * `durable`: a write is acknowledged only once the WAL holding it is flushed to disk (else
 * on commit, which survives a killed process but not a power cut). */
int db_open(const char *dir, bool durable, db **out, cl_error *err);
/* Stops the writer after it has finished queued jobs, closes every connection. */
void db_close(db *d);
/* The path of the database file (owned by d). */
const char *db_path(const db *d);

/* The calling thread's read connection (opened on first use, closed by db_close). */
db_conn *db_reader(db *d);
/* A connection of its own for a long read (an export stream); close with db_conn_close. */
db_conn *db_conn_open_reader(db *d);
/* Says how many threads will read, before they do: the readers' page cache budget is shared
 * among them (conn.c, READERS_CACHE_KIB). */
void db_set_readers(db *d, int threads);
/* The page cache, in KiB, of each read connection. */
int db_reader_cache_kib(const db *d);
void db_conn_close(db_conn *c);

/* A number that changes whenever the rows that say who someone is and what they may do (users,
 * tokens, orgs, projects, their members, quality settings, courses, qualifications) may have
 * changed as `c` sees them; 0 when `c` cannot tell (inside a read transaction). A memo of those
 * rows stamped with the epoch it was read under is current while the epoch is the same. The
 * writer moves the readers' epoch after committing such a change, and its own at the change. */
uint64_t db_access_epoch(db_conn *c);
/* Per-connection memos (of the access tables, and of what never changes), one of each kind per
 * connection. */
typedef enum {
	DB_MEMO_PRINCIPALS,
	DB_MEMO_PROJECTS,
	DB_MEMO_QUALITY,
	DB_MEMO_PAY,
	DB_MEMO_TASK_FACTS,
	DB_MEMO_ENDPOINTS,
	DB_MEMO_KEYS,
	DB_MEMO_LOOP_CAPS,
	DB_MEMO_LOOP_HELD,
	DB_MEMO_TRIMS,
	DB_MEMO_COUNT
} db_memo;
/* The connection's memo `which`: `size` zeroed bytes on first use (NULL when out of memory);
 * `release` (may be NULL) frees what the memo owns when the connection closes. */
void *db_conn_memo(db_conn *c, db_memo which, size_t size, void (*release)(void *mem));
/* Begins/ends a read transaction on a reader, so several queries see one snapshot. */
void db_read_begin(db_conn *c);
void db_read_end(db_conn *c);

/* A prepared statement for `sql`, cached per connection by the address of the literal, reset
 * and with bindings cleared. `sql` must be a string literal (static storage). */
sqlite3_stmt *db_stmt(db_conn *c, const char *sql);
/* The raw handle, for sqlite3_changes / last_insert_rowid / errmsg. */
sqlite3 *db_handle(db_conn *c);

/* Runs a statement that returns no rows (after binding); returns 0, CL_ECONFLICT on a
 * constraint violation, CL_EINTERNAL otherwise (logged). Resets the statement. */
int db_exec_stmt(sqlite3_stmt *st, cl_error *err);
/* Adds to a counting row: runs `update`, and `insert` when it changed no row (the first count);
 * both take args[0..n-1] as ?1..?n. One seek where the row is there, as it nearly always is,
 * against two for INSERT ... ON CONFLICT DO UPDATE. Returns as db_exec_stmt. */
int db_count(db_conn *c, const char *update, const char *insert, const int64_t *args, int n,
	     cl_error *err);
/* sqlite3_step with errors logged; returns SQLITE_ROW, SQLITE_DONE or the error. */
int db_step(sqlite3_stmt *st);

/* Steps a list query bound to return `limit` + 1 rows whose column 0 is the id: a new array of
 * row(st) for the first `limit` rows; *next is the last row's id when more remain, else 0.
 * Resets the statement. */
json_t *db_page(sqlite3_stmt *st, int limit, json_t *(*row)(sqlite3_stmt *st), int64_t *next);

/* The text of a page of `base` (a query whose WHERE binds ?1, the list's owner) in `key` order,
 * after the cursor ?2, at most ?3 rows; both directions come from one base text. Run it with
 * db_owned_page. */
#define DB_PAGE_SQL(desc, base, key)                                                               \
	((desc) ? base " AND " key " < ?2 ORDER BY " key " DESC LIMIT ?3"                          \
		: base " AND " key " > ?2 ORDER BY " key " LIMIT ?3")
/* Binds a DB_PAGE_SQL statement's owner, cursor (0: from the start) and limit, and answers its
 * page as db_page does. */
json_t *db_owned_page(sqlite3_stmt *st, int64_t owner, int64_t cursor, int limit, bool desc,
		      json_t *(*row)(sqlite3_stmt *st), int64_t *next);

/* Bind helpers: text NULL binds NULL. Index is 1-based as in SQLite. */
void db_bind_text(sqlite3_stmt *st, int i, const char *s);
void db_bind_int(sqlite3_stmt *st, int i, int64_t v);

/* One value to bind, made with DB_INT, DB_TEXT or DB_REAL (each converts its argument as a
 * function parameter of that type would). */
typedef struct db_value {
	enum { DB_VALUE_INT, DB_VALUE_TEXT, DB_VALUE_REAL } type;
	union {
		int64_t i;
		const char *text; /* NULL binds NULL; copied by SQLite */
		double real;
	};
} db_value;
#define DB_INT(v) ((db_value){.type = DB_VALUE_INT, .i = (v)})
#define DB_TEXT(v) ((db_value){.type = DB_VALUE_TEXT, .text = (v)})
#define DB_REAL(v) ((db_value){.type = DB_VALUE_REAL, .real = (v)})
/* Binds values[0..n-1] to ?1..?n. */
void db_bind_values(sqlite3_stmt *st, const db_value *values, int n);
/* Binds its values to ?1, ?2, ... in order: db_bind(st, DB_INT(project_id), DB_TEXT(name)).
 * The values are evaluated in no set order, as a function's arguments are. */
#define db_bind(st, ...)                                                                           \
	db_bind_values((st), (const db_value[]){__VA_ARGS__},                                      \
		       (int)(sizeof((const db_value[]){__VA_ARGS__}) / sizeof(db_value)))
/* Column text as a C string ("" for NULL). */
const char *db_col_text(sqlite3_stmt *st, int i);
/* Column text parsed as a JSON array or object (a new reference); JSON null when it is NULL or
 * not JSON. */
json_t *db_col_json(sqlite3_stmt *st, int i);
/* Steps a bound statement and answers column 0 of its first row as an integer, 0 when there is
 * no row; resets the statement. */
int64_t db_one_int(sqlite3_stmt *st);
/* The first column of every row of `st` as integers (a new array); resets st. */
json_t *db_ints(sqlite3_stmt *st);
/* Steps a bound statement and copies column 0 of its first row as text into out (`size` bytes,
 * cut to fit; "" when there is no row); resets the statement. True when there was a row. */
bool db_one_text(sqlite3_stmt *st, char *out, size_t size);

/* ---- between the store's connection, writer and checkpointer files ---- */

/* Opens a connection to the database file at `path`, configured for the writer (`writer`) or a
 * reader; CL_ENOMEM or CL_EINTERNAL (logged). */
int db_conn_open(const char *path, bool writer, bool durable, db_conn **out);
/* (Re)installs the writer's busy handler on its connection: short waits for the write lock, up
 * to the usual timeout. */
void db_conn_writer_busy(db_conn *c);
/* Runs SQL text (no rows, no bindings) on a connection; CL_EINTERNAL (logged) on failure. */
int db_exec_sql(db_conn *c, const char *sql);

#endif
