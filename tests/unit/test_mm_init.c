/*
 * test_mm_init.c - layout, memblock, struct page, zoneinfo import, clone.
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

#ifndef MMLAB_TEST_DATA
#define MMLAB_TEST_DATA "tests/data"
#endif

struct recorder {
	unsigned long count[MM_EV_NR_TYPES];
};

static void record(void *ctx, const struct mm_event *ev)
{
	struct recorder *r = ctx;

	r->count[ev->type]++;
}

static void test_struct_page_is_64_bytes(void **state)
{
	(void)state;
	assert_int_equal(machine_struct_page_size(), 64);
}

static void test_pc_layout_4g(void **state)
{
	struct zone_info zi;
	struct machine *m = make("{\"mem_mib\":4096}", NULL, NULL);

	(void)state;
	assert_int_equal(machine_nr_nodes(m), 1);
	assert_int_equal(machine_max_pfn(m), 0x140000);	/* 5 GiB: 1 GiB hole */
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA, &zi), 0);
	assert_int_equal(zi.start_pfn, 1);
	assert_int_equal(zi.spanned, 4095);
	assert_int_equal(zi.present, 3998);	/* pfn 0 and 0x9f-0xff are not RAM */
	assert_int_equal(zi.managed, 3840);	/* the first MiB is reserved */
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &zi), 0);
	assert_int_equal(zi.start_pfn, 4096);
	assert_int_equal(zi.spanned, 0x100000 - 4096);
	assert_int_equal(zi.present, 0xc0000 - 4096);	/* MMIO hole 3-4 GiB */
	assert_int_equal(machine_zone_info(m, 0, ZONE_NORMAL, &zi), 0);
	assert_int_equal(zi.start_pfn, 0x100000);
	assert_int_equal(zi.spanned, 0x40000);
	assert_int_equal(machine_zone_info(m, 0, ZONE_MOVABLE, &zi), 0);
	assert_false(zi.populated);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DEVICE, &zi), 0);
	assert_false(zi.populated);
	assert_int_equal(machine_zone_info(m, 1, ZONE_DMA, &zi), -ENOENT);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static void test_spanned_present_managed(void **state)
{
	static const char *const configs[] = {
		"{\"mem_mib\":64}", "{\"mem_mib\":3072}", "{\"mem_mib\":6144,\"nodes\":2}",
		"{\"mem_mib\":512,\"nodes\":4,\"cpus\":8}",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(configs) / sizeof(configs[0]); i++) {
		struct machine *m = make(configs[i], NULL, NULL);
		uint64_t present = 0;
		unsigned int n;
		int z;

		for (n = 0; n < machine_nr_nodes(m); n++)
			for (z = 0; z < MAX_NR_ZONES; z++) {
				struct zone_info zi;

				assert_int_equal(machine_zone_info(m, (int)n, z, &zi), 0);
				assert_true(zi.spanned >= zi.present);
				assert_true(zi.present >= zi.managed);
				assert_int_equal(zi.free + zi.pcp, zi.managed);
				present += zi.present;
			}
		assert_int_equal(present, machine_present_pages(m));
		assert_int_equal(machine_mem_map_bytes(m), present * 64);
		assert_int_equal(machine_check(m, fail_violation, NULL), 0);
		machine_destroy(m);
	}
}

static void test_memblock_reservations(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":4}", record, &r);
	struct page_info pi;

	(void)state;
	/*
	 * first MiB, kernel image, mem_map, page tables, 4 per-CPU areas, and
	 * the preallocated vmalloc page tables (pgtable.c)
	 */
	assert_int_equal(r.count[MM_EV_memblock_reserve], 3 + 1 + 4 + 1);
	assert_int_equal(r.count[MM_EV_memblock_alloc], 1 + 1 + 4 + 1);
	assert_true(r.count[MM_EV_memblock_free_all] >= 2);
	assert_int_equal(r.count[MM_EV_zone_online], 2);
	assert_int_equal(machine_page_info(m, 16 * 256, &pi), 0);	/* 16 MiB */
	assert_int_equal(pi.owner, OWNER_KERNEL);
	assert_int_equal(machine_page_info(m, 48 * 256 - 1, &pi), 0);
	assert_int_equal(pi.owner, OWNER_KERNEL);
	assert_int_equal(machine_page_info(m, 48 * 256, &pi), 0);
	assert_int_not_equal(pi.owner, OWNER_KERNEL);
	assert_int_equal(machine_page_info(m, 0, &pi), 0);
	assert_int_equal(pi.owner, OWNER_RESERVED);
	assert_non_null(strstr(pi.flags_text, "reserved"));
	assert_int_equal(machine_page_info(m, 0xa0, &pi), 0);	/* legacy hole */
	assert_int_equal(pi.owner, OWNER_RESERVED);
	machine_destroy(m);
}

