/* Unit tests of the store's endpoints and keys as every prediction reads them: memoized per
 * read connection and access epoch (store_endpoints.c), so a second read on the same thread
 * comes from the memo, and a change of the endpoint (paused, retargeted, renamed) or of its key
 * (revoked) is seen by the very next read. The input images an endpoint keeps are let go with
 * their files after the commit, sparing bytes put meanwhile for another reference. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "db_fixture.h"
#include "store/blobs.h"
#include "store/store_endpoints.h"
#include "util/clock.h"

#include <unistd.h>

#define DIGEST "0f0e0d0c0b0a09080706050403020100f0e0d0c0b0a090807060504030201000"

static int add_user_and_org(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	sqlite3_stmt *st = db_stmt(c, "INSERT INTO users(id, username, password_hash, created_at)"
				      " VALUES (1, 'eng', 'x', 0)");
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	st = db_stmt(
	    c, "INSERT INTO orgs(id, name, currency, created_at) VALUES (1, 'acme', 'USD', 0)");
	return db_exec_stmt(st, err);
}

/* A new endpoint "ocr" of org 1 serving `service`; its id. */
static int64_t endpoint_made(fixture *f, const char *service)
{
	cl_error err;
	json_t *targets = json_pack("[{s:s}]", "service", service), *out = NULL;
	endpoint_fields fields = {.name = "ocr", .targets = targets, .log_limit = 100};
	assert_int_equal(store_endpoint_create(f->d, 1, 1, &fields, &out, &err), 0);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_decref(targets);
	return id;
}

/* Key "k" (rate limit 5 a second) of endpoint `endpoint_id`, by user 1; its id. */
static int64_t key_made(fixture *f, int64_t endpoint_id)
{
	cl_error err;
	json_t *out = NULL;
	assert_int_equal(
	    store_key_create(f->d, endpoint_id, 1, "k", "clk_0f0e", DIGEST, 5.0, &out, &err), 0);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	return id;
}

/* Reads endpoint `name` of org 1 twice (the second from the memo) and checks both agree;
 * CL_ENOTFOUND when missing. */
static int read_twice(fixture *f, const char *name, endpoint_row *e)
{
	endpoint_row first;
	int rc = store_endpoint_by_name(f->d, 1, name, &first);
	assert_int_equal(store_endpoint_by_name(f->d, 1, name, e), rc);
	if (!rc) {
		assert_true(first.id == e->id && first.active == e->active &&
			    first.revision == e->revision);
		assert_true(json_equal(first.targets, e->targets));
		endpoint_row_release(&first);
	}
	return rc;
}

static void test_endpoint_reads_follow_every_change(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	int64_t id = endpoint_made(f, "ocr");
	endpoint_row e;
	assert_int_equal(read_twice(f, "ocr", &e), 0);
	assert_true(e.active);
	assert_int_equal(e.revision, 1);
	endpoint_row_release(&e);

	json_t *out = NULL;
	endpoint_fields pause = {.state = "paused"};
	assert_int_equal(store_endpoint_update(f->d, id, &pause, &out, &err), 0);
	json_decref(out);
	assert_int_equal(read_twice(f, "ocr", &e), 0);
	assert_false(e.active);
	endpoint_row_release(&e);

	json_t *targets = json_pack("[{s:s}]", "service", "other");
	endpoint_fields retarget = {.targets = targets};
	assert_int_equal(store_endpoint_update(f->d, id, &retarget, &out, &err), 0);
	json_decref(out);
	assert_int_equal(read_twice(f, "ocr", &e), 0);
	assert_int_equal(e.revision, 2);
	assert_true(json_equal(e.targets, targets));
	endpoint_row_release(&e);
	json_decref(targets);

	endpoint_fields rename = {.name = "ocr-2"};
	assert_int_equal(store_endpoint_update(f->d, id, &rename, &out, &err), 0);
	json_decref(out);
	assert_int_equal(read_twice(f, "ocr", &e), CL_ENOTFOUND);
	assert_int_equal(read_twice(f, "ocr-2", &e), 0);
	assert_int_equal(e.id, id);
	endpoint_row_release(&e);
}

