/* Serving endpoints in SQL (store_endpoints.c): endpoints with their checked targets
 * (core/endpoint.h), their API keys (stored as SHA-256 digests), usage per key and day, the
 * prediction log kept to each endpoint's log_limit, and feedback on predictions. JSON answers
 * are new references in the shapes of docs/API.md. */
#ifndef CROWDLOOP_STORE_STORE_ENDPOINTS_H
#define CROWDLOOP_STORE_STORE_ENDPOINTS_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "store/db.h"
#include "util/err.h"

/* What serving needs of an endpoint. */
typedef struct endpoint_row {
	int64_t id, org_id, revision, log_limit;
	char name[64];
	bool active;
	json_t *targets, *shadow;    /* owned; shadow NULL when none */
	int64_t feedback_project_id; /* the loop's project, 0 when none */
	double feedback_threshold;
	int64_t feedback_daily_cap;
	double feedback_canary_share; /* the share of canary requests both targets answer */
	int64_t feedback_image_budget, feedback_image_days; /* input images kept: bytes, days */
} endpoint_row;

void endpoint_row_release(endpoint_row *e);

/* The fields an endpoint is made or changed with; NULL/negative members are left as they are
 * on a change. `targets` and `shadow` are checked (core/endpoint.h); borrowed. */
typedef struct endpoint_fields {
	const char *name, *state;
	const json_t *targets;
	const json_t *shadow; /* json null clears it */
	int64_t log_limit;
	int64_t log_days; /* the log's rows kept that many days; 0: unchanged (on a change, else
			   * none), -1: no time limit */
	/* The loop's project (0 clears it) and threshold, when feedback_given. */
	bool feedback_given;
	int64_t feedback_project_id;
	double feedback_threshold;
	int64_t feedback_daily_cap;
	double feedback_canary_share;
	int64_t feedback_image_budget, feedback_image_days;
} endpoint_fields;

/* A new endpoint of org `org_id`: *out its Endpoint object. CL_ECONFLICT "endpoint_exists"
 * when the org has one of that name. */
int store_endpoint_create(db *d, int64_t org_id, int64_t user_id, const endpoint_fields *f,
			  json_t **out, cl_error *err);
/* An endpoint's Endpoint object and its org; NULL when missing. */
json_t *store_endpoint_get(db *d, int64_t id, int64_t *org_id);
/* A page of an org's endpoints. */
json_t *store_endpoints_list(db *d, int64_t org_id, int64_t cursor, int limit, bool desc,
			     int64_t *next);
/* Changes an endpoint: a change of its targets or shadow moves its revision. *out: the
 * Endpoint object after. CL_ENOTFOUND, CL_ECONFLICT "endpoint_exists". */
int store_endpoint_update(db *d, int64_t id, const endpoint_fields *f, json_t **out, cl_error *err);
/* Deletes an endpoint with its keys, usage, predictions and feedback, and the files of its kept
 * input images that nothing else names (blobs under data_dir). */
int store_endpoint_delete(db *d, int64_t id, const char *data_dir, cl_error *err);
/* The endpoint of org `org_id` named `name` into *e; CL_ENOTFOUND. */
int store_endpoint_by_name(db *d, int64_t org_id, const char *name, endpoint_row *e);
/* The endpoint named `name` of an org user `user_id` is a member of, into *org_id and
 * *endpoint_id; CL_ENOTFOUND when none, CL_ECONFLICT when two of the user's orgs have one. */
int store_endpoint_of_member(db *d, int64_t user_id, const char *name, int64_t *org_id,
			     int64_t *endpoint_id);
/* The ids of org `org_id`'s endpoints whose targets or shadow hold `needle` (JSON text such as
 * "model":"sentiment"), as a new array; callers check each. */
json_t *store_endpoints_holding(db *d, int64_t org_id, const char *needle);
/* The ids of the active endpoints of every org whose targets or shadow hold a custom model
 * server, as a new array: a starting server starts their processes. */
