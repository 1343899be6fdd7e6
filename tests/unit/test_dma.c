/*
 * test_dma.c - dma_map without an IOMMU: kmalloc buffers map to their
 * physical address, vmalloc buffers never (dma_map_single_attrs), a device
 * reaches only what lies below its DMA mask, and beyond it a machine with
 * RAM above 4 GiB bounces through the swiotlb pool (kernel/dma/swiotlb.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mmlab.h"
#include "swiotlb.h"
#include "tests/unit/machine_test.h"

#ifndef GFP_KERNEL
#define GFP_KERNEL	0xcc0u
#endif
#ifndef GFP_DMA
#define GFP_DMA		0x1u
#endif

struct recorder {
	unsigned long maps, bounces, unmaps;
	char detail[64];
	int64_t value;
	struct mm_event bounce, unmap;
};

static void record(void *ctx, const struct mm_event *ev)
{
	struct recorder *r = ctx;

	if (ev->type == MM_EV_swiotlb_bounced) {
		r->bounces++;
		r->bounce = *ev;
		r->bounce.detail = NULL;
	}
	if (ev->type == MM_EV_dma_unmap) {
		r->unmaps++;
		r->unmap = *ev;
		r->unmap.detail = NULL;
	}
	if (ev->type != MM_EV_dma_map)
		return;
	r->maps++;
	r->value = ev->value;
	strncpy(r->detail, ev->detail ? ev->detail : "", sizeof(r->detail) - 1);
}

static struct machine *make_rec(const char *json, struct recorder *r)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct machine *m;

	if (machine_config_parse(&cfg, json, 0, &e))
		fail_msg("config: %s", e.message);
	m = machine_create(&cfg, r ? record : NULL, r, &e);
	machine_config_release(&cfg);
	if (!m)
		fail_msg("create: %s", e.message);
	return m;
}

static void test_kmalloc_buffer(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make_rec("{\"mem_mib\":8192}", &r);
	struct kmalloc_result k;
	struct mm_error e = { 0 };
	uint64_t dma, pa;

	(void)state;
	assert_int_equal(mm_kmalloc(m, 4000, GFP_KERNEL, 0, &k, NULL), 0);
	assert_int_equal(mm_virt_to_phys(m, k.addr, &pa, NULL), 0);
	assert_true(pa == k.paddr);
	assert_int_equal(mm_dma_map(m, k.addr, 4000, 64, &dma, &e), 0);
	assert_true(dma == k.paddr);
	assert_string_equal(r.detail, "accepted");
	/*
	 * An 8 GiB machine serves GFP_KERNEL from above 4 GiB: a 32-bit device
	 * cannot reach it, so dma_direct_map_phys() bounces it through swiotlb
	 * (kernel/dma/direct.h; swiotlb_map() in kernel/dma/swiotlb.c).
	 */
	assert_true(k.paddr >= (4ULL << 30));
	assert_int_equal(mm_dma_map(m, k.addr, 4000, 32, &dma, &e), 0);
	assert_true(is_swiotlb_buffer(m, dma) && dma < (4ULL << 30) && dma != k.paddr);
	assert_string_equal(r.detail, "bounced through swiotlb");
	assert_int_equal(r.bounces, 1);
	assert_true(r.bounce.paddr == k.paddr && r.bounce.value == (int64_t)dma);
	assert_int_equal(r.maps, 2);
	assert_clean(m);
	machine_destroy(m);
}

static void test_isa_device_needs_gfp_dma(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make_rec("{\"mem_mib\":256}", &r);
	struct kmalloc_result normal, low;
	struct mm_error e = { 0 };
	uint64_t dma;

	(void)state;
	assert_int_equal(mm_kmalloc(m, 512, GFP_KERNEL, 0, &normal, NULL), 0);
	assert_int_equal(mm_kmalloc(m, 512, GFP_KERNEL | GFP_DMA, 0, &low, NULL), 0);
	assert_string_equal(low.cache, "dma-kmalloc-512");
	assert_int_equal(mm_dma_map(m, normal.addr, 512, 24, &dma, &e), -EIO);
	assert_non_null(strstr(e.message, "GFP_DMA"));
	assert_int_equal(mm_dma_map(m, low.addr, 512, 24, &dma, &e), 0);
	assert_true(dma == low.paddr && dma < (16u << 20));
	machine_destroy(m);
}

