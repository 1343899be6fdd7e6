/*
 * test_dma.c - dma_map without an IOMMU: kmalloc buffers map to their
 * physical address, vmalloc buffers only when their frames are neighbours,
 * and a device reaches only what lies below its DMA mask.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "mmlab.h"

#define GFP_KERNEL	0xcc0u
#define GFP_DMA		0x1u

struct recorder {
	unsigned long maps;
	char detail[64];
	int64_t value;
};

static void record(void *ctx, const struct mm_event *ev)
{
	struct recorder *r = ctx;

	if (ev->type != MM_EV_dma_map)
		return;
	r->maps++;
	r->value = ev->value;
	strncpy(r->detail, ev->detail ? ev->detail : "", sizeof(r->detail) - 1);
}

static struct machine *make(const char *json, struct recorder *r)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct machine *m;

	if (machine_config_parse(&cfg, json, 0, &e))
		fail_msg("config: %s", e.message);
	m = machine_create(&cfg, record, r, &e);
	machine_config_release(&cfg);
	if (!m)
		fail_msg("create: %s", e.message);
	return m;
}

static void test_kmalloc_buffer(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make("{\"mem_mib\":8192}", &r);
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
	/* An 8 GiB machine serves GFP_KERNEL from above 4 GiB: a 32-bit device cannot reach it. */
	assert_true(k.paddr >= (4ULL << 30));
	assert_int_equal(mm_dma_map(m, k.addr, 4000, 32, &dma, &e), -EIO);
	assert_non_null(strstr(e.message, "overflow"));
	assert_string_equal(r.detail, "above the DMA mask");
	assert_int_equal(r.maps, 2);
	machine_destroy(m);
}

static void test_isa_device_needs_gfp_dma(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make("{\"mem_mib\":256}", &r);
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
	struct machine *m = make("{\"mem_mib\":256}", &r);
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
	assert_int_equal(mm_dma_map(m, v, 4 * 4096, 64, &dma, &e), -EINVAL);
	assert_non_null(strstr(e.message, "not physically contiguous"));
	assert_string_equal(r.detail, "not physically contiguous");
	assert_int_equal(r.value, -EINVAL);
	/* One page of it is contiguous with itself: that much a device can take. */
	assert_int_equal(mm_dma_map(m, v + 4096 + 16, 100, 64, &dma, &e), 0);
	assert_true(dma == (ai.pfns[1] << 12) + 16);
	/* The guard page maps nothing. */
	assert_int_equal(mm_dma_map(m, v + 4 * 4096, 16, 64, &dma, &e), -EFAULT);
	assert_int_equal(mm_dma_map(m, 0x1000, 16, 64, &dma, &e), -EFAULT);
	assert_int_equal(mm_dma_map(m, v, 0, 64, &dma, &e), -EINVAL);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kmalloc_buffer),
		cmocka_unit_test(test_isa_device_needs_gfp_dma),
		cmocka_unit_test(test_vmalloc_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