json_t *store_endpoints_with_servers(db *d);
/* Endpoint `id` into *e; CL_ENOTFOUND. */
int store_endpoint_row(db *d, int64_t id, endpoint_row *e);

/* ---- keys ---- */

/* A key of endpoint `endpoint_id` stored by its digest; *out the Key object (without the
 * key). */
int store_key_create(db *d, int64_t endpoint_id, int64_t user_id, const char *name,
		     const char *prefix, const char *digest, double rate, json_t **out,
		     cl_error *err);
json_t *store_keys_list(db *d, int64_t endpoint_id, int64_t cursor, int limit, bool desc,
			int64_t *next);
/* Revokes key `key_id` of endpoint `endpoint_id`; CL_ENOTFOUND when it is not one of its. */
int store_key_revoke(db *d, int64_t endpoint_id, int64_t key_id, cl_error *err);

/* A live (unrevoked) key found by digest. */
typedef struct endpoint_key {
	int64_t id, endpoint_id, org_id;
	double rate;
} endpoint_key;
/* CL_ENOTFOUND when no live key has this digest. */
int store_key_find(db *d, const char *digest, endpoint_key *out);

/* ---- predictions, usage, feedback ---- */

typedef struct prediction_record {
	int64_t endpoint_id, key_id, latency_us, log_limit;
	const char *target, *request_id; /* request_id may be NULL */
	const char *input_sha256;
	int64_t input_bytes;
	const json_t *output; /* NULL on error */
	/* The output's text as util/json_write.h writes it, when the caller wrote it already (the
	 * answer's own bytes, so that it is written once); NULL: the store writes it. */
	const char *output_text;
	size_t output_len;
	const char *error; /* NULL on success */
	bool shadow;
	const char *input_text; /* kept while the endpoint has a feedback project; else NULL */
	/* The loop (core/prediction_loop.h): the item's meta when this prediction becomes an item
	 * of project loop_project_id, else NULL. */
	json_t *loop_meta;
	int64_t loop_project_id;
	/* An image input the loop's item is made of: its blob (stored already), MIME type and
	 * size; NULL blob for a text input. The hold blob_put took on keep_blob, else on
	 * loop_blob (store/blobs.h), is released by store_prediction_log after its commit. */
	const char *loop_blob, *loop_mime;
	int loop_width, loop_height;
	/* An image input kept for later feedback (stored already as blob keep_blob under
	 * data_dir, keep_bytes long), else NULL; the endpoint keeps image_budget bytes of them
	 * for image_days, the oldest let go first. */
	const char *keep_blob, *keep_mime, *data_dir;
	int keep_width, keep_height;
	int64_t keep_bytes, image_budget, image_days;
} prediction_record;

/* Logs one prediction (and a shadow's, when shadow->target is set) and counts it in the key's
 * usage of the day, in one transaction; *id is the prediction's id. The endpoint's log is
 * trimmed to its log_limit. */
int store_prediction_log(db *d, const prediction_record *p, const prediction_record *shadow,
			 int64_t *id, cl_error *err);
/* Lets go of the kept input images that are to go at `now` whatever is logged: those older
 * than their endpoint's feedback image_days, and all of an endpoint that keeps none any more
 * (its feedback project cleared, its image budget 0), in one transaction; their files (blobs
 * under data_dir) go after its commit when nothing else names them. A cheap read when nothing
 * is due: the job runner's thread calls it every few seconds. *n the images let go. */
int store_kept_images_sweep(db *d, const char *data_dir, int64_t now, int *n, cl_error *err);
/* Deletes the predictions (and their feedback; their kept images are let go) older than their
 * endpoint's log_days at `now`, oldest first, up to a few thousand an endpoint a call: *n of
 * them. The items they made stay. */
