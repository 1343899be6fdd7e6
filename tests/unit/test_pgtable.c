/*
 * test_pgtable.c - the kernel's page tables: the direct map's page sizes and
 * holes (gbpages on and off, 4 and 5 levels), the kernel image mapping,
 * table pages as page-table owned frames, __pa/__va, clone equivalence.
 */
#include "paging_test.h"

/* The page shift that maps @vaddr in the kernel tables, 0 when unmapped. */
static unsigned int kshift(const struct machine *m, uint64_t vaddr)
{
	struct mm_translation t;

	assert_int_equal(mm_pagetable_walk(m, MM_PID_KERNEL, vaddr, &t, NULL), 0);
	return t.fault ? 0 : t.page_shift;
}

#define DM(pa)	(0xffff888000000000ULL + (pa))

static void test_direct_map_gbpages(void **state)
{
	struct machine *m = make("{\"mem_mib\":6144}", NULL, NULL);
	char *mi = proc_meminfo(m);

	(void)state;
	/*
	 * init_mem_mapping() (arch/x86/mm/init.c) maps the whole ISA range
	 * [0, 1 MiB) first, pfn 0 and the legacy hole included, though they
	 * are not RAM.
	 */
	assert_int_equal(kshift(m, DM(0)), 12);
	assert_int_equal(kshift(m, DM(0x1000)), 12);
	assert_int_equal(kshift(m, DM(0x9e000)), 12);
	assert_int_equal(kshift(m, DM(0xa0000)), 12);
	assert_int_equal(kshift(m, DM(0xff000)), 12);
	assert_int_equal(kshift(m, DM(0x100000)), 12);		/* the partial first 2 MiB */
	assert_int_equal(kshift(m, DM(0x200000)), 21);
	assert_int_equal(kshift(m, DM(0x3fe00000)), 21);
	assert_int_equal(kshift(m, DM(1ULL << 30)), 30);
	assert_int_equal(kshift(m, DM(2ULL << 30)), 30);
	assert_int_equal(kshift(m, DM(3ULL << 30)), 0);		/* the MMIO hole */
	assert_int_equal(kshift(m, DM(4ULL << 30)), 30);
	assert_int_equal(kshift(m, DM(6ULL << 30)), 30);
	assert_int_equal(kshift(m, DM(7ULL << 30)), 0);		/* beyond RAM */
	assert_non_null(strstr(mi, "DirectMap1G:     5242880 kB"));
	assert_non_null(strstr(mi, "DirectMap2M:     1046528 kB"));
	assert_non_null(strstr(mi, "DirectMap4k:        2048 kB"));	/* the first 2 MiB */
	free(mi);
	assert_clean(m);
	machine_destroy(m);
}

static void test_direct_map_no_gbpages(void **state)
{
	struct machine *m = make("{\"mem_mib\":2048,\"gbpages\":false}", NULL, NULL);
	char *mi = proc_meminfo(m);

	(void)state;
	assert_int_equal(kshift(m, DM(1ULL << 30)), 21);
	assert_int_equal(kshift(m, DM(0x200000)), 21);
	assert_int_equal(kshift(m, DM(0x5000)), 12);
	assert_int_equal(kshift(m, DM(2ULL << 30)), 0);
	assert_non_null(strstr(mi, "DirectMap1G:           0 kB"));
	free(mi);
	assert_clean(m);
	machine_destroy(m);
}

static void test_kernel_image_and_tables(void **state)
{
	struct machine *m = make("{\"mem_mib\":1024}", NULL, NULL);
	struct mm_translation t;
	struct page_info pi;
	int i;

	(void)state;
	assert_int_equal(kshift(m, 0xffffffff81000000ULL), 21);
	assert_int_equal(kshift(m, 0xffffffff80000000ULL), 0);
	assert_int_equal(kshift(m, 0xffffffff83000000ULL), 0);
	assert_int_equal(mm_pagetable_walk(m, MM_PID_KERNEL, DM(0x3000), &t, NULL), 0);
	assert_int_equal(t.nr_levels, 4);
	assert_int_equal(t.paddr, 0x3000);
	/* the PGD is init_top_pgt in the image; the rest came from memblock's buffer */
	assert_int_equal(machine_page_info(m, t.levels[0].table_pfn, &pi), 0);
	assert_int_equal(pi.owner, OWNER_KERNEL);
	for (i = 1; i < t.nr_levels; i++) {
		assert_int_equal(machine_page_info(m, t.levels[i].table_pfn, &pi), 0);
		assert_int_equal(pi.owner, OWNER_PAGETABLE);
	}
	machine_destroy(m);
}

