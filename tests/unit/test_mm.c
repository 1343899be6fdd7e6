/*
 * test_mm.c - processes: demand paging of zeroed movable pages, SIGSEGV with
 * its error code, mmap/munmap/brk and /proc/PID/maps, exit giving back every
 * page and table, and a randomised workload checked after every step.
 */
#include "paging_test.h"

/* Pages owned by @owner over every zone. */
static uint64_t owned(const struct machine *m, int owner)
{
	struct zone_info zi;
	uint64_t n = 0;

	for (unsigned int node = 0; node < machine_nr_nodes(m); node++)
		for (int z = 0; z < MAX_NR_ZONES; z++)
			if (machine_zone_info(m, (int)node, z, &zi) == 0)
				n += zi.owner_pages[owner];
	return n;
}

static struct mm_translation touch(struct machine *m, int pid, uint64_t va, int access)
{
	struct mm_translation t;
	struct mm_error e = { 0 };

	if (mm_translate(m, 0, pid, va, access, -1, &t, &e))
		fail_msg("translate: %s", e.message);
	return t;
}

static void test_demand_paging_and_segv(void **state)
{
	struct machine *m = make("{\"mem_mib\":512}", NULL, NULL);
	uint64_t base_pt = owned(m, OWNER_PAGETABLE), addr, ro;
	struct mm_process_info pi;
	struct mm_translation t;
	struct page_info pg;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "demo", &pid, NULL), 0);
	assert_int_equal(owned(m, OWNER_PAGETABLE), base_pt + 1);	/* the PGD */
	assert_int_equal(mm_mmap(m, pid, 0, 3 * 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(owned(m, OWNER_USER), 0);			/* nothing mapped yet */
	t = touch(m, pid, addr + 5, MM_ACCESS_WRITE);
	assert_true(t.demand_paged);
	assert_false(t.fault);
	assert_int_equal(owned(m, OWNER_USER), 1);
	assert_int_equal(owned(m, OWNER_PAGETABLE), base_pt + 4);	/* pgd, pud, pmd, pte */
	assert_int_equal(machine_page_info(m, t.paddr >> 12, &pg), 0);
	assert_int_equal(pg.owner, OWNER_USER);
	assert_int_equal(pg.migratetype, MIGRATE_MOVABLE);
	t = touch(m, pid, addr + 4096, MM_ACCESS_READ);
	assert_true(t.demand_paged);
	t = touch(m, pid, addr + 4100, MM_ACCESS_READ);
	assert_false(t.demand_paged);
	assert_int_equal(t.tlb, MM_TLB_L1_HIT);
	/* outside any VMA */
	t = touch(m, pid, 0x10000, MM_ACCESS_READ);
	assert_true(t.fault);
	assert_string_equal(t.outcome, "segv");
	assert_int_equal(t.error_code, X86_PF_USER);
	/* against the VMA's protection: write to r--, exec of rw- */
	assert_int_equal(mm_mmap(m, pid, 0, 4096, "r--", &ro, NULL), 0);
	t = touch(m, pid, ro, MM_ACCESS_WRITE);
	assert_string_equal(t.outcome, "segv");
	assert_int_equal(t.error_code, X86_PF_USER | X86_PF_WRITE);
	touch(m, pid, ro, MM_ACCESS_READ);
	t = touch(m, pid, ro, MM_ACCESS_WRITE);
	assert_int_equal(t.error_code, X86_PF_PROT | X86_PF_USER | X86_PF_WRITE);
	t = touch(m, pid, addr, MM_ACCESS_EXEC);
	assert_int_equal(t.error_code, X86_PF_PROT | X86_PF_USER | X86_PF_INSTR);
	assert_string_equal(t.outcome, "segv");
	assert_int_equal(mm_process_info(m, 0, &pi), 0);
	/* one page written; the two pages only read map the zero page */
	assert_int_equal(pi.rss, 1);
	assert_int_equal(pi.rss_anon, 1);
	assert_int_equal(pi.zero_ptes, 2);
	assert_clean(m);
	assert_int_equal(mm_exit(m, pid, NULL), 0);
	assert_int_equal(owned(m, OWNER_USER), 0);
	assert_int_equal(owned(m, OWNER_PAGETABLE), base_pt);
	assert_int_equal(mm_process_info(m, 0, &pi), -ENOENT);
	assert_int_equal(mm_exit(m, pid, NULL), -ESRCH);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * Kernel: mm/memory.c, do_anonymous_page() (a read maps my_zero_pfn() with
 * pte_mkspecial(), allocates nothing, counts nothing) and do_wp_page() ->
 * wp_page_copy() (the write that follows gets a zeroed page of its own,
 * MM_ANONPAGES + 1, the old PTE flushed); _mapcount 0 while mapped once.
 */
static void test_zero_page_then_cow(void **state)
{
	struct recorder r = { 0 };
	struct machine *m = make("{\"mem_mib\":512}", record, &r);
	uint64_t addr, user0, zpfn;
	struct mm_process_info pi;
	struct mm_translation t;
	struct page_info pg;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "cow", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 2 * 4096, "rw-", &addr, NULL), 0);
	user0 = owned(m, OWNER_USER);
	t = touch(m, pid, addr + 8, MM_ACCESS_READ);
	assert_true(t.demand_paged);
	zpfn = t.paddr >> 12;
	assert_int_equal(owned(m, OWNER_USER), user0);		/* nothing allocated */
	assert_int_equal(machine_page_info(m, zpfn, &pg), 0);
	assert_true(pg.zero_page);
	assert_int_equal(pg.owner, OWNER_KERNEL);		/* empty_zero_page, in the image */
	assert_non_null(strstr(pg.flags_text, "reserved"));
	assert_int_equal(pg.raw_mapcount, -1);			/* the zero page is not counted */
	assert_non_null(strstr(pg.kpageflags_text, "zero_page"));
	assert_int_equal(mm_process_info(m, 0, &pi), 0);
	assert_int_equal(pi.rss_anon, 0);
	assert_int_equal(pi.zero_ptes, 1);
	assert_clean(m);
	/* a second read of the same page: the TLB, still the zero page */
	t = touch(m, pid, addr + 16, MM_ACCESS_READ);
	assert_false(t.demand_paged);
	assert_int_equal(t.paddr >> 12, zpfn);
	/* the write: #PF with P set (a read-only PTE), copy-on-write */
	t = touch(m, pid, addr + 24, MM_ACCESS_WRITE);
	assert_true(t.demand_paged);
	assert_int_equal(t.error_code, X86_PF_PROT | X86_PF_USER | X86_PF_WRITE);
	assert_string_equal(r.last_detail[MM_EV_page_fault], "cow");
	assert_true(t.paddr >> 12 != zpfn);
	assert_int_equal(owned(m, OWNER_USER), user0 + 1);
	assert_int_equal(machine_page_info(m, t.paddr >> 12, &pg), 0);
	assert_int_equal(pg.raw_mapcount, 0);			/* mapped once */
	assert_int_equal(pg.mapcount, 1);
	assert_non_null(strstr(pg.kpageflags_text, "mmap|anonymous"));
	assert_int_equal(mm_process_info(m, 0, &pi), 0);
	assert_int_equal(pi.rss_anon, 1);
	assert_int_equal(pi.rss_file, 0);
	assert_int_equal(pi.rss, 1);
	assert_int_equal(pi.zero_ptes, 0);
	/* the read-only translation was flushed: a read now sees the new page */
	assert_int_equal(touch(m, pid, addr, MM_ACCESS_READ).paddr >> 12, pg.pfn);
	/* a write to a page never touched allocates at once, no zero page */
	t = touch(m, pid, addr + 4096, MM_ACCESS_WRITE);
	assert_int_equal(t.error_code, X86_PF_USER | X86_PF_WRITE);
	assert_int_equal(mm_process_info(m, 0, &pi), 0);
	assert_int_equal(pi.rss_anon, 2);
	assert_clean(m);
	assert_int_equal(mm_munmap(m, pid, addr, 2 * 4096, NULL), 0);
	assert_int_equal(machine_page_info(m, pg.pfn, &pg), 0);
	assert_int_equal(pg.raw_mapcount, -1);
	assert_int_equal(owned(m, OWNER_USER), user0);
	assert_clean(m);
	machine_destroy(m);
}

