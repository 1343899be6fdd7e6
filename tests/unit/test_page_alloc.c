/*
 * test_page_alloc.c - the buddy allocator: splits, merges, zones, pcp,
 * watermarks, fallbacks, errors and events.
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
#define GFP_NOWAIT		0x2800u
#define GFP_DMA			0x1u
#define GFP_DMA32		0x4u
#define __GFP_COMP		0x40000u
#define __GFP_MOVABLE		0x8u
#define __GFP_THISNODE		0x200000u
#define __GFP_MEMALLOC		0x20000u
#define GFP_HIGHUSER_MOVABLE	0x100ccau

struct recorder {
	unsigned long count[MM_EV_NR_TYPES];
	struct mm_event last[MM_EV_NR_TYPES];
	char last_detail[MM_EV_NR_TYPES][64];
};

static void record(void *ctx, const struct mm_event *ev)
{
	struct recorder *r = ctx;

	r->count[ev->type]++;
	r->last[ev->type] = *ev;
	snprintf(r->last_detail[ev->type], sizeof(r->last_detail[0]), "%s",
		 ev->detail ? ev->detail : "");
}

static void test_split_and_merge_events(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":64,\"pcp\":false}", NULL, NULL);
	struct alloc_pages_result res;
	char *before, *after;

	(void)state;
	memset(&r, 0, sizeof(r));
	before = proc_buddyinfo(m);
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(r.count[MM_EV_mm_page_alloc], 1);
	assert_int_equal(r.last[MM_EV_mm_page_alloc].pfn, res.pfn);
	assert_int_equal(r.last[MM_EV_mm_page_alloc].gfp, GFP_KERNEL);
	assert_true(r.count[MM_EV_buddy_split] >= 1);
	assert_int_equal(r.last[MM_EV_buddy_split].order, 0);
	assert_int_equal(r.last[MM_EV_buddy_split].pfn, res.pfn + 1);
	assert_int_equal(mm_free_pages(m, res.pfn, 0, 0, NULL), 0);
	assert_int_equal(r.count[MM_EV_mm_page_free], 1);
	assert_int_equal(r.count[MM_EV_buddy_merge], r.count[MM_EV_buddy_split]);
	after = proc_buddyinfo(m);
	assert_string_equal(before, after);
	free(before);
	free(after);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_blocks_are_aligned(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct alloc_pages_result res[11];
	unsigned int o;

	(void)state;
	for (o = 0; o <= 10; o++) {
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, o, -1, 0, &res[o], NULL), 0);
		assert_int_equal(res[o].pfn & ((1u << o) - 1), 0);
		assert_int_equal(res[o].order, o);
	}
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	for (o = 0; o <= 10; o++)
		assert_int_equal(mm_free_pages(m, res[o].pfn, o, 0, NULL), 0);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_zones_from_gfp(void **state)
{
	struct machine *m = make("{\"mem_mib\":5120}", NULL, NULL);
	struct alloc_pages_result res;
	int i;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(res.zone, ZONE_NORMAL);
	assert_true(res.pfn >= 0x100000);
	for (i = 0; i < 100; i++) {
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | GFP_DMA, i % 3, -1, 1, &res, NULL), 0);
		assert_int_equal(res.zone, ZONE_DMA);
		assert_true(res.pfn + (1u << res.order) <= 4096);
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | GFP_DMA32, i % 4, -1, 0, &res, NULL), 0);
		assert_int_equal(res.zone, ZONE_DMA32);
		assert_true(res.pfn + (1u << res.order) <= 0x100000);
	}
	assert_int_equal(mm_alloc_pages(m, GFP_HIGHUSER_MOVABLE, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(res.zone, ZONE_NORMAL);
	assert_int_equal(res.migratetype, MIGRATE_MOVABLE);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_gfp_dma_never_leaves_zone_dma(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	int n = 0, err;

	(void)state;
	memset(&r, 0, sizeof(r));
	machine_set_event_fn(m, record, &r);
	while ((err = mm_alloc_pages(m, GFP_KERNEL | GFP_DMA, 0, -1, 0, &res, &e)) == 0) {
		assert_int_equal(res.zone, ZONE_DMA);
		n++;
	}
	assert_int_equal(err, -ENOMEM);
	assert_true(n > 3000 && n < 3840);
	assert_int_equal(r.count[MM_EV_alloc_fail], 1);
	assert_string_equal(r.last_detail[MM_EV_alloc_fail], "watermark");
	assert_non_null(strstr(e.message, "watermark"));
	assert_true(r.count[MM_EV_watermark_breach] > 0);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_atomic_dips_below_min(void **state)
{
	struct machine *m = make("{\"mem_mib\":64,\"pcp\":false}", NULL, NULL);
	struct alloc_pages_result res;
	struct zone_info zi;
	uint64_t floor_kernel, floor_atomic;

	(void)state;
	while (mm_alloc_pages(m, GFP_KERNEL | GFP_DMA, 0, -1, 0, &res, NULL) == 0)
		;
	machine_zone_info(m, 0, ZONE_DMA, &zi);
	floor_kernel = zi.free;
	/* unmovable pages claimed movable pageblocks: boost_watermark() raised the marks */
	assert_true(zi.watermark_boost > 0);
	assert_true(floor_kernel <= zi.wmark_min + zi.watermark_boost + 1);
	while (mm_alloc_pages(m, GFP_ATOMIC | GFP_DMA, 0, -1, 0, &res, NULL) == 0)
		;
	machine_zone_info(m, 0, ZONE_DMA, &zi);
	floor_atomic = zi.free;
	assert_true(floor_atomic < floor_kernel);
	assert_true(floor_atomic > 0);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_exhaustion_gives_enomem(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	uint64_t pages = 0;
	int err;

	(void)state;
	while ((err = mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, &e)) == 0)
		pages++;
	assert_int_equal(err, -ENOMEM);
	assert_int_equal(e.err, -ENOMEM);
	assert_true(pages > 5000);	/* 64 MiB less the 32 MiB kernel image */
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 10, -1, 0, &res, &e), -ENOMEM);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_order_unavailable_reason(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":64,\"pcp\":false}", NULL, NULL);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	uint64_t *pfns = malloc(16384 * sizeof(*pfns));
	size_t n = 0, i;

	(void)state;
	assert_non_null(pfns);
	memset(&r, 0, sizeof(r));
	/* take every page (__GFP_MEMALLOC ignores watermarks), give back every
	 * other one: plenty free, nothing of order 1 */
	while (mm_alloc_pages(m, GFP_KERNEL | __GFP_MEMALLOC, 0, -1, 0, &res, NULL) == 0)
		pfns[n++] = res.pfn;
	for (i = 0; i < n; i++)
		if (pfns[i] % 2 == 0)
			assert_int_equal(mm_free_pages(m, pfns[i], 0, 0, NULL), 0);
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 1, -1, 0, &res, &e), -ENOMEM);
	assert_string_equal(r.last_detail[MM_EV_alloc_fail], "order unavailable");
	assert_non_null(strstr(e.message, "order unavailable"));
	if (mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, &e))
		fail_msg("%s", e.message);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	free(pfns);
	machine_destroy(m);
}