static void test_a_revoked_key_is_gone_at_once(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	int64_t endpoint_id = endpoint_made(f, "ocr");
	int64_t key_id = key_made(f, endpoint_id);
	endpoint_key k = {0};
	for (int i = 0; i < 2; i++) {
		assert_int_equal(store_key_find(f->d, DIGEST, &k), 0);
		assert_int_equal(k.id, key_id);
		assert_int_equal(k.endpoint_id, endpoint_id);
		assert_int_equal(k.org_id, 1);
		assert_true(k.rate == 5.0);
	}
	assert_int_equal(store_key_revoke(f->d, endpoint_id, key_id, &err), 0);
	assert_int_equal(store_key_find(f->d, DIGEST, &k), CL_ENOTFOUND);
	assert_int_equal(store_key_find(f->d, DIGEST, &k), CL_ENOTFOUND);
}

/* Prediction of an image the endpoint keeps: `bytes` put as a blob (held until the log releases
 * it), then logged with keep_blob within `budget` bytes; the blob's name into `hash`. */
static void image_logged(fixture *f, int64_t endpoint_id, const char *bytes, int64_t budget,
			 char hash[65])
{
	size_t n = strlen(bytes);
	blob_hash(bytes, n, hash);
	assert_int_equal(blob_put(f->dir, hash, bytes, n), 0);
	prediction_record rec = {.endpoint_id = endpoint_id,
				 .log_limit = 100,
				 .target = "ocr",
				 .input_sha256 = DIGEST,
				 .input_bytes = (int64_t)n,
				 .keep_blob = hash,
				 .keep_mime = "image/png",
				 .keep_width = 1,
				 .keep_height = 1,
				 .keep_bytes = (int64_t)n,
				 .image_budget = budget,
				 .image_days = 7,
				 .data_dir = f->dir};
	int64_t id;
	cl_error err;
	assert_int_equal(store_prediction_log(f->d, &rec, NULL, &id, &err), 0);
}

static bool blob_exists(fixture *f, const char *hash)
{
	char path[4096];
	return !blob_path(f->dir, hash, path, sizeof path) && access(path, F_OK) == 0;
}

/* The kept images' files go after the commit that lets them go, unless the same bytes were put
 * for a reference on its way (an upload not yet committed); the sweep lets go of them without
 * another image being logged. */
static void test_kept_images_let_go_spare_bytes_put_meanwhile(void **state)
{
	fixture *f = *state;
	cl_error err;
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	int64_t endpoint_id = endpoint_made(f, "ocr");
	const char *a = "image a, 24 bytes long..", *b = "image b, 24 bytes long..",
		   *c = "image c, 24 bytes long..";
	char ha[65], hb[65], hc[65];
	int64_t budget = 36; /* one image and a half: each new one lets the oldest go */
	image_logged(f, endpoint_id, a, budget, ha);
	assert_true(blob_exists(f, ha));
	/* An upload puts a's bytes; its item is not committed yet when b lets a go. */
	assert_int_equal(blob_put(f->dir, ha, a, strlen(a)), 0);
	image_logged(f, endpoint_id, b, budget, hb);
	assert_true(blob_exists(f, ha));
	blob_release(ha);
	/* Nothing holds b when c lets it go: its file goes with the commit. */
	image_logged(f, endpoint_id, c, budget, hc);
	assert_false(blob_exists(f, hb));
	assert_true(blob_exists(f, hc));
	/* The endpoint has no feedback project (its loop was cleared): the sweep lets c go. */
	int n = 0;
	assert_int_equal(store_kept_images_sweep(f->d, f->dir, clock_now_ms(), &n, &err), 0);
	assert_int_equal(n, 1);
	assert_false(blob_exists(f, hc));
	assert_int_equal(store_kept_images_sweep(f->d, f->dir, clock_now_ms(), &n, &err), 0);
	assert_int_equal(n, 0);
}

