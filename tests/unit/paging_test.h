/*
 * paging_test.h - helpers shared by the paging unit tests (test_pgtable.c,
 * test_mmu.c, test_boot.c, test_mm.c): machines, event counts, the check.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"

struct recorder {
	unsigned long count[MM_EV_NR_TYPES];
	char last_detail[MM_EV_NR_TYPES][128];
};

static inline void record(void *ctx, const struct mm_event *ev)
{
	struct recorder *r = ctx;

	r->count[ev->type]++;
	snprintf(r->last_detail[ev->type], sizeof(r->last_detail[0]), "%s",
		 ev->detail ? ev->detail : "");
}

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