static void test_five_levels(void **state)
{
	struct machine *m = make("{\"mem_mib\":2048,\"paging_levels\":5}", NULL, NULL);
	struct mm_translation t;

	(void)state;
	assert_int_equal(mm_pagetable_walk(m, MM_PID_KERNEL, 0xff11000040000000ULL, &t, NULL), 0);
	assert_int_equal(t.page_shift, 30);
	assert_int_equal(t.nr_levels, 3);
	assert_int_equal(t.levels[0].level, 5);
	assert_int_equal(kshift(m, 0xffffffff81000000ULL), 21);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * __pa() on x86-64 is arithmetic (__phys_addr_nodebug(), arch/x86/include/
 * asm/page_64.h): without CONFIG_DEBUG_VIRTUAL a non-linear address gives a
 * wrong number, silently. With it, __phys_addr() (arch/x86/mm/physaddr.c)
 * BUG()s on what its VIRTUAL_BUG_ON()s catch, and lets a direct-map hole
 * through.
 */
static void test_pa_va(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make("{\"mem_mib\":1024}", NULL, NULL);
	struct virt_to_phys_info vi;
	struct mm_error e = { 0 };
	uint64_t pa, va, vm;

	(void)state;
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_virt_to_phys(m, DM(0x123456), &pa, &e), 0);
	assert_int_equal(pa, 0x123456);
	assert_int_equal(mm_virt_to_phys_info(m, 0xffffffff81234567ULL, &vi, &e), 0);
	assert_true(vi.paddr == 0x1234567 && vi.right);
	/* A vmalloc address: x - PAGE_OFFSET, not the frame behind it. */
	assert_int_equal(mm_vmalloc(m, 4096, 0, NULL, &vm, NULL), 0);
	assert_int_equal(mm_virt_to_phys_info(m, vm, &vi, &e), 0);
	assert_false(vi.right);
	assert_int_equal(vi.paddr, vm - 0xffff888000000000ULL);
	assert_non_null(strstr(vi.why, "vmalloc address"));
	assert_non_null(strstr(vi.why, "x - PAGE_OFFSET"));
	assert_non_null(strstr(vi.why, "the page tables map it to physical 0x"));
	/* A user address wraps round. */
	assert_int_equal(mm_virt_to_phys_info(m, 0x400000, &vi, &e), 0);
	assert_int_equal(vi.paddr, 0x400000 - 0xffff888000000000ULL);
	assert_false(vi.right);
	/* A hole in the direct map, and past the end of RAM. */
	assert_int_equal(mm_virt_to_phys_info(m, DM(0xa0000), &vi, &e), 0);
	assert_true(vi.paddr == 0xa0000 && !vi.right && strstr(vi.why, "no RAM"));
	assert_int_equal(mm_virt_to_phys_info(m, DM(2ULL << 30), &vi, &e), 0);
	assert_false(vi.right);
	/* A module address is taken for the kernel image. */
	assert_int_equal(mm_virt_to_phys_info(m, 0xffffffffc0001000ULL, &vi, &e), 0);
	assert_false(vi.right);
	assert_non_null(strstr(vi.why, "__START_KERNEL_map"));
	assert_int_equal(r.count[MM_EV_virt_to_phys], 7);
	assert_int_equal(r.count[MM_EV_oops], 0);
	assert_int_equal(mm_phys_to_virt(m, 0x5000, &va, &e), 0);
	assert_int_equal(va, DM(0x5000));
	assert_int_equal(mm_phys_to_virt(m, 1ULL << 40, &va, &e), -ERANGE);
	machine_destroy(m);

	memset(&r, 0, sizeof(r));
	m = make("{\"mem_mib\":1024,\"debug_virtual\":true}", NULL, NULL);
	machine_set_event_fn(m, record, &r);
	assert_int_equal(mm_virt_to_phys(m, DM(0x123456), &pa, &e), 0);
	assert_int_equal(mm_vmalloc(m, 4096, 0, NULL, &vm, NULL), 0);
	assert_int_equal(mm_virt_to_phys(m, vm, &pa, &e), -EFAULT);
	assert_non_null(strstr(e.message, "kernel BUG at arch/x86/mm/physaddr.c:28!"));
	assert_int_equal(r.count[MM_EV_oops], 1);
	assert_int_equal(strncmp(r.last_detail[MM_EV_oops], e.message, 40), 0);
	assert_int_equal(mm_virt_to_phys(m, 0x400000, &pa, &e), -EFAULT);
	assert_non_null(strstr(e.message, "physaddr.c:28!"));
	assert_int_equal(mm_virt_to_phys(m, 0xffffffffc0001000ULL, &pa, &e), -EFAULT);
	assert_non_null(strstr(e.message, "physaddr.c:23!"));
	assert_int_equal(r.count[MM_EV_oops], 3);
	/* The checks are arithmetic: a hole in the direct map passes. */
	assert_int_equal(mm_virt_to_phys_info(m, DM(0xa0000), &vi, &e), 0);
	assert_false(vi.right);
	assert_clean(m);
	machine_destroy(m);
}

