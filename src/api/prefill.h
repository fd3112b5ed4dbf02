/* OCR pre-fill of imported transcription images (api/prefill.c): a project that names an
 * endpoint of its org in "prefill_endpoint" has each image an import brings read by that
 * endpoint's model, before the import's batch is written (no transaction is open while the
 * model reads), and the lines it found become the item's meta.preannotation. */
#ifndef CROWDLOOP_API_PREFILL_H
#define CROWDLOOP_API_PREFILL_H

#include "api/api.h"
#include "core/import.h"
#include "store/store_endpoints.h"

/* Images one import pre-fills at most: past it, images come without a pre-fill (and the
 * report says so once), so an import's time stays bounded. */
#define PREFILL_MAX_IMAGES 200

typedef struct prefill {
	app *a;
	const project *p;
	endpoint_row e;
	bool on;	/* the project pre-fills and its endpoint is there and active */
	int done;	/* images read so far */
	bool over_said; /* the report told of the limit */
} prefill;

/* Looks up the project's pre-fill endpoint; when the project names one that is missing or
 * paused, `why` says so (else it is empty) and the import goes on without pre-fills. */
void prefill_open(prefill *f, app *a, const project *p, char *why, size_t why_size);
void prefill_close(prefill *f);

/* The pre-annotation for image entry `e` ({"lines":[...]}, checked like a submission), or
 * NULL with `why` set when there is none to give (why empty: nothing to say). */
json_t *prefill_image(prefill *f, const import_entry *e, char *why, size_t why_size);

#endif
