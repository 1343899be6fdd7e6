/*
 * bench_slub.c - how fast kmalloc/kfree, kmalloc_large and vmalloc/vfree run
 * in the engine. Prints figures and ratios against a baseline measured in the
 * same run (a host malloc/free pair); never passes or fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mmlab.h"
#include "bench/bench.h"

#define GFP_KERNEL	0xcc0u
#define PAIRS		2000000UL

static struct machine *make(bool events, unsigned long *sink)
{
	struct machine_config cfg;

	machine_config_defaults(&cfg);
	cfg.mem_mib = 1024;
	return bench_machine(&cfg, events ? noop_consumer : NULL, sink);
}

/* @batch objects of @size allocated, then freed, @rounds times: ns per pair. */
static double kmalloc_pairs(bool events, uint64_t size, unsigned int batch, unsigned long pairs)
{
	unsigned long sink = 0, rounds = pairs / batch;
	struct machine *m = make(events, &sink);
	uint64_t *live = malloc(batch * sizeof(*live));
	struct kmalloc_result r;
	double t0;

	if (!live)
		exit(99);
	t0 = mono_seconds();
	for (unsigned long k = 0; k < rounds; k++) {
		for (unsigned int i = 0; i < batch; i++) {
			if (mm_kmalloc(m, size, GFP_KERNEL, 0, &r, NULL))
				exit(99);
			live[i] = r.addr;
		}
		for (unsigned int i = 0; i < batch; i++)
			if (mm_kfree(m, live[batch - 1 - i], 0, NULL))
				exit(99);
	}
	t0 = (mono_seconds() - t0) * 1e9 / (double)(rounds * batch);
	free(live);
	machine_destroy(m);
	return t0;
}

static double vmalloc_pairs(uint64_t size, unsigned long pairs)
{
	struct machine *m = make(false, NULL);
	uint64_t addr;
	double t0 = mono_seconds();

	for (unsigned long i = 0; i < pairs; i++)
		if (mm_vmalloc(m, size, 0, NULL, &addr, NULL) || mm_vfree(m, addr, 0, NULL))
			exit(99);
	t0 = (mono_seconds() - t0) * 1e9 / (double)pairs;
	machine_destroy(m);
	return t0;
}

int main(void)
{
	double base = baseline_ns(PAIRS), ns;

	printf("baseline: host malloc(64)+free: %.1f ns/pair\n", base);
	ns = kmalloc_pairs(false, 64, 1, PAIRS);
	printf("kmalloc(64)+kfree, one at a time:      %8.1f ns/pair  %10.0f pairs/s  %6.1fx baseline\n",
	       ns, 1e9 / ns, ns / base);
	ns = kmalloc_pairs(false, 64, 1000, PAIRS);
	printf("kmalloc(64) x1000 then kfree x1000:    %8.1f ns/pair  %10.0f pairs/s  %6.1fx baseline\n",
	       ns, 1e9 / ns, ns / base);
	ns = kmalloc_pairs(true, 64, 1000, PAIRS);
	printf("  the same with an event consumer:     %8.1f ns/pair  %10.0f pairs/s  %6.1fx baseline\n",
	       ns, 1e9 / ns, ns / base);
	ns = kmalloc_pairs(false, 1000, 1000, PAIRS / 4);
	printf("kmalloc(1000) x1000 then kfree x1000:  %8.1f ns/pair  %10.0f pairs/s  %6.1fx baseline\n",
	       ns, 1e9 / ns, ns / base);
	ns = kmalloc_pairs(false, 20000, 100, PAIRS / 20);
	printf("kmalloc_large(20000) x100 then kfree:  %8.1f ns/pair  %10.0f pairs/s  %6.1fx baseline\n",
	       ns, 1e9 / ns, ns / base);
	ns = vmalloc_pairs(16 * 4096, 20000);
	printf("vmalloc(64 KiB)+vfree:                 %8.1f ns/pair  %10.0f pairs/s  %6.1fx baseline\n",
	       ns, 1e9 / ns, ns / base);
	return 0;
}