static void test_zone_not_allowed(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"nodes\":2,\"cpus\":2}", NULL, NULL);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | GFP_DMA | __GFP_THISNODE, 0, 1, 1,
					&res, &e), -ENOMEM);
	assert_non_null(strstr(e.message, "zone not allowed"));
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | GFP_DMA, 0, 1, 1, &res, &e), 0);
	assert_int_equal(res.node, 0);	/* falls back to node 0's DMA */
	assert_int_equal(res.zone, ZONE_DMA);
	machine_destroy(m);
}

static void test_bad_frees_are_einval(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };
	char *before, *after;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | __GFP_COMP, 2, -1, 0, &res, NULL), 0);
	before = proc_zoneinfo(m);
	assert_int_equal(mm_free_pages(m, res.pfn, 1, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "order-2"));
	assert_int_equal(mm_free_pages(m, res.pfn + 1, 0, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "inside"));
	assert_int_equal(mm_free_pages(m, machine_max_pfn(m) + 5, 0, 0, &e), -EINVAL);
	assert_int_equal(mm_free_pages(m, 0xa0, 0, 0, &e), -EINVAL);
	assert_int_equal(mm_free_pages(m, 16 * 256, 0, 0, &e), -EINVAL);	/* kernel image */
	assert_int_equal(mm_free_pages(m, res.pfn, 2, 7, &e), -EINVAL);	/* no CPU 7 */
	after = proc_zoneinfo(m);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(mm_free_pages(m, res.pfn, 2, 0, &e), 0);
	assert_int_equal(mm_free_pages(m, res.pfn, 2, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "double free"));
	free(before);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_bad_requests_are_einval(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result res;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 11, -1, 0, &res, NULL), -EINVAL);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, 3, 0, &res, NULL), -EINVAL);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 2, &res, NULL), -EINVAL);
	assert_int_equal(mm_alloc_pages(m, GFP_DMA | GFP_DMA32, 0, -1, 0, &res, NULL), -EINVAL);
	machine_destroy(m);
}

