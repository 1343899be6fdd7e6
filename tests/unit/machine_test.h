/*
 * machine_test.h - what every engine unit test needs: a machine from a JSON
 * config (failing the test with the engine's message when it cannot be
 * made), and the self-check that fails the test on any violation.
 */
#ifndef MMLAB_MACHINE_TEST_H
#define MMLAB_MACHINE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mmlab.h"

static inline void fail_violation(void *ctx, const char *v)
{
	(void)ctx;
	fail_msg("invariant: %s", v);
}

static inline struct machine *make(const char *json, mm_event_fn fn, void *ctx)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct machine *m;

	if (machine_config_parse(&cfg, json, 0, &e))
		fail_msg("config: %s", e.message);
	m = machine_create(&cfg, fn, ctx, &e);
	machine_config_release(&cfg);
	if (!m)
		fail_msg("create: %s", e.message);
	return m;
}

static inline void assert_clean(const struct machine *m)
{
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
}

#endif