static void test_vmalloc_buffer(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make_rec("{\"mem_mib\":256}", &r);
	struct alloc_pages_result ap[6];
	struct vmalloc_area_info ai;
	struct mm_error e = { 0 };
	uint64_t v, dma;

	(void)state;
	for (int i = 0; i < 6; i++)
		assert_int_equal(mm_alloc_pages(m, GFP_KERNEL, 0, -1, 0, &ap[i], NULL), 0);
	for (int i = 0; i < 6; i += 2)
		assert_int_equal(mm_free_pages(m, ap[i].pfn, 0, 0, NULL), 0);
	assert_int_equal(mm_vmalloc(m, 4 * 4096, 0, NULL, &v, NULL), 0);
	assert_int_equal(machine_vmalloc_area(m, 0, &ai), 0);
	/* dma_map_single_attrs() refuses any is_vmalloc_addr() buffer ... */
	assert_int_equal(mm_dma_map(m, v, 4 * 4096, 64, &dma, &e), -EINVAL);
	assert_non_null(strstr(e.message, "rejecting DMA map of vmalloc memory"));
	assert_string_equal(r.detail, "vmalloc memory");
	assert_int_equal(r.value, -EINVAL);
	/* ... even one page, which is contiguous with itself, ... */
	assert_int_equal(mm_dma_map(m, v + 4096 + 16, 100, 64, &dma, &e), -EINVAL);
	assert_string_equal(r.detail, "vmalloc memory");
	/* ... and the guard page, which maps nothing. */
	assert_int_equal(mm_dma_map(m, v + 4 * 4096, 16, 64, &dma, &e), -EINVAL);
	assert_int_equal(ai.nr_pages, 4);
	assert_int_equal(mm_dma_map(m, 0x1000, 16, 64, &dma, &e), -EFAULT);
	assert_int_equal(mm_dma_map(m, v, 0, 64, &dma, &e), -EINVAL);
	machine_destroy(m);
}

/*
 * pci_swiotlb_detect() (arch/x86/kernel/pci-dma.c): the pool exists when the
 * highest pfn is above 4 GiB; swiotlb_init_remap() (kernel/dma/swiotlb.c)
 * takes IO_TLB_DEFAULT_SIZE from memblock below 4 GiB, in 2 KiB slots and
 * one area per possible CPU.
 */
static void test_swiotlb_pool_at_boot(void **state)
{
	struct machine *m = make_rec("{\"mem_mib\":3072}", NULL);
	struct swiotlb_info si;
	uint8_t owner[16384];

	(void)state;
	machine_swiotlb_info(m, &si);
	assert_false(si.active);	/* all RAM below 4 GiB: no pool */
	machine_destroy(m);
	m = make_rec("{\"mem_mib\":3074,\"cpus\":3}", NULL);
	machine_swiotlb_info(m, &si);
	assert_true(si.active);		/* 2 MiB above 4 GiB are enough */
	assert_int_equal(si.end - si.start, 64ULL << 20);
	assert_int_equal(si.nslabs, 32768);
	assert_int_equal(si.nareas, 4);
	assert_int_equal(si.area_nslabs, 8192);
	assert_int_equal(si.used, 0);
	assert_true(si.end <= (4ULL << 30) && !(si.start & 4095));
	machine_physmap(m, si.start >> 12, 16384, owner);
	for (int i = 0; i < 16384; i++)
		assert_int_equal(owner[i], OWNER_SWIOTLB);
	assert_string_equal(page_owner_name(OWNER_SWIOTLB), "swiotlb");
	assert_clean(m);
	machine_destroy(m);
}

static uint64_t kmalloc_high(struct machine *m, uint64_t size)
{
	struct kmalloc_result k;

	assert_int_equal(mm_kmalloc(m, size, GFP_KERNEL, 0, &k, NULL), 0);
	assert_true(k.paddr >= (4ULL << 30));
	return k.addr;
}

/*
 * swiotlb_search_pool_area() and swiotlb_release_slots(): first fit from the
 * area's cursor, page-aligned slots for a page or more, free runs counted
 * to the end of each 128-slot segment and joined again on release.
 */
