/*
 * test_vmalloc.c - vmalloc and vfree: the lowest free range with its guard
 * page, scattered frames mapped by 4 KiB PTEs, the metadata in the kmalloc
 * caches, vfree giving everything back, vmalloc_to_page, __pa refusing
 * vmalloc addresses, /proc/vmallocinfo, clone, and a randomised run.
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

#define VMALLOC_START_L4	0xffffc90000000000ULL
#define VMALLOC_START_L5	0xffa0000000000000ULL
#define PAGE			4096ULL
#define SZ			(1024ULL * 1024)

struct recorder {
	unsigned long count[MM_EV_NR_TYPES];
	uint64_t last_vaddr, last_size;		/* of the last purge_vmap_area_lazy */
};

static void record(void *ctx, const struct mm_event *ev)
{
	struct recorder *r = ctx;

	r->count[ev->type]++;
	if (ev->type == MM_EV_purge_vmap_area_lazy) {
		r->last_vaddr = ev->vaddr;
		r->last_size = ev->size;
	}
}

static void fail_violation(void *ctx, const char *v)
{
	(void)ctx;
	fail_msg("invariant: %s", v);
}

static void assert_clean(const struct machine *m)
{
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
}

static struct machine *make(const char *json)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct machine *m;

	if (machine_config_parse(&cfg, json, 0, &e))
		fail_msg("config: %s", e.message);
	m = machine_create(&cfg, NULL, NULL, &e);
	machine_config_release(&cfg);
	if (!m)
		fail_msg("create: %s", e.message);
	return m;
}

static uint64_t vmalloc_ok(struct machine *m, uint64_t size)
{
	struct mm_error e = { 0 };
	uint64_t addr;

	if (mm_vmalloc(m, size, 0, NULL, &addr, &e))
		fail_msg("vmalloc(%llu): %s", (unsigned long long)size, e.message);
	return addr;
}

static int area_of(const struct machine *m, uint64_t addr, struct vmalloc_area_info *ai)
{
	for (unsigned int i = 0; i < machine_vmalloc_areas(m); i++) {
		assert_int_equal(machine_vmalloc_area(m, i, ai), 0);
		if (ai->addr == addr)
			return 0;
	}
	return -ENOENT;
}

static uint64_t cache_inuse(const struct machine *m, const char *name)
{
	struct slab_cache_info ci;

	for (unsigned int i = 0; i < machine_slab_caches(m); i++) {
		assert_int_equal(machine_slab_cache_info(m, i, &ci), 0);
		if (!strcmp(ci.name, name))
			return ci.inuse;
	}
	fail_msg("no cache %s", name);
	return 0;
}

static void test_lowest_fit_and_guard(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}");
	uint64_t a, b, c, d;

	(void)state;
	a = vmalloc_ok(m, 1);			/* 1 page + guard */
	b = vmalloc_ok(m, 3 * PAGE);		/* 3 pages + guard */
	c = vmalloc_ok(m, PAGE + 1);		/* 2 pages + guard */
	assert_true(a == VMALLOC_START_L4);
	assert_true(b == a + 2 * PAGE);
	assert_true(c == b + 4 * PAGE);
	/*
	 * vfree() is lazy: b's range waits on the lazy list until a purge, so
	 * nothing is put there meanwhile, not even a request that fits.
	 */
	assert_int_equal(mm_vfree(m, b, 0, NULL), 0);
	d = vmalloc_ok(m, 4 * PAGE);
	assert_true(d == c + 3 * PAGE);
	assert_true(vmalloc_ok(m, 2 * PAGE) == d + 5 * PAGE);
	assert_int_equal(machine_vmalloc_lazy_areas(m), 1);
	assert_clean(m);
	machine_destroy(m);
}

static void test_five_levels_area(void **state)
{
	struct machine *m = make("{\"mem_mib\":128,\"paging_levels\":5}");
	uint64_t a = vmalloc_ok(m, 10000), pfn;
	struct vmalloc_area_info ai;

	(void)state;
	assert_true(a == VMALLOC_START_L5);
	assert_int_equal(area_of(m, a, &ai), 0);
	assert_int_equal(mm_vmalloc_to_pfn(m, a + 2 * PAGE + 5, &pfn, NULL), 0);
	assert_true(pfn == ai.pfns[2]);
	assert_clean(m);
	machine_destroy(m);
}

