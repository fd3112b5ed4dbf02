/* What core makes of the store's rows: a project's quality settings decoded from their JSON text
 * and kept in the connection's memo for one access epoch, the quality figures' intervals and
 * flags, an export's summary from its counts, and a project decoded from its row, encoded back
 * and kept with the caller's roles. The store here is a table of fake slots holding plain
 * fields, the same table a backend fills. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dataset.h"
#include "core/project_load.h"
#include "core/quality.h"
#include "core/quality_figures.h"
#include "core/quality_settings.h"

/* What the fake store holds, and how often it was read. */
static struct fake {
	const char *settings; /* the stored JSON text, NULL: none saved */
	int settings_reads;
	uint64_t epoch;
	_Alignas(
	    max_align_t) unsigned char memo[2][1 << 20]; /* DB_MEMO_PROJECTS, DB_MEMO_QUALITY */
	void (*release[2])(void *mem);
	project_row row;
	int row_reads;
	char saved_labels[256], saved_kind[32], saved_settings[1024];
	int64_t saved_price;
} * fk;

static store_tx *fake_reader(db *d)
{
	(void)d;
	return NULL;
}

static uint64_t fake_epoch(store_tx *tx)
{
	(void)tx;
	return fk->epoch;
}

static void *fake_memo(store_tx *tx, db_memo which, size_t size, void (*release)(void *mem))
{
	(void)tx;
	int i = which == DB_MEMO_PROJECTS ? 0 : 1;
	assert_true(size <= sizeof fk->memo[i]);
	fk->release[i] = release;
	return fk->memo[i];
}

static char *fake_settings_row(store_tx *tx, int64_t project_id)
{
	(void)tx, (void)project_id;
	fk->settings_reads++;
	return fk->settings ? strdup(fk->settings) : NULL;
}

static int fake_project_row(db *d, int64_t id, int64_t user_id, project_row_fn *fn, void *ctx)
{
	(void)d;
	fk->row_reads++;
	if (id != fk->row.id)
		return CL_ENOTFOUND;
	project_row r = fk->row;
	if (!user_id)
		r.org_role = r.member_role = NULL;
	fn(&r, ctx);
	return 0;
}

static int fake_project_save(store_tx *tx, const project_row *r, cl_error *err)
{
	(void)tx, (void)err;
	snprintf(fk->saved_labels, sizeof fk->saved_labels, "%s", r->labels);
	snprintf(fk->saved_kind, sizeof fk->saved_kind, "%s", r->kind);
	snprintf(fk->saved_settings, sizeof fk->saved_settings, "%s", r->kind_settings);
	fk->saved_price = r->price;
	return 0;
}

static const store_ops fake_ops = {
    .reader = fake_reader,
    .access_epoch = fake_epoch,
    .memo = fake_memo,
    .quality_settings_row = fake_settings_row,
    .project_row = fake_project_row,
    .project_save = fake_project_save,
};
static const store fake_store = {&fake_ops, NULL};

static int setup(void **state)
{
	(void)state;
	fk = calloc(1, sizeof *fk);
	return fk ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < 2; i++)
		if (fk->release[i])
			fk->release[i](fk->memo[i]);
	free(fk);
	return 0;
}

/* ---- quality settings ---- */

static void test_settings_decode_over_the_defaults(void **state)
{
	(void)state;
	quality_settings d, s;
	quality_settings_init(&d);
	quality_settings_decode(NULL, &s);
	assert_memory_equal(&s, &d, sizeof s);
	quality_settings_decode("not json", &s);
	assert_memory_equal(&s, &d, sizeof s);
	quality_settings_decode("{\"gold_rate\":0.25,\"required_courses\":[4,9]}", &s);
	assert_true(s.gold_rate == 0.25);
	assert_int_equal(s.n_required, 2);
	assert_int_equal(s.required_courses[1], 9);
	assert_int_equal(s.promote_min_approved, d.promote_min_approved); /* not in the text */
}

