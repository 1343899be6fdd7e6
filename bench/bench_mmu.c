/*
 * bench_mmu.c - what one memory access costs in the simulated MMU, recording
 * off: a TLB hit (on the page of the last hit, and on another page in L1), a
 * miss with a 4-level page walk and a TLB fill (into a free way after a
 * flush, and with an LRU eviction from a full set), and a scan of 1 GiB of
 * the direct map (4 KiB stride) with access_range; in ns per access and in
 * translations per second. A walk in the 2 MiB region of the walk before
 * reads its upper levels from the walk cache; one row makes every walk miss
 * that cache. Each figure is the median of ROUNDS
 * interleaved rounds (the best one in brackets), and the median of each
 * round's ratio to a baseline measured in that round (a host malloc/free
 * pair), which shows how fast the host was then; never passes or fails on
 * time.
 */
#include <stdio.h>
#include <stdlib.h>

#include "mmlab.h"
#include "bench/bench.h"

#define DIRECT_MAP	0xffff888000000000ULL
#define HITS		10000000UL
#define MISSES		1000000UL
#define ROUNDS		7
#define BASE_PAIRS	2000000UL
#define AREA_PAGES	4096		/* more 4 KiB pages than the STLB holds */

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

static void expect(const struct mm_translation *t, int tlb, const char *what)
{
	if (t->tlb != tlb) {
		fprintf(stderr, "bench_mmu: %s: the last access was not a %s\n", what,
			tlb == MM_TLB_MISS ? "miss" : "L1 hit");
		exit(1);
	}
}

/* One round of each kind of access, in ns per access. */
enum kind { HIT_SAME_PAGE, HIT_OTHER_PAGE, MISS_FREE_WAY, MISS_LRU, MISS_NO_WALK_CACHE, NR_KINDS };

static double round_of(struct machine *m, enum kind k, uint64_t area)
{
	struct mm_translation t;
	unsigned long i;
	double t0 = mono_seconds();

	switch (k) {
	case HIT_SAME_PAGE:	/* the direct map's 1 GiB page, again and again */
		for (i = 0; i < HITS; i++)
			translate(m, DIRECT_MAP + 0x100000 + (i & 0xfff), &t);
		expect(&t, MM_TLB_L1_HIT, "hit");
		return (mono_seconds() - t0) * 1e9 / HITS;
	case HIT_OTHER_PAGE:	/* 32 vmalloc pages in turn: all in the 64-entry L1 */
		for (i = 0; i < HITS; i++)
			translate(m, area + (i % 32) * 4096, &t);
		expect(&t, MM_TLB_L1_HIT, "hit on another page");
		return (mono_seconds() - t0) * 1e9 / HITS;
	case MISS_FREE_WAY:	/* 1024 new pages after each full flush (counted in) */
		for (i = 0; i < MISSES; i++) {
			if (i % 1024 == 0)
				mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL);
			translate(m, area + (i % 1024) * 4096, &t);
		}
		expect(&t, MM_TLB_MISS, "miss");
		return (mono_seconds() - t0) * 1e9 / MISSES;
	case MISS_LRU:		/* a cyclic scan bigger than the STLB: LRU evicts each page */
		for (i = 0; i < MISSES; i++)
			translate(m, area + (i % AREA_PAGES) * 4096, &t);
		expect(&t, MM_TLB_MISS, "miss");
		return (mono_seconds() - t0) * 1e9 / MISSES;
	case MISS_NO_WALK_CACHE: /* the same pages, each 2 MiB + 4 KiB after the last */
		for (i = 0; i < MISSES; i++)
			translate(m, area + (i * 513 % AREA_PAGES) * 4096, &t);
		expect(&t, MM_TLB_MISS, "miss");
		return (mono_seconds() - t0) * 1e9 / MISSES;
	default:
		return 0;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(void)
{
	static const char *const names[NR_KINDS] = {
		"TLB hit, the page of the last hit (1 GiB)",
		"TLB hit, another 4 KiB page in L1",
		"TLB miss + 4-level walk + fill of a free way",
		"the same, evicting the LRU way of a full set",
		"the same, no walk cache (another 2 MiB region)",
	};
	static const double targets[NR_KINDS] = { 15, 15, 80, 80, 80 };
	struct machine *m = make();
	double base[ROUNDS], r[NR_KINDS][ROUNDS], ratio[NR_KINDS][ROUNDS], scan[ROUNDS], t0;
	struct mm_access_summary s;
	struct mm_translation t;
	uint64_t area;
	int k, i;

	if (mm_vmalloc(m, AREA_PAGES * 4096, 0, NULL, &area, NULL)) {
		fprintf(stderr, "bench_mmu: vmalloc failed\n");
		return 1;
	}
	for (uint64_t p = 0; p < AREA_PAGES; p++)
		translate(m, area + p * 4096, &t);
	for (i = 0; i < ROUNDS; i++) {		/* rounds interleaved: noise hits all kinds */
		base[i] = baseline_ns(BASE_PAIRS);
		for (k = 0; k < NR_KINDS; k++) {
			r[k][i] = round_of(m, (enum kind)k, area);
			ratio[k][i] = r[k][i] / base[i];
		}
		/* 1 GiB of the direct map, 4 KiB stride: one miss, then hits on
		 * the 1 GiB page */
		mm_tlb_flush(m, 0, MM_FLUSH_ALL, 0, 0, NULL);
		t0 = mono_seconds();
		if (mm_access_range(m, 0, MM_PID_KERNEL, DIRECT_MAP + (1ULL << 30), 1ULL << 30,
				    4096, MM_ACCESS_READ, false, (1ULL << 30) / 4096, &s, NULL)) {
			fprintf(stderr, "bench_mmu: access_range failed\n");
			return 1;
		}
		scan[i] = mono_seconds() - t0;
	}

	qsort(base, ROUNDS, sizeof(double), cmp_double);
	printf("baseline: host malloc(64)+free: %.1f ns/pair (rounds: %.1f .. %.1f)\n",
	       base[ROUNDS / 2], base[0], base[ROUNDS - 1]);
	printf("median of %d rounds [best]:\n", ROUNDS);
	for (k = 0; k < NR_KINDS; k++) {
		qsort(r[k], ROUNDS, sizeof(double), cmp_double);
		qsort(ratio[k], ROUNDS, sizeof(double), cmp_double);
		printf("  %-47s %6.1f ns/access [%5.1f] %5.1f M/s  %5.2fx baseline  "
		       "(target <= %.0f ns)\n", names[k], r[k][ROUNDS / 2], r[k][0],
		       1e3 / r[k][ROUNDS / 2], ratio[k][ROUNDS / 2], targets[k]);
	}
	qsort(scan, ROUNDS, sizeof(double), cmp_double);
	printf("access_range, 1 GiB direct map, 4 KiB stride: %.2f ms [%.2f] for %llu accesses "
	       "(%.1f ns each): %llu misses, %llu walk references\n", scan[ROUNDS / 2] * 1e3,
	       scan[0] * 1e3, (unsigned long long)s.accesses,
	       scan[ROUNDS / 2] * 1e9 / (double)s.accesses, (unsigned long long)s.misses,
	       (unsigned long long)s.walk_refs);
	machine_destroy(m);
	return 0;
}