int store_log_age_sweep(db *d, const char *data_dir, int64_t now, int *n, cl_error *err);
/* A request's predictions, logged together (store_predictions_log_async). */
#define PREDICTION_BATCH_MAX 16
typedef struct prediction_batch {
	const prediction_record *recs[PREDICTION_BATCH_MAX]; /* borrowed, n of them */
	int n;
	int64_t ids[PREDICTION_BATCH_MAX]; /* the predictions' ids, once logged */
	json_t *let_go;			   /* the store's: kept images the commit leaves unnamed */
	int64_t logged_at;		   /* the store's: when the writer logged them */
} prediction_batch;
/* Logs b's records as store_prediction_log logs one, all in one transaction, without waiting
 * (the keys' usage counted once for all the batches of the writer's group, in its commit):
 * done(arg, rc) runs on a store thread once they are durable (ids filled) or failed (err set).
 * b, its records and err must live until then, and store_predictions_logged must follow.
 * CL_EUNAVAIL when the store is closing (done never runs then). */
int store_predictions_log_async(db *d, prediction_batch *b, cl_error *err, db_done_fn done,
				void *arg);
/* What follows a batch's commit (or its failure, `rc`), as store_prediction_log does it after
 * its own: the records' image holds released, the kept images' files the commit left unnamed
 * removed (rarely any: only a trim of an endpoint's image predictions leaves some). */
void store_predictions_logged(db *d, prediction_batch *b, int rc);
/* A page of an endpoint's predictions, in id order (desc: newest first). */
json_t *store_predictions_list(db *d, int64_t endpoint_id, int64_t cursor, int limit, bool desc,
			       int64_t *next);
/* A page of the endpoint's inbox: its predictions given feedback or that became an item, as
 * store_predictions_list pages them; it reads the feedback and the items, not the whole log. */
json_t *store_predictions_inbox(db *d, int64_t endpoint_id, int64_t cursor, int limit, bool desc,
				int64_t *next);
/* The endpoint of prediction `id` (0 when missing). */
int64_t store_prediction_endpoint(db *d, int64_t id);
/* A prediction's logged output and kept input text (new reference and malloc'd string, NULL
 * when none); CL_ENOTFOUND. */
int store_prediction_input(db *d, int64_t id, json_t **output, char **text);
/* A prediction's kept input image: blob NULL when it had none or it was let go. */
typedef struct prediction_image {
	char blob[65], mime[64];
	int width, height;
	bool had_image;	    /* the input was an image kept for feedback at the time */
	int64_t created_at; /* the prediction's time, ms since the epoch */
} prediction_image;
/* Reads prediction `id`'s kept image into *out; CL_ENOTFOUND. */
int store_prediction_image(db *d, int64_t id, prediction_image *out);
/* Stores (replaces) feedback on a prediction; *out the Feedback object (with "item", the item
 * the prediction became, or null). With loop_meta (borrowed,
 * may be NULL), the prediction's kept input text becomes an item of project loop_project_id in
 * the same transaction, unless the prediction made one already or the rule made the endpoint's
 * feedback_daily_cap of items today (UTC: *capped then); the same holds for a logged
 * prediction's loop_meta. */
int store_feedback_put(db *d, int64_t prediction_id, bool correct, const char *comment,
		       const json_t *correction, json_t *loop_meta, int64_t loop_project_id,
		       json_t **out, bool *capped, cl_error *err);
/* Whether rule `reason` of endpoint `endpoint_id` has made the endpoint's daily cap of items on
 * the UTC day of `now` (ms), as committed: a prediction it answers needs no item then (the
 * writer still holds every item to the cap; a prediction answered in a capped day's last
 * instant and written in the next makes none either). Memoized per read connection once
 * capped, until the day or the endpoint changes. */
bool store_loop_capped(db *d, int64_t endpoint_id, const char *reason, int64_t now);
/* Whether project `project_id` holds an item of content `hash` (blob_hash of a text, or an
 * image's blob name), as committed: a doubtful prediction of it needs no item. */
bool store_loop_holds(db *d, int64_t project_id, const char *hash);
/* An endpoint's usage: [{"key_id","day","requests","errors"}] of its keys, newest day first,
 * up to `days` days. */
json_t *store_endpoint_usage(db *d, int64_t endpoint_id, int days);

#endif
