/* The store the labeling loop's unit tests (test_task_loop.c, test_task_desk.c) run against:
 * a real SQLite store in a temporary directory, opened per test, with an org, an open
 * text_class project (labels a and b, two rounds, a 60 s lease, one annotation per item, a
 * price of 100 paid once the project is funded), a
 * few text items and three users. */
#ifndef CROWDLOOP_TESTS_LOOP_FIXTURE_H
#define CROWDLOOP_TESTS_LOOP_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/project_load.h"
#include "store/store.h"
#include "tmpdir.h"

#define LOOP_FIXTURE_MAX_ITEMS 4

typedef struct fixture {
	char dir[64];
	db *d;
	store s; /* the SQLite store over d */
	project p;
	int64_t w1, w2;
	/* The third user: a reviewer in the loop's tests, a manager at the desk. */
	union {
		int64_t rv, mgr;
	};
	int64_t ids[LOOP_FIXTURE_MAX_ITEMS]; /* the project's tasks, in id order */
} fixture;

static inline int64_t user(db *d, const char *name)
{
	json_t *u = NULL;
	cl_error err;
	assert_int_equal(store_user_create(d, name, "x", false, &u, &err), 0);
	int64_t id = json_integer_value(json_object_get(u, "id"));
	json_decref(u);
	return id;
}

static inline void fixture_project(fixture *f)
{
	cl_error err = {0};
	json_t *org = NULL;
	assert_int_equal(store_org_create(f->d, "org", "KRW", &org, &err), 0);
	project_init(&f->p);
	f->p.org_id = json_integer_value(json_object_get(org, "id"));
	json_decref(org);
	json_decref(f->p.labels);
	f->p.labels = json_pack("[s,s]", "a", "b");
	snprintf(f->p.name, sizeof f->p.name, "p");
	snprintf(f->p.status, sizeof f->p.status, "open");
	f->p.kind = KIND_TEXT_CLASS;
	f->p.max_rounds = 2;
	f->p.lease_seconds = 60;
	f->p.price = 100; /* paid only once funded */
	f->p.overlap = 1;
	assert_int_equal(project_create(&(store){&store_sqlite_ops, f->d}, &f->p, &err), 0);
}

/* `n` items "one", "two", ... and their tasks' ids in f->ids. */
static inline void fixture_items(fixture *f, int n)
{
	static const char *const texts[LOOP_FIXTURE_MAX_ITEMS] = {"one", "two", "three", "four"};
	cl_error err = {0};
	item_new items[LOOP_FIXTURE_MAX_ITEMS];
	memset(items, 0, sizeof items);
	for (int i = 0; i < n; i++) {
		items[i].type = ITEM_TEXT;
		snprintf(items[i].hash, sizeof items[i].hash, "hash%d", i);
		items[i].text = texts[i];
	}
	json_t *report = json_pack("{s:i,s:i,s:[],s:[]}", "accepted", 0, "duplicates", 0,
				   "item_ids", "duplicate_entries");
	assert_int_equal(store_items_insert(f->d, f->p.id, 1, items, (size_t)n, report, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(report, "accepted")), n);
	json_decref(report);
	task_query q = {.project_id = f->p.id, .limit = LOOP_FIXTURE_MAX_ITEMS};
	task_view *v = NULL;
	int64_t next;
	assert_int_equal(store_sqlite_ops.tasks_page(f->d, &q, &v, &next), n);
	for (int i = 0; i < n; i++) {
		f->ids[i] = v[i].id;
		task_view_release(&v[i]);
	}
	free(v);
}

/* Opens the store with `n_items` items (at most LOOP_FIXTURE_MAX_ITEMS) and the users w1, w2
 * and `third` (f->rv or f->mgr). */
static inline int fixture_open(void **state, int n_items, const char *third)
{
	fixture *f = calloc(1, sizeof *f);
	assert_non_null(f);
	assert_int_equal(tmpdir_make(f->dir, sizeof f->dir, "unit"), 0);
	cl_error err = {0};
	assert_int_equal(db_open(f->dir, false, &f->d, &err), 0);
	f->s = (store){.ops = &store_sqlite_ops, .db = f->d};
	fixture_project(f);
	fixture_items(f, n_items);
	f->w1 = user(f->d, "w1");
	f->w2 = user(f->d, "w2");
	f->rv = user(f->d, third);
	*state = f;
	return 0;
}

/* A reader's one integer answer to `sql` with `a` bound to ?1. */
static inline int64_t read_int(db *d, const char *sql, int64_t a)
{
	sqlite3_stmt *st = NULL;
	assert_int_equal(sqlite3_prepare_v2(db_handle(db_reader(d)), sql, -1, &st, NULL),
			 SQLITE_OK);
	sqlite3_bind_int64(st, 1, a);
	assert_int_equal(sqlite3_step(st), SQLITE_ROW);
	int64_t v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/* A write job that runs the SQL text ctx as it is (a test's own rows). */
static inline int exec_sql_job(db_conn *c, void *ctx, cl_error *err)
{
	(void)err;
	return sqlite3_exec(db_handle(c), ctx, NULL, NULL, NULL) == SQLITE_OK ? 0 : CL_EINTERNAL;
}

static inline int teardown(void **state)
{
	fixture *f = *state;
	db_close(f->d);
	project_release(&f->p);
	assert_int_equal(tmpdir_remove(f->dir), 0);
	free(f);
	return 0;
}

#endif