static void test_maps_brk_munmap(void **state)
{
	struct machine *m = make("{\"mem_mib\":512}", NULL, NULL);
	struct mm_error e = { 0 };
	uint64_t addr, brk, fixed;
	char *maps;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "m", &pid, NULL), 0);
	assert_int_equal(mm_brk(m, pid, 0, &brk, NULL), 0);
	assert_int_equal(brk, 0x555555559000ULL);
	assert_int_equal(mm_brk(m, pid, 0x555555560123ULL, &brk, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 8 * 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0x10000000, 4096, "r-x", &fixed, NULL), 0);
	assert_int_equal(fixed, 0x10000000);	/* a free hint is taken */
	/*
	 * do_mmap() / arch_get_unmapped_area_topdown(): a hint that collides is
	 * ignored for another address; MAP_FIXED_NOREPLACE is EEXIST there, and
	 * MAP_FIXED replaces the old mapping.
	 */
	assert_int_equal(mm_mmap(m, pid, 0x10000000, 4096, "r-x", &fixed, &e), 0);
	assert_true(fixed != 0x10000000);
	assert_int_equal(mm_mmap_flags(m, pid, 0x10000000, 4096, "r--", MM_MAP_FIXED_NOREPLACE,
				       &fixed, &e), -EEXIST);
	assert_false(touch(m, pid, 0x10000000, MM_ACCESS_READ).fault);
	assert_int_equal(mm_mmap_flags(m, pid, 0x10000000, 8192, "rw-", MM_MAP_FIXED,
				       &fixed, &e), 0);
	assert_int_equal(fixed, 0x10000000);
	assert_int_equal(mm_mmap_flags(m, pid, 0x10000800, 4096, "rw-", MM_MAP_FIXED,
				       &fixed, &e), -EINVAL);
	assert_int_equal(mm_mmap_flags(m, pid, 0x1000, 4096, "rw-", MM_MAP_FIXED, &fixed, &e),
			 -EPERM);
	assert_int_equal(mm_mmap(m, pid, 0x1000, 4096, "rw-", &fixed, &e), 0);
	assert_true(fixed >= 0x10000);	/* round_hint_to_min() */
	assert_clean(m);
	assert_int_equal(mm_mmap(m, pid, 0, 4096, "rwz", &fixed, &e), -EINVAL);
	maps = proc_pid_maps(m, pid);
	assert_non_null(maps);
	assert_non_null(strstr(maps, "10000000-10002000 rw-p 00000000 00:00 0 \n"));
	assert_non_null(strstr(maps, "555555559000-555555561000 rw-p 00000000 00:00 0"
			       "                          [heap]\n"));
	assert_non_null(strstr(maps, "7ffffffde000-7ffffffff000 rw-p 00000000 00:00 0"
			       "                          [stack]\n"));
	free(maps);
	for (uint64_t a = addr; a < addr + 8 * 4096; a += 4096)
		touch(m, pid, a, MM_ACCESS_WRITE);
	touch(m, pid, 0x555555560000ULL, MM_ACCESS_WRITE);
	/* punch a hole in the middle: the VMA splits, two pages go back */
	assert_int_equal(mm_munmap(m, pid, addr + 2 * 4096, 2 * 4096, NULL), 0);
	assert_int_equal(owned(m, OWNER_USER), 7);
	assert_true(touch(m, pid, addr + 2 * 4096, MM_ACCESS_READ).fault);
	assert_false(touch(m, pid, addr + 4 * 4096, MM_ACCESS_READ).fault);
	/* shrink the heap below the touched page */
	assert_int_equal(mm_brk(m, pid, 0x55555555a000ULL, &brk, NULL), 0);
	assert_int_equal(owned(m, OWNER_USER), 6);
	assert_true(touch(m, pid, 0x555555560000ULL, MM_ACCESS_READ).fault);
	assert_int_equal(mm_brk(m, pid, 0x1000, &brk, &e), -ENOMEM);
	assert_null(proc_pid_maps(m, 999));
	assert_clean(m);
	machine_destroy(m);
}