static void test_physmap_owners(void **state)
{
	struct machine *m = make("{\"mem_mib\":4096}", NULL, NULL);
	uint8_t map[4];
	uint64_t counts[NR_PAGE_OWNERS] = { 0 };
	uint8_t *all;
	uint64_t pfn;

	(void)state;
	machine_physmap(m, 0xc0000 - 2, 4, map);	/* around 3 GiB */
	assert_int_not_equal(map[1], OWNER_HOLE);
	assert_int_equal(map[2], OWNER_HOLE);
	all = malloc(machine_max_pfn(m));
	assert_non_null(all);
	machine_physmap(m, 0, machine_max_pfn(m), all);
	for (pfn = 0; pfn < machine_max_pfn(m); pfn++)
		counts[all[pfn]]++;
	free(all);
	assert_int_equal(counts[OWNER_MEM_MAP], (machine_mem_map_bytes(m) + 4095) / 4096);
	assert_int_equal(counts[OWNER_KERNEL], 8192);
	assert_int_equal(counts[OWNER_PERCPU], 2 * 122);
	assert_true(counts[OWNER_PAGETABLE] > 0);
	machine_destroy(m);
}

static void test_nodes_split_evenly(void **state)
{
	struct machine *m = make("{\"mem_mib\":8192,\"nodes\":2,\"cpus\":4}", NULL, NULL);
	struct zone_info a, b;

	(void)state;
	assert_int_equal(machine_nr_nodes(m), 2);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA, &a), 0);
	assert_true(a.populated);
	assert_int_equal(machine_zone_info(m, 1, ZONE_DMA, &b), 0);
	assert_false(b.populated);
	assert_int_equal(machine_zone_info(m, 1, ZONE_DMA32, &b), 0);
	assert_false(b.populated);
	assert_int_equal(machine_zone_info(m, 0, ZONE_NORMAL, &a), 0);
	assert_int_equal(machine_zone_info(m, 1, ZONE_NORMAL, &b), 0);
	assert_int_equal(a.present, 0x40000);	/* 4 GiB of node 0: 3 GiB low, 1 GiB high */
	assert_int_equal(b.present, 0x100000);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
}

static char *read_text(const char *name)
{
	char path[512];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/proc-linux-6.18/%s", MMLAB_TEST_DATA, name);
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	if (buf)
		buf[n] = '\0';
	fclose(f);
	return buf;
}

static void test_zoneinfo_import(void **state)
{
	struct machine_config cfg;
	struct zone_info zi;
	struct mm_error e = { 0 };
	struct machine *m;
	char *text = read_text("zoneinfo");

	(void)state;
	assert_non_null(text);
	machine_config_defaults(&cfg);
	cfg.layout_zoneinfo = text;
	m = machine_create(&cfg, NULL, NULL, &e);
	if (!m)
		fail_msg("import: %s", e.message);
	assert_int_equal(machine_nr_nodes(m), 1);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA, &zi), 0);
	assert_int_equal(zi.start_pfn, 1);
	assert_int_equal(zi.spanned, 4095);
	assert_int_equal(zi.present, 3998);
	assert_int_equal(zi.managed, 3840);	/* as the real machine */
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &zi), 0);
	assert_int_equal(zi.start_pfn, 4096);
	assert_int_equal(zi.spanned, 1044480);
	assert_int_equal(zi.present, 782336);
	assert_int_equal(machine_zone_info(m, 0, ZONE_NORMAL, &zi), 0);
	assert_int_equal(zi.start_pfn, 1048576);
	assert_int_equal(zi.spanned, 5505024);
	assert_int_equal(zi.present, 5505024);
	assert_int_equal(machine_zone_info(m, 0, ZONE_MOVABLE, &zi), 0);
	assert_false(zi.populated);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	machine_destroy(m);
	machine_config_release(&cfg);
}