/* A record of a prediction of `endpoint_id` through a member's session (no key). */
static prediction_record record(int64_t endpoint_id, const json_t *output)
{
	return (prediction_record){.endpoint_id = endpoint_id,
				   .latency_us = 7,
				   .log_limit = 100,
				   .target = "text_linear:/m",
				   .input_sha256 = DIGEST,
				   .input_bytes = 12,
				   .output = output};
}

static size_t logged(fixture *f, int64_t endpoint_id)
{
	int64_t next = 0;
	json_t *page = store_predictions_list(f->d, endpoint_id, 0, 50, true, &next);
	size_t n = json_array_size(page);
	json_decref(page);
	return n;
}

/* The ids an endpoint's log keeps, oldest first, into `ids` (up to `max`); how many. */
static size_t kept_ids(fixture *f, int64_t endpoint_id, int64_t *ids, size_t max)
{
	size_t n = 0;
	int64_t cursor = 0, next = 0;
	do {
		json_t *page = store_predictions_list(f->d, endpoint_id, cursor, 50, false, &next);
		for (size_t i = 0; i < json_array_size(page) && n < max; i++)
			ids[n++] =
			    json_integer_value(json_object_get(json_array_get(page, i), "id"));
		json_decref(page);
		cursor = next;
	} while (next && n < max);
	return n;
}

/* Logs one prediction of `endpoint_id` with log limit `limit` and appends its id to `ids`. */
static void log_one(fixture *f, int64_t endpoint_id, int64_t limit, int64_t *ids, size_t *n)
{
	json_t *output = json_pack("{s:s}", "label", "pos");
	prediction_record rec = record(endpoint_id, output);
	rec.log_limit = limit;
	cl_error err;
	assert_int_equal(store_prediction_log(f->d, &rec, NULL, &ids[*n], &err), 0);
	(*n)++;
	json_decref(output);
}

/* The log keeps exactly a suffix of what was logged, never under its limit (or the `rows` it
 * may hold, when fewer) and at most a trim's step over it (16 at these limits), however the
 * endpoints share the inserts; two steps after a trim that a failed batch undid. */
static void assert_log_holds(fixture *f, int64_t endpoint_id, int64_t limit, const int64_t *ids,
			     size_t n, size_t rows)
{
	int64_t kept[400];
	size_t k = kept_ids(f, endpoint_id, kept, 400);
	size_t least = rows < (size_t)limit ? rows : (size_t)limit;
	assert_true(k >= least);
	assert_true(k <= (size_t)limit + 2 * 16);
	for (size_t i = 0; i < k; i++)
		assert_int_equal(kept[i], ids[n - k + i]);
}

static void assert_log_kept(fixture *f, int64_t endpoint_id, int64_t limit, const int64_t *ids,
			    size_t n)
{
	assert_log_holds(f, endpoint_id, limit, ids, n, n);
}

/* Two endpoints' predictions interleaved (their ids shared), trims remembered from one to the
 * next: under the limit, after a limit lowered and raised, a batch rolled back after its trim and
 * an endpoint deleted and made again, every log still keeps exactly its newest rows. */
