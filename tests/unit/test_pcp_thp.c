/*
 * test_pcp_thp.c - pageblocks and per-CPU lists as Linux 6.18 keeps them:
 * pageblock_order (include/linux/pageblock-flags.h), the THP-order pcp
 * lists (order_to_pindex(), pcp_allowed_order()), boost_watermark(),
 * decay_pcp_high() and unreserve_highatomic_pageblock() (mm/page_alloc.c).
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

#define GFP_KERNEL		0xcc0u
#define GFP_ATOMIC		0x820u
#define GFP_DMA			0x1u
#define __GFP_COMP		0x40000u
#define GFP_HIGHUSER_MOVABLE	0x100ccau

static struct zone_info zone(const struct machine *m, int z)
{
	struct zone_info zi;

	assert_int_equal(machine_zone_info(m, 0, z, &zi), 0);
	return zi;
}

/* pageblock_order is min(HPAGE_PMD_ORDER, MAX_PAGE_ORDER): 9 by default, max_order below it. */
static void test_pageblock_order_follows_max_order(void **state)
{
	struct machine *m = make("{\"mem_mib\":128,\"max_order\":5}", NULL, NULL);
	struct alloc_pages_result res;
	char *text = proc_pagetypeinfo(m);

	(void)state;
	assert_non_null(strstr(text, "Page block order: 5\n"));
	assert_non_null(strstr(text, "Pages per block:  32\n"));
	free(text);
	assert_int_equal(zone(m, ZONE_DMA32).pb_order, 5);
	/* unmovable requests claim 32-page pageblocks now */
	for (int i = 0; i < 2000; i++)
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, (unsigned int)(i % 4), -1, 0, &res, NULL), 0);
	assert_clean(m);
	machine_destroy(m);
	m = make("{\"mem_mib\":128}", NULL, NULL);
	assert_int_equal(zone(m, ZONE_DMA32).pb_order, 9);
	machine_destroy(m);
}

/* A freed THP-order block goes to the CPU's THP list, and the next request takes it from there. */
static void test_thp_blocks_on_pcp_lists(void **state)
{
	struct machine *m = make("{\"mem_mib\":1024,\"cpus\":1}", NULL, NULL);
	struct alloc_pages_result res, again;
	uint64_t pcp;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_HIGHUSER_MOVABLE | __GFP_COMP, 9, -1, 0, &res, NULL), 0);
	pcp = zone(m, res.zone).pcp;
	assert_int_equal(mm_free_pages(m, res.pfn, 9, 0, NULL), 0);
	assert_int_equal(zone(m, res.zone).pcp, pcp + 512);
	assert_clean(m);
	assert_int_equal(mm_alloc_pages(m, GFP_HIGHUSER_MOVABLE | __GFP_COMP, 9, -1, 0, &again, NULL), 0);
	assert_int_equal(again.pfn, res.pfn);
	assert_int_equal(zone(m, res.zone).pcp, pcp);
	/* order 4..8 still bypass the lists */
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 5, -1, 0, &res, NULL), 0);
	assert_int_equal(mm_free_pages(m, res.pfn, 5, 0, NULL), 0);
	assert_int_equal(zone(m, res.zone).pcp, pcp);
	mm_drain_all_pages(m);
	assert_int_equal(zone(m, res.zone).pcp, 0);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * Unmovable pages that claim movable pageblocks boost the watermarks by a
 * pageblock each (up to 150% of high, at least a pageblock); /proc/zoneinfo
 * shows the boost and marks that include it.
 */
static void test_fallback_boosts_watermarks(void **state)
{
	struct machine *m = make("{\"mem_mib\":64,\"pcp\":false}", NULL, NULL);
	struct alloc_pages_result res;
	struct zone_info zi;
	char want[128], *text;

	(void)state;
	zi = zone(m, ZONE_DMA);
	assert_int_equal(zi.watermark_boost, 0);
	while (mm_alloc_pages(m, GFP_KERNEL | GFP_DMA, 0, -1, 0, &res, NULL) == 0)
		;
	zi = zone(m, ZONE_DMA);
	assert_int_equal(zi.watermark_boost, 512);	/* the cap: a pageblock, above 150% of high */
	assert_true(zi.free <= zi.wmark_min + zi.watermark_boost + 1);
	assert_true(zi.free > zi.wmark_min + 1);
	text = proc_zoneinfo(m);
	snprintf(want, sizeof(want), "\n        boost    %llu\n        min      %llu\n",
		 (unsigned long long)zi.watermark_boost,
		 (unsigned long long)(zi.wmark_min + zi.watermark_boost));
	assert_non_null(strstr(text, want));
	free(text);
	/* __GFP_HIGH order 0 checks the min mark without the boost */
	assert_int_equal(mm_alloc_pages(m, GFP_ATOMIC | GFP_DMA, 0, -1, 0, &res, NULL), 0);
	assert_clean(m);
	machine_destroy(m);
}

