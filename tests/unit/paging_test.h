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
#include "tests/unit/machine_test.h"

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