static void test_the_log_is_trimmed_to_its_newest_rows(void **state)
{
	fixture *f = *state;
	cl_error err = {0};
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	int64_t a = endpoint_made(f, "ocr"), b = 0;
	json_t *targets = json_pack("[{s:s}]", "service", "langid"), *out = NULL;
	endpoint_fields fields = {.name = "lid", .targets = targets, .log_limit = 100};
	assert_int_equal(store_endpoint_create(f->d, 1, 1, &fields, &out, &err), 0);
	b = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	static int64_t ids_a[2000], ids_b[2000];
	size_t na = 0, nb = 0;
	int64_t limit_a = 40;
	size_t rows_a = 0; /* the rows a's log may hold: all but those trimmed before the raise */
	for (int i = 0; i < 600; i++) {
		if (i == 300)
			limit_a = 25; /* a lower limit: the remembered cut no longer fits */
		if (i == 450) {
			/* A higher one: the log grows under it, counted from the memo. */
			int64_t kept[400];
			rows_a = kept_ids(f, a, kept, 400);
			limit_a = 60;
		}
		log_one(f, a, limit_a, ids_a, &na);
		rows_a++;
		assert_log_holds(f, a, limit_a, ids_a, na, i < 450 ? na : rows_a);
		if (i % 3 == 0) {
			log_one(f, b, 30, ids_b, &nb);
			assert_log_kept(f, b, 30, ids_b, nb);
		}
		if (i % 50 == 7) {
			/* Trims may run in the first record's job; the second names no endpoint. */
			json_t *o = json_pack("{s:s}", "label", "pos");
			prediction_record recs[2] = {record(a, o), record(999, o)};
			recs[0].log_limit = limit_a;
			prediction_batch bad = {.recs = {&recs[0], &recs[1]}, .n = 2};
			db_wait w;
			db_wait_init(&w);
			assert_int_equal(
			    store_predictions_log_async(f->d, &bad, &err, db_wait_done, &w), 0);
			int rc = db_wait_for(&w);
			assert_int_not_equal(rc, 0);
			store_predictions_logged(f->d, &bad, rc);
			json_decref(o);
			assert_log_holds(f, a, limit_a, ids_a, na, i < 450 ? na : rows_a);
		}
	}
	/* Deleted and made again (its rows gone, its id perhaps given again): trimmed anew. */
	assert_int_equal(store_endpoint_delete(f->d, b, NULL, &err), 0);
	assert_int_equal(store_endpoint_create(f->d, 1, 1, &fields, &out, &err), 0);
	b = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	nb = 0;
	for (int i = 0; i < 100; i++) {
		log_one(f, b, 30, ids_b, &nb);
		assert_log_kept(f, b, 30, ids_b, nb);
	}
	json_decref(targets);
}

/* A request's predictions go to the writer together: done once they are durable, with their
 * ids in order; when one of them cannot be written none is. */
static void test_a_batch_is_logged_in_one_transaction(void **state)
{
	fixture *f = *state;
	cl_error err = {0};
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	int64_t endpoint_id = endpoint_made(f, "ocr");
	json_t *output = json_pack("{s:s}", "label", "pos");
	prediction_record recs[3] = {record(endpoint_id, output), record(endpoint_id, output),
				     record(endpoint_id, output)};
	prediction_batch b = {.recs = {&recs[0], &recs[1], &recs[2]}, .n = 3};
	db_wait w;
	db_wait_init(&w);
	assert_int_equal(store_predictions_log_async(f->d, &b, &err, db_wait_done, &w), 0);
	assert_int_equal(db_wait_for(&w), 0);
	store_predictions_logged(f->d, &b, 0);
	assert_true(b.ids[0] > 0 && b.ids[1] == b.ids[0] + 1 && b.ids[2] == b.ids[1] + 1);
	assert_int_equal(store_prediction_endpoint(f->d, b.ids[2]), endpoint_id);
	assert_int_equal(logged(f, endpoint_id), 3);

	/* The second names no endpoint: the first is rolled back with it. */
	recs[1].endpoint_id = 999;
	prediction_batch bad = {.recs = {&recs[0], &recs[1]}, .n = 2};
	db_wait_init(&w);
	assert_int_equal(store_predictions_log_async(f->d, &bad, &err, db_wait_done, &w), 0);
	int rc = db_wait_for(&w);
	assert_int_not_equal(rc, 0);
	store_predictions_logged(f->d, &bad, rc);
	assert_int_equal(logged(f, endpoint_id), 3);
	json_decref(output);
}

/* The usage of the key a group's batches called with: every prediction counted (errors too), in
 * one row a day, whether the batches share a group or not. */
