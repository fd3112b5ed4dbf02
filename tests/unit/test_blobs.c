/* Unit tests of the blob files' holds (store/blobs.c): letting go of a blob whose last reference
 * was dropped never removes the file of the same bytes put for a new reference meanwhile, and a
 * put after the removal writes the file again; a referencer and a let-go interleaved on two
 * threads never leave a named blob without its file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "store/blobs.h"
#include "tmpdir.h"

static const char bytes[] = "the same bytes, uploaded twice";

typedef struct blob_case {
	char dir[64], hash[65], path[4096];
	atomic_int named; /* a committed row names the blob */
} blob_case;

static bool named_in(void *ctx, const char *hash)
{
	(void)hash;
	return atomic_load(&((blob_case *)ctx)->named) != 0;
}

static int setup(void **state)
{
	static blob_case c;
	memset(&c, 0, sizeof c);
	assert_int_equal(tmpdir_make(c.dir, sizeof c.dir, "blobs"), 0);
	blob_hash(bytes, sizeof bytes, c.hash);
	assert_int_equal(blob_path(c.dir, c.hash, c.path, sizeof c.path), 0);
	*state = &c;
	return 0;
}

static int teardown(void **state)
{
	blob_case *c = *state;
	return tmpdir_remove(c->dir);
}

static bool exists(const blob_case *c)
{
	return access(c->path, F_OK) == 0;
}

static void test_a_put_while_letting_go_keeps_the_file(void **state)
{
	blob_case *c = *state;
	/* A kept image: put, its row committed, the hold released. */
	assert_int_equal(blob_put(c->dir, c->hash, bytes, sizeof bytes), 0);
	atomic_store(&c->named, 1);
	blob_release(c->hash);
	/* Its row lets go of it (committed: nothing names it) while an upload of the same bytes
	 * has put them (the file was there: nothing written) and not yet committed its item. */
	atomic_store(&c->named, 0);
	assert_int_equal(blob_put(c->dir, c->hash, bytes, sizeof bytes), 0);
	assert_int_equal(blob_let_go(c->dir, c->hash, named_in, c), 0);
	assert_true(exists(c));
	/* The item commits, then its writer releases the hold: a late let-go sees the row. */
	atomic_store(&c->named, 1);
	blob_release(c->hash);
	assert_int_equal(blob_let_go(c->dir, c->hash, named_in, c), 0);
	assert_true(exists(c));
	/* Once nothing names it and no one holds it, it goes. */
	atomic_store(&c->named, 0);
	assert_int_equal(blob_let_go(c->dir, c->hash, named_in, c), 1);
	assert_false(exists(c));
}

static void test_a_put_after_a_let_go_writes_the_file_again(void **state)
{
	blob_case *c = *state;
	assert_int_equal(blob_put(c->dir, c->hash, bytes, sizeof bytes), 0);
	blob_release(c->hash);
	assert_int_equal(blob_let_go(c->dir, c->hash, named_in, c), 1);
	assert_false(exists(c));
	assert_int_equal(blob_put(c->dir, c->hash, bytes, sizeof bytes), 0);
	char back[sizeof bytes] = {0};
	FILE *f = fopen(c->path, "rb");
	assert_non_null(f);
	assert_int_equal(fread(back, 1, sizeof back, f), sizeof bytes);
	fclose(f);
	assert_memory_equal(back, bytes, sizeof bytes);
	blob_release(c->hash);
	/* A failed put holds nothing: a bad name is refused before any hold. */
	assert_int_not_equal(blob_put(c->dir, "not-a-hash", bytes, sizeof bytes), 0);
	assert_int_equal(blob_let_go(c->dir, c->hash, named_in, c), 1);
}

#define ROUNDS 300

typedef struct race {
	blob_case *c;
	atomic_int done, lost, failed_puts;
	atomic_long let_goes; /* the let-go calls made so far */
} race;

/* New references of the bytes, one after another: put, commit, release, then a look at the file
 * while the row names it; then the row lets go of it. Every other round waits for two whole
 * let-goes, so the file is removed before the next put (which writes it again); the rounds in
 * between put while the file is there (and write nothing), as the let-go runs. */
static void *referencer(void *arg)
{
	race *r = arg;
	for (int i = 0; i < ROUNDS; i++) {
		if (blob_put(r->c->dir, r->c->hash, bytes, sizeof bytes))
			atomic_fetch_add(&r->failed_puts, 1);
		atomic_store(&r->c->named, 1);
		blob_release(r->c->hash);
		if (!exists(r->c))
			atomic_fetch_add(&r->lost, 1);
		atomic_store(&r->c->named, 0);
		long seen = atomic_load(&r->let_goes);
		while (i % 2 == 0 && atomic_load(&r->let_goes) < seen + 2)
			sched_yield();
	}
	atomic_store(&r->done, 1);
	return NULL;
}

static void test_interleaved_references_never_lose_a_named_file(void **state)
{
	race r = {.c = *state};
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, referencer, &r), 0);
	int removed = 0;
	while (!atomic_load(&r.done)) {
		removed += blob_let_go(r.c->dir, r.c->hash, named_in, r.c);
		atomic_fetch_add(&r.let_goes, 1);
	}
	pthread_join(t, NULL);
	assert_int_equal(atomic_load(&r.failed_puts), 0);
	assert_int_equal(atomic_load(&r.lost), 0);
	/* The let-go removed the file between references (at least in each waiting round). */
	assert_true(removed >= ROUNDS / 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_a_put_while_letting_go_keeps_the_file, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_a_put_after_a_let_go_writes_the_file_again, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_interleaved_references_never_lose_a_named_file,
					    setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