static void test_pcp_refill_and_drain(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct alloc_pages_result *res = calloc(8000, sizeof(*res));
	struct zone_info zi;
	char *boot, *now;
	int i;

	(void)state;
	assert_non_null(res);
	memset(&r, 0, sizeof(r));
	boot = proc_buddyinfo(m);
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res[0], NULL), 0);
	assert_int_equal(r.count[MM_EV_pcp_refill], 1);
	machine_zone_info(m, 0, res[0].zone, &zi);
	assert_true(zi.pcp > 0);
	assert_int_equal(zi.free + zi.pcp + 1, zi.managed - zi.owner_pages[OWNER_OTHER] + 1);
	for (i = 1; i < 8000; i++)
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res[i], NULL), 0);
	for (i = 0; i < 8000; i++)
		assert_int_equal(mm_free_pages(m, res[i].pfn, 0, 0, NULL), 0);
	assert_true(r.count[MM_EV_pcp_drain] > 0);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	mm_drain_all_pages(m);
	machine_zone_info(m, 0, res[0].zone, &zi);
	assert_int_equal(zi.pcp, 0);
	now = proc_buddyinfo(m);
	assert_string_equal(boot, now);
	free(boot);
	free(now);
	free(res);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

/* The per-block events of the per-CPU lists, in order, with the pages each batch counts. */
struct block_log {
	int type[20000], order[20000], mt[20000];
	int64_t value[20000];
	uint64_t pfn[20000];
	unsigned int n;
	int64_t pages[MM_EV_NR_TYPES];	/* zone_locked/pcpu_drain/free_batched: 1 << order each */
};

static void log_blocks(void *ctx, const struct mm_event *ev)
{
	struct block_log *l = ctx;

	if (ev->type == MM_EV_pcp_refill || ev->type == MM_EV_pcp_drain) {
		l->pages[ev->type] += ev->value;
		return;
	}
	if (ev->type != MM_EV_mm_page_alloc_zone_locked && ev->type != MM_EV_mm_page_pcpu_drain &&
	    ev->type != MM_EV_mm_page_free_batched && ev->type != MM_EV_mm_page_free)
		return;
	l->pages[ev->type] += 1LL << ev->order;
	if (l->n < 20000) {
		l->type[l->n] = ev->type;
		l->order[l->n] = ev->order;
		l->mt[l->n] = ev->migratetype;
		l->value[l->n] = ev->value;
		l->pfn[l->n++] = ev->pfn;
	}
}

/*
 * mm_page_alloc_zone_locked is one event a block taken under the zone lock
 * (a refill's blocks, a buddy allocation's block), mm_page_pcpu_drain one a
 * block given back, mm_page_free_batched one a folio an unmap frees, after
 * its mm_page_free: as mm/page_alloc.c traces them. Movable requests on a
 * fresh machine take no fallback (a claimed whole pageblock is no such line).
 */
