/*
 * test_mmu.c - translation on a CPU: walk references per page size and
 * level count, accessed/dirty, #GP and #PF error codes, the TLB's arrays and
 * policies (lru and fifo against a model on random traces), global entries
 * across CR3 writes, invlpg and range flushes, the scans (1 GiB of
 * the direct map, vmalloc and user pages, N + 1 pages on N entries), and the
 * short path of a miss against the general one.
 */
#include "paging_test.h"
#include "pgtable.h"		/* cpu_state.fast_misses */

#define DM(pa)	(0xffff888000000000ULL + (pa))
#define DM5(pa)	(0xff11000000000000ULL + (pa))

static struct mm_translation tr(struct machine *m, int cpu, uint64_t va, int access, int user)
{
	struct mm_translation t;
	struct mm_error e = { 0 };

	if (mm_translate(m, cpu, MM_PID_CURRENT, va, access, user, &t, &e))
		fail_msg("translate: %s", e.message);
	return t;
}

static void test_walk_refs(void **state)
{
	struct machine *m4 = make("{\"mem_mib\":2048}", NULL, NULL);
	struct machine *m5 = make("{\"mem_mib\":2048,\"paging_levels\":5}", NULL, NULL);

	(void)state;
	assert_int_equal(tr(m4, 0, DM(0x5000), MM_ACCESS_READ, 0).walk_refs, 4);
	assert_int_equal(tr(m4, 0, DM(0x400000), MM_ACCESS_READ, 0).walk_refs, 3);
	assert_int_equal(tr(m4, 0, DM(1ULL << 30), MM_ACCESS_READ, 0).walk_refs, 2);
	assert_int_equal(tr(m5, 0, DM5(0x5000), MM_ACCESS_READ, 0).walk_refs, 5);
	assert_int_equal(tr(m5, 0, DM5(0x400000), MM_ACCESS_READ, 0).walk_refs, 4);
	assert_int_equal(tr(m5, 0, DM5(1ULL << 30), MM_ACCESS_READ, 0).walk_refs, 3);
	/* the second access hits L1 and reads no table */
	assert_int_equal(tr(m4, 0, DM(0x5008), MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(tr(m4, 0, DM(0x5008), MM_ACCESS_READ, 0).walk_refs, 0);
	assert_clean(m4);
	assert_clean(m5);
	machine_destroy(m4);
	machine_destroy(m5);
}

/*
 * A walk in the 2 MiB region of the last one takes its upper levels from the
 * walk cache: the same levels, entries and references as a walk of the
 * tables; and once a table changes, what the tables now say.
 */
static void test_walk_cache(void **state)
{
	struct machine *m = make("{\"mem_mib\":512}", NULL, NULL);
	struct mm_translation a, b, w;
	uint64_t area;
	int i;

	(void)state;
	assert_int_equal(mm_vmalloc(m, 2 * 4096, 0, NULL, &area, NULL), 0);
	a = tr(m, 0, area, MM_ACCESS_READ, 0);
	b = tr(m, 0, area + 4096, MM_ACCESS_READ, 0);
	assert_int_equal(a.tlb, MM_TLB_MISS);
	assert_int_equal(b.tlb, MM_TLB_MISS);
	assert_int_equal(b.walk_refs, 4);
	assert_int_equal(b.nr_levels, 4);
	assert_int_equal(mm_pagetable_walk(m, MM_PID_KERNEL, area + 4096, &w, NULL), 0);
	for (i = 0; i < 4; i++) {
		assert_int_equal(b.levels[i].level, w.levels[i].level);
		assert_int_equal(b.levels[i].table_pfn, w.levels[i].table_pfn);
		assert_int_equal(b.levels[i].index, w.levels[i].index);
		assert_int_equal(b.levels[i].entry, w.levels[i].entry);
		if (i < 3)
			assert_int_equal(b.levels[i].entry, a.levels[i].entry);
	}
	assert_int_equal(b.paddr, w.paddr);
	/*
	 * the pages go (their PTEs with them) but vfree() is lazy: the TLB
	 * keeps serving the range until a purge flushes it (here by hand);
	 * then the next walk sees the PTE gone
	 */
	assert_int_equal(mm_vfree(m, area, 0, NULL), 0);
	b = tr(m, 0, area + 4096, MM_ACCESS_READ, 0);
	assert_false(b.fault);
	assert_int_equal(b.tlb, MM_TLB_L1_HIT);
	assert_clean(m);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_PAGE, area + 4096, 0, NULL), 0);
	b = tr(m, 0, area + 4096, MM_ACCESS_READ, 0);
	assert_true(b.fault);
	assert_false(b.levels[b.nr_levels - 1].entry & 1);
	assert_clean(m);
	machine_destroy(m);
}