static void test_zoneinfo_import_rejects_garbage(void **state)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };

	(void)state;
	machine_config_defaults(&cfg);
	cfg.layout_zoneinfo = strdup("Node 0, zone Bogus\n  pages free 1\n");
	assert_null(machine_create(&cfg, NULL, NULL, &e));
	assert_int_equal(e.err, -EINVAL);
	machine_config_release(&cfg);
}

static void test_watermark_formulas(void **state)
{
	struct machine_config cfg;
	struct zone_info zi;
	struct mm_error e = { 0 };
	struct machine *m;
	(void)state;
	machine_config_defaults(&cfg);
	m = machine_create(&cfg, NULL, NULL, &e);
	assert_non_null(m);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA32, &zi), 0);
	assert_true(zi.wmark_min < zi.wmark_low && zi.wmark_low < zi.wmark_high &&
		    zi.wmark_high < zi.wmark_promo);
	assert_int_equal(zi.wmark_low - zi.wmark_min, zi.wmark_high - zi.wmark_low);
	assert_int_equal(machine_zone_info(m, 0, ZONE_DMA, &zi), 0);
	/* lowmem_reserve: managed pages above, divided by 256 */
	{
		struct zone_info d32, nrm;

		machine_zone_info(m, 0, ZONE_DMA32, &d32);
		machine_zone_info(m, 0, ZONE_NORMAL, &nrm);
		assert_int_equal(zi.lowmem_reserve[ZONE_DMA32], d32.managed / 256);
		assert_int_equal(zi.lowmem_reserve[ZONE_NORMAL], (d32.managed + nrm.managed) / 256);
		assert_int_equal(d32.lowmem_reserve[ZONE_NORMAL], nrm.managed / 256);
		assert_int_equal(nrm.lowmem_reserve[ZONE_MOVABLE], 0);
	}
	machine_destroy(m);
}

static void test_clone_is_deep(void **state)
{
	struct machine *m = make("{\"mem_mib\":128}", NULL, NULL);
	struct alloc_pages_result r;
	struct machine *c;
	char *a, *b;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, 0xcc0, 2, -1, 0, &r, NULL), 0);
	c = machine_clone(m);
	assert_non_null(c);
	a = proc_zoneinfo(m);
	b = proc_zoneinfo(c);
	assert_string_equal(a, b);
	free(a);
	free(b);
	assert_int_equal(mm_free_pages(c, r.pfn, 2, 0, NULL), 0);
	assert_int_equal(machine_check(c, fail_violation, NULL), 0);
	assert_int_equal(machine_check(m, fail_violation, NULL), 0);
	/* the original still holds the block */
	assert_int_equal(mm_free_pages(m, r.pfn, 2, 0, NULL), 0);
	assert_int_equal(mm_free_pages(c, r.pfn, 2, 0, NULL), -EINVAL);
	machine_destroy(c);
	machine_destroy(m);
}

static void test_poweron_has_no_buddy_yet(void **state)
{
	struct machine *m = make("{\"mem_mib\":64,\"start\":\"poweron\"}", NULL, NULL);
	struct mm_error e = { 0 };
	struct alloc_pages_result r;

	(void)state;
	assert_int_equal(mm_alloc_pages(m, 0xcc0, 0, -1, 0, &r, &e), -EPERM);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_struct_page_is_64_bytes),
		cmocka_unit_test(test_pc_layout_4g),
		cmocka_unit_test(test_spanned_present_managed),
		cmocka_unit_test(test_memblock_reservations),
		cmocka_unit_test(test_physmap_owners),
		cmocka_unit_test(test_nodes_split_evenly),
		cmocka_unit_test(test_zoneinfo_import),
		cmocka_unit_test(test_zoneinfo_import_rejects_garbage),
		cmocka_unit_test(test_watermark_formulas),
		cmocka_unit_test(test_clone_is_deep),
		cmocka_unit_test(test_poweron_has_no_buddy_yet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