static void test_pcp_per_block_events(void **state)
{
	struct block_log *l = calloc(1, sizeof(*l));
	struct machine *m = make("{\"mem_mib\":256}", NULL, NULL);
	struct alloc_pages_result *res = calloc(4000, sizeof(*res));
	struct mm_access_summary sum;
	uint64_t addr;
	unsigned int i, first, frees, batched;
	int pid;

	(void)state;
	assert_non_null(l);
	assert_non_null(res);
	machine_set_event_fn(m, log_blocks, l);
	assert_int_equal(mm_alloc_pages(m, GFP_HIGHUSER_MOVABLE, 0, -1, 0, &res[0], NULL), 0);
	/* the refill: one line a block, the first is the one handed out */
	assert_true(l->n > 1);
	assert_int_equal(l->pages[MM_EV_mm_page_alloc_zone_locked], l->pages[MM_EV_pcp_refill]);
	assert_int_equal(l->pfn[0], res[0].pfn);
	for (i = 0; i < l->n; i++) {
		assert_int_equal(l->type[i], MM_EV_mm_page_alloc_zone_locked);
		assert_int_equal(l->order[i], 0);
		assert_int_equal(l->mt[i], MIGRATE_MOVABLE);
		assert_int_equal(l->value[i], 1);	/* percpu_refill */
	}
	/* a costly order goes to the buddy straight: one block, no refill */
	first = l->n;
	assert_int_equal(mm_alloc_pages(m, GFP_HIGHUSER_MOVABLE, 4, -1, 0, &res[1], NULL), 0);
	assert_int_equal(l->n, first + 1);
	assert_int_equal(l->pfn[first], res[1].pfn);
	assert_int_equal(l->order[first], 4);
	assert_int_equal(l->value[first], 0);
	assert_int_equal(mm_free_pages(m, res[1].pfn, 4, 0, NULL), 0);
	/* drains: one line a block, as many pages as the batches say */
	for (i = 2; i < 4000; i++)
		assert_int_equal(mm_alloc_pages(m, GFP_HIGHUSER_MOVABLE, 0, -1, 0, &res[i], NULL), 0);
	for (i = 2; i < 4000; i++)
		assert_int_equal(mm_free_pages(m, res[i].pfn, 0, 0, NULL), 0);
	assert_true(l->pages[MM_EV_pcp_drain] > 0);
	assert_int_equal(l->pages[MM_EV_mm_page_pcpu_drain], l->pages[MM_EV_pcp_drain]);
	assert_int_equal(l->pages[MM_EV_mm_page_alloc_zone_locked],
			 l->pages[MM_EV_pcp_refill] + 16);
	assert_int_equal(l->pages[MM_EV_mm_page_free_batched], 0);	/* __free_pages() is not batched */
	/* an unmap frees its folios as a batch: mm_page_free, then mm_page_free_batched */
	assert_int_equal(mm_spawn(m, "batch", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 64 * 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_access_range(m, 0, pid, addr, 64 * 4096, 4096, 1, false, 64, &sum,
					 NULL), 0);
	first = l->n;
	assert_int_equal(mm_munmap(m, pid, addr, 64 * 4096, NULL), 0);
	frees = batched = 0;
	for (i = first; i < l->n; i++) {
		if (l->type[i] != MM_EV_mm_page_free_batched)
			continue;
		assert_true(i > first);
		assert_int_equal(l->type[i - 1], MM_EV_mm_page_free);
		assert_int_equal(l->pfn[i - 1], l->pfn[i]);
		assert_int_equal(l->order[i], 0);
		batched++;
	}
	for (i = first; i < l->n; i++)
		frees += l->type[i] == MM_EV_mm_page_free && l->order[i] == 0;
	assert_int_equal(batched, 64);
	assert_true(frees >= batched);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
	free(res);
	free(l);
}

static void test_pcp_high_batch_like_kernel(void **state)
{
	struct machine *m = make("{\"mem_mib\":4096,\"cpus\":2}", NULL, NULL);
	struct zone_info zi;

	(void)state;
	machine_zone_info(m, 0, ZONE_DMA, &zi);
	assert_int_equal(zi.pcp_batch, 1);		/* as the real DMA zone */
	assert_int_equal(zi.pcp_high, zi.wmark_low / 2);
	machine_zone_info(m, 0, ZONE_DMA32, &zi);
	assert_int_equal(zi.pcp_batch, 63);		/* as the real DMA32 zone */
	assert_int_equal(zi.pcp_high, zi.wmark_low / 2);
	machine_destroy(m);
}

static void test_fallback_steals_and_claims(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":64,\"pcp\":false}", NULL, NULL);
	struct alloc_pages_result res;
	struct zone_info zi;

	(void)state;
	memset(&r, 0, sizeof(r));
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(res.migratetype, MIGRATE_UNMOVABLE);
	assert_int_equal(r.count[MM_EV_mm_page_alloc_extfrag], 1);
	assert_non_null(strstr(r.last_detail[MM_EV_mm_page_alloc_extfrag], "Movable"));
	machine_zone_info(m, 0, res.zone, &zi);
	assert_true(zi.nr_pageblocks_mt[MIGRATE_UNMOVABLE] >= 1);
	/* the next unmovable page comes from the claimed block: no new fallback */
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(r.count[MM_EV_mm_page_alloc_extfrag], 1);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_failure_injection(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result res;
	struct mm_error e = { 0 };

	(void)state;
	machine_fail_nth_alloc(m, 3);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, &e), -ENOMEM);
	assert_non_null(strstr(e.message, "injected"));
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &res, NULL), 0);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_compound_pages(void **state)
{
	struct machine *m = make("{\"mem_mib\":64}", NULL, NULL);
	struct alloc_pages_result res;
	struct page_info pi;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL | __GFP_COMP, 3, -1, 0, &res, NULL), 0);
	assert_int_equal(machine_page_info(m, res.pfn, &pi), 0);
	assert_non_null(strstr(pi.flags_text, "head"));
	assert_int_equal(pi.order, 3);
	assert_int_equal(pi.refcount, 1);
	assert_int_equal(pi.owner, OWNER_OTHER);
	assert_int_equal(machine_page_info(m, res.pfn + 5, &pi), 0);
	/* A tail is compound_head bit 0 in 6.18, not a PG_ flag; kpageflags says it. */
	assert_true(pi.tail);
	assert_null(strstr(pi.flags_text, "tail"));
	assert_non_null(strstr(pi.kpageflags_text, "compound_tail"));
	assert_int_equal(pi.compound_head, res.pfn);
	assert_int_equal(pi.refcount, 0);
	assert_int_equal(mm_free_pages(m, res.pfn, 3, 0, NULL), 0);
	assert_int_equal(machine_page_info(m, res.pfn + 5, &pi), 0);
	assert_true(pi.owner == OWNER_PCP || pi.owner == OWNER_FREE);
	machine_destroy(m);
}

