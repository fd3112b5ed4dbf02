/* Matching's rules (core/matching.c) on small fixed figures: the fit of a history, a project's
 * rank for a worker (pay, missing courses, open tasks), a worker's rank for a project, the
 * order of a ranking and its top MATCHES_MAX, read through a store of plain rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/matching.h"

#define DAY_MS 86400000LL
#define NOW (1000 * DAY_MS)

static void assert_near(double got, double want)
{
	if (fabs(got - want) > 1e-12)
		fail_msg("got %.15g, want %.15g", got, want);
}

/* Eight of ten gold answers right, three of four approvals first time, a minute a task, last
 * worked ten days ago. */
static const matching_history seasoned = {.gold_n = 10,
					  .gold_k = 8,
					  .approved = 4,
					  .first_pass = 3,
					  .submissions = 4,
					  .active_ms = 4 * 60000,
					  .last_at = NOW - 10 * DAY_MS};

static void test_fit_of_a_newcomer_is_even(void **state)
{
	(void)state;
	matching_history none = {0};
	match_fit f;
	match_fit_of(&none, NOW, &f);
	/* 0.5 for each figure without data, nothing for recency. */
	assert_near(f.score, 0.4 * 0.5 + 0.3 * 0.5 + 0.15 * 0.5);
	assert_false(f.has_gold_accuracy);
	assert_false(f.has_approval_rate);
	assert_false(f.has_avg_seconds);
	assert_false(f.has_days_since_last);
	assert_int_equal(f.gold_answers, 0);
	assert_int_equal(f.approved, 0);
}

static void test_fit_of_a_history(void **state)
{
	(void)state;
	match_fit f;
	match_fit_of(&seasoned, NOW, &f);
	assert_near(f.gold_accuracy, 0.8);
	assert_near(f.approval_rate, 0.75);
	assert_near(f.avg_seconds, 60);
	assert_near(f.days_since_last, 10);
	assert_true(f.has_gold_accuracy && f.has_approval_rate && f.has_avg_seconds &&
		    f.has_days_since_last);
	assert_int_equal(f.gold_answers, 10);
	assert_int_equal(f.approved, 4);
	/* A minute a task is half speed; ten days is exp(-1/3) of recency. */
	assert_near(f.score, 0.4 * 0.8 + 0.3 * 0.75 + 0.15 * 0.5 + 0.15 * exp(-10.0 / 30.0));
}

static matching_project project_of(int64_t id, int64_t price, int64_t open)
{
	matching_project k = {.id = id, .price = price, .open = open, .kind_of = KIND_TEXT_CLASS};
	snprintf(k.name, sizeof k.name, "p%lld", (long long)id);
	snprintf(k.kind, sizeof k.kind, "text_class");
	return k;
}

static void test_project_rank_and_reasons(void **state)
{
	(void)state;
	matching_project p[4] = {project_of(1, 100, 5), project_of(2, 200, 5),
				 project_of(3, 200, 0), project_of(4, 100, 5)};
	/* Project 2 pays best but requires course 7, which the worker lacks, and 9, which they
	 * hold; project 3 pays as well and has no open task. Project 4 is project 1's twin. */
	p[1].courses = (matching_courses){.id = {7, 9}, .held = {false, true}, .n = 2};
	matching_projects rows = {.of = p, .n = 4, .max_price = 200};
	rows.history[KIND_TEXT_CLASS] = seasoned;
	rows.known[KIND_TEXT_CLASS] = true;
	project_match *top;
	size_t n;
	assert_int_equal(matching_rank_projects(&rows, NOW, &top, &n), 0);
	assert_int_equal(n, 4);
	match_fit f;
	match_fit_of(&seasoned, NOW, &f);
	double full = 0.85 * f.score + 0.15, half_pay = 0.85 * f.score + 0.15 * 0.5;
	/* The fit is about 0.73: the twins at half pay score about 0.69 and lead (by id), then
	 * full pay without open tasks (halved, about 0.38), then the course the worker lacks
	 * (a tenth, about 0.08). */
	const int64_t want[4] = {1, 4, 3, 2};
	for (size_t i = 0; i < n; i++)
		assert_int_equal(top[i].project->id, want[i]);
	assert_near(top[0].score, half_pay);
	assert_near(top[0].pay, 0.5);
	assert_true(top[0].qualified);
	assert_int_equal(top[0].n_missing, 0);
	assert_near(top[2].score, full * 0.5);
	assert_near(top[3].score, full * 0.1);
	assert_near(top[3].pay, 1);
	assert_false(top[3].qualified);
	assert_int_equal(top[3].n_missing, 1);
	assert_int_equal(top[3].missing[0], 7);
	assert_near(top[3].fit.gold_accuracy, 0.8);
	free(top);
}

