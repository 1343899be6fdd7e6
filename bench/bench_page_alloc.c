/*
 * bench_page_alloc.c - how fast the buddy allocator runs, and what building
 * a large machine costs. Prints figures and ratios against a baseline
 * measured in the same run (a malloc/free pair); never passes or fails on time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

#include "mmlab.h"
#include "bench/bench.h"

#define GFP_KERNEL	0xcc0u
#define PAIRS		2000000UL

static struct machine *make(bool pcp, bool events, unsigned long *sink)
{
	struct machine_config cfg;

	machine_config_defaults(&cfg);
	cfg.mem_mib = 1024;
	cfg.pcp = pcp;
	return bench_machine(&cfg, events ? noop_consumer : NULL, sink);
}

/* Order-0 pairs (@mixed: orders 0..3 in turn), in ns per pair. */
static double pairs_ns(bool pcp, bool events, bool mixed)
{
	unsigned long sink = 0, i;
	struct machine *m = make(pcp, events, &sink);
	struct alloc_pages_result r;
	double t0 = mono_seconds();

	for (i = 0; i < PAIRS; i++) {
		unsigned int order = mixed ? (unsigned int)(i & 3) : 0;

		if (mm_alloc_pages(m, GFP_KERNEL, order, -1, 0, &r, NULL) ||
		    mm_free_pages(m, r.pfn, order, 0, NULL)) {
			fprintf(stderr, "allocation failed\n");
			exit(99);
		}
	}
	t0 = mono_seconds() - t0;
	machine_destroy(m);
	return t0 * 1e9 / PAIRS;
}

static void create_64g(void)
{
	struct machine_config cfg;
	struct mm_error e = { 0 };
	struct rusage ru;
	struct machine *m;
	double t0;

	machine_config_defaults(&cfg);
	cfg.mem_mib = 65536;
	t0 = mono_seconds();
	m = machine_create(&cfg, NULL, NULL, &e);
	t0 = mono_seconds() - t0;
	if (!m) {
		printf("64 GiB machine: %s\n", e.message);
		return;
	}
	getrusage(RUSAGE_SELF, &ru);
	printf("create 64 GiB machine:        %8.3f s, peak RSS %.2f GiB (target <= 1.5 s, <= 1.3 GiB)\n",
	       t0, (double)ru.ru_maxrss / (1024.0 * 1024.0));
	machine_destroy(m);
}

int main(void)
{
	double base = baseline_ns(PAIRS);
	static const struct { const char *name; bool pcp, events, mixed; } runs[] = {
		{ "order-0, pcp on,  events off", true, false, false },
		{ "order-0, pcp on,  events on ", true, true, false },
		{ "order-0, pcp off, events off", false, false, false },
		{ "order-0, pcp off, events on ", false, true, false },
		{ "orders 0-3, pcp on,  events off", true, false, true },
		{ "orders 0-3, pcp off, events off", false, false, true },
	};
	size_t i;

	printf("baseline malloc(64)+free:     %8.1f ns/pair %12.0f pairs/s\n", base, 1e9 / base);
	for (i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		double ns = pairs_ns(runs[i].pcp, runs[i].events, runs[i].mixed);

		printf("%-31s %6.1f ns/pair %12.0f pairs/s  %5.1fx baseline\n", runs[i].name, ns,
		       1e9 / ns, ns / base);
	}
	create_64g();
	return 0;
}