static void test_pages_mapped_and_metadata(void **state)
{
	struct recorder r;
	struct machine *m = make("{\"mem_mib\":128}");
	struct vmalloc_area_info ai;
	struct page_info pi;
	struct mm_error e = { 0 };
	uint64_t a, pfn, pa, before96 = cache_inuse(m, "kmalloc-96");
	uint64_t before64 = cache_inuse(m, "kmalloc-64");
	struct alloc_pages_result ap[8];

	(void)state;
	/* Make free memory ragged: every other page of a run goes back. */
	for (int i = 0; i < 8; i++)
		assert_int_equal(mm_alloc_pages(m, 0xcc0, 0, -1, 0, &ap[i], NULL), 0);
	for (int i = 0; i < 8; i += 2)
		assert_int_equal(mm_free_pages(m, ap[i].pfn, 0, 0, NULL), 0);
	memset(&r, 0, sizeof(r));
	machine_set_event_fn(m, record, &r);
	a = vmalloc_ok(m, 8 * PAGE);
	assert_int_equal(area_of(m, a, &ai), 0);
	assert_int_equal(ai.nr_pages, 8);
	assert_true(ai.size == 9 * PAGE);
	assert_int_equal(r.count[MM_EV_vmap_page], 8);
	assert_int_equal(r.count[MM_EV_vmalloc], 1);
	assert_int_equal(r.count[MM_EV_vmap_area_alloc], 1);
	/* The vm_struct (72 bytes) in kmalloc-96, the 64-byte pages array in kmalloc-64. */
	assert_int_equal(cache_inuse(m, "kmalloc-96"), before96 + 1);
	assert_int_equal(cache_inuse(m, "kmalloc-64"), before64 + 1);
	assert_false(ai.pages_vmalloc);
	bool consecutive = true;
	for (unsigned int i = 0; i < ai.nr_pages; i++) {
		assert_int_equal(mm_vmalloc_to_pfn(m, a + i * PAGE, &pfn, NULL), 0);
		assert_true(pfn == ai.pfns[i]);
		assert_int_equal(machine_page_info(m, pfn, &pi), 0);
		assert_int_equal(pi.owner, OWNER_VMALLOC);
		if (i && ai.pfns[i] != ai.pfns[i - 1] + 1)
			consecutive = false;
	}
	assert_false(consecutive);
	/* The guard page maps nothing. */
	assert_int_equal(mm_vmalloc_to_pfn(m, a + 8 * PAGE, &pfn, &e), -EFAULT);
	/* __pa() of a vmalloc address is x - PAGE_OFFSET, not its frame. */
	assert_int_equal(mm_virt_to_phys(m, a, &pa, &e), 0);
	assert_true(pa == a - 0xffff888000000000ULL && pa != ai.pfns[0] << 12);
	assert_clean(m);

	memset(&r, 0, sizeof(r));
	assert_int_equal(mm_vfree(m, a, 0, NULL), 0);
	assert_int_equal(r.count[MM_EV_vfree], 1);
	/* lazy: unmapped, no flush, the range on the lazy list */
	assert_int_equal(r.count[MM_EV_free_vmap_area_noflush], 1);
	assert_int_equal(r.count[MM_EV_vmap_area_free], 0);
	assert_int_equal(r.count[MM_EV_tlb_flush], 0);
	assert_int_equal(r.count[MM_EV_mm_page_free], 8);
	assert_int_equal(cache_inuse(m, "kmalloc-96"), before96);
	assert_int_equal(cache_inuse(m, "kmalloc-64"), before64);
	assert_int_equal(machine_vmalloc_areas(m), 0);
	assert_int_equal(mm_vmalloc_to_pfn(m, a, &pfn, &e), -EFAULT);
	assert_clean(m);
	machine_destroy(m);
}