static void test_settings_kept_for_one_epoch(void **state)
{
	(void)state;
	quality_settings s;
	fk->epoch = 7;
	fk->settings = "{\"gold_rate\":0.5}";
	quality_settings_of(&fake_ops, NULL, 3, &s);
	quality_settings_of(&fake_ops, NULL, 3, &s);
	assert_int_equal(fk->settings_reads, 1);
	assert_true(s.gold_rate == 0.5);
	/* Saved anew: the epoch moves, the row is read again. */
	fk->settings = "{\"gold_rate\":0.1}";
	fk->epoch = 8;
	quality_settings_of(&fake_ops, NULL, 3, &s);
	assert_int_equal(fk->settings_reads, 2);
	assert_true(s.gold_rate == 0.1);
	/* Another project is a row of its own; no epoch keeps nothing. */
	quality_settings_of(&fake_ops, NULL, 4, &s);
	assert_int_equal(fk->settings_reads, 3);
	fk->epoch = 0;
	quality_settings_read(&fake_store, 3, &s);
	quality_settings_read(&fake_store, 3, &s);
	assert_int_equal(fk->settings_reads, 5);
}

/* ---- quality figures ---- */

static void test_figures_intervals_and_flags(void **state)
{
	(void)state;
	quality_worker_line workers[3] = {
	    {.user_id = 1, .gold_n = 8, .gold_k = 1},	/* wrong on 7 of 8: flagged */
	    {.user_id = 2, .gold_n = 7, .gold_k = 0},	/* too few to be sure */
	    {.user_id = 3, .gold_n = 20, .gold_k = 19}, /* fine */
	};
	quality_reviewer_line reviewers[3] = {
	    {.user_id = 4, .honeypots = 3, .caught = 1, .audits = 2, .passed = 1}, /* 2/5 */
	    {.user_id = 5, .honeypots = 2, .caught = 0, .audits = 2, .passed = 0}, /* 4 checks */
	    {.user_id = 6, .honeypots = 5, .caught = 5},
	};
	quality_figures f = {.audits_n = 10,
			     .audits_k = 9,
			     .gold_n = 4,
			     .gold_k = 2,
			     .workers = workers,
			     .n_workers = 3,
			     .reviewers = reviewers,
			     .n_reviewers = 3};
	quality_settings s;
	quality_settings_init(&s); /* 5 checks, under 0.8 */
	quality_figures_judge(&f, &s);
	quality_interval want = quality_wilson(9, 10, QUALITY_Z95);
	assert_memory_equal(&f.estimated_quality, &want, sizeof want);
	want = quality_wilson(2, 4, QUALITY_Z95);
	assert_memory_equal(&f.gold_accuracy, &want, sizeof want);
	assert_true(workers[0].suspected_spammer);
	assert_false(workers[1].suspected_spammer);
	assert_false(workers[2].suspected_spammer);
	assert_int_equal(workers[2].gold_accuracy.k, 19);
	assert_true(reviewers[0].careless);
	assert_false(reviewers[1].careless);
	assert_false(reviewers[2].careless);
	assert_int_equal(reviewers[0].accuracy.n, 5);
	assert_int_equal(reviewers[0].accuracy.k, 2);
	s.demote_min_checks = 4;
	quality_figures_judge(&f, &s);
	assert_true(reviewers[1].careless);
}

static void test_my_figures_intervals(void **state)
{
	(void)state;
	quality_me m = {
	    .n_kinds = 1, .honeypots_n = 4, .honeypots_k = 3, .audits_n = 6, .audits_k = 6};
	snprintf(m.kinds[0].kind, sizeof m.kinds[0].kind, "text_class");
	m.kinds[0].n = 10;
	m.kinds[0].k = 5;
	quality_me_judge(&m);
	assert_true(m.kinds[0].accuracy.p == 0.5);
	assert_int_equal(m.reviewer_accuracy.n, 10);
	assert_int_equal(m.reviewer_accuracy.k, 9);
	quality_me none = {0};
	quality_me_judge(&none);
	assert_int_equal(none.reviewer_accuracy.n, 0);
	assert_true(none.reviewer_accuracy.p == 0);
}

/* ---- an export's summary ---- */

static void test_export_summary_decides_from_counts(void **state)
{
	(void)state;
	export_counts c = {.approved = 20, .gold = 3, .unfinished = 5, .items = 4};
	project p;
	project_init(&p);
	export_summary s;
	/* One annotation per item: every approved task but gold; a version also leaves out
	 * items still worked on. */
	dataset_export_summary(&c, &p, false, false, &s);
	assert_int_equal(s.rows, 17);
	assert_false(s.consolidated);
	assert_false(s.finished_only);
	assert_int_equal(s.gold_left_out, 3);
	assert_int_equal(s.unfinished_left_out, 0);
	dataset_export_summary(&c, &p, true, false, &s);
	assert_int_equal(s.rows, 12);
	assert_true(s.finished_only);
	assert_int_equal(s.unfinished_left_out, 5);
	/* Three per item: one consolidated row per finished item, unless all answers are asked. */
	p.overlap = 3;
	dataset_export_summary(&c, &p, false, false, &s);
	assert_int_equal(s.rows, 4);
	assert_true(s.consolidated);
	assert_true(s.finished_only);
	dataset_export_summary(&c, &p, false, true, &s);
	assert_int_equal(s.rows, 17);
	assert_false(s.consolidated);
	project_release(&p);
}