/* munmap frees the region's PTE table; a new mapping there gets another one. */
static void test_walk_cache_new_table(void **state)
{
	struct machine *m = make("{\"mem_mib\":512,\"cpus\":2}", NULL, NULL);
	const uint64_t va = 0x40000000;
	struct mm_translation t, w;
	uint64_t addr, old_table;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "wc", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, va, 2 * 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(addr, va);
	assert_int_equal(mm_translate(m, 0, pid, va, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, va + 4096, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	old_table = t.levels[3].table_pfn;
	assert_int_equal(mm_munmap(m, pid, va, 2 * 4096, NULL), 0);
	/* another CPU takes a PTE table before the region is mapped again */
	assert_int_equal(mm_mmap(m, pid, va + (1ULL << 30), 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_translate(m, 1, pid, addr, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, va, 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, va, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_false(t.fault);
	assert_int_equal(mm_pagetable_walk(m, pid, va, &w, NULL), 0);
	assert_int_equal(t.levels[3].table_pfn, w.levels[3].table_pfn);
	assert_int_equal(t.levels[2].entry, w.levels[2].entry);
	assert_int_equal(t.paddr, w.paddr);
	print_message("PTE table 0x%llx, then 0x%llx\n", (unsigned long long)old_table,
		      (unsigned long long)w.levels[3].table_pfn);
	assert_clean(m);
	machine_destroy(m);
}

static void test_accessed_dirty(void **state)
{
	struct machine *m = make("{\"mem_mib\":512}", NULL, NULL);
	struct mm_translation t;
	uint64_t addr;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "ad", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 4096, "rw-", &addr, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, addr, MM_ACCESS_READ, -1, &t, NULL), 0);
	assert_true(t.demand_paged);
	assert_int_equal(mm_pagetable_walk(m, pid, addr, &t, NULL), 0);
	assert_true(t.levels[3].entry & 0x20);		/* A */
	assert_false(t.levels[3].entry & 0x40);		/* not D yet */
	assert_int_equal(mm_translate(m, 0, pid, addr, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_int_equal(t.tlb, MM_TLB_MISS);		/* a clean entry walks to set D */
	assert_int_equal(mm_pagetable_walk(m, pid, addr, &t, NULL), 0);
	assert_true(t.levels[3].entry & 0x40);
	assert_clean(m);
	machine_destroy(m);
}

static void test_fault_codes(void **state)
{
	struct machine *m = make("{\"mem_mib\":4096}", NULL, NULL);
	struct mm_translation t;
	struct mm_cpu_info ci;
	int pid;

	(void)state;
	t = tr(m, 0, 0x0000800000000000ULL, MM_ACCESS_READ, 0);
	assert_true(t.fault);
	assert_int_equal(t.vector, 13);
	t = tr(m, 0, DM(0x200000), MM_ACCESS_EXEC, 0);
	assert_int_equal(t.vector, 14);
	assert_int_equal(t.error_code, X86_PF_PROT | X86_PF_INSTR);
	t = tr(m, 0, 0xffffffff81000000ULL, MM_ACCESS_WRITE, 0);
	assert_int_equal(t.error_code, X86_PF_PROT | X86_PF_WRITE);
	t = tr(m, 0, 0xffffffff81000000ULL, MM_ACCESS_EXEC, 0);
	assert_false(t.fault);
	t = tr(m, 0, DM(0x200000), MM_ACCESS_READ, 1);
	assert_int_equal(t.error_code, X86_PF_PROT | X86_PF_USER);
	assert_string_equal(t.outcome, "segv");
	t = tr(m, 0, DM(3ULL << 30), MM_ACCESS_WRITE, 0);
	assert_int_equal(t.error_code, X86_PF_WRITE);
	assert_string_equal(t.outcome, "oops");
	/* #GP comes before the CR3 switch to the process asked for */
	assert_int_equal(mm_spawn(m, "gp", &pid, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, 0x0000800000000000ULL, MM_ACCESS_READ, -1, &t,
				      NULL), 0);
	assert_int_equal(t.vector, 13);
	assert_int_equal(mm_cpu_info(m, 0, &ci), 0);
	assert_int_equal(ci.pid, 0);
	assert_int_equal(mm_translate(m, 0, pid, 0x1000, MM_ACCESS_READ, -1, &t, NULL), 0);
	assert_int_equal(t.vector, 14);			/* no VMA there: segv */
	assert_int_equal(mm_cpu_info(m, 0, &ci), 0);
	assert_int_equal(ci.pid, pid);
	/* the fast path's miss, on the process's CPU: non-canonical is #GP too */
	t = tr(m, 0, 0xfff0800000000000ULL, MM_ACCESS_READ, 0);
	assert_int_equal(t.vector, 13);
	assert_clean(m);
	machine_destroy(m);
}

static void test_stlb_refill(void **state)
{
	struct machine *m = make("{\"mem_mib\":512}", NULL, NULL);
	struct mm_tlb_info ti;
	uint64_t p;

	(void)state;
	for (p = 0x100; p < 0x200; p++)
		assert_false(tr(m, 0, DM(p << 12), MM_ACCESS_READ, 0).fault);
	/* 256 pages over 16 sets of 4 ways: the first left L1, not the STLB */
	assert_int_equal(tr(m, 0, DM(0x100000), MM_ACCESS_READ, 0).tlb, MM_TLB_STLB_HIT);
	assert_int_equal(tr(m, 0, DM(0x100000), MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(mm_tlb_info(m, 0, &ti), 0);
	assert_int_equal(ti.arrays[0].valid, 64);
	assert_int_equal(ti.regions[0].misses, 256);
	assert_int_equal(ti.regions[0].walk_refs, 256 * 4);
	assert_int_equal(ti.regions[0].stlb_hits, 1);
	assert_clean(m);
	machine_destroy(m);
}

/* A, B, C, D fill a 4-way set; A is used again; E must evict someone. */
static int replaced_a(const char *policy)
{
	char cfg[256];
	struct machine *m;
	int r;

	snprintf(cfg, sizeof(cfg), "{\"mem_mib\":256,\"tlb\":{\"l1_4k\":{\"entries\":4,\"ways\":4},"
		 "\"stlb\":{\"entries\":0,\"ways\":1},\"policy\":\"%s\"}}", policy);
	m = make(cfg, NULL, NULL);
	for (uint64_t p = 0x101; p <= 0x104; p++)
		tr(m, 0, DM(p << 12), MM_ACCESS_READ, 0);
	assert_int_equal(tr(m, 0, DM(0x101000), MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	tr(m, 0, DM(0x105000), MM_ACCESS_READ, 0);
	r = tr(m, 0, DM(0x101000), MM_ACCESS_READ, 0).tlb == MM_TLB_MISS;
	assert_clean(m);
	machine_destroy(m);
	return r;
}

static void test_policies(void **state)
{
	(void)state;
	assert_false(replaced_a("lru"));
	assert_true(replaced_a("fifo"));
}

static void test_random_policy_is_seeded(void **state)
{
	const char *cfg = "{\"mem_mib\":256,\"seed\":7,\"tlb\":{\"l1_4k\":{\"entries\":8,\"ways\":8},"
			  "\"stlb\":{\"entries\":0,\"ways\":1},\"policy\":\"random\"}}";
	struct machine *a = make(cfg, NULL, NULL), *b = make(cfg, NULL, NULL);
	struct mm_access_summary sa, sb;

	(void)state;
	assert_int_equal(mm_access_range(a, 0, MM_PID_CURRENT, DM(0x100000), 0x40000, 4096,
					 MM_ACCESS_READ, true, 500, &sa, NULL), 0);
	assert_int_equal(mm_access_range(b, 0, MM_PID_CURRENT, DM(0x100000), 0x40000, 4096,
					 MM_ACCESS_READ, true, 500, &sb, NULL), 0);
	assert_memory_equal(&sa, &sb, sizeof(sa));
	assert_true(sa.l1_hits > 0 && sa.misses > 0);
	machine_destroy(a);
	machine_destroy(b);
}

static void test_global_survives_cr3_and_invlpg(void **state)
{
	struct machine *m = make("{\"mem_mib\":512}", NULL, NULL);
	struct mm_translation t;
	uint64_t addr;
	int pid;

	(void)state;
	assert_int_equal(mm_spawn(m, "g", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 4096, "rw-", &addr, NULL), 0);
	tr(m, 0, DM(0x300000), MM_ACCESS_READ, 0);
	assert_int_equal(mm_load_cr3(m, 0, pid, NULL), 0);
	assert_int_equal(tr(m, 0, DM(0x300000), MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(mm_translate(m, 0, pid, addr, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, addr, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_int_equal(t.tlb, MM_TLB_L1_HIT);
	assert_int_equal(mm_load_cr3(m, 0, MM_PID_KERNEL, NULL), 0);
	assert_int_equal(mm_load_cr3(m, 0, pid, NULL), 0);
	assert_int_equal(mm_translate(m, 0, pid, addr, MM_ACCESS_WRITE, -1, &t, NULL), 0);
	assert_int_equal(t.tlb, MM_TLB_MISS);		/* user entries are not global */
	assert_int_equal(tr(m, 0, DM(0x300000), MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_PAGE, DM(0x300000), 0, NULL), 0);
	assert_int_equal(tr(m, 0, DM(0x300000), MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_int_equal(mm_tlb_flush(m, -1, MM_FLUSH_ALL, 0, 0, NULL), 0);
	assert_int_equal(tr(m, 0, DM(0x300000), MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_RANGE, DM(0x300000), 4096, NULL), 0);
	assert_int_equal(tr(m, 0, DM(0x300000), MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_PAGE, 0x0000900000000000ULL, 0, NULL),
			 -EINVAL);
	assert_int_equal(mm_tlb_flush(m, 9, MM_FLUSH_ALL, 0, 0, NULL), -EINVAL);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * The last L1 hit is remembered, and must stop counting once its slot holds
 * another page or is flushed: a direct-mapped L1 (4 sets of one way, no
 * STLB) where page B evicts page A from A's slot.
 */
static void test_last_hit_slot_reused(void **state)
{
	struct machine *m = make("{\"mem_mib\":256,\"tlb\":{\"l1_4k\":{\"entries\":4,"
				 "\"ways\":1},\"stlb\":{\"entries\":0,\"ways\":1}}}", NULL, NULL);
	uint64_t area, a, b;

	(void)state;
	assert_int_equal(mm_vmalloc(m, 8 * 4096, 0, NULL, &area, NULL), 0);
	a = area;
	b = area + 4 * 4096;		/* the same set as a */
	assert_int_equal(tr(m, 0, a, MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_int_equal(tr(m, 0, a, MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(tr(m, 0, a + 8, MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(tr(m, 0, b, MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_int_equal(tr(m, 0, a, MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_int_equal(tr(m, 0, a, MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(tr(m, 0, a + 4096, MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_int_equal(tr(m, 0, a, MM_ACCESS_READ, 0).tlb, MM_TLB_L1_HIT);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_PAGE, a, 0, NULL), 0);
	assert_int_equal(tr(m, 0, a, MM_ACCESS_READ, 0).tlb, MM_TLB_MISS);
	assert_clean(m);
	machine_destroy(m);
}

/* The scans: the 1 GiB direct map, vmalloc and user 4 KiB pages, and a cyclic scan. */
static struct mm_access_summary scan(struct machine *m, int pid, uint64_t start, uint64_t length,
				     uint64_t count)
{
	struct mm_access_summary s;
	struct mm_error e = { 0 };

	if (mm_access_range(m, 0, pid, start, length, 4096, MM_ACCESS_READ, false, count, &s, &e))
		fail_msg("access_range: %s", e.message);
	return s;
}

static void test_acceptance_scans(void **state)
{
	struct machine *m = make("{}", NULL, NULL);	/* the default machine, booted */
	struct mm_access_summary s;
	uint64_t area, addr;
	int pid;

	(void)state;
	/* 1 GiB of the direct map, 4 KiB stride: one miss, then its 1 GiB page hits */
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL), 0);
	s = scan(m, MM_PID_KERNEL, DM(1ULL << 30), 1ULL << 30, (1ULL << 30) / 4096);
	assert_int_equal(s.misses, 1);
	assert_int_equal(s.l1_hits, (1ULL << 30) / 4096 - 1);
	assert_int_equal(s.faults, 0);
	/* vmalloc'd 4 KiB pages: one miss per page */
	assert_int_equal(mm_vmalloc(m, 1024 * 4096, 0, NULL, &area, NULL), 0);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL), 0);
	s = scan(m, MM_PID_KERNEL, area, 1024 * 4096, 1024);
	assert_int_equal(s.misses, 1024);
	assert_int_equal(s.l1_hits + s.stlb_hits + s.faults, 0);
	assert_int_equal(s.walk_refs, 1024 * 4);
	/* a process's 4 KiB pages, once mapped: one miss per page */
	assert_int_equal(mm_spawn(m, "scan", &pid, NULL), 0);
	assert_int_equal(mm_mmap(m, pid, 0, 1024 * 4096, "rw-", &addr, NULL), 0);
	s = scan(m, pid, addr, 1024 * 4096, 1024);	/* demand paging */
	assert_int_equal(s.accesses, 1024);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL), 0);
	s = scan(m, pid, addr, 1024 * 4096, 1024);
	assert_int_equal(s.misses, 1024);
	assert_int_equal(s.l1_hits + s.stlb_hits + s.faults, 0);
	assert_clean(m);
	machine_destroy(m);

	/* N + 1 pages in turn on an N-entry fully associative LRU TLB: every access
	 * misses; N pages: only the first round does */
	m = make("{\"mem_mib\":256,\"tlb\":{\"l1_4k\":{\"entries\":8,\"ways\":8},"
		 "\"stlb\":{\"entries\":0,\"ways\":1},\"policy\":\"lru\"}}", NULL, NULL);
	assert_int_equal(mm_vmalloc(m, 9 * 4096, 0, NULL, &area, NULL), 0);
	s = scan(m, MM_PID_KERNEL, area, 9 * 4096, 9 * 20);
	assert_int_equal(s.misses, 9 * 20);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL), 0);
	s = scan(m, MM_PID_KERNEL, area, 8 * 4096, 8 * 20);
	assert_int_equal(s.misses, 8);
	assert_int_equal(s.l1_hits, 8 * 19);
	assert_clean(m);
	machine_destroy(m);
}

/*
 * lru and fifo against a model of their own on random traces: an L1 of 4 sets
 * of 4 ways and no STLB, 4 KiB vmalloc pages, each access a hit exactly when
 * the model's set holds the page. A model set is its pages, most recent use
 * (lru) or fill (fifo) first.
 */
static void policy_model_run(const char *policy, uint64_t seed)
{
	enum { SETS = 4, WAYS = 4, PAGES = 40 };
	char cfg[256];
	struct machine *m;
	uint64_t area, rng = seed, model[SETS][WAYS];
	unsigned int fill[SETS] = { 0 }, step, hits = 0;
	bool lru = strcmp(policy, "lru") == 0;

	snprintf(cfg, sizeof(cfg), "{\"mem_mib\":256,\"tlb\":{\"l1_4k\":{\"entries\":%d,\"ways\":%d},"
		 "\"stlb\":{\"entries\":0,\"ways\":1},\"policy\":\"%s\"}}", SETS * WAYS, WAYS, policy);
	m = make(cfg, NULL, NULL);
	assert_int_equal(mm_vmalloc(m, PAGES * 4096, 0, NULL, &area, NULL), 0);
	assert_int_equal(mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL), 0);
	for (step = 0; step < 5000; step++) {
		uint64_t va, vpn, *set;
		unsigned int s, w, n;
		bool hit = false;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		va = area + ((rng >> 33) % PAGES) * 4096 + (rng >> 20) % 4096;
		vpn = va >> 12;
		s = (unsigned int)(vpn % SETS);
		set = model[s];
		n = fill[s];
		for (w = 0; w < n && set[w] != vpn; w++)
			;
		if (w < n) {
			hit = true;
			if (lru) {			/* to the front */
				memmove(&set[1], &set[0], w * sizeof(set[0]));
				set[0] = vpn;
			}
		} else {				/* the last one goes when full */
			if (n < WAYS)
				fill[s] = ++n;
			memmove(&set[1], &set[0], (n - 1) * sizeof(set[0]));
			set[0] = vpn;
		}
		hits += hit;
		if ((tr(m, 0, va, MM_ACCESS_READ, 0).tlb == MM_TLB_L1_HIT) != hit)
			fail_msg("%s, seed %llu, step %u: the model says %s", policy,
				 (unsigned long long)seed, step, hit ? "hit" : "miss");
	}
	assert_true(hits > 500 && hits < 4500);		/* a trace of both */
	assert_clean(m);
	machine_destroy(m);
}

static void test_policy_models(void **state)
{
	(void)state;
	for (uint64_t seed = 1; seed <= 3; seed++) {
		policy_model_run("lru", seed);
		policy_model_run("fifo", seed);
	}
}

/* Every valid TLB entry of a CPU, in slot order. */
struct tlb_dump {
	unsigned int nr;
	struct { int array; uint64_t vaddr, paddr, prot; unsigned int shift; } e[2048];
};

static void dump_entry(void *ctx, int array, uint64_t vaddr, uint64_t paddr, unsigned int shift,
		       uint64_t prot)
{
	struct tlb_dump *d = ctx;

	assert_true(d->nr < sizeof(d->e) / sizeof(d->e[0]));
	d->e[d->nr].array = array;
	d->e[d->nr].vaddr = vaddr;
	d->e[d->nr].paddr = paddr;
	d->e[d->nr].prot = prot;
	d->e[d->nr].shift = shift;
	d->nr++;
}

static uint64_t misses_of(const struct machine *m, int cpus)
{
	struct mm_tlb_info ti;
	uint64_t misses = 0;

	for (int cpu = 0; cpu < cpus; cpu++) {
		assert_int_equal(mm_tlb_info(m, cpu, &ti), 0);
		for (int r = 0; r < 5; r++)
			misses += ti.regions[r].misses;
	}
	return misses;
}

static void count_events(void *ctx, const struct mm_event *ev)
{
	(*(unsigned long *)ctx)++;
	(void)ev;
}

static void assert_same_translation(const struct mm_translation *a,
				    const struct mm_translation *b, unsigned int step)
{
	int i;

	if (a->paging != b->paging || a->fault != b->fault || a->vector != b->vector ||
	    a->error_code != b->error_code || a->demand_paged != b->demand_paged ||
	    a->paddr != b->paddr || a->page_shift != b->page_shift || a->tlb != b->tlb ||
	    a->walk_refs != b->walk_refs || a->nr_levels != b->nr_levels ||
	    (a->outcome != b->outcome &&
	     (!a->outcome || !b->outcome || strcmp(a->outcome, b->outcome))))
		fail_msg("step %u: the translations differ (tlb %d/%d, paddr 0x%llx/0x%llx)", step,
			 a->tlb, b->tlb, (unsigned long long)a->paddr,
			 (unsigned long long)b->paddr);
	for (i = 0; i < a->nr_levels; i++)
		if (a->levels[i].level != b->levels[i].level ||
		    a->levels[i].table_pfn != b->levels[i].table_pfn ||
		    a->levels[i].index != b->levels[i].index ||
		    a->levels[i].entry != b->levels[i].entry)
			fail_msg("step %u: walk level %d differs", step, i);
}

static void assert_same_tlbs(struct machine *a, struct machine *b, int cpus, unsigned int step)
{
	static struct tlb_dump da, db;
	struct mm_tlb_info ia, ib;

	for (int cpu = 0; cpu < cpus; cpu++) {
		da.nr = db.nr = 0;
		assert_int_equal(mm_tlb_entries(a, cpu, dump_entry, &da), 0);
		assert_int_equal(mm_tlb_entries(b, cpu, dump_entry, &db), 0);
		if (da.nr != db.nr || memcmp(da.e, db.e, da.nr * sizeof(da.e[0])))
			fail_msg("step %u: cpu %d TLBs differ (%u and %u entries)", step, cpu,
				 da.nr, db.nr);
		assert_int_equal(mm_tlb_info(a, cpu, &ia), 0);
		assert_int_equal(mm_tlb_info(b, cpu, &ib), 0);
		for (int r = 0; r < 5; r++)
			if (ia.regions[r].l1_hits != ib.regions[r].l1_hits ||
			    ia.regions[r].stlb_hits != ib.regions[r].stlb_hits ||
			    ia.regions[r].misses != ib.regions[r].misses ||
			    ia.regions[r].walk_refs != ib.regions[r].walk_refs ||
			    ia.regions[r].faults != ib.regions[r].faults)
				fail_msg("step %u: cpu %d counters of %s differ", step, cpu,
					 ia.regions[r].name);
	}
}

/*
 * The short path of a miss (miss_fast(), taken only with no one recording)
 * against the general one (a machine that records): a seeded random mix of
 * accesses (user, vmalloc, direct map, kernel image; read, write, exec) on
 * two CPUs, with flushes, CR3 loads, munmap, mmap, vmalloc and vfree, for
 * each policy and two TLB geometries, and with 5 levels. After every step
 * the results, the TLB contents slot by slot and the counters are the same,
 * and the check holds.
 */
static void fast_miss_run(const char *cfg, uint64_t seed)
{
	unsigned long events = 0;
	struct machine *a = make(cfg, NULL, NULL), *b = make(cfg, count_events, &events);
	struct machine *ms[2] = { a, b };
	uint64_t rng = seed, area[2] = { 0, 0 }, user[2][2], fast = 0;
	struct mm_translation ta, tb;
	int pid[2][2];
	unsigned int step;

	for (int k = 0; k < 2; k++) {
		assert_int_equal(mm_vmalloc(ms[k], 512 * 4096, 0, NULL, &area[k], NULL), 0);
		for (int p = 0; p < 2; p++) {
			assert_int_equal(mm_spawn(ms[k], "f", &pid[k][p], NULL), 0);
			assert_int_equal(mm_mmap(ms[k], pid[k][p], 0, 1024 * 4096, "rw-",
						 &user[k][p], NULL), 0);
			for (uint64_t i = 0; i < 1024; i += 2)	/* half of them mapped */
				assert_int_equal(mm_translate(ms[k], 0, pid[k][p],
							      user[k][p] + i * 4096,
							      MM_ACCESS_WRITE, -1, &ta, NULL), 0);
		}
	}
	assert_int_equal(area[0], area[1]);
	for (step = 0; step < 2000; step++) {
		uint64_t r, va;
		int op, cpu, p, ra, rb;

		rng = rng * 6364136223846793005ULL + 1442695040888963407ULL;
		r = rng >> 24;
		op = (int)(r % 100);
		cpu = (int)((r >> 7) & 1);
		p = (int)((r >> 8) & 1);
		if (op < 3) {
			ra = mm_tlb_flush(a, cpu, (int)((r >> 9) % 4), area[0] + ((r >> 12) % 512) *
					  4096, ((r >> 21) % 64 + 1) * 4096, NULL);
			rb = mm_tlb_flush(b, cpu, (int)((r >> 9) % 4), area[1] + ((r >> 12) % 512) *
					  4096, ((r >> 21) % 64 + 1) * 4096, NULL);
			assert_int_equal(ra, rb);
		} else if (op < 6) {
			ra = mm_load_cr3(a, cpu, (r >> 9) & 1 ? pid[0][p] : MM_PID_KERNEL, NULL);
			rb = mm_load_cr3(b, cpu, (r >> 9) & 1 ? pid[1][p] : MM_PID_KERNEL, NULL);
			assert_int_equal(ra, rb);
		} else if (op < 8) {		/* a hole, then the range again */
			va = ((r >> 9) % 1000) * 4096;
			ra = mm_munmap(a, pid[0][p], user[0][p] + va, 16 * 4096, NULL);
			rb = mm_munmap(b, pid[1][p], user[1][p] + va, 16 * 4096, NULL);
			assert_int_equal(ra, rb);
			ra = mm_mmap(a, pid[0][p], user[0][p] + va, 16 * 4096,
				     (r >> 20) & 1 ? "r--" : "rw-", &va, NULL);
			rb = mm_mmap(b, pid[1][p], user[1][p] + ((r >> 9) % 1000) * 4096,
				     16 * 4096, (r >> 20) & 1 ? "r--" : "rw-", &va, NULL);
			assert_int_equal(ra, rb);
		} else if (op < 9) {
			assert_int_equal(mm_vfree(a, area[0], 0, NULL), 0);
			assert_int_equal(mm_vfree(b, area[1], 0, NULL), 0);
			assert_int_equal(mm_vmalloc(a, ((r >> 9) % 512 + 1) * 4096, 0, NULL,
						    &area[0], NULL), 0);
			assert_int_equal(mm_vmalloc(b, ((r >> 9) % 512 + 1) * 4096, 0, NULL,
						    &area[1], NULL), 0);
			assert_int_equal(area[0], area[1]);
		} else {
			static const int accesses[8] = { MM_ACCESS_READ, MM_ACCESS_READ,
							 MM_ACCESS_READ, MM_ACCESS_READ,
							 MM_ACCESS_WRITE, MM_ACCESS_WRITE,
							 MM_ACCESS_WRITE, MM_ACCESS_EXEC };
			int access = accesses[(r >> 9) % 8], which = (int)((r >> 12) % 8);
			int tp = MM_PID_CURRENT;
			uint64_t off = ((r >> 15) % 1024) * 4096 + (r >> 40) % 4096;

			if (which < 3) {			/* a process's pages */
				va = user[0][p] + off;
				tp = pid[0][p];
			} else if (which < 6) {			/* vmalloc, and past its end */
				va = area[0] + off / 2;
			} else if (which < 7) {			/* the direct map */
				va = 0xffff888000000000ULL + off * 37;
			} else {				/* the kernel image */
				va = 0xffffffff81000000ULL + off;
			}
			ra = mm_translate(a, cpu, tp, va, access, -1, &ta, NULL);
			if (tp != MM_PID_CURRENT)
				tp = pid[1][p];
			rb = mm_translate(b, cpu, tp, va, access, -1, &tb, NULL);
			assert_int_equal(ra, rb);
			assert_same_translation(&ta, &tb, step);
		}
		assert_same_tlbs(a, b, 2, step);
		if (machine_check(a, NULL, NULL)) {
			print_error("seed %llu, step %u\n", (unsigned long long)seed, step);
			assert_clean(a);
		}
	}
	assert_clean(b);
	for (int cpu = 0; cpu < 2; cpu++) {
		fast += a->x86->cpus[cpu].fast_misses;
		assert_int_equal(b->x86->cpus[cpu].fast_misses, 0);
	}
	print_message("%s: %llu of %llu misses took the short path\n", cfg,
		      (unsigned long long)fast, (unsigned long long)misses_of(a, 2));
	assert_true(fast > 300);	/* the short path was taken, and often */
	assert_true(events > 0);
	machine_destroy(a);
	machine_destroy(b);
}

static void test_fast_miss_equals_general(void **state)
{
	static const char *const policies[] = { "lru", "fifo", "random" };
	char cfg[256];

	(void)state;
	for (int i = 0; i < 3; i++) {
		snprintf(cfg, sizeof(cfg), "{\"mem_mib\":128,\"cpus\":2,\"seed\":%d,"
			 "\"tlb\":{\"policy\":\"%s\"}}", i + 1, policies[i]);
		fast_miss_run(cfg, 20261126 + 2 * (uint64_t)i);
		snprintf(cfg, sizeof(cfg), "{\"mem_mib\":128,\"cpus\":2,\"seed\":%d,"
			 "\"tlb\":{\"l1_4k\":{\"entries\":8,\"ways\":2},\"stlb\":{\"entries\":32,"
			 "\"ways\":4},\"policy\":\"%s\"}}", i + 1, policies[i]);
		fast_miss_run(cfg, 20261127 + 2 * (uint64_t)i);
	}
	fast_miss_run("{\"mem_mib\":128,\"cpus\":2,\"paging_levels\":5}", 20261132);
}

/*
 * The page-table view's look without touching: before each access of a
 * trace (4 KiB, 2 MiB and 1 GiB pages, vmalloc, kernel text, writes to
 * read-only text, a hole and a non-canonical address), mm_tlb_probe()
 * predicts the TLB result mm_translate() then gets, and
 * mm_pagetable_walk_access() its fault, error code, frame and references
 * on a miss. Neither changes the machine: probing twice gives one answer.
 */
static void test_probe_predicts_translate(void **state)
{
	struct machine *m = make("{\"mem_mib\":2048}", NULL, NULL);
	static const int acc[] = { MM_ACCESS_READ, MM_ACCESS_WRITE, MM_ACCESS_EXEC };
	uint64_t area, va[9];
	int i, k;

	(void)state;
	assert_int_equal(mm_vmalloc(m, 3 * 4096, 0, NULL, &area, NULL), 0);
	va[0] = DM(0x5000); va[1] = DM(0x400000); va[2] = DM(1ULL << 30); va[3] = area;
	va[4] = area + 8192; va[5] = 0xffffffff81000000ULL; va[6] = 0xffffc8f000000000ULL;
	va[7] = 0x0000800000000000ULL; va[8] = DM(0x5abc);
	for (k = 0; k < 60; k++) {
		uint64_t v = va[(k * 7) % 9];
		int a = acc[(k / 9) % 3];
		struct mm_tlb_probe p, q;
		struct mm_translation w, t;

		assert_int_equal(mm_tlb_probe(m, 0, MM_PID_KERNEL, v, a, &p), 0);
		assert_int_equal(mm_tlb_probe(m, 0, MM_PID_KERNEL, v, a, &q), 0);
		assert_memory_equal(&p, &q, sizeof(p));
		assert_int_equal(mm_pagetable_walk_access(m, MM_PID_KERNEL, v, a, &w, NULL), 0);
		t = tr(m, 0, v, a, 0);
		assert_int_equal(w.fault, t.fault);
		assert_int_equal(w.vector, t.vector);
		assert_int_equal(w.error_code, t.error_code);
		if (t.vector == 13)
			continue;
		assert_int_equal(p.result, t.tlb);
		assert_true(p.same_mm);
		if (t.tlb != MM_TLB_MISS)
			continue;
		assert_int_equal(w.walk_refs, t.walk_refs);
		for (i = 0; i < w.nr_levels; i++)
			assert_int_equal(w.levels[i].index, t.levels[i].index);
		if (!t.fault) {
			assert_int_equal(w.paddr, t.paddr);
			assert_int_equal(w.page_shift, t.page_shift);
		}
	}
	assert_clean(m);
	machine_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_walk_refs),
		cmocka_unit_test(test_walk_cache),
		cmocka_unit_test(test_walk_cache_new_table),
		cmocka_unit_test(test_accessed_dirty),
		cmocka_unit_test(test_fault_codes),
		cmocka_unit_test(test_stlb_refill),
		cmocka_unit_test(test_policies),
		cmocka_unit_test(test_random_policy_is_seeded),
		cmocka_unit_test(test_global_survives_cr3_and_invlpg),
		cmocka_unit_test(test_last_hit_slot_reused),
		cmocka_unit_test(test_fast_miss_equals_general),
		cmocka_unit_test(test_acceptance_scans),
		cmocka_unit_test(test_policy_models),
		cmocka_unit_test(test_probe_predicts_translate),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