/* Same calls, same events: the machine is deterministic. */
struct hasher {
	uint64_t h;
	unsigned long n;
};

static void hash_event(void *ctx, const struct mm_event *ev)
{
	struct hasher *hs = ctx;
	const unsigned char *p = (const unsigned char *)ev;
	size_t i;

	for (i = 0; i < offsetof(struct mm_event, detail); i++)
		hs->h = (hs->h ^ p[i]) * 1099511628211ULL;
	for (i = 0; ev->detail && ev->detail[i]; i++)
		hs->h = (hs->h ^ (unsigned char)ev->detail[i]) * 1099511628211ULL;
	hs->n++;
}

static uint64_t run_workload(void)
{
	struct hasher hs = { 1469598103934665603ULL, 0 };
	struct machine *m = make("{\"mem_mib\":128,\"cpus\":2}", hash_event, &hs);
	struct alloc_pages_result res[64];
	int i;

	for (i = 0; i < 64; i++)
		assert_int_equal(mm_alloc_pages(m, i % 2 ? GFP_KERNEL : GFP_HIGHUSER_MOVABLE,
						(unsigned int)(i % 5), -1, i % 2, &res[i], NULL), 0);
	for (i = 0; i < 64; i += 2)
		assert_int_equal(mm_free_pages(m, res[i].pfn, res[i].order, 1, NULL), 0);
	machine_destroy(m);
	assert_true(hs.n > 100);
	return hs.h;
}

static int lowest_order10(void *ctx, uint64_t pfn, unsigned int order, int mt)
{
	uint64_t *low = ctx;

	(void)mt;
	if (order == 10 && pfn < *low)
		*low = pfn;
	return 0;
}

/*
 * __free_pages_core() (mm/page_alloc.c) frees boot memory with FPI_TO_TAIL,
 * and memblock_free_all() walks memory upwards: the first order-10
 * allocation after boot is the lowest free order-10 block, not the top of
 * RAM.
 */
static void test_boot_memory_freed_to_tail(void **state)
{
	struct machine *m = make("{\"mem_mib\":2048}", NULL, NULL);
	struct alloc_pages_result res;
	uint64_t low = UINT64_MAX;

	(void)state;
	assert_int_equal(machine_zone_free_blocks(m, 0, 1, lowest_order10, &low), 0);
	assert_true(low < 0x10000);	/* below 256 MiB: there is free memory that low */
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 10, -1, 0, &res, NULL), 0);
	assert_int_equal(res.pfn, low);
	assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 10, -1, 0, &res, NULL), 0);
	assert_int_equal(res.pfn, low + 1024);
	assert_clean(m);
	machine_destroy(m);
}

static void test_deterministic_events(void **state)
{
	(void)state;
	assert_true(run_workload() == run_workload());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_split_and_merge_events),
		cmocka_unit_test(test_blocks_are_aligned),
		cmocka_unit_test(test_zones_from_gfp),
		cmocka_unit_test(test_gfp_dma_never_leaves_zone_dma),
		cmocka_unit_test(test_atomic_dips_below_min),
		cmocka_unit_test(test_exhaustion_gives_enomem),
		cmocka_unit_test(test_order_unavailable_reason),
		cmocka_unit_test(test_zone_not_allowed),
		cmocka_unit_test(test_bad_frees_are_einval),
		cmocka_unit_test(test_bad_requests_are_einval),
		cmocka_unit_test(test_pcp_refill_and_drain),
		cmocka_unit_test(test_pcp_per_block_events),
		cmocka_unit_test(test_pcp_high_batch_like_kernel),
		cmocka_unit_test(test_fallback_steals_and_claims),
		cmocka_unit_test(test_failure_injection),
		cmocka_unit_test(test_compound_pages),
		cmocka_unit_test(test_boot_memory_freed_to_tail),
		cmocka_unit_test(test_deterministic_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