/* ---- projects ---- */

static const project_row a_row = {
    .id = 5,
    .org_id = 2,
    .price = 300,
    .name = "Reviews",
    .kind = "llm_preference",
    .labels = "[\"good\",\"bad\"]",
    .instructions = "Read twice.",
    .status = "open",
    .currency = "EUR",
    .kind_settings = "{\"require_reason\":true,\"scale\":7}",
    .overlap = 3,
    .org_role = "manager",
    .member_role = "reviewer",
};

static void test_project_decoded_from_its_row(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	project_from_row(&p, &a_row);
	assert_int_equal(p.kind, KIND_LLM_PREFERENCE);
	assert_int_equal(json_array_size(p.labels), 2);
	assert_string_equal(p.instructions, "Read twice.");
	assert_string_equal(p.currency, "EUR");
	assert_int_equal(p.llm.scale, 7);
	assert_true(p.llm.require_reason);
	/* A kind that is none, labels and settings that do not parse: text_class, none, defaults.
	 */
	project_row bad = a_row;
	bad.kind = "nope";
	bad.labels = "[";
	bad.kind_settings = "{";
	project_from_row(&p, &bad);
	assert_int_equal(p.kind, KIND_TEXT_CLASS);
	assert_int_equal(json_array_size(p.labels), 0);
	assert_int_equal(p.llm.scale, 5);
	assert_false(p.llm.require_reason);
	project_release(&p);
}

static void test_project_saved_as_its_row(void **state)
{
	(void)state;
	project p;
	project_init(&p);
	project_from_row(&p, &a_row);
	p.price = 450;
	assert_int_equal(project_save(&fake_ops, NULL, &p, &(cl_error){0}), 0);
	assert_int_equal(fk->saved_price, 450);
	assert_string_equal(fk->saved_kind, "llm_preference");
	assert_string_equal(fk->saved_labels, "[\"good\",\"bad\"]");
	/* What was saved reads back as the same settings. */
	project q;
	project_init(&q);
	project_row back = a_row;
	back.kind_settings = fk->saved_settings;
	project_from_row(&q, &back);
	assert_memory_equal(&q.llm, &p.llm, sizeof q.llm);
	project_release(&p);
	project_release(&q);
}

static void test_project_with_roles_kept_for_one_epoch(void **state)
{
	(void)state;
	fk->row = a_row;
	fk->epoch = 11;
	char org_role[16], member_role[16];
	for (int i = 0; i < 3; i++) {
		project p;
		project_init(&p);
		assert_int_equal(project_get_for(&fake_store, 5, 9, &p, org_role, member_role), 0);
		assert_string_equal(p.name, "Reviews");
		assert_string_equal(org_role, "manager");
		assert_string_equal(member_role, "reviewer");
		project_release(&p);
	}
	assert_int_equal(fk->row_reads, 1);
	fk->epoch = 12; /* a member's role changed */
	fk->row.member_role = NULL;
	project p;
	project_init(&p);
	assert_int_equal(project_get_for(&fake_store, 5, 9, &p, org_role, member_role), 0);
	assert_int_equal(fk->row_reads, 2);
	assert_string_equal(member_role, "");
	assert_int_equal(project_get_for(&fake_store, 6, 9, &p, org_role, member_role),
			 CL_ENOTFOUND);
	assert_int_equal(project_get(&fake_store, 5, &p), 0);
	assert_int_equal(json_array_size(p.labels), 2);
	project_release(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_settings_decode_over_the_defaults, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_settings_kept_for_one_epoch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_figures_intervals_and_flags, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_my_figures_intervals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_export_summary_decides_from_counts, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(test_project_decoded_from_its_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_project_saved_as_its_row, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_project_with_roles_kept_for_one_epoch, setup,
					    teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