static void test_a_batch_counts_its_key_usage(void **state)
{
	fixture *f = *state;
	cl_error err = {0};
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	int64_t endpoint_id = endpoint_made(f, "ocr");
	int64_t key_id = key_made(f, endpoint_id);
	json_t *output = json_pack("{s:s}", "label", "pos");
	enum { BATCHES = 8 };
	prediction_record recs[3] = {record(endpoint_id, output), record(endpoint_id, output),
				     record(endpoint_id, output)};
	recs[2].output = NULL;
	recs[2].error = "the model failed";
	for (int i = 0; i < 3; i++)
		recs[i].key_id = key_id;
	prediction_batch b[BATCHES];
	db_wait w[BATCHES];
	for (int i = 0; i < BATCHES; i++) {
		b[i] = (prediction_batch){.recs = {&recs[0], &recs[1], &recs[2]}, .n = 3};
		db_wait_init(&w[i]);
		assert_int_equal(
		    store_predictions_log_async(f->d, &b[i], &err, db_wait_done, &w[i]), 0);
	}
	for (int i = 0; i < BATCHES; i++) {
		assert_int_equal(db_wait_for(&w[i]), 0);
		store_predictions_logged(f->d, &b[i], 0);
	}
	json_t *usage = store_endpoint_usage(f->d, endpoint_id, 1);
	assert_int_equal(json_array_size(usage), 1);
	json_t *day = json_array_get(usage, 0);
	assert_int_equal(json_integer_value(json_object_get(day, "key_id")), key_id);
	assert_int_equal(json_integer_value(json_object_get(day, "requests")), 3 * BATCHES);
	assert_int_equal(json_integer_value(json_object_get(day, "errors")), BATCHES);
	json_decref(usage);
	json_decref(output);
}

/* Sets endpoint 1's daily cap (ctx: the cap) and its low-confidence count of day 0 and day 1
 * (ms 0 and 86400000, UTC) to what ctx says: {cap, made on day 0, made on day 1}. */
static int loop_counts_set(db_conn *c, void *ctx, cl_error *err)
{
	const int64_t *v = ctx;
	sqlite3_stmt *st = db_stmt(c, "UPDATE endpoints SET feedback_daily_cap = ? WHERE id = 1");
	db_bind_int(st, 1, v[0]);
	int rc = db_exec_stmt(st, err);
	for (int day = 0; !rc && day < 2; day++) {
		st = db_stmt(c, "INSERT INTO prediction_loop_days(endpoint_id, reason, day, made)"
				" VALUES (1, 'low_confidence', ?1, ?2) ON CONFLICT"
				" (endpoint_id, reason, day) DO UPDATE SET made = ?2");
		db_bind(st, DB_INT((int64_t)day * 86400000), DB_INT(v[1 + day]));
		rc = db_exec_stmt(st, err);
	}
	return rc;
}

/* Sets endpoint 1's low-confidence count of day 0 to `*made` without changing the endpoint (as
 * an item made counts it: the access epoch stays). */
static int loop_count_made(db_conn *c, void *ctx, cl_error *err)
{
	sqlite3_stmt *st =
	    db_stmt(c, "UPDATE prediction_loop_days SET made = ?"
		       " WHERE endpoint_id = 1 AND reason = 'low_confidence' AND day = 0");
	db_bind_int(st, 1, *(const int64_t *)ctx);
	return db_exec_stmt(st, err);
}

/* The rule at its daily cap is memoized per reader (every doubtful prediction of the rest of the
 * day asks), yet never says capped under the cap: not before the count reaches it, not on the
 * next day, not once the cap is raised, not for another rule. */