static void test_swiotlb_slots(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make_rec("{\"mem_mib\":8192,\"cpus\":2}", &r);
	struct dma_map_info a, b, c, d;
	struct dma_unmap_info u;
	struct swiotlb_info si;
	struct mm_error e = { 0 };
	uint64_t x = kmalloc_high(m, 100), y = kmalloc_high(m, 4096), z = kmalloc_high(m, 300 * 1024);

	(void)state;
	machine_swiotlb_info(m, &si);
	assert_int_equal(mm_dma_map_attrs(m, x, 100, 32, DMA_TO_DEVICE, 0, &a, &e), 0);
	assert_true(a.bounced && a.slot == 0 && a.nslots == 1 && a.dma_addr == si.start);
	/* A page needs a page-aligned start: slot 1 is skipped. */
	assert_int_equal(mm_dma_map_attrs(m, y, 4096, 32, DMA_FROM_DEVICE, 0, &b, &e), 0);
	assert_true(b.slot == 2 && b.nslots == 2 && b.dma_addr == si.start + 2 * 2048);
	assert_int_equal(mm_dma_map_attrs(m, z, 5000, 32, DMA_BIDIRECTIONAL, 0, &c, &e), 0);
	assert_true(c.slot == 4 && c.nslots == 3);
	/* CPU 1 searches its own area, the second half of the pool. */
	assert_int_equal(mm_dma_map_attrs(m, x, 100, 32, DMA_TO_DEVICE, 1, &d, &e), 0);
	assert_int_equal(d.slot, si.area_nslabs);
	machine_swiotlb_info(m, &si);
	assert_int_equal(si.used, 1 + 2 + 3 + 1);
	assert_clean(m);
	/* Unmap: DMA_FROM_DEVICE copies back, DMA_TO_DEVICE does not. */
	assert_int_equal(mm_dma_unmap(m, b.dma_addr, 4096, DMA_FROM_DEVICE, &u, &e), 0);
	assert_true(u.bounced && u.copied == 4096 && u.slot == 2 && u.nslots == 2);
	assert_true(r.unmap.value == 4096 && r.unmap.size == 4096);
	assert_int_equal(mm_dma_unmap(m, a.dma_addr, 100, DMA_TO_DEVICE, &u, &e), 0);
	assert_int_equal(u.copied, 0);
	assert_clean(m);
	/* The next page-sized map takes the freed, joined run again. */
	assert_int_equal(mm_dma_map_attrs(m, y, 4096, 32, DMA_TO_DEVICE, 0, &b, &e), 0);
	assert_int_equal(b.slot, 8);	/* the cursor moved on past slot 6 */
	/* No mapping crosses a 128-slot segment: 256 KiB + 1 never fits. */
	assert_int_equal(mm_dma_map_attrs(m, z, 256 * 1024 + 1, 32, DMA_TO_DEVICE, 0, &a, &e),
			 -ENOMEM);
	assert_non_null(strstr(e.message, "swiotlb buffer is full"));
	/* The DMA API debug checks: the middle of a mapping, a wrong size. */
	assert_int_equal(mm_dma_unmap(m, c.dma_addr + 2048, 2952, DMA_BIDIRECTIONAL, &u, &e),
			 -EINVAL);
	assert_int_equal(mm_dma_unmap(m, c.dma_addr, 4096, DMA_BIDIRECTIONAL, &u, &e), -EINVAL);
	assert_int_equal(mm_dma_unmap(m, c.dma_addr, 5000, DMA_BIDIRECTIONAL, &u, &e), 0);
	assert_int_equal(u.copied, 5000);
	assert_int_equal(mm_dma_unmap(m, c.dma_addr, 5000, DMA_BIDIRECTIONAL, &u, &e), -EINVAL);
	assert_clean(m);
	machine_destroy(m);
}

/* swiotlb_map(): the pool itself is out of a 24-bit device's reach. */
static void test_swiotlb_out_of_reach(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make_rec("{\"mem_mib\":8192}", &r);
	struct dma_map_info a;
	struct swiotlb_info si;
	struct mm_error e = { 0 };

	(void)state;
	assert_int_equal(mm_dma_map_attrs(m, kmalloc_high(m, 512), 512, 24, DMA_TO_DEVICE, 0, &a,
					  &e), -EIO);
	assert_non_null(strstr(e.message, "swiotlb addr"));
	assert_int_equal(r.bounces, 1);
	machine_swiotlb_info(m, &si);
	assert_int_equal(si.used, 0);	/* the slots went back */
	assert_clean(m);
	machine_destroy(m);
}

