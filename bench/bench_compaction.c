/*
 * bench_compaction.c - what compaction costs (engine/compaction.c and
 * migrate.c, after mm/compaction.c and mm/migrate.c): a 4 GiB machine whose
 * free memory is scattered one page in two among movable pages, compacted
 * whole as a write to /proc/sys/vm/compact_memory does (mm_compact_memory():
 * every zone, MIGRATE_SYNC, order -1).
 *
 * The scattering: two processes write their anonymous mappings a page each
 * in turn, so that the buddy allocator hands their frames out alternately,
 * then the second one exits: half of the frames it had come free, each
 * between two movable pages of the first. Proactive compaction is off
 * (vm.compaction_proactiveness 0) so that nothing compacts before the run.
 *
 * Figures: the run's seconds, the pages migrated (pgmigrate_success) and
 * pages migrated per second, the order-10 blocks before and after; against
 * the baseline measured in the same run on the same machine: as many
 * order-0 GFP_KERNEL alloc+free pairs as pages were migrated (the cost of
 * the allocator alone per page). Every event is emitted to a consumer that
 * does nearly nothing, as the daemon's recorder would receive them. Each
 * figure is the median of ROUNDS rounds; never passes or fails on time.
 *
 * A second layout makes the holes with munmap(2) instead: one process maps
 * and writes HOLES_MIB of a HOLES_MACHINE_MIB machine and unmaps every other
 * page, which splits its mapping into one VMA per page left (as many VMAs
 * as the kernel's maple tree would hold). Every page compaction moves is
 * found through the reverse map, among those VMAs; the figures are the
 * munmaps per second and the compaction's pages migrated per second.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mmlab.h"
#include "bench/bench.h"

#define ROUNDS		3
#define MEM_MIB		4096
#define PAGE		4096ULL

static void must(int err, const char *what, const struct mm_error *e)
{
	if (err) {
		fprintf(stderr, "bench_compaction: %s: %s\n", what, e->message);
		exit(1);
	}
}

/* Free pages, every zone. */
static uint64_t free_pages(struct machine *m)
{
	struct zone_info zi;
	uint64_t n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (!machine_zone_info(m, 0, z, &zi) && zi.present)
			n += zi.free;
	return n;
}

/* Free blocks of @order and above, every zone. */
static uint64_t blocks_at_least(struct machine *m, unsigned int order)
{
	struct zone_info zi;
	uint64_t n = 0;

	for (int z = 0; z < MAX_NR_ZONES; z++)
		if (!machine_zone_info(m, 0, z, &zi) && zi.present)
			for (unsigned int o = order; o < MAX_NR_ORDERS; o++)
				n += zi.nr_free[o];
	return n;
}

struct round {
	double run_s, pair_ns;
	uint64_t migrated, blocks_before, blocks_after, scattered;
};

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void one_round(struct round *r)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct mm_translation t;
	struct alloc_pages_result a;
	unsigned long sink = 0;
	uint64_t va[2], pages, before;
	int pid[2];
	struct machine *m;
	double t0;

	machine_config_defaults(&cfg);
	cfg.mem_mib = MEM_MIB;
	cfg.pcp = false;	/* frees straight to the buddy lists: the scatter is exact */
	m = bench_machine(&cfg, noop_consumer, &sink);
	must(mm_sysctl_vm_set(m, "compaction_proactiveness", 0, &e), "sysctl", &e);
	/* 85 % of what is free, half each */
	pages = free_pages(m) * 85 / 100 / 2;
	for (int i = 0; i < 2; i++) {
		must(mm_spawn(m, i ? "scatter" : "keeper", &pid[i], &e), "spawn", &e);
		must(mm_mmap(m, pid[i], 0, pages * PAGE, "rw-", &va[i], &e), "mmap", &e);
	}
	for (uint64_t p = 0; p < pages; p++)
		for (int i = 0; i < 2; i++) {
			must(mm_translate(m, 0, pid[i], va[i] + p * PAGE, MM_ACCESS_WRITE, 1, &t, &e),
			     "write", &e);
			if (t.fault) {
				fprintf(stderr, "bench_compaction: the write at page %llu faulted (%s)\n",
					(unsigned long long)p, t.outcome ? t.outcome : "?");
				exit(1);
			}
		}
	must(mm_exit(m, pid[1], &e), "exit", &e);
	r->scattered = pages;
	r->blocks_before = blocks_at_least(m, 10);
	before = bench_vmstat(m, "pgmigrate_success");
	t0 = mono_seconds();
	must(mm_compact_memory(m, -1, 0, &e), "compact_memory", &e);
	r->run_s = mono_seconds() - t0;
	r->migrated = bench_vmstat(m, "pgmigrate_success") - before;
	r->blocks_after = blocks_at_least(m, 10);
	/* the baseline: as many alloc+free pairs as pages migrated, same machine */
	t0 = mono_seconds();
	for (uint64_t i = 0; i < (r->migrated ? r->migrated : 1); i++) {
		must(mm_alloc_pages(m, 0xcc0u, 0, -1, 0, &a, &e), "alloc", &e);
		must(mm_free_pages(m, a.pfn, 0, 0, &e), "free", &e);
	}
	r->pair_ns = (mono_seconds() - t0) * 1e9 / (double)(r->migrated ? r->migrated : 1);
	machine_destroy(m);
}