static void test_a_capped_rule_is_memoized_for_its_day_only(void **state)
{
	fixture *f = *state;
	cl_error err = {0};
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	assert_int_equal(endpoint_made(f, "ocr"), 1);
	const int64_t noon = 43200000, next_day = 86400000 + 1000;
	int64_t counts[3] = {3, 1, 0};
	assert_int_equal(db_write(f->d, loop_counts_set, counts, &err), 0);
	/* Under the cap, asked twice at each count: nothing memoized lets the third item past. */
	assert_false(store_loop_capped(f->d, 1, "low_confidence", noon));
	assert_false(store_loop_capped(f->d, 1, "low_confidence", noon));
	assert_int_equal(db_write(f->d, loop_count_made, &(int64_t){2}, &err), 0);
	assert_false(store_loop_capped(f->d, 1, "low_confidence", noon));
	assert_int_equal(db_write(f->d, loop_count_made, &(int64_t){3}, &err), 0);
	assert_true(store_loop_capped(f->d, 1, "low_confidence", noon));
	assert_true(store_loop_capped(f->d, 1, "low_confidence", noon + 1));
	/* Another rule counts for itself. */
	assert_false(store_loop_capped(f->d, 1, "canary_disagreement", noon));
	/* The next day starts from its own count. */
	assert_false(store_loop_capped(f->d, 1, "low_confidence", next_day));
	/* A raised cap is seen by the next prediction: the endpoint's change moves the epoch. */
	counts[0] = 4;
	counts[1] = 3;
	assert_int_equal(db_write(f->d, loop_counts_set, counts, &err), 0);
	assert_false(store_loop_capped(f->d, 1, "low_confidence", noon));
	assert_int_equal(db_write(f->d, loop_count_made, &(int64_t){4}, &err), 0);
	assert_true(store_loop_capped(f->d, 1, "low_confidence", noon));
	/* Once capped, the memo answers without reading the count: set below the cap behind its
	 * back (never so in use: a day's count only grows), the day still reads as capped. */
	assert_int_equal(db_write(f->d, loop_count_made, &(int64_t){0}, &err), 0);
	assert_true(store_loop_capped(f->d, 1, "low_confidence", noon));
}

/* A project with item 1, for the loop's items to name. */
static int add_item(db_conn *c, void *ctx, cl_error *err)
{
	(void)ctx;
	sqlite3_stmt *st = db_stmt(
	    c,
	    "INSERT INTO projects(id, org_id, name, kind, labels, multi_label, instructions,"
	    " price, reviewer_fee, review_sample, review_rate, overlap, lease_seconds, max_rounds,"
	    " status, is_public, created_at) VALUES (1, 1, 'loop', 'text_class', '[]', 0, '', 0,"
	    " 0, 0, 0, 1, 60, 1, 'active', 0, 0)");
	int rc = db_exec_stmt(st, err);
	if (rc)
		return rc;
	st = db_stmt(c, "INSERT INTO items(id, project_id, type, content_hash, created_at)"
			" VALUES (1, 1, 'text', 'h', 0)");
	return db_exec_stmt(st, err);
}

/* Feedback on, or an item of, each of `n` predictions of an endpoint (as the loop writes them). */
struct inbox_marks {
	int64_t endpoint_id;
	const int64_t *ids;
	size_t n;
	bool feedback; /* else an item */
};

static int inbox_mark(db_conn *c, void *ctx, cl_error *err)
{
	const struct inbox_marks *m = ctx;
	int rc = 0;
	for (size_t i = 0; !rc && i < m->n; i++) {
		sqlite3_stmt *st =
		    m->feedback
			? db_stmt(c, "INSERT INTO prediction_feedback(prediction_id, correct,"
				     " created_at) VALUES (?1, 0, 0)")
			: db_stmt(c, "INSERT INTO prediction_items(prediction_id, endpoint_id,"
				     " item_id, reason, created_at)"
				     " VALUES (?1, ?2, 1, 'negative_feedback', 0)");
		db_bind(st, DB_INT(m->ids[i]), DB_INT(m->endpoint_id));
		rc = db_exec_stmt(st, err);
	}
	return rc;
}

/* Every page of an endpoint's inbox of `limit` rows in one order, their ids into `ids`; each row
 * has its feedback or its item. How many. */
static size_t inbox_ids(fixture *f, int64_t endpoint_id, int limit, bool desc, int64_t *ids,
			size_t max)
{
	size_t n = 0;
	int64_t cursor = 0, next = 0;
	do {
		json_t *page =
		    store_predictions_inbox(f->d, endpoint_id, cursor, limit, desc, &next);
		assert_true(json_array_size(page) <= (size_t)limit);
		for (size_t i = 0; i < json_array_size(page); i++) {
			json_t *p = json_array_get(page, i);
			assert_true(!json_is_null(json_object_get(p, "feedback")) ||
				    !json_is_null(json_object_get(p, "item")));
			assert_true(n < max);
			ids[n++] = json_integer_value(json_object_get(p, "id"));
		}
		json_decref(page);
		cursor = next;
	} while (next);
	return n;
}

