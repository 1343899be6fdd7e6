/*
 * test_session_lru.c - which live session hibernates to make room
 * (session_lru_pick in daemon/session.c): the least recently used one that is
 * resident, idle and not pinned; none when there is no such session.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>

#include "daemon/session.h"

#define E(used, resident, idle, pinned) { (used), (resident), (idle), (pinned) }

static void test_oldest_idle_goes_first(void **state)
{
	const struct session_lru_entry c[] = {
		E(5.0, true, true, false), E(2.0, true, true, false), E(9.0, true, true, false),
	};

	(void)state;
	assert_int_equal(session_lru_pick(c, 3), 1);
}

static void test_busy_pinned_and_hibernated_are_skipped(void **state)
{
	const struct session_lru_entry c[] = {
		E(1.0, true, false, false),	/* a request or a stream holds it */
		E(2.0, true, true, true),	/* pinned */
		E(3.0, false, true, false),	/* hibernated already */
		E(7.0, true, true, false),
		E(4.0, true, true, false),
	};

	(void)state;
	assert_int_equal(session_lru_pick(c, 5), 4);
	assert_int_equal(session_lru_pick(c, 4), 3);
	assert_int_equal(session_lru_pick(c, 3), -1);
}

static void test_nothing_to_pick(void **state)
{
	const struct session_lru_entry c[] = { E(1.0, true, true, true) };

	(void)state;
	assert_int_equal(session_lru_pick(c, 0), -1);
	assert_int_equal(session_lru_pick(c, 1), -1);
}

/* Random registries against a plain scan: the pick is eligible and no eligible
 * entry was used less recently. */
static void test_random_against_scan(void **state)
{
	struct session_lru_entry c[64];
	unsigned int seed = 12345;

	(void)state;
	for (int round = 0; round < 2000; round++) {
		size_t n = (size_t)(rand_r(&seed) % 64);
		long pick, want = -1;

		for (size_t i = 0; i < n; i++)
			c[i] = (struct session_lru_entry)E((double)(rand_r(&seed) % 1000),
							   rand_r(&seed) % 4 != 0, rand_r(&seed) % 3 != 0,
							   rand_r(&seed) % 5 == 0);
		for (size_t i = 0; i < n; i++)
			if (c[i].resident && c[i].idle && !c[i].pinned &&
			    (want < 0 || c[i].last_used < c[want].last_used))
				want = (long)i;
		pick = session_lru_pick(c, n);
		if (want < 0) {
			assert_int_equal(pick, -1);
			continue;
		}
		assert_true(pick >= 0);
		assert_true(c[pick].resident && c[pick].idle && !c[pick].pinned);
		assert_true(c[pick].last_used == c[want].last_used);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_oldest_idle_goes_first),
		cmocka_unit_test(test_busy_pinned_and_hibernated_are_skipped),
		cmocka_unit_test(test_nothing_to_pick),
		cmocka_unit_test(test_random_against_scan),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
