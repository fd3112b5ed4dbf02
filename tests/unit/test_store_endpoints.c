/* Unit tests of the store's endpoints and keys as every prediction reads them: memoized per
 * read connection and access epoch (store_endpoints.c), so a second read on the same thread
 * comes from the memo, and a change of the endpoint (paused, retargeted, renamed) or of its key
 * (revoked) is seen by the very next read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "db_fixture.h"
#include "store/store_endpoints.h"

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
	json_t *out = NULL;
	assert_int_equal(
	    store_key_create(f->d, endpoint_id, 1, "k", "clk_0f0e", DIGEST, 5.0, &out, &err), 0);
	int64_t key_id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_endpoint_reads_follow_every_change, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_revoked_key_is_gone_at_once, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