/* The inbox pages through exactly the predictions of the endpoint's log that have feedback or
 * an item (one row for one with both), in either order at any page size, however many other
 * predictions, of it or of another endpoint with feedback on all of its, lie between; the items
 * of its trimmed predictions are not listed. */
static void test_the_inbox_lists_feedback_and_items_only(void **state)
{
	fixture *f = *state;
	cl_error err = {0};
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	assert_int_equal(db_write(f->d, add_item, NULL, &err), 0);
	int64_t a = endpoint_made(f, "ocr"), b = 0, c = 0;
	json_t *targets = json_pack("[{s:s}]", "service", "langid"), *out = NULL;
	endpoint_fields fields = {.name = "lid", .targets = targets, .log_limit = 1000};
	assert_int_equal(store_endpoint_create(f->d, 1, 1, &fields, &out, &err), 0);
	b = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	fields.name = "quiet";
	assert_int_equal(store_endpoint_create(f->d, 1, 1, &fields, &out, &err), 0);
	c = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_decref(targets);

	static int64_t ids_a[400], ids_b[400], kept[400], got[400];
	size_t na = 0, nb = 0;
	for (int i = 0; i < 400; i++) {
		if (i % 3)
			log_one(f, a, 60, ids_a, &na);
		else
			log_one(f, b, 1000, ids_b, &nb);
	}
	log_one(f, c, 1000, got, &(size_t){0});
	size_t k = kept_ids(f, a, kept, 400);
	assert_true(k >= 60 && k < na);
	/* Feedback on every 7th kept prediction of a, an item of every 5th, and of every 5th
	 * trimmed one (the loop keeps those); feedback on every prediction of b. */
	int64_t fb[400], items[400];
	size_t nfb = 0, nitems = 0, ntrimmed = 0;
	for (size_t i = 0; i < k; i++) {
		if (i % 7 == 3)
			fb[nfb++] = kept[i];
		if (i % 5 == 1)
			items[nitems++] = kept[i];
	}
	for (size_t i = 0; ids_a[i] < kept[0]; i += 5, ntrimmed++)
		items[nitems++] = ids_a[i];
	assert_true(ntrimmed > 0);
	struct inbox_marks marks[] = {
	    {a, fb, nfb, true}, {a, items, nitems, false}, {b, ids_b, nb, true}};
	for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++)
		assert_int_equal(db_write(f->d, inbox_mark, &marks[i], &err), 0);

	int64_t want[400];
	size_t nwant = 0;
	for (size_t i = 0; i < k; i++)
		if (i % 7 == 3 || i % 5 == 1)
			want[nwant++] = kept[i];
	assert_true(nwant > 1);
	static const int limits[] = {1, 2, 5, 500};
	for (size_t l = 0; l < sizeof limits / sizeof limits[0]; l++) {
		size_t n = inbox_ids(f, a, limits[l], false, got, 400);
		assert_int_equal(n, nwant);
		assert_memory_equal(got, want, n * sizeof *got);
		n = inbox_ids(f, a, limits[l], true, got, 400);
		assert_int_equal(n, nwant);
		for (size_t i = 0; i < n; i++)
			assert_int_equal(got[i], want[n - 1 - i]);
	}
	assert_int_equal(inbox_ids(f, b, 50, true, got, 400), nb);
	/* Predictions, none with feedback or an item: an empty inbox. */
	assert_int_equal(inbox_ids(f, c, 50, true, got, 400), 0);
	assert_int_equal(inbox_ids(f, c, 50, false, got, 400), 0);
}

/* Predictions older than their endpoint's log_days go at the sweep, oldest first; younger ones
 * and those of an endpoint without log_days stay; and the trims after the sweep count the log
 * it left, not the one the last trim saw (which would cut rows under the limit). */
