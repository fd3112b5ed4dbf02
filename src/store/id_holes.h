/* Reserved ids (id_holes.c): places among a project's tasks and items, left free as they are
 * imported, that gold fills later, so that a gold task or a gold item made after the real ones
 * takes an id among theirs instead of one after them all (docs/SECURITY.md, "Gold"). Functions
 * run inside a write job. */
#ifndef CROWDLOOP_STORE_ID_HOLES_H
#define CROWDLOOP_STORE_ID_HOLES_H

#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

typedef enum { ID_HOLE_TASK, ID_HOLE_ITEM } id_hole_kind;

/* Hands out the ids of one import's rows of a kind, leaving reserved ones between them. */
typedef struct id_holes {
	int64_t project_id;
	id_hole_kind kind;
	int64_t next;	 /* the id the next row gets */
	uint32_t chance; /* a reservation before a row, in millionths */
} id_holes;

/* Starts handing out ids of `kind` after the table's last row, reserving places at the
 * project's rate (twice its gold rate, from 1 in 8 to 1 in 2). CL_EINTERNAL when the last row's
 * id cannot be read. */
int id_holes_start(db_conn *c, id_holes *h, int64_t project_id, id_hole_kind kind,
		   cl_error *err);
/* The id for the next row, maybe reserving the one before it (*reserved, 0 when none). The
 * reservation is recorded by id_holes_keep once the row is in, so that a reserved id always
 * lies below a row and the table's own next id never reaches it. */
int64_t id_holes_next(id_holes *h, int64_t *reserved);
/* Records `reserved` (from id_holes_next) now that the row after it is in, and moves on. */
int id_holes_keep(db_conn *c, id_holes *h, int64_t id, int64_t reserved, cl_error *err);

/* Takes a reserved id of the project's `kind`: the nearest below `near`, else the nearest above
 * it; with `near` 0, the first from a random point. 0 when none is left. */
int64_t id_hole_take(db_conn *c, int64_t project_id, id_hole_kind kind, int64_t near);

#endif