static void test_clone_equivalence(void **state)
{
	struct machine *m = make("{\"mem_mib\":512}", NULL, NULL);
	struct machine *c;
	struct mm_translation a, b;
	uint64_t addr, addr2;
	int pid, pid2;
	char *ma, *mb;

	(void)state;
	assert_int_equal(mm_spawn(m, "x", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 1 << 20, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, addr, MM_ACCESS_WRITE, -1, &a, NULL), 0);
	c = machine_clone(m);
	assert_non_null(c);
	assert_clean(c);
	for (uint64_t off = 0; off < (1 << 20); off += 4096 * 7) {
		assert_int_equal(mm_translate(m, 1, pid, addr + off, MM_ACCESS_WRITE, -1, &a, NULL), 0);
		assert_int_equal(mm_translate(c, 1, pid, addr + off, MM_ACCESS_WRITE, -1, &b, NULL), 0);
		assert_int_equal(a.paddr, b.paddr);
		assert_int_equal(a.tlb, b.tlb);
		assert_int_equal(a.walk_refs, b.walk_refs);
	}
	assert_int_equal(mm_spawn(m, "y", &pid, NULL), 0);
	assert_int_equal(mm_spawn(c, "y", &pid2, NULL), 0);
	assert_int_equal(pid, pid2);
	assert_int_equal(mm_mmap(m, pid, 0, 8192, "r--", &addr, NULL), 0);
	assert_int_equal(mm_mmap(c, pid, 0, 8192, "r--", &addr2, NULL), 0);
	assert_int_equal(addr, addr2);
	ma = proc_meminfo(m);
	mb = proc_meminfo(c);
	assert_string_equal(ma, mb);
	free(ma);
	free(mb);
	ma = ptdump_kernel(m);
	mb = ptdump_kernel(c);
	assert_string_equal(ma, mb);
	free(ma);
	free(mb);
	assert_clean(m);
	assert_clean(c);
	machine_destroy(c);
	machine_destroy(m);
}

/* The markers of arch/x86/mm/dump_pagetables.c, in address order, each
 * starting a range at its address. */
static void check_markers(const char *json, const char *const expect[][2], size_t n)
{
	struct machine *m = make(json, NULL, NULL);
	char *dump = ptdump_kernel(m), *at = dump;

	for (size_t i = 0; i < n; i++) {
		char header[64], *line;

		snprintf(header, sizeof(header), "---[ %s ]---\n", expect[i][0]);
		line = strstr(at, header);
		if (!line)
			fail_msg("marker \"%s\" missing or out of order in:\n%s", expect[i][0], dump);
		line += strlen(header);
		if (strncmp(line, expect[i][1], strlen(expect[i][1])))
			fail_msg("after \"%s\": %.60s", expect[i][0], line);
		at = line;
	}
	free(dump);
	machine_destroy(m);
}

static void test_ptdump_markers(void **state)
{
	static const char *const l4[][2] = {
		{ "User Space", "0x0000000000000000-" },
		{ "Kernel Space", "0xffff800000000000-" },
		{ "LDT remap", "0xffff880000000000-" },
		{ "Low Kernel Mapping", "0xffff888000000000-" },
		{ "vmalloc() Area", "0xffffc90000000000-" },
		{ "Vmemmap", "0xffffea0000000000-" },
		{ "CPU entry Area", "0xfffffe0000000000-" },
		{ "ESPfix Area", "0xffffff0000000000-" },
		{ "EFI Runtime Services", "0xffffffef00000000-" },
		{ "High Kernel Mapping", "0xffffffff80000000-" },
		{ "Modules", "0xffffffffc0000000-" },
	};	/* "End Modules" shows only when something past it is mapped (the fixmap) */
	static const char *const l5[][2] = {
		{ "LDT remap", "0xff10000000000000-" },
		{ "Low Kernel Mapping", "0xff11000000000000-" },
		{ "vmalloc() Area", "0xffa0000000000000-" },
		{ "Vmemmap", "0xffd4000000000000-" },
		{ "CPU entry Area", "0xfffffe0000000000-" },
	};

	(void)state;
	check_markers("{\"mem_mib\": 128}", l4, sizeof(l4) / sizeof(l4[0]));
	check_markers("{\"mem_mib\": 128, \"paging_levels\": 5}", l5, sizeof(l5) / sizeof(l5[0]));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_direct_map_gbpages),
		cmocka_unit_test(test_direct_map_no_gbpages),
		cmocka_unit_test(test_kernel_image_and_tables),
		cmocka_unit_test(test_five_levels),
		cmocka_unit_test(test_pa_va),
		cmocka_unit_test(test_clone_equivalence),
		cmocka_unit_test(test_ptdump_markers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