/* vmstat_update decays pcp->high by an eighth a run and drains what is above it. */
static void test_decay_pcp_high(void **state)
{
	struct machine *m = make("{\"mem_mib\":1024,\"cpus\":1}", NULL, NULL);
	struct alloc_pages_result res;
	uint64_t *pfns = calloc(20000, sizeof(*pfns)), before, after;
	struct zone_info zi;
	bool requeue = true;
	int runs = 0;

	(void)state;
	assert_non_null(pfns);
	for (int i = 0; i < 20000; i++) {
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
		pfns[i] = res.pfn;
	}
	for (int i = 0; i < 20000; i++)
		assert_int_equal(mm_free_pages(m, pfns[i], 0, 0, NULL), 0);
	zi = zone(m, ZONE_DMA32);
	before = zi.pcp;
	assert_true(before > zi.pcp_high);	/* freeing raised high above high_min */
	assert_int_equal(mm_vmstat_update(m, 1, &requeue, NULL), -EINVAL);
	while (requeue && runs < 100) {
		assert_int_equal(mm_vmstat_update(m, 0, &requeue, NULL), 0);
		after = zone(m, ZONE_DMA32).pcp;
		/* high never falls more than 32 batches below the count: a run drains at most that */
		assert_true(after <= before && before - after <= (uint64_t)zi.pcp_batch << 5);
		before = after;
		runs++;
		assert_clean(m);
	}
	assert_false(requeue);
	assert_true(runs > 2);
	after = zone(m, ZONE_DMA32).pcp;
	assert_true(after < zi.pcp && after <= zi.pcp_high);
	free(pfns);
	machine_destroy(m);
}

/*
 * Below the low mark a GFP_ATOMIC order-1 request reserves a highatomic
 * pageblock; GFP_KERNEL may not touch it, until the slow path is about to
 * fail: should_reclaim_retry() unreserves it (force) and the pages serve.
 */
static void test_highatomic_unreserved_before_failing(void **state)
{
	struct machine *m = make("{\"mem_mib\":1024,\"cpus\":1}", NULL, NULL);
	struct alloc_pages_result res;
	struct zone_info zi;

	(void)state;
	zi = zone(m, ZONE_DMA32);
	while (zone(m, ZONE_DMA32).free > zi.wmark_low + 600)
		assert_int_equal(mm_alloc_pages(m, GFP_HIGHUSER_MOVABLE, 0, -1, 0, &res, NULL), 0);
	while (zone(m, ZONE_DMA32).nr_reserved_highatomic == 0)
		assert_int_equal(mm_alloc_pages(m, GFP_ATOMIC, 1, -1, 0, &res, NULL), 0);
	zi = zone(m, ZONE_DMA32);
	assert_int_equal(zi.nr_reserved_highatomic, 512);
	assert_int_equal(zi.nr_pageblocks_mt[MIGRATE_HIGHATOMIC], 1);
	assert_clean(m);
	while (mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL) == 0)
		;
	zi = zone(m, ZONE_DMA32);
	assert_int_equal(zi.nr_reserved_highatomic, 0);
	assert_int_equal(zi.nr_pageblocks_mt[MIGRATE_HIGHATOMIC], 0);
	for (unsigned int o = 0; o <= 10; o++)
		assert_int_equal(zi.nr_free_mt[o][MIGRATE_HIGHATOMIC], 0);
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pageblock_order_follows_max_order),
		cmocka_unit_test(test_thp_blocks_on_pcp_lists),
		cmocka_unit_test(test_fallback_boosts_watermarks),
		cmocka_unit_test(test_decay_pcp_high),
		cmocka_unit_test(test_highatomic_unreserved_before_failing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