/* A seeded random workload; the check after every step; the seed on failure. */
static void test_random_workload(void **state)
{
	const uint64_t seed = 20251125;
	struct machine *m = make("{\"mem_mib\":256,\"cpus\":3}", NULL, NULL);
	uint64_t rng = seed, base_pt = owned(m, OWNER_PAGETABLE);
	int pids[8], nr = 0;
	unsigned int step;

	(void)state;
	for (step = 0; step < 1500; step++) {
		uint64_t r, addr;
		struct mm_translation t;
		int op, pid;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		r = rng >> 33;
		op = (int)(r % 10);
		pid = nr ? pids[(r >> 8) % (unsigned int)nr] : 0;
		if (op == 0 && nr < 8) {
			assert_int_equal(mm_spawn(m, "r", &pids[nr], NULL), 0);
			nr++;
		} else if (op == 1 && nr) {
			assert_int_equal(mm_mmap(m, pid, 0, ((r >> 12) % 64 + 1) * 4096,
						 (r >> 20) & 1 ? "rw-" : "r--", &addr, NULL), 0);
		} else if (op == 2 && nr) {
			mm_munmap(m, pid, 0x7ffff0000000ULL + ((r >> 12) % 0x7000) * 4096,
				  ((r >> 24) % 32 + 1) * 4096, NULL);
		} else if (op == 3 && nr) {
			mm_brk(m, pid, 0x555555559000ULL + ((r >> 12) % 256) * 4096, &addr, NULL);
		} else if (op == 4 && nr > 1 && (r >> 12) % 4 == 0) {
			unsigned int k = (unsigned int)((r >> 8) % (unsigned int)nr);

			assert_int_equal(mm_exit(m, pids[k], NULL), 0);
			pids[k] = pids[--nr];
		} else if (op == 5) {
			mm_load_cr3(m, (int)(r % 3), nr ? pid : MM_PID_KERNEL, NULL);
		} else if (op == 6) {
			mm_tlb_flush(m, (int)(r % 4) - 1, (int)((r >> 4) % 4),
				     0xffff888000000000ULL + ((r >> 8) % 0x4000) * 4096, 8192, NULL);
		} else if (nr) {
			addr = (r & 1) ? 0x7ffff7000000ULL + ((r >> 12) % 0x1000) * 4096 :
					 0x555555559000ULL + ((r >> 12) % 256) * 4096;
			assert_int_equal(mm_translate(m, (int)(r % 3), pid, addr,
						      (int)((r >> 30) % 2), -1, &t, NULL), 0);
		}
		if (machine_check(m, NULL, NULL)) {
			print_error("seed %llu, step %u\n", (unsigned long long)seed, step);
			assert_clean(m);
		}
	}
	while (nr)
		assert_int_equal(mm_exit(m, pids[--nr], NULL), 0);
	assert_int_equal(owned(m, OWNER_USER), 0);
	assert_int_equal(owned(m, OWNER_PAGETABLE), base_pt);
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_demand_paging_and_segv),
		cmocka_unit_test(test_zero_page_then_cow),
		cmocka_unit_test(test_maps_brk_munmap),
		cmocka_unit_test(test_random_workload),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