static void test_worker_rank_halves_the_unqualified(void **state)
{
	(void)state;
	matching_worker w[3] = {{.id = 5, .history = seasoned, .held = {true, false}},
				{.id = 2, .history = seasoned, .held = {true, true}},
				{.id = 9}};
	snprintf(w[1].member_role, sizeof w[1].member_role, "worker");
	matching_workers rows = {.of = w, .n = 3, .required = {.id = {3, 4}, .n = 2}};
	worker_match *top;
	size_t n;
	assert_int_equal(matching_rank_workers(&rows, NOW, &top, &n), 0);
	assert_int_equal(n, 3);
	match_fit f;
	match_fit_of(&seasoned, NOW, &f);
	/* 2 holds both courses; 5 lacks one (halved), still above the newcomer 9, who holds
	 * none (0.425 / 2). */
	assert_int_equal(top[0].worker->id, 2);
	assert_true(top[0].qualified);
	assert_near(top[0].score, f.score);
	assert_string_equal(top[0].worker->member_role, "worker");
	assert_int_equal(top[1].worker->id, 5);
	assert_false(top[1].qualified);
	assert_near(top[1].score, f.score * 0.5);
	assert_int_equal(top[2].worker->id, 9);
	assert_near(top[2].score, 0.425 * 0.5);
	assert_false(top[2].fit.has_gold_accuracy);
	free(top);

	/* Without required courses everyone is qualified; equal scores keep id order. */
	rows.required.n = 0;
	w[0].history = w[1].history = w[2].history = (matching_history){0};
	assert_int_equal(matching_rank_workers(&rows, NOW, &top, &n), 0);
	assert_int_equal(top[0].worker->id, 2);
	assert_int_equal(top[1].worker->id, 5);
	assert_int_equal(top[2].worker->id, 9);
	assert_true(top[0].qualified && top[1].qualified && top[2].qualified);
	free(top);
}

/* A store whose only rows are MATCHES_MAX + 100 open projects, the higher the id the better
 * paid. */
#define MANY (MATCHES_MAX + 100)
static int64_t asked_for;

static int many_projects(db *d, int64_t user_id, matching_projects *m)
{
	(void)d;
	asked_for = user_id;
	memset(m, 0, sizeof *m);
	m->of = calloc(MANY, sizeof *m->of);
	if (!m->of)
		return CL_ENOMEM;
	for (int i = 0; i < MANY; i++)
		m->of[i] = project_of(i + 1, i + 1, 1);
	m->n = MANY;
	m->max_price = MANY;
	m->known[KIND_TEXT_CLASS] = true;
	return 0;
}

static void test_ranking_answers_the_best_matches_max(void **state)
{
	(void)state;
	static const store_ops ops = {.matching_projects = many_projects};
	store st = {.ops = &ops};
	project_matches m;
	assert_int_equal(matching_for_worker(&st, 42, NOW, &m), 0);
	assert_int_equal(asked_for, 42);
	assert_int_equal(m.rows.n, MANY);
	assert_int_equal(m.n, MATCHES_MAX);
	/* Same history everywhere: pay alone orders them, best paid first. */
	for (size_t i = 0; i < m.n; i++)
		assert_int_equal(m.top[i].project->id, MANY - (int64_t)i);
	project_matches_release(&m);
	assert_null(m.top);
	assert_int_equal(m.n, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fit_of_a_newcomer_is_even),
	    cmocka_unit_test(test_fit_of_a_history),
	    cmocka_unit_test(test_project_rank_and_reasons),
	    cmocka_unit_test(test_worker_rank_halves_the_unqualified),
	    cmocka_unit_test(test_ranking_answers_the_best_matches_max),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