static void test_big_area_vmallocs_its_pages_array(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}");
	struct vmalloc_area_info ai, inner;
	struct zone_info z0, z1;
	char *text;
	uint64_t a;

	(void)state;
	mm_drain_all_pages(m);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &z0), 0);
	a = vmalloc_ok(m, 1000 * PAGE);		/* pages array: 8000 bytes > a page */
	assert_int_equal(area_of(m, a, &ai), 0);
	assert_true(ai.pages_vmalloc);
	assert_int_equal(area_of(m, ai.pages_addr, &inner), 0);
	assert_int_equal(inner.nr_pages, 2);
	assert_string_equal(inner.caller, ai.caller);
	assert_int_equal(machine_vmalloc_areas(m), 2);
	text = proc_vmallocinfo(m);
	/* " vpages": the pages array is itself vmalloc'd; N0=: the node's pages */
	assert_non_null(strstr(text, " pages=1000 vmalloc vpages N0=1000\n"));
	assert_non_null(strstr(text, " pages=2 vmalloc N0=2\n"));
	assert_non_null(strstr(text, "0xffffc90000000000-0xffffc900003e9000 4100096 "));
	/* The pages array comes after the area it describes, as in the kernel. */
	assert_non_null(strstr(text, "0xffffc900003e9000-0xffffc900003ec000   12288 "));
	free(text);
	assert_int_equal(mm_vfree(m, ai.pages_addr, 0, NULL), -EINVAL);
	assert_int_equal(mm_vfree(m, a + PAGE, 0, NULL), -EINVAL);
	assert_clean(m);
	assert_int_equal(mm_vfree(m, a, 0, NULL), 0);
	assert_int_equal(machine_vmalloc_areas(m), 0);
	mm_drain_all_pages(m);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &z1), 0);
	assert_int_equal(z1.owner_pages[OWNER_VMALLOC], 0);
	assert_int_equal(z1.owner_pages[OWNER_VMALLOC], z0.owner_pages[OWNER_VMALLOC]);
	assert_clean(m);
	machine_destroy(m);
}

static void test_bad_requests(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}");
	struct mm_error e = { 0 };
	uint64_t addr;

	(void)state;
	assert_int_equal(mm_vfree(m, VMALLOC_START_L4, 0, &e), -EINVAL);
	assert_non_null(strstr(e.message, "nonexistent vm area"));
	assert_int_equal(mm_vfree(m, 0, 0, NULL), 0);	/* vfree(NULL) */
	assert_int_equal(mm_vmalloc(m, 0, 0, NULL, &addr, &e), -ENOMEM);
	assert_int_equal(mm_vmalloc(m, 1ULL << 40, 0, NULL, &addr, &e), -ENOMEM);
	/* Out of memory halfway: everything taken so far goes back. */
	machine_fail_nth_alloc(m, 5);
	assert_int_equal(mm_vmalloc(m, 10 * PAGE, 0, NULL, &addr, &e), -ENOMEM);
	assert_int_equal(machine_vmalloc_areas(m), 0);
	assert_clean(m);
	/* the half-built area was vfree()d: its range waits on the lazy list */
	assert_int_equal(machine_vmalloc_lazy_areas(m), 1);
	assert_true(vmalloc_ok(m, PAGE) == VMALLOC_START_L4 + 11 * PAGE);
	machine_destroy(m);
}

static void test_clone_and_random(void **state)
{
	struct machine *m = make("{\"mem_mib\":96}"), *c;
	uint64_t live[64], s = 7;
	int nr = 0;

	(void)state;
	for (int step = 0; step < 400; step++) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		if ((s % 3 && nr < 64) || !nr) {
			live[nr++] = vmalloc_ok(m, s % (40 * PAGE) + 1);
		} else {
			int i = (int)(s % (uint64_t)nr);

			assert_int_equal(mm_vfree(m, live[i], 0, NULL), 0);
			live[i] = live[--nr];
		}
		if (machine_check(m, NULL, NULL)) {
			print_error("seed 7 step %d\n", step);
			assert_clean(m);
		}
	}
	c = machine_clone(m);
	assert_non_null(c);
	for (int i = 0; i < nr; i++)
		assert_int_equal(mm_vfree(c, live[i], 0, NULL), 0);
	assert_int_equal(machine_vmalloc_areas(c), 0);
	assert_clean(c);
	assert_int_equal(machine_vmalloc_areas(m), (unsigned int)nr);
	assert_clean(m);
	machine_destroy(c);
	machine_destroy(m);
}

