/*
 * bench_mmu.c - what one memory access costs in the simulated MMU, recording
 * off: a TLB hit, a miss with a 4-level page walk and a TLB fill (into a free
 * way after a flush, and with an LRU eviction from a full set), and a scan
 * of 1 GiB of the direct map (4 KiB stride) with access_range. Prints figures
 * and ratios against a baseline measured in the same run (a host
 * malloc/free pair); never passes or fails on time.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mmlab.h"
#include "bench/bench.h"

#define DIRECT_MAP	0xffff888000000000ULL
#define HITS		20000000UL
#define MISSES		2000000UL

static struct machine *make(void)
{
	struct machine_config cfg;

	machine_config_defaults(&cfg);
	return bench_machine(&cfg, NULL, NULL);
}

static void translate(struct machine *m, uint64_t vaddr, struct mm_translation *t)
{
	if (mm_translate(m, 0, MM_PID_KERNEL, vaddr, MM_ACCESS_READ, 0, t, NULL) || t->fault) {
		fprintf(stderr, "bench_mmu: cannot translate 0x%llx\n", (unsigned long long)vaddr);
		exit(1);
	}
}

int main(void)
{
	struct machine *m = make();
	double base = baseline_ns(20000000UL), t0, hit, miss, cold, scan;
	struct mm_translation t;
	struct mm_access_summary s;
	uint64_t area, pages, misses = 0, cold_misses = 0, refs = 0;

	/* A TLB hit: the same direct-map address again and again (1 GiB page). */
	translate(m, DIRECT_MAP + 0x100000, &t);
	t0 = now();
	for (unsigned long i = 0; i < HITS; i++)
		translate(m, DIRECT_MAP + 0x100000 + (i & 0xfff), &t);
	hit = (now() - t0) * 1e9 / HITS;
	if (t.tlb != MM_TLB_L1_HIT)
		fprintf(stderr, "bench_mmu: expected L1 hits\n");

	/*
	 * A miss with a full walk: a cyclic scan of a vmalloc area (4 KiB pages)
	 * bigger than the STLB, so that LRU evicts each page before it returns.
	 */
	pages = 4096;
	if (mm_vmalloc(m, pages * 4096, 0, NULL, &area, NULL)) {
		fprintf(stderr, "bench_mmu: vmalloc failed\n");
		return 1;
	}
	for (uint64_t p = 0; p < pages; p++)
		translate(m, area + p * 4096, &t);
	t0 = now();
	for (unsigned long i = 0; i < MISSES; i++) {
		translate(m, area + (i % pages) * 4096, &t);
		misses += t.tlb == MM_TLB_MISS;
		refs += t.walk_refs;
	}
	miss = (now() - t0) * 1e9 / MISSES;

	/*
	 * A miss that fills a free way: 1024 new pages after each full flush
	 * (the flush, one scan of every entry, is counted in).
	 */
	t0 = now();
	for (unsigned long i = 0; i < MISSES; i++) {
		if (i % 1024 == 0)
			mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL);
		translate(m, area + (i % 1024) * 4096, &t);
		cold_misses += t.tlb == MM_TLB_MISS;
	}
	cold = (now() - t0) * 1e9 / MISSES;

	/* 1 GiB of the direct map, 4 KiB stride: one miss, then hits on the 1 GiB page. */
	t0 = now();
	if (mm_access_range(m, 0, MM_PID_KERNEL, DIRECT_MAP + (1ULL << 30), 1ULL << 30, 4096,
			    MM_ACCESS_READ, false, (1ULL << 30) / 4096, &s, NULL)) {
		fprintf(stderr, "bench_mmu: access_range failed\n");
		return 1;
	}
	scan = now() - t0;

	printf("baseline: host malloc(64)+free: %.1f ns/pair\n", base);
	printf("TLB hit (L1, 1 GiB page):          %6.1f ns/access  %5.1fx baseline (target <= 15 ns)\n",
	       hit, hit / base);
	printf("TLB miss + 4-level walk + fill of a free way: %6.1f ns/access  %5.1fx baseline "
	       "(target <= 80 ns); %.0f%% missed\n", cold, cold / base,
	       100.0 * (double)cold_misses / MISSES);
	printf("the same, evicting the LRU way of a full set: %6.1f ns/access  %5.1fx baseline; "
	       "%.0f%% missed, %.1f references per access\n", miss, miss / base,
	       100.0 * (double)misses / MISSES, (double)refs / MISSES);
	printf("access_range, 1 GiB direct map, 4 KiB stride: %.2f ms for %llu accesses "
	       "(%.1f ns each): %llu misses, %llu walk references\n", scan * 1e3,
	       (unsigned long long)s.accesses, scan * 1e9 / (double)s.accesses,
	       (unsigned long long)s.misses, (unsigned long long)s.walk_refs);
	machine_destroy(m);
	return 0;
}