/*
 * Random maps and unmaps on both CPUs' areas: the invariant check after every
 * step, and the pool's used count is the slots of the live mappings.
 */
static void test_swiotlb_random(void **state)
{
	struct machine *m = make_rec("{\"mem_mib\":4100,\"cpus\":2}", NULL);
	struct { uint64_t dma, len; unsigned int nslots; } live[64];
	uint64_t buf = kmalloc_high(m, 512 * 1024), rng = 42, used = 0;
	unsigned int nr = 0;
	struct swiotlb_info si;
	struct mm_error e = { 0 };

	(void)state;
	for (int step = 0; step < 150; step++) {
		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		if (nr && (nr == 64 || (rng >> 33) % 3 == 0)) {
			unsigned int i = (unsigned int)((rng >> 20) % nr);
			struct dma_unmap_info u;

			assert_int_equal(mm_dma_unmap(m, live[i].dma, live[i].len, DMA_FROM_DEVICE, &u,
						      &e), 0);
			assert_int_equal(u.nslots, live[i].nslots);
			used -= live[i].nslots;
			live[i] = live[--nr];
		} else {
			uint64_t len = 1 + (rng >> 40) % (96 * 1024);
			struct dma_map_info a;

			assert_int_equal(mm_dma_map_attrs(m, buf, len, 32, DMA_TO_DEVICE,
							  (int)((rng >> 8) & 1), &a, &e), 0);
			live[nr].dma = a.dma_addr;
			live[nr].len = len;
			live[nr++].nslots = a.nslots;
			used += a.nslots;
		}
		machine_swiotlb_info(m, &si);
		assert_int_equal(si.used, used);
		assert_clean(m);
	}
	machine_destroy(m);
}

static void violations(void *ctx, const char *v)
{
	(*(unsigned long *)ctx)++;
	(void)v;
}

/* check() covers the pool: a slot count, a free run, a stolen pfn. */
static void test_swiotlb_check_and_snapshot(void **state)
{
	struct machine *m = make_rec("{\"mem_mib\":6144}", NULL), *c, *l;
	struct dma_map_info a;
	struct swiotlb_info si, sc, sl;
	struct mm_error e = { 0 };
	unsigned long bad = 0;
	void *buf;
	size_t len;

	(void)state;
	assert_int_equal(mm_dma_map_attrs(m, kmalloc_high(m, 8192), 8000, 32, DMA_TO_DEVICE, 0,
					  &a, &e), 0);
	assert_int_equal(machine_save_mem(m, &buf, &len, &e), 0);
	l = machine_load_mem(buf, len, &e);
	free(buf);
	assert_non_null(l);
	c = machine_clone(m);
	machine_swiotlb_info(m, &si);
	machine_swiotlb_info(c, &sc);
	machine_swiotlb_info(l, &sl);
	assert_memory_equal(&si, &sc, sizeof(si));
	assert_memory_equal(&si, &sl, sizeof(si));
	assert_memory_equal(m->swiotlb->slots, l->swiotlb->slots, si.nslabs * sizeof(struct io_tlb_slot));
	assert_clean(l);
	l->swiotlb->areas[0].used++;
	assert_true(machine_check(l, violations, &bad) >= 1);
	c->swiotlb->slots[100].list = 7;
	bad = 0;
	assert_true(machine_check(c, violations, &bad) >= 1);
	m->mem_map[(si.start >> 12) + 5].owner = OWNER_OTHER;
	bad = 0;
	assert_true(machine_check(m, violations, &bad) >= 1);
	machine_destroy(l);
	machine_destroy(c);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_swiotlb_pool_at_boot),
		cmocka_unit_test(test_swiotlb_slots),
		cmocka_unit_test(test_swiotlb_out_of_reach),
		cmocka_unit_test(test_swiotlb_check_and_snapshot),
		cmocka_unit_test(test_swiotlb_random),
		cmocka_unit_test(test_kmalloc_buffer),
		cmocka_unit_test(test_isa_device_needs_gfp_dma),
		cmocka_unit_test(test_vmalloc_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
