/* The task state machine: every allowed transition, every refused one, and escalation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/task.h"

/* The whole allowed table of DESIGN.md; every other (state, action) pair must be refused. */
static const struct {
	task_state from;
	task_action action;
	bool exhausted;
	task_state to;
} allowed[] = {
	{TASK_OPEN, TASK_CLAIM, false, TASK_ASSIGNED},
	{TASK_REWORK, TASK_CLAIM, false, TASK_ASSIGNED},
	{TASK_ASSIGNED, TASK_SUBMIT, false, TASK_SUBMITTED},
	{TASK_ASSIGNED, TASK_RELEASE, false, TASK_OPEN},
	{TASK_ASSIGNED, TASK_EXPIRE, false, TASK_OPEN},
	{TASK_SUBMITTED, TASK_REVIEW_CLAIM, false, TASK_IN_REVIEW},
	{TASK_SUBMITTED, TASK_AUTO_APPROVE, false, TASK_APPROVED},
	{TASK_IN_REVIEW, TASK_REVIEW_EXPIRE, false, TASK_SUBMITTED},
	{TASK_IN_REVIEW, TASK_APPROVE, false, TASK_APPROVED},
	{TASK_IN_REVIEW, TASK_FIX, false, TASK_APPROVED},
	{TASK_IN_REVIEW, TASK_REJECT, false, TASK_REWORK},
	{TASK_IN_REVIEW, TASK_REJECT, true, TASK_ESCALATED},
	{TASK_ESCALATED, TASK_RESOLVE_APPROVE, false, TASK_APPROVED},
	{TASK_ESCALATED, TASK_DISCARD, false, TASK_DISCARDED},
	{TASK_ASSIGNED, TASK_REVOKE, false, TASK_OPEN},
	{TASK_IN_REVIEW, TASK_REVOKE, false, TASK_SUBMITTED},
	{TASK_OPEN, TASK_WITHDRAW, false, TASK_DISCARDED},
	{TASK_SUBMITTED, TASK_WITHDRAW, false, TASK_DISCARDED},
	{TASK_REWORK, TASK_WITHDRAW, false, TASK_DISCARDED},
	{TASK_ESCALATED, TASK_WITHDRAW, false, TASK_DISCARDED},
	{TASK_OPEN, TASK_PRIORITY, false, TASK_OPEN},
	{TASK_SUBMITTED, TASK_PRIORITY, false, TASK_SUBMITTED},
	{TASK_REWORK, TASK_PRIORITY, false, TASK_REWORK},
	{TASK_SUBMITTED, TASK_REOPEN, false, TASK_ASSIGNED},
	{TASK_ASSIGNED, TASK_REASSIGN, false, TASK_ASSIGNED},
	{TASK_REWORK, TASK_REASSIGN, false, TASK_REWORK},
	{TASK_APPROVED, TASK_REWORK_APPROVED, false, TASK_REWORK},
	{TASK_APPROVED, TASK_REVIEW_AGAIN, false, TASK_SUBMITTED},
};

static bool is_allowed(task_state s, task_action a, task_state *to, bool exhausted)
{
	for (size_t i = 0; i < sizeof allowed / sizeof allowed[0]; i++)
		if (allowed[i].from == s && allowed[i].action == a &&
		    (allowed[i].action != TASK_REJECT || allowed[i].exhausted == exhausted)) {
			*to = allowed[i].to;
			return true;
		}
	return false;
}

static void test_every_pair(void **state)
{
	(void)state;
	int allowed_count = 0;
	for (int s = 0; s < TASK_STATE_COUNT; s++)
		for (int a = 0; a < TASK_ACTION_COUNT; a++)
			for (int ex = 0; ex < 2; ex++) {
				task_state want, got = TASK_STATE_COUNT;
				bool ok = is_allowed((task_state)s, (task_action)a, &want, ex);
				int rc = task_transition((task_state)s, (task_action)a, ex, &got);
				if (ok) {
					assert_int_equal(rc, 0);
					assert_int_equal(got, want);
					allowed_count++;
				} else {
					assert_int_equal(rc, -1);
				}
			}
	/* Non-reject rows count twice (exhausted is ignored for them). */
	assert_int_equal(allowed_count, 26 * 2 + 2);
}

static void test_terminal_states_are_final(void **state)
{
	(void)state;
	task_state to;
	/* An approved task leaves its state only when a manager sends it back for rework or for
	 * review again. */
	for (int a = 0; a < TASK_ACTION_COUNT; a++) {
		if (a != TASK_REWORK_APPROVED && a != TASK_REVIEW_AGAIN)
			assert_int_equal(task_transition(TASK_APPROVED, (task_action)a, false, &to),
					 -1);
		assert_int_equal(task_transition(TASK_DISCARDED, (task_action)a, false, &to), -1);
	}
}

/* Work in progress, which a funded project's budget holds money for: every state between a
 * claim and a final decision, and none before or after. */
static void test_live_states(void **state)
{
	(void)state;
	static const bool live[TASK_STATE_COUNT] = {
	    [TASK_ASSIGNED] = true, [TASK_SUBMITTED] = true, [TASK_IN_REVIEW] = true,
	    [TASK_REWORK] = true,   [TASK_ESCALATED] = true,
	};
	for (int s = 0; s < TASK_STATE_COUNT; s++)
		if (task_state_live((task_state)s) != live[s])
			fail_msg("%s: live %d, expected %d", task_state_name((task_state)s),
				 task_state_live((task_state)s), live[s]);
}

static void test_names_round_trip(void **state)
{
	(void)state;
	for (int s = 0; s < TASK_STATE_COUNT; s++) {
		task_state back;
		assert_int_equal(task_state_parse(task_state_name((task_state)s), &back), 0);
		assert_int_equal(back, s);
	}
	task_state x;
	assert_int_equal(task_state_parse("finished", &x), -1);
	assert_string_equal(task_action_event(TASK_EXPIRE), "lease_expired");
	assert_string_equal(task_action_event(TASK_REVIEW_CLAIM), "review_claim");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_every_pair),
	    cmocka_unit_test(test_terminal_states_are_final),
	    cmocka_unit_test(test_names_round_trip),
	    cmocka_unit_test(test_live_states),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