#define HOLES_MACHINE_MIB	1024
#define HOLES_MIB		768

struct holes {
	double munmap_s, run_s;
	uint64_t vmas, migrated;
};

static void holes_round(struct holes *h)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct mm_access_summary sum;
	unsigned long sink = 0;
	uint64_t va, pages = HOLES_MIB * 256ULL, before;
	struct machine *m;
	int pid;
	double t0;

	machine_config_defaults(&cfg);
	cfg.mem_mib = HOLES_MACHINE_MIB;
	cfg.pcp = false;
	m = bench_machine(&cfg, noop_consumer, &sink);
	must(mm_sysctl_vm_set(m, "compaction_proactiveness", 0, &e), "sysctl", &e);
	must(mm_spawn(m, "holes", &pid, &e), "spawn", &e);
	must(mm_mmap(m, pid, 0, pages * PAGE, "rw-", &va, &e), "mmap", &e);
	must(mm_access_range(m, 0, pid, va, pages * PAGE, PAGE, MM_ACCESS_WRITE, false, pages, &sum,
			     &e), "write", &e);
	t0 = mono_seconds();
	for (uint64_t p = 1; p < pages; p += 2)
		must(mm_munmap(m, pid, va + p * PAGE, PAGE, &e), "munmap", &e);
	h->munmap_s = mono_seconds() - t0;
	h->vmas = (pages + 1) / 2;
	before = bench_vmstat(m, "pgmigrate_success");
	t0 = mono_seconds();
	must(mm_compact_memory(m, -1, 0, &e), "compact_memory", &e);
	h->run_s = mono_seconds() - t0;
	h->migrated = bench_vmstat(m, "pgmigrate_success") - before;
	machine_destroy(m);
}

int main(void)
{
	struct holes h[ROUNDS];
	double hm[ROUNDS], hr[ROUNDS];
	struct round r[ROUNDS];
	double run[ROUNDS], rate[ROUNDS], pair[ROUNDS], per_page;

	for (int i = 0; i < ROUNDS; i++) {
		one_round(&r[i]);
		run[i] = r[i].run_s;
		rate[i] = (double)r[i].migrated / r[i].run_s;
		pair[i] = r[i].pair_ns;
	}
	qsort(run, ROUNDS, sizeof(double), cmp_double);
	qsort(rate, ROUNDS, sizeof(double), cmp_double);
	qsort(pair, ROUNDS, sizeof(double), cmp_double);
	per_page = run[ROUNDS / 2] * 1e9 / (double)r[0].migrated;
	printf("compact_memory of a %d MiB machine, %llu movable pages with a free page between each two:\n",
	       MEM_MIB, (unsigned long long)r[0].scattered);
	printf("  pages migrated          %llu (order-10 blocks free: %llu before, %llu after)\n",
	       (unsigned long long)r[0].migrated, (unsigned long long)r[0].blocks_before,
	       (unsigned long long)r[0].blocks_after);
	printf("  whole run               %.3f s (median of %d; best %.3f s)\n", run[ROUNDS / 2], ROUNDS, run[0]);
	printf("  pages migrated per s    %.0f (median; best %.0f)\n", rate[ROUNDS / 2], rate[ROUNDS - 1]);
	printf("  per page migrated       %.0f ns\n", per_page);
	printf("  baseline: order-0 alloc+free pair  %.0f ns (as many pairs as pages migrated)\n",
	       pair[ROUNDS / 2]);
	printf("  ratio: one page migrated costs %.1f alloc+free pairs\n", per_page / pair[ROUNDS / 2]);

	for (int i = 0; i < ROUNDS; i++) {
		holes_round(&h[i]);
		hm[i] = (double)(h[i].vmas - 1) / h[i].munmap_s;
		hr[i] = (double)h[i].migrated / h[i].run_s;
	}
	qsort(hm, ROUNDS, sizeof(double), cmp_double);
	qsort(hr, ROUNDS, sizeof(double), cmp_double);
	printf("compact_memory of a %d MiB machine after munmap of every other page of %d MiB "
	       "(%llu VMAs):\n", HOLES_MACHINE_MIB, HOLES_MIB, (unsigned long long)h[0].vmas);
	printf("  munmaps per s           %.0f (median of %d)\n", hm[ROUNDS / 2], ROUNDS);
	printf("  pages migrated          %llu\n", (unsigned long long)h[0].migrated);
	printf("  pages migrated per s    %.0f (median; the reverse map finds each page among the VMAs)\n",
	       hr[ROUNDS / 2]);
	printf("  ratio: against the first layout's rate  %.2f\n", hr[ROUNDS / 2] / rate[ROUNDS / 2]);
	return 0;
}
