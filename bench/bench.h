/*
 * bench.h - what every benchmark shares: the daemon's monotonic clock
 * (mono_seconds()) and the baseline that its figures are compared with,
 * measured in the same run.
 */
#ifndef MMLAB_BENCH_H
#define MMLAB_BENCH_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/clock.h"
#include "mmlab.h"

/* A machine of @cfg, or the benchmark ends (status 99) with the engine's message. */
static inline struct machine *bench_machine(const struct machine_config *cfg, mm_event_fn fn,
					    void *ctx)
{
	struct mm_error e = { 0 };
	struct machine *m = machine_create(cfg, fn, ctx, &e);

	if (!m) {
		fprintf(stderr, "machine_create: %s\n", e.message);
		exit(99);
	}
	return m;
}

/* An event consumer that does almost nothing (the cost of emitting events). */
static inline void noop_consumer(void *ctx, const struct mm_event *ev)
{
	(*(unsigned long *)ctx) += (unsigned long)ev->type;
}

/* The host's own allocator: ns per malloc(64)+free pair, over @pairs pairs. */
static inline double baseline_ns(unsigned long pairs)
{
	volatile char *sink;
	double t0 = mono_seconds();

	for (unsigned long i = 0; i < pairs; i++) {
		sink = malloc(64);
		sink[0] = 1;
		free((void *)sink);
	}
	return (mono_seconds() - t0) * 1e9 / (double)pairs;
}

/* The counter @name of @m's /proc/vmstat (0 when it has none). */
static inline uint64_t bench_vmstat(const struct machine *m, const char *name)
{
	char *t = proc_vmstat(m), key[64], *p;
	uint64_t v = 0;

	snprintf(key, sizeof(key), "\n%s ", name);
	p = strstr(t, key);
	if (p)
		v = strtoull(p + strlen(key), NULL, 10);
	free(t);
	return v;
}

#endif