static void test_old_predictions_go_after_log_days(void **state)
{
	fixture *f = *state;
	cl_error err = {0};
	assert_int_equal(db_write(f->d, add_user_and_org, NULL, &err), 0);
	json_t *targets = json_pack("[{s:s}]", "service", "langid"), *out = NULL;
	endpoint_fields aged = {.name = "aged", .targets = targets, .log_limit = 40, .log_days = 2};
	assert_int_equal(store_endpoint_create(f->d, 1, 1, &aged, &out, &err), 0);
	int64_t a = json_integer_value(json_object_get(out, "id"));
	assert_int_equal(json_integer_value(json_object_get(out, "log_days")), 2);
	json_decref(out);
	endpoint_fields ageless = {.name = "ageless", .targets = targets, .log_limit = 40};
	assert_int_equal(store_endpoint_create(f->d, 1, 1, &ageless, &out, &err), 0);
	int64_t b = json_integer_value(json_object_get(out, "id"));
	assert_true(json_is_null(json_object_get(out, "log_days")));
	json_decref(out);
	static int64_t ids_a[200], ids_b[200];
	size_t na = 0, nb = 0;
	for (int i = 0; i < 20; i++) {
		log_one(f, a, 40, ids_a, &na);
		log_one(f, b, 40, ids_b, &nb);
	}
	usleep(20000);
	int64_t between = clock_now_ms();
	usleep(20000);
	for (int i = 0; i < 20; i++)
		log_one(f, a, 40, ids_a, &na);
	const int64_t day = 86400000;
	int n = -1;
	assert_int_equal(store_log_age_sweep(f->d, NULL, between + day, &n, &err), 0);
	assert_int_equal(n, 0);
	/* Two days after the first twenty: they go, the next twenty stay, b keeps all. */
	assert_int_equal(store_log_age_sweep(f->d, NULL, between + 2 * day, &n, &err), 0);
	assert_int_equal(n, 20);
	int64_t kept[200];
	assert_int_equal(kept_ids(f, a, kept, 200), 20);
	assert_int_equal(kept[0], ids_a[20]);
	assert_int_equal(kept_ids(f, b, kept, 200), 20);
	assert_int_equal(store_log_age_sweep(f->d, NULL, between + 2 * day, &n, &err), 0);
	assert_int_equal(n, 0);
	for (int i = 0; i < 60; i++) {
		log_one(f, a, 40, ids_a, &na);
		assert_log_holds(f, a, 40, ids_a, na, 21 + (size_t)i);
	}
	/* A change that says nothing of log_days keeps it; null clears it. */
	endpoint_fields rename = {.name = "aged-still"};
	assert_int_equal(store_endpoint_update(f->d, a, &rename, &out, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(out, "log_days")), 2);
	json_decref(out);
	endpoint_fields clear = {.log_days = -1};
	assert_int_equal(store_endpoint_update(f->d, a, &clear, &out, &err), 0);
	assert_true(json_is_null(json_object_get(out, "log_days")));
	json_decref(out);
	assert_int_equal(store_log_age_sweep(f->d, NULL, between + 400 * day, &n, &err), 0);
	assert_int_equal(n, 0);
	/* Everything old: all go but the table's newest row, whose id SQLite would give again. */
	endpoint_fields again = {.log_days = 1};
	assert_int_equal(store_endpoint_update(f->d, a, &again, &out, &err), 0);
	json_decref(out);
	size_t before = kept_ids(f, a, kept, 200);
	assert_int_equal(store_log_age_sweep(f->d, NULL, between + 400 * day, &n, &err), 0);
	assert_int_equal(n, (int)before - 1);
	assert_int_equal(kept_ids(f, a, kept, 200), 1);
	assert_int_equal(kept[0], ids_a[na - 1]);
	json_decref(targets);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_endpoint_reads_follow_every_change, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_revoked_key_is_gone_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_kept_images_let_go_spare_bytes_put_meanwhile,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_a_batch_is_logged_in_one_transaction, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_batch_counts_its_key_usage, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_the_log_is_trimmed_to_its_newest_rows, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_capped_rule_is_memoized_for_its_day_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_the_inbox_lists_feedback_and_items_only, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_old_predictions_go_after_log_days, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