/*
 * Kernel: mm/vmalloc.c, vfree() -> remove_vm_area() -> free_unmap_vmap_area()
 * (vunmap_range_noflush(), free_vmap_area_noflush()), lazy_max_pages() =
 * fls(num_online_cpus()) * 32 MiB of pages, and __purge_vmap_area_lazy():
 * one flush_tlb_kernel_range() over all the lazy ranges, then the ranges go
 * back. /proc/vmallocinfo lists them as show_purge_info() does.
 */
static void test_vfree_is_lazy(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":2}");
	struct recorder r = { { 0 }, 0, 0 };
	struct mm_translation t;
	uint64_t a, b, c, nr, max, pfn;
	char *text;

	(void)state;
	a = vmalloc_ok(m, 8 * PAGE);
	assert_int_equal(mm_translate(m, 0, 0, a, MM_ACCESS_READ, 0, &t, NULL), 0);
	pfn = t.paddr >> 12;
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_vfree(m, a, 0, NULL), 0);
	assert_int_equal(r.count[MM_EV_free_vmap_area_noflush], 1);
	assert_int_equal(r.count[MM_EV_tlb_flush], 0);
	assert_int_equal(r.count[MM_EV_purge_vmap_area_lazy], 0);
	assert_int_equal(r.count[MM_EV_mm_page_free], 8);	/* the pages go at once */
	machine_vmalloc_lazy(m, &nr, &max);
	assert_int_equal(nr, 9);				/* the guard page counts */
	assert_int_equal(max, 2 * 8192);			/* fls(2) * 32 MiB / 4 KiB */
	text = proc_vmallocinfo(m);
	assert_non_null(strstr(text, "0xffffc90000000000-0xffffc90000009000   36864 unpurged vm_area\n"));
	free(text);
	/* CPU 0 still holds the translation: no flush yet, as in the kernel */
	assert_int_equal(mm_translate(m, 0, 0, a, MM_ACCESS_READ, 0, &t, NULL), 0);
	assert_false(t.fault);
	assert_int_equal(t.tlb, MM_TLB_L1_HIT);
	assert_int_equal(t.paddr >> 12, pfn);
	assert_clean(m);
	/* two areas of 40 MiB: the second vfree() passes lazy_max_pages() */
	b = vmalloc_ok(m, 40 * SZ);
	assert_int_equal(mm_vfree(m, b, 0, NULL), 0);
	assert_int_equal(r.count[MM_EV_purge_vmap_area_lazy], 0);
	c = vmalloc_ok(m, 40 * SZ);
	memset(&r, 0, sizeof(r));
	assert_int_equal(mm_vfree(m, c, 0, NULL), 0);
	assert_int_equal(r.count[MM_EV_purge_vmap_area_lazy], 1);
	/* one ranged flush per CPU, over the whole span */
	assert_int_equal(r.count[MM_EV_tlb_flush], 2);
	assert_true(r.last_vaddr == a);
	assert_true(r.last_size > c + 40 * SZ - a);
	machine_vmalloc_lazy(m, &nr, &max);
	assert_int_equal(nr, 0);
	assert_int_equal(machine_vmalloc_lazy_areas(m), 0);
	/* the stale translation is gone, and the space is free again */
	assert_int_equal(mm_translate(m, 0, 0, a, MM_ACCESS_READ, 0, &t, NULL), 0);
	assert_true(t.fault);
	assert_true(vmalloc_ok(m, PAGE) == VMALLOC_START_L4);
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_fit_and_guard),
		cmocka_unit_test(test_five_levels_area),
		cmocka_unit_test(test_pages_mapped_and_metadata),
		cmocka_unit_test(test_big_area_vmallocs_its_pages_array),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_clone_and_random),
		cmocka_unit_test(test_vfree_is_lazy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
